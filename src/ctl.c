/*
 * ctl.c - control socket server (see ctl.h).
 *
 * Each client gets CTL_TIMEOUT_S to send its line and read the reply; at
 * most CTL_MAX_CLIENTS at once.  The socket file is mode 0600 (unixsock.c
 * replaces a stale one, never a live one).
 */
#include "config.h"
#include "ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlproto.h"
#include "fwd.h"
#include "gate_srv.h"
#include "link.h"
#include "log.h"
#include "peer.h"
#include "strbuf.h"
#include "tls.h"
#include "udp.h"
#include "unixsock.h"

#define CTL_TIMEOUT_S 5.
#define CTL_MAX_CLIENTS 16

struct ctl_client {
	struct ctl_client *next;
	struct ctl *ctl;
	int fd;
	ev_io io;
	ev_timer timer;
	char in[CTL_LINE_MAX + 2];	/* one more than a request may be */
	size_t inlen;
	struct strbuf out;
	size_t outoff;
	bool replying;
};

struct ctl {
	struct cloud *cloud;
	int fd;
	ev_io io;
	ev_timer pause;		/* accept() ran out of fds */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_client *clients;
	int nclients;
};

static void client_free(struct ctl_client *c)
{
	struct ctl *ctl = c->ctl;
	struct ctl_client **pp;

	for (pp = &ctl->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	ev_io_stop(ctl->cloud->loop, &c->io);
	ev_timer_stop(ctl->cloud->loop, &c->timer);
	close(c->fd);
	sb_free(&c->out);
	ctl->nclients--;
	free(c);
}

/* ---------------------------------------------------------------- replies */

static void reply_status(struct cloud *cl, struct strbuf *sb, bool json)
{
	struct listener *ls;
	struct connector *c;
	struct link *l;
	unsigned up = 0;
	double uptime = ev_now(cl->loop) - cl->started;

	TAILQ_FOREACH(l, &cl->links, entry)
		up += l->state == LINK_UP;
	if (!json) {
		sb_printf(sb, "node %s (cloudvpn %s, pid %d), up %.0fs\n", cl->name, PACKAGE_VERSION,
			  (int)getpid(), uptime);
		sb_printf(sb, "links: %u up, %u in total\n", up, cl->nlinks);
		TAILQ_FOREACH(ls, &cl->listeners, entry)
			sb_printf(sb, "listen %s\n", ls->addr_str);
		TAILQ_FOREACH(c, &cl->connectors, entry)
			sb_printf(sb, "connect %s: %s%s%s%s%s%s\n", c->target, connector_state_name(c->state),
				  c->peer[0] ? " (peer " : "", c->peer, c->peer[0] ? ")" : "",
				  c->last_error[0] && c->state != CONN_UP ? ", last error: " : "",
				  c->last_error[0] && c->state != CONN_UP ? c->last_error : "");
		sb_printf(sb, "gates: %u attached; packets: %llu forwarded, %llu unroutable, "
			  "%llu dropped (queue full), %llu too big, %llu spoofed source\n", cl->ngates,
			  (unsigned long long)cl->cnt.pkt_forwarded,
			  (unsigned long long)cl->cnt.pkt_unroutable,
			  (unsigned long long)cl->cnt.pkt_queue_full,
			  (unsigned long long)cl->cnt.pkt_too_big,
			  (unsigned long long)cl->cnt.pkt_spoofed);
		sb_printf(sb, "counters: links_opened %llu, links_closed %llu, connect_failures %llu, "
			  "handshake_failures %llu, cert_rejected %llu, protocol_errors %llu, "
			  "duplicates %llu\n",
			  (unsigned long long)cl->cnt.links_opened, (unsigned long long)cl->cnt.links_closed,
			  (unsigned long long)cl->cnt.connect_failures,
			  (unsigned long long)cl->cnt.handshake_failures,
			  (unsigned long long)cl->cnt.cert_rejected,
			  (unsigned long long)cl->cnt.protocol_errors,
			  (unsigned long long)cl->cnt.duplicates);
		sb_printf(sb, "forwarding: %llu relayed, %llu TTL expired, %llu looped, broadcast "
			  "%llu duplicates, %llu from unknown nodes\n",
			  (unsigned long long)cl->cnt.pkt_relayed,
			  (unsigned long long)cl->cnt.pkt_ttl_expired,
			  (unsigned long long)cl->cnt.pkt_looped,
			  (unsigned long long)cl->cnt.bcast_duplicates,
			  (unsigned long long)cl->cnt.bcast_unknown_origin);
		ctl_routing_status(cl, sb, false);
		ctl_udp_status(cl, sb, false);
		return;
	}
	sb_puts(sb, "{\"name\":");
	sb_json_str(sb, cl->name);
	sb_printf(sb, ",\"version\":\"%s\",\"pid\":%d,\"uptime_s\":%.3f,\"links_up\":%u,"
		  "\"links_total\":%u,\"listen\":[", PACKAGE_VERSION, (int)getpid(), uptime, up,
		  cl->nlinks);
	TAILQ_FOREACH(ls, &cl->listeners, entry) {
		sb_puts(sb, ls == TAILQ_FIRST(&cl->listeners) ? "" : ",");
		sb_json_str(sb, ls->addr_str);
	}
	sb_puts(sb, "],\"connect\":[");
	TAILQ_FOREACH(c, &cl->connectors, entry) {
		const char *st = connector_state_name(c->state);
		if (c->state == CONN_CONNECTING && c->link && c->link->state != LINK_TCP_CONNECTING)
			st = "handshake";
		sb_puts(sb, c == TAILQ_FIRST(&cl->connectors) ? "{\"target\":" : ",{\"target\":");
		sb_json_str(sb, c->target);
		sb_puts(sb, ",\"peer\":");
		sb_json_str(sb, c->peer);
		sb_printf(sb, ",\"state\":\"%s\",\"last_error\":", st);
		sb_json_str(sb, c->last_error);
		sb_puts(sb, "}");
	}
	sb_printf(sb, "],\"counters\":{\"links_opened\":%llu,\"links_closed\":%llu,"
		  "\"connect_failures\":%llu,\"handshake_failures\":%llu,\"cert_rejected\":%llu,\"protocol_errors\":%llu,"
		  "\"duplicates\":%llu,\"gates_refused\":%llu,\"gate_errors\":%llu,"
		  "\"pkt_forwarded\":%llu,\"pkt_unroutable\":%llu,\"pkt_queue_full\":%llu,"
		  "\"pkt_too_big\":%llu,\"pkt_spoofed\":%llu,\"pkt_ttl_expired\":%llu,"
		  "\"pkt_relayed\":%llu,\"pkt_looped\":%llu,\"bcast_duplicates\":%llu,"
		  "\"bcast_unknown_origin\":%llu},\"gates\":%u",
		  (unsigned long long)cl->cnt.links_opened, (unsigned long long)cl->cnt.links_closed,
		  (unsigned long long)cl->cnt.connect_failures,
		  (unsigned long long)cl->cnt.handshake_failures,
		  (unsigned long long)cl->cnt.cert_rejected,
		  (unsigned long long)cl->cnt.protocol_errors,
		  (unsigned long long)cl->cnt.duplicates,
		  (unsigned long long)cl->cnt.gates_refused, (unsigned long long)cl->cnt.gate_errors,
		  (unsigned long long)cl->cnt.pkt_forwarded, (unsigned long long)cl->cnt.pkt_unroutable,
		  (unsigned long long)cl->cnt.pkt_queue_full, (unsigned long long)cl->cnt.pkt_too_big,
		  (unsigned long long)cl->cnt.pkt_spoofed, (unsigned long long)cl->cnt.pkt_ttl_expired,
		  (unsigned long long)cl->cnt.pkt_relayed, (unsigned long long)cl->cnt.pkt_looped,
		  (unsigned long long)cl->cnt.bcast_duplicates,
		  (unsigned long long)cl->cnt.bcast_unknown_origin, cl->ngates);
	ctl_routing_status(cl, sb, true);
	ctl_udp_status(cl, sb, true);
	sb_puts(sb, "}\n");
}

static void reply_links(struct cloud *cl, struct strbuf *sb, bool json)
{
	struct link *l;
	double now = ev_now(cl->loop);
	bool first = true;

	if (!json)
		sb_printf(sb, "%-16s %-28s %-3s %-10s %10s %8s\n", "PEER", "ADDRESS", "DIR", "STATE",
			  "RTT", "UP");
	else
		sb_puts(sb, "{\"links\":[");
	TAILQ_FOREACH(l, &cl->links, entry) {
		const char *state = l->state == LINK_UP ? "up" :
				    l->state == LINK_CLOSING ? "closing" : "handshake";
		double up = l->up_since > 0 ? now - l->up_since : 0;
		if (!json) {
			char rtt[32] = "-";
			if (l->srtt_us)
				snprintf(rtt, sizeof(rtt), "%.2fms", (double)l->srtt_us / 1000.);
			sb_printf(sb, "%-16s %-28s %-3s %-10s %10s %7.0fs\n",
				  l->peer.name[0] ? l->peer.name : "-", l->addr_str,
				  l->outgoing ? "out" : "in", state, rtt, up);
			continue;
		}
		sb_printf(sb, "%s{\"id\":%u,\"peer\":", first ? "" : ",", l->id);
		first = false;
		sb_json_str(sb, l->peer.name);
		sb_puts(sb, ",\"address\":");
		sb_json_str(sb, l->addr_str);
		sb_printf(sb, ",\"direction\":\"%s\",\"state\":\"%s\",\"rtt_ms\":",
			  l->outgoing ? "out" : "in", state);
		if (l->srtt_us)
			sb_printf(sb, "%.3f", (double)l->srtt_us / 1000.);
		else
			sb_puts(sb, "null");
		sb_printf(sb, ",\"up_s\":%.3f,\"tx_bytes\":%llu,\"rx_bytes\":%llu,\"auth\":\"%s\"}", up,
			  (unsigned long long)l->tx_bytes, (unsigned long long)l->rx_bytes,
			  l->creds->mode == TLS_X509 ? "x509" : "rawpk");
	}
	if (json)
		sb_puts(sb, "]}\n");
}

static void reply_gates(struct cloud *cl, struct strbuf *sb, bool json)
{
	struct gate *g;
	char text[ADDR_TEXT_MAX];

	if (!json)
		sb_printf(sb, "%-4s %-12s %-8s %-6s %-3s %10s %10s %8s  %s\n", "ID", "NAME", "PID",
			  "UID", "DEV", "RX", "TX", "DROPPED", "PREFIXES");
	else
		sb_puts(sb, "{\"gates\":[");
	TAILQ_FOREACH(g, &cl->gates, entry) {
		if (!json) {
			sb_printf(sb, "%-4u %-12s %-8d %-6d %-3s %10llu %10llu %8llu ", g->id,
				  g->name[0] ? g->name : "-", (int)g->pid, (int)g->uid,
				  g->dev.fd >= 0 ? "yes" : "no",
				  (unsigned long long)g->rx_packets, (unsigned long long)g->tx_packets,
				  (unsigned long long)g->tx_dropped);
			for (size_t i = 0; i < g->nowned; i++) {
				prefix_format(&g->owned[i], text, sizeof(text));
				sb_printf(sb, " %s", text);
			}
			sb_putc(sb, '\n');
			continue;
		}
		sb_printf(sb, "%s{\"id\":%u,\"name\":", g == TAILQ_FIRST(&cl->gates) ? "" : ",", g->id);
		sb_json_str(sb, g->name);
		sb_printf(sb, ",\"pid\":%d,\"uid\":%d,\"prefixes\":[", (int)g->pid, (int)g->uid);
		for (size_t i = 0; i < g->nowned; i++) {
			prefix_format(&g->owned[i], text, sizeof(text));
			sb_puts(sb, i ? "," : "");
			sb_json_str(sb, text);
		}
		sb_printf(sb, "],\"rx_packets\":%llu,\"tx_packets\":%llu,\"rx_bytes\":%llu,"
			  "\"tx_bytes\":%llu,\"tx_dropped\":%llu,\"unroutable\":%llu,\"device\":",
			  (unsigned long long)g->rx_packets, (unsigned long long)g->tx_packets,
			  (unsigned long long)g->rx_bytes, (unsigned long long)g->tx_bytes,
			  (unsigned long long)g->tx_dropped, (unsigned long long)g->unroutable);
		if (g->dev.fd < 0) {
			sb_puts(sb, "null}");
			continue;
		}
		sb_printf(sb, "{\"mtu\":%u,\"rx\":%llu,\"tx\":%llu,\"to_gate\":%llu,"
			  "\"refused\":%llu,\"tx_failed\":%llu,\"mss_clamped\":%llu,"
			  "\"tcp_runs\":%s,\"joined_writes\":%llu,\"joined_segments\":%llu}}",
			  g->dev.mtu, (unsigned long long)g->dev.rx,
			  (unsigned long long)g->dev.tx, (unsigned long long)g->dev.slow,
			  (unsigned long long)g->dev.bad, (unsigned long long)g->dev.tx_failed,
			  (unsigned long long)g->dev.mss_clamped, g->dev.gro ? "true" : "false",
			  (unsigned long long)g->dev.gro_writes,
			  (unsigned long long)g->dev.gro_segs);
	}
	if (json)
		sb_puts(sb, "]}\n");
}

static void reply_log_level(const struct ctl_req *r, struct strbuf *sb)
{
	int level;
	char spec[128];

	if (r->argc < 1 || r->argc > 2 || !log_parse_level(r->argv[0], &level)) {
		sb_puts(sb, "error: usage: log-level error|warning|info|debug [SUBSYS,...|all|none]\n");
		return;
	}
	if (r->argc == 2 && !log_set_debug(r->argv[1])) {
		sb_printf(sb, "error: unknown debug subsystem in '%s' "
			  "(core, conf, link, route, gate, ctl, nat, data, all, none)\n", r->argv[1]);
		return;
	}
	log_level = level;
	log_debug_spec(spec, sizeof(spec));
	log_info(LOGS_CTL, "log level %s, debug %s (set by cloudctl)", log_level_name(level), spec);
	sb_printf(sb, "log level %s, debug %s\n", log_level_name(level), spec);
}

static void execute(struct cloud *cl, const struct ctl_req *r, struct strbuf *sb)
{
	char err[512] = "";

	log_dbg(LOGS_CTL, "request: %s%s", r->json ? "-json " : "", r->cmd);
	if (!strcmp(r->cmd, "status") && r->argc == 0) {
		reply_status(cl, sb, r->json);
	} else if (!strcmp(r->cmd, "links") && r->argc == 0) {
		reply_links(cl, sb, r->json);
	} else if (!strcmp(r->cmd, "gates") && r->argc == 0) {
		reply_gates(cl, sb, r->json);
	} else if (!strcmp(r->cmd, "routes") && r->argc == 0) {
		ctl_routes(cl, sb, r->json);
	} else if (!strcmp(r->cmd, "nodes") && r->argc == 0) {
		ctl_nodes(cl, sb, r->json);
	} else if (!strcmp(r->cmd, "paths") && r->argc == 0) {
		ctl_paths(cl, sb, r->json);
	} else if (!strcmp(r->cmd, "policy") && r->argc == 2) {
		int n = link_udp_set_policy(cl, r->argv[0], r->argv[1], err, sizeof(err));
		if (n < 0)
			sb_printf(sb, "error: %s\n", err);
		else if (r->json)
			sb_printf(sb, "{\"links\":%d,\"policy\":\"%s\"}\n", n, r->argv[1]);
		else
			sb_printf(sb, "policy %s on %d link%s\n", r->argv[1], n, n == 1 ? "" : "s");
	} else if (!strcmp(r->cmd, "dot") && r->argc == 0) {
		ctl_dot(cl, sb);
	} else if (!strcmp(r->cmd, "reload") && r->argc == 0) {
		err[0] = '\0';
		if (cloud_reload(cl, err, sizeof(err)) < 0)
			sb_printf(sb, "error: reload failed: %s\n", err);
		else
			sb_puts(sb, r->json ? "{\"reloaded\":true}\n" : "configuration reloaded\n");
	} else if (!strcmp(r->cmd, "log-level")) {
		reply_log_level(r, sb);
	} else {
		sb_printf(sb, "error: unknown command or wrong arguments: '%s' "
			  "(commands: status, links, gates, routes, nodes, dot, paths, policy, reload, "
			  "log-level)\n", r->cmd);
	}
}

/* ---------------------------------------------------------------- I/O */

static void client_write(struct ctl_client *c)
{
	while (c->outoff < c->out.len) {
		ssize_t n = write(c->fd, c->out.buf + c->outoff, c->out.len - c->outoff);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			break;
		}
		c->outoff += (size_t)n;
	}
	client_free(c);
}

