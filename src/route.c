/*
 * route.c - loop-free distance-vector routing (see route.h).
 *
 * Data: nodes (origins) and prefixes in two hash tables; a source per
 * (prefix, origin), on its prefix's list, its origin's list and the list
 * of all sources; each source holds the routes its neighbours advertised.
 * A lookup walks the prefix lengths that exist for the address's
 * instance and length, longest first, one hash probe each.
 *
 * Every change ends in select_route(), which picks the route, notes a
 * change of reachability, and marks the source dirty if what we advertise
 * must change; rt_flush() turns the dirty list into one ROUTE diff for all
 * neighbours.
 */
#include "config.h"
#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "frame.h"
#include "log.h"

struct rt_lens {
	uint32_t inst;
	uint8_t len;
	uint32_t count[8 * ADDR_MAX_LEN + 1];	/* prefixes per bit length */
};

struct rt_pending_req {
	struct rt_neigh *nb;		/* NULL: every neighbour but skip */
	struct rt_neigh *skip;
	struct rw_seqreq req;
};

/* ---------------------------------------------------------------- helpers */

static uint32_t metric_add(uint32_t a, uint32_t b)
{
	uint64_t s = (uint64_t)a + b;

	return s >= RT_METRIC_INF ? RT_METRIC_INF : (uint32_t)s;
}

static size_t prefix_hash(const struct prefix *p, size_t size)
{
	uint64_t h = FNV64_INIT;
	uint8_t hdr[7] = { (uint8_t)(p->a.inst >> 24), (uint8_t)(p->a.inst >> 16),
			   (uint8_t)(p->a.inst >> 8), (uint8_t)p->a.inst,
			   (uint8_t)(p->bits >> 8), (uint8_t)p->bits, p->a.len };

	h = fnv64(h, hdr, sizeof(hdr));
	h = fnv64(h, p->a.b, p->a.len);
	return (size_t)(h ^ h >> 32) & (size_t)(size - 1);
}

static size_t name_hash(const char *name, size_t size)
{
	uint64_t h = fnv64(FNV64_INIT, name, strlen(name));

	return (size_t)(h ^ h >> 32) & (size_t)(size - 1);
}

/* Grow a power-of-two chained hash table when it is fuller than 1. */
#define REHASH(tab, size, count, type, hfn, key)				\
	do {									\
		if ((count) < (size))						\
			break;							\
		size_t nsize_ = (size) * 2;					\
		type **nt_ = calloc(nsize_, sizeof(*nt_));			\
		if (!nt_)							\
			break;							\
		for (size_t i_ = 0; i_ < (size); i_++) {			\
			type *e_, *next_;					\
			for (e_ = (tab)[i_]; e_; e_ = next_) {			\
				next_ = e_->hnext;				\
				size_t h_ = hfn(key(e_), nsize_);		\
				e_->hnext = nt_[h_];				\
				nt_[h_] = e_;					\
			}							\
		}								\
		free(tab);							\
		(tab) = nt_;							\
		(size) = nsize_;						\
	} while (0)
#define PFX_KEY(e) (&(e)->p)
#define NODE_KEY(e) ((e)->name)

void rt_node_prefix(struct prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->a.inst = NODE_INST;
}

const char *rt_source_origin(const struct rt_source *s)
{
	return s->origin->name;
}

/* ---------------------------------------------------------------- nodes */

struct rt_node *rt_node_find(const struct rt *rt, const char *name)
{
	struct rt_node *n;

	for (n = rt->ntab[name_hash(name, rt->ntab_size)]; n; n = n->hnext)
		if (!strcmp(n->name, name))
			return n;
	return NULL;
}

static struct rt_node *node_get(struct rt *rt, const char *name)
{
	struct rt_node *n = rt_node_find(rt, name);
	size_t h;

	if (n)
		return n;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	snprintf(n->name, sizeof(n->name), "%s", name);
	REHASH(rt->ntab, rt->ntab_size, rt->nnodes, struct rt_node, name_hash, NODE_KEY);
	h = name_hash(name, rt->ntab_size);
	n->hnext = rt->ntab[h];
	rt->ntab[h] = n;
	rt->nnodes++;
	return n;
}

static void node_free(struct rt *rt, struct rt_node *n)
{
	struct rt_node **pp = &rt->ntab[name_hash(n->name, rt->ntab_size)];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == n) {
			*pp = n->hnext;
			break;
		}
	rt->nnodes--;
	free(n);
}

/* ---------------------------------------------------------------- prefixes */

static struct rt_lens *lens_find(const struct rt *rt, uint32_t inst, uint8_t len)
{
	for (size_t i = 0; i < rt->nlens; i++)
		if (rt->lens[i].inst == inst && rt->lens[i].len == len)
			return &rt->lens[i];
	return NULL;
}

