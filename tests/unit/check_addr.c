/*
 * check_addr.c - unit tests for lib/addr.c: the text form users type into
 * configs and read in logs (every protocol, every edge of /BITS and network
 * ids, broadcast), what is refused, which prefixes cover which addresses,
 * and the wire form peers and gates send us.
 */
#include "config.h"
#include "addr.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct prefix parsed(const char *s)
{
	struct prefix p;

	ck_assert_msg(prefix_parse(s, &p), "cannot parse %s", s);
	ck_assert(prefix_valid(&p));
	return p;
}

static struct addr addr_of(const char *s)
{
	struct prefix p = parsed(s);

	ck_assert_uint_eq(p.bits, 8 * p.a.len);
	return p.a;
}

static bool same_text(const struct prefix *p, const char *s)
{
	struct prefix q = parsed(s);

	return prefix_equal(p, &q);
}

/* Canonical text: parses, and formats back to exactly the same. */
static const struct {
	const char *text;
	uint32_t inst;
	uint8_t len;
	uint16_t bits;
} canonical[] = {
	{ "ipv4:10.1.2.3", INST(AP_IPV4, 0), 4, 32 },
	{ "ipv4:192.168.50.0/24", INST(AP_IPV4, 0), 4, 24 },
	{ "ipv4:192.168.1.128/25", INST(AP_IPV4, 0), 4, 25 },
	{ "ipv4:0.0.0.0/0", INST(AP_IPV4, 0), 4, 0 },
	{ "ipv4:0.0.0.0", INST(AP_IPV4, 0), 4, 32 },
	{ "ipv4:255.255.255.255", INST(AP_IPV4, 0), 4, 32 },
	{ "ipv4:*", INST(AP_IPV4, 0), 0, 0 },
	{ "ipv4.1:10.0.0.0/8", INST(AP_IPV4, 1), 4, 8 },
	{ "ipv4.65535:1.2.3.4", INST(AP_IPV4, 65535), 4, 32 },
	{ "ipv6:::/0", INST(AP_IPV6, 0), 16, 0 },
	{ "ipv6:::", INST(AP_IPV6, 0), 16, 128 },
	{ "ipv6:::1", INST(AP_IPV6, 0), 16, 128 },
	{ "ipv6:fd00::/64", INST(AP_IPV6, 0), 16, 64 },
	{ "ipv6.7:fd00::/64", INST(AP_IPV6, 7), 16, 64 },
	{ "ipv6:fe80::/10", INST(AP_IPV6, 0), 16, 10 },
	{ "ipv6:2001:db8::1:0:0:1", INST(AP_IPV6, 0), 16, 128 },
	{ "ipv6:2001:db8:0:1:1:1:1:1", INST(AP_IPV6, 0), 16, 128 },
	{ "ipv6:fd00:1:2:3:4:5:6:7", INST(AP_IPV6, 0), 16, 128 },
	{ "ipv6:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", INST(AP_IPV6, 0), 16, 128 },
	{ "ipv6:::ffff:10.0.0.1", INST(AP_IPV6, 0), 16, 128 },
	{ "ipv6:*", INST(AP_IPV6, 0), 0, 0 },
	{ "ether:02:00:5e:00:00:01", INST(AP_ETHER, 0), 6, 48 },
	{ "ether:ff:ff:ff:ff:ff:ff", INST(AP_ETHER, 0), 6, 48 },
	{ "ether.3:02:00:5e:00:00:00/24", INST(AP_ETHER, 3), 6, 24 },
	{ "ether:00:00:00:00:00:00/0", INST(AP_ETHER, 0), 6, 0 },
	{ "ether:*", INST(AP_ETHER, 0), 0, 0 },
	{ "chat:alice", INST(AP_CHAT, 0), 5, 40 },
	{ "chat.2:Bob_the-builder!", INST(AP_CHAT, 2), 16, 128 },
	{ "chat:~{}[]()#$%&'\"+,.;<=>?@\\^`|", INST(AP_CHAT, 0), 26, 208 },
	{ "chat:0123456789abcdef0123456789abcdef", INST(AP_CHAT, 0), 32, 256 },
	{ "chat:*", INST(AP_CHAT, 0), 0, 0 },
	{ "p513:0a0b0c", INST(513, 0), 3, 24 },
	{ "p513.2:0a0b00/20", INST(513, 2), 3, 20 },
	{ "p513.2:0a0b0c/22", INST(513, 2), 3, 22 },
	{ "p0:00", INST(0, 0), 1, 8 },
	{ "p0:00/0", INST(0, 0), 1, 0 },
	{ "p7:*", INST(7, 0), 0, 0 },
	{ "p65535.65535:"
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	  INST(65535, 65535), 32, 256 },
	{ "p2:ff80/9", INST(2, 0), 2, 9 },
};

