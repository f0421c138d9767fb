/*
 * check_flow.c - unit tests for lib/flow.c: packets of one flow hash
 * alike (so per-flow multipath never reorders them), flows that differ
 * only in their ports spread evenly, the salt decorrelates nodes, and
 * truncated or odd packets are read only within their length.
 */
#include "config.h"
#include "flow.h"
#include "testutil.h"
#include "wire.h"

#include <check.h>
#include <string.h>

static void v4(struct addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->inst = INST(AP_IPV4, 0);
	a->len = 4;
	a->b[0] = 10;
	a->b[3] = last;
}

/* An IPv4 packet: 20-byte header, protocol proto, then sport/dport. */
static size_t ip4_pkt(uint8_t *p, uint8_t proto, uint16_t sport, uint16_t dport, uint16_t frag)
{
	memset(p, 0, 64);
	p[0] = 0x45;
	wire_put16(p + 6, frag);
	p[9] = proto;
	wire_put16(p + 20, sport);
	wire_put16(p + 22, dport);
	return 64;
}

static uint32_t h4(uint8_t proto, uint16_t sport, uint16_t dport, uint32_t salt)
{
	struct addr s, d;
	uint8_t p[64];
	size_t n = ip4_pkt(p, proto, sport, dport, 0);

	v4(&s, 1);
	v4(&d, 2);
	return flow_hash(&s, &d, p, n, salt);
}

START_TEST(same_flow_same_hash)
{
	uint8_t p[64];
	struct addr s, d;

	ck_assert_uint_eq(h4(6, 40000, 5201, 7), h4(6, 40000, 5201, 7));
	/* the payload beyond the ports does not matter */
	v4(&s, 1);
	v4(&d, 2);
	ip4_pkt(p, 6, 40000, 5201, 0);
	uint32_t a = flow_hash(&s, &d, p, 64, 7);
	p[40] ^= 0xff;
	ck_assert_uint_eq(flow_hash(&s, &d, p, 64, 7), a);
}
END_TEST

START_TEST(ports_protocol_salt_matter)
{
	ck_assert_uint_ne(h4(6, 40000, 5201, 7), h4(6, 40001, 5201, 7));
	ck_assert_uint_ne(h4(6, 40000, 5201, 7), h4(6, 40000, 5202, 7));
	ck_assert_uint_ne(h4(6, 40000, 5201, 7), h4(17, 40000, 5201, 7));
	ck_assert_uint_ne(h4(6, 40000, 5201, 7), h4(6, 40000, 5201, 8));
}
END_TEST

/* 4096 TCP flows between the same two hosts: each of 2 and of 3 next
 * hops gets its share within 10%, whether a hop is picked by the hash's
 * high bits (its share of the total weight, as rt_next_hop does) or by its
 * low bits. */
START_TEST(spread_over_next_hops)
{
	for (unsigned n = 2; n <= 3; n++) {
		unsigned hi[3] = { 0 }, lo[3] = { 0 };
		for (unsigned i = 0; i < 4096; i++) {
			uint32_t h = h4(6, (uint16_t)(30000 + i), 5201, 99);
			hi[((uint64_t)h * n) >> 32]++;
			lo[h % n]++;
		}
		for (unsigned k = 0; k < n; k++) {
			ck_assert_uint_gt(hi[k], 4096 / n * 9 / 10);
			ck_assert_uint_lt(hi[k], 4096 / n * 11 / 10);
			ck_assert_uint_gt(lo[k], 4096 / n * 9 / 10);
			ck_assert_uint_lt(lo[k], 4096 / n * 11 / 10);
		}
	}
}
END_TEST

START_TEST(fragments_hash_without_ports)
{
	struct addr s, d;
	uint8_t p[64];

	v4(&s, 1);
	v4(&d, 2);
	/* a later fragment has no ports: its bytes 20..23 are payload */
	ip4_pkt(p, 17, 1111, 2222, 0x00b9);
	uint32_t a = flow_hash(&s, &d, p, 64, 3);
	ip4_pkt(p, 17, 3333, 4444, 0x00b9);
	ck_assert_uint_eq(flow_hash(&s, &d, p, 64, 3), a);
}
END_TEST

START_TEST(ether_inner_ip)
{
	struct addr s = { .inst = INST(AP_ETHER, 0), .len = 6, .b = { 2, 0, 0, 0, 0, 1 } };
	struct addr d = { .inst = INST(AP_ETHER, 0), .len = 6, .b = { 2, 0, 0, 0, 0, 2 } };
	uint8_t f[14 + 64];

	memset(f, 0, 14);
	wire_put16(f + 12, 0x0800);
	ip4_pkt(f + 14, 6, 40000, 80, 0);
	uint32_t a = flow_hash(&s, &d, f, sizeof(f), 1);
	ip4_pkt(f + 14, 6, 40001, 80, 0);
	ck_assert_uint_ne(flow_hash(&s, &d, f, sizeof(f), 1), a);
	/* not IP (ARP): ports are not looked for */
	wire_put16(f + 12, 0x0806);
	a = flow_hash(&s, &d, f, sizeof(f), 1);
	f[14 + 20] ^= 0xff;
	ck_assert_uint_eq(flow_hash(&s, &d, f, sizeof(f), 1), a);
}
END_TEST

/* Every truncation of an IPv4, IPv6 and Ethernet packet, from exact-size
 * heap copies: ASan catches a read past the end. */
START_TEST(truncated_reads_stay_inside)
{
	struct addr s4, d4, s6 = { .inst = INST(AP_IPV6, 0), .len = 16 },
			    d6 = { .inst = INST(AP_IPV6, 0), .len = 16 },
			    se = { .inst = INST(AP_ETHER, 0), .len = 6 };
	uint8_t p[80];

	v4(&s4, 1);
	v4(&d4, 2);
	memset(p, 0, sizeof(p));
	for (unsigned kind = 0; kind < 4; kind++) {
		if (kind == 0)
			ip4_pkt(p, 6, 1, 2, 0);
		if (kind == 1) {
			p[0] = 0x60;
			p[6] = 17;
		}
		if (kind == 2) {
			p[0] = 0x4f;	/* IHL 15: 60-byte header */
			p[9] = 6;
		}
		if (kind == 3) {
			wire_put16(p + 12, 0x86dd);
			p[14] = 0x60;
			p[20] = 6;
		}
		for (size_t len = 0; len <= sizeof(p); len++) {
			uint8_t *c = dup_exact(p, len);
			if (kind == 3)
				(void)flow_hash(&se, &se, c, len, 0);
			else if (kind == 1)
				(void)flow_hash(&s6, &d6, c, len, 0);
			else
				(void)flow_hash(&s4, &d4, c, len, 0);
			free(c);
		}
	}
}
END_TEST

static Suite *flow_suite(void)
{
	Suite *s = suite_create("flow");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, same_flow_same_hash);
	tcase_add_test(tc, ports_protocol_salt_matter);
	tcase_add_test(tc, spread_over_next_hops);
	tcase_add_test(tc, fragments_hash_without_ports);
	tcase_add_test(tc, ether_inner_ip);
	tcase_add_test(tc, truncated_reads_stay_inside);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(flow_suite());
}
