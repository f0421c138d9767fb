/*
 * fuzz_route.c - libFuzzer target for src/route.c and lib/routewire.c: the
 * input is what up to three neighbours send one node, mixed with the
 * events of its life (links, gates, costs, time), read as records:
 *
 *   frame:  u8 n (bit 7 clear): from neighbour n % 3
 *           u8 t: type FRAME_ROUTE + t % 5 (5..9)
 *           u16 len, len bytes of payload (cut at the end of the input)
 *   event:  u8 e (bit 7 set): event e & 7, u8 arg (see event())
 *
 * rt_flush runs after every record.  A frame the node refuses closes that
 * link, as the daemon does.  Every ROUTE payload that decodes must
 * re-encode with rw_writer (same flags, groups merged) to no more bytes
 * and decode to the same entries; SEQREQ, DIGEST and ROUTE_REQ payloads
 * must re-encode to the same bytes; every frame the node sends must
 * decode; and after every record the table must keep its invariants:
 * a reachable remote source has a feasible route from a live neighbour
 * and a next hop, multipath never returns the excluded neighbour.
 * Anything else abort()s.
 */
#include "config.h"
#include "frame.h"
#include "log.h"
#include "route.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NNB 3
#define ENTRIES_MAX (FRAME_MAX_PAYLOAD / 11 + 1)	/* an entry takes >= 11 bytes */

static void check(bool ok)
{
	if (!ok)
		abort();
}

static const char *const nb_names[NNB] = { "nb0", "nb1", "nb2" };
static const char *const prefixes[] = {
	"ipv4:10.0.0.0/8", "ipv4:10.1.0.0/16", "ipv4:10.1.2.3", "ipv4:*",
	"ipv6:fd00::/8", "ether:02:00:00:00:00:01", "chat:alice", "p513.2:0a0b00/20",
};
#define NPREFIXES (sizeof(prefixes) / sizeof(prefixes[0]))

struct state {
	struct rt *rt;
	struct rt_neigh *nb[NNB];
	uint64_t now;
	int close_on_send;		/* the hook closes this link; -1: none */
	uint64_t bytes;
	uint8_t last_route[FRAME_MAX_PAYLOAD];
	size_t last_route_len;
};

static struct rw_entry entries[ENTRIES_MAX];

static int slot_of(const struct state *st, const struct rt_neigh *nb)
{
	for (int i = 0; i < NNB; i++)
		if (st->nb[i] == nb)
			return i;
	return -1;
}

/* What the node sends must be what its peers accept. */
static void on_send(void *arg, struct rt_neigh *nb, uint8_t type, const uint8_t *p, size_t len)
{
	struct state *st = arg;
	struct rw_reader r;
	struct rw_seqreq q;
	struct rw_digest d;
	struct rw_entry e;
	int slot = slot_of(st, nb);

	check(slot >= 0 && !nb->dead && len <= FRAME_MAX_PAYLOAD);
	st->bytes += len;
	switch (type) {
	case FRAME_ROUTE:
		check(rw_route_decode(p, len, &r));
		while (rw_route_next(&r, &e))
			check(prefix_valid(&e.p));
		memcpy(st->last_route, p, len);
		st->last_route_len = len;
		break;
	case FRAME_SEQREQ:
		check(rw_seqreq_decode(p, len, &q) && strcmp(q.origin, "self") != 0);
		break;
	case FRAME_DIGEST:
		check(rw_digest_decode(p, len, &d));
		break;
	case FRAME_ROUTE_REQ:
		check(rw_route_req_decode(p, len));
		break;
	default:
		abort();
	}
	if (st->close_on_send == slot) {
		st->close_on_send = -1;
		rt_neigh_del(st->rt, nb);
		st->nb[slot] = NULL;
	}
}

static bool entry_same(const struct rw_entry *x, const struct rw_entry *y)
{
	return !strcmp(x->origin, y->origin) && x->seqno == y->seqno &&
	       x->metric == y->metric && prefix_equal(&x->p, &y->p);
}