static bool lens_count(struct rt *rt, const struct prefix *p, int delta)
{
	struct rt_lens *l = lens_find(rt, p->a.inst, p->a.len);

	if (!l) {
		struct rt_lens *nl = realloc(rt->lens, (rt->nlens + 1) * sizeof(*nl));
		if (!nl)
			return false;
		rt->lens = nl;
		l = &rt->lens[rt->nlens++];
		memset(l, 0, sizeof(*l));
		l->inst = p->a.inst;
		l->len = p->a.len;
	}
	l->count[p->bits] += (uint32_t)delta;
	return true;
}

static struct rt_prefix *prefix_find(const struct rt *rt, const struct prefix *p)
{
	struct rt_prefix *x;

	for (x = rt->ptab[prefix_hash(p, rt->ptab_size)]; x; x = x->hnext)
		if (prefix_equal(&x->p, p))
			return x;
	return NULL;
}

static struct rt_prefix *prefix_get(struct rt *rt, const struct prefix *p)
{
	struct rt_prefix *x = prefix_find(rt, p);
	size_t h;

	if (x)
		return x;
	x = calloc(1, sizeof(*x));
	if (!x || !lens_count(rt, p, 1)) {
		free(x);
		return NULL;
	}
	x->p = *p;
	REHASH(rt->ptab, rt->ptab_size, rt->nprefixes, struct rt_prefix, prefix_hash, PFX_KEY);
	h = prefix_hash(p, rt->ptab_size);
	x->hnext = rt->ptab[h];
	rt->ptab[h] = x;
	rt->nprefixes++;
	return x;
}

static void prefix_free(struct rt *rt, struct rt_prefix *x)
{
	struct rt_prefix **pp = &rt->ptab[prefix_hash(&x->p, rt->ptab_size)];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == x) {
			*pp = x->hnext;
			break;
		}
	lens_count(rt, &x->p, -1);
	rt->nprefixes--;
	free(x);
}

/* ---------------------------------------------------------------- sources */

static struct rt_source *source_find(const struct rt_prefix *x, const struct rt_node *o)
{
	struct rt_source *s;

	for (s = x ? x->sources : NULL; s; s = s->pnext)
		if (s->origin == o)
			return s;
	return NULL;
}

static struct rt_source *source_get(struct rt *rt, const struct prefix *p, struct rt_node *o)
{
	struct rt_prefix *x;
	struct rt_source *s;

	x = prefix_find(rt, p);
	s = source_find(x, o);
	if (s)
		return s;
	if (rt->nsources >= RT_SOURCES_MAX) {
		rt->cnt.table_full++;
		return NULL;
	}
	if (!x && !(x = prefix_get(rt, p)))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		if (!x->sources)
			prefix_free(rt, x);
		return NULL;
	}
	s->pfx = x;
	s->origin = o;
	s->pnext = x->sources;
	x->sources = s;
	s->onext = o->sources;
	o->sources = s;
	o->nsources++;
	TAILQ_INSERT_TAIL(&rt->sources, s, entry);
	rt->nsources++;
	return s;
}

static void source_free(struct rt *rt, struct rt_source *s)
{
	struct rt_source **pp;

	for (pp = &s->pfx->sources; *pp; pp = &(*pp)->pnext)
		if (*pp == s) {
			*pp = s->pnext;
			break;
		}
	for (pp = &s->origin->sources; *pp; pp = &(*pp)->onext)
		if (*pp == s) {
			*pp = s->onext;
			break;
		}
	for (pp = &rt->dirty; *pp; pp = &(*pp)->dnext)
		if (*pp == s) {
			*pp = s->dnext;
			break;
		}
	s->origin->nsources--;
	if (!s->pfx->sources)
		prefix_free(rt, s->pfx);
	if (!s->origin->nsources && s->origin != rt->self)
		node_free(rt, s->origin);
	TAILQ_REMOVE(&rt->sources, s, entry);
	rt->nsources--;
	free(s->routes);
	free(s);
}

static struct rt_route *route_find(const struct rt_source *s, const struct rt_neigh *nb)
{
	for (unsigned i = 0; i < s->nroutes; i++)
		if (s->routes[i].nb == nb)
			return &s->routes[i];
	return NULL;
}

static void route_remove(struct rt_source *s, struct rt_route *r)
{
	r->nb->nroutes--;
	*r = s->routes[--s->nroutes];
}

static bool feasible(const struct rt_source *s, uint16_t seqno, uint32_t metric)
{
	if (metric == RT_METRIC_INF)
		return true;	/* a withdrawal always is */
	return !s->fd_valid || seqno_newer(seqno, s->fd_seqno) ||
	       (seqno == s->fd_seqno && metric < s->fd_metric);
}

static uint32_t route_total(const struct rt_route *r)
{
	return metric_add(r->metric, r->nb->cost);
}

