/*
 * check_route.c - scenarios for src/route.c over a simulated network: N
 * `struct rt' instances, each link a pair of rt_neighs joined by a FIFO
 * queue that the send hook fills and settle() empties (rt_recv on the
 * receiver, rt_flush on every node, until nothing is left to send).  The
 * clock is a plain number the tests advance by hand.
 *
 * After every settle() the network is checked as a user would: every node
 * reaches every node it is connected to (and nothing else), by following
 * next hops - the selected one, and multipath ones for several flow hashes,
 * with and without the hop it came from excluded - that end at the origin
 * in fewer than N hops without visiting a node twice.  Most scenarios run
 * twice: with hysteresis and damping off (cfg_exact), where every selected
 * route must also be a shortest path with the right metric, and with the
 * defaults.  The last case is random churn - links, costs, gate prefixes,
 * nodes stopping and starting, time passing - checked after every event,
 * with a few seconds of rt_tick to retry unanswered seqno requests.
 *
 * Loop-freedom is also checked in transit (net->steps, on by default):
 * settle() then delivers one frame at a time and flushes its receiver, and
 * after every event, every delivery and every flush check_loops() asserts
 * that, toward every source any node knows, neither the selected next hops
 * nor the union of the selected and multipath ones (rt_successors) form a
 * cycle.  A node without a route is fine there; only a loop fails - Babel's
 * feasibility condition forbids one at every instant, not only once
 * settled.  The second churn case (random_churn_transit) also delivers in a
 * random order across links (each link stays FIFO, as TLS is), lets a
 * receiver sometimes take several frames before it flushes, and brings
 * half its events while the frames of the previous ones are in flight.
 */
#include "config.h"
#include "frame.h"
#include "log.h"
#include "route.h"
#include "testutil.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define NMAX 8
#define PFX_MAX 4
#define ROUNDS_MAX 1000
#define NO_NODE (-1)
#define TRACE_MAX 48
#define STEPS_MAX 2000000	/* deliveries in one settle() with net->steps */

/* Fail with a message, without check logging every passing assertion. */
#define REQUIRE(c, ...) do {						\
	if (!(c))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

/* Hysteresis and damping off: selected routes are shortest paths. */
static const struct rt_config cfg_exact = {
	.hysteresis_pct = 0, .damping_pct = 0, .stretch_pct = 150,
	.digest_ms = 30000, .source_gc_ms = 180000, .seqreq_ms = 1000,
};
static const struct rt_config cfg_default = RT_CONFIG_DEFAULT;

/* ---------------------------------------------------------------- the network */

struct qframe {
	int from, to;
	uint8_t type;
	uint8_t *p;
	size_t len;
};

struct net;
struct hook_arg {
	struct net *net;
	int idx;
};

struct net {
	int n;
	struct rt_config cfg;
	bool exact;				/* check shortest paths too */
	bool anycast;				/* a prefix has several origins */
	struct rt *rt[NMAX];			/* NULL: node down */
	char name[NMAX][8];
	struct rt_neigh *nb[NMAX][NMAX];	/* [i][j]: i's neighbour j */
	uint32_t cost[NMAX][NMAX];		/* as set at i for its link to j */
	struct prefix own[NMAX][PFX_MAX];	/* gate prefixes, as added */
	int nown[NMAX];
	struct hook_arg arg[NMAX];
	struct qframe *q;
	size_t qhead, qlen, qcap;
	uint64_t now;
	uint64_t sent[NMAX][FRAME_TYPE_MAX];	/* frames by sender and type */
	uint64_t delivered;
	unsigned changed[NMAX];
	int close_from, close_to;		/* the send hook closes this link */
	bool steps;				/* settle one frame at a time, check_loops() */
	bool shuffle;				/* deliver in a random order across links */
	uint64_t shuffle_st;			/* its random state */
	uint64_t sends;				/* send hook calls */
	uint64_t loop_checks;			/* check_loops() calls */
	uint64_t loop_dests;			/* the destinations they checked */
	struct qframe trace[TRACE_MAX];		/* the latest deliveries (for a failure) */
	uint64_t ntrace;
};

/* Check loop-freedom at every step of settle() in new networks. */
static bool steps_default = true;
/* check_loops() calls in this process (CK_FORK=no adds up all tests). */
static uint64_t loop_checks_total, loop_dests_total, delivered_total;

static int peer_of(const struct rt_neigh *nb)
{
	return (int)(intptr_t)nb->user;
}

static void purge(struct net *net, int a, int b)
{
	size_t i, k = net->qhead;

	for (i = net->qhead; i < net->qlen; i++) {
		struct qframe *f = &net->q[i];
		if ((f->from == a && (b == NO_NODE || f->to == b)) ||
		    (f->to == a && (b == NO_NODE || f->from == b)))
			free(f->p);
		else
			net->q[k++] = *f;
	}
	net->qlen = k;
}

static void on_changed(void *arg)
{
	struct hook_arg *a = arg;

	a->net->changed[a->idx]++;
}

static void link_down(struct net *net, int a, int b);

static void on_send(void *arg, struct rt_neigh *nb, uint8_t type, const uint8_t *p, size_t len)
{
	struct hook_arg *a = arg;
	struct net *net = a->net;
	int to = peer_of(nb);
	struct qframe *f;

	REQUIRE(to >= 0 && to < net->n && nb == net->nb[a->idx][to],
		"%s sent to a neighbour it does not have", net->name[a->idx]);
	REQUIRE(type == FRAME_ROUTE || type == FRAME_SEQREQ || type == FRAME_DIGEST ||
		type == FRAME_ROUTE_REQ, "frame type %u", type);
	net->sent[a->idx][type]++;
	net->sends++;
	if (net->close_from == a->idx && net->close_to == to) {
		/* a write error: the link goes down from inside the hook */
		net->close_from = net->close_to = NO_NODE;
		link_down(net, a->idx, to);
		return;
	}
	if (net->qlen == net->qcap) {
		net->qcap = net->qcap ? 2 * net->qcap : 256;
		net->q = realloc(net->q, net->qcap * sizeof(*net->q));
		ck_assert_ptr_nonnull(net->q);
	}
	f = &net->q[net->qlen++];
	f->from = a->idx;
	f->to = to;
	f->type = type;
	f->len = len;
	f->p = dup_exact(p, len);
}

static void node_up(struct net *net, int i)
{
	struct rt_hooks hooks = { .arg = &net->arg[i], .send = on_send, .changed = on_changed };

	net->rt[i] = rt_new(net->name[i], &net->cfg, &hooks);
	ck_assert_ptr_nonnull(net->rt[i]);
	net->nown[i] = 0;
}

static struct net *net_new(int n, const struct rt_config *cfg)
{
	struct net *net = calloc(1, sizeof(*net));

	ck_assert_ptr_nonnull(net);
	ck_assert_int_le(n, NMAX);
	net->n = n;
	net->cfg = *cfg;
	net->exact = cfg->hysteresis_pct == 0 && cfg->damping_pct == 0;
	net->close_from = net->close_to = NO_NODE;
	net->steps = steps_default;
	net->now = 1000000;
	for (int i = 0; i < n; i++) {
		snprintf(net->name[i], sizeof(net->name[i]), "n%d", i);
		net->arg[i] = (struct hook_arg){ net, i };
		node_up(net, i);
	}
	return net;
}

static void net_free(struct net *net)
{
	for (int i = 0; i < net->n; i++)
		rt_free(net->rt[i]);
	for (size_t i = net->qhead; i < net->qlen; i++)
		free(net->q[i].p);
	for (size_t i = 0; i < TRACE_MAX; i++)
		free(net->trace[i].p);
	loop_checks_total += net->loop_checks;
	loop_dests_total += net->loop_dests;
	delivered_total += net->delivered;
	free(net->q);
	free(net);
}

static void link_up(struct net *net, int a, int b, uint32_t cost)
{
	ck_assert_ptr_null(net->nb[a][b]);
	ck_assert_ptr_null(net->nb[b][a]);
	net->nb[a][b] = rt_neigh_add(net->rt[a], net->name[b], cost, (void *)(intptr_t)b, net->now);
	net->nb[b][a] = rt_neigh_add(net->rt[b], net->name[a], cost, (void *)(intptr_t)a, net->now);
	ck_assert_ptr_nonnull(net->nb[a][b]);
	ck_assert_ptr_nonnull(net->nb[b][a]);
	net->cost[a][b] = net->cost[b][a] = cost;
}

/* Both ends close the link; what was in flight on it is lost. */
static void link_down(struct net *net, int a, int b)
{
	if (net->nb[a][b])
		rt_neigh_del(net->rt[a], net->nb[a][b]);
	if (net->nb[b][a])
		rt_neigh_del(net->rt[b], net->nb[b][a]);
	net->nb[a][b] = net->nb[b][a] = NULL;
	purge(net, a, b);
}

/* The cost a sets for its link to b (one direction). */
static void link_cost(struct net *net, int a, int b, uint32_t cost)
{
	rt_neigh_cost(net->rt[a], net->nb[a][b], cost);
	net->cost[a][b] = cost;
}

/* The node stops: its neighbours see their links close. */
static void node_kill(struct net *net, int k)
{
	for (int j = 0; j < net->n; j++) {
		if (net->nb[j][k])
			rt_neigh_del(net->rt[j], net->nb[j][k]);
		net->nb[j][k] = net->nb[k][j] = NULL;
	}
	rt_free(net->rt[k]);
	net->rt[k] = NULL;
	net->nown[k] = 0;
	purge(net, k, NO_NODE);
}

static struct prefix pfx(const char *text)
{
	struct prefix p;

	ck_assert_msg(prefix_parse(text, &p), "bad test prefix %s", text);
	return p;
}

static void own_add(struct net *net, int k, const char *text)
{
	struct prefix p = pfx(text);

	ck_assert_int_lt(net->nown[k], PFX_MAX);
	ck_assert(rt_local_add(net->rt[k], &p));
	net->own[k][net->nown[k]++] = p;
}

static void own_del(struct net *net, int k, const char *text)
{
	struct prefix p = pfx(text);

	rt_local_del(net->rt[k], &p);
	for (int i = 0; i < net->nown[k]; i++)
		if (prefix_equal(&net->own[k][i], &p))
			net->own[k][i] = net->own[k][--net->nown[k]];
}

