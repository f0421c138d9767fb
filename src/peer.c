/*
 * peer.c - listeners and connectors (see peer.h).
 *
 * A connector's life: WAITING --timer--> RESOLVING --addresses-->
 * CONNECTING (one link per address in turn) --link up--> UP.  When its link
 * goes away it waits (jittered backoff) and starts again.  When the peer is
 * already reachable through another link (the peer connected to us, and the
 * tie-break kept that one) the connector stays UP without a link of its own
 * until that link goes away.
 */
#include "config.h"
#include "peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link.h"
#include "log.h"
#include "options.h"
#include "resolve.h"

#define ACCEPT_PAUSE_S 0.1	/* listener pause when accept() runs out of fds */

#define HANDSHAKES_PER_ADDR 8	/* unauthenticated links from one address */

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
	return false;
}

/* Links whose peer has not authenticated yet: all of them, and those of
 * incoming links from the host `from'. */
static unsigned links_unauthenticated(struct cloud *cl, const struct sockaddr_storage *from,
				      unsigned *from_host)
{
	struct link *l;
	unsigned n = 0;

	*from_host = 0;
	TAILQ_FOREACH(l, &cl->links, entry) {
		if (l->state != LINK_HANDSHAKE && l->state != LINK_TCP_CONNECTING)
			continue;
		n++;
		if (!l->outgoing && same_host(&l->addr, from))
			(*from_host)++;
	}
	return n;
}

static bool host_port(const char *text, char *host, size_t hostlen, char *port, size_t portlen,
		      bool zero_ok)
{
	const char *sp = strrchr(text, ' '), *tab = strrchr(text, '\t');
	char *end;

	if (!sp || (tab && tab > sp))
		sp = tab;
	if (!sp)
		return false;
	const char *p = sp + 1;
	unsigned long n = strtoul(p, &end, 10);
	if (!*p || *end || (n == 0 && !zero_ok) || n > 65535 ||
	    strspn(p, "0123456789") != strlen(p))
		return false;

	size_t hl = (size_t)(sp - text);
	while (hl > 0 && (text[hl - 1] == ' ' || text[hl - 1] == '\t'))
		hl--;
	const char *h = text;
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= hostlen || memchr(h, ' ', hl) || memchr(h, '\t', hl))
		return false;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%lu", n);
	return true;
}

bool parse_host_port(const char *text, char *host, size_t hostlen, char *port, size_t portlen)
{
	return host_port(text, host, hostlen, port, portlen, false);
}

bool parse_host_port0(const char *text, char *host, size_t hostlen, char *port, size_t portlen)
{
	return host_port(text, host, hostlen, port, portlen, true);
}

void fmt_sockaddr(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "(family %d)", sa->sa_family);
	}
}

/* ---------------------------------------------------------------- listeners */

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *ls = (struct listener *)((char *)w - offsetof(struct listener, io));
	struct cloud *cl = ls->cloud;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char addr[64];
		int fd = accept4(ls->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				/* out of fds (or worse): a level-triggered listener would
				 * call us again at once, forever; pause it instead */
				log_warn(LOGS_LINK, "listener %s: accept: %s; pausing it for %.0f ms",
					 ls->addr_str, strerror(errno), ACCEPT_PAUSE_S * 1e3);
				ev_io_stop(loop, &ls->io);
				ev_timer_start(loop, &ls->pause);
			}
			return;
		}
		if (cl->stopping) {
			close(fd);
			continue;
		}
		unsigned from_host, unauth = links_unauthenticated(cl, &ss, &from_host);
		const char *why = cl->nlinks >= (unsigned)cl->set.max_conns ?
				  "max_connections links already" :
				  unauth >= (unsigned)cl->set.max_handshakes ?
				  "max_handshakes handshakes in progress already" :
				  from_host >= HANDSHAKES_PER_ADDR ?
				  "too many handshakes in progress from this address" : NULL;
		if (why) {
			fmt_sockaddr((struct sockaddr *)&ss, addr, sizeof(addr));
			log_warn(LOGS_LINK, "refusing link from %s: %s", addr, why);
			close(fd);
			continue;
		}
		link_new(cl, fd, (struct sockaddr *)&ss, len, false, false, NULL);
	}
}

static void accept_resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct listener *ls = (struct listener *)((char *)w - offsetof(struct listener, pause));

	ev_io_start(loop, &ls->io);
}

static const char *where(const struct conf_value *v, char *buf, size_t len)
{
	if (v->line)
		snprintf(buf, len, "%s:%d", v->file, v->line);
	else
		snprintf(buf, len, "%s", v->file);
	return buf;
}

