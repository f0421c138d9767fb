/*
 * check_gateproto.c - unit tests for lib/gateproto.c: every message a gate
 * or cloud sends round-trips, and every malformed datagram a broken or
 * hostile gate could send (truncated anywhere, trailing bytes, bad flags,
 * too many prefixes, bad names, empty or oversized payloads) is refused.
 * Decoding runs on exact-size heap copies so an overread shows up under
 * valgrind or ASan.
 */
#include "config.h"
#include "gateproto.h"
#include "testutil.h"
#include "wire.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Decode an exact-size copy; on success *m points into the copy, which
 * the caller frees (NULL on failure). */
static bool decode(const uint8_t *buf, size_t len, struct gate_msg *m,
		   uint8_t **copy)
{
	uint8_t *c = dup_exact(buf, len);
	bool ok = gate_decode(c, len, m);

	if (ok && copy) {
		*copy = c;
		return true;
	}
	free(c);
	if (copy)
		*copy = NULL;
	return ok;
}

static bool decodes(const uint8_t *buf, size_t len)
{
	struct gate_msg m;

	return decode(buf, len, &m, NULL);
}

static struct prefix pfx(const char *s)
{
	struct prefix p;

	ck_assert_msg(prefix_parse(s, &p), "%s", s);
	return p;
}

static struct addr adr(const char *s)
{
	return pfx(s).a;
}

/* Same instance, length and bytes (those past len included). */
static bool addr_same(const struct addr *x, const struct addr *y)
{
	return x->inst == y->inst && x->len == y->len &&
	       !memcmp(x->b, y->b, sizeof(x->b));
}

/* ---- HELLO ---- */

START_TEST(hello_roundtrip)
{
	static const uint8_t want[] = { GM_HELLO, 0, 0, GATE_PROTO_VERSION, 10,
					'e', 't', 'h', 'e', 'r', '-', 'g', 'a',
					't', 'e' };
	uint8_t buf[64], *c;
	struct gate_msg m;
	size_t n;

	n = gate_enc_hello(buf, sizeof(buf), "ether-gate");
	ck_assert_uint_eq(n, sizeof(want));
	ck_assert_mem_eq(buf, want, n);
	ck_assert(decode(buf, n, &m, &c));
	ck_assert_uint_eq(m.type, GM_HELLO);
	ck_assert_uint_eq(m.flags, 0);
	ck_assert_uint_eq(m.hello.version, GATE_PROTO_VERSION);
	ck_assert_str_eq(m.hello.name, "ether-gate");
	free(c);
	/* any version decodes: whether it is supported is cloud's call */
	buf[2] = 0xff;
	buf[3] = 0xfe;
	ck_assert(decode(buf, n, &m, NULL));
	ck_assert_uint_eq(m.hello.version, 0xfffe);
	/* exact room fits, one byte less does not */
	ck_assert_uint_eq(gate_enc_hello(buf, n, "ether-gate"), n);
	ck_assert_uint_eq(gate_enc_hello(buf, n - 1, "ether-gate"), 0);
}
END_TEST

START_TEST(hello_names)
{
	static const char *const bad[] = {
		"", "a b", "a/b", "a:b", "caf\xc3\xa9", "a\x7f", "tab\t", "a@b",
	};
	char name[GATE_NAME_MAX + 2];
	uint8_t buf[128];
	struct gate_msg m;
	size_t i, n;

	memset(name, 'x', sizeof(name));
	name[GATE_NAME_MAX] = '\0';
	n = gate_enc_hello(buf, sizeof(buf), name);
	ck_assert_uint_eq(n, 5 + GATE_NAME_MAX);
	ck_assert(decode(buf, n, &m, NULL));
	ck_assert_str_eq(m.hello.name, name);
	/* one more: refused both ways */
	name[GATE_NAME_MAX] = 'x';
	name[GATE_NAME_MAX + 1] = '\0';
	ck_assert_uint_eq(gate_enc_hello(buf, sizeof(buf), name), 0);
	buf[4] = GATE_NAME_MAX + 1;
	buf[n] = 'x';
	ck_assert(!decodes(buf, n + 1));
	ck_assert_uint_eq(gate_enc_hello(buf, sizeof(buf), "A-z_0.9"), 12);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ck_assert_uint_eq(gate_enc_hello(buf, sizeof(buf), bad[i]), 0);
		n = strlen(bad[i]);
		buf[4] = (uint8_t)n;
		memcpy(buf + 5, bad[i], n);
		ck_assert_msg(!decodes(buf, 5 + n), "%s", bad[i]);
	}
	/* a NUL inside the name */
	memcpy(buf + 5, "ab\0d", 4);
	buf[4] = 4;
	ck_assert(!decodes(buf, 9));
}
END_TEST

/* ---- ANNOUNCE / ROUTES ---- */

