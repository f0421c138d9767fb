/*
 * mactable.c - ether-gate's MAC learning table (mactable.h).  Owns the
 * open-addressing hash table: linear probing, tombstones for deletions,
 * and an in-place rehash that clears the tombstones, so that nothing is
 * allocated after mactable_init.
 *
 * Invariants: used <= max <= cap / 2, and used + deleted <= 3/4 cap after
 * every operation, so a probe always reaches an empty slot.  Every live
 * entry is reachable from its home slot through used or deleted slots
 * only.  The hash is SipHash-2-4 under a key drawn at init: a host on the
 * LAN chooses its source MACs and must not be able to pile them into one
 * probe chain.
 */
#include "config.h"
#include "mactable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

enum slot_state {
	SLOT_EMPTY = 0,
	SLOT_USED = 1,
	SLOT_DELETED = 2,
	SLOT_MOVING = 3,	/* only inside rehash(): live, not yet placed */
};

#define MIN_CAP 8
#define NOT_FOUND SIZE_MAX

static inline uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);	\
	v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);	\
} while (0)

/* SipHash-2-4 of a 6-byte message: a single final block. */
static uint64_t mac_hash(const uint64_t key[2], const uint8_t mac[MAC_LEN])
{
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ull;
	uint64_t v1 = key[1] ^ 0x646f72616e646f6dull;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ull;
	uint64_t v3 = key[1] ^ 0x7465646279746573ull;
	uint64_t m = (uint64_t)MAC_LEN << 56;
	int i;

	for (i = 0; i < MAC_LEN; i++)
		m |= (uint64_t)mac[i] << (8 * i);
	v3 ^= m;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	for (i = 0; i < 4; i++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

static size_t home(const struct mactable *t, const uint8_t mac[MAC_LEN])
{
	return (size_t)mac_hash(t->key, mac) & (t->cap - 1);
}

static bool mac_is_zero(const uint8_t mac[MAC_LEN])
{
	static const uint8_t zero[MAC_LEN];

	return !memcmp(mac, zero, MAC_LEN);
}

int mactable_init(struct mactable *t, size_t max, uint64_t ttl_us)
{
	size_t cap = MIN_CAP;
	ssize_t n;

	memset(t, 0, sizeof(*t));
	if (max < 1 || max > SIZE_MAX / 4 / sizeof(struct mac_slot))
		return -EINVAL;
	while (cap < 2 * max)
		cap <<= 1;
	do
		n = getrandom(t->key, sizeof(t->key), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(t->key))
		return n < 0 ? -errno : -EIO;
	t->slot = calloc(cap, sizeof(*t->slot));
	if (!t->slot)
		return -ENOMEM;
	t->cap = cap;
	t->max = max;
	t->ttl_us = ttl_us;
	return 0;
}

void mactable_free(struct mactable *t)
{
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/* The slot holding mac, or NOT_FOUND.  *free_i (if not NULL) gets where
 * mac would be inserted: the first tombstone on the way, else the empty
 * slot that ended the probe. */
static size_t find(const struct mactable *t, const uint8_t mac[MAC_LEN],
		   size_t *free_i)
{
	size_t mask = t->cap - 1, i = home(t, mac), n;
	size_t first_free = NOT_FOUND;

	for (n = 0; n < t->cap; n++, i = (i + 1) & mask) {
		const struct mac_slot *s = &t->slot[i];

		if (s->state == SLOT_EMPTY) {
			if (first_free == NOT_FOUND)
				first_free = i;
			break;
		}
		if (s->state == SLOT_DELETED) {
			if (first_free == NOT_FOUND)
				first_free = i;
		} else if (!memcmp(s->mac, mac, MAC_LEN)) {
			return i;
		}
	}
	if (free_i)
		*free_i = first_free;
	return NOT_FOUND;
}

/*
 * Drop every tombstone without allocating: each live entry is marked
 * MOVING, then placed at the first slot from its home that is not already
 * holding a placed entry, swapping with a MOVING one found there.  Placed
 * entries never move again, so every probe path stays unbroken.
 */
static void rehash(struct mactable *t)
{
	size_t mask = t->cap - 1, i, j;
	struct mac_slot tmp;

	for (i = 0; i < t->cap; i++)
		t->slot[i].state = t->slot[i].state == SLOT_USED ?
				   SLOT_MOVING : SLOT_EMPTY;
	for (i = 0; i < t->cap; i++) {
		while (t->slot[i].state == SLOT_MOVING) {
			j = home(t, t->slot[i].mac);
			while (t->slot[j].state == SLOT_USED)
				j = (j + 1) & mask;
			if (j == i) {
				t->slot[i].state = SLOT_USED;
			} else if (t->slot[j].state == SLOT_EMPTY) {
				t->slot[j] = t->slot[i];
				t->slot[j].state = SLOT_USED;
				memset(&t->slot[i], 0, sizeof(t->slot[i]));
			} else {
				tmp = t->slot[j];
				t->slot[j] = t->slot[i];
				t->slot[j].state = SLOT_USED;
				t->slot[i] = tmp;
			}
		}
	}
	t->deleted = 0;
}

static void maybe_rehash(struct mactable *t)
{
	if (t->used + t->deleted > t->cap - t->cap / 4 ||
	    t->deleted > t->cap / 4)
		rehash(t);
}

static void slot_delete(struct mactable *t, struct mac_slot *s)
{
	s->state = SLOT_DELETED;
	s->seen_us = 0;
	t->used--;
	t->deleted++;
}

enum mac_learn mactable_learn(struct mactable *t, const uint8_t mac[MAC_LEN],
			      uint64_t now_us)
{
	struct mac_slot *s;
	size_t i, free_i;

	if (mac_is_group(mac) || mac_is_zero(mac))
		return MAC_IGNORED;
	i = find(t, mac, &free_i);
	if (i != NOT_FOUND) {
		t->slot[i].seen_us = now_us;
		return MAC_REFRESHED;
	}
	if (t->used >= t->max || free_i == NOT_FOUND)
		return MAC_FULL;
	s = &t->slot[free_i];
	if (s->state == SLOT_DELETED)
		t->deleted--;
	memcpy(s->mac, mac, MAC_LEN);
	s->state = SLOT_USED;
	s->seen_us = now_us;
	t->used++;
	maybe_rehash(t);
	return MAC_LEARNED;
}

bool mactable_has(const struct mactable *t, const uint8_t mac[MAC_LEN])
{
	return find(t, mac, NULL) != NOT_FOUND;
}

bool mactable_moved(struct mactable *t, const uint8_t mac[MAC_LEN])
{
	size_t i = find(t, mac, NULL);

	if (i == NOT_FOUND)
		return false;
	slot_delete(t, &t->slot[i]);
	maybe_rehash(t);
	return true;
}

/* cb must not change the table: the walk is over its slots. */
size_t mactable_expire(struct mactable *t, uint64_t now_us,
		       void (*cb)(void *arg, const uint8_t mac[MAC_LEN]), void *arg)
{
	uint8_t mac[MAC_LEN];
	size_t i, removed = 0;

	for (i = 0; i < t->cap; i++) {
		struct mac_slot *s = &t->slot[i];

		/* a clock that stepped back expires nothing */
		if (s->state != SLOT_USED || now_us < s->seen_us ||
		    now_us - s->seen_us < t->ttl_us)
			continue;
		memcpy(mac, s->mac, MAC_LEN);
		slot_delete(t, s);
		removed++;
		if (cb)
			cb(arg, mac);
	}
	maybe_rehash(t);
	return removed;
}

void mactable_foreach(const struct mactable *t,
		      void (*cb)(void *arg, const uint8_t mac[MAC_LEN]), void *arg)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		if (t->slot[i].state == SLOT_USED)
			cb(arg, t->slot[i].mac);
}
