/*
 * check_defrag.c - unit tests for lib/defrag.c: packets come back whole
 * from 2..64 fragments in any order and interleaved with others, slots
 * time out and are evicted oldest first, and every fragment that
 * disagrees with its packet drops it.  Fragment bytes are passed as
 * exact-size heap copies so that an over-read shows up under valgrind or
 * ASan.
 */
#include "config.h"
#include "defrag.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* Byte j of test packet id. */
static uint8_t pat(unsigned id, size_t j)
{
	return (uint8_t)(j * 131 + id * 7 + (j >> 8));
}

static uint8_t *make_packet(unsigned id, size_t len)
{
	uint8_t *p = malloc(len);

	ck_assert_ptr_nonnull(p);
	for (size_t j = 0; j < len; j++)
		p[j] = pat(id, j);
	return p;
}

/* Fragment i of n of a packet of len bytes, as a sender would cut it. */
static void cut(size_t len, unsigned n, unsigned i, uint16_t *off, size_t *flen)
{
	size_t a = len * i / n, b = len * (i + 1) / n;

	*off = (uint16_t)a;
	*flen = b - a;
}

/* Add fragment idx/cnt holding bytes [off, off+len) of pkt. */
static enum defrag_result add(struct defrag *d, uint64_t base, unsigned idx, unsigned cnt,
			      const uint8_t *pkt, uint16_t off, size_t len, uint64_t now,
			      const uint8_t **out, size_t *outlen)
{
	struct udpw_frag f = { .index = (uint8_t)idx, .count = (uint8_t)cnt, .offset = off };
	uint8_t *p = dup_exact(pkt + off, len);
	enum defrag_result r = defrag_add(d, base + idx, &f, p, len, now, out, outlen);

	free(p);
	return r;
}

/* Add fragment i of n of packet id (len bytes) cut evenly. */
static enum defrag_result add_cut(struct defrag *d, uint64_t base, unsigned i, unsigned n,
				  const uint8_t *pkt, size_t len, uint64_t now,
				  const uint8_t **out, size_t *outlen)
{
	uint16_t off;
	size_t flen;

	cut(len, n, i, &off, &flen);
	return add(d, base, i, n, pkt, off, flen, now, out, outlen);
}

static void check_whole(const uint8_t *out, size_t outlen, const uint8_t *pkt, size_t len)
{
	ck_assert_uint_eq(outlen, len);
	ck_assert(!memcmp(out, pkt, len));
}

/* order: 0 forwards, 1 backwards, 2 odd indices first then even */
static unsigned nth(unsigned k, unsigned n, int order)
{
	unsigned odd = n / 2;

	switch (order) {
	case 1:
		return n - 1 - k;
	case 2:
		return k < odd ? 2 * k + 1 : 2 * (k - odd);
	}
	return k;
}

START_TEST(defrag_orders_and_counts)
{
	static const size_t lens[] = { 64, 1500, 9000, DEFRAG_MAX_PACKET };
	struct defrag d;

	ck_assert_int_eq(defrag_init(&d, 4, 1000), 0);
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		uint8_t *pkt = make_packet((unsigned)l, lens[l]);

		for (unsigned n = 2; n <= UDPW_FRAG_MAX; n++) {
			for (int order = 0; order < 3; order++) {
				uint64_t base = 1000 * n + 100 * (uint64_t)order + 1;
				const uint8_t *out = NULL;
				size_t outlen = 0;

				for (unsigned k = 0; k < n; k++) {
					enum defrag_result r;

					r = add_cut(&d, base, nth(k, n, order), n, pkt, lens[l],
						    0, &out, &outlen);
					ck_assert_int_eq(r, k + 1 < n ? DEFRAG_MORE : DEFRAG_DONE);
				}
				check_whole(out, outlen, pkt, lens[l]);
			}
		}
		free(pkt);
	}
	ck_assert_uint_eq(d.completed, 4 * 63 * 3);
	ck_assert_uint_eq(d.invalid, 0);
	ck_assert_uint_eq(d.evicted, 0);
	ck_assert_uint_eq(d.timed_out, 0);
	defrag_free(&d);
}
END_TEST

/* Uneven fragments, as a sender cutting at an MTU would make them. */
START_TEST(defrag_uneven)
{
	static const size_t sizes[] = { 1, 1400, 3, 600 };
	uint8_t *pkt = make_packet(9, 2004);
	const uint8_t *out;
	size_t outlen, off = 0;
	struct defrag d;

	ck_assert_int_eq(defrag_init(&d, 1, 1000), 0);
	for (unsigned i = 0; i < 4; i++) {
		enum defrag_result r = add(&d, 77, 3 - i, 4, pkt,
					   (uint16_t)(2004 - off - sizes[3 - i]),
					   sizes[3 - i], 0, &out, &outlen);

		off += sizes[3 - i];
		ck_assert_int_eq(r, i < 3 ? DEFRAG_MORE : DEFRAG_DONE);
	}
	check_whole(out, outlen, pkt, 2004);
	defrag_free(&d);
	free(pkt);
}
END_TEST

