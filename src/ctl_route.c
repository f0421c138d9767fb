/*
 * ctl_route.c - the routing views of the control socket: `routes',
 * `nodes', `dot', and the routing part of `status' (see ctl.h).
 */
#include "config.h"
#include "ctl.h"

#include <stdio.h>
#include <string.h>

#include "gate_srv.h"
#include "link.h"
#include "route.h"
#include "router.h"
#include "strbuf.h"

#define NH_MAX 32

static bool is_node_prefix(const struct rt_source *s)
{
	return s->pfx->p.a.inst == NODE_INST && s->pfx->p.a.len == 0;
}

/* "b:512 c:512" or "[{"peer":"b","weight":512},...]" */
static void next_hops(struct cloud *cl, struct strbuf *sb, const struct rt_source *s, bool json)
{
	struct rt_neigh *nbs[NH_MAX];
	unsigned w[NH_MAX];
	size_t n = rt_successors(cl->rt, s, nbs, w, NH_MAX);

	if (json)
		sb_puts(sb, "[");
	for (size_t i = 0; i < n; i++) {
		if (json) {
			sb_puts(sb, i ? ",{\"peer\":" : "{\"peer\":");
			sb_json_str(sb, nbs[i]->name);
			sb_printf(sb, ",\"weight\":%u,\"selected\":%s}", w[i],
				  nbs[i] == s->sel ? "true" : "false");
		} else {
			sb_printf(sb, "%s%s%s:%u", i ? " " : "", nbs[i] == s->sel ? "*" : "",
				  nbs[i]->name, w[i]);
		}
	}
	if (json)
		sb_puts(sb, "]");
	else if (!n)
		sb_puts(sb, "-");
}

static void metric_ms(struct strbuf *sb, uint32_t m, bool json)
{
	if (m == RT_METRIC_INF)
		sb_puts(sb, json ? "null" : "inf");
	else
		sb_printf(sb, "%.3f", (double)m / 1000.);
}

void ctl_routes(struct cloud *cl, struct strbuf *sb, bool json)
{
	const struct rt_source *s;
	struct gate *g;
	char text[ADDR_TEXT_MAX], via[GATE_NAME_MAX + 16];
	bool first = true;

	if (!json)
		sb_printf(sb, "%-32s %-16s %10s %6s  %s\n", "PREFIX", "NODE", "METRIC(ms)", "SEQNO",
			  "VIA (* selected, :weight)");
	else
		sb_puts(sb, "{\"routes\":[");
	/* ours: one line per gate that owns the prefix */
	TAILQ_FOREACH(g, &cl->gates, entry) {
		for (size_t i = 0; i < g->nowned; i++) {
			prefix_format(&g->owned[i], text, sizeof(text));
			if (!json) {
				sb_printf(sb, "%-32s %-16s %10s %6u  gate %u (%s)\n", text, cl->name,
					  "0", cl->rt->self->seqno, g->id, g->name);
				continue;
			}
			sb_puts(sb, first ? "{\"prefix\":" : ",{\"prefix\":");
			first = false;
			sb_json_str(sb, text);
			sb_puts(sb, ",\"node\":");
			sb_json_str(sb, cl->name);
			sb_printf(sb, ",\"local\":true,\"metric_ms\":0,\"seqno\":%u,\"via\":",
				  cl->rt->self->seqno);
			snprintf(via, sizeof(via), "gate %u (%s)", g->id, g->name);
			sb_json_str(sb, via);
			sb_puts(sb, ",\"next_hops\":[]}");
		}
	}
	TAILQ_FOREACH(s, &cl->rt->sources, entry) {
		if (!s->reachable || s->local || is_node_prefix(s))
			continue;
		prefix_format(&s->pfx->p, text, sizeof(text));
		if (!json) {
			sb_printf(sb, "%-32s %-16s ", text, s->origin->name);
			sb_printf(sb, "%10.3f %6u  ", (double)s->metric / 1000., s->seqno);
			next_hops(cl, sb, s, false);
			sb_puts(sb, "\n");
			continue;
		}
		sb_puts(sb, first ? "{\"prefix\":" : ",{\"prefix\":");
		first = false;
		sb_json_str(sb, text);
		sb_puts(sb, ",\"node\":");
		sb_json_str(sb, s->origin->name);
		sb_puts(sb, ",\"local\":false,\"metric_ms\":");
		metric_ms(sb, s->metric, true);
		sb_printf(sb, ",\"seqno\":%u,\"via\":", s->seqno);
		sb_json_str(sb, s->sel ? s->sel->name : "");
		sb_puts(sb, ",\"next_hops\":");
		next_hops(cl, sb, s, true);
		sb_puts(sb, "}");
	}
	if (json)
		sb_puts(sb, "]}\n");
}

