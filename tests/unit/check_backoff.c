/*
 * check_backoff.c - unit tests for lib/backoff.c: reconnect delays stay in
 * their documented window, grow to the cap and no further, start over after
 * a success, and timer jitter stays within +/- pct whatever the random
 * input.
 */
#include "config.h"
#include "backoff.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>

#define MS 1000ull
#define S (1000 * MS)

static const uint32_t rnds[] = { 0, 1, 0x7fffffffu, 0x80000000u,
				 0xdeadbeefu, UINT32_MAX - 1, UINT32_MAX };
#define NRNDS (sizeof(rnds) / sizeof(rnds[0]))

START_TEST(first_delay_window)
{
	struct backoff b;
	size_t i;
	uint64_t d;

	for (i = 0; i < NRNDS; i++) {
		backoff_init(&b, 1 * S, 60 * S);
		d = backoff_next(&b, rnds[i]);
		ck_assert_uint_gt(d, S / 2);
		ck_assert_uint_le(d, S);
	}
	backoff_init(&b, 1 * S, 60 * S);
	ck_assert_uint_eq(backoff_next(&b, 0), S / 2 + 1);
	backoff_init(&b, 1 * S, 60 * S);
	ck_assert_uint_eq(backoff_next(&b, UINT32_MAX), S);
	backoff_init(&b, 1 * S, 60 * S);
	ck_assert_uint_eq(backoff_next(&b, 0x80000000u), S / 2 + S / 4 + 1);
}
END_TEST

START_TEST(doubling_to_cap)
{
	static const uint64_t ceil_us[] = { 1 * S, 2 * S, 4 * S, 8 * S, 16 * S,
					    32 * S, 60 * S, 60 * S, 60 * S };
	struct backoff b;
	size_t i;

	backoff_init(&b, 1 * S, 60 * S);
	for (i = 0; i < sizeof(ceil_us) / sizeof(ceil_us[0]); i++) {
		ck_assert_uint_eq(b.cur_us, ceil_us[i]);
		ck_assert_uint_eq(backoff_next(&b, UINT32_MAX), ceil_us[i]);
	}
	for (i = 0; i < 1000; i++) {
		uint64_t d = backoff_next(&b, (uint32_t)(i * 2654435761u));

		ck_assert_uint_gt(d, 30 * S);
		ck_assert_uint_le(d, 60 * S);
	}
	ck_assert_uint_eq(b.cur_us, 60 * S);
}
END_TEST

START_TEST(cap_not_power_of_two)
{
	struct backoff b;

	backoff_init(&b, 4, 9);
	ck_assert_uint_eq(backoff_next(&b, UINT32_MAX), 4);
	ck_assert_uint_eq(backoff_next(&b, UINT32_MAX), 8);
	ck_assert_uint_eq(backoff_next(&b, UINT32_MAX), 9);
	ck_assert_uint_eq(backoff_next(&b, 0), 5);
}
END_TEST

START_TEST(reset_starts_over)
{
	struct backoff b;
	int i;

	backoff_init(&b, 100 * MS, 10 * S);
	for (i = 0; i < 20; i++)
		backoff_next(&b, 0);
	ck_assert_uint_eq(b.cur_us, 10 * S);
	backoff_reset(&b);
	ck_assert_uint_eq(backoff_next(&b, UINT32_MAX), 100 * MS);
	ck_assert_uint_eq(backoff_next(&b, UINT32_MAX), 200 * MS);
}
END_TEST

START_TEST(degenerate_limits)
{
	struct backoff b;
	int i;

	/* max below min: the delay is min, always */
	backoff_init(&b, 5 * S, 1 * S);
	ck_assert_uint_eq(b.max_us, 5 * S);
	for (i = 0; i < 5; i++) {
		ck_assert_uint_le(backoff_next(&b, UINT32_MAX), 5 * S);
		ck_assert_uint_gt(backoff_next(&b, 0), 5 * S / 2);
	}
	ck_assert_uint_eq(b.cur_us, 5 * S);
	/* min 0 counts as 1: never a zero delay (a busy loop) */
	backoff_init(&b, 0, 0);
	ck_assert_uint_eq(b.min_us, 1);
	ck_assert_uint_eq(b.max_us, 1);
	ck_assert_uint_eq(backoff_next(&b, 0), 1);
	ck_assert_uint_eq(backoff_next(&b, UINT32_MAX), 1);
	/* huge values do not wrap */
	backoff_init(&b, UINT64_MAX / 4, UINT64_MAX);
	for (i = 0; i < 5; i++) {
		uint64_t cur = b.cur_us, d = backoff_next(&b, UINT32_MAX);

		ck_assert_uint_gt(d, cur / 2);
		ck_assert_uint_le(d, cur);
		ck_assert_uint_ge(b.cur_us, cur);
	}
	ck_assert_uint_eq(b.cur_us, UINT64_MAX);
	ck_assert_uint_gt(backoff_next(&b, 0), UINT64_MAX / 2);
}
END_TEST

