/*
 * check_udpwire.c - unit tests for lib/udpwire.c: the datagram header as
 * a stranger on the Internet can send it (before any cryptography), the
 * probe plaintext, the fragment header and the UDP offer a peer sends on
 * its control channel.  Every rejection rule of udpwire.h is exercised,
 * and decoders read exact-size heap copies so that an overread shows up
 * under ASan or valgrind.
 */
#include "config.h"
#include "udpwire.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static bool hdr_get_copy(const uint8_t *buf, size_t len, struct udpw_hdr *h)
{
	uint8_t *p = dup_exact(buf, len);
	bool ok = udpw_hdr_get(p, len, h);

	free(p);
	return ok;
}

static bool probe_decode_copy(const uint8_t *buf, size_t len, struct udpw_probe *pr)
{
	uint8_t *p = dup_exact(buf, len);
	bool ok = udpw_probe_decode(p, len, pr);

	free(p);
	return ok;
}

static bool frag_get_copy(const uint8_t *buf, size_t len, struct udpw_frag *f)
{
	uint8_t *p = dup_exact(buf, len);
	bool ok = udpw_frag_get(p, len, f);

	free(p);
	return ok;
}

static bool offer_decode_copy(const uint8_t *buf, size_t len, struct udpw_offer *o)
{
	uint8_t *p = dup_exact(buf, len);
	bool ok = udpw_offer_decode(p, len, o);

	free(p);
	return ok;
}

/* ---------------------------------------------------------------- header */

static const struct udpw_hdr test_hdr = {
	.type = UDPW_DATA, .flags = UDPW_F_EPOCH | UDPW_F_FRAG | UDPW_F_ORDER | UDPW_F_SHORT,
	.path = 0xa1b2, .index = 0xc3d4e5f6, .counter = 0x0102030405060708ull,
};

/* A datagram of len bytes (header, then zeros) with test_hdr's fields. */
static void make_dgram(uint8_t *buf, size_t len, const struct udpw_hdr *h)
{
	memset(buf, 0, len);
	udpw_hdr_put(buf, h);
}

START_TEST(hdr_roundtrip)
{
	static const uint8_t want[UDPW_HDR_LEN] = {
		UDPW_DATA, 0x0f, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6,
		1, 2, 3, 4, 5, 6, 7, 8,
	};
	uint8_t buf[UDPW_OVERHEAD + 1];
	struct udpw_hdr h = test_hdr, out;

	make_dgram(buf, sizeof(buf), &h);
	ck_assert_mem_eq(buf, want, UDPW_HDR_LEN);
	memset(&out, 0x55, sizeof(out));
	ck_assert(hdr_get_copy(buf, sizeof(buf), &out));
	ck_assert_uint_eq(out.type, UDPW_DATA);
	ck_assert_uint_eq(out.flags, UDPW_F_KNOWN);
	ck_assert_uint_eq(out.path, 0xa1b2);
	ck_assert_uint_eq(out.index, 0xc3d4e5f6);
	ck_assert_uint_eq(out.counter, 0x0102030405060708ull);
	/* extremes: a probe with the top counter, no flags, zero path/index */
	h.type = UDPW_PROBE;
	h.flags = 0;
	h.path = 0;
	h.index = 0;
	h.counter = UINT64_MAX;
	make_dgram(buf, UDPW_OVERHEAD, &h);
	ck_assert(hdr_get_copy(buf, UDPW_OVERHEAD, &out));
	ck_assert_uint_eq(out.type, UDPW_PROBE);
	ck_assert_uint_eq(out.flags, 0);
	ck_assert_uint_eq(out.path, 0);
	ck_assert_uint_eq(out.index, 0);
	ck_assert_uint_eq(out.counter, UINT64_MAX);
	/* the probe counter space and the epoch bit on a probe */
	h.counter = UDPW_CTR_PROBE | 1;
	h.flags = UDPW_F_EPOCH;
	make_dgram(buf, UDPW_OVERHEAD, &h);
	ck_assert(hdr_get_copy(buf, UDPW_OVERHEAD, &out));
	ck_assert_uint_eq(out.counter, UDPW_CTR_PROBE | 1);
	ck_assert_uint_eq(out.flags, UDPW_F_EPOCH);
}
END_TEST