/* Is r one we may send packets along? */
static bool route_usable(const struct rt_source *s, const struct rt_route *r)
{
	return !r->nb->dead && feasible(s, r->seqno, r->metric) && route_total(r) != RT_METRIC_INF;
}

static void mark_dirty(struct rt *rt, struct rt_source *s)
{
	if (s->dirty)
		return;
	s->dirty = true;
	s->dnext = rt->dirty;
	rt->dirty = s;
}

static bool beyond(uint32_t a, uint32_t b, unsigned pct)
{
	uint64_t d = a > b ? a - b : b - a;

	return d * 100 > (uint64_t)b * pct;
}

/* Does what we advertised for s differ from what we would advertise now
 * (a metric change within damping_pct does not count)? */
static bool adv_stale(const struct rt *rt, const struct rt_source *s)
{
	bool adv_finite = s->adv_valid && s->adv_metric != RT_METRIC_INF;

	if (!s->reachable)
		return adv_finite;
	return !adv_finite || s->adv_seqno != s->seqno ||
	       beyond(s->metric, s->adv_metric, rt->cfg.damping_pct);
}

/* Queue a seqno request for s's origin, at most once per seqreq_ms. */
static void request_seqno(struct rt *rt, struct rt_source *s, uint64_t now);

/* Pick s's route; mark it dirty when what we advertise must change. */
static void select_route(struct rt *rt, struct rt_source *s, uint64_t now)
{
	struct rt_route *best = NULL, *cur = NULL;
	uint32_t best_total = RT_METRIC_INF, unfeasible_total = RT_METRIC_INF;
	bool was = s->reachable, starving = false;

	if (s->local) {
		s->sel = NULL;
		s->reachable = true;
		s->seqno = rt->self->seqno;
		s->metric = 0;
	} else {
		for (unsigned i = 0; i < s->nroutes; i++) {
			struct rt_route *r = &s->routes[i];
			uint32_t t;

			if (!route_usable(s, r)) {
				starving |= !r->nb->dead;
				/* (one of an older seqno catches up by itself) */
				if (!r->nb->dead && r->seqno == s->fd_seqno &&
				    route_total(r) < unfeasible_total)
					unfeasible_total = route_total(r);
				continue;
			}
			t = route_total(r);
			if (!best || t < best_total || (t == best_total && r->nb->id < best->nb->id)) {
				best = r;
				best_total = t;
			}
			if (r->nb == s->sel)
				cur = r;
		}
		/* hysteresis: stay unless the best is clearly better */
		if (cur && best != cur &&
		    (uint64_t)best_total * 100 > (uint64_t)route_total(cur) * (100 - rt->cfg.hysteresis_pct)) {
			best = cur;
			best_total = route_total(cur);
		}
		s->sel = best ? best->nb : NULL;
		s->reachable = best != NULL;
		s->seqno = best ? best->seqno : 0;
		s->metric = best ? best_total : RT_METRIC_INF;
		/* only unfeasible routes left, or one clearly better than the
		 * selected: a new seqno makes them feasible (babeld does the same) */
		if ((!best && starving) ||
		    (best && (uint64_t)unfeasible_total * 100 <
				     (uint64_t)best_total * (100 - rt->cfg.hysteresis_pct)))
			request_seqno(rt, s, now);
	}
	if (was != s->reachable)
		rt->changed = true;

	if (adv_stale(rt, s))
		mark_dirty(rt, s);
}

/* ---------------------------------------------------------------- requests */

static void queue_req(struct rt *rt, struct rt_neigh *nb, struct rt_neigh *skip,
		      const struct rw_seqreq *req)
{
	if (rt->nreqs == rt->capreqs) {
		size_t cap = rt->capreqs ? 2 * rt->capreqs : 8;
		struct rt_pending_req *n = realloc(rt->reqs, cap * sizeof(*n));
		if (!n)
			return;
		rt->reqs = n;
		rt->capreqs = cap;
	}
	rt->reqs[rt->nreqs++] = (struct rt_pending_req){ nb, skip, *req };
}

static bool req_recent(const struct rt *rt, const struct rt_node *o, uint16_t seqno, uint64_t now)
{
	return o->req_valid && o->req_seqno == seqno && now - o->req_time < rt->cfg.seqreq_ms;
}

static void request_seqno(struct rt *rt, struct rt_source *s, uint64_t now)
{
	struct rt_node *o = s->origin;
	struct rw_seqreq req = { .seqno = (uint16_t)(s->fd_seqno + 1), .hops = RT_SEQREQ_HOPS };

	if (!s->fd_valid || req_recent(rt, o, req.seqno, now))
		return;
	o->req_valid = true;
	o->req_seqno = req.seqno;
	o->req_time = now;
	memcpy(req.origin, o->name, sizeof(req.origin));
	queue_req(rt, NULL, NULL, &req);
}