static const char *const ann_list[] = {
	"ipv4:10.1.2.3", "ipv4:192.168.50.0/24", "ipv4:*", "ipv6.7:fd00::/64",
	"ether:02:00:5e:00:00:01", "ether.3:*", "chat:alice", "p513.2:0a0b00/20",
	"ipv4:0.0.0.0/0",
};

START_TEST(announce_roundtrip)
{
	struct prefix ps[ARRAY_SIZE(ann_list)], p;
	uint8_t buf[1024], *c;
	static const uint8_t types[] = { GM_ANNOUNCE, GM_ROUTES };
	struct gate_msg m;
	size_t i, n, off, t;
	uint8_t op;

	for (i = 0; i < ARRAY_SIZE(ann_list); i++)
		ps[i] = pfx(ann_list[i]);
	for (t = 0; t < ARRAY_SIZE(types); t++) {
		for (op = ANN_REPLACE; op <= ANN_REMOVE; op++) {
			n = gate_enc_announce(buf, sizeof(buf), types[t], op, ps,
					      ARRAY_SIZE(ps));
			ck_assert_uint_gt(n, 5);
			ck_assert_uint_eq(buf[0], types[t]);
			ck_assert_uint_eq(buf[2], op);
			ck_assert(decode(buf, n, &m, &c));
			ck_assert_uint_eq(m.type, types[t]);
			ck_assert_uint_eq(m.ann.op, op);
			ck_assert_uint_eq(m.ann.count, ARRAY_SIZE(ps));
			ck_assert_ptr_eq(m.ann.list, c + 5);
			ck_assert_uint_eq(m.ann.list_len, n - 5);
			off = 0;
			for (i = 0; i < ARRAY_SIZE(ps); i++) {
				ck_assert(gate_ann_next(&m, &off, &p));
				ck_assert_msg(prefix_equal(&p, &ps[i]), "%s",
					      ann_list[i]);
			}
			ck_assert_uint_eq(off, m.ann.list_len);
			ck_assert(!gate_ann_next(&m, &off, &p));
			free(c);
			/* exact room fits, one byte less does not */
			ck_assert_uint_eq(gate_enc_announce(buf, n, types[t], op,
							    ps, ARRAY_SIZE(ps)), n);
			ck_assert_uint_eq(gate_enc_announce(buf, n - 1, types[t],
							    op, ps, ARRAY_SIZE(ps)), 0);
		}
	}
}
END_TEST

START_TEST(announce_empty)
{
	static const uint8_t want[] = { GM_ANNOUNCE, 0, ANN_REPLACE, 0, 0 };
	uint8_t buf[16];
	struct gate_msg m;
	size_t n, off = 0;
	struct prefix p;

	/* REPLACE with nothing: the gate owns nothing any more */
	n = gate_enc_announce(buf, sizeof(buf), GM_ANNOUNCE, ANN_REPLACE, NULL, 0);
	ck_assert_uint_eq(n, sizeof(want));
	ck_assert_mem_eq(buf, want, n);
	ck_assert(decode(buf, n, &m, NULL));
	ck_assert_uint_eq(m.ann.count, 0);
	ck_assert_uint_eq(m.ann.list_len, 0);
	ck_assert(!gate_ann_next(&m, &off, &p));
	ck_assert_uint_eq(gate_enc_announce(buf, 4, GM_ANNOUNCE, ANN_ADD, NULL, 0), 0);
}
END_TEST

START_TEST(announce_limits)
{
	size_t cap = 5 + (GATE_ANNOUNCE_MAX + 1) * PREFIX_WIRE_MAX, n, off = 0;
	struct prefix *ps = calloc(GATE_ANNOUNCE_MAX + 1, sizeof(*ps)), p;
	uint8_t *buf = malloc(cap), *c;
	struct gate_msg m;
	size_t i;

	ck_assert_ptr_nonnull(ps);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i <= GATE_ANNOUNCE_MAX; i++) {
		ps[i].a.inst = INST(AP_IPV4, 0);
		ps[i].a.len = 4;
		ps[i].bits = 32;
		ps[i].a.b[0] = 10;
		ps[i].a.b[2] = (uint8_t)(i >> 8);
		ps[i].a.b[3] = (uint8_t)i;
	}
	n = gate_enc_announce(buf, cap, GM_ANNOUNCE, ANN_ADD, ps,
			      GATE_ANNOUNCE_MAX);
	ck_assert_uint_eq(n, 5 + GATE_ANNOUNCE_MAX * 11);
	ck_assert(decode(buf, n, &m, &c));
	ck_assert_uint_eq(m.ann.count, GATE_ANNOUNCE_MAX);
	for (i = 0; i < GATE_ANNOUNCE_MAX; i++) {
		ck_assert(gate_ann_next(&m, &off, &p));
		ck_assert(prefix_equal(&p, &ps[i]));
	}
	ck_assert(!gate_ann_next(&m, &off, &p));
	free(c);
	/* one more: refused both ways */
	ck_assert_uint_eq(gate_enc_announce(buf, cap, GM_ANNOUNCE, ANN_ADD, ps,
					    GATE_ANNOUNCE_MAX + 1), 0);
	n = gate_enc_announce(buf, cap, GM_ANNOUNCE, ANN_ADD, ps,
			      GATE_ANNOUNCE_MAX);
	memcpy(buf + n, buf + 5, 11);
	buf[3] = (GATE_ANNOUNCE_MAX + 1) >> 8;
	buf[4] = (GATE_ANNOUNCE_MAX + 1) & 0xff;
	ck_assert(!decodes(buf, n + 11));
	free(ps);
	free(buf);
}
END_TEST

