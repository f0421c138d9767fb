/*
 * check_ipv.c - unit tests for lib/ipv.c: IPv4/IPv6 headers parse when
 * well formed and are refused when truncated at any offset or malformed in
 * any field; ICMP errors carry the right type, code, addresses and quote,
 * and checksums that an independent one's-complement sum accepts; the
 * rules on when not to send an error; TCP MSS clamping (lowered in SYNs and
 * SYN-ACKs of both families with a checksum an independent sum accepts,
 * everything else and every malformed option list left byte for byte
 * alone); "ADDR/BITS" parsing; which remote prefixes may be routed into
 * the TUN (too short, local, overlapping an interface's subnet, outside
 * accept_route).
 */
#include "config.h"
#include "ipv.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_a[4] = { 10, 99, 0, 1 }, v4_b[4] = { 10, 99, 0, 7 };
static uint8_t v6_a[16], v6_b[16];

static void setup(void)
{
	inet_pton(AF_INET6, "fd99::1", v6_a);
	inet_pton(AF_INET6, "fd99::7", v6_b);
}

/* An IPv4 packet of `total' bytes with an IHL of ihl words. */
static void make_v4(uint8_t *b, size_t total, unsigned ihl, uint8_t proto,
		    uint16_t frag)
{
	memset(b, 0, total);
	b[0] = (uint8_t)(0x40 | ihl);
	b[2] = (uint8_t)(total >> 8);
	b[3] = (uint8_t)total;
	b[6] = (uint8_t)(frag >> 8);
	b[7] = (uint8_t)frag;
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, v4_a, 4);
	memcpy(b + 16, v4_b, 4);
	for (size_t i = ihl * 4; i < total; i++)
		b[i] = (uint8_t)(i * 7 + 1);
	if (proto == 1 && total > ihl * 4)
		b[ihl * 4] = 8;		/* echo request */
}

static void make_v6(uint8_t *b, size_t plen, uint8_t next)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	b[4] = (uint8_t)(plen >> 8);
	b[5] = (uint8_t)plen;
	b[6] = next;
	b[7] = 64;
	memcpy(b + 8, v6_a, 16);
	memcpy(b + 24, v6_b, 16);
	for (size_t i = 40; i < 40 + plen; i++)
		b[i] = (uint8_t)(i * 13 + 5);
	if (next == 58 && plen)
		b[40] = 128;		/* echo request */
}

/* Written apart from ipv_csum: sum of 16-bit words, folded; a buffer with
 * a correct checksum in it sums to 0xffff. */
static unsigned ref_sum(const uint8_t *b, size_t len, unsigned long start)
{
	unsigned long s = start;

	for (size_t i = 0; i < len; i++)
		s += (i % 2) ? b[i] : (unsigned long)b[i] << 8;
	while (s > 0xffff)
		s = (s >> 16) + (s & 0xffff);
	return (unsigned)s;
}

static unsigned long ref_pseudo6(const uint8_t *ip6, size_t plen)
{
	uint8_t ph[40] = { 0 };

	memcpy(ph, ip6 + 8, 32);
	ph[34] = (uint8_t)(plen >> 8);
	ph[35] = (uint8_t)plen;
	ph[39] = 58;
	return ref_sum(ph, 40, 0);
}

/* ---------------------------------------------------------------- parsing */

START_TEST(v4_good)
{
	uint8_t b[100];
	struct ipv_pkt p;

	make_v4(b, 84, 5, 1, 0x4000);
	ck_assert(ipv_parse(b, 84, 3, &p));
	ck_assert_uint_eq(p.version, 4);
	ck_assert_uint_eq(p.proto, 1);
	ck_assert(p.df);
	ck_assert(!p.later_frag);
	ck_assert_uint_eq(p.hdr_len, 20);
	ck_assert_uint_eq(p.len, 84);
	ck_assert_uint_eq(p.src.inst, INST(AP_IPV4, 3));
	ck_assert_uint_eq(p.dst.inst, INST(AP_IPV4, 3));
	ck_assert_uint_eq(p.src.len, 4);
	ck_assert_mem_eq(p.src.b, v4_a, 4);
	ck_assert_mem_eq(p.dst.b, v4_b, 4);
	/* trailing padding is not part of the packet */
	ck_assert(ipv_parse(b, 100, 0, &p));
	ck_assert_uint_eq(p.len, 84);
	/* options: IHL 6; a bare header; a later fragment */
	make_v4(b, 24, 6, 17, 0);
	ck_assert(ipv_parse(b, 24, 0, &p));
	ck_assert_uint_eq(p.hdr_len, 24);
	ck_assert(!p.df);
	make_v4(b, 20, 5, 6, 0);
	ck_assert(ipv_parse(b, 20, 0, &p));
	make_v4(b, 60, 5, 17, 0x2000 | 185);
	ck_assert(ipv_parse(b, 60, 0, &p));
	ck_assert(p.later_frag);
}
END_TEST

START_TEST(v4_truncated)
{
	uint8_t b[84];
	struct ipv_pkt p;

	make_v4(b, 84, 5, 1, 0);
	for (size_t k = 0; k < 84; k++) {
		uint8_t *cut = malloc(k ? k : 1);

		memcpy(cut, b, k);	/* so that ASan sees any overread */
		ck_assert_msg(!ipv_parse(cut, k, 0, &p), "cut at %zu", k);
		ck_assert(ipv_parse_head(cut, k, 0, &p) == (k >= 20));
		free(cut);
	}
	make_v4(b, 84, 15, 1, 0);	/* 60-byte header */
	for (size_t k = 0; k < 60; k++)
		ck_assert(!ipv_parse_head(b, k, 0, &p));
	ck_assert(ipv_parse_head(b, 60, 0, &p));
}
END_TEST