static uint32_t rnd(uint64_t *state)
{
	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*state >> 33);
}

static void check_loops(struct net *net);

/* A flush that sends nothing changes no route and no FD: not checked. */
static void flush_one(struct net *net, int i)
{
	uint64_t sends = net->sends;

	if (!net->rt[i])
		return;
	rt_flush(net->rt[i], net->now);
	if (net->steps && net->sends != sends)
		check_loops(net);
}

static void flush_all(struct net *net)
{
	for (int i = 0; i < net->n; i++)
		flush_one(net, i);
}

/* Take a frame off the queue and hand it to its receiver: the oldest, or
 * with net->shuffle the oldest of a random link's (each link stays FIFO).
 * Returns the receiver. */
static int deliver_one(struct net *net)
{
	size_t at = net->qhead;

	if (net->shuffle) {
		size_t pick = net->qhead + rnd(&net->shuffle_st) % (net->qlen - net->qhead);
		while (net->q[at].from != net->q[pick].from || net->q[at].to != net->q[pick].to)
			at++;
	}
	struct qframe f = net->q[at];
	memmove(&net->q[net->qhead + 1], &net->q[net->qhead], (at - net->qhead) * sizeof(f));
	net->qhead++;
	if (net->qhead == net->qlen)
		net->qhead = net->qlen = 0;
	REQUIRE(net->rt[f.to] && net->nb[f.to][f.from], "frame on a closed link");
	REQUIRE(rt_recv(net->rt[f.to], net->nb[f.to][f.from], f.type, f.p, f.len, net->now),
		"%s refused a frame of type %u from %s", net->name[f.to], f.type,
		net->name[f.from]);
	net->delivered++;
	/* kept for a failure's trace */
	struct qframe *t = &net->trace[net->ntrace++ % TRACE_MAX];
	free(t->p);
	*t = f;
	return f.to;
}

static size_t queued(const struct net *net)
{
	return net->qlen - net->qhead;
}

static void check_net(struct net *net);

static void dump_queue(const struct net *net)
{
	for (size_t i = net->qhead; i < net->qlen && i < net->qhead + 40; i++) {
		struct rw_seqreq req = { 0 };
		const struct qframe *f = &net->q[i];
		if (f->type == FRAME_SEQREQ)
			rw_seqreq_decode(f->p, f->len, &req);
		fprintf(stderr, "queued: %s -> %s type %u len %zu %s/%u\n", net->name[f->from],
			net->name[f->to], f->type, f->len, req.origin, req.seqno);
	}
}

/* One frame at a time, each followed by its receiver's flush (with
 * net->shuffle, now and then not yet: a daemon may read several frames
 * before it flushes), and check_loops() after the event that started it,
 * after every delivery and after every flush. */
static void step_one(struct net *net)
{
	int to = deliver_one(net);

	check_loops(net);
	if (!net->shuffle || rnd(&net->shuffle_st) % 4)
		flush_one(net, to);
}

static void quiesce_steps(struct net *net)
{
	size_t n = 0;

	check_loops(net);
	for (;;) {
		flush_all(net);
		if (!queued(net))
			return;
		while (queued(net)) {
			if (++n > STEPS_MAX) {
				dump_queue(net);
				ck_abort_msg("the network did not settle in %d deliveries", STEPS_MAX);
			}
			step_one(net);
		}
	}
}

/* Flush everyone, then deliver at most n frames one at a time (as
 * quiesce_steps() does): the rest stays in flight. */
static void deliver_some(struct net *net, size_t n)
{
	check_loops(net);
	flush_all(net);
	while (n-- > 0 && queued(net))
		step_one(net);
}

/* Deliver and flush until nothing is left to send. */
static void quiesce(struct net *net)
{
	if (net->steps) {
		quiesce_steps(net);
		return;
	}
	for (int round = 0; round < ROUNDS_MAX; round++) {
		flush_all(net);
		if (!queued(net))
			return;
		for (size_t n = queued(net); n > 0 && queued(net); n--)
			deliver_one(net);
	}
	flush_all(net);
	dump_queue(net);
	ck_abort_msg("the network did not settle in %d rounds", ROUNDS_MAX);
}

static void settle(struct net *net)
{
	quiesce(net);
	check_net(net);
}

static void tick_all(struct net *net)
{
	for (int i = 0; i < net->n; i++)
		if (net->rt[i])
			rt_tick(net->rt[i], net->now);
}

/* Settle, then let `seconds' pass a second at a time with rt_tick (its
 * retries of unanswered seqno requests), then check. */
static void settle_for(struct net *net, int seconds)
{
	quiesce(net);
	for (int t = 0; t < seconds; t++) {
		net->now += 1000;
		tick_all(net);
		quiesce(net);
	}
	check_net(net);
}

/* ---------------------------------------------------------------- what a node sees */

static struct prefix node_pfx(void)
{
	struct prefix p;

	rt_node_prefix(&p);
	return p;
}

/* The source of prefix p from origin at node i (NULL if it has none). */
static const struct rt_source *source_of(const struct net *net, int i, const char *origin,
					 const struct prefix *p)
{
	const struct rt_node *o = rt_node_find(net->rt[i], origin);

	for (const struct rt_source *s = o ? o->sources : NULL; s; s = s->onext)
		if (prefix_equal(&s->pfx->p, p))
			return s;
	return NULL;
}

static const struct rt_source *route_to(const struct net *net, int i, int k)
{
	struct prefix np = node_pfx();

	return source_of(net, i, net->name[k], &np);
}

static bool reaches(const struct net *net, int i, int k)
{
	const struct rt_source *s = route_to(net, i, k);

	return s && s->reachable;
}

/* The neighbour index of i's selected next hop toward k's node prefix. */
static int next_hop(const struct net *net, int i, int k)
{
	const struct rt_source *s = route_to(net, i, k);
	struct rt_neigh *nb = s ? rt_next_hop(net->rt[i], s, 0, NULL, false) : NULL;

	return nb ? peer_of(nb) : NO_NODE;
}

static uint32_t metric_to(const struct net *net, int i, int k)
{
	const struct rt_source *s = route_to(net, i, k);

	return s && s->reachable ? s->metric : RT_METRIC_INF;
}

static void connectivity(const struct net *net, bool conn[NMAX][NMAX])
{
	for (int i = 0; i < NMAX; i++)
		for (int j = 0; j < NMAX; j++)
			conn[i][j] = i < net->n && j < net->n &&
				     ((i == j && net->rt[i]) || net->nb[i][j]);
	for (int m = 0; m < net->n; m++)
		for (int i = 0; i < net->n; i++)
			for (int j = 0; j < net->n; j++)
				conn[i][j] |= conn[i][m] && conn[m][j];
}

/* Shortest distances over the costs as set at each node. */
static void distances(const struct net *net, uint64_t d[NMAX][NMAX])
{
	for (int i = 0; i < net->n; i++)
		for (int j = 0; j < net->n; j++)
			d[i][j] = i == j ? 0 : net->nb[i][j] ? net->cost[i][j] : UINT64_MAX / 4;
	for (int m = 0; m < net->n; m++)
		for (int i = 0; i < net->n; i++)
			for (int j = 0; j < net->n; j++)
				if (d[i][m] + d[m][j] < d[i][j])
					d[i][j] = d[i][m] + d[m][j];
}

static const struct {
	bool multipath;
	uint32_t hash;
	bool except_prev;
} walk_modes[] = {
	{ false, 0, false }, { false, 0, true },
	{ true, 0, false }, { true, 1, false }, { true, 0x9e3779b9u, false },
	{ true, 0xffffffffu, false }, { true, 12345, true }, { true, 0x80000000u, true },
};

/* On a failure: what every node knows about (origin k, prefix p). */
static void dump_dest(const struct net *net, int k, const struct prefix *p)
{
	char text[ADDR_TEXT_MAX];

	prefix_format(p, text, sizeof(text));
	fprintf(stderr, "--- %s from %s at t=%llu\n", text, net->name[k],
		(unsigned long long)net->now);
	for (int i = 0; i < net->n; i++) {
		const struct rt_source *s = net->rt[i] ? source_of(net, i, net->name[k], p) : NULL;
		fprintf(stderr, "%s:", net->name[i]);
		for (int j = 0; j < net->n; j++)
			if (net->nb[i][j])
				fprintf(stderr, " %s(%u)", net->name[j], net->cost[i][j]);
		if (s)
			fprintf(stderr, " | r%d seq %u m %u sel %s adv %d/%u/%u fd %d/%u/%u routes",
				s->reachable, s->seqno, s->metric, s->sel ? s->sel->name : "-",
				s->adv_valid, s->adv_seqno, s->adv_metric, s->fd_valid, s->fd_seqno,
				s->fd_metric);
		for (unsigned r = 0; s && r < s->nroutes; r++)
			fprintf(stderr, " %s:%u/%u", s->routes[r].nb->name, s->routes[r].seqno,
				s->routes[r].metric);
		if (net->rt[i] && rt_node_find(net->rt[i], net->name[k]))
			fprintf(stderr, " req %d/%u/%llu", rt_node_find(net->rt[i], net->name[k])->req_valid,
				rt_node_find(net->rt[i], net->name[k])->req_seqno,
				(unsigned long long)rt_node_find(net->rt[i], net->name[k])->req_time);
		fprintf(stderr, "\n");
	}
}

/* On a failure: the latest deliveries, with their entries about (k, p). */
static void dump_trace(const struct net *net, int k, const struct prefix *p)
{
	uint64_t first = net->ntrace > TRACE_MAX ? net->ntrace - TRACE_MAX : 0;

	for (uint64_t t = first; t < net->ntrace; t++) {
		const struct qframe *f = &net->trace[t % TRACE_MAX];
		struct rw_reader rd;
		struct rw_entry e;
		struct rw_seqreq req;

		fprintf(stderr, "delivered #%llu: %s -> %s type %u len %zu",
			(unsigned long long)t, net->name[f->from], net->name[f->to], f->type, f->len);
		if (f->type == FRAME_ROUTE && rw_route_decode(f->p, f->len, &rd)) {
			fprintf(stderr, "%s%s", rd.flags & RW_FULL_BEGIN ? " FULL_BEGIN" : "",
				rd.flags & RW_FULL_END ? " FULL_END" : "");
			while (rw_route_next(&rd, &e))
				if (!strcmp(e.origin, net->name[k]) && prefix_equal(&e.p, p))
					fprintf(stderr, " [%s seq %u m %u]", e.origin, e.seqno, e.metric);
		} else if (f->type == FRAME_SEQREQ && rw_seqreq_decode(f->p, f->len, &req)) {
			fprintf(stderr, " [req %s seq %u hops %u]", req.origin, req.seqno, req.hops);
		}
		fprintf(stderr, "\n");
	}
}