START_TEST(hdr_short)
{
	uint8_t buf[UDPW_MAX_DGRAM];
	struct udpw_hdr h = test_hdr, out;
	size_t len;

	make_dgram(buf, sizeof(buf), &h);
	/* DATA: header, tag and at least one plaintext byte */
	for (len = 0; len <= UDPW_OVERHEAD; len++)
		ck_assert_msg(!hdr_get_copy(buf, len, &out), "data len %zu", len);
	ck_assert(hdr_get_copy(buf, UDPW_OVERHEAD + 1, &out));
	ck_assert(hdr_get_copy(buf, UDPW_MAX_DGRAM, &out));
	/* PROBE: header and tag suffice here (the plaintext is checked later) */
	h.type = UDPW_PROBE;
	h.flags = 0;
	make_dgram(buf, sizeof(buf), &h);
	for (len = 0; len < UDPW_OVERHEAD; len++)
		ck_assert_msg(!hdr_get_copy(buf, len, &out), "probe len %zu", len);
	ck_assert(hdr_get_copy(buf, UDPW_OVERHEAD, &out));
}
END_TEST

START_TEST(hdr_unknown_type)
{
	uint8_t buf[UDPW_OVERHEAD + 8];
	struct udpw_hdr h = test_hdr, out;
	unsigned t;

	h.flags = 0;
	make_dgram(buf, sizeof(buf), &h);
	for (t = 0; t <= 0xff; t++) {
		buf[0] = (uint8_t)t;
		ck_assert_msg(hdr_get_copy(buf, sizeof(buf), &out) ==
			      (t == UDPW_DATA || t == UDPW_PROBE), "type %u", t);
	}
}
END_TEST

START_TEST(hdr_unknown_flags)
{
	uint8_t buf[UDPW_OVERHEAD + 8];
	struct udpw_hdr h = test_hdr, out;
	unsigned f;

	make_dgram(buf, sizeof(buf), &h);
	for (f = 0; f <= 0xff; f++) {
		buf[1] = (uint8_t)f;
		ck_assert_msg(hdr_get_copy(buf, sizeof(buf), &out) ==
			      !(f & ~UDPW_F_KNOWN), "flags %#x", f);
		if (!(f & ~UDPW_F_KNOWN))
			ck_assert_uint_eq(out.flags, f);
	}
}
END_TEST

START_TEST(hdr_probe_flags)
{
	uint8_t buf[UDPW_OVERHEAD + UDPW_PROBE_LEN];
	struct udpw_hdr h = test_hdr, out;
	unsigned f;

	h.type = UDPW_PROBE;
	make_dgram(buf, sizeof(buf), &h);
	for (f = 0; f <= 0xff; f++) {
		buf[1] = (uint8_t)f;
		ck_assert_msg(hdr_get_copy(buf, sizeof(buf), &out) ==
			      (f == 0 || f == UDPW_F_EPOCH), "flags %#x", f);
	}
}
END_TEST

START_TEST(hdr_counter_zero)
{
	uint8_t buf[UDPW_OVERHEAD + 1];
	struct udpw_hdr h = test_hdr, out;
	int i;

	h.counter = 0;
	make_dgram(buf, sizeof(buf), &h);
	ck_assert(!hdr_get_copy(buf, sizeof(buf), &out));
	h.type = UDPW_PROBE;
	h.flags = 0;
	make_dgram(buf, sizeof(buf), &h);
	ck_assert(!hdr_get_copy(buf, sizeof(buf), &out));
	/* any one bit makes it valid */
	for (i = 0; i < 64; i++) {
		h.counter = 1ull << i;
		make_dgram(buf, sizeof(buf), &h);
		ck_assert(hdr_get_copy(buf, sizeof(buf), &out));
		ck_assert_uint_eq(out.counter, 1ull << i);
	}
}
END_TEST

START_TEST(hdr_set_path)
{
	uint8_t buf[UDPW_OVERHEAD + 5], before[sizeof(buf)];
	struct udpw_hdr out;
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(0x30 + i);
	buf[0] = UDPW_DATA;
	buf[1] = UDPW_F_EPOCH;
	memcpy(before, buf, sizeof(buf));
	udpw_set_path(buf, 0xbeef);
	ck_assert_uint_eq(buf[2], 0xbe);
	ck_assert_uint_eq(buf[3], 0xef);
	for (i = 0; i < sizeof(buf); i++)
		if (i != 2 && i != 3)
			ck_assert_msg(buf[i] == before[i], "byte %zu", i);
	ck_assert(hdr_get_copy(buf, sizeof(buf), &out));
	ck_assert_uint_eq(out.path, 0xbeef);
	udpw_set_path(buf, 0);
	ck_assert(hdr_get_copy(buf, sizeof(buf), &out));
	ck_assert_uint_eq(out.path, 0);
	udpw_set_path(buf, (uint16_t)(before[2] << 8 | before[3]));
	ck_assert_mem_eq(buf, before, sizeof(buf));
}
END_TEST

/* ---------------------------------------------------------------- probe */