START_TEST(v4_malformed)
{
	uint8_t b[84];
	struct ipv_pkt p;

	for (unsigned ver = 0; ver < 16; ver++) {
		make_v4(b, 84, 5, 1, 0);
		b[0] = (uint8_t)(ver << 4 | 5);
		if (ver != 4 && ver != 6)
			ck_assert(!ipv_parse(b, 84, 0, &p));
	}
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		make_v4(b, 84, ihl, 1, 0);
		ck_assert(!ipv_parse(b, 84, 0, &p));
		ck_assert(!ipv_parse_head(b, 84, 0, &p));
	}
	make_v4(b, 84, 5, 1, 0);
	b[2] = 0;
	b[3] = 19;			/* total shorter than the header */
	ck_assert(!ipv_parse(b, 84, 0, &p));
	ck_assert(!ipv_parse_head(b, 84, 0, &p));
	make_v4(b, 84, 6, 1, 0);
	b[3] = 23;			/* shorter than a 24-byte header */
	ck_assert(!ipv_parse(b, 84, 0, &p));
	make_v4(b, 84, 5, 1, 0);
	b[3] = 85;			/* claims more than was read */
	ck_assert(!ipv_parse(b, 84, 0, &p));
	ck_assert(ipv_parse_head(b, 84, 0, &p));
	make_v4(b, 40, 15, 1, 0);	/* header longer than the packet */
	ck_assert(!ipv_parse(b, 40, 0, &p));
	ck_assert(!ipv_parse(b, 0, 0, &p));
}
END_TEST

START_TEST(v6_good)
{
	uint8_t b[140];
	struct ipv_pkt p;

	make_v6(b, 64, 58);
	ck_assert(ipv_parse(b, 104, 9, &p));
	ck_assert_uint_eq(p.version, 6);
	ck_assert_uint_eq(p.proto, 58);
	ck_assert_uint_eq(p.hdr_len, 40);
	ck_assert_uint_eq(p.len, 104);
	ck_assert_uint_eq(p.src.inst, INST(AP_IPV6, 9));
	ck_assert_uint_eq(p.src.len, 16);
	ck_assert_mem_eq(p.src.b, v6_a, 16);
	ck_assert_mem_eq(p.dst.b, v6_b, 16);
	ck_assert(ipv_parse(b, 140, 9, &p));
	ck_assert_uint_eq(p.len, 104);
	make_v6(b, 0, 59);		/* no next header, empty payload */
	ck_assert(ipv_parse(b, 40, 0, &p));
	ck_assert_uint_eq(p.len, 40);
	/* fragment header, offset 8 */
	make_v6(b, 16, 44);
	b[42] = 0;
	b[43] = 8;
	ck_assert(ipv_parse(b, 56, 0, &p));
	ck_assert(p.later_frag);
	b[43] = 1;			/* offset 0, more fragments */
	ck_assert(ipv_parse(b, 56, 0, &p));
	ck_assert(!p.later_frag);
}
END_TEST

START_TEST(v6_truncated)
{
	uint8_t b[104];
	struct ipv_pkt p;

	make_v6(b, 64, 58);
	for (size_t k = 0; k < 104; k++) {
		uint8_t *cut = malloc(k ? k : 1);

		memcpy(cut, b, k);
		ck_assert_msg(!ipv_parse(cut, k, 0, &p), "cut at %zu", k);
		ck_assert(ipv_parse_head(cut, k, 0, &p) == (k >= 40));
		free(cut);
	}
}
END_TEST

START_TEST(v6_malformed)
{
	uint8_t b[104];
	struct ipv_pkt p;

	make_v6(b, 64, 58);
	b[0] = 0x50;
	ck_assert(!ipv_parse(b, 104, 0, &p));
	b[0] = 0x70;
	ck_assert(!ipv_parse(b, 104, 0, &p));
	make_v6(b, 64, 58);
	b[5] = 65;			/* payload longer than what was read */
	ck_assert(!ipv_parse(b, 104, 0, &p));
	ck_assert(ipv_parse_head(b, 104, 0, &p));
	b[4] = 0xff;
	b[5] = 0xff;
	ck_assert(!ipv_parse(b, 104, 0, &p));
}
END_TEST

START_TEST(multicast_and_error_rules)
{
	uint8_t b[84], h[60];
	struct ipv_pkt p;

	make_v4(b, 84, 5, 1, 0);
	ck_assert(ipv_parse(b, 84, 0, &p));
	ck_assert(ipv_error_allowed(&p, b, 84));
	b[16] = 224;			/* multicast destination */
	ck_assert(ipv_parse(b, 84, 0, &p));
	ck_assert(ipv_addr_multicast(&p.dst));
	ck_assert(!ipv_error_allowed(&p, b, 84));
	make_v4(b, 84, 5, 1, 0);
	memset(b + 16, 255, 4);		/* limited broadcast */
	ck_assert(ipv_parse(b, 84, 0, &p));
	ck_assert(!ipv_error_allowed(&p, b, 84));
	make_v4(b, 84, 5, 1, 0);
	memset(b + 12, 0, 4);		/* unspecified source */
	ck_assert(ipv_parse(b, 84, 0, &p));
	ck_assert(!ipv_error_allowed(&p, b, 84));
	make_v4(b, 84, 5, 1, 0);
	b[20] = 3;			/* an ICMP error itself */
	ck_assert(ipv_parse(b, 84, 0, &p));
	ck_assert(!ipv_error_allowed(&p, b, 84));
	b[20] = 0;			/* echo reply: fine */
	ck_assert(ipv_error_allowed(&p, b, 84));
	ck_assert(!ipv_error_allowed(&p, b, 20));	/* type unknown */
	make_v4(b, 84, 5, 17, 100);	/* later fragment */
	ck_assert(ipv_parse(b, 84, 0, &p));
	ck_assert(!ipv_error_allowed(&p, b, 84));

	make_v6(h, 20, 58);
	ck_assert(ipv_parse(h, 60, 0, &p));
	ck_assert(ipv_error_allowed(&p, h, 60));
	h[40] = 1;			/* ICMPv6 error */
	ck_assert(!ipv_error_allowed(&p, h, 60));
	make_v6(h, 20, 17);
	h[24] = 0xff;			/* ff02::... */
	h[25] = 0x02;
	ck_assert(ipv_parse(h, 60, 0, &p));
	ck_assert(ipv_addr_multicast(&p.dst));
	ck_assert(!ipv_error_allowed(&p, h, 60));
	make_v6(h, 20, 17);
	memset(h + 8, 0, 16);		/* :: source */
	ck_assert(ipv_parse(h, 60, 0, &p));
	ck_assert(!ipv_error_allowed(&p, h, 60));
}
END_TEST