START_TEST(parse_format_canonical)
{
	char buf[ADDR_TEXT_MAX];
	struct prefix p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(canonical); i++) {
		const char *s = canonical[i].text;

		p = parsed(s);
		ck_assert_msg(p.a.inst == canonical[i].inst, "%s", s);
		ck_assert_msg(p.a.len == canonical[i].len, "%s", s);
		ck_assert_msg(p.bits == canonical[i].bits, "%s", s);
		prefix_format(&p, buf, sizeof(buf));
		ck_assert_str_eq(buf, s);
	}
}
END_TEST

START_TEST(parse_values)
{
	static const uint8_t mac[] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t fd[16] = { 0xfd, 0x00, [15] = 0x01 };
	static const uint8_t ip[] = { 10, 1, 2, 3 };
	struct prefix p;
	size_t i;

	p = parsed("ether:02:00:5e:00:00:01");
	ck_assert_mem_eq(p.a.b, mac, 6);
	p = parsed("ipv6:fd00::1");
	ck_assert_mem_eq(p.a.b, fd, 16);
	p = parsed("ipv4:10.1.2.3");
	ck_assert_mem_eq(p.a.b, ip, 4);
	p = parsed("chat:alice");
	ck_assert_mem_eq(p.a.b, "alice", 5);
	p = parsed("p513:0a0B0c");
	ck_assert_uint_eq(p.a.b[0], 0x0a);
	ck_assert_uint_eq(p.a.b[1], 0x0b);
	ck_assert_uint_eq(p.a.b[2], 0x0c);
	/* bytes past len are zero */
	for (i = p.a.len; i < ADDR_MAX_LEN; i++)
		ck_assert_uint_eq(p.a.b[i], 0);
	p = parsed("ether:*");
	ck_assert(addr_is_broadcast(&p.a));
	p = parsed("ether:02:00:5e:00:00:01");
	ck_assert(!addr_is_broadcast(&p.a));
}
END_TEST

/* Other spellings are accepted and come out in the canonical one. */
START_TEST(parse_normalises)
{
	static const char *const in_out[][2] = {
		{ "ipv6:FD00:0:0:0:0:0:0:0/64", "ipv6:fd00::/64" },
		{ "ipv6:0:0:0:0:0:0:0:1", "ipv6:::1" },
		{ "ipv6:2001:0db8:0000:0000:0000:0000:0000:0001", "ipv6:2001:db8::1" },
		{ "ipv6:fd00:0:0:1::", "ipv6:fd00:0:0:1::" },
		{ "ipv6:1:0:0:2:0:0:0:3", "ipv6:1:0:0:2::3" },
		{ "ether:02:00:5E:0A:BC:01", "ether:02:00:5e:0a:bc:01" },
		{ "p513:0A0B", "p513:0a0b" },
		{ "ipv4.0:1.2.3.4", "ipv4:1.2.3.4" },
		{ "p4:10.0.0.1", "ipv4:10.0.0.1" },
		{ "p1.9:02:00:00:00:00:01", "ether.9:02:00:00:00:00:01" },
		{ "ipv4:10.0.0.0/32", "ipv4:10.0.0.0" },
		{ "chat:bob/24", "chat:bob" },
		{ "ipv4:*/0", "ipv4:*" },
	};
	char buf[ADDR_TEXT_MAX];
	struct prefix p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(in_out); i++) {
		p = parsed(in_out[i][0]);
		prefix_format(&p, buf, sizeof(buf));
		ck_assert_str_eq(buf, in_out[i][1]);
	}
}
END_TEST

