/*
 * check_replay.c - unit tests for lib/replay.c: the receive window as the
 * network treats it (in order, reordered, duplicated on several paths,
 * delayed past the window, dropped), its exact edge, slides across word
 * and ring boundaries, and a long random run compared with a reference
 * that remembers every counter ever accepted.
 *
 * The window: remembered are the counters in (top - size, top]; a counter
 * at top - size or below is REPLAY_OLD, one above top is REPLAY_NEW.
 */
#include "config.h"
#include "replay.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- helpers */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: reproducible runs */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t rng_below(uint64_t n)
{
	return rng() % n;
}

static void init(struct replay *w, uint32_t pkts)
{
	ck_assert_int_eq(replay_init(w, pkts), 0);
	ck_assert_ptr_nonnull(w->bits);
}

/* Check, and commit when new, as a receiver does once the tag verified. */
static enum replay_verdict receive(struct replay *w, uint64_t ctr)
{
	enum replay_verdict v = replay_check(w, ctr);

	if (v == REPLAY_NEW)
		replay_commit(w, ctr);
	return v;
}

/*
 * One verdict.  Hot loops use this rather than ck_assert: check records
 * the place of every passing assertion, which costs a write each.
 */
static void expect(const struct replay *w, uint64_t ctr, enum replay_verdict want)
{
	enum replay_verdict got = replay_check(w, ctr);

	if (got != want)
		ck_abort_msg("size %u top %llu ctr %llu: got %d, want %d", w->size,
			     (unsigned long long)w->top, (unsigned long long)ctr,
			     got, want);
}

/* Receive ctr and expect the verdict want. */
static void expect_receive(struct replay *w, uint64_t ctr, enum replay_verdict want)
{
	expect(w, ctr, want);
	if (want == REPLAY_NEW)
		replay_commit(w, ctr);
}

/* A copy of the window's whole state, to show that nothing changed. */
struct snapshot {
	uint64_t top;
	uint64_t *bits;
	uint32_t nwords;
};

static void snap(const struct replay *w, struct snapshot *s)
{
	s->top = w->top;
	s->nwords = w->nwords;
	s->bits = malloc(w->nwords * sizeof(*s->bits));
	ck_assert_ptr_nonnull(s->bits);
	memcpy(s->bits, w->bits, w->nwords * sizeof(*s->bits));
}

static void assert_unchanged(const struct replay *w, struct snapshot *s)
{
	ck_assert_uint_eq(w->top, s->top);
	ck_assert_uint_eq(w->nwords, s->nwords);
	ck_assert_mem_eq(w->bits, s->bits, w->nwords * sizeof(*s->bits));
	free(s->bits);
}

/* ---------------------------------------------------------------- basics */

START_TEST(in_order)
{
	struct replay w;
	uint64_t c;

	init(&w, REPLAY_DEFAULT_PKTS);
	ck_assert_uint_eq(w.top, 0);
	for (c = 1; c <= 100000; c++) {
		expect_receive(&w, c, REPLAY_NEW);
		if (w.top != c)
			ck_abort_msg("top %llu after %llu", (unsigned long long)w.top,
				     (unsigned long long)c);
		expect(&w, c, REPLAY_DUP);
	}
	ck_assert_int_eq(replay_check(&w, 100000 - 1), REPLAY_DUP);
	ck_assert_int_eq(replay_check(&w, 100000 - w.size + 1), REPLAY_DUP);
	ck_assert_int_eq(replay_check(&w, 100000 - w.size), REPLAY_OLD);
	ck_assert_int_eq(replay_check(&w, 1), REPLAY_OLD);
	replay_free(&w);
}
END_TEST

START_TEST(counter_zero)
{
	struct replay w;
	struct snapshot s;

	init(&w, 0);
	ck_assert_int_eq(replay_check(&w, 0), REPLAY_OLD);
	ck_assert_int_eq(replay_check(&w, 1), REPLAY_NEW);
	snap(&w, &s);
	replay_commit(&w, 0);		/* not allowed; and harmless */
	assert_unchanged(&w, &s);
	ck_assert_int_eq(receive(&w, 1), REPLAY_NEW);
	ck_assert_int_eq(replay_check(&w, 0), REPLAY_OLD);
	ck_assert_int_eq(receive(&w, 5000), REPLAY_NEW);
	ck_assert_int_eq(replay_check(&w, 0), REPLAY_OLD);
	replay_free(&w);
}
END_TEST