/* ---------------------------------------------------------------- ICMP */

static const struct addr gw4 = { INST(AP_IPV4, 0), 4, { 10, 99, 0, 254 } };

static void check_v4_error(const uint8_t *e, size_t n, const uint8_t *orig,
			   size_t quote, uint8_t code)
{
	ck_assert_uint_eq(n, 28 + quote);
	ck_assert_uint_eq(e[0], 0x45);
	ck_assert_uint_eq((unsigned)e[2] << 8 | e[3], n);
	ck_assert_uint_eq(e[9], 1);
	ck_assert_uint_gt(e[8], 0);
	ck_assert_uint_eq(ref_sum(e, 20, 0), 0xffff);
	ck_assert_mem_eq(e + 12, gw4.b, 4);
	ck_assert_mem_eq(e + 16, orig + 12, 4);	/* to the sender */
	ck_assert_uint_eq(e[20], 3);
	ck_assert_uint_eq(e[21], code);
	ck_assert_uint_eq(ref_sum(e + 20, n - 20, 0), 0xffff);
	ck_assert_mem_eq(e + 28, orig, quote);
}

START_TEST(icmp_v4_unreach)
{
	uint8_t b[1500], e[IPV_ICMP_MAX];
	size_t n;

	make_v4(b, 1400, 5, 1, 0x4000);
	n = ipv_icmp_error(e, sizeof(e), IPV_UNREACH_HOST, 0, &gw4, b, 1400);
	check_v4_error(e, n, b, 28, 1);
	ck_assert_uint_eq(e[24] | e[25] | e[26] | e[27], 0);
	/* from the 128-byte head that UNREACHABLE carries: same answer */
	n = ipv_icmp_error(e, sizeof(e), IPV_UNREACH_HOST, 0, &gw4, b, 128);
	check_v4_error(e, n, b, 28, 1);
	/* options are quoted too: header (24) + 8 */
	make_v4(b, 200, 6, 17, 0);
	n = ipv_icmp_error(e, sizeof(e), IPV_UNREACH_HOST, 0, &gw4, b, 200);
	check_v4_error(e, n, b, 32, 1);
	/* a packet shorter than header + 8: all of it, not what follows */
	make_v4(b, 24, 5, 17, 0);
	n = ipv_icmp_error(e, sizeof(e), IPV_UNREACH_HOST, 0, &gw4, b, 100);
	check_v4_error(e, n, b, 24, 1);
	/* a head shorter than the packet claims: only what we have */
	make_v4(b, 600, 5, 17, 0);
	n = ipv_icmp_error(e, sizeof(e), IPV_UNREACH_HOST, 0, &gw4, b, 22);
	check_v4_error(e, n, b, 22, 1);
}
END_TEST

START_TEST(icmp_v4_too_big)
{
	uint8_t b[1500], e[IPV_ICMP_MAX];
	size_t n;

	make_v4(b, 1500, 5, 6, 0x4000);
	n = ipv_icmp_error(e, sizeof(e), IPV_TOO_BIG, 1420, &gw4, b, 1500);
	check_v4_error(e, n, b, 28, 4);
	ck_assert_uint_eq((unsigned)e[26] << 8 | e[27], 1420);
	ck_assert_uint_eq(e[24] | e[25], 0);
}
END_TEST

static void check_v6_error(const uint8_t *e, size_t n, const uint8_t *orig,
			   const struct addr *from, size_t quote, uint8_t type,
			   uint8_t code)
{
	size_t plen = n - 40;

	ck_assert_uint_eq(n, 48 + quote);
	ck_assert_uint_le(n, 1280);
	ck_assert_uint_eq(e[0] >> 4, 6);
	ck_assert_uint_eq((unsigned)e[4] << 8 | e[5], plen);
	ck_assert_uint_eq(e[6], 58);
	ck_assert_uint_gt(e[7], 0);
	ck_assert_mem_eq(e + 8, from->b, 16);
	ck_assert_mem_eq(e + 24, orig + 8, 16);	/* to the sender */
	ck_assert_uint_eq(e[40], type);
	ck_assert_uint_eq(e[41], code);
	ck_assert_uint_eq(ref_sum(e + 40, plen, ref_pseudo6(e, plen)), 0xffff);
	ck_assert_mem_eq(e + 48, orig, quote);
}

START_TEST(icmp_v6_unreach)
{
	uint8_t b[1500], e[IPV_ICMP_MAX];
	struct addr gw6 = { INST(AP_IPV6, 0), 16 };
	size_t n;

	inet_pton(AF_INET6, "fd99::fe", gw6.b);
	make_v6(b, 1400, 58);
	/* the 128-byte head from UNREACHABLE: all of it is quoted */
	n = ipv_icmp_error(e, sizeof(e), IPV_UNREACH_HOST, 0, &gw6, b, 128);
	check_v6_error(e, n, b, &gw6, 128, 1, 3);
	ck_assert_uint_eq(e[44] | e[45] | e[46] | e[47], 0);
	/* a whole big packet: as much as fits in 1280 */
	n = ipv_icmp_error(e, sizeof(e), IPV_UNREACH_HOST, 0, &gw6, b, 1440);
	check_v6_error(e, n, b, &gw6, 1232, 1, 3);
	ck_assert_uint_eq(n, 1280);
	/* a small packet: all of it, not the padding after it */
	make_v6(b, 10, 17);
	n = ipv_icmp_error(e, sizeof(e), IPV_UNREACH_HOST, 0, &gw6, b, 300);
	check_v6_error(e, n, b, &gw6, 50, 1, 3);
	/* odd length: the checksum pads with a zero byte */
	make_v6(b, 11, 17);
	n = ipv_icmp_error(e, sizeof(e), IPV_UNREACH_HOST, 0, &gw6, b, 51);
	check_v6_error(e, n, b, &gw6, 51, 1, 3);
}
END_TEST