START_TEST(announce_malformed)
{
	struct prefix ps[3] = { pfx("ipv4:10.0.0.0/8"), pfx("ipv4:*"),
				pfx("ipv6:fd00::/64") }, bad;
	uint8_t buf[256];
	size_t n;

	n = gate_enc_announce(buf, sizeof(buf), GM_ANNOUNCE, ANN_ADD, ps, 3);
	ck_assert(decodes(buf, n));
	/* count says more than there is, or less (trailing bytes) */
	buf[4] = 4;
	ck_assert(!decodes(buf, n));
	buf[4] = 2;
	ck_assert(!decodes(buf, n));
	buf[4] = 3;
	buf[n] = 0;
	ck_assert(!decodes(buf, n + 1));
	/* op out of range */
	buf[2] = ANN_REMOVE + 1;
	ck_assert(!decodes(buf, n));
	buf[2] = 0xff;
	ck_assert(!decodes(buf, n));
	buf[2] = ANN_REMOVE;
	ck_assert(decodes(buf, n));
	/* a prefix with host bits set */
	buf[5 + 7 + 3] = 1;	/* last byte of 10.0.0.0/8 */
	ck_assert(!decodes(buf, n));
	buf[5 + 7 + 3] = 0;
	/* bits beyond the length */
	buf[5 + 5] = 33;
	ck_assert(!decodes(buf, n));
	buf[5 + 5] = 8;
	ck_assert(decodes(buf, n));
	/* the encoder refuses invalid input */
	bad = ps[0];
	bad.a.b[3] = 1;
	ck_assert_uint_eq(gate_enc_announce(buf, sizeof(buf), GM_ANNOUNCE,
					    ANN_ADD, &bad, 1), 0);
	ck_assert_uint_eq(gate_enc_announce(buf, sizeof(buf), GM_ANNOUNCE,
					    ANN_REMOVE + 1, ps, 3), 0);
	ck_assert_uint_eq(gate_enc_announce(buf, sizeof(buf), GM_PACKET,
					    ANN_ADD, ps, 3), 0);
	ck_assert_uint_eq(gate_enc_announce(buf, sizeof(buf), GM_HELLO,
					    ANN_ADD, ps, 3), 0);
}
END_TEST

/* ---- PACKET ---- */

static const char *const pkt_addrs[][2] = {
	{ "ipv4:10.1.2.3", "ipv4:10.9.9.9" },
	{ "ipv6.7:fd00::1", "ipv6.7:fd00::2" },
	{ "ether:02:00:5e:00:00:01", "ether:02:00:5e:00:00:02" },
	{ "ether.4:*", "ether.4:02:00:5e:00:00:02" },
	{ "chat:alice", "chat:bob" },
	{ "chat:*", "chat:bob" },
	{ "p513:0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
	  "p513:ff" },
	{ "p514:*", "p514:*" },
};

START_TEST(packet_roundtrip)
{
	static const uint8_t payload[] = { 0x45, 0, 0, 0x54, 0xde, 0xad };
	static const char *const origins[] = { NULL, "", "node-a.example_1" };
	uint8_t buf[256], *c;
	struct gate_msg m;
	size_t i, o, n, hdr;
	uint8_t flags;

	for (i = 0; i < ARRAY_SIZE(pkt_addrs); i++) {
		struct addr dst = adr(pkt_addrs[i][0]), src = adr(pkt_addrs[i][1]);
		uint32_t inst = dst.inst;

		for (o = 0; o < ARRAY_SIZE(origins); o++) {
			size_t olen = origins[o] ? strlen(origins[o]) : 0;

			for (flags = 0; flags <= PKT_FLOOD_UNKNOWN; flags++) {
				n = gate_enc_packet(buf, sizeof(buf), flags, inst,
						    &dst, &src, origins[o],
						    payload, sizeof(payload));
				hdr = 2 + 4 + 3 + dst.len + src.len + olen;
				ck_assert_uint_eq(n, hdr + sizeof(payload));
				ck_assert(decode(buf, n, &m, &c));
				ck_assert_uint_eq(m.type, GM_PACKET);
				ck_assert_uint_eq(m.flags, flags);
				ck_assert_uint_eq(m.pkt.inst, inst);
				ck_assert(addr_same(&m.pkt.dst, &dst));
				ck_assert(addr_same(&m.pkt.src, &src));
				ck_assert_str_eq(m.pkt.origin,
						 origins[o] ? origins[o] : "");
				ck_assert_ptr_eq(m.pkt.payload, c + hdr);
				ck_assert_uint_eq(m.pkt.len, sizeof(payload));
				ck_assert_mem_eq(m.pkt.payload, payload,
						 sizeof(payload));
				free(c);
				ck_assert_uint_eq(gate_enc_packet(buf, n - 1, flags,
					inst, &dst, &src, origins[o], payload,
					sizeof(payload)), 0);
			}
		}
	}
}
END_TEST

