/*
 * check_epoch.c - receive key selection across key switches (lib/epoch.c),
 * with real AES-256-GCM keys (lib/aead.c): a sender that moves its epoch
 * on, a receiver keeping current, next and previous keys as link_udp.c
 * does, and packets delivered in order, across a switch out of order,
 * after the grace time, two epochs late, and forged.
 */
#include "config.h"
#include "aead.h"
#include "epoch.h"
#include "testutil.h"
#include "wire.h"

#include <check.h>
#include <string.h>

#define GRACE 3000000

/* The key of epoch e: any secret that differs per epoch will do here. */
static void key_of(struct aead_key *k, uint32_t e)
{
	uint8_t secret[AEAD_KEY_LEN];

	memset(secret, 0xa5, sizeof(secret));
	wire_put32(secret, e);
	aead_key_clear(k);
	ck_assert_int_eq(aead_key_init(k, UDPW_AES256GCM, secret), 0);
}

struct rx {
	struct epoch_rx ep;
	struct aead_key key[3];		/* by enum epoch_key */
};

static void rx_init(struct rx *r)
{
	memset(r, 0, sizeof(*r));
	epoch_rx_init(&r->ep, GRACE);
	key_of(&r->key[EPOCH_CUR], 0);
	key_of(&r->key[EPOCH_NEXT], 1);
}

static void rx_free(struct rx *r)
{
	for (int i = 0; i < 3; i++)
		aead_key_clear(&r->key[i]);
}

/* A sealed data datagram of epoch e, counter ctr, 20 plaintext bytes. */
static size_t seal(uint8_t *d, uint32_t e, uint64_t ctr)
{
	struct aead_key k = { 0 };
	size_t n;

	memset(d, 0, UDPW_OVERHEAD + 20);
	d[0] = UDPW_DATA;
	d[1] = e & 1 ? UDPW_F_EPOCH : 0;
	wire_put32(d + 4, 42);
	wire_put64(d + 8, ctr);
	memcpy(d + UDPW_HDR_LEN, "twenty bytes of data", 20);
	key_of(&k, e);
	n = aead_seal(&k, d, 20);
	aead_key_clear(&k);
	return n;
}

/* What link_udp.c's open_pkt does; true if some key opened d. */
static bool rx_open(struct rx *r, const uint8_t *d, size_t n, uint64_t now)
{
	enum epoch_key try[2];
	unsigned k = epoch_rx_keys(&r->ep, d[1] & UDPW_F_EPOCH, now, try);
	uint8_t buf[UDPW_OVERHEAD + 20];
	size_t len;

	for (unsigned i = 0; i < k; i++) {
		memcpy(buf, d, n);
		if (!aead_open(&r->key[try[i]], buf, n, &len))
			continue;
		ck_assert_mem_eq(buf + UDPW_HDR_LEN, "twenty bytes of data", 20);
		if (try[i] == EPOCH_NEXT) {
			struct aead_key t = r->key[EPOCH_PREV];
			r->key[EPOCH_PREV] = r->key[EPOCH_CUR];
			r->key[EPOCH_CUR] = r->key[EPOCH_NEXT];
			r->key[EPOCH_NEXT] = t;
			epoch_rx_moved(&r->ep, now);
			key_of(&r->key[EPOCH_NEXT], r->ep.epoch + 1);
		}
		return true;
	}
	return false;
}

START_TEST(keys_named_by_parity)
{
	struct epoch_rx e;
	enum epoch_key k[2];

	epoch_rx_init(&e, GRACE);
	ck_assert_uint_eq(epoch_rx_keys(&e, false, 0, k), 1);
	ck_assert_int_eq(k[0], EPOCH_CUR);
	ck_assert_uint_eq(epoch_rx_keys(&e, true, 0, k), 1);	/* no previous yet */
	ck_assert_int_eq(k[0], EPOCH_NEXT);
	epoch_rx_moved(&e, 1000);
	ck_assert_uint_eq(e.epoch, 1);
	ck_assert_uint_eq(epoch_rx_keys(&e, true, 1000, k), 1);
	ck_assert_int_eq(k[0], EPOCH_CUR);
	ck_assert_uint_eq(epoch_rx_keys(&e, false, 1000, k), 2);
	ck_assert_int_eq(k[0], EPOCH_PREV);
	ck_assert_int_eq(k[1], EPOCH_NEXT);
	/* the grace time over: the other parity can only be the next epoch */
	ck_assert_uint_eq(epoch_rx_keys(&e, false, 1000 + GRACE, k), 1);
	ck_assert_int_eq(k[0], EPOCH_NEXT);
}
END_TEST

