/*
 * gate_srv.c - gate listeners and attached gates (see gate_srv.h).
 *
 * A gate's life: accepted (credentials checked) -> HELLO from the gate,
 * ours back -> ANNOUNCE / PACKET / KEEPALIVE in any order -> gone (EOF,
 * silence, error).  Its prefixes leave the mesh with it.
 */
#include "config.h"
#include "gate_srv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backoff.h"
#include "fwd.h"
#include "log.h"
#include "options.h"
#include "route.h"
#include "router.h"
#include "unixsock.h"

#define GATE_SNDBUF (4 << 20)	/* bytes */

struct gate_listener {
	TAILQ_ENTRY(gate_listener) entry;
	struct cloud *cloud;
	int fd;
	gid_t gid;			/* the socket file's group */
	ev_io io;
	ev_timer pause;			/* accept() ran out of fds */
	char path[108];
};

/* One message received at a time, and one encoded at a time: separate,
 * because a received packet's payload is forwarded while the next message
 * is encoded. */
static uint8_t rxbuf[GATE_MSG_MAX + 1];
static uint8_t txbuf[GATE_MSG_MAX];

static void gate_free(struct gate *g);

/* ---------------------------------------------------------------- config */

static bool parse_mode(const char *s, mode_t *mode)
{
	char *end;
	unsigned long v = strtoul(s, &end, 8);

	if (!*s || *end || v > 0777)
		return false;
	*mode = (mode_t)v;
	return true;
}

bool gates_conf_check(const struct conf *c, char *err, size_t errlen)
{
	const struct conf_value *v = conf_last(c, OPT_GATE_MODE);
	mode_t mode;

	if (!parse_mode(v->v.s, &mode)) {
		snprintf(err, errlen, "%s:%d: option 'gate_mode': expected an octal mode like 0660, "
			 "got '%s'", v->file, v->line, v->v.s);
		return false;
	}
	v = conf_last(c, OPT_GATE_OWNER);
	if (v && !getpwnam(v->v.s)) {
		snprintf(err, errlen, "%s:%d: option 'gate_owner': no user '%s'", v->file, v->line,
			 v->v.s);
		return false;
	}
	v = conf_last(c, OPT_GATE_GROUP);
	if (v && !getgrnam(v->v.s)) {
		snprintf(err, errlen, "%s:%d: option 'gate_group': no group '%s'", v->file, v->line,
			 v->v.s);
		return false;
	}
	for (size_t i = 0; i < conf_count(c, OPT_GATE_ALLOW_USER); i++) {
		v = conf_get(c, OPT_GATE_ALLOW_USER, i);
		if (!getpwnam(v->v.s)) {
			snprintf(err, errlen, "%s:%d: option 'gate_allow_user': no user '%s'", v->file,
				 v->line, v->v.s);
			return false;
		}
	}
	for (size_t i = 0; i < conf_count(c, OPT_GATE_ALLOW_GROUP); i++) {
		v = conf_get(c, OPT_GATE_ALLOW_GROUP, i);
		if (!getgrnam(v->v.s)) {
			snprintf(err, errlen, "%s:%d: option 'gate_allow_group': no group '%s'", v->file,
				 v->line, v->v.s);
			return false;
		}
	}
	return true;
}

/* Resolve the allow lists now: after a chroot /etc may be out of reach. */
void gates_reload(struct cloud *cl)
{
	struct gate_policy *gp = &cl->gate_policy;
	size_t nu = conf_count(cl->conf, OPT_GATE_ALLOW_USER);
	size_t ng = conf_count(cl->conf, OPT_GATE_ALLOW_GROUP);
	uid_t *uids = calloc(nu + 1, sizeof(*uids));
	gid_t *gids = calloc(ng + 1, sizeof(*gids));

	if (!uids || !gids) {
		free(uids);
		free(gids);
		log_err(LOGS_GATE, "out of memory for the gate allow lists; keeping the old ones");
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < nu; i++) {
		struct passwd *pw = getpwnam(conf_get(cl->conf, OPT_GATE_ALLOW_USER, i)->v.s);
		if (pw)
			uids[k++] = pw->pw_uid;
	}
	nu = k;
	k = 0;
	for (size_t i = 0; i < ng; i++) {
		struct group *gr = getgrnam(conf_get(cl->conf, OPT_GATE_ALLOW_GROUP, i)->v.s);
		if (gr)
			gids[k++] = gr->gr_gid;
	}
	free(gp->uids);
	free(gp->gids);
	gp->uids = uids;
	gp->nuids = nu;
	gp->gids = gids;
	gp->ngids = k;
}

