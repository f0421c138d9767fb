/*
 * reorder.h - a bounded reorder buffer over packet counters, for the
 * receiving end of a sprayed link (UDPW_F_ORDER).
 *
 * Packets come in with their counter; the buffer hands them to a deliver
 * callback in counter order.  A packet ahead of the next expected counter
 * waits until the hole before it fills, but never longer than max_wait
 * (then the hole is given up) and never when `slots' packets would be
 * held (then the oldest holes are given up).  A packet behind the
 * expected counter (its hole was given up already) is delivered at once:
 * late is better than lost, and the replay window already rejected true
 * duplicates.  The buffer stores opaque pointers and never touches the
 * packets: ownership passes to it on push and back to the caller through
 * deliver.  Pure: the caller passes "now" (any monotonic unit, microseconds
 * in cloud) and calls reorder_expire when reorder_deadline says.
 */
#ifndef CLOUDVPN_REORDER_H
#define CLOUDVPN_REORDER_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*reorder_deliver_fn)(void *ctx, void *pkt, uint64_t ctr);

struct reorder_slot {
	void *pkt;		/* NULL: empty */
	uint64_t ctr;
	uint64_t since;		/* when it was pushed */
};

struct reorder {
	struct reorder_slot *slot;	/* nslots, indexed by ctr % nslots */
	uint32_t nslots;
	uint32_t held;			/* packets waiting */
	uint64_t next;			/* next counter to deliver (0: none seen yet) */
	uint64_t max_wait;
	uint64_t given_up;		/* holes skipped (lost or very late) */
	uint64_t late;			/* delivered behind next */
};

/* 0, -EINVAL (no slots) or -ENOMEM. */
int reorder_init(struct reorder *r, uint32_t slots, uint64_t max_wait);
/* Frees the slot array only: the caller drains held packets first with
 * reorder_flush. */
void reorder_free(struct reorder *r);
/* Take pkt with counter ctr (ctr > 0); delivers what is now in order,
 * perhaps pkt itself, perhaps several. */
void reorder_push(struct reorder *r, uint64_t ctr, void *pkt, uint64_t now,
		  reorder_deliver_fn deliver, void *ctx);
/* A packet that was not sprayed (no UDPW_F_ORDER) was delivered directly
 * with counter ctr: everything held before it is delivered now, and the
 * expected counter moves past it. */
void reorder_passed(struct reorder *r, uint64_t ctr, reorder_deliver_fn deliver, void *ctx);
/* Give up the holes whose packets waited max_wait, delivering in order. */
void reorder_expire(struct reorder *r, uint64_t now, reorder_deliver_fn deliver, void *ctx);
/* When reorder_expire must next run; false if nothing is held. */
bool reorder_deadline(const struct reorder *r, uint64_t *when);
/* Deliver everything held, in order (link going away, policy change). */
void reorder_flush(struct reorder *r, reorder_deliver_fn deliver, void *ctx);

#endif
