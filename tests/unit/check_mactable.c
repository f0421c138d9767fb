/*
 * check_mactable.c - unit tests for lib/mactable.c, with a fake clock:
 * what ether-gate learns, refreshes, expires and withdraws, that a full
 * table refuses instead of evicting, that group MACs are never learned,
 * and that long runs of inserts and deletes (tombstones, in-place rehash)
 * keep every entry findable and foreach exact.
 */
#include "config.h"
#include "mactable.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define TTL_US 300000000ull	/* 300 s */

static void mac_n(uint8_t mac[MAC_LEN], unsigned n)
{
	mac[0] = 0x02;		/* locally administered unicast */
	mac[1] = 0x00;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

/* What a callback saw: MACs in call order. */
struct seen {
	uint8_t mac[4096][MAC_LEN];
	size_t n;
};

static void record(void *arg, const uint8_t mac[MAC_LEN])
{
	struct seen *s = arg;

	ck_assert_uint_lt(s->n, 4096);
	memcpy(s->mac[s->n++], mac, MAC_LEN);
}

static bool seen_has(const struct seen *s, const uint8_t mac[MAC_LEN])
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!memcmp(s->mac[i], mac, MAC_LEN))
			return true;
	return false;
}

static int cmp_mac(const void *a, const void *b)
{
	return memcmp(a, b, MAC_LEN);
}

START_TEST(init_sizes)
{
	static const size_t maxes[] = { 1, 2, 3, 4, 5, 100, 1000, 4096 };
	struct mactable t;
	size_t i;

	ck_assert_int_lt(mactable_init(&t, 0, TTL_US), 0);
	mactable_free(&t);
	ck_assert_int_lt(mactable_init(&t, SIZE_MAX, TTL_US), 0);
	mactable_free(&t);
	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		ck_assert_int_eq(mactable_init(&t, maxes[i], TTL_US), 0);
		ck_assert_uint_ge(t.cap, 2 * maxes[i]);
		ck_assert_uint_eq(t.cap & (t.cap - 1), 0);
		ck_assert_uint_eq(t.used, 0);
		ck_assert_uint_eq(t.max, maxes[i]);
		ck_assert_uint_eq(t.ttl_us, TTL_US);
		mactable_free(&t);
		mactable_free(&t);	/* twice is harmless */
	}
}
END_TEST

START_TEST(learn_refresh)
{
	uint8_t a[MAC_LEN], b[MAC_LEN];
	struct mactable t;

	ck_assert_int_eq(mactable_init(&t, 16, TTL_US), 0);
	mac_n(a, 1);
	mac_n(b, 2);
	ck_assert(!mactable_has(&t, a));
	ck_assert_int_eq(mactable_learn(&t, a, 10), MAC_LEARNED);
	ck_assert(mactable_has(&t, a));
	ck_assert(!mactable_has(&t, b));
	ck_assert_int_eq(mactable_learn(&t, a, 20), MAC_REFRESHED);
	ck_assert_int_eq(mactable_learn(&t, a, 20), MAC_REFRESHED);
	ck_assert_int_eq(mactable_learn(&t, b, 30), MAC_LEARNED);
	ck_assert_uint_eq(t.used, 2);
	mactable_free(&t);
}
END_TEST

START_TEST(group_macs_ignored)
{
	static const uint8_t ignored[][MAC_LEN] = {
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },	/* broadcast */
		{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb },	/* IPv4 multicast */
		{ 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 },	/* IPv6 multicast */
		{ 0x01, 0x80, 0xc2, 0x00, 0x00, 0x00 },	/* STP */
		{ 0x03, 0x00, 0x00, 0x00, 0x00, 0x00 },
		{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 },	/* zero */
	};
	static const uint8_t unicast[MAC_LEN] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 };
	struct seen s = { .n = 0 };
	struct mactable t;
	size_t i;

	ck_assert_int_eq(mactable_init(&t, 4, TTL_US), 0);
	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		ck_assert_int_eq(mactable_learn(&t, ignored[i], 1), MAC_IGNORED);
		ck_assert(!mactable_has(&t, ignored[i]));
		ck_assert(!mactable_moved(&t, ignored[i]));
	}
	ck_assert(mac_is_group(ignored[0]));
	ck_assert(!mac_is_group(unicast));
	ck_assert_int_eq(mactable_learn(&t, unicast, 1), MAC_LEARNED);
	ck_assert_uint_eq(t.used, 1);
	mactable_foreach(&t, record, &s);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_mem_eq(s.mac[0], unicast, MAC_LEN);
	mactable_free(&t);
}
END_TEST