void ctl_nodes(struct cloud *cl, struct strbuf *sb, bool json)
{
	const struct rt_source *s;
	bool first = true;

	if (!json)
		sb_printf(sb, "%-16s %10s %6s %8s  %s\n", "NODE", "METRIC(ms)", "SEQNO", "PREFIXES",
			  "VIA (* selected, :weight)");
	else
		sb_puts(sb, "{\"nodes\":[");
	TAILQ_FOREACH(s, &cl->rt->sources, entry) {
		if (!is_node_prefix(s) || !s->reachable)
			continue;
		unsigned npfx = s->origin->nsources - 1;
		if (!json) {
			sb_printf(sb, "%-16s %10.3f %6u %8u  ", s->origin->name,
				  (double)s->metric / 1000., s->seqno, npfx);
			if (s->local)
				sb_puts(sb, "(this node)");
			else
				next_hops(cl, sb, s, false);
			sb_puts(sb, "\n");
			continue;
		}
		sb_puts(sb, first ? "{\"name\":" : ",{\"name\":");
		first = false;
		sb_json_str(sb, s->origin->name);
		sb_printf(sb, ",\"self\":%s,\"metric_ms\":", s->local ? "true" : "false");
		metric_ms(sb, s->metric, true);
		sb_printf(sb, ",\"seqno\":%u,\"prefixes\":%u,\"via\":", s->seqno, npfx);
		sb_json_str(sb, s->sel ? s->sel->name : "");
		sb_puts(sb, ",\"next_hops\":");
		next_hops(cl, sb, s, true);
		sb_puts(sb, "}");
	}
	if (json)
		sb_puts(sb, "]}\n");
}

/* Graphviz: this node, its links (solid, RTT), and every node it reaches
 * drawn from each next hop it uses toward it (dashed, metric). */
void ctl_dot(struct cloud *cl, struct strbuf *sb)
{
	const struct rt_source *s;
	struct link *l;
	struct rt_neigh *nbs[NH_MAX];
	unsigned w[NH_MAX];

	sb_puts(sb, "graph ");
	sb_json_str(sb, cl->name);
	sb_puts(sb, " {\n\tnode [shape=box];\n\t");
	sb_json_str(sb, cl->name);
	sb_puts(sb, " [style=bold];\n");
	TAILQ_FOREACH(l, &cl->links, entry) {
		if (l->state != LINK_UP)
			continue;
		sb_puts(sb, "\t");
		sb_json_str(sb, cl->name);
		sb_puts(sb, " -- ");
		sb_json_str(sb, l->peer.name);
		sb_printf(sb, " [label=\"%.2f ms\"];\n", (double)l->srtt_us / 1000.);
	}
	TAILQ_FOREACH(s, &cl->rt->sources, entry) {
		if (!is_node_prefix(s) || !s->reachable || s->local)
			continue;
		size_t n = rt_successors(cl->rt, s, nbs, w, NH_MAX);
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(nbs[i]->name, s->origin->name))
				continue;	/* a neighbour: its link is drawn */
			sb_puts(sb, "\t");
			sb_json_str(sb, nbs[i]->name);
			sb_puts(sb, " -- ");
			sb_json_str(sb, s->origin->name);
			sb_printf(sb, " [style=dashed, label=\"%.2f ms\"];\n", (double)s->metric / 1000.);
		}
	}
	sb_puts(sb, "}\n");
}

void ctl_routing_status(struct cloud *cl, struct strbuf *sb, bool json)
{
	const struct rt *rt = cl->rt;
	const struct rt_counters *c = &rt->cnt;
	unsigned reach = 0;
	const struct rt_source *s;

	TAILQ_FOREACH(s, &rt->sources, entry)
		reach += s->reachable && is_node_prefix(s);
	if (!json) {
		sb_printf(sb, "routing: %u nodes reachable, %u sources, %u neighbours; updates "
			  "%llu in, %llu out (%llu bytes); %llu unfeasible, seqno requests %llu in, "
			  "%llu out, digest mismatches %llu\n", reach, rt->nsources, rt->nneighs,
			  (unsigned long long)c->updates_rx, (unsigned long long)c->updates_tx,
			  (unsigned long long)c->bytes_tx, (unsigned long long)c->unfeasible,
			  (unsigned long long)c->seqreq_rx, (unsigned long long)c->seqreq_tx,
			  (unsigned long long)c->digest_mismatch);
		return;
	}
	sb_printf(sb, ",\"routing\":{\"nodes\":%u,\"sources\":%u,\"neighbours\":%u,\"seqno\":%u,"
		  "\"updates_rx\":%llu,\"updates_tx\":%llu,\"frames_tx\":%llu,\"bytes_tx\":%llu,"
		  "\"unfeasible\":%llu,\"seqreq_rx\":%llu,\"seqreq_tx\":%llu,"
		  "\"digest_rx\":%llu,\"digest_mismatch\":%llu,\"table_full\":%llu}",
		  reach, rt->nsources, rt->nneighs, rt->self->seqno,
		  (unsigned long long)c->updates_rx, (unsigned long long)c->updates_tx,
		  (unsigned long long)c->frames_tx, (unsigned long long)c->bytes_tx,
		  (unsigned long long)c->unfeasible, (unsigned long long)c->seqreq_rx,
		  (unsigned long long)c->seqreq_tx, (unsigned long long)c->digest_rx,
		  (unsigned long long)c->digest_mismatch, (unsigned long long)c->table_full);
}