/* Our own sources: advertise them again, with a new seqno if asked. */
static void readvertise_self(struct rt *rt, uint64_t now)
{
	for (struct rt_source *s = rt->self->sources; s; s = s->onext) {
		s->force = true;
		select_route(rt, s, now);
		mark_dirty(rt, s);
	}
}

static void handle_seqreq(struct rt *rt, struct rt_neigh *nb, const struct rw_seqreq *req,
			  uint64_t now)
{
	struct rt_node *o;
	struct rt_neigh *via = NULL;
	bool answered = false;

	rt->cnt.seqreq_rx++;
	if (!strcmp(req->origin, rt->self->name)) {
		if (seqno_newer(req->seqno, rt->self->seqno))
			rt->self->seqno = req->seqno;
		readvertise_self(rt, now);
		return;
	}
	o = rt_node_find(rt, req->origin);
	if (!o)
		return;
	for (struct rt_source *s = o->sources; s; s = s->onext) {
		if (s->reachable && !seqno_newer(req->seqno, s->seqno)) {
			s->force = true;
			mark_dirty(rt, s);
			answered = true;
		} else if (s->sel && s->sel != nb) {
			via = s->sel;
		}
	}
	if (answered || req->hops <= 1)
		return;
	if (!via) {
		/* no selected route: ask whoever has one, feasible or not */
		for (struct rt_source *s = o->sources; s && !via; s = s->onext)
			for (unsigned i = 0; i < s->nroutes && !via; i++)
				if (s->routes[i].nb != nb && !s->routes[i].nb->dead)
					via = s->routes[i].nb;
	}
	if (!via)
		return;
	/* the same request through the same next hop only once in a while;
	 * through a new one (our route changed since) at once.  Kept apart
	 * from our own requests: forwarding one must not stop us asking. */
	if (o->fwd_valid && o->fwd_seqno == req->seqno && o->fwd_via == via &&
	    now - o->fwd_time < rt->cfg.seqreq_ms)
		return;
	struct rw_seqreq fwd = *req;
	fwd.hops--;
	o->fwd_valid = true;
	o->fwd_seqno = req->seqno;
	o->fwd_time = now;
	o->fwd_via = via;
	queue_req(rt, via, NULL, &fwd);
}

/* ---------------------------------------------------------------- updates in */

static void handle_entry(struct rt *rt, struct rt_neigh *nb, const struct rw_entry *e,
			 uint64_t now)
{
	struct rt_node *o;
	struct rt_source *s;
	struct rt_route *r;

	rt->cnt.updates_rx++;
	if (!strcmp(e->origin, rt->self->name)) {
		/* our own prefixes, back from an older life: outrun that seqno */
		if (e->metric != RT_METRIC_INF && seqno_newer(e->seqno, rt->self->seqno)) {
			rt->self->seqno = (uint16_t)(e->seqno + 1);
			readvertise_self(rt, now);
		}
		return;
	}
	if (e->metric == RT_METRIC_INF) {
		o = rt_node_find(rt, e->origin);
		s = o ? source_find(prefix_find(rt, &e->p), o) : NULL;
		if (!s || !(r = route_find(s, nb)))
			return;
		route_remove(s, r);
		select_route(rt, s, now);
		return;
	}
	o = node_get(rt, e->origin);
	s = o ? source_get(rt, &e->p, o) : NULL;
	if (!s) {
		if (o && !o->nsources)
			node_free(rt, o);
		return;
	}
	r = route_find(s, nb);
	if (!r) {
		if (s->nroutes == s->caproutes) {
			unsigned cap = s->caproutes ? 2 * s->caproutes : 2;
			struct rt_route *n = realloc(s->routes, cap * sizeof(*n));
			if (!n)
				return;
			s->routes = n;
			s->caproutes = cap;
		}
		r = &s->routes[s->nroutes++];
		r->nb = nb;
		nb->nroutes++;
	}
	r->seqno = e->seqno;
	r->metric = e->metric;
	r->stale = false;
	if (!feasible(s, e->seqno, e->metric))
		rt->cnt.unfeasible++;
	select_route(rt, s, now);
}

/* Mark (begin) or drop (end) what nb gave us before its full table. */
static void resync(struct rt *rt, struct rt_neigh *nb, bool begin, uint64_t now)
{
	struct rt_source *s, *tmp;

	TAILQ_FOREACH_SAFE(s, &rt->sources, entry, tmp) {
		struct rt_route *r = route_find(s, nb);
		if (!r)
			continue;
		if (begin) {
			r->stale = true;
		} else if (r->stale) {
			route_remove(s, r);
			select_route(rt, s, now);
		}
	}
}