START_TEST(icmp_v6_too_big)
{
	uint8_t b[1500], e[IPV_ICMP_MAX];
	struct addr gw6 = { INST(AP_IPV6, 0), 16 };
	size_t n;

	inet_pton(AF_INET6, "fd99::fe", gw6.b);
	make_v6(b, 1460, 6);
	n = ipv_icmp_error(e, sizeof(e), IPV_TOO_BIG, 1420, &gw6, b, 1500);
	check_v6_error(e, n, b, &gw6, 1232, 2, 0);
	ck_assert_uint_eq((unsigned)e[44] << 24 | (unsigned)e[45] << 16 |
			  (unsigned)e[46] << 8 | e[47], 1420);
}
END_TEST

START_TEST(icmp_refusals)
{
	uint8_t b[200], e[IPV_ICMP_MAX];
	struct addr gw6 = { INST(AP_IPV6, 0), 16 };
	size_t n;

	make_v4(b, 200, 5, 17, 0);
	/* wrong family of source address */
	ck_assert_uint_eq(ipv_icmp_error(e, sizeof(e), IPV_UNREACH_HOST, 0, &gw6, b, 200), 0);
	/* not even a header */
	ck_assert_uint_eq(ipv_icmp_error(e, sizeof(e), IPV_UNREACH_HOST, 0, &gw4, b, 19), 0);
	b[0] = 0x35;
	ck_assert_uint_eq(ipv_icmp_error(e, sizeof(e), IPV_UNREACH_HOST, 0, &gw4, b, 200), 0);
	/* every capacity short of the whole answer */
	make_v4(b, 200, 5, 17, 0);
	n = ipv_icmp_error(e, sizeof(e), IPV_UNREACH_HOST, 0, &gw4, b, 200);
	ck_assert_uint_eq(n, 56);
	for (size_t cap = 0; cap < n; cap++)
		ck_assert_uint_eq(ipv_icmp_error(e, cap, IPV_UNREACH_HOST, 0, &gw4, b, 200), 0);
	make_v6(b, 100, 17);
	ck_assert_uint_eq(ipv_icmp_error(e, sizeof(e), IPV_UNREACH_HOST, 0, &gw4, b, 140), 0);
	for (size_t cap = 0; cap < 188; cap++)
		ck_assert_uint_eq(ipv_icmp_error(e, cap, IPV_UNREACH_HOST, 0, &gw6, b, 140), 0);
	ck_assert_uint_eq(ipv_icmp_error(e, 188, IPV_UNREACH_HOST, 0, &gw6, b, 140), 188);
}
END_TEST

/* ---------------------------------------------------------------- checksum */

START_TEST(csum_vectors)
{
	/* RFC 1071 section 3 */
	static const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	/* a real IPv4 header; its checksum field (b861) zeroed */
	uint8_t hdr[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	static const uint8_t odd[] = { 0x01, 0x02, 0x03 };

	ck_assert_uint_eq(ipv_csum(rfc, sizeof(rfc), 0), (uint16_t)~0xddf2);
	ck_assert_uint_eq(ipv_csum(hdr, sizeof(hdr), 0), 0xb861);
	hdr[10] = 0xb8;
	hdr[11] = 0x61;
	ck_assert_uint_eq(ipv_csum(hdr, sizeof(hdr), 0), 0);
	ck_assert_uint_eq(ipv_csum(odd, 3, 0), (uint16_t)~(0x0102 + 0x0300));
	ck_assert_uint_eq(ipv_csum(NULL, 0, 0), 0xffff);
	/* a partial sum continues: csum(a) over two pieces */
	ck_assert_uint_eq(ipv_csum(rfc + 4, 4, 0x0001 + 0xf203), ipv_csum(rfc, 8, 0));
}
END_TEST

/* ipv_csum sums 4 bytes at a time in the machine's order: against the
 * plain 16-bit sum, for every length to 300, every alignment, all-zero
 * and all-ones bytes and partial sums of up to 31 bits. */
START_TEST(csum_against_reference)
{
	uint8_t buf[304];
	uint32_t x = 12345;
	const uint32_t starts[] = { 0, 1, 0xffff, 0x10000, 0x7fffffff };

	for (int fill = 0; fill < 3; fill++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = fill == 0 ? (uint8_t)(x >> 16) : fill == 1 ? 0 : 0xff;
		}
		for (size_t off = 0; off < 4; off++)
			for (size_t len = 0; len <= 300; len++)
				for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++)
					ck_assert_msg(ipv_csum(buf + off, len, starts[k]) ==
						      (uint16_t)~ref_sum(buf + off, len, starts[k]),
						      "fill %d off %zu len %zu start %#x", fill, off,
						      len, starts[k]);
	}
}
END_TEST

/* ---------------------------------------------------------------- CIDR */

/* ---------------------------------------------------------------- MSS */

#define CLAMP 1200
#define SYN 0x02
#define ACK 0x10
#define TCP_DATA 10		/* payload bytes after the options */
#define NO_EXT (-1)

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* The TCP pseudo-header's sum (RFC 9293 3.1, RFC 8200 8.1) for a segment
 * of tlen bytes in packet b. */
static unsigned long ref_pseudo_tcp(const uint8_t *b, size_t tlen)
{
	uint8_t ph[40] = { 0 };

	if (b[0] >> 4 == 4) {
		memcpy(ph, b + 12, 8);
		ph[9] = 6;
		ph[10] = (uint8_t)(tlen >> 8);
		ph[11] = (uint8_t)tlen;
		return ref_sum(ph, 12, 0);
	}
	memcpy(ph, b + 8, 32);
	ph[34] = (uint8_t)(tlen >> 8);
	ph[35] = (uint8_t)tlen;
	ph[39] = 6;
	return ref_sum(ph, 40, 0);
}