START_TEST(reordered)
{
	static const uint64_t order[] = { 5, 1, 3, 2, 9, 4, 8, 6, 7, 12, 10, 11 };
	struct replay w;
	size_t i;
	uint64_t c;

	init(&w, 64);
	for (i = 0; i < N_OF(order); i++)
		ck_assert_int_eq(receive(&w, order[i]), REPLAY_NEW);
	ck_assert_uint_eq(w.top, 12);
	for (c = 1; c <= 12; c++)
		ck_assert_int_eq(replay_check(&w, c), REPLAY_DUP);
	/* the deepest reorder the window takes: size - 1 behind top */
	ck_assert_int_eq(receive(&w, 1000), REPLAY_NEW);
	ck_assert_int_eq(receive(&w, 1000 - w.size + 1), REPLAY_NEW);
	ck_assert_int_eq(receive(&w, 1000 - 1), REPLAY_NEW);
	ck_assert_int_eq(receive(&w, 1000 - w.size / 2), REPLAY_NEW);
	for (c = 1000 - w.size + 1; c <= 1000; c++) {
		bool had = c == 1000 || c == 999 || c == 1000 - w.size + 1 ||
			   c == 1000 - w.size / 2;

		expect(&w, c, had ? REPLAY_DUP : REPLAY_NEW);
	}
	replay_free(&w);
}
END_TEST

START_TEST(duplicates)
{
	struct replay w;
	uint64_t c;
	int copy;

	init(&w, 1000);
	/* every packet on three paths, the copies late by up to 40 */
	for (c = 1; c <= 5000; c++) {
		expect_receive(&w, c, REPLAY_NEW);
		for (copy = 0; copy < 2; copy++)
			expect_receive(&w, c, REPLAY_DUP);
		if (c > 40)
			expect_receive(&w, c - 40, REPLAY_DUP);
	}
	ck_assert_int_eq(receive(&w, 5000), REPLAY_DUP);
	ck_assert_int_eq(receive(&w, 5001), REPLAY_NEW);
	replay_free(&w);
}
END_TEST

START_TEST(too_old)
{
	struct replay w;
	uint64_t top = 100000;

	init(&w, 64);
	ck_assert_uint_eq(w.size, 64);
	ck_assert_int_eq(receive(&w, top), REPLAY_NEW);
	ck_assert_int_eq(replay_check(&w, top - 64), REPLAY_OLD);
	ck_assert_int_eq(replay_check(&w, top - 65), REPLAY_OLD);
	ck_assert_int_eq(replay_check(&w, top - 128), REPLAY_OLD);
	ck_assert_int_eq(replay_check(&w, top - 129), REPLAY_OLD);
	ck_assert_int_eq(replay_check(&w, 1), REPLAY_OLD);
	/* a counter that aliases a current bit of the ring is still OLD */
	ck_assert_int_eq(replay_check(&w, top - 2 * 64), REPLAY_OLD);
	ck_assert_int_eq(replay_check(&w, top - 63), REPLAY_NEW);
	replay_free(&w);
}
END_TEST