static const struct udpw_probe test_probe = {
	.kind = UDPW_PROBE_REQ, .path = 0x0102, .size = 1200,
	.time = 0x1112131415161718ull, .token = 0xf1f2f3f4f5f6f7f8ull,
};

START_TEST(probe_roundtrip)
{
	static const uint8_t want[UDPW_PROBE_LEN] = {
		UDPW_PROBE_REQ, 0, 0x01, 0x02, 0, 0, 0x04, 0xb0,
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
	};
	struct udpw_probe pr = test_probe, out;
	uint8_t buf[UDPW_PROBE_LEN + 8];
	size_t pad;

	/* no padding: pad below, at, or 0 */
	for (pad = 0; pad <= UDPW_PROBE_LEN; pad++) {
		memset(buf, 0xee, sizeof(buf));
		ck_assert_uint_eq(udpw_probe_encode(buf, sizeof(buf), &pr, pad),
				  UDPW_PROBE_LEN);
		ck_assert_mem_eq(buf, want, UDPW_PROBE_LEN);
		ck_assert_uint_eq(buf[UDPW_PROBE_LEN], 0xee);
	}
	memset(&out, 0x55, sizeof(out));
	ck_assert(probe_decode_copy(buf, UDPW_PROBE_LEN, &out));
	ck_assert_uint_eq(out.kind, UDPW_PROBE_REQ);
	ck_assert_uint_eq(out.path, 0x0102);
	ck_assert_uint_eq(out.size, 1200);
	ck_assert_uint_eq(out.time, pr.time);
	ck_assert_uint_eq(out.token, pr.token);
	/* a reply */
	pr.kind = UDPW_PROBE_REPLY;
	pr.time = 0;
	pr.token = UINT64_MAX;
	pr.size = UINT32_MAX;
	pr.path = UINT16_MAX;
	ck_assert_uint_eq(udpw_probe_encode(buf, UDPW_PROBE_LEN, &pr, 0),
			  UDPW_PROBE_LEN);
	ck_assert(probe_decode_copy(buf, UDPW_PROBE_LEN, &out));
	ck_assert_uint_eq(out.kind, UDPW_PROBE_REPLY);
	ck_assert_uint_eq(out.path, UINT16_MAX);
	ck_assert_uint_eq(out.size, UINT32_MAX);
	ck_assert_uint_eq(out.time, 0);
	ck_assert_uint_eq(out.token, UINT64_MAX);
}
END_TEST

START_TEST(probe_padded)
{
	static const size_t pads[] = { UDPW_PROBE_LEN + 1, 100, 1200 - UDPW_OVERHEAD,
				       UDPW_MAX_DGRAM - UDPW_OVERHEAD };
	struct udpw_probe pr = test_probe, out;
	uint8_t *buf = malloc(UDPW_MAX_DGRAM);
	size_t i, j, n;

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < sizeof(pads) / sizeof(pads[0]); i++) {
		memset(buf, 0xee, UDPW_MAX_DGRAM);
		pr.size = (uint32_t)(pads[i] + UDPW_OVERHEAD);
		n = udpw_probe_encode(buf, UDPW_MAX_DGRAM, &pr, pads[i]);
		ck_assert_uint_eq(n, pads[i]);
		for (j = UDPW_PROBE_LEN; j < n; j++)
			ck_assert_msg(buf[j] == 0, "pad %zu byte %zu", n, j);
		ck_assert(probe_decode_copy(buf, n, &out));
		ck_assert_uint_eq(out.kind, UDPW_PROBE_REQ);
		ck_assert_uint_eq(out.size, pads[i] + UDPW_OVERHEAD);
		ck_assert_uint_eq(out.token, pr.token);
		/* exact room fits, one byte less does not */
		ck_assert_uint_eq(udpw_probe_encode(buf, n, &pr, pads[i]), n);
		ck_assert_uint_eq(udpw_probe_encode(buf, n - 1, &pr, pads[i]), 0);
	}
	free(buf);
}
END_TEST

START_TEST(probe_encode_refuses)
{
	struct udpw_probe pr = test_probe;
	uint8_t buf[UDPW_PROBE_LEN + 16];
	size_t cap;

	for (cap = 0; cap < UDPW_PROBE_LEN; cap++)
		ck_assert_uint_eq(udpw_probe_encode(buf, cap, &pr, 0), 0);
	ck_assert_uint_eq(udpw_probe_encode(buf, UDPW_PROBE_LEN, &pr, 0),
			  UDPW_PROBE_LEN);
	/* what the decoder would refuse: unknown kinds, a padded reply */
	pr.kind = 0;
	ck_assert_uint_eq(udpw_probe_encode(buf, sizeof(buf), &pr, 0), 0);
	pr.kind = 3;
	ck_assert_uint_eq(udpw_probe_encode(buf, sizeof(buf), &pr, 0), 0);
	pr.kind = UDPW_PROBE_REPLY;
	ck_assert_uint_eq(udpw_probe_encode(buf, sizeof(buf), &pr, UDPW_PROBE_LEN + 1), 0);
	ck_assert_uint_eq(udpw_probe_encode(buf, sizeof(buf), &pr, UDPW_PROBE_LEN),
			  UDPW_PROBE_LEN);
}
END_TEST