static uint64_t digest_of_routes(const struct rt *rt, const struct rt_neigh *nb, uint32_t *count)
{
	const struct rt_source *s;
	uint64_t sum = 0;

	*count = 0;
	TAILQ_FOREACH(s, &rt->sources, entry) {
		const struct rt_route *r = route_find(s, nb);
		if (!r)
			continue;
		struct rw_entry e = { .seqno = r->seqno, .metric = r->metric, .p = s->pfx->p };
		memcpy(e.origin, s->origin->name, sizeof(e.origin));
		sum += rw_entry_hash(&e);
		(*count)++;
	}
	return sum;
}

/* What we advertised, as nb keeps it: nb ignores routes to its own
 * prefixes, so they are left out. */
static uint64_t digest_of_adverts(const struct rt *rt, const struct rt_neigh *nb, uint32_t *count)
{
	const struct rt_source *s;
	uint64_t sum = 0;

	*count = 0;
	TAILQ_FOREACH(s, &rt->sources, entry) {
		if (!s->adv_valid || s->adv_metric == RT_METRIC_INF ||
		    !strcmp(s->origin->name, nb->name))
			continue;
		struct rw_entry e = { .seqno = s->adv_seqno, .metric = s->adv_metric, .p = s->pfx->p };
		memcpy(e.origin, s->origin->name, sizeof(e.origin));
		sum += rw_entry_hash(&e);
		(*count)++;
	}
	return sum;
}

bool rt_recv(struct rt *rt, struct rt_neigh *nb, uint8_t type, const uint8_t *p, size_t len,
	     uint64_t now)
{
	struct rw_reader rd;
	struct rw_entry e;
	struct rw_seqreq req;
	struct rw_digest dg, mine;

	rt->now = now;
	switch (type) {
	case FRAME_ROUTE:
		if (!rw_route_decode(p, len, &rd))
			return false;
		if (rd.flags & RW_FULL_BEGIN) {
			resync(rt, nb, true, now);
			nb->resyncing = true;
		}
		while (rw_route_next(&rd, &e))
			handle_entry(rt, nb, &e, now);
		if (rd.flags & RW_FULL_END) {
			resync(rt, nb, false, now);
			nb->resyncing = false;
		}
		return true;
	case FRAME_SEQREQ:
		if (!rw_seqreq_decode(p, len, &req))
			return false;
		handle_seqreq(rt, nb, &req, now);
		return true;
	case FRAME_DIGEST:
		if (!rw_digest_decode(p, len, &dg))
			return false;
		rt->cnt.digest_rx++;
		if (nb->resyncing || nb->req_full_pending)
			return true;
		mine.sum = digest_of_routes(rt, nb, &mine.count);
		if (mine.sum != dg.sum || mine.count != dg.count) {
			rt->cnt.digest_mismatch++;
			log_warn(LOGS_ROUTE, "routes from %s drifted (%u here, %u there): asking "
				 "for its full table", nb->name, mine.count, dg.count);
			nb->req_full_pending = true;
		}
		return true;
	case FRAME_ROUTE_REQ:
		if (!rw_route_req_decode(p, len))
			return false;
		nb->full_pending = true;
		return true;
	default:
		return false;
	}
}

/* ---------------------------------------------------------------- neighbours */

struct rt_neigh *rt_neigh_add(struct rt *rt, const char *name, uint32_t cost, void *user,
			      uint64_t now)
{
	struct rt_neigh *nb = calloc(1, sizeof(*nb));

	if (!nb)
		return NULL;
	rt->now = now;
	snprintf(nb->name, sizeof(nb->name), "%s", name);
	nb->id = ++rt->next_neigh_id;
	nb->cost = cost ? cost : 1;
	nb->user = user;
	nb->full_pending = true;
	nb->next_digest = now + rt->cfg.digest_ms;
	TAILQ_INSERT_TAIL(&rt->neighs, nb, entry);
	rt->nneighs++;
	return nb;
}

static void reselect_via(struct rt *rt, struct rt_neigh *nb, uint64_t now)
{
	struct rt_source *s, *tmp;

	TAILQ_FOREACH_SAFE(s, &rt->sources, entry, tmp)
		if (route_find(s, nb))
			select_route(rt, s, now);
}

void rt_neigh_cost(struct rt *rt, struct rt_neigh *nb, uint32_t cost)
{
	if (!cost)
		cost = 1;
	if (cost == nb->cost)
		return;
	nb->cost = cost;
	reselect_via(rt, nb, rt->now);
}