START_TEST(expire_fake_clock)
{
	uint8_t a[MAC_LEN], b[MAC_LEN], c[MAC_LEN];
	struct seen *s = calloc(1, sizeof(*s));
	struct mactable t;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(mactable_init(&t, 8, 1000), 0);
	mac_n(a, 0xa);
	mac_n(b, 0xb);
	mac_n(c, 0xc);
	ck_assert_int_eq(mactable_learn(&t, a, 0), MAC_LEARNED);
	ck_assert_int_eq(mactable_learn(&t, b, 500), MAC_LEARNED);
	ck_assert_int_eq(mactable_learn(&t, c, 900), MAC_LEARNED);
	ck_assert_uint_eq(mactable_expire(&t, 999, record, s), 0);
	ck_assert_uint_eq(s->n, 0);
	/* a: last seen 1000 us ago */
	ck_assert_uint_eq(mactable_expire(&t, 1000, record, s), 1);
	ck_assert_uint_eq(s->n, 1);
	ck_assert_mem_eq(s->mac[0], a, MAC_LEN);
	ck_assert(!mactable_has(&t, a));
	ck_assert(mactable_has(&t, b));
	/* b refreshed at 1400 lives on, c does not */
	ck_assert_int_eq(mactable_learn(&t, b, 1400), MAC_REFRESHED);
	ck_assert_uint_eq(mactable_expire(&t, 2000, record, s), 1);
	ck_assert_mem_eq(s->mac[1], c, MAC_LEN);
	ck_assert(mactable_has(&t, b));
	ck_assert_uint_eq(mactable_expire(&t, 2399, NULL, NULL), 0);
	ck_assert_uint_eq(mactable_expire(&t, 2400, NULL, NULL), 1);
	ck_assert(!mactable_has(&t, b));
	ck_assert_uint_eq(t.used, 0);
	/* an expired MAC is learned anew */
	ck_assert_int_eq(mactable_learn(&t, a, 5000), MAC_LEARNED);
	/* a clock that steps back expires nothing */
	ck_assert_uint_eq(mactable_expire(&t, 10, NULL, NULL), 0);
	ck_assert(mactable_has(&t, a));
	ck_assert_uint_eq(mactable_expire(&t, UINT64_MAX, NULL, NULL), 1);
	mactable_free(&t);
	free(s);
}
END_TEST

START_TEST(moved)
{
	uint8_t a[MAC_LEN], b[MAC_LEN];
	struct mactable t;

	ck_assert_int_eq(mactable_init(&t, 4, TTL_US), 0);
	mac_n(a, 1);
	mac_n(b, 2);
	ck_assert(!mactable_moved(&t, a));	/* never ours */
	ck_assert_int_eq(mactable_learn(&t, a, 1), MAC_LEARNED);
	ck_assert_int_eq(mactable_learn(&t, b, 1), MAC_LEARNED);
	ck_assert(mactable_moved(&t, a));
	ck_assert(!mactable_has(&t, a));
	ck_assert(mactable_has(&t, b));
	ck_assert(!mactable_moved(&t, a));	/* withdrawn once */
	ck_assert_uint_eq(t.used, 1);
	/* it came back to our side */
	ck_assert_int_eq(mactable_learn(&t, a, 2), MAC_LEARNED);
	ck_assert(mactable_has(&t, a));
	ck_assert_uint_eq(mactable_expire(&t, 2, NULL, NULL), 0);
	mactable_free(&t);
}
END_TEST

START_TEST(full)
{
	uint8_t m[MAC_LEN];
	struct mactable t;
	unsigned i;

	ck_assert_int_eq(mactable_init(&t, 4, 100), 0);
	for (i = 0; i < 4; i++) {
		mac_n(m, i + 1);
		ck_assert_int_eq(mactable_learn(&t, m, i), MAC_LEARNED);
	}
	mac_n(m, 5);
	ck_assert_int_eq(mactable_learn(&t, m, 10), MAC_FULL);
	ck_assert(!mactable_has(&t, m));
	ck_assert_uint_eq(t.used, 4);
	/* known ones are still refreshed */
	mac_n(m, 1);
	ck_assert_int_eq(mactable_learn(&t, m, 50), MAC_REFRESHED);
	/* room again after a move, and after expiry */
	mac_n(m, 2);
	ck_assert(mactable_moved(&t, m));
	mac_n(m, 5);
	ck_assert_int_eq(mactable_learn(&t, m, 60), MAC_LEARNED);
	mac_n(m, 6);
	ck_assert_int_eq(mactable_learn(&t, m, 60), MAC_FULL);
	ck_assert_uint_eq(mactable_expire(&t, 102, NULL, NULL), 1);	/* 3 */
	ck_assert_int_eq(mactable_learn(&t, m, 102), MAC_LEARNED);
	ck_assert_uint_eq(t.used, 4);
	/* max 1 */
	mactable_free(&t);
	ck_assert_int_eq(mactable_init(&t, 1, 100), 0);
	ck_assert_int_eq(mactable_learn(&t, m, 0), MAC_LEARNED);
	mac_n(m, 7);
	ck_assert_int_eq(mactable_learn(&t, m, 0), MAC_FULL);
	mactable_free(&t);
}
END_TEST