START_TEST(parse_rejects)
{
	static const char *const bad[] = {
		"", ":", "ipv4", "ipv4:", ":1.2.3.4", "ipv5:1.2.3.4",
		"IPV4:1.2.3.4", "Ipv4:1.2.3.4",
		/* host bits set beyond BITS */
		"ipv4:10.0.0.1/24", "ipv4:10.0.0.128/24", "ipv4:10.0.0.1/31",
		"ipv4:128.0.0.0/0", "ipv6:fd00::1/64", "ipv6:fd00::/7",
		"ether:02:00:5e:00:00:01/24", "p513:01/7", "p513:00ff/9",
		/* BITS */
		"ipv4:10.0.0.0/33", "ipv4:10.0.0.0/", "ipv4:10.0.0.0/024",
		"ipv4:10.0.0.0/-1", "ipv4:10.0.0.0/+8", "ipv4:10.0.0.0/8/8",
		"ipv4:10.0.0.0/8 ", "ipv4:10.0.0.0/0x8", "ipv4:10.0.0.0/99999999",
		"ipv6:fd00::/129", "ether:00:00:00:00:00:00/49", "ipv4:*/1",
		"chat:ab/17", "p513:00/9",
		/* ipv4 */
		"ipv4:10.0.0", "ipv4:10.0.0.0.0", "ipv4:010.0.0.1",
		"ipv4:1.2.3.4 ", " ipv4:1.2.3.4", "ipv4:256.0.0.0",
		"ipv4:0x0a.0.0.1", "ipv4:10", "ipv4:::1", "ipv4:**",
		/* network ids */
		"ipv4.:1.2.3.4", "ipv4.65536:1.2.3.4", "ipv4.01:1.2.3.4",
		"ipv4.1.2:1.2.3.4", "ipv4.x:1.2.3.4", "ipv4.-1:1.2.3.4",
		".1:00",
		/* ipv6 */
		"ipv6:1:2:3:4:5:6:7:8:9", "ipv6:fd00:::1", "ipv6:10.0.0.1",
		"ipv6:fd00::g", "ipv6:12345::", "ipv6:fe80::1%eth0", "ipv6:",
		"ipv6:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000",
		/* ether */
		"ether:02:00:5e:00:00", "ether:02:00:5e:00:00:01:02",
		"ether:02-00-5e-00-00-01", "ether:2:0:5e:0:0:1",
		"ether:02:00:5e:00:00:0g", "ether:0200.5e00.0001",
		"ether:02:00:5e:00:00:01:", "ether:020:0:5e:00:00:01",
		"ether:", "ether:0200:5e00:0001",
		/* chat */
		"chat:", "chat:a b", "chat:a:b", "chat:a*", "chat:*a",
		"chat:a\tb", "chat:caf\xc3\xa9", "chat:a\x7f",
		"chat:0123456789abcdef0123456789abcdefg",
		/* other protocols */
		"p513:", "p513:abc", "p513:0g", "p513:0x0a", "p65536:00",
		"p:00", "p01:00", "p-1:00", "x513:00", "P513:00", "p513: 00",
		/* 33 bytes */
		("p513:"
		 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"),
	};
	struct prefix p, sentinel;
	size_t i;

	memset(&sentinel, 0x5a, sizeof(sentinel));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		p = sentinel;
		ck_assert_msg(!prefix_parse(bad[i], &p), "accepted \"%s\"", bad[i]);
		ck_assert_msg(!memcmp(&p, &sentinel, sizeof(p)),
			      "\"%s\" changed the output", bad[i]);
	}
}
END_TEST

START_TEST(inst_text)
{
	static const struct {
		const char *text;
		uint32_t inst;
	} ok[] = {
		{ "ether", INST(AP_ETHER, 0) }, { "ipv4", INST(AP_IPV4, 0) },
		{ "ipv6", INST(AP_IPV6, 0) }, { "chat", INST(AP_CHAT, 0) },
		{ "ether.3", INST(AP_ETHER, 3) }, { "p513.2", INST(513, 2) },
		{ "p0", INST(0, 0) }, { "p65535.65535", INST(65535, 65535) },
		{ "chat.1", INST(AP_CHAT, 1) },
	};
	static const char *const bad[] = {
		"", ".", "ipv4.", "ipv4..1", "ether.65536", "p", "p65536",
		"p1x", "ETHER", "ipv4 ", "p.1", "eth", "ethernet", "ipv4.1.1",
		"ipv4.+1", "p00",
	};
	char buf[32];
	uint32_t inst;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		ck_assert_msg(inst_parse(ok[i].text, strlen(ok[i].text), &inst),
			      "%s", ok[i].text);
		ck_assert_uint_eq(inst, ok[i].inst);
		inst_format(inst, buf, sizeof(buf));
		ck_assert_str_eq(buf, ok[i].text);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(!inst_parse(bad[i], strlen(bad[i]), &inst),
			      "accepted \"%s\"", bad[i]);
	/* only len bytes are read */
	ck_assert(inst_parse("ipv4:10.0.0.1", 4, &inst));
	ck_assert_uint_eq(inst, INST(AP_IPV4, 0));
	ck_assert(inst_parse("ipv4.12", 6, &inst));
	ck_assert_uint_eq(inst, INST(AP_IPV4, 1));
	ck_assert(!inst_parse("ipv4.12", 5, &inst));
	/* spelt by number, formatted by name */
	ck_assert(inst_parse("p6.0", 4, &inst));
	inst_format(inst, buf, sizeof(buf));
	ck_assert_str_eq(buf, "ipv6");
	ck_assert_uint_eq(inst_proto(INST(513, 2)), 513);
	ck_assert_uint_eq(inst_net(INST(513, 2)), 2);
}
END_TEST