/* The addresses take their instance from the message. */
START_TEST(packet_inst_from_message)
{
	struct addr dst = adr("ipv4:10.0.0.1"), src = adr("ipv4:10.0.0.2");
	uint8_t buf[64];
	struct gate_msg m;
	size_t n;

	dst.inst = 0;
	src.inst = INST(AP_IPV6, 3);
	n = gate_enc_packet(buf, sizeof(buf), 0, INST(AP_IPV4, 9), &dst, &src,
			    NULL, "x", 1);
	ck_assert_uint_gt(n, 0);
	ck_assert(decode(buf, n, &m, NULL));
	ck_assert_uint_eq(m.pkt.dst.inst, INST(AP_IPV4, 9));
	ck_assert_uint_eq(m.pkt.src.inst, INST(AP_IPV4, 9));
	/* but must be valid for it: 4-byte addresses are not ipv6 */
	ck_assert_uint_eq(gate_enc_packet(buf, sizeof(buf), 0, INST(AP_IPV6, 0),
					  &dst, &src, NULL, "x", 1), 0);
}
END_TEST

START_TEST(packet_payload_limits)
{
	size_t cap = GATE_MSG_MAX + 16, n;
	uint8_t *buf = malloc(cap), *payload = calloc(1, GATE_PAYLOAD_MAX + 1), *c;
	struct addr dst = adr("ether:02:00:5e:00:00:01");
	struct addr src = adr("ether:02:00:5e:00:00:02");
	struct gate_msg m;

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(payload);
	n = gate_enc_packet(buf, cap, 0, dst.inst, &dst, &src, NULL, payload,
			    GATE_PAYLOAD_MAX);
	ck_assert_uint_eq(n, 2 + 4 + 3 + 12 + GATE_PAYLOAD_MAX);
	ck_assert_uint_le(n, GATE_MSG_MAX);
	ck_assert(decode(buf, n, &m, &c));
	ck_assert_uint_eq(m.pkt.len, GATE_PAYLOAD_MAX);
	free(c);
	/* one more byte of payload: refused both ways */
	ck_assert_uint_eq(gate_enc_packet(buf, cap, 0, dst.inst, &dst, &src,
					  NULL, payload, GATE_PAYLOAD_MAX + 1), 0);
	buf[n] = 0;
	ck_assert(!decodes(buf, n + 1));
	/* empty payload: refused both ways */
	ck_assert_uint_eq(gate_enc_packet(buf, cap, 0, dst.inst, &dst, &src,
					  NULL, payload, 0), 0);
	ck_assert(!decodes(buf, 2 + 4 + 3 + 12));
	ck_assert(decodes(buf, 2 + 4 + 3 + 12 + 1));
	free(buf);
	free(payload);
}
END_TEST