/* Toward (origin k, prefix p), at this instant: the selected next hops
 * form no cycle, nor do they with the multipath successors.  A node with
 * no route ends a walk; that is allowed in transit. */
static void check_loops_to(struct net *net, int k, const struct prefix *p,
			   const struct rt_node *const o[NMAX])
{
	int sel[NMAX];
	unsigned adj[NMAX], left = 0;
	struct rt_neigh *nbs[NMAX];
	unsigned w[NMAX];
	char text[ADDR_TEXT_MAX], path[NMAX * 8 + 64];
	const char *what = NULL;

	net->loop_dests++;
	for (int i = 0; i < net->n; i++) {
		const struct rt_source *s = o[i] ? o[i]->sources : NULL;

		while (s && !prefix_equal(&s->pfx->p, p))
			s = s->onext;
		sel[i] = NO_NODE;
		adj[i] = 0;
		if (!s)
			continue;
		if (s->sel) {
			sel[i] = peer_of(s->sel);
			REQUIRE(net->nb[i][sel[i]] == s->sel, "%s selects a closed link",
				net->name[i]);
			adj[i] |= 1u << sel[i];
		}
		/* (one route: the selected one, or none) */
		size_t m = s->nroutes > 1 ? rt_successors(net->rt[i], s, nbs, w, NMAX) : 0;
		for (size_t x = 0; x < m; x++) {
			int j = peer_of(nbs[x]);
			REQUIRE(net->nb[i][j] == nbs[x], "%s: a successor on a closed link",
				net->name[i]);
			adj[i] |= 1u << j;
		}
		left |= 1u << i;
	}
	/* selected next hops: every walk ends without revisiting a node */
	for (int i = 0; i < net->n && !what; i++) {
		unsigned seen = 1u << i;
		for (int cur = i; sel[cur] != NO_NODE; cur = sel[cur]) {
			if (seen & 1u << sel[cur]) {
				what = "selected next hops";
				left = 0;
				for (int c = sel[cur]; !(left & 1u << c); c = sel[c])
					left |= 1u << c;
				break;
			}
			seen |= 1u << sel[cur];
		}
	}
	/* selected and successors together: peel off the nodes all of whose
	 * next hops lead out of what is left; a cycle is what stays */
	if (!what) {
		for (bool peeled = true; peeled;) {
			peeled = false;
			for (int i = 0; i < net->n; i++)
				if (left & 1u << i && !(adj[i] & left)) {
					left &= ~(1u << i);
					peeled = true;
				}
		}
		if (!left)
			return;
		what = "selected and multipath next hops";
		for (int i = 0; i < net->n; i++)
			if (left & 1u << i)
				adj[i] &= left;
	} else {
		for (int i = 0; i < net->n; i++)
			adj[i] = sel[i] != NO_NODE ? 1u << sel[i] : 0;
	}
	/* name one cycle in what is left */
	int start = __builtin_ctz(left), cur = start;
	unsigned seen = 0;
	while (!(seen & 1u << cur)) {
		seen |= 1u << cur;
		cur = __builtin_ctz(adj[cur] & left);
	}
	size_t len = 0;
	int c = cur;
	do {
		len += (size_t)snprintf(path + len, sizeof(path) - len, "%s -> ", net->name[c]);
		c = __builtin_ctz(adj[c] & left);
	} while (c != cur && len < sizeof(path) - 16);
	snprintf(path + len, sizeof(path) - len, "%s", net->name[cur]);
	prefix_format(p, text, sizeof(text));
	dump_trace(net, k, p);
	dump_queue(net);
	dump_dest(net, k, p);
	ck_abort_msg("transient loop toward %s from %s after %llu deliveries (%s): %s", text,
		     net->name[k], (unsigned long long)net->delivered, what, path);
}

/* check_loops_to() every source that some node knows. */
static void check_loops(struct net *net)
{
	struct prefix seen[NMAX * (PFX_MAX + 8)];

	net->loop_checks++;
	for (int k = 0; k < net->n; k++) {
		const struct rt_node *o[NMAX];
		size_t nseen = 0;
		for (int i = 0; i < net->n; i++)
			o[i] = net->rt[i] ? rt_node_find(net->rt[i], net->name[k]) : NULL;
		for (int i = 0; i < net->n; i++) {
			for (const struct rt_source *s = o[i] ? o[i]->sources : NULL; s; s = s->onext) {
				size_t x = 0;
				while (x < nseen && !prefix_equal(&seen[x], &s->pfx->p))
					x++;
				if (x < nseen)
					continue;
				REQUIRE(nseen < N_OF(seen), "too many prefixes of %s", net->name[k]);
				seen[nseen++] = s->pfx->p;
				check_loops_to(net, k, &s->pfx->p, o);
			}
		}
	}
}

/* p as text, for a failure's message (one at a time). */
static const char *ptext(const struct prefix *p)
{
	static char text[ADDR_TEXT_MAX];

	prefix_format(p, text, sizeof(text));
	return text;
}

/* Follow next hops from i toward (origin k, prefix p). */
static void walk(const struct net *net, int i, int k, const struct prefix *p, size_t mode)
{
	bool seen[NMAX] = { false };
	int cur = i, prev = NO_NODE, hops = 0;
	seen[i] = true;
	for (;;) {
		const struct rt_source *s = source_of(net, cur, net->name[k], p);
		if (!s || !s->reachable)
			dump_dest(net, k, p);
		REQUIRE(s && s->reachable, "%s -> %s %s (mode %zu): no route at %s",
			net->name[i], net->name[k], ptext(p), mode, net->name[cur]);
		if (cur == k) {
			REQUIRE(s->local && s->metric == 0, "%s: own %s not local", net->name[k], ptext(p));
			return;
		}
		REQUIRE(!s->local, "%s: %s of %s is local", net->name[cur], ptext(p), net->name[k]);
		struct rt_neigh *except = walk_modes[mode].except_prev && prev != NO_NODE ?
						  net->nb[cur][prev] : NULL;
		struct rt_neigh *nb = rt_next_hop(net->rt[cur], s, walk_modes[mode].hash, except,
						  walk_modes[mode].multipath);
		REQUIRE(nb && nb != except, "%s -> %s %s (mode %zu): no next hop at %s",
			net->name[i], net->name[k], ptext(p), mode, net->name[cur]);
		int next = peer_of(nb);
		REQUIRE(net->nb[cur][next] == nb, "next hop on a closed link");
		REQUIRE(!seen[next], "%s -> %s %s (mode %zu): loop at %s", net->name[i],
			net->name[k], ptext(p), mode, net->name[next]);
		seen[next] = true;
		prev = cur;
		cur = next;
		REQUIRE(++hops < net->n, "%s -> %s: too many hops", net->name[i], net->name[k]);
	}
}

/* The selected route from i to (k, p) is a shortest path. */
static void check_shortest(const struct net *net, uint64_t d[NMAX][NMAX], int i, int k,
			   const struct prefix *p)
{
	const struct rt_source *s = source_of(net, i, net->name[k], p);
	struct rt_neigh *nb = rt_next_hop(net->rt[i], s, 0, NULL, false);
	int j = peer_of(nb);

	if (s->metric != d[i][k] || net->cost[i][j] + d[j][k] != d[i][k])
		dump_dest(net, k, p);
	REQUIRE(s->metric == d[i][k], "%s -> %s: metric %u, shortest %llu", net->name[i],
		net->name[k], s->metric, (unsigned long long)d[i][k]);
	REQUIRE(net->cost[i][j] + d[j][k] == d[i][k], "%s -> %s: via %s is not shortest",
		net->name[i], net->name[k], net->name[j]);
}

static void check_dest(const struct net *net, bool conn[NMAX][NMAX], uint64_t d[NMAX][NMAX],
		       int i, int k, const struct prefix *p)
{
	const struct rt_source *s = source_of(net, i, net->name[k], p);

	if (!conn[i][k]) {
		REQUIRE(!s || !s->reachable, "%s reaches %s, not connected", net->name[i],
			net->name[k]);
		if (!net->anycast && p->a.inst != NODE_INST)
			REQUIRE(!rt_lookup(net->rt[i], &p->a), "%s: lookup of a gone prefix",
				net->name[i]);
		return;
	}
	for (size_t m = 0; m < N_OF(walk_modes); m++)
		walk(net, i, k, p, m);
	if (!net->anycast && p->a.inst != NODE_INST)
		REQUIRE(rt_lookup(net->rt[i], &p->a) == s, "%s: lookup is not %s's source",
			net->name[i], net->name[k]);
	if (net->exact && i != k)
		check_shortest(net, d, i, k, p);
}

/* Reachability is connectivity; every path is loop-free. */
static void check_net(struct net *net)
{
	bool conn[NMAX][NMAX];
	uint64_t d[NMAX][NMAX];
	struct prefix np = node_pfx();

	connectivity(net, conn);
	distances(net, d);
	for (int i = 0; i < net->n; i++) {
		if (!net->rt[i])
			continue;
		ck_assert_uint_eq(net->rt[i]->nreqs, 0);
		for (int k = 0; k < net->n; k++) {
			if (!net->rt[k] && !conn[i][k])
				continue;
			check_dest(net, conn, d, i, k, &np);
			for (int m = 0; m < net->nown[k]; m++)
				check_dest(net, conn, d, i, k, &net->own[k][m]);
		}
	}
}

/* ---------------------------------------------------------------- topologies */

struct link_spec {
	int a, b;
	uint32_t cost;
};

