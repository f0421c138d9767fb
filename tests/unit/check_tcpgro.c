/*
 * check_tcpgro.c - unit tests for lib/tcpgro.c: runs of TCP segments (IPv4
 * and IPv6) join into one packet whose payload is theirs in order, whose
 * IP header is valid (length, checksum), and whose virtio-net header asks
 * the kernel to segment at the first one's size; splitting it again at
 * gso_size gives back every segment's payload, and the TCP checksum the
 * kernel completes from the pseudo-header sum is the right one.  Every
 * difference that the kernel's GRO would not merge across keeps a segment
 * out: sequence gaps, ack, window, options, flags, IP fields, sizes, caps.
 */
#include "config.h"
#include "ipv.h"
#include "tcpgro.h"
#include "testutil.h"
#include "wire.h"

#include <arpa/inet.h>
#include <check.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>

#define OPTLEN 12		/* NOP NOP timestamps */
#define HLEN4 (20 + 20 + OPTLEN)
#define HLEN6 (40 + 20 + OPTLEN)

static uint8_t gbuf[TCPGRO_BUF_LEN];
static struct tcpgro g;

static void setup(void)
{
	memset(&g, 0, sizeof(g));
	g.buf = gbuf;
}

/* The byte at offset i of the connection's stream. */
static uint8_t stream(uint32_t i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

/* A TCP segment of plen bytes at seq (IPv4, or IPv6 if v6), flags, with
 * timestamp tsval; checksums right.  Returns its length. */
static size_t seg(uint8_t *b, bool v6, uint32_t seq, uint16_t plen, uint8_t flags,
		  uint32_t tsval)
{
	size_t ih = v6 ? 40 : 20, n = ih + 20 + OPTLEN + plen;
	uint8_t *t = b + ih;
	uint32_t sum;

	memset(b, 0, n);
	if (v6) {
		b[0] = 0x60;
		wire_put16(b + 4, (uint16_t)(n - 40));
		b[6] = 6;
		b[7] = 64;
		inet_pton(AF_INET6, "fd99::1", b + 8);
		inet_pton(AF_INET6, "fd99::2", b + 24);
	} else {
		b[0] = 0x45;
		wire_put16(b + 2, (uint16_t)n);
		wire_put16(b + 4, (uint16_t)seq);	/* ID: anything */
		b[6] = 0x40;				/* DF */
		b[8] = 64;
		b[9] = 6;
		inet_pton(AF_INET, "10.99.0.1", b + 12);
		inet_pton(AF_INET, "10.99.0.2", b + 16);
		wire_put16(b + 10, ipv_csum(b, 20, 0));
	}
	wire_put16(t, 40000);
	wire_put16(t + 2, 5201);
	wire_put32(t + 4, seq);
	wire_put32(t + 8, 777);		/* ack */
	t[12] = (20 + OPTLEN) / 4 << 4;
	t[13] = flags;
	wire_put16(t + 14, 500);	/* window */
	t[20] = 1;
	t[21] = 1;
	t[22] = 8;
	t[23] = 10;
	wire_put32(t + 24, tsval);
	wire_put32(t + 28, 99);
	for (uint16_t i = 0; i < plen; i++)
		t[20 + OPTLEN + i] = stream(seq + i);
	if (v6)
		sum = ipv6_pseudo_sum(b + 8, b + 24, (uint32_t)(n - ih), 6);
	else
		sum = (uint32_t)wire_get16(b + 12) + wire_get16(b + 14) + wire_get16(b + 16) +
		      wire_get16(b + 18) + 6u + (uint32_t)(n - ih);
	wire_put16(t + 16, ipv_csum(t, n - ih, sum));
	return n;
}

/* Check a finished run of k segments of mss bytes (the last `last') from
 * seq0: headers, payload, what the kernel's checksum completion gives. */
static void check_joined(size_t n, bool v6, uint32_t seq0, unsigned k, uint16_t mss,
		      uint16_t last)
{
	struct virtio_net_hdr vh;
	const uint8_t *p = gbuf + VNET_HDR_LEN;
	size_t ih = v6 ? 40 : 20, hl = ih + 20 + OPTLEN, total = hl + (k - 1) * mss + last;
	uint8_t tcp[TCPGRO_MAX_LEN];

	ck_assert_uint_eq(n, VNET_HDR_LEN + total);
	memcpy(&vh, gbuf, sizeof(vh));
	ck_assert_uint_eq(vh.gso_type, v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
	ck_assert_uint_eq(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	ck_assert_uint_eq(vh.gso_size, mss);
	ck_assert_uint_eq(vh.hdr_len, hl);
	ck_assert_uint_eq(vh.csum_start, ih);
	ck_assert_uint_eq(vh.csum_offset, 16);
	if (v6) {
		ck_assert_uint_eq(wire_get16(p + 4), total - 40);
	} else {
		ck_assert_uint_eq(wire_get16(p + 2), total);
		ck_assert_uint_eq(ipv_csum(p, 20, 0), 0);	/* header checksum valid */
	}
	ck_assert_uint_eq(wire_get32(p + ih + 4), seq0);
	/* the payload, cut at gso_size, is every segment's in order */
	for (size_t i = 0; i < total - hl; i++)
		ck_assert_uint_eq(p[hl + i], stream(seq0 + (uint32_t)i));
	/* what the kernel does: sum from csum_start over the TCP header (with
	 * the pseudo-header sum in the checksum field) and payload, store the
	 * complement; then the TCP checksum with the pseudo-header verifies */
	memcpy(tcp, p + ih, total - ih);
	wire_put16(tcp + 16, ipv_csum(tcp, total - ih, 0));
	uint32_t ps = v6 ? ipv6_pseudo_sum(p + 8, p + 24, (uint32_t)(total - ih), 6)
			 : (uint32_t)wire_get16(p + 12) + wire_get16(p + 14) + wire_get16(p + 16) +
			   wire_get16(p + 18) + 6u + (uint32_t)(total - ih);
	ck_assert_uint_eq(ipv_csum(tcp, total - ih, ps), 0);
	ck_assert_uint_eq(g.len, 0);
}

static void run_of(bool v6, unsigned k, uint16_t mss, uint16_t last, uint8_t lastflags)
{
	uint8_t b[2000];
	uint32_t seq = 1000;

	for (unsigned i = 0; i < k; i++) {
		uint16_t pl = i + 1 == k ? last : mss;
		size_t n = seg(b, v6, seq, pl, i + 1 == k ? lastflags : 0x10, 5);

		if (i == 0)
			ck_assert(tcpgro_start(&g, b, n));
		else
			ck_assert_msg(tcpgro_append(&g, b, n), "segment %u", i);
		seq += pl;
	}
	check_joined(tcpgro_finish(&g), v6, 1000, k, mss, last);
}

START_TEST(joins_v4)
{
	run_of(false, 40, 1368, 1368, 0x10);
	run_of(false, 10, 1000, 300, 0x18);	/* shorter last, with PSH */
	run_of(false, 2, 1368, 1, 0x10);
}
END_TEST

START_TEST(joins_v6)
{
	run_of(true, 40, 1348, 1348, 0x10);
	run_of(true, 3, 1348, 17, 0x18);
}
END_TEST

START_TEST(psh_kept)
{
	uint8_t b[2000];
	size_t n;

	ck_assert(tcpgro_start(&g, b, seg(b, false, 0, 100, 0x10, 5)));
	ck_assert(tcpgro_append(&g, b, seg(b, false, 100, 100, 0x18, 5)));
	/* PSH ends the run */
	ck_assert(!tcpgro_append(&g, b, seg(b, false, 200, 100, 0x10, 5)));
	n = tcpgro_finish(&g);
	ck_assert_uint_eq(gbuf[VNET_HDR_LEN + 20 + 13], 0x18);
	check_joined(n, false, 0, 2, 100, 100);
}
END_TEST

START_TEST(single_segment_unchanged)
{
	uint8_t b[2000], zero[VNET_HDR_LEN] = { 0 };
	size_t n = seg(b, false, 42, 500, 0x10, 5);

	ck_assert(tcpgro_start(&g, b, n));
	ck_assert_uint_eq(tcpgro_finish(&g), VNET_HDR_LEN + n);
	ck_assert_mem_eq(gbuf, zero, VNET_HDR_LEN);
	ck_assert_mem_eq(gbuf + VNET_HDR_LEN, b, n);
	tcpgro_plain_hdr(b);
	ck_assert_mem_eq(b, zero, VNET_HDR_LEN);
}
END_TEST

/* Start a run of two 100-byte segments at seq 0; then x (len n) must not join. */
static void refused(const uint8_t *x, size_t n, const char *why)
{
	uint8_t b[2000];

	setup();
	ck_assert(tcpgro_start(&g, b, seg(b, false, 0, 100, 0x10, 5)));
	ck_assert(tcpgro_append(&g, b, seg(b, false, 100, 100, 0x10, 5)));
	ck_assert_msg(!tcpgro_append(&g, x, n), "%s joined", why);
	ck_assert_uint_eq(g.segs, 2);
	ck_assert_uint_eq(g.len, HLEN4 + 200);
}

START_TEST(refusals)
{
	uint8_t x[2000];
	size_t n;

	n = seg(x, false, 300, 100, 0x10, 5);
	refused(x, n, "a sequence gap");
	n = seg(x, false, 100, 100, 0x10, 5);
	refused(x, n, "a repeat");
	n = seg(x, false, 200, 101, 0x10, 5);
	refused(x, n, "a longer segment");
	n = seg(x, false, 200, 100, 0x10, 6);
	refused(x, n, "another timestamp");
	for (unsigned f = 0; f < 0x100; f++) {
		if (f == 0x10 || f == 0x18)
			continue;
		n = seg(x, false, 200, 100, (uint8_t)f, 5);
		refused(x, n, "other TCP flags");
	}
	n = seg(x, false, 200, 100, 0x10, 5);
	wire_put32(x + 28, 778);
	refused(x, n, "another ack");
	n = seg(x, false, 200, 100, 0x10, 5);
	wire_put16(x + 34, 501);
	refused(x, n, "another window");
	n = seg(x, false, 200, 100, 0x10, 5);
	wire_put16(x + 22, 5202);
	refused(x, n, "another port");
	n = seg(x, false, 200, 100, 0x10, 5);
	x[1] = 4;
	refused(x, n, "another TOS");
	n = seg(x, false, 200, 100, 0x10, 5);
	x[8] = 63;
	refused(x, n, "another TTL");
	n = seg(x, false, 200, 100, 0x10, 5);
	x[6] = 0;
	refused(x, n, "DF cleared");
	n = seg(x, false, 200, 100, 0x10, 5);
	x[6] = 0x20;
	refused(x, n, "a fragment");
	n = seg(x, false, 200, 100, 0x10, 5);
	x[19] = 3;
	refused(x, n, "another destination");
	n = seg(x, false, 200, 100, 0x10, 5);
	x[9] = 17;
	refused(x, n, "not TCP");
	n = seg(x, true, 200, 100, 0x10, 5);
	refused(x, n, "another IP version");
	n = seg(x, false, 200, 0, 0x10, 5);
	refused(x, n, "no payload");
	n = seg(x, false, 200, 100, 0x10, 5);
	refused(x, n - 1, "a truncated packet");
	n = seg(x, false, 200, 100, 0x10, 5);
	x[n - 1] ^= 0x40;
	refused(x, n, "a bad TCP checksum (payload)");
	n = seg(x, false, 200, 100, 0x10, 5);
	x[20 + 16] ^= 1;		/* the TCP checksum field itself */
	refused(x, n, "a bad TCP checksum (header)");
	n = seg(x, false, 200, 100, 0x10, 5);
	x[4] ^= 1;			/* IP ID, not covered by a merge's comparison */
	refused(x, n, "a bad IPv4 header checksum");
}
END_TEST

START_TEST(not_started)
{
	uint8_t b[2000];
	size_t n;

	ck_assert(!tcpgro_append(&g, b, seg(b, false, 0, 100, 0x10, 5)));	/* empty */
	ck_assert(!tcpgro_start(&g, b, seg(b, false, 0, 100, 0x02, 5)));	/* SYN */
	ck_assert(!tcpgro_start(&g, b, seg(b, false, 0, 0, 0x10, 5)));	/* pure ACK */
	n = seg(b, true, 0, 100, 0x10, 5);
	b[60] ^= 0x80;			/* a payload bit: the TCP checksum fails */
	ck_assert(!tcpgro_start(&g, b, n));
	n = seg(b, false, 0, 101, 0x10, 5);
	b[n - 1] ^= 1;			/* the odd last byte */
	ck_assert(!tcpgro_start(&g, b, n));
	b[n - 1] ^= 1;
	ck_assert(tcpgro_start(&g, b, n));
	ck_assert_uint_eq(tcpgro_finish(&g), VNET_HDR_LEN + n);
	n = seg(b, false, 0, 100, 0x10, 5);
	b[0] = 0x46;			/* IP options */
	ck_assert(!tcpgro_start(&g, b, n));
	n = seg(b, true, 0, 100, 0x10, 5);
	b[6] = 0;			/* hop-by-hop header first */
	ck_assert(!tcpgro_start(&g, b, n));
	for (size_t cut = 0; cut < HLEN4 + 1; cut++) {
		n = seg(b, false, 0, 100, 0x10, 5);
		ck_assert(!tcpgro_start(&g, b, cut));
	}
	ck_assert(tcpgro_start(&g, b, n));
	ck_assert(!tcpgro_start(&g, b, n));	/* already holds a run */
}
END_TEST

START_TEST(shorter_ends_run)
{
	uint8_t b[2000];

	ck_assert(tcpgro_start(&g, b, seg(b, false, 0, 100, 0x10, 5)));
	ck_assert(tcpgro_append(&g, b, seg(b, false, 100, 50, 0x10, 5)));
	ck_assert(!tcpgro_append(&g, b, seg(b, false, 150, 50, 0x10, 5)));
	check_joined(tcpgro_finish(&g), false, 0, 2, 100, 50);
}
END_TEST

START_TEST(caps)
{
	uint8_t b[2000];
	uint32_t seq = 0;
	unsigned k = 1;

	/* at most TCPGRO_MAX_SEGS segments */
	ck_assert(tcpgro_start(&g, b, seg(b, false, seq, 100, 0x10, 5)));
	for (seq = 100; tcpgro_append(&g, b, seg(b, false, seq, 100, 0x10, 5)); seq += 100)
		k++;
	ck_assert_uint_eq(k, TCPGRO_MAX_SEGS);
	check_joined(tcpgro_finish(&g), false, 0, k, 100, 100);
	/* and an IP packet of at most 65535 bytes */
	k = 1;
	ck_assert(tcpgro_start(&g, b, seg(b, false, 0, 1448, 0x10, 5)));
	for (seq = 1448; tcpgro_append(&g, b, seg(b, false, seq, 1448, 0x10, 5)); seq += 1448)
		k++;
	ck_assert_uint_eq(k, (TCPGRO_MAX_LEN - HLEN4) / 1448);
	check_joined(tcpgro_finish(&g), false, 0, k, 1448, 1448);
}
END_TEST

static Suite *tcpgro_suite(void)
{
	Suite *s = suite_create("tcpgro");
	TCase *t = tcase_create("runs");

	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, joins_v4);
	tcase_add_test(t, joins_v6);
	tcase_add_test(t, psh_kept);
	tcase_add_test(t, single_segment_unchanged);
	tcase_add_test(t, refusals);
	tcase_add_test(t, not_started);
	tcase_add_test(t, shorter_ends_run);
	tcase_add_test(t, caps);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return check_run(tcpgro_suite());
}