/* Remembered: (top - size, top].  top - size + 1 is inside, top - size out. */
START_TEST(window_edge)
{
	static const uint32_t pkts[] = { 64, 100, 8192 };
	struct replay w;
	uint64_t top = 1000000, lo;
	size_t i;

	for (i = 0; i < N_OF(pkts); i++) {
		init(&w, pkts[i]);
		ck_assert_int_eq(receive(&w, top), REPLAY_NEW);
		lo = top - w.size;
		ck_assert_int_eq(replay_check(&w, lo), REPLAY_OLD);
		ck_assert_int_eq(replay_check(&w, lo + 1), REPLAY_NEW);
		ck_assert_int_eq(receive(&w, lo + 1), REPLAY_NEW);
		ck_assert_int_eq(replay_check(&w, lo + 1), REPLAY_DUP);
		ck_assert_int_eq(receive(&w, lo + 2), REPLAY_NEW);
		ck_assert_int_eq(replay_check(&w, lo), REPLAY_OLD);
		/* top moves by one: lo + 1 falls out, lo + 2 stays */
		ck_assert_int_eq(receive(&w, top + 1), REPLAY_NEW);
		ck_assert_int_eq(replay_check(&w, lo + 1), REPLAY_OLD);
		ck_assert_int_eq(replay_check(&w, lo + 2), REPLAY_DUP);
		ck_assert_int_eq(replay_check(&w, lo + 3), REPLAY_NEW);
		/* before top reaches size, every counter from 1 is inside */
		replay_reset(&w);
		ck_assert_int_eq(receive(&w, w.size), REPLAY_NEW);
		ck_assert_int_eq(replay_check(&w, 1), REPLAY_NEW);
		ck_assert_int_eq(receive(&w, w.size + 1), REPLAY_NEW);
		ck_assert_int_eq(replay_check(&w, 1), REPLAY_OLD);
		ck_assert_int_eq(replay_check(&w, 2), REPLAY_NEW);
		replay_free(&w);
	}
}
END_TEST

/* Check never writes: a forged packet (its tag fails, so no commit) cannot
 * move the window nor mark a counter seen. */
START_TEST(check_without_commit)
{
	static const uint64_t probes[] = {
		0, 1, 500, 999, 1000, 1001, 1064, 1065, 5000, 1ull << 40,
		UINT64_MAX - 1, UINT64_MAX,
	};
	struct replay w;
	struct snapshot s;
	size_t i;
	uint64_t c;

	init(&w, 64);
	for (c = 900; c <= 1000; c += 3)
		receive(&w, c);
	snap(&w, &s);
	for (i = 0; i < N_OF(probes); i++)
		replay_check(&w, probes[i]);
	assert_unchanged(&w, &s);
	ck_assert_int_eq(replay_check(&w, UINT64_MAX), REPLAY_NEW);
	ck_assert_int_eq(replay_check(&w, 999), REPLAY_DUP);
	ck_assert_int_eq(replay_check(&w, 998), REPLAY_NEW);
	ck_assert_int_eq(replay_check(&w, 1001), REPLAY_NEW);
	/* committing what is below the window (a misuse) changes nothing:
	 * its bit would alias one inside */
	snap(&w, &s);
	replay_commit(&w, 1000 - 64);
	replay_commit(&w, 1000 - 64 - 63);
	replay_commit(&w, 1000 - 128);
	replay_commit(&w, 1);
	assert_unchanged(&w, &s);
	ck_assert_int_eq(replay_check(&w, 1000 - 64 + 128), REPLAY_NEW);
	ck_assert_int_eq(receive(&w, 1000 - 64 + 128), REPLAY_NEW);
	replay_free(&w);
}
END_TEST

/* ---------------------------------------------------------------- sliding */

/* The reference verdict after committing, from a reset window, t0 and
 * every counter c in (t0 - size, t0) with c % 3 != 0, then t1 > t0. */
static enum replay_verdict expect_after_slide(const struct replay *w, uint64_t t0,
					      uint64_t t1, uint64_t c)
{
	if (c == 0)
		return REPLAY_OLD;
	if (c > t1)
		return REPLAY_NEW;
	if (t1 - c >= w->size)
		return REPLAY_OLD;
	if (c == t1)
		return REPLAY_DUP;
	if (c <= t0 && t0 - c < w->size && (c == t0 || c % 3 != 0))
		return REPLAY_DUP;
	return REPLAY_NEW;
}

static void slide_case(struct replay *w, uint64_t t0, uint64_t d)
{
	uint64_t t1 = t0 + d, c, from, to;

	replay_reset(w);
	from = t0 > w->size ? t0 - w->size + 1 : 1;
	for (c = from; c < t0; c++)
		if (c % 3 != 0)
			expect_receive(w, c, REPLAY_NEW);
	expect_receive(w, t0, REPLAY_NEW);
	expect_receive(w, t1, REPLAY_NEW);
	ck_assert_uint_eq(w->top, t1);
	from = t1 > w->size + 130 ? t1 - w->size - 130 : 0;
	to = t1 + 130;
	for (c = from; c <= to; c++)
		expect(w, c, expect_after_slide(w, t0, t1, c));
	/* and below, where the old window was when d left it behind */
	for (c = from > 200 ? from - 200 : 0; c < from; c++)
		expect(w, c, REPLAY_OLD);
}

