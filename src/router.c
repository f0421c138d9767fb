/*
 * router.c - the routing core in the daemon (see router.h).
 *
 * route.c sends nothing by itself: an ev_prepare watcher calls rt_flush()
 * once per loop iteration, so that everything that changed while the
 * loop handled its events goes out as one diff.  A one-second timer runs
 * rt_tick() (digests, forgetting dead sources).
 */
#include "config.h"
#include "router.h"

#include <stdlib.h>
#include <string.h>

#include "gate_srv.h"
#include "link.h"
#include "log.h"
#include "options.h"

#define RTT_UNKNOWN_US 100000	/* a link's RTT before its first pong */

struct mp_rule {
	bool any;		/* no instance given */
	uint32_t inst;
	enum mp_policy policy;
};

struct router {
	ev_prepare flush;
	ev_timer tick;
	uint32_t hop_cost;
	struct mp_rule *rules;
	size_t nrules;
};

static uint32_t link_cost(const struct router *ro, const struct link *l);

static uint64_t now_ms(const struct cloud *cl)
{
	return (uint64_t)(ev_now(cl->loop) * 1e3);
}

/* "POLICY [INSTANCE]" */
static bool parse_rule(const char *s, struct mp_rule *r)
{
	char pol[16], inst[64], extra[2];
	int n = sscanf(s, "%15s %63s %1s", pol, inst, extra);

	if (n < 1 || n > 2)
		return false;
	if (!strcmp(pol, "flow"))
		r->policy = MP_FLOW;
	else if (!strcmp(pol, "spray"))
		r->policy = MP_SPRAY;
	else if (!strcmp(pol, "off"))
		r->policy = MP_OFF;
	else
		return false;
	r->any = n == 1;
	r->inst = 0;
	return r->any || inst_parse(inst, strlen(inst), &r->inst);
}

bool router_conf_check(const struct conf *c, char *err, size_t errlen)
{
	struct mp_rule r;

	for (size_t i = 0; i < conf_count(c, OPT_MULTIPATH); i++) {
		const struct conf_value *v = conf_get(c, OPT_MULTIPATH, i);
		if (!parse_rule(v->v.s, &r)) {
			snprintf(err, errlen, "%s:%d: option 'multipath': expected 'flow', 'spray' or "
				 "'off', then optionally an instance (ipv4, ipv6, ether.2...), got '%s'",
				 v->file, v->line, v->v.s);
			return false;
		}
	}
	return true;
}

void router_settings(struct cloud *cl)
{
	struct router *ro = cl->router;
	struct rt_config rc = RT_CONFIG_DEFAULT;
	const struct conf *c = cl->conf;
	struct link *l;
	size_t n = conf_count(c, OPT_MULTIPATH);

	rc.hysteresis_pct = (unsigned)conf_int(c, OPT_ROUTE_HYSTERESIS);
	rc.damping_pct = (unsigned)conf_int(c, OPT_ROUTE_DAMPING);
	rc.stretch_pct = (unsigned)conf_int(c, OPT_MULTIPATH_STRETCH);
	rc.digest_ms = conf_u64(c, OPT_ROUTE_DIGEST) / 1000;
	rt_set_config(cl->rt, &rc);
	free(ro->rules);
	ro->rules = calloc(n ? n : 1, sizeof(*ro->rules));
	ro->nrules = 0;
	for (size_t i = 0; i < n && ro->rules; i++)
		if (parse_rule(conf_get(c, OPT_MULTIPATH, i)->v.s, &ro->rules[ro->nrules]))
			ro->nrules++;
	uint64_t hop = conf_u64(c, OPT_ROUTE_HOP_COST);
	ro->hop_cost = hop > RT_METRIC_INF / 4 ? RT_METRIC_INF / 4 : (uint32_t)hop;
	TAILQ_FOREACH(l, &cl->links, entry)
		if (l->rt_nb)
			rt_neigh_cost(cl->rt, l->rt_nb, link_cost(ro, l));
}

enum mp_policy router_policy(const struct cloud *cl, uint32_t inst)
{
	const struct router *ro = cl->router;

	for (size_t i = ro->nrules; i-- > 0;)
		if (ro->rules[i].any || ro->rules[i].inst == inst)
			return ro->rules[i].policy;
	return MP_FLOW;
}

/* ---------------------------------------------------------------- hooks */

static void hook_send(void *arg, struct rt_neigh *nb, uint8_t type, const uint8_t *p, size_t len)
{
	struct link *l = nb->user;

	(void)arg;
	/* a full queue closes the link; route.c copes (rt_neigh_del is deferred) */
	link_send_frame(l, type, p, len);
}

static void hook_changed(void *arg)
{
	gates_routes_changed(arg);
}