START_TEST(defrag_interleaved)
{
	enum { NPKT = 5, NFRAG = 7 };
	static const size_t lens[NPKT] = { 700, 7000, 65535, 64, 12345 };
	uint8_t *pkt[NPKT];
	bool done[NPKT] = { false };
	struct defrag d;

	ck_assert_int_eq(defrag_init(&d, NPKT, 1000), 0);
	for (unsigned p = 0; p < NPKT; p++)
		pkt[p] = make_packet(p, lens[p]);
	/* round robin, each packet in another order; bases NFRAG apart as a
	 * sender's consecutive counters would be */
	for (unsigned k = 0; k < NFRAG; k++) {
		for (unsigned p = 0; p < NPKT; p++) {
			const uint8_t *out;
			size_t outlen;
			enum defrag_result r;

			r = add_cut(&d, 1 + p * NFRAG, nth(k, NFRAG, p % 3), NFRAG, pkt[p],
				    lens[p], k, &out, &outlen);
			if (k + 1 < NFRAG) {
				ck_assert_int_eq(r, DEFRAG_MORE);
				continue;
			}
			ck_assert_int_eq(r, DEFRAG_DONE);
			check_whole(out, outlen, pkt[p], lens[p]);
			done[p] = true;
		}
	}
	for (unsigned p = 0; p < NPKT; p++) {
		ck_assert(done[p]);
		free(pkt[p]);
	}
	ck_assert_uint_eq(d.completed, NPKT);
	ck_assert_uint_eq(d.evicted, 0);
	defrag_free(&d);
}
END_TEST

START_TEST(defrag_timeout)
{
	uint8_t *pkt = make_packet(1, 300);
	const uint8_t *out;
	size_t outlen;
	struct defrag d;

	ck_assert_int_eq(defrag_init(&d, 2, 100), 0);
	/* just within the timeout: whole */
	ck_assert_int_eq(add_cut(&d, 10, 0, 2, pkt, 300, 0, &out, &outlen), DEFRAG_MORE);
	ck_assert_int_eq(add_cut(&d, 10, 1, 2, pkt, 300, 99, &out, &outlen), DEFRAG_DONE);
	check_whole(out, outlen, pkt, 300);

	/* defrag_expire drops it; the rest starts over and stays incomplete */
	ck_assert_int_eq(add_cut(&d, 20, 0, 3, pkt, 300, 1000, &out, &outlen), DEFRAG_MORE);
	ck_assert_int_eq(add_cut(&d, 20, 1, 3, pkt, 300, 1050, &out, &outlen), DEFRAG_MORE);
	defrag_expire(&d, 1099);
	ck_assert_uint_eq(d.timed_out, 0);
	defrag_expire(&d, 1100);
	ck_assert_uint_eq(d.timed_out, 1);
	ck_assert_int_eq(add_cut(&d, 20, 2, 3, pkt, 300, 1150, &out, &outlen), DEFRAG_MORE);
	ck_assert_int_eq(d.invalid, 0);

	/* without defrag_expire, defrag_add notices by itself */
	ck_assert_int_eq(add_cut(&d, 30, 0, 2, pkt, 300, 2000, &out, &outlen), DEFRAG_MORE);
	ck_assert_int_eq(add_cut(&d, 30, 1, 2, pkt, 300, 2100, &out, &outlen), DEFRAG_MORE);
	ck_assert_uint_eq(d.timed_out, 3);	/* 20's new slot and 30's first */
	/* which itself times out in turn */
	ck_assert_int_eq(add_cut(&d, 30, 0, 2, pkt, 300, 2200, &out, &outlen), DEFRAG_MORE);
	ck_assert_uint_eq(d.timed_out, 4);
	ck_assert_uint_eq(d.completed, 1);
	ck_assert_uint_eq(d.evicted, 0);
	defrag_free(&d);
	free(pkt);
}
END_TEST

