/*
 * fwd.h - forwarding between gates and links, over any number of hops.
 *
 * Unicast: the routing table (route.h) names the owner of the longest
 * prefix covering the destination.  Owned here: delivered to the local
 * gates that own it.  Owned elsewhere: sent to one of the destination's
 * loop-free next hops, chosen per flow or per packet (`multipath'), never
 * back out of the link it came in on; each relay decrements the TTL and
 * drops (and counts) a packet that would leave with TTL 0.
 *
 * Broadcast (and unknown unicast a gate asks to flood): delivered once to
 * every gate subscribed to the instance on every node.  The origin gives
 * it a broadcast id; every node floods it to all its links but the one it
 * came in on, and drops the copies it has already seen ((origin, id)
 * deduplication, dedup.h).
 *
 * A packet's source address must be owned by its origin: a gate cannot
 * send as another gate, a node as another node's host.
 */
#ifndef CLOUDVPN_FWD_H
#define CLOUDVPN_FWD_H

#include <stdint.h>

#include "cloud.h"
#include "frame.h"
#include "gateproto.h"

struct gate;
struct link;

#define DATA_TTL_DEFAULT 64

void fwd_from_gate(struct cloud *cl, struct gate *g, const struct gate_msg *m);
/* Returns false if the frame was malformed (the caller closes the link). */
bool fwd_from_link(struct cloud *cl, struct link *l, const uint8_t *p, size_t len);

/* Every reachable prefix other nodes own, for ROUTES to gates: calls cb
 * once per prefix, with its nearest owner's name. */
void fwd_foreach_remote(struct cloud *cl,
			void (*cb)(void *arg, const struct prefix *p, const char *node),
			void *arg);

#endif