static void client_request(struct ctl_client *c)
{
	struct ctl_req req;
	char why[128];

	c->replying = true;
	if (!ctl_parse_request(c->in, c->inlen, &req, why, sizeof(why)))
		sb_printf(&c->out, "error: bad request: %s\n", why);
	else
		execute(c->ctl->cloud, &req, &c->out);
	if (c->out.oom) {
		sb_reset(&c->out);
		c->out.oom = false;
		sb_puts(&c->out, "error: out of memory\n");
	}
	ev_io_stop(c->ctl->cloud->loop, &c->io);
	ev_io_set(&c->io, c->fd, EV_WRITE);
	ev_io_start(c->ctl->cloud->loop, &c->io);
	client_write(c);
}

static void client_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *c = (struct ctl_client *)((char *)w - offsetof(struct ctl_client, io));

	if (c->replying) {
		client_write(c);
		return;
	}
	for (;;) {
		ssize_t n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			client_free(c);
			return;
		}
		c->inlen += (size_t)n;
		char *nl = memchr(c->in, '\n', c->inlen);
		if (nl || n == 0 || c->inlen == sizeof(c->in) - 1) {
			if (nl)
				c->inlen = (size_t)(nl - c->in) + 1;
			if (c->inlen == 0) {
				client_free(c);	/* connected and left */
				return;
			}
			client_request(c);
			return;
		}
	}
}

