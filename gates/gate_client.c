/*
 * gate_client.c - a gate's connection to cloud (see gate_client.h).  Owns
 * the socket, the connection state machine, keepalives, the silence
 * watchdog, the reconnect backoff and a short queue of announcements
 * waiting for room in the socket.
 *
 * Invariants:
 *  - fd >= 0 exactly outside GC_IDLE; io, keepalive and watchdog run only
 *    then, and retry runs only in GC_IDLE.
 *  - a callback never sees the client torn down under it: a send that
 *    fails hard (cloud went away) only marks the client `broken' and feeds
 *    the io watcher; io_cb closes the connection once the caller's callback
 *    has returned.  Corollary: gate_client_free must not be called from a
 *    callback.
 *  - announcements are not dropped while connected: when the socket is full
 *    they wait in `pending', in order, until it drains.  If too many wait,
 *    cloud is stuck and a reconnect resynchronises everything.  Packets are
 *    datagrams: a full socket drops them (tx_dropped).
 *  - a failure repeated identically (cloud down, attempt after attempt) is
 *    logged once as a warning, then only at debug level.
 *
 * Statistics: rx_packets counts PACKETs from cloud, tx_packets PACKETs sent,
 * tx_dropped messages refused by a full socket, rx_bad messages that did
 * not decode or came out of order, reconnects the HELLO exchanges after the
 * first one.
 */
#include "config.h"
#include "gate_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "log.h"

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define RETRY_MIN_US 100000		/* first reconnect delay */
#define RETRY_MAX_US 2000000		/* longest reconnect delay */
#define KEEPALIVE_JITTER_PCT 10
#define RX_BUDGET_MSGS 64		/* per wake-up: the gate's own I/O runs too */
#define PENDING_MAX_BYTES (4u << 20)	/* announcements waiting for room */
#define FAIL_TEXT_LEN 200
#define SNDBUF_BYTES (4 << 20)		/* asked; the kernel caps it at wmem_max */

enum gc_state {
	GC_IDLE,	/* no socket; `retry' starts the next attempt */
	GC_CONNECTING,	/* non-blocking connect() in progress */
	GC_HELLO,	/* our HELLO sent; waiting for cloud's */
	GC_UP,		/* HELLO exchanged: announcements and packets flow */
};

struct pending {
	struct pending *next;
	size_t len;
	uint8_t data[];
};

struct gate_client {
	struct ev_loop *loop;
	const struct gate_client_ops *ops;
	void *arg;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char name[GATE_NAME_MAX + 1];
	char node[GATE_NAME_MAX + 1];	/* cloud's node name while up */
	enum gc_state state;
	int fd;
	int broken;		/* -errno of a failed send, for io_cb */
	ev_io io;
	ev_timer retry, keepalive, watchdog;
	ev_tstamp last_rx, up_since;
	struct backoff backoff;
	struct jitter_rng rng;
	bool ever_up;
	char last_fail[FAIL_TEXT_LEN];
	struct pending *pend_head, **pend_tail;
	size_t pend_bytes;
	struct gate_client_stats st;
	uint8_t rx[GATE_MSG_MAX];
	uint8_t tx[GATE_MSG_MAX];
};

static uint32_t gc_random(struct gate_client *gc)
{
	/* xorshift64*: jitter only */
	return jitter_rng_next(&gc->rng);
}

static void gc_io_events(struct gate_client *gc, int events)
{
	if ((gc->io.events & (EV_READ | EV_WRITE)) == events && ev_is_active(&gc->io))
		return;
	ev_io_stop(gc->loop, &gc->io);
	ev_io_set(&gc->io, gc->fd, events);
	ev_io_start(gc->loop, &gc->io);
}

static void pending_clear(struct gate_client *gc)
{
	while (gc->pend_head) {
		struct pending *p = gc->pend_head;

		gc->pend_head = p->next;
		free(p);
	}
	gc->pend_tail = &gc->pend_head;
	gc->pend_bytes = 0;
}

static void gc_close(struct gate_client *gc)
{
	ev_io_stop(gc->loop, &gc->io);
	ev_timer_stop(gc->loop, &gc->keepalive);
	ev_timer_stop(gc->loop, &gc->watchdog);
	if (gc->fd >= 0)
		close(gc->fd);
	gc->fd = -1;
	gc->broken = 0;
	gc->node[0] = '\0';
	pending_clear(gc);
	gc->state = GC_IDLE;
}