START_TEST(format_truncates)
{
	struct prefix p = parsed("ipv6.7:fd00::/64");
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	prefix_format(&p, buf, 5);
	ck_assert_str_eq(buf, "ipv6");
	ck_assert_uint_eq(buf[5], 'x');
	prefix_format(&p, buf, 1);
	ck_assert_str_eq(buf, "");
	buf[0] = 'x';
	prefix_format(&p, buf, 0);
	ck_assert_uint_eq(buf[0], 'x');
	inst_format(INST(513, 2), buf, 4);
	ck_assert_str_eq(buf, "p51");
	addr_format(&p.a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "ipv6.7:");
}
END_TEST

/* The longest text fits ADDR_TEXT_MAX; so does an invalid prefix. */
START_TEST(format_longest)
{
	char buf[ADDR_TEXT_MAX + 1];
	struct prefix p;

	memset(&p, 0xff, sizeof(p));
	p.a.inst = INST(65535, 65535);
	p.a.len = ADDR_MAX_LEN;
	p.bits = 255;
	memset(buf, 'x', sizeof(buf));
	prefix_format(&p, buf, ADDR_TEXT_MAX);
	ck_assert_uint_lt(strlen(buf), ADDR_TEXT_MAX - 1);
	ck_assert_uint_eq(buf[ADDR_TEXT_MAX], 'x');
	/* invalid: len out of range, never read past b[] */
	p.a.len = 200;
	p.bits = 9999;
	prefix_format(&p, buf, ADDR_TEXT_MAX);
	ck_assert(!prefix_parse(buf, &p));
	/* wrong length for the protocol: hex, refused when read back */
	memset(&p, 0, sizeof(p));
	p.a.inst = INST(AP_IPV4, 0);
	p.a.len = 5;
	p.bits = 40;
	p.a.b[0] = 10;
	prefix_format(&p, buf, sizeof(buf));
	ck_assert_str_eq(buf, "ipv4:0a00000000");
	ck_assert(!prefix_parse(buf, &p));
}
END_TEST

START_TEST(addr_text)
{
	char buf[ADDR_TEXT_MAX];
	struct addr a = addr_of("ipv4.3:10.1.2.3");
	struct prefix p;

	addr_format(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "ipv4.3:10.1.2.3");
	a = addr_of("ether:*");
	addr_format(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "ether:*");
	a = addr_of("chat:bob");
	prefix_host(&p, &a);
	ck_assert_uint_eq(p.bits, 24);
	ck_assert(same_text(&p, "chat:bob"));
	ck_assert(prefix_covers(&p, &a));
}
END_TEST

START_TEST(valid_lengths)
{
	static const struct {
		uint16_t proto;
		uint8_t good[4];
	} lens[] = {
		{ AP_ETHER, { 0, 6 } }, { AP_IPV4, { 0, 4 } },
		{ AP_IPV6, { 0, 16 } },
	};
	struct prefix p;
	size_t i;
	unsigned len;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		for (len = 0; len <= ADDR_MAX_LEN; len++) {
			memset(&p, 0, sizeof(p));
			p.a.inst = INST(lens[i].proto, 5);
			p.a.len = (uint8_t)len;
			p.bits = (uint16_t)(8 * len);
			ck_assert_msg(prefix_valid(&p) ==
				      (len == lens[i].good[0] || len == lens[i].good[1]),
				      "proto %u len %u", lens[i].proto, len);
		}
	}
	/* other protocols: any length up to ADDR_MAX_LEN */
	memset(&p, 0, sizeof(p));
	p.a.inst = INST(99, 0);
	for (len = 0; len <= ADDR_MAX_LEN; len++) {
		p.a.len = (uint8_t)len;
		ck_assert(prefix_valid(&p));
	}
	p.a.len = ADDR_MAX_LEN + 1;
	ck_assert(!prefix_valid(&p));
	p.a.len = 255;
	ck_assert(!prefix_valid(&p));
}
END_TEST

START_TEST(valid_bits_and_tail)
{
	struct prefix p = parsed("ipv4:10.0.0.0/8"), q;

	q = p;
	q.bits = 33;
	ck_assert(!prefix_valid(&q));
	q = p;
	q.bits = 6;		/* 10 = 00001010: the 7th bit is set */
	ck_assert(!prefix_valid(&q));
	q = p;
	q.a.b[4] = 1;		/* a byte past len */
	ck_assert(!prefix_valid(&q));
	q = p;
	q.a.b[ADDR_MAX_LEN - 1] = 1;
	ck_assert(!prefix_valid(&q));
	q = p;
	q.a.b[3] = 1;
	ck_assert(!prefix_valid(&q));
	q.bits = 32;
	ck_assert(prefix_valid(&q));
	/* broadcast: bits must be 0 */
	q = parsed("ipv4:*");
	q.bits = 1;
	ck_assert(!prefix_valid(&q));
	/* chat: printable, no ':' '/' '*' */
	q = parsed("chat:abc");
	q.a.b[1] = ' ';
	ck_assert(!prefix_valid(&q));
	q.a.b[1] = ':';
	ck_assert(!prefix_valid(&q));
	q.a.b[1] = 0;
	ck_assert(!prefix_valid(&q));
	q.a.b[1] = 0x80;
	ck_assert(!prefix_valid(&q));
	q.a.b[1] = '~';
	ck_assert(prefix_valid(&q));
}
END_TEST