START_TEST(packet_malformed)
{
	struct addr dst = adr("ipv4:10.0.0.1"), src = adr("ipv4:10.0.0.2");
	struct addr bad;
	uint8_t buf[256];
	char origin[GATE_NAME_MAX + 2];
	size_t n;
	unsigned f;

	n = gate_enc_packet(buf, sizeof(buf), 0, dst.inst, &dst, &src, "node",
			    "xy", 2);
	ck_assert(decodes(buf, n));
	/* flags: only PKT_FLOOD_UNKNOWN */
	for (f = 2; f <= 0xff; f++) {
		buf[1] = (uint8_t)f;
		ck_assert_msg(!decodes(buf, n), "flags %#x", f);
		ck_assert_uint_eq(gate_enc_packet(buf + 128, 128, (uint8_t)f,
						  dst.inst, &dst, &src, NULL,
						  "x", 1), 0);
	}
	buf[1] = 0;
	/* dst of 5 bytes is not ipv4 */
	buf[6] = 5;
	ck_assert(!decodes(buf, n));
	buf[6] = 4;
	ck_assert(decodes(buf, n));
	/* 4-byte addresses are not ipv6 */
	buf[3] = AP_IPV6;
	ck_assert(!decodes(buf, n));
	buf[3] = AP_IPV4;
	ck_assert(decodes(buf, n));
	/* origin: empty or a valid name */
	n = gate_enc_packet(buf, sizeof(buf), 0, dst.inst, &dst, &src, "a",
			    "xy", 2);
	ck_assert(decodes(buf, n));
	buf[n - 3] = ' ';
	ck_assert(!decodes(buf, n));
	ck_assert_uint_eq(gate_enc_packet(buf, sizeof(buf), 0, dst.inst, &dst,
					  &src, "a b", "x", 1), 0);
	memset(origin, 'o', sizeof(origin));
	origin[GATE_NAME_MAX] = '\0';
	n = gate_enc_packet(buf, sizeof(buf), 0, dst.inst, &dst, &src, origin,
			    "x", 1);
	ck_assert(decodes(buf, n));
	origin[GATE_NAME_MAX] = 'o';
	origin[GATE_NAME_MAX + 1] = '\0';
	ck_assert_uint_eq(gate_enc_packet(buf, sizeof(buf), 0, dst.inst, &dst,
					  &src, origin, "x", 1), 0);
	/* invalid addresses are refused by the encoder */
	bad = dst;
	bad.len = 6;
	ck_assert_uint_eq(gate_enc_packet(buf, sizeof(buf), 0, dst.inst, &bad,
					  &src, NULL, "x", 1), 0);
	ck_assert_uint_eq(gate_enc_packet(buf, sizeof(buf), 0, dst.inst, &dst,
					  &bad, NULL, "x", 1), 0);
	bad.len = 40;
	ck_assert_uint_eq(gate_enc_packet(buf, sizeof(buf), 0, INST(99, 0),
					  &bad, &src, NULL, "x", 1), 0);
	bad = adr("chat:bob");
	bad.b[1] = ' ';
	ck_assert_uint_eq(gate_enc_packet(buf, sizeof(buf), 0, bad.inst,
					  &bad, &bad, NULL, "x", 1), 0);
}
END_TEST

START_TEST(packet_address_bytes)
{
	/* hand-made: p99, dst of 33 bytes */
	uint8_t buf[2 + 4 + 1 + 33 + 1 + 1 + 1] = { GM_PACKET, 0, 0, 99, 0, 0,
						    33 };
	struct gate_msg m;
	size_t n = sizeof(buf);

	buf[n - 3] = 0;		/* src */
	buf[n - 2] = 0;		/* origin */
	buf[n - 1] = 'x';	/* payload */
	ck_assert(!decodes(buf, n));
	buf[6] = 32;		/* 32 bytes, then src 0, origin 0, "x" + 1 */
	ck_assert(decodes(buf, n));
	ck_assert(decode(buf, n, &m, NULL));
	ck_assert_uint_eq(m.pkt.dst.len, 32);
	ck_assert_uint_eq(m.pkt.src.len, 0);
	ck_assert_uint_eq(m.pkt.len, 2);
	/* chat dst with a space in it */
	memcpy(buf, (const uint8_t[]){ GM_PACKET, 0, 0, AP_CHAT, 0, 0, 3, 'a',
				       ' ', 'b', 0, 0, 'x' }, 13);
	ck_assert(!decodes(buf, 13));
	buf[8] = '_';
	ck_assert(decodes(buf, 13));
}
END_TEST

/* ---- UNREACHABLE ---- */

START_TEST(unreachable_roundtrip)
{
	static uint8_t head[GATE_UNREACH_HEAD + 1];
	struct addr dst = adr("ipv6.7:fd00::99");
	uint8_t buf[256], *c;
	struct gate_msg m;
	size_t n, len;

	for (len = 0; len <= GATE_UNREACH_HEAD; len += 64) {
		memset(head, (int)len, sizeof(head));
		n = gate_enc_unreachable(buf, sizeof(buf), dst.inst, &dst, head,
					 len);
		ck_assert_uint_eq(n, 2 + 4 + 1 + 16 + len);
		ck_assert(decode(buf, n, &m, &c));
		ck_assert_uint_eq(m.type, GM_UNREACHABLE);
		ck_assert_uint_eq(m.unreach.inst, dst.inst);
		ck_assert(addr_same(&m.unreach.dst, &dst));
		ck_assert_uint_eq(m.unreach.len, len);
		ck_assert_ptr_eq(m.unreach.head, c + 2 + 4 + 1 + 16);
		if (len)
			ck_assert_mem_eq(m.unreach.head, head, len);
		free(c);
		ck_assert_uint_eq(gate_enc_unreachable(buf, n - 1, dst.inst,
						       &dst, head, len), 0);
	}
	/* one byte more than GATE_UNREACH_HEAD: refused both ways */
	ck_assert_uint_eq(gate_enc_unreachable(buf, sizeof(buf), dst.inst, &dst,
					       head, GATE_UNREACH_HEAD + 1), 0);
	n = gate_enc_unreachable(buf, sizeof(buf), dst.inst, &dst, head,
				 GATE_UNREACH_HEAD);
	buf[n] = 0;
	ck_assert(!decodes(buf, n + 1));
	/* flags, and a dst wrong for the protocol */
	buf[1] = 1;
	ck_assert(!decodes(buf, n));
	buf[1] = 0;
	buf[6] = 4;
	ck_assert(!decodes(buf, n));
	dst.len = 4;
	ck_assert_uint_eq(gate_enc_unreachable(buf, sizeof(buf), dst.inst, &dst,
					       head, 1), 0);
}
END_TEST