START_TEST(probe_short)
{
	struct udpw_probe pr = test_probe, out;
	uint8_t buf[UDPW_PROBE_LEN];
	size_t len;

	pr.kind = UDPW_PROBE_REPLY;
	ck_assert_uint_eq(udpw_probe_encode(buf, sizeof(buf), &pr, 0), sizeof(buf));
	for (len = 0; len < UDPW_PROBE_LEN; len++)
		ck_assert_msg(!probe_decode_copy(buf, len, &out), "len %zu", len);
	ck_assert(probe_decode_copy(buf, UDPW_PROBE_LEN, &out));
}
END_TEST

START_TEST(probe_bad_kind_flags)
{
	struct udpw_probe out;
	uint8_t buf[UDPW_PROBE_LEN];
	unsigned v;

	ck_assert_uint_eq(udpw_probe_encode(buf, sizeof(buf), &test_probe, 0),
			  sizeof(buf));
	for (v = 0; v <= 0xff; v++) {
		buf[0] = (uint8_t)v;
		ck_assert_msg(probe_decode_copy(buf, sizeof(buf), &out) ==
			      (v == UDPW_PROBE_REQ || v == UDPW_PROBE_REPLY),
			      "kind %u", v);
	}
	buf[0] = UDPW_PROBE_REQ;
	for (v = 1; v <= 0xff; v++) {
		buf[1] = (uint8_t)v;
		ck_assert_msg(!probe_decode_copy(buf, sizeof(buf), &out), "flags %#x", v);
	}
	buf[1] = 0;
	ck_assert(probe_decode_copy(buf, sizeof(buf), &out));
}
END_TEST

START_TEST(probe_bad_padding)
{
	struct udpw_probe out;
	uint8_t buf[300];
	size_t i;

	ck_assert_uint_eq(udpw_probe_encode(buf, sizeof(buf), &test_probe, sizeof(buf)),
			  sizeof(buf));
	ck_assert(probe_decode_copy(buf, sizeof(buf), &out));
	for (i = UDPW_PROBE_LEN; i < sizeof(buf); i++) {
		buf[i] = (uint8_t)(i & 1 ? 0x80 : 0x01);
		ck_assert_msg(!probe_decode_copy(buf, sizeof(buf), &out), "byte %zu", i);
		/* cut just before it: fine again */
		ck_assert(probe_decode_copy(buf, i, &out));
		buf[i] = 0;
	}
	ck_assert(probe_decode_copy(buf, sizeof(buf), &out));
}
END_TEST

START_TEST(probe_reply_padded)
{
	struct udpw_probe pr = test_probe, out;
	uint8_t buf[UDPW_PROBE_LEN + 40];
	size_t len;

	pr.kind = UDPW_PROBE_REPLY;
	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(udpw_probe_encode(buf, sizeof(buf), &pr, 0), UDPW_PROBE_LEN);
	ck_assert(probe_decode_copy(buf, UDPW_PROBE_LEN, &out));
	/* even zero padding is refused on a reply */
	for (len = UDPW_PROBE_LEN + 1; len <= sizeof(buf); len++)
		ck_assert_msg(!probe_decode_copy(buf, len, &out), "len %zu", len);
	/* the same bytes as a request are fine */
	buf[0] = UDPW_PROBE_REQ;
	ck_assert(probe_decode_copy(buf, sizeof(buf), &out));
}
END_TEST

/* ---------------------------------------------------------------- fragment */