START_TEST(foreach_live_set)
{
	struct seen *s = calloc(1, sizeof(*s));
	uint8_t m[MAC_LEN], want[100][MAC_LEN];
	struct mactable t;
	size_t i, n = 0;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(mactable_init(&t, 200, TTL_US), 0);
	mactable_foreach(&t, record, s);
	ck_assert_uint_eq(s->n, 0);
	for (i = 0; i < 200; i++) {
		mac_n(m, (unsigned)i * 7919);
		ck_assert_int_eq(mactable_learn(&t, m, i), MAC_LEARNED);
	}
	for (i = 0; i < 200; i++) {
		mac_n(m, (unsigned)i * 7919);
		if (i % 2)
			ck_assert(mactable_moved(&t, m));
		else
			memcpy(want[n++], m, MAC_LEN);
	}
	mactable_foreach(&t, record, s);
	ck_assert_uint_eq(s->n, n);
	qsort(s->mac, s->n, MAC_LEN, cmp_mac);
	qsort(want, n, MAC_LEN, cmp_mac);
	ck_assert_mem_eq(s->mac, want, n * MAC_LEN);	/* each exactly once */
	mactable_free(&t);
	free(s);
}
END_TEST

/*
 * A long random run against a shadow set: learns, moves and expiries of
 * a few hundred MACs over 200 000 steps, so tombstones pile up and the
 * in-place rehash runs many times.  After every step the table agrees
 * with the shadow; from time to time foreach is checked too.  The hot
 * loops check with REQUIRE: check's own asserts log every success, which
 * would make the run crawl under valgrind.
 */
#define REQUIRE(c) do {							\
	if (!(c))							\
		ck_abort_msg("step %zu: %s", (size_t)step, #c);		\
} while (0)
#define POOL 600
#define MAX_LIVE 256

static bool expired(uint64_t shadow, uint64_t now, uint64_t ttl)
{
	return shadow && now - (shadow - 1) >= ttl;
}

static size_t churn_expire(struct mactable *t, uint64_t *shadow, uint64_t now,
			   uint64_t ttl, struct seen *s, size_t step)
{
	size_t want = 0, i;
	uint8_t m[MAC_LEN];

	s->n = 0;
	for (i = 0; i < POOL; i++)
		want += expired(shadow[i], now, ttl);
	REQUIRE(mactable_expire(t, now, record, s) == want);
	REQUIRE(s->n == want);
	for (i = 0; i < POOL; i++) {
		if (!expired(shadow[i], now, ttl))
			continue;
		mac_n(m, (unsigned)i + 1);
		REQUIRE(seen_has(s, m));
		shadow[i] = 0;
	}
	return want;
}

static void churn_check_all(const struct mactable *t, const uint64_t *shadow,
			    size_t live, struct seen *s, size_t step)
{
	uint8_t m[MAC_LEN];
	size_t i;

	for (i = 0; i < POOL; i++) {
		mac_n(m, (unsigned)i + 1);
		REQUIRE(mactable_has(t, m) == (shadow[i] != 0));
	}
	s->n = 0;
	mactable_foreach(t, record, s);
	REQUIRE(s->n == live);
	qsort(s->mac, s->n, MAC_LEN, cmp_mac);
	for (i = 0; i < s->n; i++) {
		REQUIRE(shadow[s->mac[i][4] * 256 + s->mac[i][5] - 1]);
		REQUIRE(i == 0 || cmp_mac(s->mac[i - 1], s->mac[i]) < 0);
	}
}