static int listener_open(struct cloud *cl, const struct conf_value *v, char *err, size_t errlen)
{
	char host[256], port[16], at[300];
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
	}, *ai;
	bool any;
	int fd, r, one = 1, zero = 0;

	if (!parse_host_port(v->v.s, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, errlen, "%s: option 'listen': expected 'ADDR PORT', got '%s'",
			 where(v, at, sizeof(at)), v->v.s);
		return -EINVAL;
	}
	any = !strcmp(host, "*");
	r = getaddrinfo(any ? "::" : host, port, &hints, &ai);
	if (r) {
		snprintf(err, errlen, "%s: option 'listen': bad address '%s': %s",
			 where(v, at, sizeof(at)), host, gai_strerror(r));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && any) {		/* no IPv6 here: IPv4 only */
		freeaddrinfo(ai);
		r = getaddrinfo("0.0.0.0", port, &hints, &ai);
		if (r) {
			snprintf(err, errlen, "%s: listen: %s", where(v, at, sizeof(at)), gai_strerror(r));
			return -EINVAL;
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: listen '%s': socket: %s", where(v, at, sizeof(at)), v->v.s,
			 strerror(errno));
		freeaddrinfo(ai);
		return r;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, any ? &zero : &one, sizeof(int));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, cl->set.backlog) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: listen '%s': %s", where(v, at, sizeof(at)), v->v.s,
			 strerror(errno));
		close(fd);
		freeaddrinfo(ai);
		return r;
	}

	struct listener *ls = calloc(1, sizeof(*ls));
	if (!ls) {
		close(fd);
		freeaddrinfo(ai);
		return -ENOMEM;
	}
	ls->cloud = cl;
	ls->fd = fd;
	fmt_sockaddr(ai->ai_addr, ls->addr_str, sizeof(ls->addr_str));
	freeaddrinfo(ai);
	ev_io_init(&ls->io, accept_cb, fd, EV_READ);
	ev_io_start(cl->loop, &ls->io);
	ev_timer_init(&ls->pause, accept_resume_cb, ACCEPT_PAUSE_S, 0.);
	TAILQ_INSERT_TAIL(&cl->listeners, ls, entry);
	log_info(LOGS_LINK, "listening on %s", ls->addr_str);
	return 0;
}

int listeners_open(struct cloud *cl, char *err, size_t errlen)
{
	for (size_t i = 0; i < conf_count(cl->conf, OPT_LISTEN); i++) {
		int r = listener_open(cl, conf_get(cl->conf, OPT_LISTEN, i), err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

void listeners_close(struct cloud *cl)
{
	struct listener *ls;

	while ((ls = TAILQ_FIRST(&cl->listeners))) {
		ev_io_stop(cl->loop, &ls->io);
		ev_timer_stop(cl->loop, &ls->pause);
		close(ls->fd);
		TAILQ_REMOVE(&cl->listeners, ls, entry);
		free(ls);
	}
}

/* ---------------------------------------------------------------- connectors */

const char *connector_state_name(enum conn_state s)
{
	switch (s) {
	case CONN_WAITING: return "waiting";
	case CONN_RESOLVING: return "resolving";
	case CONN_CONNECTING: return "connecting";
	case CONN_UP: return "up";
	}
	return "?";
}

static void connector_start(struct connector *c);

static void wait_then_start(struct connector *c, uint64_t delay_us)
{
	struct cloud *cl = c->cloud;

	c->state = CONN_WAITING;
	ev_timer_stop(cl->loop, &c->timer);
	ev_timer_set(&c->timer, (double)delay_us / 1e6, 0.);
	ev_timer_start(cl->loop, &c->timer);
}

static void retry_later(struct connector *c)
{
	uint64_t d = backoff_next(&c->backoff, cloud_random32());

	if (c->ai) {
		freeaddrinfo(c->ai);
		c->ai = c->ai_next = NULL;
	}
	log_dbg(LOGS_LINK, "connect %s: next attempt in %.2fs", c->target, (double)d / 1e6);
	wait_then_start(c, d);
}

/* True when the peer is already reachable through some link. */
static bool served_elsewhere(struct connector *c)
{
	if (!c->peer[0] || !link_find_up(c->cloud, c->peer))
		return false;
	c->state = CONN_UP;
	ev_timer_stop(c->cloud->loop, &c->timer);
	return true;
}

static void try_next_address(struct connector *c)
{
	struct cloud *cl = c->cloud;

	while (c->ai_next) {
		struct addrinfo *ai = c->ai_next;
		char addr[64];
		int fd;

		c->ai_next = ai->ai_next;
		fmt_sockaddr(ai->ai_addr, addr, sizeof(addr));
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)) {
			snprintf(c->last_error, sizeof(c->last_error), "connect %s: %s", addr,
				 strerror(errno));
			log_info(LOGS_LINK, "connect %s: %s", c->target, c->last_error);
			if (fd >= 0)
				close(fd);
			continue;
		}
		c->state = CONN_CONNECTING;
		c->link = link_new(cl, fd, ai->ai_addr, ai->ai_addrlen, true, true, c);
		if (c->link)
			return;
	}
	retry_later(c);
}

static void resolved(void *arg, struct addrinfo *res, int gai_err)
{
	struct connector *c = arg;

	c->req = NULL;
	if (!res) {
		snprintf(c->last_error, sizeof(c->last_error), "cannot resolve '%s': %s", c->host,
			 gai_strerror(gai_err));
		log_warn(LOGS_LINK, "connect %s: %s", c->target, c->last_error);
		retry_later(c);
		return;
	}
	c->ai = c->ai_next = res;
	if (served_elsewhere(c)) {
		freeaddrinfo(c->ai);
		c->ai = c->ai_next = NULL;
		return;
	}
	try_next_address(c);
}

static void connector_start(struct connector *c)
{
	if (c->cloud->stopping || served_elsewhere(c))
		return;
	c->state = CONN_RESOLVING;
	c->req = resolve_start(c->host, c->port, resolved, c);
	if (!c->req) {
		snprintf(c->last_error, sizeof(c->last_error), "cannot start name lookup: %s",
			 strerror(errno));
		retry_later(c);
	}
}

static void connector_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	connector_start((struct connector *)((char *)w - offsetof(struct connector, timer)));
}