START_TEST(in_order_across_switches)
{
	struct rx r;
	uint8_t d[UDPW_OVERHEAD + 20];
	uint64_t ctr = 0, now = 0;

	rx_init(&r);
	for (uint32_t e = 0; e < 20; e++) {
		for (int i = 0; i < 5; i++, now += 1000) {
			size_t n = seal(d, e, ++ctr);
			ck_assert_msg(rx_open(&r, d, n, now), "epoch %u packet %d", e, i);
			ck_assert_uint_eq(r.ep.epoch, e);
		}
	}
	rx_free(&r);
}
END_TEST

START_TEST(late_packets_across_a_switch)
{
	struct rx r;
	uint8_t old[10][UDPW_OVERHEAD + 20], d[UDPW_OVERHEAD + 20];
	size_t oldn[10], n;

	rx_init(&r);
	/* epoch 0's last packets are overtaken by epoch 1's first */
	for (int i = 0; i < 10; i++)
		oldn[i] = seal(old[i], 0, (uint64_t)i + 1);
	n = seal(d, 1, 11);
	ck_assert(rx_open(&r, d, n, 5000));
	ck_assert_uint_eq(r.ep.epoch, 1);
	for (int i = 0; i < 9; i++)
		ck_assert_msg(rx_open(&r, old[i], oldn[i], 5000 + (uint64_t)i * 100000), "%d", i);
	/* past the grace time, epoch 0 is gone */
	ck_assert(!rx_open(&r, old[9], oldn[9], 5000 + GRACE));
	ck_assert_uint_eq(r.ep.epoch, 1);
	/* epoch 2 and 3 come, each moving the receiver on */
	n = seal(d, 2, 12);
	ck_assert(rx_open(&r, d, n, 6000 + GRACE));
	n = seal(d, 3, 13);
	ck_assert(rx_open(&r, d, n, 7000 + GRACE));
	ck_assert_uint_eq(r.ep.epoch, 3);
	rx_free(&r);
}
END_TEST

START_TEST(two_epochs_late_refused)
{
	struct rx r;
	uint8_t old[UDPW_OVERHEAD + 20], d[UDPW_OVERHEAD + 20];
	size_t oldn = seal(old, 0, 1), n;

	rx_init(&r);
	n = seal(d, 1, 2);
	ck_assert(rx_open(&r, d, n, 0));
	n = seal(d, 2, 3);
	ck_assert(rx_open(&r, d, n, 1));
	/* epoch 0 has epoch 2's parity: the current key does not open it,
	 * and nothing moves */
	ck_assert(!rx_open(&r, old, oldn, 2));
	ck_assert_uint_eq(r.ep.epoch, 2);
	rx_free(&r);
}
END_TEST

START_TEST(forged_other_parity_moves_nothing)
{
	struct rx r;
	uint8_t d[UDPW_OVERHEAD + 20];
	size_t n;

	rx_init(&r);
	n = seal(d, 1, 1);
	d[UDPW_HDR_LEN + 3] ^= 0x40;		/* not what the peer sealed */
	ck_assert(!rx_open(&r, d, n, 0));
	ck_assert_uint_eq(r.ep.epoch, 0);
	ck_assert(!r.ep.has_prev);
	n = seal(d, 0, 2);
	ck_assert(rx_open(&r, d, n, 0));	/* epoch 0 still current */
	rx_free(&r);
}
END_TEST

static Suite *epoch_suite(void)
{
	Suite *s = suite_create("epoch");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, keys_named_by_parity);
	tcase_add_test(tc, in_order_across_switches);
	tcase_add_test(tc, late_packets_across_a_switch);
	tcase_add_test(tc, two_epochs_late_refused);
	tcase_add_test(tc, forged_other_parity_moves_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(epoch_suite());
}
