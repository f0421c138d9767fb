/*
 * defrag.h - bounded, timed reassembly of packets split by udpwire's
 * fragment header (UDPW_F_FRAG).
 *
 * A packet split in n fragments has counters base .. base+n-1; each
 * fragment says its index, n and its byte offset.  At most `slots'
 * packets are reassembled at once, each at most DEFRAG_MAX_PACKET bytes;
 * a new packet when all slots are busy evicts the oldest, and a packet
 * not complete within `timeout' is dropped.  Fragments that disagree with
 * their packet (another count, overlapping or out-of-range bytes, a
 * second copy of an index) drop the packet; duplicates never reach here
 * (the replay window is before it).  Memory: each slot's buffer is
 * allocated at defrag_init, so adding never allocates.  Pure: "now" comes
 * from the caller.
 */
#ifndef CLOUDVPN_DEFRAG_H
#define CLOUDVPN_DEFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "udpwire.h"

#define DEFRAG_MAX_PACKET 65535

struct defrag_slot {
	uint8_t *buf;		/* DEFRAG_MAX_PACKET bytes */
	uint64_t base;		/* counter of fragment 0; 0: slot free */
	uint64_t since;
	uint64_t have;		/* bit i: fragment i arrived */
	uint8_t count;
	size_t bytes;		/* fragment bytes received */
	size_t total;		/* packet length, once the last fragment came (0 before) */
};

struct defrag {
	struct defrag_slot *slot;
	uint32_t nslots;
	uint64_t timeout;
	uint64_t timed_out, evicted, invalid, completed;	/* counters */
};

enum defrag_result {
	DEFRAG_MORE,	/* kept; the packet is not complete yet */
	DEFRAG_DONE,	/* *out / *outlen: the whole packet, valid until the next call */
	DEFRAG_BAD,	/* inconsistent with its packet: the packet was dropped */
};

/* 0, -EINVAL (no slots) or -ENOMEM.  Each slot's one allocation also
 * holds where each of its fragments lies (defrag.c), for the overlap check. */
int defrag_init(struct defrag *d, uint32_t slots, uint64_t timeout);
void defrag_free(struct defrag *d);
/* One fragment: ctr its counter, f its decoded header, p/len the bytes
 * after the header (copied). */
enum defrag_result defrag_add(struct defrag *d, uint64_t ctr, const struct udpw_frag *f,
			      const uint8_t *p, size_t len, uint64_t now,
			      const uint8_t **out, size_t *outlen);
/* Drop packets older than timeout. */
void defrag_expire(struct defrag *d, uint64_t now);

#endif