static const struct link_spec line5[] = {
	{ 0, 1, 10 }, { 1, 2, 20 }, { 2, 3, 30 }, { 3, 4, 40 },
};
static const struct link_spec ring6[] = {
	{ 0, 1, 10 }, { 1, 2, 11 }, { 2, 3, 12 }, { 3, 4, 13 }, { 4, 5, 14 }, { 5, 0, 15 },
};
/* A-B-D and A-C-D: 0 = A, 1 = B, 2 = C, 3 = D */
static const struct link_spec diamond[] = {
	{ 0, 1, 15 }, { 1, 3, 5 }, { 0, 2, 5 }, { 2, 3, 15 },
};

static struct net *net_build(int n, const struct link_spec *links, size_t nlinks,
			     const struct rt_config *cfg)
{
	struct net *net = net_new(n, cfg);

	for (size_t i = 0; i < nlinks; i++)
		if (links[i].a < n && links[i].b < n)
			link_up(net, links[i].a, links[i].b, links[i].cost);
	settle(net);
	return net;
}

#define NET(n, links, cfg) net_build((n), (links), N_OF(links), (cfg))

static void own_gate_prefixes(struct net *net)
{
	char text[64];

	for (int k = 0; k < net->n; k++) {
		snprintf(text, sizeof(text), "ipv4:10.%d.0.0/16", k);
		own_add(net, k, text);
		snprintf(text, sizeof(text), "chat:user%d", k);
		own_add(net, k, text);
	}
}

static const struct rt_config *const both_cfgs[] = { &cfg_exact, &cfg_default };

/* ---------------------------------------------------------------- scenarios */

START_TEST(line_converges)
{
	struct net *net = NET(5, line5, both_cfgs[_i]);
	static const uint32_t want[5][5] = {
		{ 0, 10, 30, 60, 100 }, { 10, 0, 20, 50, 90 }, { 30, 20, 0, 30, 70 },
		{ 60, 50, 30, 0, 40 },	{ 100, 90, 70, 40, 0 },
	};
	struct addr a;

	own_gate_prefixes(net);
	settle(net);
	for (int i = 0; i < 5; i++) {
		ck_assert_uint_ge(net->changed[i], 1);
		for (int k = 0; k < 5; k++) {
			if (i == k)
				continue;
			ck_assert(reaches(net, i, k));
			ck_assert_int_eq(next_hop(net, i, k), k > i ? i + 1 : i - 1);
			ck_assert_uint_eq(metric_to(net, i, k), want[i][k]);
			/* an address inside k's gate prefix */
			a = net->own[k][0].a;
			a.b[3] = 77;
			const struct rt_source *s = rt_lookup(net->rt[i], &a);
			ck_assert_ptr_nonnull(s);
			ck_assert_str_eq(rt_source_origin(s), net->name[k]);
			ck_assert(rt_origin_covers(net->rt[i], net->name[k], &a));
			ck_assert(!rt_origin_covers(net->rt[i], net->name[(k + 1) % 5], &a));
			ck_assert_uint_eq(s->metric, want[i][k]);
		}
	}
	net_free(net);
}
END_TEST

/* Each row: the ring link to cut. */
START_TEST(ring_cut_and_restore)
{
	const struct link_spec *cut = &ring6[_i % 6];
	struct net *net = NET(6, ring6, both_cfgs[_i / 6]);
	uint32_t before[6][6];

	own_gate_prefixes(net);
	settle(net);
	for (int i = 0; i < 6; i++)
		for (int k = 0; k < 6; k++)
			before[i][k] = metric_to(net, i, k);
	link_down(net, cut->a, cut->b);
	settle(net);
	/* the two ends now go the long way round */
	ck_assert_int_ne(next_hop(net, cut->a, cut->b), cut->b);
	ck_assert_int_ne(next_hop(net, cut->b, cut->a), cut->a);
	ck_assert_uint_gt(metric_to(net, cut->a, cut->b), before[cut->a][cut->b]);
	link_up(net, cut->a, cut->b, cut->cost);
	settle(net);
	ck_assert_int_eq(next_hop(net, cut->a, cut->b), cut->b);
	ck_assert_int_eq(next_hop(net, cut->b, cut->a), cut->a);
	for (int i = 0; i < 6; i++)
		for (int k = 0; k < 6; k++)
			if (net->exact)
				ck_assert_uint_eq(metric_to(net, i, k), before[i][k]);
	net_free(net);
}
END_TEST

START_TEST(withdrawal)
{
	struct net *net = NET(5, line5, both_cfgs[_i]);
	struct prefix p = pfx("ipv6:fd00:4::/64");
	unsigned changed[5];

	own_add(net, 4, "ipv6:fd00:4::/64");
	settle(net);
	for (int i = 0; i < 5; i++) {
		ck_assert_ptr_nonnull(rt_lookup(net->rt[i], &p.a));
		changed[i] = net->changed[i];
	}
	own_del(net, 4, "ipv6:fd00:4::/64");
	settle(net);
	for (int i = 0; i < 5; i++) {
		ck_assert_ptr_null(rt_lookup(net->rt[i], &p.a));
		if (i != 4)
			ck_assert_uint_gt(net->changed[i], changed[i]);
		for (int k = 0; k < 5; k++)
			ck_assert(reaches(net, i, k));
	}
	/* deleting what is not there changes nothing */
	own_del(net, 4, "ipv6:fd00:4::/64");
	own_del(net, 3, "ipv6:fd00:4::/64");
	uint64_t tx = net->rt[4]->cnt.frames_tx + net->rt[3]->cnt.frames_tx;
	settle(net);
	ck_assert_uint_eq(net->rt[4]->cnt.frames_tx + net->rt[3]->cnt.frames_tx, tx);
	net_free(net);
}
END_TEST

/* The same prefix from two origins: each node uses the nearer one. */
START_TEST(anycast)
{
	struct net *net = NET(5, line5, both_cfgs[_i]);
	struct prefix p = pfx("ipv4:*");

	net->anycast = true;
	own_add(net, 0, "ipv4:*");
	own_add(net, 4, "ipv4:*");
	settle(net);
	for (int i = 0; i < 5; i++) {
		const struct rt_source *s = rt_lookup(net->rt[i], &p.a);
		ck_assert_ptr_nonnull(s);
		ck_assert_str_eq(rt_source_origin(s), i <= 2 ? "n0" : "n4");
		ck_assert(rt_instance_remote(net->rt[i], INST(AP_IPV4, 0)));
		ck_assert(!rt_instance_remote(net->rt[i], INST(AP_IPV6, 0)));
	}
	own_del(net, 4, "ipv4:*");
	settle(net);
	for (int i = 0; i < 5; i++) {
		const struct rt_source *s = rt_lookup(net->rt[i], &p.a);
		ck_assert_ptr_nonnull(s);
		ck_assert_str_eq(rt_source_origin(s), "n0");
		ck_assert(rt_instance_remote(net->rt[i], INST(AP_IPV4, 0)) == (i != 0));
	}
	net_free(net);
}
END_TEST

/* A node stops: its prefixes go everywhere; the rest stays connected
 * (ring) or is cut in two (line); its sources are forgotten later. */
START_TEST(node_killed)
{
	static const struct {
		bool ring;
		int victim;
	} rows[] = { { true, 2 }, { true, 0 }, { false, 2 }, { false, 4 }, { false, 1 } };
	bool ring = rows[_i % N_OF(rows)].ring;
	int v = rows[_i % N_OF(rows)].victim, n = ring ? 6 : 5;
	struct net *net = ring ? NET(6, ring6, both_cfgs[_i / N_OF(rows)])
			       : NET(5, line5, both_cfgs[_i / N_OF(rows)]);
	struct prefix gp = pfx("ipv4:10.2.0.0/16");

	own_gate_prefixes(net);
	settle(net);
	node_kill(net, v);
	settle(net);	/* check_net: no node reaches v, or beyond a cut */
	for (int i = 0; i < n; i++) {
		if (i == v)
			continue;
		ck_assert(!reaches(net, i, v));
		if (v == 2)
			ck_assert_ptr_null(rt_lookup(net->rt[i], &gp.a));
		ck_assert_ptr_nonnull(rt_node_find(net->rt[i], net->name[v]));
	}
	/* forgotten only after source_gc_ms */
	for (int i = 0; i < n; i++)
		if (net->rt[i])
			rt_tick(net->rt[i], net->now);
	net->now += net->cfg.source_gc_ms - 1;
	for (int i = 0; i < n; i++)
		if (net->rt[i]) {
			rt_tick(net->rt[i], net->now);
			ck_assert_ptr_nonnull(rt_node_find(net->rt[i], net->name[v]));
		}
	net->now += 1;
	for (int i = 0; i < n; i++)
		if (net->rt[i]) {
			rt_tick(net->rt[i], net->now);
			ck_assert_ptr_null(rt_node_find(net->rt[i], net->name[v]));
		}
	settle(net);
	net_free(net);
}
END_TEST

/* A withdrawn gate prefix's source is forgotten after source_gc_ms; the
 * origin's node prefix stays. */