START_TEST(frag_roundtrip)
{
	static const uint8_t want[UDPW_FRAG_HDR_LEN] = { 3, 64, 0x12, 0x34 };
	struct udpw_frag f = { .index = 3, .count = UDPW_FRAG_MAX, .offset = 0x1234 };
	struct udpw_frag out;
	uint8_t buf[UDPW_FRAG_HDR_LEN + 100];

	memset(buf, 0xaa, sizeof(buf));
	udpw_frag_put(buf, &f);
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_uint_eq(buf[UDPW_FRAG_HDR_LEN], 0xaa);
	memset(&out, 0x55, sizeof(out));
	ck_assert(frag_get_copy(buf, sizeof(buf), &out));
	ck_assert_uint_eq(out.index, 3);
	ck_assert_uint_eq(out.count, UDPW_FRAG_MAX);
	ck_assert_uint_eq(out.offset, 0x1234);
	/* the first of two, the last of UDPW_FRAG_MAX */
	f = (struct udpw_frag){ .index = 0, .count = 2, .offset = 0 };
	udpw_frag_put(buf, &f);
	ck_assert(frag_get_copy(buf, UDPW_FRAG_HDR_LEN + 1, &out));
	ck_assert_uint_eq(out.index, 0);
	ck_assert_uint_eq(out.count, 2);
	ck_assert_uint_eq(out.offset, 0);
	f = (struct udpw_frag){ .index = 63, .count = 64, .offset = 65000 };
	udpw_frag_put(buf, &f);
	ck_assert(frag_get_copy(buf, UDPW_FRAG_HDR_LEN + 1, &out));
	ck_assert_uint_eq(out.index, 63);
	ck_assert_uint_eq(out.offset, 65000);
}
END_TEST

START_TEST(frag_short)
{
	struct udpw_frag f = { .index = 0, .count = 2, .offset = 0 }, out;
	uint8_t buf[UDPW_FRAG_HDR_LEN + 1] = { 0 };
	size_t len;

	udpw_frag_put(buf, &f);
	/* the header alone, without a byte of the packet, is refused too */
	for (len = 0; len <= UDPW_FRAG_HDR_LEN; len++)
		ck_assert_msg(!frag_get_copy(buf, len, &out), "len %zu", len);
	ck_assert(frag_get_copy(buf, sizeof(buf), &out));
}
END_TEST

START_TEST(frag_bad_count_index)
{
	uint8_t buf[UDPW_FRAG_HDR_LEN + 10] = { 0 };
	struct udpw_frag out;
	unsigned count, index;

	for (count = 0; count <= 0xff; count++) {
		for (index = 0; index <= 0xff; index++) {
			bool want = count >= 2 && count <= UDPW_FRAG_MAX && index < count;

			buf[0] = (uint8_t)index;
			buf[1] = (uint8_t)count;
			ck_assert_msg(udpw_frag_get(buf, sizeof(buf), &out) == want,
				      "index %u count %u", index, count);
		}
	}
}
END_TEST

START_TEST(frag_offset_limit)
{
	uint8_t *buf = calloc(1, UDPW_FRAG_HDR_LEN + 65536);
	struct udpw_frag f = { .index = 1, .count = 2 }, out;

	ck_assert_ptr_nonnull(buf);
	/* the last byte may sit at 65534, not at 65535 */
	f.offset = 65534;
	udpw_frag_put(buf, &f);
	ck_assert(frag_get_copy(buf, UDPW_FRAG_HDR_LEN + 1, &out));
	ck_assert_uint_eq(out.offset, 65534);
	ck_assert(!frag_get_copy(buf, UDPW_FRAG_HDR_LEN + 2, &out));
	f.offset = 65535;
	udpw_frag_put(buf, &f);
	ck_assert(!frag_get_copy(buf, UDPW_FRAG_HDR_LEN + 1, &out));
	/* offset 0: at most 65535 bytes */
	f.offset = 0;
	udpw_frag_put(buf, &f);
	ck_assert(udpw_frag_get(buf, UDPW_FRAG_HDR_LEN + 65535, &out));
	ck_assert(!udpw_frag_get(buf, UDPW_FRAG_HDR_LEN + 65536, &out));
	ck_assert(!udpw_frag_get(buf, SIZE_MAX, &out));
	f.offset = 1000;
	udpw_frag_put(buf, &f);
	ck_assert(udpw_frag_get(buf, UDPW_FRAG_HDR_LEN + 64535, &out));
	ck_assert(!udpw_frag_get(buf, UDPW_FRAG_HDR_LEN + 64536, &out));
	free(buf);
}
END_TEST

/* ---------------------------------------------------------------- offer */

static struct udpw_endpoint ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct udpw_endpoint e;

	memset(&e, 0, sizeof(e));
	e.family = 4;
	e.addr[0] = a;
	e.addr[1] = b;
	e.addr[2] = c;
	e.addr[3] = d;
	e.port = port;
	return e;
}

static struct udpw_endpoint ep6(uint8_t first, uint8_t last, uint16_t port)
{
	struct udpw_endpoint e;

	memset(&e, 0, sizeof(e));
	e.family = 6;
	e.addr[0] = 0x20;
	e.addr[1] = 0x01;
	e.addr[2] = first;
	e.addr[15] = last;
	e.port = port;
	return e;
}

static struct udpw_offer test_offer(uint8_t n)
{
	struct udpw_offer o;
	uint8_t i;