/* The connection failed or ended: say why, tear it down, tell the gate if
 * it was up, and try again after a backoff delay.  A connection that
 * stayed up for GATE_DEAD_S restarts the backoff from its minimum. */
__attribute__((format(printf, 2, 3)))
static void gc_lost(struct gate_client *gc, const char *fmt, ...)
{
	char why[FAIL_TEXT_LEN];
	bool was_up = gc->state == GC_UP;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (strcmp(why, gc->last_fail)) {
		log_warn(LOGS_GATE, "cloud %s%s%s: %s", gc->path, was_up ? " node " : "",
			 was_up ? gc->node : "", why);
		snprintf(gc->last_fail, sizeof(gc->last_fail), "%s", why);
	} else {
		log_dbg(LOGS_GATE, "cloud %s: %s (again)", gc->path, why);
	}
	if (was_up && ev_now(gc->loop) - gc->up_since >= GATE_DEAD_S)
		backoff_reset(&gc->backoff);
	gc_close(gc);
	ev_timer_set(&gc->retry, (double)backoff_next(&gc->backoff, gc_random(gc)) / 1e6, 0.);
	ev_timer_start(gc->loop, &gc->retry);
	if (was_up && gc->ops->disconnected)
		gc->ops->disconnected(gc->arg);
}

/* A send failed for good: leave the teardown to io_cb (see the top). */
static void gc_break(struct gate_client *gc, int err)
{
	if (gc->broken)
		return;
	gc->broken = -err;
	ev_feed_event(gc->loop, &gc->io, EV_READ);
}

static void gc_send_hello(struct gate_client *gc)
{
	size_t n = gate_enc_hello(gc->tx, sizeof(gc->tx), gc->name);

	gc->state = GC_HELLO;
	if (send(gc->fd, gc->tx, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n) {
		gc_lost(gc, "sending HELLO: %s", strerror(errno));
		return;
	}
	gc_io_events(gc, EV_READ);
	log_dbg(LOGS_GATE, "cloud %s: connected, HELLO sent as '%s'", gc->path, gc->name);
}

static void gc_attempt(struct gate_client *gc)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		gc_lost(gc, "socket: %s", strerror(errno));
		return;
	}
	/* room for bursts of packets while cloud is busy elsewhere */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){ SNDBUF_BYTES }, sizeof(int));
	memcpy(sa.sun_path, gc->path, strlen(gc->path));
	gc->fd = fd;
	gc->state = GC_CONNECTING;
	gc->last_rx = ev_now(gc->loop);
	ev_timer_set(&gc->watchdog, GATE_DEAD_S, 0.);
	ev_timer_start(gc->loop, &gc->watchdog);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		gc_send_hello(gc);
	} else if (errno == EINPROGRESS) {
		gc_io_events(gc, EV_WRITE);
	} else {
		gc_lost(gc, "connect: %s", strerror(errno));
	}
}

static void gc_connect_done(struct gate_client *gc)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(gc->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		gc_lost(gc, "connect: %s", strerror(err));
		return;
	}
	gc_send_hello(gc);
}

static void gc_send_keepalive(struct gate_client *gc)
{
	uint8_t buf[8];
	size_t n = gate_enc_keepalive(buf, sizeof(buf));

	/* a full socket carries traffic anyway: nothing to do on EAGAIN */
	if (send(gc->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	    errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
		gc_break(gc, errno);
}

static void keepalive_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gate_client *gc = container_of(w, struct gate_client, keepalive);
	uint64_t us = jitter_us((uint64_t)(GATE_KEEPALIVE_S * 1e6), KEEPALIVE_JITTER_PCT,
				gc_random(gc));

	gc_send_keepalive(gc);
	ev_timer_set(w, (double)us / 1e6, 0.);
	ev_timer_start(loop, w);
}

static void watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gate_client *gc = container_of(w, struct gate_client, watchdog);
	ev_tstamp idle = ev_now(loop) - gc->last_rx;

	if (idle >= GATE_DEAD_S - 0.001) {
		if (gc->state == GC_UP)
			gc_lost(gc, "silent for %.0f s", GATE_DEAD_S);
		else
			gc_lost(gc, "no HELLO within %.0f s", GATE_DEAD_S);
		return;
	}
	ev_timer_set(w, GATE_DEAD_S - idle, 0.);
	ev_timer_start(loop, w);
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	gc_attempt(container_of(w, struct gate_client, retry));
}