static bool tcp_csum_ok(const uint8_t *b, size_t len, size_t tcp)
{
	return ref_sum(b + tcp, len - tcp, ref_pseudo_tcp(b, len - tcp)) == 0xffff;
}

/*
 * An IPv4 (ver 4, DF) or IPv6 packet carrying TCP with flags, the options
 * opts (olen bytes, a multiple of 4) and TCP_DATA bytes; for IPv6, ext >= 0
 * puts an 8-byte extension header of that type before TCP.  The checksum
 * is computed here, apart from ipv.c.  Returns the packet's length; *tcp
 * is the TCP header's offset.
 */
static size_t make_tcp(uint8_t *b, int ver, int ext, uint8_t flags, const uint8_t *opts,
		       size_t olen, size_t *tcp)
{
	size_t tlen = 20 + olen + TCP_DATA;
	unsigned sum;
	uint8_t *t;

	if (ver == 4) {
		make_v4(b, 20 + tlen, 5, 6, 0x4000);
		*tcp = 20;
	} else {
		make_v6(b, tlen + (ext >= 0 ? 8 : 0), 6);
		*tcp = 40;
		if (ext >= 0) {
			b[6] = (uint8_t)ext;
			memset(b + 40, 0, 8);
			b[40] = 6;
			b[42] = 1;		/* PadN, 4 bytes */
			b[43] = 4;
			*tcp = 48;
		}
	}
	t = b + *tcp;
	memset(t, 0, 20);
	t[0] = 0x9c;			/* port 40000 */
	t[1] = 0x40;
	t[3] = 80;
	t[4] = 0x12;			/* sequence number */
	t[5] = 0x34;
	t[6] = 0xab;
	t[7] = 0xcd;
	t[12] = (uint8_t)((20 + olen) / 4 << 4);
	t[13] = flags;
	t[14] = 0xfa;			/* window */
	t[15] = 0xf0;
	if (olen)
		memcpy(t + 20, opts, olen);
	sum = ref_sum(t, tlen, ref_pseudo_tcp(b, tlen));
	t[16] = (uint8_t)(~sum >> 8);
	t[17] = (uint8_t)~sum;
	ck_assert(tcp_csum_ok(b, *tcp + tlen, *tcp));
	return *tcp + tlen;
}

/* Make the IP header of b claim len bytes in all. */
static void set_ip_len(uint8_t *b, size_t len)
{
	size_t n = b[0] >> 4 == 4 ? len : len - 40;

	b[b[0] >> 4 == 4 ? 2 : 4] = (uint8_t)(n >> 8);
	b[b[0] >> 4 == 4 ? 3 : 5] = (uint8_t)n;
}

/* Clamping an exact-size copy of b leaves it as it was. */
static void check_untouched(const uint8_t *b, size_t len)
{
	uint8_t *c = dup_exact(b, len);

	ck_assert(!ipv_mss_above(c, len, CLAMP));
	ck_assert(!ipv_clamp_mss(c, len, CLAMP));
	ck_assert_mem_eq(c, b, len);
	free(c);
}

/* Options as Linux sends them (MSS first) and with the MSS value at odd
 * offsets from the TCP header, where it straddles two checksum words;
 * at is the offset of the value in the options. */
static const struct {
	uint8_t opts[20];
	size_t olen, at;
} layouts[] = {
	{ { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7 }, 20, 2 },
	{ { 1, 2, 4, 0x05, 0xb4, 1, 1, 0 }, 8, 3 },
	{ { 1, 1, 1, 2, 4, 0x05, 0xb4, 0 }, 8, 5 },
	{ { 4, 2, 2, 4, 0x05, 0xb4, 1, 0 }, 8, 4 },
};

START_TEST(mss_clamped)
{
	static const unsigned mss[] = { CLAMP + 1, 1460, 1440, 8960, 0xff00, 0xffff };
	static const uint8_t flags[] = { SYN, SYN | ACK };
	static const int exts[] = { NO_EXT, 0, 43, 60 };	/* hop-by-hop, routing, dst opts */
	uint8_t b[128], orig[128];

	for (int ver = 4; ver <= 6; ver += 2)
	for (size_t e = 0; e < (ver == 4 ? 1 : 4); e++)
	for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++)
	for (size_t f = 0; f < 2; f++)
	for (size_t m = 0; m < sizeof(mss) / sizeof(mss[0]); m++) {
		uint8_t opts[20], *c;
		size_t tcp, len, val;

		memcpy(opts, layouts[l].opts, layouts[l].olen);
		opts[layouts[l].at] = (uint8_t)(mss[m] >> 8);
		opts[layouts[l].at + 1] = (uint8_t)mss[m];
		len = make_tcp(b, ver, exts[e], flags[f], opts, layouts[l].olen, &tcp);
		memcpy(orig, b, len);
		val = tcp + 20 + layouts[l].at;
		c = dup_exact(b, len);
		ck_assert(ipv_mss_above(c, len, CLAMP));
		ck_assert(ipv_clamp_mss(c, len, CLAMP));
		ck_assert_uint_eq(get16(c + val), CLAMP);
		ck_assert_msg(tcp_csum_ok(c, len, tcp), "v%d ext %d layout %zu flags %#x mss %u",
			      ver, exts[e], l, flags[f], mss[m]);
		/* nothing else moved */
		for (size_t i = 0; i < len; i++)
			if (i != val && i != val + 1 && i != tcp + 16 && i != tcp + 17)
				ck_assert_uint_eq(c[i], orig[i]);
		/* done is done */
		ck_assert(!ipv_mss_above(c, len, CLAMP));
		ck_assert(!ipv_clamp_mss(c, len, CLAMP));
		free(c);
	}
	/* an IPv4 first fragment (MF, offset 0) carries the whole header */
	make_tcp(b, 4, NO_EXT, SYN, layouts[0].opts, layouts[0].olen, &(size_t){ 0 });
	b[6] = 0x20;
	ck_assert(ipv_clamp_mss(b, 20 + 40 + TCP_DATA, CLAMP));
}
END_TEST

