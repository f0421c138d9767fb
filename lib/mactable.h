/*
 * mactable.h - ether-gate's MAC learning table: the unicast MACs that live
 * on this side of the mesh (the TAP itself and hosts bridged behind it),
 * each with the time it was last seen as a frame's source.  The gate
 * announces what the table holds and withdraws what expires or moves.
 *
 * Open addressing, fixed capacity, no allocation after init; time comes in
 * from the caller (microseconds), so it is tested with a fake clock.
 */
#ifndef CLOUDVPN_MACTABLE_H
#define CLOUDVPN_MACTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAC_LEN 6

struct mac_slot {
	uint8_t mac[MAC_LEN];
	uint8_t state;		/* 0 empty, 1 used, 2 deleted (tombstone) */
	uint64_t seen_us;
};

struct mactable {
	struct mac_slot *slot;
	size_t cap;		/* a power of two */
	size_t used;		/* live entries */
	size_t max;		/* at most this many live entries */
	uint64_t ttl_us;
	size_t deleted;		/* tombstones */
	uint64_t key[2];	/* random SipHash key, from getrandom at init */
};

enum mac_learn {
	MAC_REFRESHED,		/* known: its time was updated */
	MAC_LEARNED,		/* new: announce it */
	MAC_IGNORED,		/* multicast/broadcast/zero source: never learned */
	MAC_FULL,		/* the table is full: not learned */
};

/* max entries (>= 1); ttl after which an entry not seen expires. */
int mactable_init(struct mactable *t, size_t max, uint64_t ttl_us);
void mactable_free(struct mactable *t);
enum mac_learn mactable_learn(struct mactable *t, const uint8_t mac[MAC_LEN], uint64_t now_us);
bool mactable_has(const struct mactable *t, const uint8_t mac[MAC_LEN]);
/* The MAC showed up as a source on the mesh side: if it was ours it has
 * moved away; remove it and return true (withdraw it). */
bool mactable_moved(struct mactable *t, const uint8_t mac[MAC_LEN]);
/* Remove entries not seen for ttl; cb (may be NULL) gets each one.
 * Returns how many were removed. */
size_t mactable_expire(struct mactable *t, uint64_t now_us,
		       void (*cb)(void *arg, const uint8_t mac[MAC_LEN]), void *arg);
/* Call cb for every live entry (to announce the whole table again). */
void mactable_foreach(const struct mactable *t,
		      void (*cb)(void *arg, const uint8_t mac[MAC_LEN]), void *arg);
static inline bool mac_is_group(const uint8_t mac[MAC_LEN]) { return mac[0] & 1; }

#endif