static void client_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	client_free((struct ctl_client *)((char *)w - offsetof(struct ctl_client, timer)));
}

static void ctl_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl *ctl = (struct ctl *)((char *)w - offsetof(struct ctl, io));

	for (;;) {
		int fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				/* out of fds: pause rather than spin */
				log_warn(LOGS_CTL, "control socket: accept: %s", strerror(errno));
				ev_io_stop(loop, &ctl->io);
				ev_timer_start(loop, &ctl->pause);
			}
			return;
		}
		struct ctl_client *c = ctl->nclients < CTL_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			log_warn(LOGS_CTL, "control socket: too many clients, refusing one");
			close(fd);
			continue;
		}
		c->ctl = ctl;
		c->fd = fd;
		sb_init(&c->out);
		ev_io_init(&c->io, client_cb, fd, EV_READ);
		ev_io_start(loop, &c->io);
		ev_timer_init(&c->timer, client_timeout_cb, CTL_TIMEOUT_S, 0.);
		ev_timer_start(loop, &c->timer);
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->nclients++;
	}
}

static void ctl_resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl *ctl = (struct ctl *)((char *)w - offsetof(struct ctl, pause));

	ev_io_start(loop, &ctl->io);
}

int ctl_open(struct cloud *cl, const char *path, char *err, size_t errlen)
{
	struct ctl *ctl;
	char why[300];
	int fd;

	if (strlen(path) >= sizeof(ctl->path)) {
		snprintf(err, errlen, "ctl '%s': path too long", path);
		return -ENAMETOOLONG;
	}
	fd = unix_listen(path, SOCK_STREAM, 0600, (uid_t)-1, (gid_t)-1, 16, why, sizeof(why));
	if (fd < 0) {
		snprintf(err, errlen, "ctl %s", why);
		return fd;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl) {
		close(fd);
		unlink(path);
		return -ENOMEM;
	}
	ctl->cloud = cl;
	ctl->fd = fd;
	memcpy(ctl->path, path, strlen(path) + 1);
	ev_io_init(&ctl->io, ctl_accept_cb, fd, EV_READ);
	ev_io_start(cl->loop, &ctl->io);
	ev_timer_init(&ctl->pause, ctl_resume_cb, 0.1, 0.);
	cl->ctl = ctl;
	log_info(LOGS_CTL, "control socket %s", path);
	return 0;
}

void ctl_close(struct cloud *cl)
{
	struct ctl *ctl = cl->ctl;

	if (!ctl)
		return;
	while (ctl->clients)
		client_free(ctl->clients);
	ev_io_stop(cl->loop, &ctl->io);
	ev_timer_stop(cl->loop, &ctl->pause);
	close(ctl->fd);
	if (unlink(ctl->path) < 0)
		log_dbg(LOGS_CTL, "cannot remove %s: %s", ctl->path, strerror(errno));
	free(ctl);
	cl->ctl = NULL;
}