START_TEST(mss_untouched)
{
	static const uint8_t no_mss[] = { 1, 1, 4, 2 }, after_eol[] = { 0, 0, 0, 0, 2, 4, 5, 0xb4 };
	static const uint8_t flags[] = { ACK, ACK | 0x08, ACK | 0x01, 0x04, 0 };
	uint8_t b[128], opts[20];
	size_t tcp, len;

	for (int ver = 4; ver <= 6; ver += 2) {
		/* at or below the clamp */
		memcpy(opts, layouts[0].opts, 20);
		opts[2] = CLAMP >> 8;
		opts[3] = CLAMP & 0xff;
		check_untouched(b, make_tcp(b, ver, NO_EXT, SYN, opts, 20, &tcp));
		opts[2] = 536 >> 8;
		opts[3] = 536 & 0xff;
		check_untouched(b, make_tcp(b, ver, NO_EXT, SYN | ACK, opts, 20, &tcp));
		/* not a SYN: ACK, PSH-ACK, FIN-ACK, RST, none */
		for (size_t f = 0; f < sizeof(flags); f++)
			check_untouched(b, make_tcp(b, ver, NO_EXT, flags[f], layouts[0].opts, 20,
						    &tcp));
		/* no MSS option, no options at all, an MSS after the end of the list */
		check_untouched(b, make_tcp(b, ver, NO_EXT, SYN, no_mss, sizeof(no_mss), &tcp));
		check_untouched(b, make_tcp(b, ver, NO_EXT, SYN, NULL, 0, &tcp));
		check_untouched(b, make_tcp(b, ver, NO_EXT, SYN, after_eol, sizeof(after_eol),
					    &tcp));
		/* UDP that looks like a SYN */
		len = make_tcp(b, ver, NO_EXT, SYN, layouts[0].opts, 20, &tcp);
		b[ver == 4 ? 9 : 6] = 17;
		check_untouched(b, len);
	}
	/* an IPv4 later fragment has no TCP header, even if it looks like one */
	len = make_tcp(b, 4, NO_EXT, SYN, layouts[0].opts, 20, &tcp);
	b[6] = 0x20;
	b[7] = 4;
	check_untouched(b, len);
	/* IPv6 fragment header (even an atomic fragment), AH, ESP, no next header */
	check_untouched(b, make_tcp(b, 6, 44, SYN, layouts[0].opts, 20, &tcp));
	check_untouched(b, make_tcp(b, 6, 51, SYN, layouts[0].opts, 20, &tcp));
	check_untouched(b, make_tcp(b, 6, 50, SYN, layouts[0].opts, 20, &tcp));
	check_untouched(b, make_tcp(b, 6, 59, SYN, layouts[0].opts, 20, &tcp));
	/* hop-by-hop options whose length runs past the packet */
	len = make_tcp(b, 6, 0, SYN, layouts[0].opts, 20, &tcp);
	b[41] = 9;
	check_untouched(b, len);
	/* more extension headers than are walked: nine destination options */
	{
		uint8_t big[200];
		size_t n = 40 + 9 * 8 + 20 + TCP_DATA;

		make_v6(big, n - 40, 60);
		for (int i = 0; i < 9; i++) {
			memset(big + 40 + 8 * i, 0, 8);
			big[40 + 8 * i] = i < 8 ? 60 : 6;
		}
		memset(big + 40 + 72, 0, 20);
		big[40 + 72 + 12] = 0x50;
		big[40 + 72 + 13] = SYN;
		check_untouched(big, n);
	}
	/* not even IP */
	check_untouched(b, 0);
	memset(b, 0, 64);
	check_untouched(b, 64);
}
END_TEST

START_TEST(mss_malformed)
{
	static const struct {
		uint8_t opts[8];
		size_t olen;
	} bad[] = {
		{ { 2, 4, 5, 0xb4, 1, 1, 1, 3 }, 8 },	/* a kind with no room for its length */
		{ { 2, 4, 5, 0xb4, 3, 0, 1, 1 }, 8 },	/* length 0 */
		{ { 2, 4, 5, 0xb4, 3, 1, 1, 1 }, 8 },	/* length 1 */
		{ { 3, 1, 2, 4, 5, 0xb4, 0, 0 }, 8 },	/* length 1 before the MSS */
		{ { 2, 4, 5, 0xb4, 8, 10, 0, 0 }, 8 },	/* runs past the header */
		{ { 8, 10, 0, 0, 2, 4, 5, 0xb4 }, 8 },	/* runs over the MSS */
		{ { 2, 4, 5, 0xb4, 1, 5, 4, 0 }, 8 },	/* runs one byte past the header */
		{ { 2, 3, 5, 0xb4 }, 4 },		/* MSS of length 3 */
		{ { 2, 6, 5, 0xb4, 0, 0, 0, 0 }, 8 },	/* MSS of length 6 */
		{ { 2, 4, 5, 0xb4, 2, 4, 5, 0xb4 }, 8 },	/* two of them */
		{ { 1, 1, 1, 1, 1, 1, 2, 4 }, 8 },	/* MSS value past the header */
	};
	uint8_t b[128];
	size_t tcp, len;

	for (int ver = 4; ver <= 6; ver += 2) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			len = make_tcp(b, ver, NO_EXT, SYN, bad[i].opts, bad[i].olen, &tcp);
			check_untouched(b, len);
			/* and with no data: the options end where the buffer does */
			len -= TCP_DATA;
			set_ip_len(b, len);
			check_untouched(b, len);
		}
		/* data offset below 5, and beyond the segment */
		len = make_tcp(b, ver, NO_EXT, SYN, layouts[0].opts, 20, &tcp);
		b[tcp + 12] = 0x40;
		check_untouched(b, len);
		b[tcp + 12] = 0xf0;
		check_untouched(b, len);
		/* data offset 6: the MSS sits in the header, what follows is data */
		len = make_tcp(b, ver, NO_EXT, SYN, layouts[0].opts, 20, &tcp);
		b[tcp + 12] = 0x60;
		ck_assert(ipv_clamp_mss(b, len, CLAMP));
	}
}
END_TEST

