/*
 * fwd.c - forwarding between gates and links (see fwd.h).
 *
 * Lookups scan the local gates' prefixes and every up neighbour's
 * prefixes; fine for the tables of one hop.  Multi-hop routing brings its
 * own table and replaces fwd_lookup, not its callers.
 *
 * Invariants: a packet is never sent back to the gate or link it came
 * from; a neighbour's routes live exactly as long as its link is up; any
 * loop over links tolerates a link being freed by a failed send.
 */
#include "config.h"
#include "fwd.h"

#include <stdlib.h>
#include <string.h>

#include "gate_srv.h"
#include "link.h"
#include "log.h"
#include "wire.h"

/* The owners of the longest prefix covering dst: local gates and links. */
struct owners {
	int bits;			/* -1: none */
	struct gate *gates[16];
	size_t ngates;
	struct link *links[16];
	size_t nlinks;
};

static void owners_add(struct owners *o, int bits, struct gate *g, struct link *l)
{
	if (bits < o->bits)
		return;
	if (bits > o->bits) {
		o->bits = bits;
		o->ngates = o->nlinks = 0;
	}
	if (g && o->ngates < 16)
		o->gates[o->ngates++] = g;
	if (l && o->nlinks < 16)
		o->links[o->nlinks++] = l;
}

static void lookup(struct cloud *cl, const struct addr *dst, bool local_only,
		   struct owners *o)
{
	struct gate *g;
	struct link *l;

	o->bits = -1;
	o->ngates = o->nlinks = 0;
	TAILQ_FOREACH(g, &cl->gates, entry) {
		int best = -1;
		for (size_t i = 0; i < g->nowned; i++)
			if (g->owned[i].bits > best && prefix_covers(&g->owned[i], dst))
				best = g->owned[i].bits;
		if (best >= 0)
			owners_add(o, best, g, NULL);
	}
	if (local_only)
		return;
	TAILQ_FOREACH(l, &cl->links, entry) {
		int best = -1;
		if (l->state != LINK_UP)
			continue;
		for (size_t i = 0; i < l->fwd.nroutes; i++)
			if (l->fwd.routes[i].bits > best && prefix_covers(&l->fwd.routes[i], dst))
				best = l->fwd.routes[i].bits;
		if (best >= 0)
			owners_add(o, best, NULL, l);
	}
}

/* A packet's source must be an address its sender owns: a gate cannot send
 * as another gate, a neighbour as another node's host. */
static bool owns(const struct prefix *ps, size_t n, const struct addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (prefix_covers(&ps[i], a))
			return true;
	return false;
}

/* Does the neighbour behind l have a gate in instance inst? */
static bool link_in_instance(const struct link *l, uint32_t inst)
{
	for (size_t i = 0; i < l->fwd.nroutes; i++)
		if (l->fwd.routes[i].a.inst == inst)
			return true;
	return false;
}

static bool gate_subscribed(const struct gate *g, uint32_t inst)
{
	for (size_t i = 0; i < g->nowned; i++)
		if (g->owned[i].a.inst == inst && g->owned[i].a.len == 0)
			return true;
	return false;
}

/* ---------------------------------------------------------------- sending */

static void to_gates_broadcast(struct cloud *cl, struct gate *from, uint32_t inst,
			       const struct addr *dst, const struct addr *src, const char *origin,
			       const uint8_t *payload, size_t len)
{
	struct gate *g, *tmp;

	TAILQ_FOREACH_SAFE(g, &cl->gates, entry, tmp) {
		if (g != from && gate_subscribed(g, inst) &&
		    gate_send_packet(g, 0, inst, dst, src, origin, payload, len))
			cl->cnt.pkt_forwarded++;
	}
}

/* Encode the DATA header for this packet; 0 if it cannot be. */
static size_t data_hdr(uint8_t *hdr, size_t cap, uint32_t inst, uint8_t flags, uint32_t bcast_id,
		       const struct addr *dst, const struct addr *src, const char *origin,
		       size_t len)
{
	struct data_frame d = {
		.inst = inst, .ttl = DATA_TTL_DEFAULT, .flags = flags, .bcast_id = bcast_id,
		.dst_len = dst->len, .src_len = src->len, .len = len,
	};

	memcpy(d.dst, dst->b, dst->len);
	memcpy(d.src, src->b, src->len);
	snprintf(d.origin, sizeof(d.origin), "%s", origin);
	return data_encode_hdr(hdr, cap, &d);
}

static void to_links_broadcast(struct cloud *cl, uint32_t inst, uint8_t flags,
			       const struct addr *dst, const struct addr *src,
			       const uint8_t *payload, size_t len)
{
	struct link *l, *tmp;
	uint8_t hdr[DATA_HDR_MAX];

	TAILQ_FOREACH_SAFE(l, &cl->links, entry, tmp) {
		if (l->state != LINK_UP || !link_in_instance(l, inst))
			continue;
		size_t n = data_hdr(hdr, sizeof(hdr), inst, flags, ++l->fwd.next_bcast_id, dst, src,
				    cl->name, len);
		if (!n)
			cl->cnt.pkt_too_big++;
		else if (link_send_data(l, hdr, n, payload, len))
			cl->cnt.pkt_forwarded++;
	}
}