START_TEST(source_gc)
{
	struct net *net = NET(3, line5, &cfg_default);
	struct prefix p = pfx("ether:02:00:00:00:00:07");

	own_add(net, 2, "ether:02:00:00:00:00:07");
	settle(net);
	own_del(net, 2, "ether:02:00:00:00:00:07");
	settle(net);
	for (int i = 0; i < 3; i++) {
		ck_assert_ptr_nonnull(source_of(net, i, "n2", &p));
		rt_tick(net->rt[i], net->now);
	}
	net->now += net->cfg.source_gc_ms / 2;
	for (int i = 0; i < 3; i++) {
		rt_tick(net->rt[i], net->now);
		ck_assert_ptr_nonnull(source_of(net, i, "n2", &p));
	}
	net->now += net->cfg.source_gc_ms / 2;
	for (int i = 0; i < 3; i++) {
		rt_tick(net->rt[i], net->now);
		ck_assert_ptr_null(source_of(net, i, "n2", &p));
		ck_assert(reaches(net, i, 2));
	}
	settle(net);
	/* it can come back */
	own_add(net, 2, "ether:02:00:00:00:00:07");
	settle(net);
	for (int i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(rt_lookup(net->rt[i], &p.a));
	net_free(net);
}
END_TEST

static size_t route_frame(uint8_t *buf, size_t cap, const char *origin, uint16_t seqno,
			  uint32_t metric, const struct prefix *p)
{
	struct rw_entry e = { .seqno = seqno, .metric = metric, .p = *p };
	struct rw_writer w;

	snprintf(e.origin, sizeof(e.origin), "%s", origin);
	rw_route_begin(&w, buf, cap, 0);
	ck_assert(rw_route_add(&w, &e));
	return rw_route_len(&w);
}

/* Updates naming the receiver as origin are never routes. */
START_TEST(own_origin_ignored)
{
	struct net *net = NET(6, ring6, &cfg_exact);
	struct prefix p = pfx("ipv4:192.168.7.0/24");
	uint8_t buf[256];
	size_t n;

	own_gate_prefixes(net);
	settle(net);
	/* in a ring everyone's own prefixes come back to it; none is a route */
	for (int i = 0; i < 6; i++) {
		const struct rt_node *self = rt_node_find(net->rt[i], net->name[i]);
		for (const struct rt_source *s = self->sources; s; s = s->onext) {
			ck_assert(s->local);
			ck_assert_ptr_null(rt_next_hop(net->rt[i], s, 0, NULL, false));
			ck_assert_ptr_null(rt_next_hop(net->rt[i], s, 0, NULL, true));
		}
	}
	/* n1 tells n0 that n0 owns a prefix n0 does not have */
	n = route_frame(buf, sizeof(buf), "n0", 0, 5, &p);
	ck_assert(rt_recv(net->rt[0], net->nb[0][1], FRAME_ROUTE, buf, n, net->now));
	ck_assert_ptr_null(rt_lookup(net->rt[0], &p.a));
	ck_assert_ptr_null(source_of(net, 0, "n0", &p));
	settle(net);
	for (int i = 0; i < 6; i++)
		ck_assert_ptr_null(rt_lookup(net->rt[i], &p.a));
	net_free(net);
}
END_TEST

/* ---------------------------------------------------------------- feasibility */

/* One node, two neighbours fed by hand, frames it sends recorded. */
struct solo {
	struct rt *rt;
	struct rt_neigh *p, *q;
	uint8_t last[256];
	size_t last_len;
	uint8_t last_type;
	unsigned nsent;
};

static void solo_send(void *arg, struct rt_neigh *nb, uint8_t type, const uint8_t *p, size_t len)
{
	struct solo *so = arg;

	so->nsent++;
	if (type == FRAME_SEQREQ && len <= sizeof(so->last)) {
		memcpy(so->last, p, len);
		so->last_len = len;
		so->last_type = type;
	}
}

static void solo_update(struct solo *so, struct rt_neigh *nb, uint16_t seqno, uint32_t metric,
			const struct prefix *p)
{
	uint8_t buf[256];
	size_t n = route_frame(buf, sizeof(buf), "origin", seqno, metric, p);

	ck_assert(rt_recv(so->rt, nb, FRAME_ROUTE, buf, n, 0));
	rt_flush(so->rt, 0);
}

/* FD after P's route: (fd_seqno, 100 + 10); then P's link may get dearer.
 * Q offers (seqno, metric) and P withdraws: is Q's route used?  An
 * unfeasible route of the FD's seqno that is better than the selected one
 * makes it ask for a new seqno at once; otherwise it asks when it starves. */
static const struct {
	uint16_t fd_seqno, seqno;
	uint32_t metric;
	bool feasible, asks_at_once;
	uint32_t p_cost;
} feas_rows[] = {
	{ 5, 5, 109, true, false, 10 },
	{ 5, 5, 110, false, false, 10 },	/* equal to FD */
	{ 5, 5, 5000, false, false, 10 },
	{ 5, 6, 5000, true, false, 10 },	/* newer seqno */
	{ 5, 4, 1, false, false, 10 },		/* older seqno: it catches up */
	{ 0xffff, 0, 5000, true, false, 10 },	/* newer across the wrap */
	{ 0, 0xffff, 1, false, false, 10 },
	{ 0, 0x8000, 1, false, false, 10 },	/* half the space away: not newer */
	{ 5, 5, 120, false, true, 100 },	/* 130 beats 200 */
	{ 5, 5, 120, false, false, 30 },	/* 130 does not beat 130 */
};

START_TEST(feasibility)
{
	struct solo so = { 0 };
	struct rt_hooks hooks = { .arg = &so, .send = solo_send };
	struct prefix p = pfx("ipv4:10.0.0.0/8");
	uint16_t fd_seqno = feas_rows[_i].fd_seqno;
	uint32_t metric = feas_rows[_i].metric;
	const struct rt_source *s;
	struct rw_seqreq req;
	uint64_t unfeasible;

	so.rt = rt_new("me", &cfg_exact, &hooks);
	so.p = rt_neigh_add(so.rt, "p", 10, NULL, 0);
	so.q = rt_neigh_add(so.rt, "q", 10, NULL, 0);
	rt_flush(so.rt, 0);
	solo_update(&so, so.p, fd_seqno, 100, &p);
	s = rt_lookup(so.rt, &p.a);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->metric, 110);
	rt_neigh_cost(so.rt, so.p, feas_rows[_i].p_cost);
	rt_flush(so.rt, 0);
	ck_assert_uint_eq(s->metric, 100 + feas_rows[_i].p_cost);
	unfeasible = so.rt->cnt.unfeasible;
	so.last_len = 0;
	solo_update(&so, so.q, feas_rows[_i].seqno, metric, &p);
	ck_assert_uint_eq(so.rt->cnt.unfeasible - unfeasible, !feas_rows[_i].feasible);
	ck_assert_uint_eq(s->nroutes, 2);	/* stored either way */
	ck_assert_uint_eq(s->metric, 100 + feas_rows[_i].p_cost);	/* Q's is not selected */
	ck_assert_uint_eq(so.last_len > 0, feas_rows[_i].asks_at_once);
	solo_update(&so, so.p, fd_seqno, RT_METRIC_INF, &p);
	s = rt_lookup(so.rt, &p.a);
	if (feas_rows[_i].feasible) {
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_eq(s->metric, metric + 10);
		ck_assert_uint_eq(so.last_len, 0);
		rt_free(so.rt);
		return;
	}
	/* starving: it asks for the next seqno (if it did not already) */
	ck_assert_ptr_null(s);
	ck_assert_uint_gt(so.last_len, 0);
	ck_assert(rw_seqreq_decode(so.last, so.last_len, &req));
	ck_assert_str_eq(req.origin, "origin");
	ck_assert_uint_eq(req.seqno, (uint16_t)(fd_seqno + 1));
	ck_assert_uint_eq(req.hops, RT_SEQREQ_HOPS);
	ck_assert_uint_ge(so.rt->cnt.seqreq_tx, 1);
	/* the same request is not repeated within seqreq_ms */
	so.last_len = 0;
	solo_update(&so, so.q, feas_rows[_i].seqno, metric, &p);
	ck_assert_uint_eq(so.last_len, 0);
	ck_assert_ptr_null(rt_lookup(so.rt, &p.a));
	/* the answer: Q's route under the new seqno */
	solo_update(&so, so.q, req.seqno, metric, &p);
	s = rt_lookup(so.rt, &p.a);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->seqno, req.seqno);
	ck_assert_uint_eq(s->metric, metric + 10);
	rt_free(so.rt);
}
END_TEST

/* ---------------------------------------------------------------- seqno requests */

/* A SEQREQ for node k's seqno, as neighbour j would send it. */
static void ask_seqno(struct net *net, int k, int j, uint16_t seqno)
{
	struct rw_seqreq req = { .seqno = seqno, .hops = 1 };
	uint8_t buf[64];
	size_t n;

	snprintf(req.origin, sizeof(req.origin), "%s", net->name[k]);
	n = rw_seqreq_encode(buf, sizeof(buf), &req);
	ck_assert_uint_gt(n, 0);
	ck_assert(rt_recv(net->rt[k], net->nb[k][j], FRAME_SEQREQ, buf, n, net->now));
}

static uint16_t seqno_at(const struct net *net, int i, int k)
{
	const struct rt_source *s = route_to(net, i, k);

	ck_assert(s && s->reachable);
	return s->seqno;
}

/* n0 - n1 - n2: n1's link to n0 gets dearer, so n1's new metric is not
 * feasible at n2; n2 asks n0 (through n1) for a new seqno and gets it.
 * Rows start n0 at different seqnos, one across the wrap. */
START_TEST(seqno_request_recovery)
{
	static const uint16_t starts[] = { 0, 0x7ffe, 0xfffe, 0xffff };
	static const uint32_t costs[] = { 100, 1000, 10000 };
	struct net *net = NET(3, line5, &cfg_exact);
	uint16_t seqno = starts[_i];

	own_gate_prefixes(net);
	settle(net);
	/* in steps: a seqno half the space ahead or more is not newer */
	for (unsigned step = 1; seqno && step <= 3; step++) {
		ask_seqno(net, 0, 1, (uint16_t)(seqno * step / 3));
		settle(net);
	}
	for (int i = 1; i < 3; i++)
		ck_assert_uint_eq(seqno_at(net, i, 0), seqno);
	for (size_t c = 0; c < N_OF(costs); c++) {
		uint64_t unfeasible = net->rt[2]->cnt.unfeasible;
		uint64_t req_tx = net->rt[2]->cnt.seqreq_tx, req_rx = net->rt[0]->cnt.seqreq_rx;

		link_cost(net, 1, 0, costs[c]);
		settle(net);
		seqno++;
		ck_assert_uint_gt(net->rt[2]->cnt.unfeasible, unfeasible);
		ck_assert_uint_gt(net->rt[2]->cnt.seqreq_tx, req_tx);
		ck_assert_uint_gt(net->rt[0]->cnt.seqreq_rx, req_rx);
		for (int i = 1; i < 3; i++)
			ck_assert_uint_eq(seqno_at(net, i, 0), seqno);
		ck_assert_uint_eq(metric_to(net, 2, 0), costs[c] + 20);
	}
	net_free(net);
}
END_TEST

/* An update of our own prefixes with a newer seqno (from an earlier life)
 * makes us outrun it. */