static bool gc_hello(struct gate_client *gc, const struct gate_msg *m)
{
	if (gc->state == GC_UP) {
		gc->st.rx_bad++;
		gc_lost(gc, "second HELLO");
		return false;
	}
	if (m->hello.version != GATE_PROTO_VERSION) {
		gc_lost(gc, "cloud speaks gate protocol version %u, we speak %u",
			m->hello.version, GATE_PROTO_VERSION);
		return false;
	}
	snprintf(gc->node, sizeof(gc->node), "%s", m->hello.name);
	gc->state = GC_UP;
	gc->up_since = ev_now(gc->loop);
	if (gc->ever_up)
		gc->st.reconnects++;
	gc->ever_up = true;
	gc->last_fail[0] = '\0';
	log_info(LOGS_GATE, "cloud %s node %s: connected as '%s'", gc->path, gc->node, gc->name);
	ev_timer_set(&gc->keepalive, GATE_KEEPALIVE_S, 0.);
	ev_timer_start(gc->loop, &gc->keepalive);
	if (gc->ops->connected)
		gc->ops->connected(gc->arg);
	return true;
}

/* Handle the message in rx; false when the connection was closed. */
static bool gc_dispatch(struct gate_client *gc, size_t len)
{
	struct gate_msg m;

	if (!gate_decode(gc->rx, len, &m)) {
		gc->st.rx_bad++;
		gc_lost(gc, "message that does not decode (type %u, %zu bytes)",
			gc->rx[0], len);
		return false;
	}
	switch (m.type) {
	case GM_KEEPALIVE:
		return true;
	case GM_ERROR:
		gc_lost(gc, "error %u from cloud: %s", m.err.code, m.err.text);
		return false;
	case GM_HELLO:
		return gc_hello(gc, &m);
	default:
		break;
	}
	if (gc->state != GC_UP) {
		gc->st.rx_bad++;
		gc_lost(gc, "%s before HELLO", gate_msg_name(m.type));
		return false;
	}
	if (m.type == GM_PACKET)
		gc->st.rx_packets++;
	if (gc->ops->message)
		gc->ops->message(gc->arg, &m);
	return true;
}