/* Slides by 1, across word boundaries (63, 64, 65...), by about the
 * window and the ring, and far past it, from tops at various offsets in
 * their word and before top has reached size. */
static void slide_all(struct replay *w)
{
	uint64_t ring = (uint64_t)w->nwords * 64;
	const uint64_t deltas[] = {
		1, 2, 63, 64, 65, 127, 128, 129, w->size - 1, w->size,
		w->size + 1, ring - 65, ring - 64, ring - 1, ring, ring + 1,
		ring + 64, 2 * ring + 5, 10 * ring, 1ull << 40,
	};
	const uint64_t t0s[] = {
		1, 5, 63, 64, 65, 10 * ring, 10 * ring + 1, 10 * ring + 63,
		10 * ring - 1, 10 * ring + w->size + 17,
	};
	size_t j, k;

	for (j = 0; j < N_OF(t0s); j++)
		for (k = 0; k < N_OF(deltas); k++)
			slide_case(w, t0s[j], deltas[k]);
}

START_TEST(slide_boundaries)
{
	static const uint32_t pkts[] = { 64, 100, 8192 };
	struct replay w;
	size_t i;

	for (i = 0; i < N_OF(pkts); i++) {
		init(&w, pkts[i]);
		slide_all(&w);
		replay_free(&w);
	}
}
END_TEST

/* A jump past the ring forgets everything before it, at any distance. */
START_TEST(slide_past_ring)
{
	static const uint64_t jumps[] = {
		1ull << 20, 1ull << 32, 1ull << 62, 1ull << 63,
	};
	struct replay w;
	size_t i;
	uint64_t c, top;

	init(&w, 64);
	for (i = 0; i < N_OF(jumps); i++) {
		replay_reset(&w);
		for (c = 1; c <= 200; c++)
			expect_receive(&w, c, REPLAY_NEW);
		top = 200 + jumps[i];
		expect_receive(&w, top, REPLAY_NEW);
		for (c = 1; c <= 200; c++)
			expect(&w, c, REPLAY_OLD);
		for (c = top - w.size + 1; c < top; c++)
			expect(&w, c, REPLAY_NEW);
		ck_assert_int_eq(replay_check(&w, top - w.size), REPLAY_OLD);
		ck_assert_int_eq(replay_check(&w, top), REPLAY_DUP);
	}
	/* the very top of the counter space */
	replay_reset(&w);
	ck_assert_int_eq(receive(&w, UINT64_MAX - 10), REPLAY_NEW);
	ck_assert_int_eq(receive(&w, UINT64_MAX), REPLAY_NEW);
	ck_assert_int_eq(replay_check(&w, UINT64_MAX), REPLAY_DUP);
	ck_assert_int_eq(replay_check(&w, UINT64_MAX - 10), REPLAY_DUP);
	ck_assert_int_eq(replay_check(&w, UINT64_MAX - 1), REPLAY_NEW);
	ck_assert_int_eq(replay_check(&w, UINT64_MAX - 63), REPLAY_NEW);
	ck_assert_int_eq(replay_check(&w, UINT64_MAX - 64), REPLAY_OLD);
	replay_free(&w);
}
END_TEST

/* ---------------------------------------------------------------- long run */

/*
 * LONG_RUN counters sent in order.  The network drops some, delivers some
 * twice, and reorders by less than `depth' < size: each copy leaves at a
 * key of its counter plus a random delay below depth, in key order, so no
 * packet arrives behind one sent depth or more after it.  Some packets
 * arrive very late (replays from long ago), and some are forged (checked,
 * never committed).  The reference remembers every counter ever
 * accepted; the window must agree with it on every packet.
 */
#define LONG_RUN 1000000

struct reference {
	uint8_t *seen;		/* LONG_RUN + 1 entries */
	uint64_t top;
	uint64_t size;
};

static enum replay_verdict ref_check(const struct reference *r, uint64_t ctr)
{
	if (ctr == 0)
		return REPLAY_OLD;
	if (ctr > r->top)
		return REPLAY_NEW;
	if (r->top - ctr >= r->size)
		return REPLAY_OLD;
	return r->seen[ctr] ? REPLAY_DUP : REPLAY_NEW;
}