void fwd_from_gate(struct cloud *cl, struct gate *from, const struct gate_msg *m)
{
	const struct addr *dst = &m->pkt.dst, *src = &m->pkt.src;
	uint8_t hdr[DATA_HDR_MAX];
	struct owners o;

	if (!owns(from->owned, from->nowned, src)) {
		cl->cnt.pkt_spoofed++;
		return;
	}
	if (addr_is_broadcast(dst)) {
		to_gates_broadcast(cl, from, m->pkt.inst, dst, src, cl->name, m->pkt.payload, m->pkt.len);
		to_links_broadcast(cl, m->pkt.inst, 0, dst, src, m->pkt.payload, m->pkt.len);
		return;
	}
	lookup(cl, dst, false, &o);
	if (o.nlinks == 0 && o.ngates == 1 && o.gates[0] == from)
		return;		/* its own address: nothing to do for the mesh */
	if (o.bits < 0) {
		if (m->flags & PKT_FLOOD_UNKNOWN) {
			to_gates_broadcast(cl, from, m->pkt.inst, dst, src, cl->name,
					   m->pkt.payload, m->pkt.len);
			to_links_broadcast(cl, m->pkt.inst, DATA_FLOOD_UNKNOWN, dst, src,
					   m->pkt.payload, m->pkt.len);
			return;
		}
		cl->cnt.pkt_unroutable++;
		from->unroutable++;
		gate_send_unreachable(from, m->pkt.inst, dst, m->pkt.payload, m->pkt.len);
		return;
	}
	for (size_t i = 0; i < o.ngates; i++) {
		if (o.gates[i] != from &&
		    gate_send_packet(o.gates[i], 0, m->pkt.inst, dst, src, cl->name,
				     m->pkt.payload, m->pkt.len))
			cl->cnt.pkt_forwarded++;
	}
	size_t n = data_hdr(hdr, sizeof(hdr), m->pkt.inst, 0, 0, dst, src, cl->name, m->pkt.len);
	if (n == 0 && o.nlinks)
		cl->cnt.pkt_too_big++;
	for (size_t i = 0; i < o.nlinks && n; i++) {
		/* the link may be gone if an earlier send closed it */
		struct link *l;
		TAILQ_FOREACH(l, &cl->links, entry)
			if (l == o.links[i])
				break;
		if (l && link_send_data(l, hdr, n, m->pkt.payload, m->pkt.len))
			cl->cnt.pkt_forwarded++;
	}
}

bool fwd_from_link(struct cloud *cl, struct link *l, const uint8_t *p, size_t len)
{
	struct data_frame d;
	struct addr dst = { 0 }, src = { 0 };
	struct owners o;

	if (!data_decode(p, len, &d))
		return false;
	/* one hop for now: only the neighbour itself may originate */
	if (strcmp(d.origin, l->peer.name))
		return false;
	if (d.ttl == 0) {
		cl->cnt.pkt_ttl_expired++;
		return true;
	}
	dst.inst = src.inst = d.inst;
	dst.len = d.dst_len;
	src.len = d.src_len;
	memcpy(dst.b, d.dst, d.dst_len);
	memcpy(src.b, d.src, d.src_len);
	struct prefix chk;
	prefix_host(&chk, &dst);
	if (!prefix_valid(&chk))
		return false;
	prefix_host(&chk, &src);
	if (!prefix_valid(&chk))
		return false;
	if (!owns(l->fwd.routes, l->fwd.nroutes, &src)) {
		cl->cnt.pkt_spoofed++;
		return true;
	}

	if (addr_is_broadcast(&dst)) {
		to_gates_broadcast(cl, NULL, d.inst, &dst, &src, d.origin, d.payload, d.len);
		return true;
	}
	lookup(cl, &dst, true, &o);
	if (o.bits < 0) {
		if (d.flags & DATA_FLOOD_UNKNOWN)
			to_gates_broadcast(cl, NULL, d.inst, &dst, &src, d.origin, d.payload, d.len);
		else
			cl->cnt.pkt_unroutable++;
		return true;
	}
	for (size_t i = 0; i < o.ngates; i++)
		if (gate_send_packet(o.gates[i], 0, d.inst, &dst, &src, d.origin, d.payload, d.len))
			cl->cnt.pkt_forwarded++;
	return true;
}

/* ---------------------------------------------------------------- routes */

/* Send prefixes to one link as ROUTE frames of at most ~60 KiB; the first
 * frame carries op, the rest ROUTE_ADD (when op is REPLACE). */