static void neigh_free(struct rt *rt, struct rt_neigh *nb)
{
	struct rt_source *s, *tmp;

	TAILQ_FOREACH_SAFE(s, &rt->sources, entry, tmp) {
		struct rt_route *r = route_find(s, nb);
		/* a request forwarded to it is lost: let the next one through */
		if (s->origin->fwd_via == nb) {
			s->origin->fwd_valid = false;
			s->origin->fwd_via = NULL;
		}
		if (r) {
			route_remove(s, r);
			select_route(rt, s, rt->now);
		}
	}
	for (size_t i = 0; i < rt->nreqs; i++) {
		if (rt->reqs[i].nb == nb)
			rt->reqs[i] = rt->reqs[--rt->nreqs], i--;
		else if (rt->reqs[i].skip == nb)
			rt->reqs[i].skip = NULL;
	}
	TAILQ_REMOVE(&rt->neighs, nb, entry);
	rt->nneighs--;
	free(nb);
}

void rt_neigh_del(struct rt *rt, struct rt_neigh *nb)
{
	if (rt->busy) {
		nb->dead = true;	/* rt_flush frees it */
		return;
	}
	neigh_free(rt, nb);
}

/* ---------------------------------------------------------------- local */

bool rt_local_add(struct rt *rt, const struct prefix *p)
{
	struct rt_source *s = source_get(rt, p, rt->self);

	if (!s)
		return false;
	s->local = true;
	select_route(rt, s, rt->now);
	return true;
}

void rt_local_del(struct rt *rt, const struct prefix *p)
{
	struct rt_source *s = source_find(prefix_find(rt, p), rt->self);

	if (!s || !s->local)
		return;
	s->local = false;
	select_route(rt, s, rt->now);
}

/* ---------------------------------------------------------------- flush */

static void send_to(struct rt *rt, struct rt_neigh *nb, uint8_t type, const uint8_t *p, size_t len)
{
	if (nb->dead)
		return;
	rt->cnt.bytes_tx += len;
	if (type == FRAME_ROUTE)
		rt->cnt.frames_tx++;
	rt->hooks.send(rt->hooks.arg, nb, type, p, len);
}

static void send_all(struct rt *rt, uint8_t type, const uint8_t *p, size_t len,
		     const struct rt_neigh *skip)
{
	struct rt_neigh *nb;

	TAILQ_FOREACH(nb, &rt->neighs, entry)
		if (nb != skip)
			send_to(rt, nb, type, p, len);
}

static void entry_of(const struct rt_source *s, struct rw_entry *e)
{
	memcpy(e->origin, s->origin->name, sizeof(e->origin));
	e->p = s->pfx->p;
	e->seqno = s->adv_seqno;
	e->metric = s->adv_metric;
}

/* Add e to the payload being built; when it is full, send that first
 * (to nb, or to every neighbour when nb is NULL) and start a new one. */
static void put_entry(struct rt *rt, struct rw_writer *w, const struct rw_entry *e,
		      struct rt_neigh *nb)
{
	if (!rw_route_add(w, e)) {
		if (nb)
			send_to(rt, nb, FRAME_ROUTE, rt->buf, rw_route_len(w));
		else
			send_all(rt, FRAME_ROUTE, rt->buf, rw_route_len(w), NULL);
		rw_route_begin(w, rt->buf, sizeof(rt->buf), 0);
		rw_route_add(w, e);
	}
	rt->cnt.updates_tx++;
}

/* Turn the dirty list into diffs for every neighbour. */
static void flush_dirty(struct rt *rt)
{
	struct rw_writer w;
	struct rw_entry e;
	struct rt_source *s;

	rw_route_begin(&w, rt->buf, sizeof(rt->buf), 0);
	while ((s = rt->dirty)) {
		bool stale = adv_stale(rt, s);

		rt->dirty = s->dnext;
		s->dirty = false;
		/* unchanged: nothing to say, unless asked to say it again */
		if (!stale && (!s->force || !s->reachable))
			continue;
		if (!s->reachable) {
			s->adv_metric = RT_METRIC_INF;
		} else {
			if (stale) {
				s->adv_seqno = s->seqno;
				s->adv_metric = s->metric;
			}
			s->adv_valid = true;
			/* the FD is the best we have advertised */
			if (feasible(s, s->adv_seqno, s->adv_metric)) {
				s->fd_valid = true;
				s->fd_seqno = s->adv_seqno;
				s->fd_metric = s->adv_metric;
			}
		}
		s->force = false;
		entry_of(s, &e);
		put_entry(rt, &w, &e, NULL);
	}
	if (!rw_route_empty(&w))
		send_all(rt, FRAME_ROUTE, rt->buf, rw_route_len(&w), NULL);
}

/* Everything we advertise, to one neighbour, marked as a full table. */
static void send_full(struct rt *rt, struct rt_neigh *nb)
{
	struct rw_writer w;
	struct rw_entry e;
	struct rt_source *s;

	rw_route_begin(&w, rt->buf, sizeof(rt->buf), RW_FULL_BEGIN);
	TAILQ_FOREACH(s, &rt->sources, entry) {
		if (!s->adv_valid || s->adv_metric == RT_METRIC_INF)
			continue;
		entry_of(s, &e);
		put_entry(rt, &w, &e, nb);
	}
	rw_route_set_flags(&w, rt->buf[0] | RW_FULL_END);
	send_to(rt, nb, FRAME_ROUTE, rt->buf, rw_route_len(&w));
}