/* A ROUTE payload that decodes, written again: same entries, no longer. */
static void check_route_roundtrip(const uint8_t *p, size_t len)
{
	static uint8_t out[FRAME_MAX_PAYLOAD + RW_GROUP_HDR_MAX + RW_ENTRY_MAX];
	struct rw_writer w;
	struct rw_reader r;
	struct rw_entry e;
	size_t n = 0;

	if (!rw_route_decode(p, len, &r))
		return;
	check(!(r.flags & ~(RW_FULL_BEGIN | RW_FULL_END)));
	while (rw_route_next(&r, &entries[n])) {
		check(n < ENTRIES_MAX && prefix_valid(&entries[n].p));
		check(node_name_valid(entries[n].origin, strlen(entries[n].origin)));
		n++;
	}
	check(r.left == 0 && !rw_route_next(&r, &e));
	rw_route_begin(&w, out, sizeof(out), r.flags);
	for (size_t i = 0; i < n; i++)
		check(rw_route_add(&w, &entries[i]));
	check(rw_route_len(&w) <= len && rw_route_empty(&w) == (n == 0));
	check(rw_route_decode(out, rw_route_len(&w), &r) && r.flags == p[0]);
	for (size_t i = 0; i < n; i++)
		check(rw_route_next(&r, &e) && entry_same(&e, &entries[i]));
	check(!rw_route_next(&r, &e));
}

static void check_other_roundtrip(uint8_t type, const uint8_t *p, size_t len)
{
	uint8_t out[RW_GROUP_HDR_MAX];
	struct rw_seqreq q;
	struct rw_digest d;

	switch (type) {
	case FRAME_SEQREQ:
		if (rw_seqreq_decode(p, len, &q))
			check(rw_seqreq_encode(out, sizeof(out), &q) == len && !memcmp(out, p, len));
		break;
	case FRAME_DIGEST:
		if (rw_digest_decode(p, len, &d))
			check(rw_digest_encode(out, sizeof(out), &d) == len && !memcmp(out, p, len));
		break;
	case FRAME_ROUTE_REQ:
		if (rw_route_req_decode(p, len))
			check(len == RW_ROUTE_REQ_LEN && p[0] == 0);
		break;
	}
}

static bool feasible_now(const struct rt_source *s, const struct rt_route *r)
{
	return !s->fd_valid || seqno_newer(r->seqno, s->fd_seqno) ||
	       (r->seqno == s->fd_seqno && r->metric < s->fd_metric);
}

static bool neigh_live(const struct rt *rt, const struct rt_neigh *nb)
{
	const struct rt_neigh *x;

	TAILQ_FOREACH(x, &rt->neighs, entry)
		if (x == nb)
			return !x->dead;
	return false;
}

/* The table's promises, after every record. */
static void check_table(const struct state *st)
{
	const struct rt *rt = st->rt;
	const struct rt_source *s;
	struct rt_neigh *nbs[8];
	unsigned w[8], nsources = 0;

	TAILQ_FOREACH(s, &rt->sources, entry) {
		nsources++;
		check(!s->local || s->origin == rt->self);
		check(s->origin != rt->self || s->nroutes == 0);
		for (unsigned i = 0; i < s->nroutes; i++)
			check(neigh_live(rt, s->routes[i].nb) && s->routes[i].metric != RT_METRIC_INF);
		if (!s->reachable || s->local) {
			check(!s->reachable || (s->metric == 0 && !s->sel));
			check(!rt_next_hop(rt, s, 1, NULL, true) && !rt_next_hop(rt, s, 1, NULL, false));
			continue;
		}
		const struct rt_route *sel = NULL;
		for (unsigned i = 0; i < s->nroutes; i++)
			if (s->routes[i].nb == s->sel)
				sel = &s->routes[i];
		check(sel && feasible_now(s, sel) && s->seqno == sel->seqno);
		check(s->metric != RT_METRIC_INF && s->metric >= sel->metric);
		size_t n = rt_successors(rt, s, nbs, w, 8);
		check(n >= 1 && n <= s->nroutes);
		for (size_t i = 0; i < n; i++)
			check(w[i] >= 1 && w[i] <= 1024);
		for (uint32_t h = 0; h < 4; h++) {
			struct rt_neigh *x = rt_next_hop(rt, s, h * 0x40000001u, nbs[0], true);
			check(x != nbs[0] && (x || n == 1));
		}
		check(rt_next_hop(rt, s, 0, NULL, false) == s->sel);
	}
	check(nsources == rt->nsources);
}