static void ref_commit(struct reference *r, uint64_t ctr)
{
	r->seen[ctr] = 1;
	if (ctr > r->top)
		r->top = ctr;
}

struct in_flight {
	uint64_t key, ctr;
};

static int by_key(const void *a, const void *b)
{
	const struct in_flight *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->ctr < y->ctr ? -1 : x->ctr > y->ctr;
}

/* The packets as they arrive; returns how many. */
static size_t network(struct in_flight *out, uint64_t depth)
{
	size_t n = 0;
	uint64_t c;

	for (c = 1; c <= LONG_RUN; c++) {
		if (rng_below(100) < 3)		/* dropped */
			continue;
		out[n].ctr = c;
		out[n++].key = c + rng_below(depth);
		if (rng_below(100) < 2) {	/* and a copy on another path */
			out[n].ctr = c;
			out[n++].key = c + rng_below(depth);
		}
	}
	qsort(out, n, sizeof(*out), by_key);
	return n;
}

static void long_run(uint32_t pkts, uint64_t seed)
{
	struct reference ref;
	struct replay w;
	struct in_flight *pkt;
	uint64_t ctr, depth, maxlag = 0;
	size_t n, i, counts[3] = { 0 };
	enum replay_verdict v;

	rng_state = seed;
	init(&w, pkts);
	ref.seen = calloc(LONG_RUN + 1, 1);
	ref.top = 0;
	ref.size = w.size;
	pkt = malloc(2 * LONG_RUN * sizeof(*pkt));
	ck_assert_ptr_nonnull(ref.seen);
	ck_assert_ptr_nonnull(pkt);
	depth = w.size / 2 + rng_below(w.size / 2);
	n = network(pkt, depth);
	for (i = 0; i < n; i++) {
		ctr = pkt[i].ctr;
		if (rng_below(1000) == 0 && ref.top > 1)	/* very late */
			ctr = 1 + rng_below(ref.top);
		else if (ctr < ref.top && ref.top - ctr > maxlag)
			maxlag = ref.top - ctr;
		v = replay_check(&w, ctr);
		if (v != ref_check(&ref, ctr))
			ck_abort_msg("packet %zu ctr %llu top %llu: got %d, want %d", i,
				     (unsigned long long)ctr, (unsigned long long)ref.top,
				     v, ref_check(&ref, ctr));
		counts[v]++;
		if (v == REPLAY_NEW && rng_below(100) != 0) {	/* else forged */
			replay_commit(&w, ctr);
			ref_commit(&ref, ctr);
			if (w.top != ref.top)
				ck_abort_msg("top %llu, want %llu", (unsigned long long)w.top,
					     (unsigned long long)ref.top);
		}
	}
	/* reordered close to depth, never out of the window but by design */
	ck_assert_uint_lt(maxlag, depth);
	ck_assert_uint_gt(maxlag, depth / 2);
	ck_assert_uint_gt(counts[REPLAY_NEW], LONG_RUN * 9 / 10);
	ck_assert_uint_gt(counts[REPLAY_DUP], LONG_RUN / 100);
	ck_assert_uint_gt(counts[REPLAY_OLD], LONG_RUN / 2000);
	/* the ring wrapped many times */
	ck_assert_uint_gt(ref.top / ((uint64_t)w.nwords * 64), 50);
	free(pkt);
	free(ref.seen);
	replay_free(&w);
}

START_TEST(long_run_small)
{
	long_run(64, 0x9e3779b97f4a7c15ull);
}
END_TEST

START_TEST(long_run_odd)
{
	long_run(100, 12345);
}
END_TEST

START_TEST(long_run_default)
{
	long_run(REPLAY_DEFAULT_PKTS, 0xdeadbeefcafef00dull);
}
END_TEST

/* ---------------------------------------------------------------- sizes */