START_TEST(own_seqno_echo)
{
	struct net *net = NET(2, line5, &cfg_exact);
	struct prefix np = node_pfx();
	uint8_t buf[256];
	size_t n;

	ck_assert_uint_eq(seqno_at(net, 1, 0), 0);
	n = route_frame(buf, sizeof(buf), "n0", 7, 10, &np);
	ck_assert(rt_recv(net->rt[0], net->nb[0][1], FRAME_ROUTE, buf, n, net->now));
	settle(net);
	ck_assert_uint_eq(seqno_at(net, 1, 0), 8);
	/* an older one, or a withdrawal, changes nothing */
	n = route_frame(buf, sizeof(buf), "n0", 5, 10, &np);
	ck_assert(rt_recv(net->rt[0], net->nb[0][1], FRAME_ROUTE, buf, n, net->now));
	n = route_frame(buf, sizeof(buf), "n0", 100, RT_METRIC_INF, &np);
	ck_assert(rt_recv(net->rt[0], net->nb[0][1], FRAME_ROUTE, buf, n, net->now));
	settle(net);
	ck_assert_uint_eq(seqno_at(net, 1, 0), 8);
	net_free(net);
}
END_TEST

/* ---------------------------------------------------------------- damping, hysteresis */

START_TEST(damping)
{
	static const struct link_spec links[] = { { 0, 1, 1000 }, { 1, 2, 1000 } };
	static const struct {
		uint32_t cost;
		bool sent;
		uint32_t metric_at_n2;
	} steps[] = {
		{ 1050, false, 2000 },	/* 5% */
		{ 1099, false, 2000 },	/* 9.9% */
		{ 1200, true, 2200 },	/* 20% */
		{ 1150, false, 2200 },	/* 4% */
		{ 1300, false, 2200 },	/* 8% above what was sent */
		{ 1000, true, 2000 },	/* 16% below */
	};
	struct net *net = NET(3, links, &cfg_default);

	for (size_t i = 0; i < N_OF(steps); i++) {
		uint64_t upd = net->rt[1]->cnt.updates_tx, fr = net->rt[1]->cnt.frames_tx;
		uint64_t routes = net->sent[1][FRAME_ROUTE];
		unsigned changed = net->changed[1] + net->changed[2];

		link_cost(net, 1, 0, steps[i].cost);
		settle(net);
		ck_assert_uint_eq(metric_to(net, 1, 0), steps[i].cost);
		ck_assert_uint_eq(metric_to(net, 2, 0), steps[i].metric_at_n2);
		ck_assert_uint_eq(net->rt[1]->cnt.updates_tx - upd, steps[i].sent);
		ck_assert_uint_eq(net->rt[1]->cnt.frames_tx - fr, steps[i].sent ? 2 : 0);
		ck_assert_uint_eq(net->sent[1][FRAME_ROUTE] - routes, steps[i].sent ? 2 : 0);
		ck_assert_uint_eq(net->changed[1] + net->changed[2], changed);
	}
	net_free(net);
}
END_TEST

/* A (0) reaches D (3) via B (1) at 200 or via C (2) at 150 + x. */
START_TEST(hysteresis)
{
	static const struct link_spec links[] = {
		{ 0, 1, 100 }, { 1, 3, 100 }, { 0, 2, 150 }, { 2, 3, 100 },
	};
	static const struct {
		unsigned pct;
		uint32_t cost_ac;
		int via;
	} rows[] = {
		{ 10, 95, 1 },	/* 195: 2.5% better, stays */
		{ 10, 81, 1 },	/* 181: 9.5% better, stays */
		{ 10, 79, 2 },	/* 179: 10.5% better, switches */
		{ 10, 50, 2 },
		{ 0, 95, 2 },	/* no hysteresis: any better route wins */
		{ 0, 100, 1 },	/* a tie: the older neighbour */
	};
	struct rt_config cfg = cfg_exact;
	struct net *net;

	cfg.hysteresis_pct = rows[_i].pct;
	net = NET(4, links, &cfg);
	ck_assert_int_eq(next_hop(net, 0, 3), 1);
	ck_assert_uint_eq(metric_to(net, 0, 3), 200);
	link_cost(net, 0, 2, rows[_i].cost_ac);
	settle(net);
	ck_assert_int_eq(next_hop(net, 0, 3), rows[_i].via);
	ck_assert_uint_eq(metric_to(net, 0, 3), rows[_i].via == 1 ? 200 : rows[_i].cost_ac + 100);
	net_free(net);
}
END_TEST

/* ---------------------------------------------------------------- multipath */

#define FLOWS 65536

/* Flow hashes spread over the whole 32-bit space, in both high and low
 * bits (a Weyl sequence). */
static uint32_t flow_hash(uint32_t i)
{
	return i * 2654435761u;
}

/* How often each of A's neighbours is picked over FLOWS flows. */
static void spread(const struct net *net, const struct rt_source *s,
		   const struct rt_neigh *except, unsigned count[NMAX])
{
	memset(count, 0, sizeof(unsigned) * NMAX);
	for (uint32_t i = 0; i < FLOWS; i++) {
		struct rt_neigh *nb = rt_next_hop(net->rt[0], s, flow_hash(i), except, true);
		REQUIRE(nb && nb != except, "flow %u", i);
		count[peer_of(nb)]++;
	}
}

/* The share of flows a neighbour gets is its share of the weight (1%). */
static void check_share(unsigned count, unsigned w, unsigned total_w)
{
	double want = (double)w / total_w, got = (double)count / FLOWS;

	REQUIRE(got > want - 0.01 && got < want + 0.01, "share %.3f, weight says %.3f", got,
		want);
}

START_TEST(multipath)
{
	static const struct {
		uint32_t cost_ac;
		size_t nsucc;
		unsigned weight_c;	/* B's is 1024 */
	} rows[] = {
		{ 5, 2, 1024 },		/* 20 and 20 */
		{ 12, 2, 759 },		/* 20 and 27: 1024 * 20 / 27 */
		{ 15, 2, 683 },		/* 20 and 30: the stretch limit */
		{ 16, 1, 0 },		/* 31: beyond 150% */
		{ 20, 1, 0 },
	};
	struct net *net = NET(4, diamond, &cfg_exact);
	struct rt_neigh *nbs[8];
	unsigned w[8], count[NMAX], wb = 0, wc = 0;
	const struct rt_source *s;
	size_t n;

	link_cost(net, 0, 2, rows[_i].cost_ac);
	settle(net);
	s = route_to(net, 0, 3);
	ck_assert_uint_eq(s->metric, 20);
	n = rt_successors(net->rt[0], s, nbs, w, N_OF(nbs));
	ck_assert_uint_eq(n, rows[_i].nsucc);
	for (size_t i = 0; i < n; i++) {
		if (peer_of(nbs[i]) == 1)
			wb = w[i];
		else if (peer_of(nbs[i]) == 2)
			wc = w[i];
		else
			ck_abort_msg("successor %s", nbs[i]->name);
	}
	ck_assert_uint_eq(wb, 1024);
	ck_assert_uint_eq(wc, rows[_i].weight_c);
	ck_assert_uint_eq(rt_successors(net->rt[0], s, nbs, w, 1), 1);
	/* flows land in proportion to the weights */
	spread(net, s, NULL, count);
	ck_assert_uint_eq(count[1] + count[2], FLOWS);
	check_share(count[1], wb, wb + wc);
	check_share(count[2], wc, wb + wc);
	/* never the excluded neighbour */
	if (n == 2) {
		spread(net, s, net->nb[0][1], count);
		ck_assert_uint_eq(count[2], FLOWS);
	}
	spread(net, s, net->nb[0][2], count);
	ck_assert_uint_eq(count[1], FLOWS);
	ck_assert_ptr_eq(rt_next_hop(net->rt[0], s, 0, NULL, false), net->nb[0][1]);
	ck_assert_ptr_null(rt_next_hop(net->rt[0], s, 0, net->nb[0][1], false));
	/* the origin's own source has no successors */
	ck_assert_uint_eq(rt_successors(net->rt[3], route_to(net, 3, 3), nbs, w, 8), 0);
	net_free(net);
}
END_TEST

/* A small change of the weights moves few flows: a flow keeps its next
 * hop (and its packets their order) unless its share had to move. */
START_TEST(multipath_flows_stay)
{
	static uint8_t before[FLOWS];
	struct net *net = NET(4, diamond, &cfg_exact);
	const struct rt_source *s;
	unsigned moved = 0;

	link_cost(net, 0, 2, 12);	/* weights 1024 and 759 */
	settle(net);
	s = route_to(net, 0, 3);
	for (uint32_t i = 0; i < FLOWS; i++)
		before[i] = (uint8_t)peer_of(rt_next_hop(net->rt[0], s, flow_hash(i), NULL, true));
	link_cost(net, 0, 2, 13);	/* 1024 and 731: C's share 42.6% -> 41.7% */
	settle(net);
	s = route_to(net, 0, 3);
	for (uint32_t i = 0; i < FLOWS; i++)
		moved += before[i] != peer_of(rt_next_hop(net->rt[0], s, flow_hash(i), NULL, true));
	ck_assert_uint_lt(moved, FLOWS / 50);	/* what had to move, and a little */
	net_free(net);
}
END_TEST

/* ---------------------------------------------------------------- digests */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Everything node i knows, as text: sources in order, routes sorted. */
static char *snapshot(const struct net *net, int i)
{
	size_t cap = 1 << 16, off = 0;
	char *out = malloc(cap), text[ADDR_TEXT_MAX], *lines[64];
	const struct rt_source *s;

	ck_assert_ptr_nonnull(out);
	TAILQ_FOREACH(s, &net->rt[i]->sources, entry) {
		prefix_format(&s->pfx->p, text, sizeof(text));
		off += (size_t)snprintf(out + off, cap - off, "%s %s r%d m%u s%u sel=%s adv%d/%u/%u fd%d/%u/%u:",
			rt_source_origin(s), text, s->reachable, s->metric, s->seqno,
			s->sel ? s->sel->name : "-", s->adv_valid, s->adv_seqno, s->adv_metric,
			s->fd_valid, s->fd_seqno, s->fd_metric);
		ck_assert_uint_le(s->nroutes, N_OF(lines));
		for (unsigned r = 0; r < s->nroutes; r++) {
			const struct rt_route *rr = &s->routes[r];
			ck_assert_int_ge(asprintf(&lines[r], " %s/%u/%u/%d", rr->nb->name, rr->seqno,
						  rr->metric, rr->stale), 0);
		}
		qsort(lines, s->nroutes, sizeof(lines[0]), cmp_str);
		for (unsigned r = 0; r < s->nroutes; r++) {
			off += (size_t)snprintf(out + off, cap - off, "%s", lines[r]);
			free(lines[r]);
		}
		off += (size_t)snprintf(out + off, cap - off, "\n");
		ck_assert_uint_lt(off, cap);
	}
	return out;
}

