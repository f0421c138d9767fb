/*
 * routewire.h - the routing messages carried in control frames
 * (DESIGN section 5; src/route.c speaks them).
 *
 * FRAME_ROUTE: route updates.
 *   0  u8   flags  (RW_FULL_BEGIN, RW_FULL_END; other bits refused)
 *   1  ...  groups, up to the end of the payload (there may be none):
 *           u8 n, n bytes   origin node name (node_name_valid)
 *           u16             origin's seqno
 *           u16             count (>= 1)
 *           count x { u32 metric (RW_METRIC_INF: withdrawn); prefix in
 *                     the wire form of addr.h (prefix_encode) }
 *   A full table is sent as frames whose first carries RW_FULL_BEGIN (the
 *   receiver marks what it had from the sender as stale) and whose last
 *   carries RW_FULL_END (the receiver drops what is still stale); one frame
 *   may carry both.  Without flags, a frame is a diff.
 *
 * FRAME_SEQREQ: "send me a newer seqno of this origin".
 *   0  u16  seqno wanted (at least)
 *   2  u8   hops left (> 0)
 *   3  u8 n, n bytes origin node name
 *
 * FRAME_DIGEST: what the sender has advertised, for drift repair.
 *   0  u32  number of finite routes advertised
 *   4  u64  sum (mod 2^64) of rw_entry_hash() over them
 *
 * FRAME_ROUTE_REQ: "send me your full table".
 *   0  u8   reserved (0)
 *
 * Pure: no I/O, no globals.  Decoders check every length and every field
 * before they return true; after rw_route_decode() accepted a payload,
 * rw_route_next() cannot fail.
 */
#ifndef CLOUDVPN_ROUTEWIRE_H
#define CLOUDVPN_ROUTEWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "name.h"

#define RW_METRIC_INF 0xffffffffu
#define RW_FULL_BEGIN 0x01
#define RW_FULL_END 0x02
#define RW_GROUP_HDR_MAX (1 + NAME_MAX_LEN + 4)
#define RW_ENTRY_MAX (4 + PREFIX_WIRE_MAX)

struct rw_entry {
	char origin[NAME_MAX_LEN + 1];
	uint16_t seqno;
	uint32_t metric;
	struct prefix p;
};

/* Reading a ROUTE payload: decode checks it all, next walks it. */
struct rw_reader {
	uint8_t flags;
	const uint8_t *p;
	size_t left;
	/* the current group */
	char origin[NAME_MAX_LEN + 1];
	uint16_t seqno, count;
};
bool rw_route_decode(const uint8_t *p, size_t len, struct rw_reader *r);
/* The next entry; false at the end. */
bool rw_route_next(struct rw_reader *r, struct rw_entry *e);

/* Writing a ROUTE payload into a caller's buffer.  Entries of the same
 * origin and seqno that follow each other share one group header. */
struct rw_writer {
	uint8_t *buf;
	size_t cap, off;
	size_t count_off;	/* of the open group's count; 0: none */
	uint16_t count, seqno;
	char origin[NAME_MAX_LEN + 1];
};
void rw_route_begin(struct rw_writer *w, uint8_t *buf, size_t cap, uint8_t flags);
/* false if the entry does not fit (start a new payload) or is invalid */
bool rw_route_add(struct rw_writer *w, const struct rw_entry *e);
bool rw_route_empty(const struct rw_writer *w);
void rw_route_set_flags(struct rw_writer *w, uint8_t flags);
size_t rw_route_len(const struct rw_writer *w);

struct rw_seqreq {
	uint16_t seqno;
	uint8_t hops;
	char origin[NAME_MAX_LEN + 1];
};
bool rw_seqreq_decode(const uint8_t *p, size_t len, struct rw_seqreq *s);
size_t rw_seqreq_encode(uint8_t *out, size_t cap, const struct rw_seqreq *s);

struct rw_digest {
	uint32_t count;
	uint64_t sum;
};
#define RW_DIGEST_LEN 12
bool rw_digest_decode(const uint8_t *p, size_t len, struct rw_digest *d);
size_t rw_digest_encode(uint8_t *out, size_t cap, const struct rw_digest *d);
/* The hash of one advertised route, summed into a digest. */
uint64_t rw_entry_hash(const struct rw_entry *e);

#define RW_ROUTE_REQ_LEN 1
bool rw_route_req_decode(const uint8_t *p, size_t len);

/* Babel's seqno order (RFC 8966 section 3.2.1): is a newer than b? */
static inline bool seqno_newer(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(a - b);

	return d != 0 && d < 0x8000;
}

#endif
