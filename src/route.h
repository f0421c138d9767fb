/*
 * route.h - loop-free distance-vector routing (DESIGN section 5).
 *
 * Every node originates the prefixes of its gates, and one "node" prefix
 * for itself, under its own 16-bit sequence number.  A *source* is a
 * (prefix, origin) pair; for each source this table keeps the route each
 * neighbour advertised (seqno, metric), selects the best one and
 * advertises it on.  Babel's feasibility condition (RFC 8966 section 3.5)
 * keeps it loop-free: a route is usable only if its seqno is newer than
 * the source's feasibility distance (FD), or equal with a strictly smaller
 * metric; the FD is the best (seqno, metric) this node has advertised.  A
 * source left with only unfeasible routes asks its origin for a newer
 * seqno (SEQREQ).
 *
 * Links are reliable and ordered (TLS), so there are no hellos, no route
 * expiry and no periodic full updates: a neighbour gets the full table
 * when its link comes up and diffs after that; a periodic digest of what
 * each side has advertised repairs drift with a full resync.
 *
 * Metric: microseconds, RT_METRIC_INF meaning unreachable.  A route's
 * metric is what the neighbour advertised plus the cost of its link
 * (set by the caller: hop cost + smoothed RTT).  Hysteresis keeps the
 * selected route until another is better by hysteresis_pct; damping
 * re-advertises a metric only when it moved by more than damping_pct.
 *
 * Multipath: the successors of a source are the neighbours whose route is
 * feasible (loop-free by the same condition) and whose metric is at most
 * stretch_pct of the best; rt_next_hop() picks one, weighted by metric.
 *
 * Pure: no I/O and no clock.  Callers pass the time (ms) and get frames to
 * send through hooks; frames are only sent from rt_flush(), never from
 * inside another call, so a hook may close a link (rt_neigh_del) safely.
 */
#ifndef CLOUDVPN_ROUTE_H
#define CLOUDVPN_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "addr.h"
#include "dedup.h"
#include "routewire.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar) \
	for ((var) = TAILQ_FIRST(head); \
	     (var) && ((tvar) = TAILQ_NEXT(var, field), 1); (var) = (tvar))
#endif

#define RT_METRIC_INF RW_METRIC_INF
#define RT_SOURCES_MAX (1u << 18)	/* routes beyond this are refused */
#define RT_SEQREQ_HOPS 64
#define NODE_INST 0u			/* instance of the node prefixes */

struct rt_config {
	unsigned hysteresis_pct;	/* switch only to a route this much better */
	unsigned damping_pct;		/* re-advertise changes beyond this */
	unsigned stretch_pct;		/* multipath: up to this x the best metric */
	uint64_t digest_ms;		/* digest to each neighbour this often; 0: never */
	uint64_t source_gc_ms;		/* forget an unreachable source after this */
	uint64_t seqreq_ms;		/* at most one identical request this often */
};
#define RT_CONFIG_DEFAULT { 10, 10, 150, 30000, 180000, 1000 }

struct rt_neigh;
struct rt_hooks {
	void *arg;
	/* Send one control frame (type FRAME_ROUTE...) to a neighbour. */
	void (*send)(void *arg, struct rt_neigh *nb, uint8_t type, const uint8_t *p, size_t len);
	/* The set of reachable remote prefixes changed (for gates' ROUTES). */
	void (*changed)(void *arg);
};

struct rt_counters {
	uint64_t updates_rx, updates_tx;	/* entries */
	uint64_t frames_tx;			/* ROUTE frames */
	uint64_t bytes_tx;			/* payload bytes of all routing frames */
	uint64_t unfeasible;			/* updates received that were not feasible */
	uint64_t seqreq_rx, seqreq_tx;
	uint64_t digest_rx, digest_mismatch;
	uint64_t table_full;			/* entries refused: RT_SOURCES_MAX */
};

struct rt_neigh {
	TAILQ_ENTRY(rt_neigh) entry;
	char name[NAME_MAX_LEN + 1];
	uint32_t id;
	uint32_t cost;			/* metric of the link, as set */
	void *user;			/* the caller's (struct link *) */
	bool dead;			/* deleted during a flush; freed after it */
	bool full_pending;		/* send it our full table */
	bool req_full_pending;		/* ask it for its full table */
	bool resyncing;			/* a full table from it is coming */
	uint64_t next_digest;
	uint64_t nroutes;		/* routes it gave us (finite) */
};

struct rt_route {
	struct rt_neigh *nb;
	uint16_t seqno;
	uint32_t metric;		/* as advertised by nb (finite) */
	bool stale;			/* not in nb's full table (yet) */
};

struct rt_node;
struct rt_prefix;

struct rt_source {
	TAILQ_ENTRY(rt_source) entry;	/* all sources */
	struct rt_source *pnext;	/* sources of the same prefix */
	struct rt_source *onext;	/* sources of the same origin */
	struct rt_source *dnext;	/* dirty list */
	struct rt_prefix *pfx;
	struct rt_node *origin;
	bool local;			/* ours: a gate owns it, or our node prefix */
	bool dirty, force;		/* to advertise; even if unchanged */