static void neigh_add(struct state *st, int i, uint32_t cost)
{
	if (st->nb[i])
		return;
	st->nb[i] = rt_neigh_add(st->rt, nb_names[i], cost, NULL, st->now);
	check(st->nb[i] != NULL);
}

/* Events: 0/1 add/remove a gate prefix, 2/3 close/open a link, 4 time
 * passes (rt_tick), 5 a link's cost, 6 configuration or a link closed
 * from inside the send hook, 7 the node's last ROUTE frame comes back
 * from a neighbour. */
static void event(struct state *st, unsigned e, uint8_t arg)
{
	struct prefix p;
	struct rt_config cfg = RT_CONFIG_DEFAULT;
	int i = arg % NNB;

	switch (e) {
	case 0:
	case 1:
		check(prefix_parse(prefixes[arg % NPREFIXES], &p));
		if (e == 0)
			check(rt_local_add(st->rt, &p));
		else
			rt_local_del(st->rt, &p);
		break;
	case 2:
		if (st->nb[i])
			rt_neigh_del(st->rt, st->nb[i]);
		st->nb[i] = NULL;
		break;
	case 3:
		neigh_add(st, i, (uint32_t)arg * 37);
		break;
	case 4:
		st->now += (uint64_t)arg * 250;
		rt_tick(st->rt, st->now);
		break;
	case 5:
		if (st->nb[i])
			rt_neigh_cost(st->rt, st->nb[i], (uint32_t)arg * arg * 1000);
		break;
	case 6:
		if (arg & 0x80) {
			st->close_on_send = i;
			break;
		}
		cfg.hysteresis_pct = arg % 50;
		cfg.damping_pct = (arg / 2) % 50;
		cfg.stretch_pct = 100 + arg;
		cfg.digest_ms = arg & 1 ? 0 : 1000;
		cfg.source_gc_ms = (uint64_t)arg * 100;
		rt_set_config(st->rt, &cfg);
		break;
	default:
		if (st->nb[i] && st->last_route_len &&
		    !rt_recv(st->rt, st->nb[i], FRAME_ROUTE, st->last_route, st->last_route_len,
			     st->now))
			abort();	/* our own frames always decode */
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state st;
	struct rt_config cfg = RT_CONFIG_DEFAULT;
	struct rt_hooks hooks = { .arg = &st, .send = on_send };
	size_t off = 0;

	log_level = LL_ERR;	/* drift warnings are expected here */
	memset(&st, 0, offsetof(struct state, last_route));
	st.last_route_len = 0;
	st.close_on_send = -1;
	st.now = 1000000;
	cfg.digest_ms = 5000;
	st.rt = rt_new("self", &cfg, &hooks);
	check(st.rt != NULL);
	for (int i = 0; i < NNB; i++)
		neigh_add(&st, i, 10 * (uint32_t)(i + 1));
	rt_flush(st.rt, st.now);
	while (off + 2 <= size) {
		uint8_t a = data[off], b = data[off + 1];

		off += 2;
		if (a & 0x80) {
			event(&st, a & 7, b);
		} else if (off + 2 <= size) {
			uint8_t type = (uint8_t)(FRAME_ROUTE + b % 5);
			size_t len = wire_get16(data + off), i = a % NNB;
			uint8_t *p;

			off += 2;
			if (len > size - off)
				len = size - off;
			p = malloc(len ? len : 1);	/* exact size: an overread is caught */
			check(p != NULL);
			memcpy(p, data + off, len);
			off += len;
			if (type == FRAME_ROUTE)
				check_route_roundtrip(p, len);
			else
				check_other_roundtrip(type, p, len);
			if (type == FRAME_DATA) {
				/* 6 is not a routing frame: rt_recv refuses it */
				if (st.nb[i])
					check(!rt_recv(st.rt, st.nb[i], type, p, len, st.now));
			} else if (st.nb[i] && !rt_recv(st.rt, st.nb[i], type, p, len, st.now)) {
				rt_neigh_del(st.rt, st.nb[i]);	/* malformed: the link closes */
				st.nb[i] = NULL;
			}
			free(p);
		} else {
			break;
		}
		rt_flush(st.rt, st.now);
		check_table(&st);
	}
	rt_free(st.rt);
	return 0;
}