static uint64_t total(const struct net *net, size_t field_off)
{
	uint64_t sum = 0;

	for (int i = 0; i < net->n; i++)
		if (net->rt[i])
			sum += *(const uint64_t *)((const char *)&net->rt[i]->cnt + field_off);
	return sum;
}

#define TOTAL(net, field) total((net), offsetof(struct rt_counters, field))

static uint64_t sent_total(const struct net *net, uint8_t type)
{
	uint64_t sum = 0;

	for (int i = 0; i < net->n; i++)
		sum += net->sent[i][type];
	return sum;
}

/* Nothing drifted: digests go out and find nothing to repair. */
START_TEST(digest_quiet)
{
	struct net *net = _i < 2 ? NET(5, line5, both_cfgs[_i]) : NET(6, ring6, both_cfgs[_i - 2]);

	own_gate_prefixes(net);
	settle(net);
	for (int period = 1; period <= 3; period++) {
		uint64_t digests = sent_total(net, FRAME_DIGEST);
		net->now += net->cfg.digest_ms;
		settle(net);
		ck_assert_uint_eq(sent_total(net, FRAME_DIGEST) - digests,
				  _i < 2 ? 2 * 4 : 2 * 6);
		ck_assert_uint_eq(TOTAL(net, digest_mismatch), 0);
		ck_assert_uint_eq(sent_total(net, FRAME_ROUTE_REQ), 0);
	}
	net_free(net);
}
END_TEST

/* n1 loses a route it had from n0 behind everyone's back: the next digest
 * from n0 shows it, n1 asks for n0's full table, and everything is as it
 * was. */
START_TEST(digest_repairs_lost_route)
{
	struct net *net = NET(5, line5, both_cfgs[_i]);
	struct prefix p;
	char *before[5], *after;

	own_gate_prefixes(net);
	settle(net);
	for (int i = 0; i < 5; i++)
		before[i] = snapshot(net, i);
	p = net->own[0][0];
	struct rt_source *s = (struct rt_source *)source_of(net, 1, "n0", &p);
	unsigned r;
	for (r = 0; r < s->nroutes && s->routes[r].nb != net->nb[1][0]; r++)
		;
	ck_assert_uint_lt(r, s->nroutes);
	net->nb[1][0]->nroutes--;
	s->routes[r] = s->routes[--s->nroutes];
	net->now += net->cfg.digest_ms;
	settle(net);
	ck_assert_uint_eq(net->rt[1]->cnt.digest_mismatch, 1);
	ck_assert_uint_eq(TOTAL(net, digest_mismatch), 1);
	ck_assert_uint_eq(net->sent[1][FRAME_ROUTE_REQ], 1);
	ck_assert_uint_eq(sent_total(net, FRAME_ROUTE_REQ), 1);
	for (int i = 0; i < 5; i++) {
		after = snapshot(net, i);
		ck_assert_str_eq(after, before[i]);
		free(after);
		free(before[i]);
	}
	net->now += net->cfg.digest_ms;
	settle(net);
	ck_assert_uint_eq(TOTAL(net, digest_mismatch), 1);
	net_free(net);
}
END_TEST

/* Drop the next ROUTE frame queued from a to b. */
static void drop_route_frame(struct net *net, int a, int b)
{
	size_t i;

	for (i = net->qhead; i < net->qlen; i++)
		if (net->q[i].from == a && net->q[i].to == b && net->q[i].type == FRAME_ROUTE)
			break;
	ck_assert_uint_lt(i, net->qlen);
	free(net->q[i].p);
	memmove(&net->q[i], &net->q[i + 1], (net->qlen - i - 1) * sizeof(net->q[0]));
	net->qlen--;
}

/* A diff lost on the way (n0 -> n1), announcing (even rows) or withdrawing
 * (odd rows) a prefix: n1 and n2 are wrong until the digest repairs it,
 * the full table adding what was missing or dropping what was stale. */
START_TEST(digest_repairs_lost_frame)
{
	struct net *net = NET(3, line5, both_cfgs[_i / 2]);
	struct prefix p = pfx("ipv4:172.16.0.0/12");
	bool withdraw = _i % 2;

	if (withdraw) {
		own_add(net, 0, "ipv4:172.16.0.0/12");
		settle(net);
		own_del(net, 0, "ipv4:172.16.0.0/12");
	} else {
		ck_assert(rt_local_add(net->rt[0], &p));	/* not in own[]: not checked yet */
	}
	rt_flush(net->rt[0], net->now);
	drop_route_frame(net, 0, 1);
	quiesce(net);
	ck_assert((rt_lookup(net->rt[1], &p.a) != NULL) == withdraw);
	ck_assert((rt_lookup(net->rt[2], &p.a) != NULL) == withdraw);
	if (!withdraw)
		net->own[0][net->nown[0]++] = p;
	net->now += net->cfg.digest_ms;
	settle(net);	/* check_net: reachable everywhere, or gone everywhere */
	ck_assert_uint_eq(net->rt[1]->cnt.digest_mismatch, 1);
	ck_assert_uint_eq(TOTAL(net, digest_mismatch), 1);
	for (int i = 0; i < 3; i++)
		ck_assert((rt_lookup(net->rt[i], &p.a) != NULL) == !withdraw);
	if (!withdraw)
		ck_assert_uint_eq(rt_lookup(net->rt[2], &p.a)->metric, 30);
	net_free(net);
}
END_TEST

/* ---------------------------------------------------------------- restarts */

/* n3 of the ring stops, everyone notices, and it starts again. */
START_TEST(restart_after_noticed)
{
	struct net *net = NET(6, ring6, both_cfgs[_i]);

	own_gate_prefixes(net);
	settle(net);
	node_kill(net, 3);
	settle(net);
	node_up(net, 3);
	link_up(net, 3, 2, ring6[2].cost);
	link_up(net, 3, 4, ring6[3].cost);
	own_add(net, 3, "ipv4:10.3.0.0/16");
	own_add(net, 3, "chat:user3");
	settle(net);	/* check_net: n3 and its prefixes reachable everywhere */
	for (int i = 0; i < 6; i++)
		ck_assert(reaches(net, i, 3));
	net_free(net);
}
END_TEST

/* n3 (at seqno 3) restarts at once with seqno 0 and one prefix fewer: it
 * must outrun its old seqno, and the prefix it dropped must go. */
START_TEST(restart_at_once)
{
	struct net *net = NET(6, ring6, both_cfgs[_i]);
	struct prefix gone = pfx("chat:user3");

	own_gate_prefixes(net);
	settle(net);
	ask_seqno(net, 3, 2, 3);
	settle(net);
	for (int i = 0; i < 6; i++)
		if (i != 3)
			ck_assert_uint_eq(seqno_at(net, i, 3), 3);
	node_kill(net, 3);
	node_up(net, 3);
	link_up(net, 3, 2, ring6[2].cost);
	link_up(net, 3, 4, ring6[3].cost);
	own_add(net, 3, "ipv4:10.3.0.0/16");
	settle(net);
	for (int i = 0; i < 6; i++) {
		ck_assert(reaches(net, i, 3));
		ck_assert_ptr_null(rt_lookup(net->rt[i], &gone.a));
		if (i != 3)
			ck_assert(seqno_newer(seqno_at(net, i, 3), 3));
	}
	net_free(net);
}
END_TEST

/* ---------------------------------------------------------------- hooks */

/* The send hook closes the link it is sending on (a write error). */
START_TEST(hook_closes_link)
{
	struct net *net = NET(3, line5, both_cfgs[_i]);

	net->close_from = 1;
	net->close_to = 2;
	own_add(net, 1, "ipv4:10.1.0.0/16");
	settle(net);	/* check_net: n2 is cut off */
	ck_assert_ptr_null(net->nb[1][2]);
	ck_assert_uint_eq(net->rt[1]->nneighs, 1);
	ck_assert(!reaches(net, 0, 2));
	link_up(net, 1, 2, 20);
	settle(net);
	ck_assert(reaches(net, 0, 2));
	ck_assert(reaches(net, 2, 0));
	net_free(net);
}
END_TEST

/* ---------------------------------------------------------------- big tables */

#define BIG_N 5000	/* 27 bytes an entry: three ROUTE frames */

static struct prefix big_pfx(unsigned i)
{
	struct prefix p = pfx("ipv6:fd00::/64");

	p.a.b[2] = (uint8_t)(i >> 8);
	p.a.b[3] = (uint8_t)i;
	return p;
}

/* How many of the BIG_N prefixes node i reaches, all from n0. */
static unsigned big_reached(const struct net *net, int i)
{
	unsigned n = 0;

	for (unsigned k = 0; k < BIG_N; k++) {
		struct prefix p = big_pfx(k);
		const struct rt_source *s = rt_lookup(net->rt[i], &p.a);
		if (s) {
			REQUIRE(!strcmp(rt_source_origin(s), "n0") && prefix_equal(&s->pfx->p, &p),
				"prefix %u", k);
			n++;
		}
	}
	return n;
}

/* Diffs and full tables that span several frames; a full table's stale
 * routes dropped only at its last frame. */