/* A SYN cut short anywhere, with the IP length saying so (the options
 * must then be walked with care) and without (the IP layer refuses). */
START_TEST(mss_truncated)
{
	uint8_t b[128], cut[128];

	for (int ver = 4; ver <= 6; ver += 2)
	for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++) {
		size_t tcp, len = make_tcp(b, ver, NO_EXT, SYN, layouts[l].opts, layouts[l].olen,
					   &tcp);
		size_t hdr_end = tcp + 20 + layouts[l].olen;

		for (size_t k = 0; k < len; k++) {
			uint8_t *c;

			check_untouched(b, k);
			if (k < tcp)
				continue;
			memcpy(cut, b, k);
			set_ip_len(cut, k);
			c = dup_exact(cut, k);
			ck_assert_int_eq(ipv_clamp_mss(c, k, CLAMP), k >= hdr_end);
			if (k < hdr_end)
				ck_assert_mem_eq(c, cut, k);
			free(c);
		}
	}
}
END_TEST

START_TEST(cidr)
{
	static const char *const bad[] = {
		"", "/24", "10.0.0.1/", "10.0.0.1/33", "10.0.0.1/2x", "10.0.0.1/-1",
		"10.0.0.1/0024", "10.0.0/24", "hello", "fd99::1/129", "fd99::1/",
		"10.0.0.1 /24", "fd99::1/64/1", "10.0.0.256",
		"0000:0000:0000:0000:0000:0000:0000:0000:0",
	};
	struct addr a;
	struct prefix p;
	uint16_t bits;

	ck_assert(ipv_parse_cidr("10.99.0.1/24", 5, &a, &bits));
	ck_assert_uint_eq(a.inst, INST(AP_IPV4, 5));
	ck_assert_uint_eq(a.len, 4);
	ck_assert_mem_eq(a.b, v4_a, 4);
	ck_assert_uint_eq(bits, 24);
	ipv_prefix_of(&p, &a, bits);
	ck_assert(prefix_valid(&p));
	ck_assert_uint_eq(p.a.b[3], 0);
	ck_assert(ipv_parse_cidr("10.99.0.1", 0, &a, &bits));
	ck_assert_uint_eq(bits, 32);
	ck_assert(ipv_parse_cidr("192.168.50.0/0", 0, &a, &bits));
	ck_assert_uint_eq(bits, 0);
	ck_assert(ipv_parse_cidr("fd99::1/64", 2, &a, &bits));
	ck_assert_uint_eq(a.inst, INST(AP_IPV6, 2));
	ck_assert_uint_eq(a.len, 16);
	ck_assert_mem_eq(a.b, v6_a, 16);
	ck_assert_uint_eq(bits, 64);
	ck_assert(ipv_parse_cidr("fd99::1", 2, &a, &bits));
	ck_assert_uint_eq(bits, 128);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!ipv_parse_cidr(bad[i], 0, &a, &bits), "%s", bad[i]);
	/* odd prefix lengths mask inside a byte */
	ck_assert(ipv_parse_cidr("10.99.255.255/19", 0, &a, &bits));
	ipv_prefix_of(&p, &a, bits);
	ck_assert_uint_eq(p.a.b[2], 0xe0);
	ck_assert_uint_eq(p.a.b[3], 0);
	ck_assert(prefix_valid(&p));
}
END_TEST

START_TEST(contains)
{
	struct addr a;
	struct prefix net24, host, net16, other, v6;
	uint16_t bits;

	ipv_parse_cidr("10.99.0.1/24", 0, &a, &bits);
	ipv_prefix_of(&net24, &a, bits);
	ipv_parse_cidr("10.99.0.2", 0, &a, &bits);
	ipv_prefix_of(&host, &a, bits);
	ipv_parse_cidr("10.99.0.0/16", 0, &a, &bits);
	ipv_prefix_of(&net16, &a, bits);
	ipv_parse_cidr("192.168.50.0/24", 0, &a, &bits);
	ipv_prefix_of(&other, &a, bits);
	ipv_parse_cidr("::/0", 0, &a, &bits);
	ipv_prefix_of(&v6, &a, bits);
	ck_assert(ipv_prefix_contains(&net24, &host));
	ck_assert(ipv_prefix_contains(&net24, &net24));
	ck_assert(!ipv_prefix_contains(&net24, &net16));
	ck_assert(ipv_prefix_contains(&net16, &net24));
	ck_assert(!ipv_prefix_contains(&net24, &other));
	ck_assert(!ipv_prefix_contains(&v6, &host));	/* other family */
	host.a.inst = INST(AP_IPV4, 1);			/* other network */
	ck_assert(!ipv_prefix_contains(&net24, &host));
}
END_TEST

/* ---------------------------------------------------------------- route policy */

static struct prefix pfx(const char *text)
{
	struct prefix p;
	struct addr a;
	uint16_t bits;

	ck_assert_msg(ipv_parse_cidr(text, 0, &a, &bits), "%s", text);
	ipv_prefix_of(&p, &a, bits);
	return p;
}

START_TEST(overlaps)
{
	struct prefix lan = pfx("10.77.0.0/24"), host = pfx("10.77.0.2"),
		      wide = pfx("10.0.0.0/8"), other = pfx("10.78.0.0/24"),
		      v6 = pfx("fd77::/64");

	ck_assert(ipv_prefix_overlaps(&lan, &host));
	ck_assert(ipv_prefix_overlaps(&host, &lan));
	ck_assert(ipv_prefix_overlaps(&wide, &lan));
	ck_assert(ipv_prefix_overlaps(&lan, &wide));
	ck_assert(ipv_prefix_overlaps(&lan, &lan));
	ck_assert(!ipv_prefix_overlaps(&lan, &other));
	ck_assert(!ipv_prefix_overlaps(&lan, &v6));
}
END_TEST