	bool fd_valid;
	uint16_t fd_seqno;
	uint32_t fd_metric;

	struct rt_route *routes;
	unsigned nroutes, caproutes;
	struct rt_neigh *sel;		/* selected route's neighbour (NULL: local/none) */
	bool reachable;			/* local, or a route is selected */
	uint16_t seqno;			/* of the selected route */
	uint32_t metric;		/* of the selected route, link cost included */

	bool adv_valid;			/* advertised something */
	uint16_t adv_seqno;
	uint32_t adv_metric;		/* RT_METRIC_INF: withdrawn */
	uint64_t dead_since;		/* unreachable and unadvertised since (ms) */
};

struct rt_prefix {
	struct prefix p;
	struct rt_prefix *hnext;
	struct rt_source *sources;
};

struct rt_node {
	struct rt_node *hnext;
	char name[NAME_MAX_LEN + 1];
	uint16_t seqno;			/* ours, for the self node */
	struct rt_source *sources;
	unsigned nsources;
	struct dedup bcast;		/* broadcasts seen from it (fwd.c) */
	uint64_t req_time;		/* our last seqno request for it */
	uint16_t req_seqno;
	bool req_valid;
	uint64_t fwd_time;		/* the last one we forwarded, and to whom */
	uint16_t fwd_seqno;
	bool fwd_valid;
	struct rt_neigh *fwd_via;
};

struct rt_pending_req;

struct rt {
	struct rt_config cfg;
	struct rt_hooks hooks;
	struct rt_node *self;
	TAILQ_HEAD(, rt_neigh) neighs;
	TAILQ_HEAD(, rt_source) sources;
	unsigned nsources, nneighs;
	uint32_t next_neigh_id;

	struct rt_prefix **ptab;	/* prefixes by hash */
	size_t ptab_size, nprefixes;
	struct rt_node **ntab;		/* nodes by name hash */
	size_t ntab_size, nnodes;
	/* which prefix lengths exist, per (instance, address length) */
	struct rt_lens *lens;
	size_t nlens;

	struct rt_source *dirty;
	struct rt_pending_req *reqs;
	size_t nreqs, capreqs;
	bool busy;			/* inside rt_flush */
	uint64_t now;			/* the latest time a caller gave */
	bool changed;			/* reachability changed since the hook ran */
	struct rt_counters cnt;
	uint8_t buf[60000];		/* frame payloads being built */
};

struct rt *rt_new(const char *self, const struct rt_config *cfg, const struct rt_hooks *hooks);
void rt_free(struct rt *rt);
void rt_set_config(struct rt *rt, const struct rt_config *cfg);

/* Neighbours: a link came up (gets our full table), changed cost, went down. */
struct rt_neigh *rt_neigh_add(struct rt *rt, const char *name, uint32_t cost, void *user,
			      uint64_t now);
void rt_neigh_cost(struct rt *rt, struct rt_neigh *nb, uint32_t cost);
void rt_neigh_del(struct rt *rt, struct rt_neigh *nb);

/* Prefixes of local gates. */
bool rt_local_add(struct rt *rt, const struct prefix *p);
void rt_local_del(struct rt *rt, const struct prefix *p);

/* A routing frame (FRAME_ROUTE, _SEQREQ, _DIGEST, _ROUTE_REQ) from nb;
 * false if it was malformed (the caller closes the link). */
bool rt_recv(struct rt *rt, struct rt_neigh *nb, uint8_t type, const uint8_t *p, size_t len,
	     uint64_t now);

/* Send what is pending: diffs, full tables, requests, digests.  Call it
 * once per event-loop iteration (it coalesces) and after rt_tick. */
void rt_flush(struct rt *rt, uint64_t now);
/* Timers: digests due, sources to forget.  Call it every second or so. */
void rt_tick(struct rt *rt, uint64_t now);

/* The source that owns dst: of the longest prefix that covers it and is
 * reachable, the local one if there is one, else the nearest origin's.
 * NULL if none. */
const struct rt_source *rt_lookup(const struct rt *rt, const struct addr *dst);
/* A next hop toward s: with multipath, one of its successors chosen by
 * hash, weighted by metric; without, the selected one.  Never `except'.
 * NULL if there is none. */
struct rt_neigh *rt_next_hop(const struct rt *rt, const struct rt_source *s, uint32_t hash,
			     const struct rt_neigh *except, bool multipath);
/* The successors of s and their weights (for `cloudctl routes'); returns
 * how many (at most max). */
size_t rt_successors(const struct rt *rt, const struct rt_source *s, struct rt_neigh **nbs,
		     unsigned *weights, size_t max);
/* Does origin own a prefix that covers a (reachable, or ourselves)? */
bool rt_origin_covers(const struct rt *rt, const char *origin, const struct addr *a);
/* Is some other node reachable with a prefix in instance inst of this
 * address length (a broadcast there reaches someone)? */
bool rt_instance_remote(const struct rt *rt, uint32_t inst);
struct rt_node *rt_node_find(const struct rt *rt, const char *name);
/* The node prefix of the instance NODE_INST: the route to a node itself. */
void rt_node_prefix(struct prefix *p);
const char *rt_source_origin(const struct rt_source *s);

#endif
