/*
 * fwd.c - forwarding between gates and links (see fwd.h).
 *
 * Invariants: a packet is never sent back to the gate or link it came
 * from; a broadcast is handed to a node's gates at most once; any loop
 * over links tolerates a link being freed by a failed send.
 */
#include "config.h"
#include "fwd.h"

#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "flow.h"
#include "gate_srv.h"
#include "link.h"
#include "log.h"
#include "router.h"

/* The local gates that own the longest prefix covering dst. */
struct owners {
	int bits;			/* -1: none */
	struct gate *gates[16];
	size_t ngates;
};

static void local_owners(struct cloud *cl, const struct addr *dst, struct owners *o)
{
	struct gate *g;

	o->bits = -1;
	o->ngates = 0;
	TAILQ_FOREACH(g, &cl->gates, entry) {
		int best = -1;
		for (size_t i = 0; i < g->nowned; i++)
			if (g->owned[i].bits > best && prefix_covers(&g->owned[i], dst))
				best = g->owned[i].bits;
		if (best < 0 || best < o->bits)
			continue;
		if (best > o->bits) {
			o->bits = best;
			o->ngates = 0;
		}
		if (o->ngates < 16)
			o->gates[o->ngates++] = g;
	}
}

/* A packet's source must be an address its sender owns. */
static bool owns(const struct prefix *ps, size_t n, const struct addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (prefix_covers(&ps[i], a))
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

/* ---------------------------------------------------------------- to gates */

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

static void to_owners(struct cloud *cl, const struct owners *o, struct gate *from, uint32_t inst,
		      const struct addr *dst, const struct addr *src, const char *origin,
		      const uint8_t *payload, size_t len)
{
	for (size_t i = 0; i < o->ngates; i++)
		if (o->gates[i] != from &&
		    gate_send_packet(o->gates[i], 0, inst, dst, src, origin, payload, len))
			cl->cnt.pkt_forwarded++;
}

/* ---------------------------------------------------------------- to links */

/* Encode the DATA header of a packet we originate; 0 if it cannot be. */
static size_t data_hdr(uint8_t *hdr, size_t cap, uint32_t inst, uint8_t flags, uint32_t bcast_id,
		       const struct addr *dst, const struct addr *src, const char *origin,
		       size_t len)
{
	struct data_frame d = {
		.inst = inst, .ttl = DATA_TTL_DEFAULT, .flags = flags, .bcast_id = bcast_id,
		.dst_len = dst->len, .src_len = src->len, .len = len,
	};

	size_t on = strnlen(origin, sizeof(d.origin) - 1);

	memcpy(d.dst, dst->b, dst->len);
	memcpy(d.src, src->b, src->len);
	memcpy(d.origin, origin, on);	/* per packet: no snprintf */
	d.origin[on] = '\0';
	return data_encode_hdr(hdr, cap, &d);
}

/* A broadcast or flood, with its header ready, to every link but one. */
static void flood(struct cloud *cl, const struct link *except, const uint8_t *hdr, size_t hlen,
		  const uint8_t *payload, size_t len)
{
	struct link *l, *tmp;

	TAILQ_FOREACH_SAFE(l, &cl->links, entry, tmp) {
		if (l == except || l->state != LINK_UP)
			continue;
		if (link_send_data(l, hdr, hlen, payload, len))
			cl->cnt.pkt_forwarded++;
	}
}

/* The next hop toward s for this packet, never `except'. */
static struct link *next_hop(struct cloud *cl, const struct rt_source *s,
			     const struct link *except, uint32_t inst, const struct addr *src,
			     const struct addr *dst, const uint8_t *payload, size_t len)
{
	enum mp_policy pol = router_policy(cl, inst);
	uint32_t h = 0;
	struct rt_neigh *nb;

	if (pol == MP_FLOW)
		h = flow_hash(src, dst, payload, len, cl->flow_salt);
	else if (pol == MP_SPRAY)
		h = cloud_random32();
	nb = rt_next_hop(cl->rt, s, h, except ? except->rt_nb : NULL, pol != MP_OFF);
	return nb ? nb->user : NULL;
}

void fwd_from_gate(struct cloud *cl, struct gate *from, const struct gate_msg *m)
{
	const struct addr *dst = &m->pkt.dst, *src = &m->pkt.src;
	const uint8_t *payload = m->pkt.payload;
	size_t len = m->pkt.len, n;
	uint32_t inst = m->pkt.inst;
	uint8_t hdr[DATA_HDR_MAX];
	const struct rt_source *s;
	struct owners o;
	struct link *l;

	if (!owns(from->owned, from->nowned, src)) {
		cl->cnt.pkt_spoofed++;
		return;
	}
	s = addr_is_broadcast(dst) ? NULL : rt_lookup(cl->rt, dst);
	if (!s && (addr_is_broadcast(dst) || (m->flags & PKT_FLOOD_UNKNOWN))) {
		uint8_t flags = addr_is_broadcast(dst) ? 0 : DATA_FLOOD_UNKNOWN;
		to_gates_broadcast(cl, from, inst, dst, src, cl->name, payload, len);
		if (!rt_instance_remote(cl->rt, inst))
			return;		/* nobody else listens there */
		n = data_hdr(hdr, sizeof(hdr), inst, flags, ++cl->next_bcast_id, dst, src,
			     cl->name, len);
		if (n)
			flood(cl, NULL, hdr, n, payload, len);
		else
			cl->cnt.pkt_too_big++;
		return;
	}
	if (!s) {
		cl->cnt.pkt_unroutable++;
		from->unroutable++;
		gate_send_unreachable(from, inst, dst, payload, len);
		return;
	}
	if (s->local) {
		local_owners(cl, dst, &o);
		to_owners(cl, &o, from, inst, dst, src, cl->name, payload, len);
		return;
	}
	l = next_hop(cl, s, NULL, inst, src, dst, payload, len);
	if (!l) {
		cl->cnt.pkt_unroutable++;
		return;
	}
	n = data_hdr(hdr, sizeof(hdr), inst, 0, 0, dst, src, cl->name, len);
	if (!n)
		cl->cnt.pkt_too_big++;
	else if (link_send_data(l, hdr, n, payload, len))
		cl->cnt.pkt_forwarded++;
}

/* A broadcast or flood from a link: deliver here once, pass it on. */
static void from_link_flood(struct cloud *cl, struct link *in, const struct data_frame *d,
			    const struct addr *dst, const struct addr *src,
			    uint8_t *hdr, size_t hlen)
{
	struct rt_node *o = rt_node_find(cl->rt, d->origin);
	struct owners ow;

	if (!o) {
		cl->cnt.bcast_unknown_origin++;
		return;
	}
	if (!dedup_check(&o->bcast, d->bcast_id)) {
		cl->cnt.bcast_duplicates++;
		return;
	}
	if (!rt_origin_covers(cl->rt, d->origin, src)) {
		cl->cnt.pkt_spoofed++;
		return;
	}
	if (d->flags & DATA_FLOOD_UNKNOWN) {
		local_owners(cl, dst, &ow);
		if (ow.bits >= 0)
			to_owners(cl, &ow, NULL, d->inst, dst, src, d->origin, d->payload, d->len);
		else
			to_gates_broadcast(cl, NULL, d->inst, dst, src, d->origin, d->payload,
					   d->len);
	} else {
		to_gates_broadcast(cl, NULL, d->inst, dst, src, d->origin, d->payload, d->len);
	}
	if (d->ttl <= 1) {
		cl->cnt.pkt_ttl_expired++;
		return;
	}
	hdr[4] = (uint8_t)(d->ttl - 1);
	flood(cl, in, hdr, hlen, d->payload, d->len);
}

bool fwd_from_link(struct cloud *cl, struct link *in, const uint8_t *p, size_t len)
{
	struct data_frame d;
	struct addr dst = { 0 }, src = { 0 };
	struct prefix chk;
	uint8_t hdr[DATA_HDR_MAX];
	size_t hlen;

	if (!data_decode(p, len, &d))
		return false;
	dst.inst = src.inst = d.inst;
	dst.len = d.dst_len;
	src.len = d.src_len;
	memcpy(dst.b, d.dst, d.dst_len);
	memcpy(src.b, d.src, d.src_len);
	prefix_host(&chk, &dst);
	if (!prefix_valid(&chk))
		return false;
	prefix_host(&chk, &src);
	if (!prefix_valid(&chk))
		return false;
	hlen = len - d.len;
	if (hlen > sizeof(hdr))
		return false;
	memcpy(hdr, p, hlen);

	if (!strcmp(d.origin, cl->name)) {
		/* ours, back again: a flood's copy, or a routing loop */
		if (addr_is_broadcast(&dst) || (d.flags & DATA_FLOOD_UNKNOWN))
			cl->cnt.bcast_duplicates++;
		else
			cl->cnt.pkt_looped++;
		return true;
	}
	if (addr_is_broadcast(&dst) || (d.flags & DATA_FLOOD_UNKNOWN)) {
		from_link_flood(cl, in, &d, &dst, &src, hdr, hlen);
		return true;
	}

	const struct rt_source *s = rt_lookup(cl->rt, &dst);
	if (!s) {
		cl->cnt.pkt_unroutable++;
		return true;
	}
	if (s->local) {
		struct owners o;
		if (!rt_origin_covers(cl->rt, d.origin, &src)) {
			cl->cnt.pkt_spoofed++;
			return true;
		}
		local_owners(cl, &dst, &o);
		to_owners(cl, &o, NULL, d.inst, &dst, &src, d.origin, d.payload, d.len);
		return true;
	}
	if (d.ttl <= 1) {
		cl->cnt.pkt_ttl_expired++;
		return true;
	}
	/* a routing neighbour is always an up link: router.c drops it when
	 * the link starts to close */
	struct link *out = next_hop(cl, s, in, d.inst, &src, &dst, d.payload, d.len);
	if (!out) {
		cl->cnt.pkt_unroutable++;
		return true;
	}
	hdr[4] = (uint8_t)(d.ttl - 1);
	if (link_send_data(out, hdr, hlen, d.payload, d.len)) {
		cl->cnt.pkt_forwarded++;
		cl->cnt.pkt_relayed++;
	}
	return true;
}

/* ---------------------------------------------------------------- routes */

void fwd_foreach_remote(struct cloud *cl,
			void (*cb)(void *arg, const struct prefix *p, const char *node), void *arg)
{
	const struct rt_source *s, *best;

	TAILQ_FOREACH(s, &cl->rt->sources, entry) {
		if (!s->reachable || s->local || s->pfx->p.a.inst == NODE_INST)
			continue;
		/* a prefix several nodes own: once, with the nearest owner */
		best = s;
		for (const struct rt_source *o = s->pfx->sources; o; o = o->pnext)
			if (o->reachable && !o->local && (o->metric < best->metric ||
							    (o->metric == best->metric && o < best)))
				best = o;
		if (best == s)
			cb(arg, &s->pfx->p, s->origin->name);
	}
}