START_TEST(sizes)
{
	static const uint32_t pkts[] = {
		0, 1, 63, 64, 65, 100, 1000, 8192, 8193, 1u << 20,
		(1u << 20) + 1, UINT32_MAX,
	};
	struct replay w, max;
	size_t i;

	init(&max, REPLAY_MAX_PKTS);
	for (i = 0; i < N_OF(pkts); i++) {
		uint32_t want = pkts[i];
		uint64_t top;

		if (want < REPLAY_MIN_PKTS)
			want = REPLAY_MIN_PKTS;
		if (want > REPLAY_MAX_PKTS)
			want = REPLAY_MAX_PKTS;
		init(&w, pkts[i]);
		ck_assert_msg(w.nwords >= 2 && (w.nwords & (w.nwords - 1)) == 0,
			      "pkts %u: nwords %u", pkts[i], w.nwords);
		ck_assert_uint_eq(w.size, (w.nwords - 1) * 64);
		ck_assert_msg(w.size >= want, "pkts %u: size %u", pkts[i], w.size);
		/* rounded up, not wasteful: half the ring would not do */
		ck_assert_msg(w.nwords / 2 < (want + 63) / 64 + 1, "pkts %u: nwords %u",
			      pkts[i], w.nwords);
		if (pkts[i] >= REPLAY_MAX_PKTS) {
			ck_assert_uint_eq(w.nwords, max.nwords);
			ck_assert_uint_eq(w.size, max.size);
		}
		/* it remembers exactly size counters below top */
		top = 3 * (uint64_t)w.size + 7;
		ck_assert_int_eq(receive(&w, top), REPLAY_NEW);
		ck_assert_int_eq(receive(&w, top - w.size + 1), REPLAY_NEW);
		ck_assert_int_eq(replay_check(&w, top - w.size + 1), REPLAY_DUP);
		ck_assert_int_eq(replay_check(&w, top - w.size), REPLAY_OLD);
		replay_free(&w);
		ck_assert_ptr_null(w.bits);
		ck_assert_uint_eq(w.nwords, 0);
		ck_assert_uint_eq(w.top, 0);
	}
	ck_assert_uint_eq(max.size, (32768 - 1) * 64);
	replay_free(&max);
	init(&w, 0);
	ck_assert_uint_eq(w.size, 64);
	ck_assert_uint_eq(w.nwords, 2);
	replay_free(&w);
	init(&w, REPLAY_DEFAULT_PKTS);
	ck_assert_uint_ge(w.size, 8192);
	replay_free(&w);
}
END_TEST

START_TEST(reset)
{
	struct replay w;
	uint64_t c;
	uint32_t i;

	init(&w, 100);
	for (c = 1; c <= 10000; c += 2)
		receive(&w, c);
	ck_assert_uint_eq(w.top, 9999);
	replay_reset(&w);
	ck_assert_uint_eq(w.top, 0);
	for (i = 0; i < w.nwords; i++)
		ck_assert_uint_eq(w.bits[i], 0);
	ck_assert_int_eq(replay_check(&w, 0), REPLAY_OLD);
	ck_assert_int_eq(replay_check(&w, 1), REPLAY_NEW);
	ck_assert_int_eq(replay_check(&w, 9999), REPLAY_NEW);
	/* a new session starts again from 1 */
	for (c = 1; c <= 300; c++)
		expect_receive(&w, c, REPLAY_NEW);
	ck_assert_int_eq(replay_check(&w, 300), REPLAY_DUP);
	replay_free(&w);
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tb = tcase_create("basics");
	TCase *ts = tcase_create("sliding");
	TCase *tl = tcase_create("long");

	tcase_add_test(tb, in_order);
	tcase_add_test(tb, counter_zero);
	tcase_add_test(tb, reordered);
	tcase_add_test(tb, duplicates);
	tcase_add_test(tb, too_old);
	tcase_add_test(tb, window_edge);
	tcase_add_test(tb, check_without_commit);
	tcase_add_test(tb, sizes);
	tcase_add_test(tb, reset);
	suite_add_tcase(s, tb);
	tcase_set_timeout(ts, 60);
	tcase_add_test(ts, slide_boundaries);
	tcase_add_test(ts, slide_past_ring);
	suite_add_tcase(s, ts);
	tcase_set_timeout(tl, 120);
	tcase_add_test(tl, long_run_small);
	tcase_add_test(tl, long_run_odd);
	tcase_add_test(tl, long_run_default);
	suite_add_tcase(s, tl);
	return s;
}

int main(void)
{
	return check_run(replay_suite());
}