START_TEST(jitter_bounds)
{
	static const unsigned pcts[] = { 0, 1, 10, 25, 50, 100, 150 };
	static const uint64_t periods[] = { 0, 1, 3, 100, 999, 30 * S,
					    UINT64_MAX / 2, UINT64_MAX };
	size_t i, j, k;

	for (i = 0; i < sizeof(periods) / sizeof(periods[0]); i++)
		for (j = 0; j < sizeof(pcts) / sizeof(pcts[0]); j++)
			for (k = 0; k < NRNDS; k++) {
				uint64_t p = periods[i];
				unsigned pct = pcts[j] > 100 ? 100 : pcts[j];
				uint64_t d = (p / 100) * pct +
					     (p % 100) * pct / 100;
				uint64_t v = jitter_us(p, pcts[j], rnds[k]);

				ck_assert_uint_ge(v, p - d);
				if (d <= UINT64_MAX - p)
					ck_assert_uint_le(v, p + d);
			}
}
END_TEST

START_TEST(jitter_exact)
{
	ck_assert_uint_eq(jitter_us(30 * S, 0, 0), 30 * S);
	ck_assert_uint_eq(jitter_us(30 * S, 0, UINT32_MAX), 30 * S);
	ck_assert_uint_eq(jitter_us(30 * S, 10, 0), 27 * S);
	ck_assert_uint_eq(jitter_us(30 * S, 10, UINT32_MAX), 33 * S);
	ck_assert_uint_eq(jitter_us(1000, 100, 0), 0);
	ck_assert_uint_eq(jitter_us(1000, 100, UINT32_MAX), 2000);
	ck_assert_uint_eq(jitter_us(1000, 250, UINT32_MAX), 2000);
	ck_assert_uint_eq(jitter_us(0, 50, UINT32_MAX), 0);
	ck_assert_uint_eq(jitter_us(UINT64_MAX, 100, UINT32_MAX), UINT64_MAX);
}
END_TEST

START_TEST(jitter_spreads)
{
	uint64_t lo = UINT64_MAX, hi = 0, v;
	uint32_t r;
	int i;

	/* a mesh must not synchronise: values cover the whole window */
	for (i = 0, r = 1; i < 10000; i++) {
		r = r * 1664525u + 1013904223u;
		v = jitter_us(10 * S, 20, r);
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	ck_assert_uint_lt(lo, 8 * S + 10 * MS);
	ck_assert_uint_gt(hi, 12 * S - 10 * MS);
}
END_TEST

/* The jitter generator: seeded state is never zero, the sequence from a
 * fixed state is fixed (timers are reproducible in tests) and spreads over
 * the whole range rather than repeating. */
START_TEST(jitter_rng_sequence)
{
	struct jitter_rng a = { 1 }, b = { 1 }, z;
	uint32_t seen[64];
	unsigned high = 0;

	for (int i = 0; i < 64; i++) {
		seen[i] = jitter_rng_next(&a);
		ck_assert_uint_eq(seen[i], jitter_rng_next(&b));
		for (int k = 0; k < i; k++)
			ck_assert_msg(seen[k] != seen[i], "repeat after %d draws", i);
		high += seen[i] >> 31;
	}
	ck_assert_msg(high > 16 && high < 48, "top bit set %u of 64 times", high);
	for (int i = 0; i < 100; i++) {
		jitter_rng_seed(&z);
		ck_assert(z.s != 0);
	}
}
END_TEST

static Suite *backoff_suite(void)
{
	Suite *s = suite_create("backoff");
	TCase *tb = tcase_create("backoff");
	TCase *tj = tcase_create("jitter");

	tcase_add_test(tb, first_delay_window);
	tcase_add_test(tb, doubling_to_cap);
	tcase_add_test(tb, cap_not_power_of_two);
	tcase_add_test(tb, reset_starts_over);
	tcase_add_test(tb, degenerate_limits);
	suite_add_tcase(s, tb);
	tcase_add_test(tj, jitter_bounds);
	tcase_add_test(tj, jitter_exact);
	tcase_add_test(tj, jitter_spreads);
	tcase_add_test(tj, jitter_rng_sequence);
	suite_add_tcase(s, tj);
	return s;
}

int main(void)
{
	return check_run(backoff_suite());
}