START_TEST(defrag_evicts_oldest)
{
	uint8_t *pkt = make_packet(2, 100);
	const uint8_t *out;
	size_t outlen;
	struct defrag d;

	ck_assert_int_eq(defrag_init(&d, 2, 1000), 0);
	ck_assert_int_eq(add_cut(&d, 10, 0, 2, pkt, 100, 0, &out, &outlen), DEFRAG_MORE);
	ck_assert_int_eq(add_cut(&d, 20, 1, 2, pkt, 100, 5, &out, &outlen), DEFRAG_MORE);
	/* a third packet: the oldest, 10, makes room */
	ck_assert_int_eq(add_cut(&d, 30, 0, 2, pkt, 100, 10, &out, &outlen), DEFRAG_MORE);
	ck_assert_uint_eq(d.evicted, 1);		/* 10 went */
	ck_assert_int_eq(add_cut(&d, 20, 0, 2, pkt, 100, 11, &out, &outlen), DEFRAG_DONE);
	check_whole(out, outlen, pkt, 100);
	ck_assert_int_eq(add_cut(&d, 30, 1, 2, pkt, 100, 12, &out, &outlen), DEFRAG_DONE);
	check_whole(out, outlen, pkt, 100);
	/* the evicted packet's last fragment starts over */
	ck_assert_int_eq(add_cut(&d, 10, 1, 2, pkt, 100, 13, &out, &outlen), DEFRAG_MORE);
	ck_assert_uint_eq(d.evicted, 1);
	ck_assert_uint_eq(d.completed, 2);
	ck_assert_uint_eq(d.timed_out, 0);
	defrag_free(&d);
	free(pkt);
}
END_TEST

/* One rule broken after fragment 0 of 4 (bytes 0-99) and the last
 * (bytes 300-399) arrived.  The packet is then gone: the two fragments
 * that would have completed it start over and do not complete it. */
static void expect_bad(unsigned idx, unsigned cnt, uint16_t off, size_t len, const char *what)
{
	uint8_t *pkt = make_packet(3, DEFRAG_MAX_PACKET);
	const uint8_t *out;
	size_t outlen;
	struct defrag d;

	ck_assert_int_eq(defrag_init(&d, 2, 1000), 0);
	ck_assert_int_eq(add(&d, 50, 0, 4, pkt, 0, 100, 0, &out, &outlen), DEFRAG_MORE);
	ck_assert_int_eq(add(&d, 50, 3, 4, pkt, 300, 100, 0, &out, &outlen), DEFRAG_MORE);
	ck_assert_msg(add(&d, 50, idx, cnt, pkt, off, len, 0, &out, &outlen) == DEFRAG_BAD,
		      "%s", what);
	ck_assert_uint_eq(d.invalid, 1);
	ck_assert_int_eq(add(&d, 50, 1, 4, pkt, 100, 100, 0, &out, &outlen), DEFRAG_MORE);
	ck_assert_msg(add(&d, 50, 2, 4, pkt, 200, 100, 0, &out, &outlen) == DEFRAG_MORE,
		      "%s: packet kept", what);
	ck_assert_uint_eq(d.completed, 0);
	defrag_free(&d);
	free(pkt);
}

START_TEST(defrag_inconsistent)
{
	expect_bad(1, 5, 100, 100, "another count");
	expect_bad(1, 3, 100, 100, "a smaller count");
	expect_bad(0, 4, 0, 100, "index repeated");
	expect_bad(0, 4, 100, 50, "index repeated, other bytes");
	expect_bad(3, 4, 300, 100, "last index repeated");
	expect_bad(1, 4, 99, 100, "overlaps fragment 0");
	expect_bad(2, 4, 201, 100, "overlaps the last");
	expect_bad(1, 4, 50, 10, "inside fragment 0");
	expect_bad(1, 4, 0, 400, "covers everything");
	expect_bad(1, 4, 400, 10, "beyond the total");
	expect_bad(2, 4, 399, 1, "last byte of the total again");
}
END_TEST

START_TEST(defrag_inconsistent_total)
{
	uint8_t *pkt = make_packet(4, 1000);
	const uint8_t *out;
	size_t outlen;
	struct defrag d;

	ck_assert_int_eq(defrag_init(&d, 2, 1000), 0);
	/* the last fragment says the packet ends before bytes already here */
	ck_assert_int_eq(add(&d, 5, 1, 3, pkt, 500, 100, 0, &out, &outlen), DEFRAG_MORE);
	ck_assert_int_eq(add(&d, 5, 2, 3, pkt, 300, 100, 0, &out, &outlen), DEFRAG_BAD);
	ck_assert_uint_eq(d.invalid, 1);
	/* all fragments there, disjoint, yet a gap: nothing can fill it */
	ck_assert_int_eq(add(&d, 9, 0, 3, pkt, 0, 100, 0, &out, &outlen), DEFRAG_MORE);
	ck_assert_int_eq(add(&d, 9, 2, 3, pkt, 300, 100, 0, &out, &outlen), DEFRAG_MORE);
	ck_assert_int_eq(add(&d, 9, 1, 3, pkt, 150, 100, 0, &out, &outlen), DEFRAG_BAD);
	ck_assert_uint_eq(d.invalid, 2);
	/* fragment 0 that does not start at 0: a gap at the front */
	ck_assert_int_eq(add(&d, 20, 0, 2, pkt, 10, 90, 0, &out, &outlen), DEFRAG_MORE);
	ck_assert_int_eq(add(&d, 20, 1, 2, pkt, 100, 100, 0, &out, &outlen), DEFRAG_BAD);
	ck_assert_uint_eq(d.invalid, 3);
	ck_assert_uint_eq(d.completed, 0);
	defrag_free(&d);
	free(pkt);
}
END_TEST