static bool covers(const char *prefix, const char *addr)
{
	struct prefix p = parsed(prefix);
	struct addr a = addr_of(addr);

	return prefix_covers(&p, &a);
}

START_TEST(covers_basic)
{
	ck_assert(covers("ipv4:10.0.0.0/8", "ipv4:10.1.2.3"));
	ck_assert(covers("ipv4:10.0.0.0/8", "ipv4:10.255.255.255"));
	ck_assert(!covers("ipv4:10.0.0.0/8", "ipv4:11.0.0.0"));
	ck_assert(!covers("ipv4:10.0.0.0/8", "ipv4:9.255.255.255"));
	ck_assert(covers("ipv4:0.0.0.0/0", "ipv4:1.2.3.4"));
	ck_assert(covers("ipv4:0.0.0.0/0", "ipv4:255.255.255.255"));
	ck_assert(covers("ipv4:10.1.2.3", "ipv4:10.1.2.3"));
	ck_assert(!covers("ipv4:10.1.2.3", "ipv4:10.1.2.2"));
	ck_assert(!covers("ipv4:10.1.2.2", "ipv4:10.1.2.3"));
	/* a bit boundary inside a byte */
	ck_assert(covers("ipv4:192.168.1.128/25", "ipv4:192.168.1.128"));
	ck_assert(covers("ipv4:192.168.1.128/25", "ipv4:192.168.1.255"));
	ck_assert(!covers("ipv4:192.168.1.128/25", "ipv4:192.168.1.127"));
	ck_assert(covers("ipv4:192.168.1.0/31", "ipv4:192.168.1.1"));
	ck_assert(!covers("ipv4:192.168.1.0/31", "ipv4:192.168.1.2"));
	ck_assert(covers("ipv4:128.0.0.0/1", "ipv4:200.0.0.1"));
	ck_assert(!covers("ipv4:128.0.0.0/1", "ipv4:127.0.0.1"));
	/* ipv6 */
	ck_assert(covers("ipv6:fd00::/64", "ipv6:fd00::1"));
	ck_assert(covers("ipv6:fd00::/64", "ipv6:fd00::ffff:ffff:ffff:ffff"));
	ck_assert(!covers("ipv6:fd00::/64", "ipv6:fd00:0:0:1::1"));
	ck_assert(covers("ipv6:fc00::/7", "ipv6:fd12:3456::1"));
	ck_assert(!covers("ipv6:fc00::/7", "ipv6:fe80::1"));
	ck_assert(covers("ipv6:::/0", "ipv6:2001:db8::1"));
	ck_assert(covers("ipv6:::1", "ipv6:::1"));
	ck_assert(!covers("ipv6:::1", "ipv6:::2"));
	/* ether, chat, others */
	ck_assert(covers("ether:02:00:5e:00:00:00/24", "ether:02:00:5e:12:34:56"));
	ck_assert(!covers("ether:02:00:5e:00:00:00/24", "ether:02:00:5f:00:00:00"));
	ck_assert(covers("chat:alice", "chat:alice"));
	ck_assert(!covers("chat:alice", "chat:alicf"));
	ck_assert(!covers("chat:alice", "chat:alic"));
	ck_assert(!covers("chat:alic", "chat:alice"));
	ck_assert(covers("p513:ff00/8", "p513:ff12"));
	ck_assert(!covers("p513:ff00/8", "p513:ff12ab"));
}
END_TEST

START_TEST(covers_instances)
{
	struct prefix p = parsed("ipv4:10.0.0.0/8");
	struct addr a = addr_of("ipv4:10.1.2.3");

	/* different network ids never cover */
	ck_assert(!covers("ipv4.1:10.0.0.0/8", "ipv4:10.1.2.3"));
	ck_assert(!covers("ipv4:10.0.0.0/8", "ipv4.1:10.1.2.3"));
	ck_assert(covers("ipv4.1:10.0.0.0/8", "ipv4.1:10.1.2.3"));
	ck_assert(!covers("ipv4.1:0.0.0.0/0", "ipv4.2:10.1.2.3"));
	ck_assert(!covers("ipv6:::/0", "ipv6.1:::1"));
	/* different protocols, same bytes */
	a.inst = INST(99, 0);
	ck_assert(!prefix_covers(&p, &a));
	ck_assert(!covers("p2:*", "ether:*"));
	ck_assert(covers("p1:*", "ether:*"));	/* p1 is ether */
	/* broadcast: only the zero-length address of the instance */
	ck_assert(covers("ipv4:*", "ipv4:*"));
	ck_assert(!covers("ipv4:*", "ipv4:10.0.0.1"));
	ck_assert(!covers("ipv4:*", "ipv4.1:*"));
	ck_assert(!covers("ipv4:*", "ipv6:*"));
	ck_assert(!covers("ipv4:0.0.0.0/0", "ipv4:*"));
	ck_assert(covers("chat:*", "chat:*"));
	ck_assert(!covers("chat:*", "chat:alice"));
	ck_assert(covers("ether.3:*", "ether.3:*"));
	/* a malformed prefix covers nothing */
	p.bits = 33;
	a.inst = INST(AP_IPV4, 0);
	ck_assert(!prefix_covers(&p, &a));
}
END_TEST