void rt_flush(struct rt *rt, uint64_t now)
{
	struct rt_neigh *nb, *tmp;
	uint8_t b[RW_GROUP_HDR_MAX];
	size_t n;

	if (rt->busy)
		return;
	rt->now = now;
	rt->busy = true;
	for (int round = 0; round < 8; round++) {
		flush_dirty(rt);
		TAILQ_FOREACH(nb, &rt->neighs, entry) {
			if (nb->full_pending && !nb->dead) {
				nb->full_pending = false;
				send_full(rt, nb);
			}
			if (nb->req_full_pending && !nb->dead) {
				uint8_t z = 0;
				nb->req_full_pending = false;
				nb->resyncing = true;
				send_to(rt, nb, FRAME_ROUTE_REQ, &z, 1);
			}
			if (rt->cfg.digest_ms && now >= nb->next_digest && !nb->dead) {
				struct rw_digest d;
				nb->next_digest = now + rt->cfg.digest_ms;
				d.sum = digest_of_adverts(rt, nb, &d.count);
				n = rw_digest_encode(b, sizeof(b), &d);
				send_to(rt, nb, FRAME_DIGEST, b, n);
			}
		}
		for (size_t i = 0; i < rt->nreqs; i++) {
			struct rt_pending_req *q = &rt->reqs[i];
			n = rw_seqreq_encode(b, sizeof(b), &q->req);
			if (!n)
				continue;
			rt->cnt.seqreq_tx++;
			if (q->nb)
				send_to(rt, q->nb, FRAME_SEQREQ, b, n);
			else
				send_all(rt, FRAME_SEQREQ, b, n, q->skip);
		}
		rt->nreqs = 0;
		/* links closed by a send: their routes go now, which may make more to send */
		bool again = false;
		rt->busy = false;
		TAILQ_FOREACH_SAFE(nb, &rt->neighs, entry, tmp) {
			if (nb->dead) {
				neigh_free(rt, nb);
				again = true;
			}
		}
		rt->busy = true;
		if (!again && !rt->dirty && !rt->nreqs)
			break;
	}
	rt->busy = false;
	if (rt->changed) {
		rt->changed = false;
		if (rt->hooks.changed)
			rt->hooks.changed(rt->hooks.arg);
	}
}

void rt_tick(struct rt *rt, uint64_t now)
{
	struct rt_source *s, *tmp;

	rt->now = now;
	TAILQ_FOREACH_SAFE(s, &rt->sources, entry, tmp) {
		/* only unfeasible routes left, or a clearly better one that is:
		 * ask again (rate-limited; a request can die on the way) */
		if (!s->local && s->nroutes)
			select_route(rt, s, now);
		if (s->local || s->reachable || s->nroutes || s->dirty ||
		    (s->adv_valid && s->adv_metric != RT_METRIC_INF)) {
			s->dead_since = 0;
			continue;
		}
		if (!s->dead_since)
			s->dead_since = now ? now : 1;
		else if (now - s->dead_since >= rt->cfg.source_gc_ms)
			source_free(rt, s);
	}
}

/* ---------------------------------------------------------------- lookups */

/* The best source of prefix x: the local one, else the nearest reachable. */
static const struct rt_source *best_source(const struct rt_prefix *x)
{
	const struct rt_source *best = NULL;

	for (const struct rt_source *s = x->sources; s; s = s->pnext) {
		if (!s->reachable)
			continue;
		if (s->local)
			return s;
		if (!best || s->metric < best->metric)
			best = s;
	}
	return best;
}

const struct rt_source *rt_lookup(const struct rt *rt, const struct addr *dst)
{
	const struct rt_lens *l = lens_find(rt, dst->inst, dst->len);
	struct prefix p;

	if (!l || dst->len > ADDR_MAX_LEN)
		return NULL;
	for (int bits = 8 * dst->len; bits >= 0; bits--) {
		if (!l->count[bits])
			continue;
		memset(&p, 0, sizeof(p));
		p.a.inst = dst->inst;
		p.a.len = dst->len;
		p.bits = (uint16_t)bits;
		memcpy(p.a.b, dst->b, (size_t)bits / 8);
		if (bits % 8)
			p.a.b[bits / 8] = dst->b[bits / 8] & (uint8_t)(0xff00u >> (bits % 8));
		const struct rt_prefix *x = prefix_find(rt, &p);
		const struct rt_source *s = x ? best_source(x) : NULL;
		if (s)
			return s;
	}
	return NULL;
}