/* Fragments refused on their own: no slot is taken or disturbed. */
START_TEST(defrag_bad_fragment)
{
	uint8_t *pkt = make_packet(5, DEFRAG_MAX_PACKET + 1);
	const uint8_t *out;
	size_t outlen;
	struct defrag d;
	struct udpw_frag f = { .index = 0, .count = 2, .offset = 0 };

	ck_assert_int_eq(defrag_init(&d, 1, 1000), 0);
	ck_assert_int_eq(add(&d, 100, 0, 2, pkt, 0, 10, 0, &out, &outlen), DEFRAG_MORE);
	ck_assert_int_eq(add(&d, 200, 0, 1, pkt, 0, 10, 0, &out, &outlen), DEFRAG_BAD);
	ck_assert_int_eq(add(&d, 200, 0, 65, pkt, 0, 10, 0, &out, &outlen), DEFRAG_BAD);
	ck_assert_int_eq(add(&d, 200, 3, 3, pkt, 0, 10, 0, &out, &outlen), DEFRAG_BAD);
	ck_assert_int_eq(add(&d, 200, 0, 2, pkt, 0, 0, 0, &out, &outlen), DEFRAG_BAD);
	/* total over DEFRAG_MAX_PACKET */
	ck_assert_int_eq(add(&d, 200, 1, 2, pkt, 65000, 536, 0, &out, &outlen), DEFRAG_BAD);
	ck_assert_int_eq(add(&d, 200, 1, 2, pkt, 0xffff, 1, 0, &out, &outlen), DEFRAG_BAD);
	/* counter below its index: no base */
	f.index = 1;
	ck_assert_int_eq(defrag_add(&d, 1, &f, pkt, 10, 0, &out, &outlen), DEFRAG_BAD);
	ck_assert_int_eq(defrag_add(&d, 0, &f, pkt, 10, 0, &out, &outlen), DEFRAG_BAD);
	ck_assert_uint_eq(d.invalid, 8);
	ck_assert_uint_eq(d.evicted, 0);
	/* the packet in the one slot is untouched */
	ck_assert_int_eq(add(&d, 100, 1, 2, pkt, 10, 10, 0, &out, &outlen), DEFRAG_DONE);
	check_whole(out, outlen, pkt, 20);
	/* exactly DEFRAG_MAX_PACKET bytes, ending at the last offset */
	ck_assert_int_eq(add(&d, 300, 1, 2, pkt, 65000, 535, 0, &out, &outlen), DEFRAG_MORE);
	ck_assert_int_eq(add(&d, 300, 0, 2, pkt, 0, 65000, 0, &out, &outlen), DEFRAG_DONE);
	check_whole(out, outlen, pkt, DEFRAG_MAX_PACKET);
	defrag_free(&d);
	free(pkt);
}
END_TEST

START_TEST(defrag_64_fragments_any_order)
{
	enum { N = UDPW_FRAG_MAX };
	uint8_t *pkt = make_packet(6, 64 * 1000);
	unsigned order[N];
	uint64_t rng = 0x243f6a8885a308d3ull;
	const uint8_t *out;
	size_t outlen;
	struct defrag d;

	ck_assert_int_eq(defrag_init(&d, 1, 1000), 0);
	for (int round = 0; round < 50; round++) {
		for (unsigned i = 0; i < N; i++)
			order[i] = i;
		for (unsigned i = N - 1; i > 0; i--) {
			unsigned j, t;

			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			j = (unsigned)(rng % (i + 1));
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (unsigned k = 0; k < N; k++)
			ck_assert_int_eq(add_cut(&d, 1 + (uint64_t)round * N, order[k], N, pkt,
						 64 * 1000, 0, &out, &outlen),
					 k + 1 < N ? DEFRAG_MORE : DEFRAG_DONE);
		check_whole(out, outlen, pkt, 64 * 1000);
	}
	defrag_free(&d);
	free(pkt);
}
END_TEST

static Suite *defrag_suite(void)
{
	Suite *s = suite_create("defrag");
	TCase *tc = tcase_create("defrag");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, defrag_orders_and_counts);
	tcase_add_test(tc, defrag_uneven);
	tcase_add_test(tc, defrag_interleaved);
	tcase_add_test(tc, defrag_timeout);
	tcase_add_test(tc, defrag_evicts_oldest);
	tcase_add_test(tc, defrag_inconsistent);
	tcase_add_test(tc, defrag_inconsistent_total);
	tcase_add_test(tc, defrag_bad_fragment);
	tcase_add_test(tc, defrag_64_fragments_any_order);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(defrag_suite());
}