static void flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct cloud *cl = w->data;

	(void)loop;
	(void)revents;
	rt_flush(cl->rt, now_ms(cl));
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct cloud *cl = w->data;

	(void)loop;
	(void)revents;
	rt_tick(cl->rt, now_ms(cl));
}

int router_init(struct cloud *cl, char *err, size_t errlen)
{
	struct rt_config rc = RT_CONFIG_DEFAULT;
	struct rt_hooks hooks = { .arg = cl, .send = hook_send, .changed = hook_changed };
	struct router *ro = calloc(1, sizeof(*ro));

	if (ro)
		cl->rt = rt_new(cl->name, &rc, &hooks);
	if (!ro || !cl->rt) {
		free(ro);
		snprintf(err, errlen, "out of memory for the routing table");
		return -1;
	}
	cl->router = ro;
	router_settings(cl);
	ev_prepare_init(&ro->flush, flush_cb);
	ro->flush.data = cl;
	ev_prepare_start(cl->loop, &ro->flush);
	ev_timer_init(&ro->tick, tick_cb, 1., 1.);
	ro->tick.data = cl;
	ev_timer_start(cl->loop, &ro->tick);
	return 0;
}

void router_free(struct cloud *cl)
{
	struct router *ro = cl->router;

	if (!ro)
		return;
	ev_prepare_stop(cl->loop, &ro->flush);
	ev_timer_stop(cl->loop, &ro->tick);
	rt_free(cl->rt);
	free(ro->rules);
	free(ro);
	cl->router = NULL;
	cl->rt = NULL;
}

/* ---------------------------------------------------------------- links */

static uint32_t link_cost(const struct router *ro, const struct link *l)
{
	uint64_t c = ro->hop_cost, min = RTT_UNKNOWN_US;

	/* until the first pong, assume a slow link: the first sample then
	 * lowers the cost, and lower costs never make routes unfeasible */
	for (unsigned i = 0; i < l->rtt_n && i < 8; i++)
		if (i == 0 || l->rtt_win[i] < min)
			min = l->rtt_win[i];
	c += min;
	return c >= RT_METRIC_INF / 4 ? RT_METRIC_INF / 4 : (uint32_t)c;
}

/* The link becomes a routing neighbour at its first RTT sample, or at the
 * first routing frame from it if that comes first: with a cost measured,
 * routes through it start right instead of being improved a moment later
 * all over the mesh. */
static void neigh_start(struct cloud *cl, struct link *l)
{
	struct router *ro = cl->router;

	if (l->rt_nb || l->state != LINK_UP)
		return;
	l->rt_nb = rt_neigh_add(cl->rt, l->peer.name, link_cost(ro, l), l, now_ms(cl));
	if (!l->rt_nb)
		log_err(LOGS_ROUTE, "out of memory: link to %s carries no routes", l->peer.name);
}

void router_link_down(struct cloud *cl, struct link *l)
{
	if (!l->rt_nb || !cl->router)
		return;
	rt_neigh_del(cl->rt, l->rt_nb);
	l->rt_nb = NULL;
}

void router_link_rtt(struct cloud *cl, struct link *l, uint64_t sample_us)
{
	uint32_t cost, cur;

	l->rtt_win[l->rtt_n++ % 8] = sample_us > UINT32_MAX ? UINT32_MAX : (uint32_t)sample_us;
	if (l->rtt_n >= 16)
		l->rtt_n = 8 + l->rtt_n % 8;	/* full window; keep the index turning */
	if (!l->rt_nb) {
		neigh_start(cl, l);
		return;
	}
	cost = link_cost(cl->router, l);
	cur = l->rt_nb->cost;
	if ((uint64_t)(cost > cur ? cost - cur : cur - cost) * 4 > cur)
		rt_neigh_cost(cl->rt, l->rt_nb, cost);
}

bool router_frame(struct cloud *cl, struct link *l, uint8_t type, const uint8_t *p, size_t len)
{
	neigh_start(cl, l);
	if (!l->rt_nb)
		return true;
	return rt_recv(cl->rt, l->rt_nb, type, p, len, now_ms(cl));
}

void router_local(struct cloud *cl, bool add, const struct prefix *ps, size_t n)
{
	char text[ADDR_TEXT_MAX];

	if (!cl->router)
		return;
	for (size_t i = 0; i < n; i++) {
		if (inst_proto(ps[i].a.inst) == inst_proto(NODE_INST))
			continue;	/* node prefixes are ours to make */
		if (add && !rt_local_add(cl->rt, &ps[i])) {
			prefix_format(&ps[i], text, sizeof(text));
			log_err(LOGS_ROUTE, "routing table full: %s is not announced", text);
		} else if (!add) {
			rt_local_del(cl->rt, &ps[i]);
		}
	}
}