static void gc_receive(struct gate_client *gc)
{
	for (int i = 0; i < RX_BUDGET_MSGS && !gc->broken; i++) {
		struct iovec iov = { .iov_base = gc->rx, .iov_len = sizeof(gc->rx) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(gc->fd, &mh, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			gc_lost(gc, "receive: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			gc_lost(gc, "connection closed by cloud");
			return;
		}
		gc->last_rx = ev_now(gc->loop);
		if (mh.msg_flags & MSG_TRUNC) {
			gc->st.rx_bad++;
			gc_lost(gc, "message longer than %u bytes", GATE_MSG_MAX);
			return;
		}
		if (!gc_dispatch(gc, (size_t)n))
			return;
	}
}

/* Send what waits in `pending', in order, while the socket takes it. */
static void pending_flush(struct gate_client *gc)
{
	while (gc->pend_head) {
		struct pending *p = gc->pend_head;

		if (send(gc->fd, p->data, p->len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
				return;
			gc_break(gc, errno);
			return;
		}
		gc->pend_head = p->next;
		gc->pend_bytes -= p->len;
		free(p);
	}
	gc->pend_tail = &gc->pend_head;
	gc_io_events(gc, EV_READ);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gate_client *gc = container_of(w, struct gate_client, io);

	if (gc->state == GC_CONNECTING && !gc->broken) {
		gc_connect_done(gc);
		return;
	}
	if (!gc->broken && (revents & EV_WRITE))
		pending_flush(gc);
	if (!gc->broken && (revents & EV_READ))
		gc_receive(gc);
	if (gc->broken == -ENOBUFS)
		gc_lost(gc, "cloud does not read: %zu bytes of announcements waiting",
			gc->pend_bytes);
	else if (gc->broken)
		gc_lost(gc, "send: %s", strerror(-gc->broken));
}

/* ---------------------------------------------------------------- API */

struct gate_client *gate_client_new(struct ev_loop *loop, const char *path,
				    const char *name,
				    const struct gate_client_ops *ops, void *arg)
{
	struct gate_client *gc;
	uint8_t probe[GATE_NAME_MAX + 8];

	if (strlen(path) == 0 || strlen(path) >= sizeof(gc->path) ||
	    strlen(name) > GATE_NAME_MAX || !gate_enc_hello(probe, sizeof(probe), name)) {
		errno = EINVAL;
		return NULL;
	}
	gc = calloc(1, sizeof(*gc));
	if (!gc)
		return NULL;
	gc->loop = loop;
	gc->ops = ops;
	gc->arg = arg;
	snprintf(gc->path, sizeof(gc->path), "%s", path);
	snprintf(gc->name, sizeof(gc->name), "%s", name);
	gc->fd = -1;
	gc->pend_tail = &gc->pend_head;
	jitter_rng_seed(&gc->rng);
	backoff_init(&gc->backoff, RETRY_MIN_US, RETRY_MAX_US);
	ev_init(&gc->io, io_cb);
	ev_init(&gc->retry, retry_cb);
	ev_init(&gc->keepalive, keepalive_cb);
	ev_init(&gc->watchdog, watchdog_cb);
	ev_timer_set(&gc->retry, 0., 0.);
	ev_timer_start(loop, &gc->retry);
	return gc;
}

void gate_client_free(struct gate_client *gc)
{
	if (!gc)
		return;
	gc_close(gc);
	ev_timer_stop(gc->loop, &gc->retry);
	free(gc);
}

bool gate_client_up(const struct gate_client *gc)
{
	return gc->state == GC_UP && !gc->broken;
}

const char *gate_client_node(const struct gate_client *gc)
{
	return gc->node;
}

const struct gate_client_stats *gate_client_stats(const struct gate_client *gc)
{
	return &gc->st;
}

int gate_client_fd(const struct gate_client *gc)
{
	return gc->state == GC_UP ? gc->fd : -1;
}

int gate_client_send(struct gate_client *gc, const uint8_t *msg, size_t len)
{
	ssize_t n;

	if (!gate_client_up(gc))
		return -ENOTCONN;
	n = send(gc->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == (ssize_t)len)
		return 0;
	if (n >= 0 || errno == EMSGSIZE) {
		gc->st.tx_dropped++;
		return -EMSGSIZE;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
		gc->st.tx_dropped++;
		return -EAGAIN;
	}
	int err = errno;
	gc_break(gc, err);
	return -err;
}

int gate_client_send_fd(struct gate_client *gc, const uint8_t *msg, size_t len, int fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { (void *)msg, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	if (!gate_client_up(gc))
		return -ENOTCONN;
	memset(&ctl, 0, sizeof(ctl));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(gc->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
		return 0;
	return -errno;
}

/* Send now, or queue behind what already waits; never dropped. */
static int gc_send_ordered(struct gate_client *gc, const uint8_t *msg, size_t len)
{
	struct pending *p;

	if (!gc->pend_head) {
		if (send(gc->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
			int err = errno;
			gc_break(gc, err);
			return -err;
		}
	}
	if (gc->pend_bytes + len > PENDING_MAX_BYTES) {
		gc_break(gc, ENOBUFS);
		return -ENOBUFS;
	}
	p = malloc(sizeof(*p) + len);
	if (!p)
		return -ENOMEM;
	p->next = NULL;
	p->len = len;
	memcpy(p->data, msg, len);
	*gc->pend_tail = p;
	gc->pend_tail = &p->next;
	gc->pend_bytes += len;
	gc_io_events(gc, EV_READ | EV_WRITE);
	return 0;
}

int gate_client_announce(struct gate_client *gc, uint8_t op,
			 const struct prefix *ps, size_t n)
{
	size_t i = 0;

	if (!gate_client_up(gc))
		return -ENOTCONN;
	if (n == 0 && op != ANN_REPLACE)
		return 0;
	do {
		size_t k = n - i < GATE_ANNOUNCE_MAX ? n - i : GATE_ANNOUNCE_MAX;
		size_t len = gate_enc_announce(gc->tx, sizeof(gc->tx), GM_ANNOUNCE, op,
					       ps + i, k);
		int r;

		if (!len)
			return -EINVAL;
		r = gc_send_ordered(gc, gc->tx, len);
		if (r < 0)
			return r;
		if (op == ANN_REPLACE)
			op = ANN_ADD;
		i += k;
	} while (i < n);
	return 0;
}

int gate_client_packet(struct gate_client *gc, uint8_t flags, uint32_t inst,
		       const struct addr *dst, const struct addr *src,
		       const void *payload, size_t len)
{
	size_t n;
	int r;

	if (!gate_client_up(gc))
		return -ENOTCONN;
	n = gate_enc_packet(gc->tx, sizeof(gc->tx), flags, inst, dst, src, "", payload, len);
	if (!n)
		return -EINVAL;
	r = gate_client_send(gc, gc->tx, n);
	if (r == 0)
		gc->st.tx_packets++;
	return r;
}