	memset(&o, 0, sizeof(o));
	o.cipher = UDPW_CHACHA20POLY1305;
	o.index = 0x01020304;
	o.n = n;
	for (i = 0; i < n; i++)
		o.ep[i] = i % 3 == 1 ? ep6(i, (uint8_t)(0xf0 + i), (uint16_t)(65535 - i))
				     : ep4(10, 0, i, 1, (uint16_t)(655 + i));
	return o;
}

static size_t offer_len(const struct udpw_offer *o)
{
	size_t n = 7;
	uint8_t i;

	for (i = 0; i < o->n; i++)
		n += o->ep[i].family == 4 ? 7 : 19;
	return n;
}

static void offer_same(const struct udpw_offer *a, const struct udpw_offer *b)
{
	uint8_t i;

	ck_assert_uint_eq(a->cipher, b->cipher);
	ck_assert_uint_eq(a->index, b->index);
	ck_assert_uint_eq(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		ck_assert_uint_eq(a->ep[i].family, b->ep[i].family);
		ck_assert_mem_eq(a->ep[i].addr, b->ep[i].addr,
				 a->ep[i].family == 4 ? 4 : 16);
		ck_assert_uint_eq(a->ep[i].port, b->ep[i].port);
	}
}

/* Encodes o, checks the length and the cap bound, decodes it back. */
static size_t offer_roundtrip(const struct udpw_offer *o, uint8_t *buf, size_t cap)
{
	struct udpw_offer out;
	size_t n = udpw_offer_encode(buf, cap, o), c;

	ck_assert_uint_eq(n, offer_len(o));
	for (c = 0; c < n; c++)
		ck_assert_msg(udpw_offer_encode(buf + n, c, o) == 0, "cap %zu", c);
	memset(&out, 0x55, sizeof(out));
	ck_assert(offer_decode_copy(buf, n, &out));
	offer_same(o, &out);
	return n;
}

START_TEST(offer_roundtrip_empty)
{
	static const uint8_t want[] = { 1, UDPW_AES256GCM, 0xff, 0xff, 0xff, 0xff, 0 };
	struct udpw_offer o = test_offer(0), out;
	uint8_t buf[2 * 7];

	o.cipher = UDPW_AES256GCM;
	o.index = UINT32_MAX;
	ck_assert_uint_eq(offer_roundtrip(&o, buf, 7), 7);
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert(offer_decode_copy(buf, 7, &out));
	ck_assert_uint_eq(out.n, 0);
}
END_TEST