void connector_link_up(struct connector *c, struct link *l)
{
	c->state = CONN_UP;
	c->last_error[0] = '\0';
	snprintf(c->peer, sizeof(c->peer), "%s", l->peer.name);
	backoff_reset(&c->backoff);
	if (c->ai) {
		freeaddrinfo(c->ai);
		c->ai = c->ai_next = NULL;
	}
}

void connector_link_gone(struct connector *c, struct link *l, bool was_up, const char *why)
{
	c->link = NULL;
	if (l->peer.name[0])
		snprintf(c->peer, sizeof(c->peer), "%s", l->peer.name);
	if (c->cloud->stopping)
		return;
	if (served_elsewhere(c))
		return;
	if (was_up) {
		backoff_reset(&c->backoff);
		retry_later(c);
	} else if (c->ai_next) {
		try_next_address(c);
	} else {
		retry_later(c);
	}
}

void connectors_peer_up(struct cloud *cl, const char *name)
{
	struct connector *c;

	TAILQ_FOREACH(c, &cl->connectors, entry)
		if (c->state == CONN_WAITING && !strcmp(c->peer, name))
			served_elsewhere(c);
}

void connectors_peer_down(struct cloud *cl, const char *name)
{
	struct connector *c;

	if (cl->stopping || link_find_up(cl, name))
		return;
	TAILQ_FOREACH(c, &cl->connectors, entry) {
		if (c->state == CONN_UP && !c->link && !strcmp(c->peer, name)) {
			backoff_reset(&c->backoff);
			retry_later(c);
		}
	}
}

static void connector_free(struct connector *c)
{
	struct cloud *cl = c->cloud;

	/* off the list first: closing the link below tells the remaining
	 * connectors that the peer went away, and this one must not hear it */
	TAILQ_REMOVE(&cl->connectors, c, entry);
	ev_timer_stop(cl->loop, &c->timer);
	resolve_cancel(c->req);
	if (c->link) {
		struct link *l = c->link;
		l->conn = NULL;
		c->link = NULL;
		link_close(l, BYE_POLICY, "connect entry removed from the configuration", true);
	}
	if (c->ai)
		freeaddrinfo(c->ai);
	free(c);
}

static struct connector *connector_new(struct cloud *cl, const char *target)
{
	struct connector *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cloud = cl;
	snprintf(c->target, sizeof(c->target), "%s", target);
	if (!parse_host_port(target, c->host, sizeof(c->host), c->port, sizeof(c->port))) {
		free(c);	/* checked when the config was loaded */
		return NULL;
	}
	backoff_init(&c->backoff, cl->set.retry_us, cl->set.retry_max_us);
	ev_timer_init(&c->timer, connector_timer_cb, 0., 0.);
	TAILQ_INSERT_TAIL(&cl->connectors, c, entry);
	/* a little jitter so that a mesh started at once does not collide */
	wait_then_start(c, jitter_us(20000, 100, cloud_random32()));
	return c;
}

void connectors_sync(struct cloud *cl)
{
	struct connector *c, *tmp;
	size_t n = conf_count(cl->conf, OPT_CONNECT);

	TAILQ_FOREACH_SAFE(c, &cl->connectors, entry, tmp) {
		bool keep = false;
		for (size_t i = 0; i < n && !keep; i++)
			keep = !strcmp(conf_get(cl->conf, OPT_CONNECT, i)->v.s, c->target);
		if (!keep) {
			log_info(LOGS_LINK, "connect %s: removed from the configuration", c->target);
			connector_free(c);
		} else {
			c->backoff.min_us = cl->set.retry_us;
			c->backoff.max_us = cl->set.retry_max_us;
			if (c->backoff.cur_us > c->backoff.max_us)
				c->backoff.cur_us = c->backoff.max_us;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const char *t = conf_get(cl->conf, OPT_CONNECT, i)->v.s;
		bool have = false;
		TAILQ_FOREACH(c, &cl->connectors, entry)
			have = have || !strcmp(c->target, t);
		if (!have && connector_new(cl, t))
			log_info(LOGS_LINK, "connect %s: added", t);
	}
}

void connectors_free(struct cloud *cl)
{
	struct connector *c;

	while ((c = TAILQ_FIRST(&cl->connectors)))
		connector_free(c);
}
