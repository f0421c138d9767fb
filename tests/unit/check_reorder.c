/*
 * check_reorder.c - unit tests for lib/reorder.c: order is restored
 * within the window, a hole waits at most max_wait, at most nslots are
 * held, late packets pass at once, and every pushed pointer comes back
 * through deliver exactly once.  The packets are slots of a counter
 * array, so the pointer delivered also says which packet it was.
 */
#include "config.h"
#include "reorder.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CTR 200000

/* ck_assert marks a point on every call, which is slow in the random
 * run's millions of checks; this costs a branch until it fails. */
#define REQUIRE(cond)                                                   \
	do {                                                            \
		if (!(cond))                                            \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

/* What deliver saw. */
struct sink {
	struct reorder *r;
	unsigned *times;		/* times[c]: deliveries of packet c */
	uint64_t *seq;			/* counters in delivery order */
	size_t n;
};

static unsigned times_buf[MAX_CTR + 1];
static uint64_t seq_buf[MAX_CTR + 1];

static void sink_reset(struct sink *k, struct reorder *r)
{
	memset(times_buf, 0, sizeof(times_buf));
	k->r = r;
	k->times = times_buf;
	k->seq = seq_buf;
	k->n = 0;
}

/* A packet is a pointer into times_buf, so it names its counter. */
static void *pkt_of(uint64_t ctr)
{
	REQUIRE(ctr <= MAX_CTR);
	return &times_buf[ctr];
}

static void deliver(void *ctx, void *pkt, uint64_t ctr)
{
	struct sink *k = ctx;

	REQUIRE(pkt == pkt_of(ctr));
	REQUIRE(k->n < MAX_CTR + 1);
	k->times[ctr]++;
	k->seq[k->n++] = ctr;
	REQUIRE(k->r->held < k->r->nslots);
}

static void push(struct reorder *r, struct sink *k, uint64_t ctr, uint64_t now)
{
	reorder_push(r, ctr, pkt_of(ctr), now, deliver, k);
}

static void expect_seq(const struct sink *k, const uint64_t *want, size_t n)
{
	ck_assert_uint_eq(k->n, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(k->seq[i] == want[i], "delivery %zu: %llu, want %llu", i,
			      (unsigned long long)k->seq[i], (unsigned long long)want[i]);
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

START_TEST(reorder_in_order)
{
	struct reorder r;
	struct sink k;

	ck_assert_int_eq(reorder_init(&r, 16, 100), 0);
	sink_reset(&k, &r);
	for (uint64_t c = 1; c <= 1000; c++) {
		push(&r, &k, c, c);
		ck_assert_uint_eq(k.n, c);
		ck_assert_uint_eq(r.held, 0);
	}
	ck_assert_uint_eq(r.next, 1001);
	ck_assert_uint_eq(r.given_up, 0);
	ck_assert_uint_eq(r.late, 0);
	reorder_free(&r);
}
END_TEST

START_TEST(reorder_first_sets_next)
{
	static const uint64_t want[] = { 500, 501, 499 };
	struct reorder r;
	struct sink k;
	uint64_t when;

	ck_assert_int_eq(reorder_init(&r, 8, 100), 0);
	sink_reset(&k, &r);
	ck_assert(!reorder_deadline(&r, &when));
	push(&r, &k, 500, 0);		/* whatever comes first is in order */
	push(&r, &k, 501, 0);
	push(&r, &k, 499, 0);		/* before the first: late */
	expect_seq(&k, want, 3);
	ck_assert_uint_eq(r.late, 1);
	ck_assert_uint_eq(r.next, 502);
	reorder_free(&r);
}
END_TEST

/* Counter 1 first, then blocks of nslots counters each shuffled: no
 * counter is ever nslots ahead of next, so nothing is given up. */
START_TEST(reorder_permutations_restored)
{
	static const uint32_t sizes[] = { 1, 2, 3, 8, 64 };
	static uint64_t order[4096 + 64];

	rng_state = 0x9e3779b97f4a7c15ull;
	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		uint32_t ns = sizes[z];
		struct reorder r;
		struct sink k;
		size_t n = 0, i;

		ck_assert_int_eq(reorder_init(&r, ns, 1000), 0);
		sink_reset(&k, &r);
		order[n++] = 1;
		for (uint64_t b = 2; b + ns <= 4096; b += ns) {
			for (i = 0; i < ns; i++)
				order[n + i] = b + i;
			for (i = ns - 1; i > 0; i--) {
				size_t j = rnd() % (i + 1);
				uint64_t t = order[n + i];

				order[n + i] = order[n + j];
				order[n + j] = t;
			}
			n += ns;
		}
		for (i = 0; i < n; i++) {
			push(&r, &k, order[i], i);
			REQUIRE(r.held < ns);
		}
		ck_assert_uint_eq(k.n, n);
		for (i = 0; i < n; i++)
			REQUIRE(k.seq[i] == i + 1);
		ck_assert_uint_eq(r.held, 0);
		ck_assert_uint_eq(r.given_up, 0);
		ck_assert_uint_eq(r.late, 0);
		reorder_free(&r);
	}
}
END_TEST

START_TEST(reorder_bounded_wait)
{
	static const uint64_t want[] = { 1, 3, 4, 6, 7, 10 };
	struct reorder r;
	struct sink k;
	uint64_t when;

	ck_assert_int_eq(reorder_init(&r, 8, 100), 0);
	sink_reset(&k, &r);
	push(&r, &k, 1, 0);
	push(&r, &k, 3, 10);		/* hole at 2 */
	push(&r, &k, 4, 20);
	ck_assert_uint_eq(r.held, 2);
	ck_assert(reorder_deadline(&r, &when));
	ck_assert_uint_eq(when, 110);
	reorder_expire(&r, 109, deliver, &k);
	ck_assert_uint_eq(k.n, 1);
	reorder_expire(&r, 110, deliver, &k);	/* 3 waited 100: 2 is given up */
	ck_assert_uint_eq(k.n, 3);
	ck_assert_uint_eq(r.given_up, 1);
	ck_assert_uint_eq(r.next, 5);
	ck_assert(!reorder_deadline(&r, &when));

	/* the deadline follows the packet that waited longest, which need
	 * not be the lowest counter */
	push(&r, &k, 7, 200);		/* holes 5, 6 */
	push(&r, &k, 6, 250);
	ck_assert(reorder_deadline(&r, &when));
	ck_assert_uint_eq(when, 300);
	reorder_expire(&r, 299, deliver, &k);
	ck_assert_uint_eq(k.n, 3);
	reorder_expire(&r, 300, deliver, &k);	/* 7 is due: 5 goes, 6 and 7 out */
	ck_assert_uint_eq(k.n, 5);
	ck_assert_uint_eq(r.given_up, 2);

	/* only what is due goes: 10 waited, 12 has not */
	push(&r, &k, 10, 400);		/* holes 8, 9 */
	push(&r, &k, 12, 450);		/* hole 11 */
	ck_assert(reorder_deadline(&r, &when));
	ck_assert_uint_eq(when, 500);
	reorder_expire(&r, 500, deliver, &k);
	expect_seq(&k, want, 6);
	ck_assert_uint_eq(r.given_up, 4);
	ck_assert_uint_eq(r.held, 1);
	ck_assert(reorder_deadline(&r, &when));
	ck_assert_uint_eq(when, 550);
	reorder_expire(&r, 10000, deliver, &k);
	ck_assert_uint_eq(k.seq[6], 12);
	ck_assert_uint_eq(r.given_up, 5);
	ck_assert_uint_eq(r.held, 0);
	ck_assert(!reorder_deadline(&r, &when));

	/* two due at once, a hole between them: both go */
	push(&r, &k, 15, 600);		/* holes 13, 14 */
	push(&r, &k, 17, 600);		/* hole 16 */
	push(&r, &k, 19, 650);		/* hole 18, not due yet */
	reorder_expire(&r, 700, deliver, &k);
	ck_assert_uint_eq(k.n, 9);
	ck_assert_uint_eq(k.seq[7], 15);
	ck_assert_uint_eq(k.seq[8], 17);
	ck_assert_uint_eq(r.given_up, 8);
	ck_assert(reorder_deadline(&r, &when));
	ck_assert_uint_eq(when, 750);
	reorder_free(&r);
}
END_TEST

START_TEST(reorder_bounded_memory)
{
	static const uint64_t want[] = { 1, 3, 4, 5, 6, 8, 100000 - 3 };
	struct reorder r;
	struct sink k;

	ck_assert_int_eq(reorder_init(&r, 4, 1000000), 0);
	sink_reset(&k, &r);
	push(&r, &k, 1, 0);
	push(&r, &k, 3, 0);
	push(&r, &k, 4, 0);
	push(&r, &k, 5, 0);		/* next 2 + 3: still fits */
	ck_assert_uint_eq(r.held, 3);
	ck_assert_uint_eq(k.n, 1);
	push(&r, &k, 6, 0);		/* does not fit: hole 2 is given up */
	ck_assert_uint_eq(r.held, 0);
	ck_assert_uint_eq(r.given_up, 1);
	ck_assert_uint_eq(r.next, 7);
	/* far ahead: everything below the new window goes, by arithmetic */
	push(&r, &k, 8, 0);
	push(&r, &k, 100000, 0);
	ck_assert_uint_eq(r.next, 100000 - 3);
	ck_assert_uint_eq(r.held, 1);
	ck_assert_uint_eq(r.given_up, 1 + (100000 - 3 - 7) - 1);
	push(&r, &k, 100000 - 3, 0);
	expect_seq(&k, want, 7);
	ck_assert_uint_eq(r.held, 1);
	reorder_flush(&r, deliver, &k);
	ck_assert_uint_eq(k.seq[7], 100000);
	ck_assert_uint_eq(r.held, 0);
	ck_assert_uint_eq(r.late, 0);
	reorder_free(&r);
}
END_TEST

/* A jump of 2^60 counters must not walk them. */
START_TEST(reorder_huge_jump)
{
	struct reorder r;
	struct sink k;
	uint64_t far = 1ull << 60;

	ck_assert_int_eq(reorder_init(&r, 256, 10), 0);
	sink_reset(&k, &r);
	push(&r, &k, 1, 0);
	push(&r, &k, 3, 0);
	reorder_push(&r, far, pkt_of(5), 0, deliver, &k);	/* any pointer will do */
	ck_assert_uint_eq(k.n, 2);
	ck_assert_uint_eq(r.held, 1);
	ck_assert_uint_eq(r.next, far - 255);
	ck_assert_uint_eq(r.given_up, far - 255 - 2 - 1);
	reorder_free(&r);
}
END_TEST

START_TEST(reorder_late)
{
	static const uint64_t want[] = { 1, 3, 2, 4 };
	struct reorder r;
	struct sink k;

	ck_assert_int_eq(reorder_init(&r, 8, 50), 0);
	sink_reset(&k, &r);
	push(&r, &k, 1, 0);
	push(&r, &k, 3, 0);
	reorder_expire(&r, 50, deliver, &k);	/* 2 given up */
	push(&r, &k, 2, 60);			/* comes anyway: at once */
	ck_assert_uint_eq(r.late, 1);
	ck_assert_uint_eq(r.held, 0);
	push(&r, &k, 4, 70);
	expect_seq(&k, want, 4);
	ck_assert_uint_eq(r.late, 1);
	ck_assert_uint_eq(r.given_up, 1);
	reorder_free(&r);
}
END_TEST

START_TEST(reorder_passed_releases)
{
	static const uint64_t want[] = { 1, 3, 5, 9, 11 };
	struct reorder r;
	struct sink k;

	ck_assert_int_eq(reorder_init(&r, 16, 1000), 0);
	sink_reset(&k, &r);
	/* on a fresh buffer it only sets the expected counter */
	reorder_passed(&r, 0x100, deliver, &k);
	ck_assert_uint_eq(r.next, 0x101);
	reorder_free(&r);

	ck_assert_int_eq(reorder_init(&r, 16, 1000), 0);
	push(&r, &k, 1, 0);
	push(&r, &k, 3, 0);
	push(&r, &k, 5, 0);
	push(&r, &k, 9, 0);
	push(&r, &k, 11, 0);
	reorder_passed(&r, 4, deliver, &k);	/* 3 out (2 given up), then 5 follows */
	ck_assert_uint_eq(k.n, 3);
	ck_assert_uint_eq(r.next, 6);
	ck_assert_uint_eq(r.given_up, 1);	/* the passed one is no hole */
	ck_assert_uint_eq(r.held, 2);
	reorder_passed(&r, 2, deliver, &k);	/* behind: nothing moves */
	ck_assert_uint_eq(r.next, 6);
	ck_assert_uint_eq(k.n, 3);
	reorder_passed(&r, 10, deliver, &k);	/* 9 (6-8 given up), then 11 */
	expect_seq(&k, want, 5);
	ck_assert_uint_eq(r.given_up, 4);
	ck_assert_uint_eq(r.next, 12);
	ck_assert_uint_eq(r.held, 0);
	ck_assert_uint_eq(r.late, 0);
	reorder_free(&r);
}
END_TEST

START_TEST(reorder_flush_in_order)
{
	static const uint64_t want[] = { 1, 3, 5, 7, 8, 6 };
	struct reorder r;
	struct sink k;
	uint64_t when;

	ck_assert_int_eq(reorder_init(&r, 16, 1000), 0);
	sink_reset(&k, &r);
	reorder_flush(&r, deliver, &k);		/* empty: nothing */
	ck_assert_uint_eq(k.n, 0);
	push(&r, &k, 1, 0);
	push(&r, &k, 7, 0);
	push(&r, &k, 3, 0);
	push(&r, &k, 5, 0);
	ck_assert_uint_eq(r.held, 3);
	reorder_flush(&r, deliver, &k);
	ck_assert_uint_eq(r.held, 0);
	ck_assert(!reorder_deadline(&r, &when));
	ck_assert_uint_eq(r.next, 8);
	ck_assert_uint_eq(r.given_up, 3);
	push(&r, &k, 8, 0);
	push(&r, &k, 6, 0);
	expect_seq(&k, want, 6);
	ck_assert_uint_eq(r.late, 1);
	reorder_free(&r);
}
END_TEST

/* Deliveries d0 .. k->n are in order: strictly above *last. */
static void check_in_order(const struct sink *k, size_t d0, uint64_t *last)
{
	for (size_t d = d0; d < k->n; d++) {
		REQUIRE(k->seq[d] > *last);
		*last = k->seq[d];
	}
}

/*
 * Long random run: 5% loss, reordering up to twice the window (so holes
 * are given up for space as well as time, and some packets come late),
 * now advancing one unit per packet, expire run when the deadline says,
 * an occasional unsprayed packet (reorder_passed).  Every pushed pointer
 * comes back exactly once, the lost and the passed never do, nothing
 * held ever waits past max_wait, and all deliveries but the late ones
 * are strictly increasing.
 */
static void random_run(uint32_t ns, uint64_t max_wait, uint64_t seed)
{
	static uint64_t order[MAX_CTR];
	static uint8_t kind[MAX_CTR + 1];	/* 0 pushed, 1 lost, 2 passed */
	const size_t n = MAX_CTR;
	struct reorder r;
	struct sink k;
	uint64_t now = 0, when, last = 0, late_seen = 0;
	size_t i;

	rng_state = seed;
	for (i = 0; i < n; i++)
		order[i] = i + 1;
	for (i = 1; i < n; i++) {	/* local swaps up to 2 * ns apart */
		size_t j = i + rnd() % (2 * ns + 1);

		if (j < n) {
			uint64_t t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
	}
	for (i = 1; i <= n; i++) {
		uint64_t x = rnd() % 100;

		kind[i] = x < 5 ? 1 : x < 6 ? 2 : 0;
	}
	kind[1] = 0;
	ck_assert_int_eq(reorder_init(&r, ns, max_wait), 0);
	sink_reset(&k, &r);
	for (i = 0; i < n; i++) {
		uint64_t c = order[i], late_before = r.late;
		size_t d0 = k.n;

		now++;
		if (kind[c] == 1) {
			continue;
		} else if (kind[c] == 2) {
			reorder_passed(&r, c, deliver, &k);
			check_in_order(&k, d0, &last);
			if (c > last)
				last = c;
		} else {
			push(&r, &k, c, now);
			if (r.late != late_before) {	/* alone, at once */
				REQUIRE(k.n == d0 + 1);
				REQUIRE(k.seq[d0] == c);
				REQUIRE(c < r.next);
				late_seen++;
			} else {
				check_in_order(&k, d0, &last);
			}
		}
		d0 = k.n;
		if (reorder_deadline(&r, &when) && when <= now)
			reorder_expire(&r, now, deliver, &k);
		check_in_order(&k, d0, &last);
		if (reorder_deadline(&r, &when))
			REQUIRE(when > now);
		REQUIRE(r.held < ns);
	}
	i = k.n;
	reorder_flush(&r, deliver, &k);
	check_in_order(&k, i, &last);
	ck_assert_uint_eq(r.held, 0);
	for (uint64_t c = 1; c <= n; c++)
		if (k.times[c] != (kind[c] ? 0u : 1u))
			ck_abort_msg(
				     "packet %llu (kind %u) delivered %u times",
				     (unsigned long long)c, kind[c], k.times[c]);
	ck_assert_uint_eq(late_seen, r.late);
	ck_assert_uint_gt(r.given_up, 0);
	ck_assert_uint_gt(r.late, 0);
	reorder_free(&r);
}

START_TEST(reorder_random_ownership)
{
	random_run(16, 40, 0x1234567890abcdefull);
	random_run(64, 1000, 0xfeedfacecafebeefull);
	random_run(3, 5, 42);
}
END_TEST

static Suite *reorder_suite(void)
{
	Suite *s = suite_create("reorder");
	TCase *tc = tcase_create("reorder");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, reorder_in_order);
	tcase_add_test(tc, reorder_first_sets_next);
	tcase_add_test(tc, reorder_permutations_restored);
	tcase_add_test(tc, reorder_bounded_wait);
	tcase_add_test(tc, reorder_bounded_memory);
	tcase_add_test(tc, reorder_huge_jump);
	tcase_add_test(tc, reorder_late);
	tcase_add_test(tc, reorder_passed_releases);
	tcase_add_test(tc, reorder_flush_in_order);
	tcase_add_test(tc, reorder_random_ownership);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(reorder_suite());
}