/* ---- KEEPALIVE, ERROR ---- */

START_TEST(keepalive)
{
	uint8_t buf[4] = { 0 };
	struct gate_msg m;

	ck_assert_uint_eq(gate_enc_keepalive(buf, 1), 0);
	ck_assert_uint_eq(gate_enc_keepalive(buf, sizeof(buf)), 2);
	ck_assert_uint_eq(buf[0], GM_KEEPALIVE);
	ck_assert_uint_eq(buf[1], 0);
	ck_assert(decode(buf, 2, &m, NULL));
	ck_assert_uint_eq(m.type, GM_KEEPALIVE);
	ck_assert(!decodes(buf, 3));	/* the body is empty */
	buf[1] = 0x80;
	ck_assert(!decodes(buf, 2));
}
END_TEST

START_TEST(error_roundtrip)
{
	char text[GATE_ERROR_TEXT_MAX + 2];
	uint8_t buf[256], *c;
	struct gate_msg m;
	size_t n;

	n = gate_enc_error(buf, sizeof(buf), GERR_LIMIT,
			   "too many prefixes (1025 > 1024) ~ drop");
	ck_assert_uint_eq(n, 5 + strlen("too many prefixes (1025 > 1024) ~ drop"));
	ck_assert_uint_eq(buf[2], 0);
	ck_assert_uint_eq(buf[3], GERR_LIMIT);
	ck_assert(decode(buf, n, &m, &c));
	ck_assert_uint_eq(m.type, GM_ERROR);
	ck_assert_uint_eq(m.err.code, GERR_LIMIT);
	ck_assert_str_eq(m.err.text, "too many prefixes (1025 > 1024) ~ drop");
	free(c);
	ck_assert_uint_eq(gate_enc_error(buf, n - 1, GERR_LIMIT,
			  "too many prefixes (1025 > 1024) ~ drop"), 0);
	/* empty text, NULL text, any code */
	n = gate_enc_error(buf, sizeof(buf), 0xffff, NULL);
	ck_assert_uint_eq(n, 5);
	ck_assert(decode(buf, n, &m, NULL));
	ck_assert_uint_eq(m.err.code, 0xffff);
	ck_assert_str_eq(m.err.text, "");
	ck_assert_uint_eq(gate_enc_error(buf, sizeof(buf), 1, ""), 5);
	/* GATE_ERROR_TEXT_MAX fits, one more does not */
	memset(text, ' ', sizeof(text));
	text[GATE_ERROR_TEXT_MAX] = '\0';
	n = gate_enc_error(buf, sizeof(buf), GERR_MALFORMED, text);
	ck_assert_uint_eq(n, 5 + GATE_ERROR_TEXT_MAX);
	ck_assert(decode(buf, n, &m, NULL));
	ck_assert_str_eq(m.err.text, text);
	text[GATE_ERROR_TEXT_MAX] = 'x';
	text[GATE_ERROR_TEXT_MAX + 1] = '\0';
	ck_assert_uint_eq(gate_enc_error(buf, sizeof(buf), 1, text), 0);
	buf[4] = GATE_ERROR_TEXT_MAX + 1;
	buf[n] = 'x';
	ck_assert(!decodes(buf, n + 1));
}
END_TEST

START_TEST(error_text_printable)
{
	static const uint8_t bad[] = { 0x00, 0x09, 0x0a, 0x1f, 0x7f, 0x80, 0xff };
	uint8_t buf[16];
	char text[4] = "a?b";
	size_t i, n;

	n = gate_enc_error(buf, sizeof(buf), 1, "a b");
	ck_assert(decodes(buf, n));
	for (i = 0; i < sizeof(bad); i++) {
		buf[6] = bad[i];
		ck_assert_msg(!decodes(buf, n), "byte %#x", bad[i]);
		text[1] = (char)bad[i];
		if (bad[i])
			ck_assert_uint_eq(gate_enc_error(buf + 8, 8, 1, text), 0);
	}
	/* trailing byte after the text */
	buf[6] = ' ';
	buf[n] = 'x';
	ck_assert(!decodes(buf, n + 1));
}
END_TEST