START_TEST(big_table)
{
	struct net *net = NET(3, line5, both_cfgs[_i]);
	uint64_t frames;

	net->steps = false;	/* 5000 sources: check_loops() after every frame is too slow */
	frames = net->sent[0][FRAME_ROUTE];
	for (unsigned k = 0; k < BIG_N; k++) {
		struct prefix p = big_pfx(k);
		ck_assert(rt_local_add(net->rt[0], &p));
	}
	settle(net);
	ck_assert_uint_ge(net->sent[0][FRAME_ROUTE] - frames, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(big_reached(net, i), BIG_N);
	struct prefix p77 = big_pfx(77);
	ck_assert_uint_eq(rt_lookup(net->rt[2], &p77.a)->metric, 30);
	link_down(net, 1, 2);
	settle(net);
	ck_assert_uint_eq(big_reached(net, 2), 0);
	link_up(net, 1, 2, 20);
	settle(net);
	ck_assert_uint_eq(big_reached(net, 2), BIG_N);
	/* n1 loses half of them behind everyone's back; n0's next digest
	 * brings back a full table of several frames */
	for (unsigned k = 0; k < BIG_N; k += 2) {
		struct prefix p = big_pfx(k);
		struct rt_source *s = (struct rt_source *)source_of(net, 1, "n0", &p);
		for (unsigned r = 0; r < s->nroutes; r++)
			if (s->routes[r].nb == net->nb[1][0]) {
				s->routes[r].nb->nroutes--;
				s->routes[r] = s->routes[--s->nroutes];
			}
	}
	net->now += net->cfg.digest_ms;
	settle(net);
	ck_assert_uint_eq(net->rt[1]->cnt.digest_mismatch, 1);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(big_reached(net, i), BIG_N);
	for (unsigned k = 0; k < BIG_N; k++) {
		struct prefix p = big_pfx(k);
		rt_local_del(net->rt[0], &p);
	}
	settle(net);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(big_reached(net, i), 0);
	net_free(net);
}
END_TEST

/* The longest reachable prefix wins; when it goes, the next one does. */
START_TEST(longest_match)
{
	static const struct {
		int owner;
		const char *pfx;
	} owned[] = {
		{ 0, "ipv4:10.0.0.0/8" }, { 1, "ipv4:10.1.0.0/16" },
		{ 2, "ipv4:10.1.2.0/23" }, { 3, "ipv4:10.1.2.3" },
	};
	static const struct {
		const char *addr;
		int want[5];	/* owner of the match after 0..4 deletions */
	} rows[] = {
		{ "ipv4:10.1.2.3", { 3, 2, 1, 0, NO_NODE } },
		{ "ipv4:10.1.3.3", { 2, 2, 1, 0, NO_NODE } },
		{ "ipv4:10.1.4.3", { 1, 1, 1, 0, NO_NODE } },
		{ "ipv4:10.200.4.3", { 0, 0, 0, 0, NO_NODE } },
		{ "ipv4:11.1.2.3", { NO_NODE, NO_NODE, NO_NODE, NO_NODE, NO_NODE } },
	};
	struct net *net = NET(5, line5, both_cfgs[_i]);

	for (size_t o = 0; o < N_OF(owned); o++)
		own_add(net, owned[o].owner, owned[o].pfx);
	for (size_t del = 0; del <= N_OF(owned); del++) {
		settle(net);
		for (size_t r = 0; r < N_OF(rows); r++) {
			struct prefix a = pfx(rows[r].addr);
			int want = rows[r].want[del];
			for (int i = 0; i < 5; i++) {
				const struct rt_source *s = rt_lookup(net->rt[i], &a.a);
				if (want == NO_NODE)
					ck_assert_ptr_null(s);
				else
					ck_assert_str_eq(s ? rt_source_origin(s) : "-", net->name[want]);
			}
		}
		if (del < N_OF(owned))	/* the longest first */
			own_del(net, owned[N_OF(owned) - 1 - del].owner,
				owned[N_OF(owned) - 1 - del].pfx);
	}
	net_free(net);
}
END_TEST

/* ---------------------------------------------------------------- churn */

/* One random event: links, costs, prefixes, nodes and time. */
static void churn_step(struct net *net, uint64_t *st)
{
	int a = (int)(rnd(st) % (uint32_t)net->n), b = (int)(rnd(st) % (uint32_t)net->n);
	char text[64];

	switch (rnd(st) % 8) {
	case 0:
	case 1:
		if (a != b && net->rt[a] && net->rt[b] && !net->nb[a][b])
			link_up(net, a, b, 1 + rnd(st) % 100);
		break;
	case 2:
		if (net->nb[a][b])
			link_down(net, a, b);
		break;
	case 3:
		if (net->nb[a][b])
			link_cost(net, a, b, 1 + rnd(st) % 100);
		break;
	case 4:
		if (!net->rt[a])
			break;
		snprintf(text, sizeof(text), "ipv4:10.%d.%u.0/24", a, rnd(st) % 3);
		if (net->nown[a] < PFX_MAX) {
			bool have = false;
			struct prefix p = pfx(text);
			for (int i = 0; i < net->nown[a]; i++)
				have |= prefix_equal(&net->own[a][i], &p);
			if (!have)
				own_add(net, a, text);
		}
		break;
	case 5:
		if (net->rt[a] && net->nown[a]) {
			prefix_format(&net->own[a][0], text, sizeof(text));
			own_del(net, a, text);
		}
		break;
	case 6:
		if (net->rt[a] && rnd(st) % 4 == 0)
			node_kill(net, a);
		else if (!net->rt[a])
			node_up(net, a);
		break;
	default:
		/* time passes with nothing in flight: no frame is ever older
		 * than source_gc_ms (what a dead link's timeout ensures) */
		quiesce(net);
		net->now += rnd(st) % (net->cfg.digest_ms + 1);
		tick_all(net);
		break;
	}
}

/* Random events on 8 nodes, each followed by settle_for() and its checks;
 * rows differ in seed and configuration. */
#define CHURN_SECONDS 3
#ifndef CHURN_FIRST
#define CHURN_FIRST 0
#endif
#ifndef CHURN_ROWS
#define CHURN_ROWS 40
#endif
START_TEST(random_churn)
{
	uint64_t st = 0x5eed0000u + (uint64_t)_i;
	struct net *net = net_new(8, both_cfgs[_i % 2]);

	for (int i = 0; i < 8; i++)
		for (int j = i + 1; j < 8; j++)
			if (rnd(&st) % 3 == 0)
				link_up(net, i, j, 1 + rnd(&st) % 100);
	settle(net);
	for (int step = 0; step < 300; step++) {
		churn_step(net, &st);
		settle_for(net, CHURN_SECONDS);
	}
	net_free(net);
}
END_TEST

/* The same churn in transit: delivered in a random order across links
 * (each link FIFO), receivers sometimes taking several frames before they
 * flush, and half the events coming while the previous ones' frames are
 * still in flight (only part of them delivered).  check_loops() after
 * every frame and flush; check_net() whenever it settles. */
#ifndef CHURN_TRANSIT_FIRST
#define CHURN_TRANSIT_FIRST 0
#endif
#ifndef CHURN_TRANSIT_ROWS
#define CHURN_TRANSIT_ROWS 40
#endif
START_TEST(random_churn_transit)
{
	uint64_t st = 0x7a5e0000u + (uint64_t)_i;
	struct net *net = net_new(8, both_cfgs[_i % 2]);

	net->steps = net->shuffle = true;
	net->shuffle_st = 0xd15c0000u + (uint64_t)_i;
	for (int i = 0; i < 8; i++)
		for (int j = i + 1; j < 8; j++)
			if (rnd(&st) % 3 == 0)
				link_up(net, i, j, 1 + rnd(&st) % 100);
	deliver_some(net, rnd(&st) % 64);
	for (int step = 0; step < 300; step++) {
		churn_step(net, &st);
		if (rnd(&st) % 2)
			deliver_some(net, rnd(&st) % (queued(net) + 8));
		else
			settle_for(net, CHURN_SECONDS);
	}
	settle_for(net, CHURN_SECONDS);
	net_free(net);
}
END_TEST

static Suite *route_suite(void)
{
	Suite *s = suite_create("route");
	TCase *tn = tcase_create("network");
	TCase *tf = tcase_create("feasibility");
	TCase *tm = tcase_create("metrics");
	TCase *td = tcase_create("digest");
	TCase *tc = tcase_create("churn");

	tcase_set_timeout(tn, 120);
	tcase_add_loop_test(tn, line_converges, 0, 2);
	tcase_add_loop_test(tn, ring_cut_and_restore, 0, 12);
	tcase_add_loop_test(tn, withdrawal, 0, 2);
	tcase_add_loop_test(tn, anycast, 0, 2);
	tcase_add_loop_test(tn, node_killed, 0, 10);
	tcase_add_test(tn, source_gc);
	tcase_add_test(tn, own_origin_ignored);
	tcase_add_loop_test(tn, restart_after_noticed, 0, 2);
	tcase_add_loop_test(tn, restart_at_once, 0, 2);
	tcase_add_loop_test(tn, hook_closes_link, 0, 2);
	tcase_add_loop_test(tn, big_table, 0, 2);
	tcase_add_loop_test(tn, longest_match, 0, 2);
	suite_add_tcase(s, tn);
	tcase_add_loop_test(tf, feasibility, 0, N_OF(feas_rows));
	tcase_add_loop_test(tf, seqno_request_recovery, 0, 4);
	tcase_add_test(tf, own_seqno_echo);
	suite_add_tcase(s, tf);
	tcase_add_test(tm, damping);
	tcase_add_loop_test(tm, hysteresis, 0, 6);
	tcase_add_loop_test(tm, multipath, 0, 5);
	tcase_add_test(tm, multipath_flows_stay);
	suite_add_tcase(s, tm);
	tcase_set_timeout(td, 60);
	tcase_add_loop_test(td, digest_quiet, 0, 4);
	tcase_add_loop_test(td, digest_repairs_lost_route, 0, 2);
	tcase_add_loop_test(td, digest_repairs_lost_frame, 0, 4);
	suite_add_tcase(s, td);
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, random_churn, CHURN_FIRST, CHURN_ROWS);
	tcase_add_loop_test(tc, random_churn_transit, CHURN_TRANSIT_FIRST, CHURN_TRANSIT_ROWS);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc;

	log_level = LL_ERR;	/* the digest scenarios warn on purpose */
	/* CHECK_ROUTE_STEPS=0: settle in batches, checked only once settled
	 * (random_churn_transit keeps its steps) */
	if (getenv("CHECK_ROUTE_STEPS") && !strcmp(getenv("CHECK_ROUTE_STEPS"), "0"))
		steps_default = false;
	rc = check_run(route_suite());
	/* with CK_FORK=no these add up every test */
	if (getenv("CHECK_ROUTE_STATS"))
		fprintf(stderr, "check_loops: %llu (%llu destinations), frames delivered: %llu\n",
			(unsigned long long)loop_checks_total, (unsigned long long)loop_dests_total,
			(unsigned long long)delivered_total);
	return rc;
}
