/*
 * fwd.h - forwarding between gates and links.
 *
 * Knows who owns what: the prefixes of local gates (gate_srv.c keeps them)
 * and the prefixes each neighbour announced (kept here, per link).
 * Delivers a unicast packet to the owners of the longest matching prefix,
 * a broadcast to every gate subscribed to its instance (here and on every
 * neighbour in the instance); never back where it came from.  Tells
 * neighbours about local prefixes: the full table when a link comes up,
 * then changes.
 *
 * Neighbours only, for now: a packet crosses at most one link.  The frames
 * already carry origin, TTL and a broadcast id for multi-hop routing.
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
#define LINK_ROUTES_MAX 16384	/* prefixes one neighbour may announce */

/* Per-link state owned by fwd.c. */
struct fwd_link {
	struct prefix *routes;		/* what the neighbour announced */
	size_t nroutes, caproutes;
	uint32_t next_bcast_id;
};

void fwd_from_gate(struct cloud *cl, struct gate *g, const struct gate_msg *m);
/* Returns false if the frame was malformed (the caller closes the link). */
bool fwd_from_link(struct cloud *cl, struct link *l, const uint8_t *p, size_t len);
bool fwd_route_from_link(struct cloud *cl, struct link *l, const uint8_t *p, size_t len);

/* Sends the full local table; false if that closed the link. */
bool fwd_link_up(struct cloud *cl, struct link *l);
void fwd_link_down(struct cloud *cl, struct link *l);
/* A local gate's prefixes changed: tell the neighbours (op ROUTE_ADD or
 * ROUTE_REMOVE of these), or the whole table again when ps is NULL. */
void fwd_local_changed(struct cloud *cl, uint8_t op, const struct prefix *ps, size_t n);

/* Every prefix this node knows, for ROUTES to a gate and `cloudctl
 * routes': calls cb for each remote prefix (owner = node name). */
void fwd_foreach_remote(struct cloud *cl,
			void (*cb)(void *arg, const struct prefix *p, const char *node),
			void *arg);

#endif