static bool send_routes(struct link *l, uint8_t op, const struct prefix *ps, size_t n,
			bool (*keep)(const struct prefix *p, void *arg), void *arg)
{
	static uint8_t buf[FRAME_MAX_PAYLOAD];
	size_t off = ROUTE_HDR_LEN, count = 0;
	bool first = true;

	for (size_t i = 0; i <= n; i++) {
		bool flush = i == n ? (first || count) : off + PREFIX_WIRE_MAX > sizeof(buf);
		if (flush) {
			route_encode_hdr(buf, sizeof(buf), first ? op : ROUTE_ADD, (uint16_t)count);
			if (!link_send_frame(l, FRAME_ROUTE, buf, off))
				return false;
			first = false;
			off = ROUTE_HDR_LEN;
			count = 0;
		}
		if (i == n)
			break;
		if (keep && !keep(&ps[i], arg))
			continue;
		off += prefix_encode(buf + off, sizeof(buf) - off, &ps[i]);
		count++;
	}
	return true;
}

/* All prefixes of all local gates, in one array (caller frees). */
static struct prefix *local_table(struct cloud *cl, size_t *n)
{
	struct gate *g;
	size_t total = 0, k = 0;

	TAILQ_FOREACH(g, &cl->gates, entry)
		total += g->nowned;
	struct prefix *t = malloc((total ? total : 1) * sizeof(*t));
	if (!t)
		return NULL;
	TAILQ_FOREACH(g, &cl->gates, entry) {
		if (!g->nowned)
			continue;	/* attached, nothing announced: owned is NULL */
		memcpy(t + k, g->owned, g->nowned * sizeof(*t));
		k += g->nowned;
	}
	*n = k;
	return t;
}

bool fwd_link_up(struct cloud *cl, struct link *l)
{
	size_t n = 0;
	struct prefix *t = local_table(cl, &n);
	bool alive;

	if (!t) {
		log_err(LOGS_ROUTE, "out of memory for the route table");
		return true;
	}
	alive = send_routes(l, ROUTE_REPLACE, t, n, NULL, NULL);
	free(t);
	return alive;
}

void fwd_local_changed(struct cloud *cl, uint8_t op, const struct prefix *ps, size_t n)
{
	struct link *l, *tmp;
	struct prefix *t = NULL;

	if (!ps) {
		t = local_table(cl, &n);
		if (!t)
			return;
		ps = t;
		op = ROUTE_REPLACE;
	}
	TAILQ_FOREACH_SAFE(l, &cl->links, entry, tmp)
		if (l->state == LINK_UP)
			send_routes(l, op, ps, n, NULL, NULL);
	free(t);
}

static bool apply_route(struct fwd_link *f, uint8_t op, const struct prefix *p)
{
	for (size_t i = 0; i < f->nroutes; i++) {
		if (prefix_equal(&f->routes[i], p)) {
			if (op == ROUTE_REMOVE)
				f->routes[i] = f->routes[--f->nroutes];
			return true;
		}
	}
	if (op == ROUTE_REMOVE)
		return true;
	if (f->nroutes >= LINK_ROUTES_MAX)
		return false;
	if (f->nroutes == f->caproutes) {
		size_t cap = f->caproutes ? 2 * f->caproutes : 16;
		struct prefix *nr = realloc(f->routes, cap * sizeof(*nr));
		if (!nr)
			return false;
		f->routes = nr;
		f->caproutes = cap;
	}
	f->routes[f->nroutes++] = *p;
	return true;
}

bool fwd_route_from_link(struct cloud *cl, struct link *l, const uint8_t *p, size_t len)
{
	struct route_frame r;
	const uint8_t *q;
	size_t left;
	struct prefix pf;
	char text[ADDR_TEXT_MAX];

	if (!route_decode(p, len, &r))
		return false;
	if (r.op == ROUTE_REPLACE)
		l->fwd.nroutes = 0;
	q = r.list;
	left = r.list_len;
	while (left > 0 && prefix_decode(&q, &left, &pf)) {
		if (!apply_route(&l->fwd, r.op == ROUTE_REMOVE ? ROUTE_REMOVE : ROUTE_ADD, &pf)) {
			log_warn(LOGS_ROUTE, "%s announced more than %d prefixes (or we are out of "
				 "memory)", l->peer.name, LINK_ROUTES_MAX);
			return false;
		}
		prefix_format(&pf, text, sizeof(text));
		log_dbg(LOGS_ROUTE, "%s %s %s", l->peer.name,
			r.op == ROUTE_REMOVE ? "withdrew" : "announced", text);
	}
	gates_routes_changed(cl);
	return true;
}

void fwd_link_down(struct cloud *cl, struct link *l)
{
	free(l->fwd.routes);
	l->fwd.routes = NULL;
	l->fwd.nroutes = l->fwd.caproutes = 0;
	gates_routes_changed(cl);
}

void fwd_foreach_remote(struct cloud *cl,
			void (*cb)(void *arg, const struct prefix *p, const char *node), void *arg)
{
	struct link *l;

	TAILQ_FOREACH(l, &cl->links, entry)
		if (l->state == LINK_UP)
			for (size_t i = 0; i < l->fwd.nroutes; i++)
				cb(arg, &l->fwd.routes[i], l->peer.name);
}