START_TEST(churn)
{
	static uint64_t shadow[POOL];	/* seen + 1; 0: not in the table */
	struct seen *s = calloc(1, sizeof(*s));
	size_t live = 0, step, rehashes = 0;
	uint64_t now = 1, ttl = 5000;
	uint8_t m[MAC_LEN];
	struct mactable t;
	unsigned seed = 42;

	ck_assert_ptr_nonnull(s);
	memset(shadow, 0, sizeof(shadow));
	ck_assert_int_eq(mactable_init(&t, MAX_LIVE, ttl), 0);
	for (step = 0; step < 200000; step++) {
		unsigned k = (unsigned)rand_r(&seed) % POOL, op = rand_r(&seed) % 32;
		size_t deleted = t.deleted;
		enum mac_learn r;

		now += (uint64_t)(rand_r(&seed) % 20);
		mac_n(m, k + 1);
		if (op < 22) {
			r = mactable_learn(&t, m, now);
			if (shadow[k]) {
				REQUIRE(r == MAC_REFRESHED);
			} else if (live == MAX_LIVE) {
				REQUIRE(r == MAC_FULL);
				continue;
			} else {
				REQUIRE(r == MAC_LEARNED);
				live++;
			}
			shadow[k] = now + 1;
		} else if (op < 31) {
			REQUIRE(mactable_moved(&t, m) == (shadow[k] != 0));
			live -= shadow[k] != 0;
			shadow[k] = 0;
		} else {
			live -= churn_expire(&t, shadow, now, ttl, s, step);
		}
		rehashes += t.deleted < deleted && t.deleted == 0;
		REQUIRE(t.used == live);
		REQUIRE(t.used + t.deleted <= t.cap - t.cap / 4);
		if (op < 31)
			REQUIRE(mactable_has(&t, m) == (shadow[k] != 0));
		if (step % 5000 == 0 || step == 199999)
			churn_check_all(&t, shadow, live, s, step);
	}
	ck_assert_uint_gt(rehashes, 100);
	mactable_free(&t);
	free(s);
}
END_TEST

/* The worst case for tombstones: every insert follows a delete of a MAC
 * never seen again, in a table kept nearly full. */
START_TEST(tombstone_cycles)
{
	uint8_t m[MAC_LEN];
	struct mactable t;
	size_t step, j;

	ck_assert_int_eq(mactable_init(&t, 64, TTL_US), 0);
	for (j = 0; j < 63; j++) {
		mac_n(m, 1000000 + (unsigned)j);
		ck_assert_int_eq(mactable_learn(&t, m, 0), MAC_LEARNED);
	}
	for (step = 0; step < 100000; step++) {
		mac_n(m, (unsigned)step);
		REQUIRE(mactable_learn(&t, m, step) == MAC_LEARNED);
		REQUIRE(mactable_has(&t, m));
		REQUIRE(mactable_moved(&t, m));
		REQUIRE(!mactable_has(&t, m));
		REQUIRE(t.used + t.deleted <= t.cap - t.cap / 4);
		if (step % 1009 == 0) {
			for (j = 0; j < 63; j++) {
				mac_n(m, 1000000 + (unsigned)j);
				REQUIRE(mactable_has(&t, m));
			}
		}
	}
	ck_assert_uint_eq(t.used, 63);
	for (j = 0; j < 63; j++) {
		mac_n(m, 1000000 + (unsigned)j);
		ck_assert_int_eq(mactable_learn(&t, m, 1), MAC_REFRESHED);
	}
	mactable_free(&t);
}
END_TEST

/* Two tables hash differently: the key is per table, not a constant. */
START_TEST(keyed)
{
	struct mactable a, b;

	ck_assert_int_eq(mactable_init(&a, 8, TTL_US), 0);
	ck_assert_int_eq(mactable_init(&b, 8, TTL_US), 0);
	ck_assert(a.key[0] != b.key[0] || a.key[1] != b.key[1]);
	mactable_free(&a);
	mactable_free(&b);
}
END_TEST

static Suite *mactable_suite(void)
{
	Suite *s = suite_create("mactable");
	TCase *tc = tcase_create("mactable");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, init_sizes);
	tcase_add_test(tc, learn_refresh);
	tcase_add_test(tc, group_macs_ignored);
	tcase_add_test(tc, expire_fake_clock);
	tcase_add_test(tc, moved);
	tcase_add_test(tc, full);
	tcase_add_test(tc, foreach_live_set);
	tcase_add_test(tc, churn);
	tcase_add_test(tc, tombstone_cycles);
	tcase_add_test(tc, keyed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(mactable_suite());
}