static bool peer_allowed(const struct cloud *cl, const struct gate_listener *gl,
			 const struct ucred *uc)
{
	const struct gate_policy *gp = &cl->gate_policy;

	if (uc->uid == 0 || uc->gid == gl->gid)
		return true;
	for (size_t i = 0; i < gp->nuids; i++)
		if (gp->uids[i] == uc->uid)
			return true;
	for (size_t i = 0; i < gp->ngids; i++)
		if (gp->gids[i] == uc->gid)
			return true;
	return false;
}

/* ---------------------------------------------------------------- sending */

/* Control messages: a full socket means the gate is not reading; drop it. */
static bool send_ctl(struct gate *g, const uint8_t *msg, size_t len)
{
	if (len && send(g->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
		return true;
	if (len && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		g->routes_dirty = true;		/* try again later */
		return true;
	}
	log_info(LOGS_GATE, "gate %u (%s, pid %d): send failed: %s; dropping it", g->id, g->name,
		 (int)g->pid, len ? strerror(errno) : "message too large");
	gate_free(g);
	return false;
}

/* Send ERROR and disconnect. */
static void gate_fail(struct gate *g, uint16_t code, const char *why)
{
	uint8_t buf[8 + GATE_ERROR_TEXT_MAX];
	size_t n = gate_enc_error(buf, sizeof(buf), code, why);

	g->cloud->cnt.gate_errors++;
	log_warn(LOGS_GATE, "gate %u (%s, pid %d, uid %d): %s; disconnecting it", g->id,
		 g->name[0] ? g->name : "?", (int)g->pid, (int)g->uid, why);
	if (n)
		send(g->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	gate_free(g);
}

bool gate_send_packet(struct gate *g, uint8_t flags, uint32_t inst, const struct addr *dst,
		      const struct addr *src, const char *origin, const uint8_t *payload,
		      size_t len)
{
	size_t n;

	if (g->dev.fd >= 0)
		return gate_dev_write(g, dst, src, payload, len);
	n = gate_enc_packet(txbuf, sizeof(txbuf), flags, inst, dst, src, origin, payload, len);
	if (!g->hello_done || n == 0)
		return false;
	if (send(g->fd, txbuf, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n) {
		g->tx_dropped++;
		return false;
	}
	g->tx_packets++;
	g->tx_bytes += len;
	return true;
}

void gate_send_raw(struct gate *g, const uint8_t *msg, size_t len)
{
	if (len)
		send(g->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void gate_send_unreachable(struct gate *g, uint32_t inst, const struct addr *dst,
			   const uint8_t *head, size_t len)
{
	uint8_t buf[64 + GATE_UNREACH_HEAD];
	size_t n = gate_enc_unreachable(buf, sizeof(buf), inst, dst, head,
					len > GATE_UNREACH_HEAD ? GATE_UNREACH_HEAD : len);

	gate_send_raw(g, buf, n);
}

bool gate_in_instance(const struct gate *g, uint32_t inst)
{
	for (size_t i = 0; i < g->nowned; i++)
		if (g->owned[i].a.inst == inst)
			return true;
	return false;
}

/* ROUTES: what other nodes own in the gate's instances. */
struct routes_ctx {
	struct gate *g;
	struct prefix *ps;
	size_t n, cap;
};

static void collect_route(void *arg, const struct prefix *p, const char *node)
{
	struct routes_ctx *rc = arg;

	if (!gate_in_instance(rc->g, p->a.inst) || rc->n == rc->cap)
		return;
	for (size_t i = 0; i < rc->n; i++)
		if (prefix_equal(&rc->ps[i], p))
			return;
	rc->ps[rc->n++] = *p;
}

static bool send_routes(struct gate *g)
{
	struct routes_ctx rc = { .g = g, .cap = GATE_PREFIXES_MAX };
	bool alive = true;

	g->routes_dirty = false;
	rc.ps = malloc(rc.cap * sizeof(*rc.ps));
	if (!rc.ps)
		return true;
	fwd_foreach_remote(g->cloud, collect_route, &rc);
	for (size_t off = 0; alive && (off < rc.n || off == 0); off += GATE_ANNOUNCE_MAX) {
		size_t k = rc.n - off > GATE_ANNOUNCE_MAX ? GATE_ANNOUNCE_MAX : rc.n - off;
		size_t n = gate_enc_announce(txbuf, sizeof(txbuf), GM_ROUTES,
					     off ? ANN_ADD : ANN_REPLACE, rc.ps + off, k);
		alive = send_ctl(g, txbuf, n);
		if (alive && g->routes_dirty) {
			/* its socket is full: the whole table again, a little later */
			ev_timer_start(g->cloud->loop, &g->cloud->routes_retry);
			break;
		}
		if (rc.n == 0)
			break;
	}
	free(rc.ps);
	return alive;
}

static void routes_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct cloud *cl = (struct cloud *)((char *)w - offsetof(struct cloud, routes_idle));
	struct gate *g, *tmp;

	ev_idle_stop(loop, w);
	TAILQ_FOREACH_SAFE(g, &cl->gates, entry, tmp)
		if (g->hello_done && g->routes_dirty)
			send_routes(g);
}

static void routes_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct cloud *cl = (struct cloud *)((char *)w - offsetof(struct cloud, routes_retry));

	if (!ev_is_active(&cl->routes_idle))
		ev_idle_start(loop, &cl->routes_idle);
}

void gates_routes_changed(struct cloud *cl)
{
	struct gate *g;

	TAILQ_FOREACH(g, &cl->gates, entry)
		g->routes_dirty = true;
	if (!ev_is_active(&cl->routes_idle))
		ev_idle_start(cl->loop, &cl->routes_idle);
}

/* ---------------------------------------------------------------- announce */

/* Is p owned by a local gate other than `except'? */
static bool owned_elsewhere(struct cloud *cl, const struct gate *except, const struct prefix *p)
{
	struct gate *g;

	TAILQ_FOREACH(g, &cl->gates, entry) {
		if (g == except)
			continue;
		for (size_t i = 0; i < g->nowned; i++)
			if (prefix_equal(&g->owned[i], p))
				return true;
	}
	return false;
}

static size_t local_total(struct cloud *cl)
{
	struct gate *g;
	size_t n = 0;

	TAILQ_FOREACH(g, &cl->gates, entry)
		n += g->nowned;
	return n;
}

/* Tell neighbours what changed for the mesh: prefixes in `gone' that no
 * other local gate owns are withdrawn, prefixes in `added' that no other
 * gate owned already are announced.  A gate can thus never withdraw (or
 * re-announce) what another gate owns. */
static void announce_diff(struct gate *g, struct prefix *added, size_t nadded,
			  struct prefix *gone, size_t ngone)
{
	struct cloud *cl = g->cloud;
	size_t k = 0;

	for (size_t i = 0; i < ngone; i++)
		if (!owned_elsewhere(cl, g, &gone[i]))
			gone[k++] = gone[i];
	if (k)
		router_local(cl, false, gone, k);
	k = 0;
	for (size_t i = 0; i < nadded; i++)
		if (!owned_elsewhere(cl, g, &added[i]))
			added[k++] = added[i];
	if (k)
		router_local(cl, true, added, k);
}

static bool owned_add(struct gate *g, const struct prefix *p)
{
	for (size_t i = 0; i < g->nowned; i++)
		if (prefix_equal(&g->owned[i], p))
			return true;
	if (g->nowned == GATE_PREFIXES_MAX)
		return false;
	if (g->nowned == g->capowned) {
		size_t cap = g->capowned ? 2 * g->capowned : 8;
		struct prefix *n = realloc(g->owned, cap * sizeof(*n));
		if (!n)
			return false;
		g->owned = n;
		g->capowned = cap;
	}
	g->owned[g->nowned++] = *p;
	return true;
}

static void owned_remove(struct gate *g, const struct prefix *p)
{
	for (size_t i = 0; i < g->nowned; i++) {
		if (prefix_equal(&g->owned[i], p)) {
			g->owned[i] = g->owned[--g->nowned];
			return;
		}
	}
}

/* Returns false if the gate was disconnected. */
static bool handle_announce(struct gate *g, const struct gate_msg *m)
{
	struct cloud *cl = g->cloud;
	size_t nold = m->ann.op == ANN_REPLACE ? g->nowned : 0;
	struct prefix *old = NULL, *added, p;
	size_t off = 0, nadded = 0, ngone = 0;
	char text[ADDR_TEXT_MAX];

	/* protocol 0 is the routing table's: the route to each node itself */
	while (gate_ann_next(m, &off, &p)) {
		if (inst_proto(p.a.inst) == inst_proto(NODE_INST)) {
			gate_fail(g, GERR_PROTOCOL, "protocol 0 is reserved for routes to nodes");
			return false;
		}
	}
	off = 0;
	added = malloc((m->ann.count + nold + 1) * sizeof(*added));
	if (!added) {
		gate_fail(g, GERR_LIMIT, "out of memory");
		return false;
	}
	if (m->ann.op == ANN_REPLACE) {
		old = added + m->ann.count;	/* what it owned before */
		if (nold)
			memcpy(old, g->owned, nold * sizeof(*old));
		g->nowned = 0;
	}
	while (gate_ann_next(m, &off, &p)) {
		size_t before = g->nowned;
		if (m->ann.op == ANN_REMOVE) {
			owned_remove(g, &p);
			if (g->nowned < before)
				added[nadded++] = p;	/* removed, in fact */
			continue;
		}
		if (local_total(cl) >= LOCAL_PREFIXES_MAX || !owned_add(g, &p)) {
			free(added);
			gate_fail(g, GERR_LIMIT, "too many prefixes announced");
			return false;
		}
		if (g->nowned > before)
			added[nadded++] = p;
		prefix_format(&p, text, sizeof(text));
		log_dbg(LOGS_GATE, "gate %u (%s) owns %s", g->id, g->name, text);
	}
	if (m->ann.op == ANN_REMOVE) {
		announce_diff(g, NULL, 0, added, nadded);
	} else {
		/* REPLACE: what it owned before is not new... */
		size_t k = 0;
		for (size_t i = 0; i < nadded; i++) {
			bool had = false;
			for (size_t j = 0; j < nold && !had; j++)
				had = prefix_equal(&added[i], &old[j]);
			if (!had)
				added[k++] = added[i];
		}
		/* ...and what it owned before and no longer does is gone */
		for (size_t i = 0; i < nold; i++) {
			bool kept = false;
			for (size_t j = 0; j < g->nowned && !kept; j++)
				kept = prefix_equal(&g->owned[j], &old[i]);
			if (!kept)
				old[ngone++] = old[i];
		}
		announce_diff(g, added, k, old, ngone);
	}
	free(added);
	/* its instances may have changed: tell it what the mesh has there */
	g->routes_dirty = true;
	if (!ev_is_active(&cl->routes_idle))
		ev_idle_start(cl->loop, &cl->routes_idle);
	return true;
}

/* Returns false if the gate was disconnected.  fd: a file descriptor
 * that came with the message (-1: none); handle_msg takes it. */
static bool handle_msg(struct gate *g, const uint8_t *buf, size_t len, int fd)
{
	struct cloud *cl = g->cloud;
	struct gate_msg m;
	char why[128];

	if (fd >= 0 && (len < 1 || buf[0] != GM_DEVICE || !g->hello_done)) {
		close(fd);		/* only a DEVICE may carry one */
		fd = -1;
	}
	if (!gate_decode(buf, len, &m)) {
		if (fd >= 0)
			close(fd);
		snprintf(why, sizeof(why), "malformed message (%zu bytes, type %u)", len,
			 len ? buf[0] : 0);
		gate_fail(g, GERR_MALFORMED, why);
		return false;
	}
	if (!g->hello_done && m.type != GM_HELLO) {
		snprintf(why, sizeof(why), "%s before hello", gate_msg_name(m.type));
		gate_fail(g, GERR_PROTOCOL, why);
		return false;
	}
	switch (m.type) {
	case GM_HELLO: {
		if (g->hello_done) {
			gate_fail(g, GERR_PROTOCOL, "second hello");
			return false;
		}
		if (m.hello.version != GATE_PROTO_VERSION) {
			snprintf(why, sizeof(why), "gate protocol version %u, cloud speaks %u",
				 m.hello.version, GATE_PROTO_VERSION);
			gate_fail(g, GERR_VERSION, why);
			return false;
		}
		snprintf(g->name, sizeof(g->name), "%s", m.hello.name);
		g->hello_done = true;
		log_info(LOGS_GATE, "gate %u attached: %s (pid %d, uid %d)", g->id, g->name,
			 (int)g->pid, (int)g->uid);
		return send_ctl(g, txbuf, gate_enc_hello(txbuf, sizeof(txbuf), cl->name));
	}
	case GM_ANNOUNCE:
		return handle_announce(g, &m);
	case GM_PACKET:
		g->rx_packets++;
		g->rx_bytes += m.pkt.len;
		fwd_from_gate(cl, g, &m);
		return true;
	case GM_KEEPALIVE:
		return true;
	case GM_DEVICE:
		if (!gate_dev_attach(g, &m, fd, why, sizeof(why)))
			log_info(LOGS_GATE, "gate %u (%s): device refused: %s; its packets stay "
				 "on the gate socket", g->id, g->name, why);
		return true;
	case GM_ERROR:
		log_warn(LOGS_GATE, "gate %u (%s) reported error %u: %s; disconnecting it", g->id,
			 g->name, m.err.code, m.err.text);
		gate_free(g);
		return false;
	default:
		snprintf(why, sizeof(why), "%s is not for cloud", gate_msg_name(m.type));
		gate_fail(g, GERR_PROTOCOL, why);
		return false;
	}
}

/* ---------------------------------------------------------------- events */

#define GATE_FDS_MAX 8		/* descriptors one message may bring in; the
				 * kernel closes what does not fit (MSG_CTRUNC) */

/* The descriptor a received message brought, if it brought exactly one
 * (-1 otherwise); any others are closed, so a gate cannot make cloud
 * hold descriptors it did not ask for. */
static int take_fd(struct msghdr *mh)
{
	struct cmsghdr *c;
	int fd = -1, n = 0;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int x;

			memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n++ == 0)
				fd = x;
			else
				close(x);
		}
	}
	if (n > 1 && fd >= 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void gate_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gate *g = (struct gate *)((char *)w - offsetof(struct gate, io));

	for (int budget = 64; budget > 0; budget--) {
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(GATE_FDS_MAX * sizeof(int))];
		} ctl;
		struct iovec iov = { rxbuf, sizeof(rxbuf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
		ssize_t n = recvmsg(g->fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
		int fd = n >= 0 ? take_fd(&mh) : -1;	/* the control part is set on success */

		if (n == 0 && fd >= 0)
			close(fd);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			log_info(LOGS_GATE, "gate %u (%s): %s; detaching it", g->id, g->name,
				 strerror(errno));
			gate_free(g);
			return;
		}
		if (n == 0) {
			log_info(LOGS_GATE, "gate %u (%s, pid %d) detached", g->id,
				 g->name[0] ? g->name : "?", (int)g->pid);
			gate_free(g);
			return;
		}
		g->last_rx = ev_now(loop);
		if ((size_t)n > GATE_MSG_MAX) {
			if (fd >= 0)
				close(fd);
			gate_fail(g, GERR_MALFORMED, "message longer than the protocol allows");
			return;
		}
		if (!handle_msg(g, rxbuf, (size_t)n, fd))
			return;
	}
}

static void gate_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gate *g = (struct gate *)((char *)w - offsetof(struct gate, timer));
	struct cloud *cl = g->cloud;
	char why[96];

	if ((ev_now(loop) - g->last_rx) * 1e6 > (double)cl->set.gate_timeout_us) {
		snprintf(why, sizeof(why), "silent for %.1fs", ev_now(loop) - g->last_rx);
		gate_fail(g, GERR_TIMEOUT, why);
		return;
	}
	if (g->hello_done && !send_ctl(g, txbuf, gate_enc_keepalive(txbuf, sizeof(txbuf))))
		return;
	ev_timer_set(w, (double)jitter_us(cl->set.gate_keepalive_us, 10, cloud_random32()) / 1e6, 0.);
	ev_timer_start(loop, w);
}

static void gate_free(struct gate *g)
{
	struct cloud *cl = g->cloud;

	/* its prefixes leave the mesh with it (unless another gate owns them) */
	if (g->nowned)
		announce_diff(g, NULL, 0, g->owned, g->nowned);
	gate_dev_detach(g);
	ev_io_stop(cl->loop, &g->io);
	ev_timer_stop(cl->loop, &g->timer);
	close(g->fd);
	TAILQ_REMOVE(&cl->gates, g, entry);
	cl->ngates--;
	free(g->owned);
	free(g);
}

static void gate_accept_resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gate_listener *gl = (struct gate_listener *)((char *)w -
							   offsetof(struct gate_listener, pause));

	ev_io_start(loop, &gl->io);
}