/* What a route table does with covers: the longest covering prefix wins. */
START_TEST(covers_longest_match)
{
	static const char *const table[] = {
		"ipv4:0.0.0.0/0", "ipv4:10.0.0.0/8", "ipv4:10.1.0.0/16",
		"ipv4:10.1.2.0/24", "ipv4:10.1.2.3", "ipv4.1:10.1.2.0/24",
		"ipv4:*",
	};
	static const struct {
		const char *addr;
		int best;	/* index into table, -1: none */
	} cases[] = {
		{ "ipv4:10.1.2.3", 4 }, { "ipv4:10.1.2.4", 3 },
		{ "ipv4:10.1.3.1", 2 }, { "ipv4:10.2.0.0", 1 },
		{ "ipv4:11.0.0.1", 0 }, { "ipv4:*", 6 },
		{ "ipv4.1:10.1.2.9", 5 }, { "ipv4.1:10.1.3.9", -1 },
		{ "ipv4.2:*", -1 },
	};
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct addr a = addr_of(cases[i].addr);
		int best = -1;
		unsigned best_bits = 0;

		for (j = 0; j < ARRAY_SIZE(table); j++) {
			struct prefix p = parsed(table[j]);

			if (prefix_covers(&p, &a) &&
			    (best < 0 || p.bits > best_bits)) {
				best = (int)j;
				best_bits = p.bits;
			}
		}
		ck_assert_msg(best == cases[i].best, "%s: got %d", cases[i].addr,
			      best);
	}
}
END_TEST

START_TEST(equal)
{
	struct prefix p = parsed("ipv4:10.0.0.0/8"), q;

	q = p;
	ck_assert(prefix_equal(&p, &q));
	q.bits = 9;
	ck_assert(!prefix_equal(&p, &q));
	q = p;
	q.a.inst = INST(AP_IPV4, 1);
	ck_assert(!prefix_equal(&p, &q));
	q = p;
	q.a.b[0] = 11;
	ck_assert(!prefix_equal(&p, &q));
	ck_assert(!addr_equal(&p.a, &q.a));
	q = p;
	q.bits = 9;
	ck_assert(addr_equal(&p.a, &q.a));	/* the address alone */
	q.a.inst = INST(AP_IPV4, 1);
	ck_assert(!addr_equal(&p.a, &q.a));
	q = p;
	q.a.len = 0;
	ck_assert(!addr_equal(&p.a, &q.a));
	p = parsed("p9:00");
	ck_assert(!same_text(&p, "p9:0000"));
	p = parsed("ipv6:FD00::/8");
	ck_assert(same_text(&p, "ipv6:fd00::/8"));
	p = parsed("ipv4:*");
	ck_assert(!same_text(&p, "ipv6:*"));
}
END_TEST

/* ---- wire form ---- */