size_t rt_successors(const struct rt *rt, const struct rt_source *s, struct rt_neigh **nbs,
		     unsigned *weights, size_t max)
{
	uint32_t best = RT_METRIC_INF;
	size_t n = 0;

	if (!s->reachable || s->local)
		return 0;
	for (unsigned i = 0; i < s->nroutes; i++)
		if (route_usable(s, &s->routes[i]) && route_total(&s->routes[i]) < best)
			best = route_total(&s->routes[i]);
	for (unsigned i = 0; i < s->nroutes && n < max; i++) {
		const struct rt_route *r = &s->routes[i];
		uint32_t t = route_total(r);
		if (!route_usable(s, r) || (uint64_t)t * 100 > (uint64_t)best * rt->cfg.stretch_pct)
			continue;
		nbs[n] = r->nb;
		weights[n] = (unsigned)(((uint64_t)best * 1024 + t / 2) / t);
		if (!weights[n])
			weights[n] = 1;
		n++;
	}
	return n;
}

struct rt_neigh *rt_next_hop(const struct rt *rt, const struct rt_source *s, uint32_t hash,
			     const struct rt_neigh *except, bool multipath)
{
	struct rt_neigh *nbs[32];
	unsigned w[32], total = 0;
	size_t n, k = 0;

	if (!multipath)
		return s->sel != except ? s->sel : NULL;
	n = rt_successors(rt, s, nbs, w, 32);
	for (size_t i = 0; i < n; i++) {
		if (nbs[i] == except)
			continue;
		nbs[k] = nbs[i];
		w[k] = w[i];
		total += w[k++];
	}
	if (!k)
		return NULL;
	/* In a stable order (neighbour ids), the hash's share of the total
	 * weight: a small change of the weights moves few flows (a modulo
	 * would move half of them, and reorder their packets). */
	for (size_t i = 1; i < k; i++) {
		for (size_t j = i; j > 0 && nbs[j]->id < nbs[j - 1]->id; j--) {
			struct rt_neigh *tn = nbs[j];
			unsigned tw = w[j];
			nbs[j] = nbs[j - 1];
			w[j] = w[j - 1];
			nbs[j - 1] = tn;
			w[j - 1] = tw;
		}
	}
	uint32_t pick = (uint32_t)(((uint64_t)hash * total) >> 32);
	for (size_t i = 0; i < k; i++) {
		if (pick < w[i])
			return nbs[i];
		pick -= w[i];
	}
	return nbs[k - 1];
}

bool rt_origin_covers(const struct rt *rt, const char *origin, const struct addr *a)
{
	const struct rt_node *o = rt_node_find(rt, origin);

	if (!o)
		return false;
	for (const struct rt_source *s = o->sources; s; s = s->onext)
		if (s->reachable && prefix_covers(&s->pfx->p, a))
			return true;
	return false;
}

bool rt_instance_remote(const struct rt *rt, uint32_t inst)
{
	struct prefix p = { .a = { .inst = inst } };
	const struct rt_prefix *x = prefix_find(rt, &p);

	for (const struct rt_source *s = x ? x->sources : NULL; s; s = s->pnext)
		if (s->reachable && !s->local)
			return true;
	return false;
}

/* ---------------------------------------------------------------- life */

struct rt *rt_new(const char *self, const struct rt_config *cfg, const struct rt_hooks *hooks)
{
	struct rt *rt = calloc(1, sizeof(*rt));
	struct prefix np;

	if (!rt)
		return NULL;
	rt->cfg = *cfg;
	rt->hooks = *hooks;
	TAILQ_INIT(&rt->neighs);
	TAILQ_INIT(&rt->sources);
	rt->ptab_size = rt->ntab_size = 64;
	rt->ptab = calloc(rt->ptab_size, sizeof(*rt->ptab));
	rt->ntab = calloc(rt->ntab_size, sizeof(*rt->ntab));
	if (!rt->ptab || !rt->ntab || !(rt->self = node_get(rt, self))) {
		rt_free(rt);
		return NULL;
	}
	rt_node_prefix(&np);
	if (!rt_local_add(rt, &np)) {
		rt_free(rt);
		return NULL;
	}
	return rt;
}

void rt_set_config(struct rt *rt, const struct rt_config *cfg)
{
	rt->cfg = *cfg;
}

void rt_free(struct rt *rt)
{
	struct rt_neigh *nb;
	struct rt_source *s;

	if (!rt)
		return;
	while ((nb = TAILQ_FIRST(&rt->neighs))) {
		TAILQ_REMOVE(&rt->neighs, nb, entry);
		free(nb);
	}
	while ((s = TAILQ_FIRST(&rt->sources))) {
		s->nroutes = 0;
		source_free(rt, s);
	}
	if (rt->self)
		node_free(rt, rt->self);
	free(rt->ptab);
	free(rt->ntab);
	free(rt->lens);
	free(rt->reqs);
	free(rt);
}