static void gate_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gate_listener *gl = (struct gate_listener *)((char *)w -
							   offsetof(struct gate_listener, io));
	struct cloud *cl = gl->cloud;

	for (;;) {
		struct ucred uc;
		socklen_t len = sizeof(uc);
		int fd = accept4(gl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* out of fds: do not spin on a readable listener */
				log_warn(LOGS_GATE, "%s: accept: %s", gl->path, strerror(errno));
				ev_io_stop(loop, &gl->io);
				ev_timer_start(loop, &gl->pause);
			}
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0) {
			log_warn(LOGS_GATE, "%s: SO_PEERCRED: %s; refusing the gate", gl->path,
				 strerror(errno));
			close(fd);
			continue;
		}
		if (
		    !peer_allowed(cl, gl, &uc) || cl->ngates >= (unsigned)cl->set.max_gates ||
		    cl->stopping) {
			bool allowed = peer_allowed(cl, gl, &uc);
			uint8_t buf[128];
			size_t n = gate_enc_error(buf, sizeof(buf), GERR_LIMIT,
						  allowed ? "too many gates" : "not allowed");
			cl->cnt.gates_refused++;
			log_warn(LOGS_GATE, "%s: refusing a gate from pid %d (uid %d, gid %d): %s",
				 gl->path, (int)uc.pid, (int)uc.uid, (int)uc.gid,
				 allowed ? "max_gates reached" : "not allowed (gate_allow_user/group)");
			send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		struct gate *g = calloc(1, sizeof(*g));
		if (!g) {
			close(fd);
			continue;
		}
		/* bursts of packets to a gate should not find its socket full
		 * (the kernel caps this at wmem_max unless we may force it) */
		int sndbuf = GATE_SNDBUF;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		g->cloud = cl;
		g->id = ++cl->next_gate_id;
		g->fd = fd;
		g->dev.fd = -1;
		g->pid = uc.pid;
		g->uid = uc.uid;
		g->gid = uc.gid;
		g->connected = g->last_rx = ev_now(loop);
		ev_io_init(&g->io, gate_io_cb, fd, EV_READ);
		ev_io_start(loop, &g->io);
		ev_timer_init(&g->timer, gate_timer_cb, (double)cl->set.gate_keepalive_us / 1e6, 0.);
		ev_timer_start(loop, &g->timer);
		TAILQ_INSERT_TAIL(&cl->gates, g, entry);
		cl->ngates++;
	}
}