START_TEST(offer_roundtrip_v4)
{
	static const uint8_t want[] = {
		1, UDPW_CHACHA20POLY1305, 1, 2, 3, 4, 1,
		4, 192, 0, 2, 1, 0x02, 0x8f,
	};
	struct udpw_offer o = test_offer(0), out;
	uint8_t buf[2 * sizeof(want)];
	size_t i;

	o.n = 1;
	o.ep[0] = ep4(192, 0, 2, 1, 655);
	ck_assert_uint_eq(offer_roundtrip(&o, buf, sizeof(want)), sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert(offer_decode_copy(buf, sizeof(want), &out));
	/* the unused address bytes of IPv4 come back zero */
	for (i = 4; i < 16; i++)
		ck_assert_uint_eq(out.ep[0].addr[i], 0);
}
END_TEST

START_TEST(offer_roundtrip_v6)
{
	static const uint8_t want[] = {
		1, UDPW_CHACHA20POLY1305, 1, 2, 3, 4, 1,
		6, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
		0xff, 0xff,
	};
	struct udpw_offer o = test_offer(0);
	uint8_t buf[2 * sizeof(want)];

	o.n = 1;
	o.ep[0] = ep6(0x0d, 0x01, 65535);
	o.ep[0].addr[3] = 0xb8;
	ck_assert_uint_eq(offer_roundtrip(&o, buf, sizeof(want)), sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

START_TEST(offer_roundtrip_max)
{
	struct udpw_offer o = test_offer(UDPW_OFFER_MAX_EP), out;
	uint8_t buf[2 * (7 + UDPW_OFFER_MAX_EP * 19)];
	size_t n;

	n = offer_roundtrip(&o, buf, sizeof(buf) / 2);
	ck_assert_uint_eq(n, 7 + 11 * 7 + 5 * 19);
	ck_assert(offer_decode_copy(buf, n, &out));
	ck_assert_uint_eq(out.n, UDPW_OFFER_MAX_EP);
	ck_assert_uint_eq(out.ep[1].family, 6);
	ck_assert_uint_eq(out.ep[15].port, 655 + 15);
	/* every endpoint IPv6: the longest offer */
	for (n = 0; n < UDPW_OFFER_MAX_EP; n++)
		o.ep[n] = ep6((uint8_t)n, (uint8_t)n, (uint16_t)(n + 1));
	ck_assert_uint_eq(offer_roundtrip(&o, buf, sizeof(buf) / 2),
			  7 + UDPW_OFFER_MAX_EP * 19);
}
END_TEST

START_TEST(offer_bad_fixed)
{
	struct udpw_offer o = test_offer(2), out, keep;
	uint8_t buf[64];
	size_t n;
	unsigned v;

	n = udpw_offer_encode(buf, sizeof(buf), &o);
	ck_assert_uint_gt(n, 0);
	ck_assert(offer_decode_copy(buf, n, &out));
	/* version */
	for (v = 0; v <= 0xff; v++) {
		buf[0] = (uint8_t)v;
		ck_assert_msg(offer_decode_copy(buf, n, &out) == (v == 1), "version %u", v);
	}
	buf[0] = 1;
	/* cipher */
	for (v = 0; v <= 0xff; v++) {
		buf[1] = (uint8_t)v;
		ck_assert_msg(offer_decode_copy(buf, n, &out) ==
			      (v == UDPW_AES256GCM || v == UDPW_CHACHA20POLY1305),
			      "cipher %u", v);
	}
	buf[1] = UDPW_AES256GCM;
	/* index 0; a refused offer leaves *o alone */
	memset(buf + 2, 0, 4);
	memset(&keep, 0x5a, sizeof(keep));
	out = keep;
	ck_assert(!offer_decode_copy(buf, n, &out));
	ck_assert_mem_eq(&out, &keep, sizeof(out));
	buf[5] = 1;
	ck_assert(offer_decode_copy(buf, n, &out));
	ck_assert_uint_eq(out.index, 1);
}
END_TEST

START_TEST(offer_too_many)
{
	uint8_t *buf = calloc(1, 7 + 255 * 7);
	struct udpw_offer o = test_offer(UDPW_OFFER_MAX_EP), out;
	size_t n, i;

	ck_assert_ptr_nonnull(buf);
	/* 17 and 255 well-formed IPv4 endpoints */
	n = udpw_offer_encode(buf, 7 + 255 * 7, &o);
	ck_assert_uint_gt(n, 0);
	buf[6] = 0;
	n = 7;
	for (i = 0; i < 255; i++) {
		buf[n] = 4;
		buf[n + 1] = 10;
		buf[n + 5] = 0;
		buf[n + 6] = 1;
		n += 7;
		buf[6] = (uint8_t)(i + 1);
		ck_assert_msg(offer_decode_copy(buf, n, &out) == (i + 1 <= UDPW_OFFER_MAX_EP),
			      "n %zu", i + 1);
	}
	/* the encoder refuses them too */
	o.n = UDPW_OFFER_MAX_EP + 1;
	o.ep[0] = ep4(1, 2, 3, 4, 5);
	ck_assert_uint_eq(udpw_offer_encode(buf, 7 + 255 * 7, &o), 0);
	o.n = 255;
	ck_assert_uint_eq(udpw_offer_encode(buf, 7 + 255 * 7, &o), 0);
	free(buf);
}
END_TEST

START_TEST(offer_bad_family)
{
	struct udpw_offer o = test_offer(0), out;
	uint8_t buf[7 + 19 + 19];
	unsigned fam;

	o.n = 1;
	o.ep[0] = ep6(1, 2, 3);
	ck_assert_uint_eq(udpw_offer_encode(buf, sizeof(buf), &o), 7 + 19);
	memset(buf + 7 + 19, 0, 19);
	for (fam = 0; fam <= 0xff; fam++) {
		buf[7] = (uint8_t)fam;
		/* a family of either size, with the bytes of either length */
		ck_assert_msg(offer_decode_copy(buf, 7 + 19, &out) == (fam == 6),
			      "family %u", fam);
		if (fam != 4) {
			buf[7 + 5] = 0;
			buf[7 + 6] = 1;
			ck_assert_msg(!offer_decode_copy(buf, 7 + 7, &out), "family %u", fam);
		}
	}
	/* family 5 is refused by the encoder too */
	o.ep[0].family = 5;
	ck_assert_uint_eq(udpw_offer_encode(buf, sizeof(buf), &o), 0);
	o.ep[0].family = 0;
	ck_assert_uint_eq(udpw_offer_encode(buf, sizeof(buf), &o), 0);
}
END_TEST

START_TEST(offer_port_zero)
{
	struct udpw_offer o = test_offer(3), out;
	uint8_t buf[128];
	size_t n;
	uint8_t i;

	for (i = 0; i < 3; i++) {
		o = test_offer(3);
		n = udpw_offer_encode(buf, sizeof(buf), &o);
		ck_assert_uint_gt(n, 0);
		ck_assert(offer_decode_copy(buf, n, &out));
		o.ep[i].port = 0;
		ck_assert_uint_eq(udpw_offer_encode(buf, sizeof(buf), &o), 0);
	}
	/* on the wire: the last two bytes of the last endpoint */
	o = test_offer(3);
	n = udpw_offer_encode(buf, sizeof(buf), &o);
	buf[n - 2] = 0;
	buf[n - 1] = 0;
	ck_assert(!offer_decode_copy(buf, n, &out));
	buf[n - 2] = 0x80;
	ck_assert(offer_decode_copy(buf, n, &out));
	ck_assert_uint_eq(out.ep[2].port, 0x8000);
	/* encoder: index 0 and unknown cipher */
	o.index = 0;
	ck_assert_uint_eq(udpw_offer_encode(buf, sizeof(buf), &o), 0);
	o = test_offer(3);
	o.cipher = 0;
	ck_assert_uint_eq(udpw_offer_encode(buf, sizeof(buf), &o), 0);
	o.cipher = 3;
	ck_assert_uint_eq(udpw_offer_encode(buf, sizeof(buf), &o), 0);
}
END_TEST

START_TEST(offer_truncated_every_length)
{
	struct udpw_offer o = test_offer(UDPW_OFFER_MAX_EP), out;
	uint8_t buf[7 + UDPW_OFFER_MAX_EP * 19];
	size_t n, cut;

	n = udpw_offer_encode(buf, sizeof(buf), &o);
	ck_assert_uint_gt(n, 0);
	for (cut = 0; cut < n; cut++)
		ck_assert_msg(!offer_decode_copy(buf, cut, &out), "cut at %zu", cut);
	ck_assert(offer_decode_copy(buf, n, &out));
}
END_TEST

START_TEST(offer_trailing)
{
	struct udpw_offer out;
	uint8_t buf[7 + 7 + 19 + 32];
	size_t n, extra;
	uint8_t k;

	for (k = 0; k <= 2; k++) {
		struct udpw_offer o = test_offer(k);

		n = udpw_offer_encode(buf, sizeof(buf), &o);
		ck_assert_uint_gt(n, 0);
		for (extra = 1; extra <= 32 && n + extra <= sizeof(buf); extra++) {
			memset(buf + n, extra == 1 ? 0 : 0xa5, extra);
			ck_assert_msg(!offer_decode_copy(buf, n + extra, &out),
				      "n %u extra %zu", k, extra);
		}
		ck_assert(offer_decode_copy(buf, n, &out));
	}
}
END_TEST

static Suite *udpwire_suite(void)
{
	Suite *s = suite_create("udpwire");
	TCase *th = tcase_create("header");
	TCase *tp = tcase_create("probe");
	TCase *tf = tcase_create("fragment");
	TCase *to = tcase_create("offer");

	tcase_add_test(th, hdr_roundtrip);
	tcase_add_test(th, hdr_short);
	tcase_add_test(th, hdr_unknown_type);
	tcase_add_test(th, hdr_unknown_flags);
	tcase_add_test(th, hdr_probe_flags);
	tcase_add_test(th, hdr_counter_zero);
	tcase_add_test(th, hdr_set_path);
	suite_add_tcase(s, th);
	tcase_add_test(tp, probe_roundtrip);
	tcase_add_test(tp, probe_padded);
	tcase_add_test(tp, probe_encode_refuses);
	tcase_add_test(tp, probe_short);
	tcase_add_test(tp, probe_bad_kind_flags);
	tcase_add_test(tp, probe_bad_padding);
	tcase_add_test(tp, probe_reply_padded);
	suite_add_tcase(s, tp);
	tcase_add_test(tf, frag_roundtrip);
	tcase_add_test(tf, frag_short);
	tcase_add_test(tf, frag_bad_count_index);
	tcase_add_test(tf, frag_offset_limit);
	suite_add_tcase(s, tf);
	tcase_add_test(to, offer_roundtrip_empty);
	tcase_add_test(to, offer_roundtrip_v4);
	tcase_add_test(to, offer_roundtrip_v6);
	tcase_add_test(to, offer_roundtrip_max);
	tcase_add_test(to, offer_bad_fixed);
	tcase_add_test(to, offer_too_many);
	tcase_add_test(to, offer_bad_family);
	tcase_add_test(to, offer_port_zero);
	tcase_add_test(to, offer_truncated_every_length);
	tcase_add_test(to, offer_trailing);
	suite_add_tcase(s, to);
	return s;
}

int main(void)
{
	return check_run(udpwire_suite());
}