/* ---- every type ---- */

/* One valid message of each type, and how many leading bytes are fixed
 * (cut before that: refused; after that only PACKET/UNREACHABLE bodies
 * end anywhere). */
static size_t sample(uint8_t type, uint8_t *buf, size_t cap, size_t *fixed)
{
	struct prefix ps[2] = { pfx("ipv4:10.0.0.0/8"), pfx("ether:*") };
	struct addr dst = adr("ipv4:10.0.0.1"), src = adr("ipv4:10.0.0.2");
	size_t n = 0;

	switch (type) {
	case GM_HELLO:
		n = gate_enc_hello(buf, cap, "ip-gate");
		break;
	case GM_ANNOUNCE:
	case GM_ROUTES:
		n = gate_enc_announce(buf, cap, type, ANN_ADD, ps, 2);
		break;
	case GM_PACKET:
		n = gate_enc_packet(buf, cap, PKT_FLOOD_UNKNOWN, dst.inst, &dst,
				    &src, "node", "payload", 7);
		*fixed = n - 6;		/* up to and with 1 payload byte */
		return n;
	case GM_UNREACHABLE:
		n = gate_enc_unreachable(buf, cap, dst.inst, &dst, "head", 4);
		*fixed = n - 4;
		return n;
	case GM_KEEPALIVE:
		n = gate_enc_keepalive(buf, cap);
		break;
	case GM_ERROR:
		n = gate_enc_error(buf, cap, GERR_PROTOCOL, "no hello");
		break;
	case GM_DEVICE:
		n = gate_enc_device(buf, cap, 0, DEV_TUN_IP, 3, 1420, 1380, 1360);
		break;
	case GM_DEVICE_ACK:
		n = gate_enc_device_ack(buf, cap, false, "handoff off");
		break;
	case GM_DEVICE_PACKET:
		n = gate_enc_device_packet(buf, cap, "packet", 6);
		*fixed = 3;		/* type, flags, 1 payload byte */
		return n;
	}
	*fixed = n;
	return n;
}

START_TEST(truncated_every_offset)
{
	uint8_t buf[256], type;
	struct gate_msg m;
	size_t n, fixed, cut;
	uint8_t *c;

	for (type = 1; type < GM_TYPE_MAX; type++) {
		n = sample(type, buf, sizeof(buf), &fixed);
		ck_assert_uint_gt(n, 0);
		ck_assert(decodes(buf, n));
		for (cut = 0; cut < n; cut++) {
			bool ok = decode(buf, cut, &m, &c);

			ck_assert_msg(ok == (cut >= fixed), "%s cut at %zu",
				      gate_msg_name(type), cut);
			if (ok) {
				ck_assert_uint_eq(m.type, type);
				free(c);
			}
		}
	}
}
END_TEST

START_TEST(trailing_and_flags)
{
	uint8_t buf[256], type;
	size_t n, fixed;
	unsigned f;

	for (type = 1; type < GM_TYPE_MAX; type++) {
		n = sample(type, buf, sizeof(buf), &fixed);
		if (type != GM_PACKET && type != GM_UNREACHABLE && type != GM_DEVICE_PACKET) {
			buf[n] = 0;
			ck_assert_msg(!decodes(buf, n + 1), "%s trailing",
				      gate_msg_name(type));
		}
		for (f = 1; f <= 0xff; f++) {
			buf[1] = (uint8_t)f;
			ck_assert_msg(decodes(buf, n) ==
				      ((type == GM_PACKET && f == PKT_FLOOD_UNKNOWN) ||
				       (type == GM_DEVICE && f == DEV_VNET_HDR)),
				      "%s flags %#x", gate_msg_name(type), f);
		}
	}
}
END_TEST