/* ---------------------------------------------------------------- sockets */

int gates_open(struct cloud *cl, char *err, size_t errlen)
{
	const char *group = conf_str(cl->conf, OPT_GATE_GROUP);
	const char *owner = conf_str(cl->conf, OPT_GATE_OWNER);
	struct passwd *pw = owner ? getpwnam(owner) : NULL;
	uid_t uid = pw ? pw->pw_uid : (uid_t)-1;
	gid_t gid = getegid();
	mode_t mode = 0660;	/* checked by gates_conf_check */

	ev_idle_init(&cl->routes_idle, routes_idle_cb);
	ev_timer_init(&cl->routes_retry, routes_retry_cb, 0.1, 0.);
	gates_reload(cl);
	parse_mode(conf_str(cl->conf, OPT_GATE_MODE), &mode);
	if (group) {
		struct group *gr = getgrnam(group);
		gid = gr ? gr->gr_gid : gid;
	}
	for (size_t i = 0; i < conf_count(cl->conf, OPT_GATE); i++) {
		const char *path = conf_get(cl->conf, OPT_GATE, i)->v.s;
		struct gate_listener *gl = calloc(1, sizeof(*gl));
		char why[300];
		int fd;

		if (!gl || strlen(path) >= sizeof(gl->path)) {
			free(gl);
			snprintf(err, errlen, "gate '%s': path too long", path);
			return -ENAMETOOLONG;
		}
		fd = unix_listen(path, SOCK_SEQPACKET, mode, uid, group ? gid : (gid_t)-1, 16, why,
				 sizeof(why));
		if (fd < 0) {
			free(gl);
			snprintf(err, errlen, "gate %s", why);
			return fd;
		}
		gl->cloud = cl;
		gl->fd = fd;
		gl->gid = gid;
		memcpy(gl->path, path, strlen(path) + 1);
		ev_io_init(&gl->io, gate_accept_cb, fd, EV_READ);
		ev_io_start(cl->loop, &gl->io);
		ev_timer_init(&gl->pause, gate_accept_resume_cb, 0.1, 0.);
		TAILQ_INSERT_TAIL(&cl->gate_listeners, gl, entry);
		log_info(LOGS_GATE, "gate socket %s (mode %04o%s%s)", path, (unsigned)mode,
			 owner ? ", owner " : "", owner ? owner : "");
	}
	return 0;
}