START_TEST(wire_layout)
{
	static const uint8_t want[] = {
		0x00, 0x04, 0x00, 0x07,	/* inst ipv4.7 */
		0x00, 0x18,		/* 24 bits */
		0x04,			/* 4 bytes */
		192, 168, 50, 0,
	};
	struct prefix p = parsed("ipv4.7:192.168.50.0/24"), out;
	uint8_t buf[PREFIX_WIRE_MAX];
	const uint8_t *q;
	size_t left;

	ck_assert_uint_eq(prefix_encode(buf, sizeof(buf), &p), sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	q = buf;
	left = sizeof(want);
	ck_assert(prefix_decode(&q, &left, &out));
	ck_assert(prefix_equal(&out, &p));
	ck_assert_ptr_eq(q, buf + sizeof(want));
	ck_assert_uint_eq(left, 0);
	/* the broadcast address is 7 bytes */
	p = parsed("chat.2:*");
	ck_assert_uint_eq(prefix_encode(buf, sizeof(buf), &p), 7);
	ck_assert_uint_eq(buf[6], 0);
}
END_TEST

START_TEST(wire_roundtrip_all)
{
	uint8_t buf[ARRAY_SIZE(canonical) * PREFIX_WIRE_MAX], *copy;
	size_t off = 0, i, n, left;
	struct prefix p, out;
	const uint8_t *q;

	for (i = 0; i < ARRAY_SIZE(canonical); i++) {
		p = parsed(canonical[i].text);
		n = prefix_encode(buf + off, sizeof(buf) - off, &p);
		ck_assert_uint_eq(n, 7 + p.a.len);
		/* exact room fits, one byte less does not */
		ck_assert_uint_eq(prefix_encode(buf + off, n - 1, &p), 0);
		ck_assert_uint_eq(prefix_encode(buf + off, n, &p), n);
		off += n;
	}
	copy = dup_exact(buf, off);
	q = copy;
	left = off;
	for (i = 0; i < ARRAY_SIZE(canonical); i++) {
		memset(&out, 0x77, sizeof(out));
		ck_assert(prefix_decode(&q, &left, &out));
		p = parsed(canonical[i].text);
		ck_assert_msg(prefix_equal(&out, &p), "%s", canonical[i].text);
		ck_assert(!memcmp(&out.a.b, &p.a.b, sizeof(p.a.b)));
	}
	ck_assert_uint_eq(left, 0);
	ck_assert(!prefix_decode(&q, &left, &out));
	free(copy);
}
END_TEST

START_TEST(wire_truncated)
{
	struct prefix p = parsed("ipv6.7:fd00::/64"), out;
	uint8_t buf[PREFIX_WIRE_MAX];
	const uint8_t *q;
	size_t n, cut, left;

	n = prefix_encode(buf, sizeof(buf), &p);
	for (cut = 0; cut < n; cut++) {
		uint8_t *c = dup_exact(buf, cut);

		q = c;
		left = cut;
		ck_assert(!prefix_decode(&q, &left, &out));
		ck_assert_ptr_eq(q, c);
		ck_assert_uint_eq(left, cut);
		free(c);
	}
}
END_TEST

static bool decode_bytes(const uint8_t *b, size_t len)
{
	uint8_t *c = dup_exact(b, len);
	const uint8_t *q = c;
	struct prefix out;
	size_t left = len;
	bool ok = prefix_decode(&q, &left, &out);

	if (ok)
		ck_assert(prefix_valid(&out));
	free(c);
	return ok;
}

START_TEST(wire_rejects)
{
	uint8_t b[7 + 40] = { 0, 4, 0, 0, 0, 32, 4, 10, 0, 0, 1 };

	ck_assert(decode_bytes(b, 11));
	b[5] = 33;			/* bits > 8 * len */
	ck_assert(!decode_bytes(b, 11));
	b[5] = 24;			/* host bits */
	ck_assert(!decode_bytes(b, 11));
	b[5] = 32;
	b[6] = 5;			/* ipv4 of 5 bytes */
	ck_assert(!decode_bytes(b, 12));
	b[1] = 99;			/* fine for another protocol... */
	b[5] = 40;
	ck_assert(decode_bytes(b, 12));
	b[6] = 33;			/* ...but not 33 bytes */
	b[5] = 0;
	memset(b + 7, 0, 33);
	ck_assert(!decode_bytes(b, 40));
	b[6] = 32;
	ck_assert(decode_bytes(b, 39));
	b[1] = AP_CHAT;			/* chat: printable only */
	b[5] = 8;
	b[6] = 1;
	b[7] = 'a';
	ck_assert(decode_bytes(b, 8));
	b[7] = ' ';
	ck_assert(!decode_bytes(b, 8));
	b[7] = '*';
	ck_assert(!decode_bytes(b, 8));
	b[6] = 0;			/* chat:* with bits 8 */
	ck_assert(!decode_bytes(b, 7));
	b[5] = 0;
	ck_assert(decode_bytes(b, 7));
}
END_TEST

START_TEST(encode_refuses_invalid)
{
	struct prefix p = parsed("ipv4:10.0.0.0/8");
	uint8_t buf[PREFIX_WIRE_MAX + 8];

	p.a.b[3] = 1;
	ck_assert_uint_eq(prefix_encode(buf, sizeof(buf), &p), 0);
	p = parsed("ipv4:10.0.0.0/8");
	p.a.len = 5;
	ck_assert_uint_eq(prefix_encode(buf, sizeof(buf), &p), 0);
	p.a.len = 200;
	ck_assert_uint_eq(prefix_encode(buf, sizeof(buf), &p), 0);
	p = parsed("ipv4:*");
	ck_assert_uint_eq(prefix_encode(buf, 0, &p), 0);
	ck_assert_uint_eq(prefix_encode(buf, 7, &p), 7);
}
END_TEST

/* Random valid prefixes of every protocol: text and wire both round-trip. */
START_TEST(random_roundtrip)
{
	static const uint16_t protos[] = { AP_ETHER, AP_IPV4, AP_IPV6,
					   AP_CHAT, 0, 513, 65535 };
	char buf[ADDR_TEXT_MAX];
	uint8_t wire[PREFIX_WIRE_MAX];
	struct prefix p, out;
	const uint8_t *q;
	size_t left, i, j, n;
	unsigned seed = 12345;

	for (i = 0; i < 5000; i++) {
		uint16_t proto = protos[rand_r(&seed) % ARRAY_SIZE(protos)];
		unsigned len;

		memset(&p, 0, sizeof(p));
		p.a.inst = INST(proto, rand_r(&seed) % 4 ? 0 : rand_r(&seed));
		len = proto == AP_ETHER ? 6 : proto == AP_IPV4 ? 4 :
		      proto == AP_IPV6 ? 16 : (unsigned)rand_r(&seed) % 33;
		if (rand_r(&seed) % 10 == 0)
			len = 0;
		p.a.len = (uint8_t)len;
		for (j = 0; j < len; j++)
			p.a.b[j] = proto == AP_CHAT ?
				   (uint8_t)("abcXYZ019._-!~"[rand_r(&seed) % 14]) :
				   (uint8_t)rand_r(&seed);
		p.bits = (uint16_t)(proto == AP_CHAT ? 8 * len :
				    (unsigned)rand_r(&seed) % (8 * len + 1));
		for (j = 0; j < 8 * len; j++)
			if (j >= p.bits)
				p.a.b[j / 8] &= (uint8_t)~(0x80u >> (j % 8));
		ck_assert(prefix_valid(&p));
		prefix_format(&p, buf, sizeof(buf));
		ck_assert_msg(prefix_parse(buf, &out), "%s", buf);
		ck_assert_msg(prefix_equal(&out, &p), "%s", buf);
		ck_assert(prefix_covers(&p, &p.a));
		n = prefix_encode(wire, sizeof(wire), &p);
		ck_assert_uint_eq(n, 7 + len);
		q = wire;
		left = n;
		ck_assert(prefix_decode(&q, &left, &out));
		ck_assert(prefix_equal(&out, &p));
	}
}
END_TEST

/* Every prefix length of one IPv4 address: masked, formatted, covering. */
START_TEST(ipv4_every_length)
{
	struct addr a = addr_of("ipv4:172.31.255.129");
	char buf[ADDR_TEXT_MAX];
	struct prefix p, out;
	unsigned bits, j;

	for (bits = 0; bits <= 32; bits++) {
		prefix_host(&p, &a);
		p.bits = (uint16_t)bits;
		for (j = bits; j < 32; j++)
			p.a.b[j / 8] &= (uint8_t)~(0x80u >> (j % 8));
		ck_assert(prefix_valid(&p));
		ck_assert(prefix_covers(&p, &a));
		prefix_format(&p, buf, sizeof(buf));
		ck_assert(prefix_parse(buf, &out));
		ck_assert(prefix_equal(&out, &p));
		if (bits < 32) {
			/* with the host bits left set it is refused */
			struct prefix host;

			prefix_host(&host, &a);
			host.bits = (uint16_t)bits;
			ck_assert(!prefix_valid(&host));
			prefix_format(&host, buf, sizeof(buf));
			ck_assert(!prefix_parse(buf, &out));
		}
	}
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tt = tcase_create("text");
	TCase *tc = tcase_create("covers");
	TCase *tw = tcase_create("wire");

	tcase_add_test(tt, parse_format_canonical);
	tcase_add_test(tt, parse_values);
	tcase_add_test(tt, parse_normalises);
	tcase_add_test(tt, parse_rejects);
	tcase_add_test(tt, inst_text);
	tcase_add_test(tt, format_truncates);
	tcase_add_test(tt, format_longest);
	tcase_add_test(tt, addr_text);
	tcase_add_test(tt, valid_lengths);
	tcase_add_test(tt, valid_bits_and_tail);
	tcase_add_test(tt, ipv4_every_length);
	suite_add_tcase(s, tt);
	tcase_add_test(tc, covers_basic);
	tcase_add_test(tc, covers_instances);
	tcase_add_test(tc, covers_longest_match);
	tcase_add_test(tc, equal);
	suite_add_tcase(s, tc);
	tcase_add_test(tw, wire_layout);
	tcase_add_test(tw, wire_roundtrip_all);
	tcase_add_test(tw, wire_truncated);
	tcase_add_test(tw, wire_rejects);
	tcase_add_test(tw, encode_refuses_invalid);
	tcase_add_test(tw, random_roundtrip);
	suite_add_tcase(s, tw);
	return s;
}

int main(void)
{
	return check_run(addr_suite());
}