START_TEST(route_policy)
{
	/* ours: tun 10.99.0.0/24 and fd99::/64, `route' 192.168.60.0/24;
	 * the host: eth0 10.77.0.0/24 and fd77::/64, lo 127.0.0.0/8 */
	struct prefix local[] = { pfx("10.99.0.0/24"), pfx("fd99::/64"), pfx("192.168.60.0/24") };
	struct prefix ifnets[] = { pfx("10.77.0.0/24"), pfx("fd77::/64"), pfx("127.0.0.0/8") };
	struct prefix accept[] = { pfx("192.168.50.0/24"), pfx("fd50::/48") };
	struct ipv_route_policy pol = { local, 3, ifnets, 3, NULL, 0 };
	struct prefix other_net = pfx("10.77.0.0/24");
	size_t which;
	static const struct {
		const char *prefix;
		enum ipv_route_verdict open, strict;	/* without, with accept_route */
		size_t which;				/* for IPV_ROUTE_OVERLAP */
	} cases[] = {
		{ "192.168.50.0/24", IPV_ROUTE_INSTALL, IPV_ROUTE_INSTALL, 0 },
		{ "192.168.50.128/25", IPV_ROUTE_INSTALL, IPV_ROUTE_INSTALL, 0 },
		{ "192.168.0.0/16", IPV_ROUTE_INSTALL, IPV_ROUTE_NOT_ACCEPTED, 0 },
		{ "172.16.0.0/16", IPV_ROUTE_INSTALL, IPV_ROUTE_NOT_ACCEPTED, 0 },
		{ "10.0.0.0/8", IPV_ROUTE_OVERLAP, IPV_ROUTE_OVERLAP, 0 },	/* holds the LAN */
		{ "10.77.0.0/24", IPV_ROUTE_OVERLAP, IPV_ROUTE_OVERLAP, 0 },
		{ "10.77.0.2", IPV_ROUTE_OVERLAP, IPV_ROUTE_OVERLAP, 0 },	/* a neighbour */
		{ "fd77::2", IPV_ROUTE_OVERLAP, IPV_ROUTE_OVERLAP, 1 },
		{ "127.0.0.1", IPV_ROUTE_OVERLAP, IPV_ROUTE_OVERLAP, 2 },
		{ "0.0.0.0/0", IPV_ROUTE_TOO_SHORT, IPV_ROUTE_TOO_SHORT, 0 },
		{ "0.0.0.0/1", IPV_ROUTE_TOO_SHORT, IPV_ROUTE_TOO_SHORT, 0 },
		{ "128.0.0.0/1", IPV_ROUTE_TOO_SHORT, IPV_ROUTE_TOO_SHORT, 0 },
		{ "172.0.0.0/7", IPV_ROUTE_TOO_SHORT, IPV_ROUTE_TOO_SHORT, 0 },
		{ "11.0.0.0/8", IPV_ROUTE_INSTALL, IPV_ROUTE_NOT_ACCEPTED, 0 },
		{ "::/0", IPV_ROUTE_TOO_SHORT, IPV_ROUTE_TOO_SHORT, 0 },
		{ "8000::/1", IPV_ROUTE_TOO_SHORT, IPV_ROUTE_TOO_SHORT, 0 },
		{ "fd00::/15", IPV_ROUTE_TOO_SHORT, IPV_ROUTE_TOO_SHORT, 0 },
		{ "fd00::/16", IPV_ROUTE_INSTALL, IPV_ROUTE_NOT_ACCEPTED, 0 },
		{ "fd50:0:0:1::/64", IPV_ROUTE_INSTALL, IPV_ROUTE_INSTALL, 0 },
		{ "10.99.0.2", IPV_ROUTE_LOCAL, IPV_ROUTE_LOCAL, 0 },	/* our tun subnet */
		{ "fd99::2", IPV_ROUTE_LOCAL, IPV_ROUTE_LOCAL, 0 },
		{ "192.168.60.0/25", IPV_ROUTE_LOCAL, IPV_ROUTE_LOCAL, 0 },
		{ "10.99.0.0/16", IPV_ROUTE_INSTALL, IPV_ROUTE_NOT_ACCEPTED, 0 },
	};

	for (int strict = 0; strict < 2; strict++) {
		pol.accept = strict ? accept : NULL;
		pol.naccept = strict ? 2 : 0;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct prefix p = pfx(cases[i].prefix);
			enum ipv_route_verdict want = strict ? cases[i].strict : cases[i].open;

			which = 99;
			ck_assert_msg(ipv_route_check(&pol, &p, &which) == want,
				      "%s (%s): got %d, want %d", cases[i].prefix,
				      strict ? "strict" : "open", ipv_route_check(&pol, &p, &which),
				      want);
			if (want == IPV_ROUTE_OVERLAP)
				ck_assert_uint_eq(which, cases[i].which);
		}
	}
	/* another network's prefixes are not ours to overlap */
	other_net.a.inst = INST(AP_IPV4, 1);
	pol.accept = NULL;
	pol.naccept = 0;
	ck_assert_int_eq(ipv_route_check(&pol, &other_net, &which), IPV_ROUTE_INSTALL);
}
END_TEST

static Suite *ipv_suite(void)
{
	Suite *s = suite_create("ipv");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, v4_good);
	tcase_add_test(tc, v4_truncated);
	tcase_add_test(tc, v4_malformed);
	tcase_add_test(tc, v6_good);
	tcase_add_test(tc, v6_truncated);
	tcase_add_test(tc, v6_malformed);
	tcase_add_test(tc, multicast_and_error_rules);
	tcase_add_test(tc, icmp_v4_unreach);
	tcase_add_test(tc, icmp_v4_too_big);
	tcase_add_test(tc, icmp_v6_unreach);
	tcase_add_test(tc, icmp_v6_too_big);
	tcase_add_test(tc, icmp_refusals);
	tcase_add_test(tc, csum_vectors);
	tcase_add_test(tc, csum_against_reference);
	tcase_add_test(tc, mss_clamped);
	tcase_add_test(tc, mss_untouched);
	tcase_add_test(tc, mss_malformed);
	tcase_add_test(tc, mss_truncated);
	tcase_add_test(tc, cidr);
	tcase_add_test(tc, contains);
	tcase_add_test(tc, overlaps);
	tcase_add_test(tc, route_policy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(ipv_suite());
}