void gates_close(struct cloud *cl)
{
	struct gate_listener *gl;
	struct gate *g;

	while ((g = TAILQ_FIRST(&cl->gates))) {
		uint8_t buf[64];
		size_t n = gate_enc_error(buf, sizeof(buf), GERR_SHUTDOWN, "cloud is stopping");
		if (n)
			send(g->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		g->nowned = 0;	/* no route updates while stopping */
		gate_free(g);
	}
	while ((gl = TAILQ_FIRST(&cl->gate_listeners))) {
		ev_io_stop(cl->loop, &gl->io);
		ev_timer_stop(cl->loop, &gl->pause);
		close(gl->fd);
		if (unlink(gl->path) < 0)
			log_dbg(LOGS_GATE, "cannot remove %s: %s", gl->path, strerror(errno));
		TAILQ_REMOVE(&cl->gate_listeners, gl, entry);
		free(gl);
	}
	if (ev_is_active(&cl->routes_idle))
		ev_idle_stop(cl->loop, &cl->routes_idle);
	if (ev_is_active(&cl->routes_retry))
		ev_timer_stop(cl->loop, &cl->routes_retry);
	free(cl->gate_policy.uids);
	free(cl->gate_policy.gids);
	cl->gate_policy.uids = NULL;
	cl->gate_policy.gids = NULL;
}