START_TEST(device_roundtrip)
{
	uint8_t buf[64];
	struct gate_msg m;
	size_t n;
	uint8_t *c;

	n = gate_enc_device(buf, sizeof(buf), DEV_VNET_HDR, DEV_TUN_IP, 0x0102, 1420, 1380, 0);
	ck_assert_uint_eq(n, 11);
	ck_assert(decode(buf, n, &m, &c));
	ck_assert_uint_eq(m.type, GM_DEVICE);
	ck_assert_uint_eq(m.flags, DEV_VNET_HDR);
	ck_assert_uint_eq(m.dev.kind, DEV_TUN_IP);
	ck_assert_uint_eq(m.dev.net, 0x0102);
	ck_assert_uint_eq(m.dev.mtu, 1420);
	ck_assert_uint_eq(m.dev.mss4, 1380);
	ck_assert_uint_eq(m.dev.mss6, 0);
	free(c);
	/* unknown kinds and MTUs no IP packet fits are refused both ways */
	ck_assert_uint_eq(gate_enc_device(buf, sizeof(buf), 0, 2, 0, 1420, 0, 0), 0);
	ck_assert_uint_eq(gate_enc_device(buf, sizeof(buf), 0x02, DEV_TUN_IP, 0, 1420, 0, 0), 0);
	ck_assert_uint_eq(gate_enc_device(buf, sizeof(buf), 0, DEV_TUN_IP, 0, 67, 0, 0), 0);
	ck_assert_uint_eq(gate_enc_device(buf, 10, 0, DEV_TUN_IP, 0, 1420, 0, 0), 0);
	n = gate_enc_device(buf, sizeof(buf), 0, DEV_TUN_IP, 0, 1420, 0, 0);
	buf[2] = 2;
	ck_assert(!decodes(buf, n));
	buf[2] = DEV_TUN_IP;
	wire_put16(buf + 5, 67);
	ck_assert(!decodes(buf, n));

	n = gate_enc_device_ack(buf, sizeof(buf), true, "");
	ck_assert(decode(buf, n, &m, &c));
	ck_assert(m.devack.accepted);
	ck_assert_str_eq(m.devack.text, "");
	free(c);
	n = gate_enc_device_ack(buf, sizeof(buf), false, "gate_handoff is off");
	ck_assert(decode(buf, n, &m, &c));
	ck_assert(!m.devack.accepted);
	ck_assert_str_eq(m.devack.text, "gate_handoff is off");
	free(c);
	buf[2] = 2;			/* accepted is 0 or 1 */
	ck_assert(!decodes(buf, n));
	ck_assert_uint_eq(gate_enc_device_ack(buf, sizeof(buf), false, "bad\ntext"), 0);

	n = gate_enc_device_packet(buf, sizeof(buf), "\x45\x00", 2);
	ck_assert(decode(buf, n, &m, &c));
	ck_assert_uint_eq(m.devpkt.len, 2);
	ck_assert_mem_eq(m.devpkt.payload, "\x45\x00", 2);
	free(c);
	ck_assert_uint_eq(gate_enc_device_packet(buf, sizeof(buf), "", 0), 0);
	ck_assert(!decodes(buf, 2));
}
END_TEST

START_TEST(unknown_types)
{
	uint8_t buf[8] = { 0 };
	unsigned t;

	ck_assert(!decodes(buf, 0));
	ck_assert(!decodes(buf, 1));
	for (t = 0; t <= 0xff; t++) {
		buf[0] = (uint8_t)t;
		/* nothing but KEEPALIVE is a 2-byte message */
		ck_assert_msg(decodes(buf, 2) == (t == GM_KEEPALIVE), "type %u", t);
		if (t == 0 || t >= GM_TYPE_MAX) {
			ck_assert_msg(!decodes(buf, sizeof(buf)), "type %u", t);
			ck_assert_str_eq(gate_msg_name((uint8_t)t), "unknown");
		} else {
			ck_assert_str_ne(gate_msg_name((uint8_t)t), "unknown");
		}
	}
	ck_assert_str_eq(gate_msg_name(GM_ROUTES), "routes");
	ck_assert_str_eq(gate_msg_name(GM_KEEPALIVE), "keepalive");
	ck_assert_str_eq(gate_msg_name(GM_UNREACHABLE), "unreachable");
}
END_TEST

static Suite *gateproto_suite(void)
{
	Suite *s = suite_create("gateproto");
	TCase *tm = tcase_create("messages");
	TCase *ta = tcase_create("all types");

	tcase_add_test(tm, hello_roundtrip);
	tcase_add_test(tm, hello_names);
	tcase_add_test(tm, announce_roundtrip);
	tcase_add_test(tm, announce_empty);
	tcase_add_test(tm, announce_limits);
	tcase_add_test(tm, announce_malformed);
	tcase_add_test(tm, packet_roundtrip);
	tcase_add_test(tm, packet_inst_from_message);
	tcase_add_test(tm, packet_payload_limits);
	tcase_add_test(tm, packet_malformed);
	tcase_add_test(tm, packet_address_bytes);
	tcase_add_test(tm, unreachable_roundtrip);
	tcase_add_test(tm, keepalive);
	tcase_add_test(tm, error_roundtrip);
	tcase_add_test(tm, error_text_printable);
	tcase_add_test(tm, device_roundtrip);
	suite_add_tcase(s, tm);
	tcase_add_test(ta, truncated_every_offset);
	tcase_add_test(ta, trailing_and_flags);
	tcase_add_test(ta, unknown_types);
	suite_add_tcase(s, ta);
	return s;
}

int main(void)
{
	return check_run(gateproto_suite());
}
