/*
 * link.c - the link state machine (see link.h for the states).
 *
 * Invariants:
 *   - a link is on cl->links from link_new until link_free, and counted in
 *     cl->nlinks;
 *   - a link is "up" only after TLS verified the peer (tls.c) and the
 *     peer's HELLO named the same node;
 *   - between two nodes with the same boot ids at most one link stays up:
 *     the tie-break in link_established is computed identically on both
 *     ends, so both keep the same link;
 *   - anything malformed from a peer closes that link only.
 */
#include "config.h"
#include "link.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "fwd.h"
#include "wire.h"
#include "log.h"
#include "peer.h"
#include "router.h"
#include "udp.h"

#define RBUF_LEN (FRAME_HDR_LEN + FRAME_MAX_PAYLOAD)
#define OUT_MAX_BYTES (4u << 20)	/* queued bytes (control + data) before we give up */
#define SEND_CHUNK 16384

static void link_free(struct link *l);
static void io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

const char *link_state_name(enum link_state s)
{
	switch (s) {
	case LINK_TCP_CONNECTING: return "connecting";
	case LINK_HANDSHAKE: return "handshake";
	case LINK_HELLO: return "hello";
	case LINK_UP: return "up";
	case LINK_CLOSING: return "closing";
	}
	return "?";
}

static const char *peer_label(const struct link *l)
{
	return l->peer.name[0] ? l->peer.name : "?";
}

static uint64_t now_us(const struct link *l)
{
	return (uint64_t)(ev_now(l->cloud->loop) * 1e6);
}

static void set_events(struct link *l, int events)
{
	if (l->io.events == events && ev_is_active(&l->io))
		return;
	ev_io_stop(l->cloud->loop, &l->io);
	ev_io_set(&l->io, l->fd, events);
	ev_io_start(l->cloud->loop, &l->io);
}

static void arm_timer(struct link *l, uint64_t us)
{
	ev_timer_stop(l->cloud->loop, &l->timer);
	ev_timer_set(&l->timer, (double)us / 1e6, 0.);
	ev_timer_start(l->cloud->loop, &l->timer);
}

struct link *link_find_up(struct cloud *cl, const char *name)
{
	struct link *l;

	TAILQ_FOREACH(l, &cl->links, entry)
		if (l->state == LINK_UP && !strcmp(l->peer.name, name))
			return l;
	return NULL;
}

/* ---------------------------------------------------------------- output */

/* Make room for n more bytes at the tail.  Bytes already handed to a
 * send that said EAGAIN may move: GnuTLS keeps its own copy of that record
 * and we retry it with send(NULL, 0), never from our buffer. */
static int out_reserve(struct link *l, size_t n)
{
	struct obuf *o = &l->out;

	if (o->len + n <= o->cap)
		return 0;
	if (o->off > 0) {
		memmove(o->buf, o->buf + o->off, o->len - o->off);
		o->len -= o->off;
		o->off = 0;
	}
	if (o->len + n <= o->cap)
		return 0;
	size_t cap = o->cap ? o->cap : 4096;
	while (cap < o->len + n)
		cap *= 2;
	if (cap > OUT_MAX_BYTES)
		return -ENOBUFS;
	uint8_t *nb = realloc(o->buf, cap);
	if (!nb)
		return -ENOMEM;
	o->buf = nb;
	o->cap = cap;
	return 0;
}

static void out_put(struct link *l, const uint8_t *p, size_t n)
{
	memcpy(l->out.buf + l->out.len, p, n);
	l->out.len += n;
}

/* Hand queued bytes to TLS.  Returns 0 (all sent or EAGAIN) or a GnuTLS
 * error. */
static int out_flush(struct link *l)
{
	struct obuf *o = &l->out;

	while (o->off < o->len) {
		ssize_t n;

		if (o->pending) {
			n = gnutls_record_send(l->tls, NULL, 0);
		} else {
			size_t chunk = o->len - o->off;
			if (chunk > SEND_CHUNK)
				chunk = SEND_CHUNK;
			n = gnutls_record_send(l->tls, o->buf + o->off, chunk);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				o->pending = chunk;
		}
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return 0;
		if (n < 0)
			return (int)n;
		o->pending = 0;
		o->off += (size_t)n;
		l->tx_bytes += (uint64_t)n;
	}
	o->off = o->len = 0;
	return 0;
}

static bool out_busy(const struct link *l)
{
	return l->out.off < l->out.len || l->out.pending;
}

static void update_events(struct link *l)
{
	int ev = EV_READ;

	if (out_busy(l) || (l->state == LINK_CLOSING && !l->bye_done))
		ev |= EV_WRITE;
	set_events(l, ev);
}

/* Append a frame header and the payload, in up to two pieces. */
static int queue_frame(struct link *l, uint8_t type, const uint8_t *p1, size_t n1,
		       const uint8_t *p2, size_t n2)
{
	uint8_t hdr[FRAME_HDR_LEN] = { type, 0 };
	int r;

	if (n1 + n2 > FRAME_MAX_PAYLOAD)
		return -EMSGSIZE;
	/* all or nothing: half a frame in the stream would desynchronise it */
	r = out_reserve(l, sizeof(hdr) + n1 + n2);
	if (r < 0)
		return r;
	wire_put16(hdr + 2, (uint16_t)(n1 + n2));
	out_put(l, hdr, sizeof(hdr));
	if (n1)
		out_put(l, p1, n1);
	if (n2)
		out_put(l, p2, n2);
	return 0;
}

/* Hand what is queued to TLS; false if that failed and the link was
 * closed. */
static bool flush_or_close(struct link *l)
{
	char why[128];
	int r = out_flush(l);

	if (r < 0) {
		snprintf(why, sizeof(why), "send failed: %s", gnutls_strerror(r));
		link_close(l, 0, why, false);
		return false;
	}
	update_events(l);
	return true;
}

bool link_send_data(struct link *l, const uint8_t *hdr, size_t hdrlen, const uint8_t *payload,
		    size_t len)
{
	struct cloud *cl = l->cloud;

	if (l->state != LINK_UP)
		return false;
	if (l->udp && link_udp_send(l, hdr, hdrlen, payload, len))
		return true;
	if (hdrlen + len > FRAME_MAX_PAYLOAD) {
		cl->cnt.pkt_too_big++;
		l->tx_dropped++;
		return false;
	}
	if (l->out.len - l->out.off > cl->set.max_waiting_data ||
	    queue_frame(l, FRAME_DATA, hdr, hdrlen, payload, len) < 0) {
		cl->cnt.pkt_queue_full++;
		l->tx_dropped++;
		return false;
	}
	l->tx_packets++;
	return flush_or_close(l);
}

bool link_send_frame(struct link *l, uint8_t type, const uint8_t *payload, size_t len)
{
	char why[128];

	if (queue_frame(l, type, payload, len, NULL, 0) < 0) {
		snprintf(why, sizeof(why), "cannot queue a %s frame (send queue full)",
			 frame_type_name(type));
		link_close(l, 0, why, false);
		return false;
	}
	return flush_or_close(l);
}

static bool send_ping(struct link *l, uint8_t type, const struct ping *pg)
{
	uint8_t p[PING_LEN];

	ping_encode(p, sizeof(p), pg);
	return link_send_frame(l, type, p, sizeof(p));
}

/* ---------------------------------------------------------------- closing */

/* Finish a graceful close: flush, then TLS close_notify. */
static void closing_progress(struct link *l)
{
	int r = out_flush(l);

	if (r < 0) {
		link_free(l);
		return;
	}
	if (!out_busy(l) && !l->bye_done) {
		r = gnutls_bye(l->tls, GNUTLS_SHUT_WR);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			update_events(l);
			return;
		}
		if (r < 0) {
			link_free(l);
			return;
		}
		/* Our BYE and close_notify are out.  Closing now, with the peer's
		 * data unread, would send a RST that can overtake them; wait for
		 * its EOF instead (the close timer bounds the wait). */
		l->bye_done = true;
		shutdown(l->fd, SHUT_WR);
	}
	update_events(l);
}

void link_close(struct link *l, uint8_t code, const char *reason, bool graceful)
{
	struct cloud *cl = l->cloud;

	if (l->state == LINK_CLOSING) {
		if (!graceful)
			link_free(l);
		return;
	}
	if (l->up_since > 0) {
		log_info(LOGS_LINK, "link down: peer %s (%s): %s", peer_label(l), l->addr_str, reason);
	} else if (code != BYE_DUPLICATE) {
		/* TLS 1.3: a server that refuses our certificate does so after
		 * our side of the handshake is done, so it shows up here */
		cl->cnt.handshake_failures++;
		log_warn(LOGS_LINK, "link %s (%s): handshake failed: %s%s", peer_label(l), l->addr_str,
			 reason, l->state == LINK_HELLO && l->outgoing ?
			 " (before the peer's hello: it may have refused our certificate; "
			 "see its log)" : "");
		if (l->conn)
			snprintf(l->conn->last_error, sizeof(l->conn->last_error), "%s", reason);
	}

	if (!graceful || (l->state != LINK_UP && l->state != LINK_HELLO)) {
		link_free(l);
		return;
	}
	/* a closing link carries nothing more: its routes go now (a restarted
	 * peer's new link may be up already), not when the close completes */
	router_link_down(cl, l);
	struct bye b = { .code = code };
	uint8_t p[1 + BYE_REASON_MAX];
	snprintf(b.reason, sizeof(b.reason), "%s", reason);
	size_t n = bye_encode(p, sizeof(p), &b);
	if (n == 0) {		/* a reason we cannot send as is */
		b.reason[0] = '\0';
		n = bye_encode(p, sizeof(p), &b);
	}
	if (!link_send_frame(l, FRAME_BYE, p, n))
		return;
	l->state = LINK_CLOSING;
	arm_timer(l, cl->set.close_timeout_us ? cl->set.close_timeout_us : 1);
	closing_progress(l);
}

/* ---------------------------------------------------------------- up */

/* Another link to the same node is up: decide which one to keep, the same
 * way on both ends.  Returns false if `l' itself was closed. */
static bool tie_break(struct link *l)
{
	struct cloud *cl = l->cloud;
	struct link *o, *tmp;

	TAILQ_FOREACH_SAFE(o, &cl->links, entry, tmp) {
		if (o == l || o->state != LINK_UP || strcmp(o->peer.name, l->peer.name))
			continue;
		if (o->peer_boot_id != l->peer_boot_id) {
			/* the peer restarted; the old link is stale */
			link_close(o, BYE_DUPLICATE, "peer restarted, replaced by a new link", true);
			continue;
		}
		struct link *drop;
		if (o->outgoing != l->outgoing) {
			/* keep the link initiated by the node with the smaller name */
			bool we_win = strcmp(cl->name, l->peer.name) < 0;
			drop = (l->outgoing == we_win) ? o : l;
		} else if (l->outgoing) {
			drop = l;	/* two of ours: keep the older */
		} else {
			continue;	/* two of theirs: the initiator decides */
		}
		cl->cnt.duplicates++;
		log_info(LOGS_LINK, "duplicate link to %s: keeping link %u (%s), closing link %u (%s)",
			 l->peer.name, (drop == l ? o : l)->id, (drop == l ? o : l)->addr_str,
			 drop->id, drop->addr_str);
		link_close(drop, BYE_DUPLICATE, "duplicate link", true);
		if (drop == l)
			return false;
	}
	return true;
}

/* Returns false if the tie-break closed `l' (it may be freed already). */
static bool link_established(struct link *l, const struct hello *h)
{
	struct cloud *cl = l->cloud;

	l->peer_boot_id = h->boot_id;
	if (l->creds != cl->creds) {
		/* a reload happened during the handshake: the new trust rules */
		char why[256];
		if (!tls_peer_still_trusted(cl->creds, l->tls, l->peer.name, why, sizeof(why))) {
			cl->cnt.cert_rejected++;
			log_warn(LOGS_LINK, "link %s (%s): not allowed after reload: %s",
				 l->peer.name, l->addr_str, why);
			link_close(l, BYE_POLICY, "not allowed by the peer's configuration", true);
			return false;
		}
	}
	l->state = LINK_UP;
	if (!tie_break(l))
		return false;
	l->up_since = ev_now(cl->loop);
	cl->cnt.links_opened++;
	log_info(LOGS_LINK, "link up: peer %s (%s, %s, %s)", l->peer.name, l->addr_str,
		 l->outgoing ? "out" : "in", l->creds->mode == TLS_X509 ? "x509" : "rawpk");
	if (l->conn)
		connector_link_up(l->conn, l);
	connectors_peer_up(cl, l->peer.name);
	link_udp_start(l);
	/* first ping at once: the RTT is known within a round trip, and with
	 * it the link becomes a routing neighbour (router_link_rtt) */
	arm_timer(l, 1);
	return true;
}

/* ---------------------------------------------------------------- input */

static void protocol_error(struct link *l, const char *what)
{
	l->cloud->cnt.protocol_errors++;
	log_warn(LOGS_LINK, "link %s (%s): malformed input: %s; closing link",
		 peer_label(l), l->addr_str, what);
	link_close(l, BYE_PROTOCOL, what, true);
}

/* Returns false if the link is gone or closing. */
static bool handle_frame(struct link *l, const struct frame *f)
{
	char why[BYE_REASON_MAX + 1];

	if (l->state == LINK_CLOSING)
		return f->type != FRAME_BYE;
	if (l->state == LINK_HELLO) {
		struct hello h;
		if (f->type == FRAME_BYE)
			goto bye;
		if (f->type != FRAME_HELLO) {
			snprintf(why, sizeof(why), "expected hello, got %s frame", frame_type_name(f->type));
			protocol_error(l, why);
			return false;
		}
		if (!hello_decode(f->payload, f->len, &h)) {
			protocol_error(l, "malformed hello");
			return false;
		}
		if (h.version != PROTO_VERSION) {
			snprintf(why, sizeof(why), "unsupported protocol version %u (we speak %u)",
				 h.version, PROTO_VERSION);
			protocol_error(l, why);
			return false;
		}
		if (strcmp(h.name, l->peer.name)) {
			snprintf(why, sizeof(why), "hello names '%s' but the peer authenticated as '%s'",
				 h.name, l->peer.name);
			protocol_error(l, why);
			return false;
		}
		return link_established(l, &h);
	}

	struct ping pg;
	struct bye b;
	switch (f->type) {
	case FRAME_PING:
		if (!ping_decode(f->payload, f->len, &pg)) {
			protocol_error(l, "malformed ping");
			return false;
		}
		return send_ping(l, FRAME_PONG, &pg);
	case FRAME_PONG: {
		if (!ping_decode(f->payload, f->len, &pg) || pg.seq != l->ping_seq) {
			/* a pong for an older ping is harmless; garbage is not */
			if (f->len != PING_LEN) {
				protocol_error(l, "malformed pong");
				return false;
			}
			return true;
		}
		uint64_t now = now_us(l);
		if (pg.t_us <= now) {
			uint64_t sample = now - pg.t_us;
			if (sample == 0)
				sample = 1;
			l->srtt_us = l->srtt_us ? (7 * l->srtt_us + sample) / 8 : sample;
			log_dbg(LOGS_LINK, "link %s (%s): rtt %.3fms, smoothed %.3fms", l->peer.name,
				l->addr_str, (double)sample / 1000., (double)l->srtt_us / 1000.);
			router_link_rtt(l->cloud, l, sample);
		}
		return true;
	}
	case FRAME_ROUTE:
	case FRAME_SEQREQ:
	case FRAME_DIGEST:
	case FRAME_ROUTE_REQ:
		if (!router_frame(l->cloud, l, f->type, f->payload, f->len)) {
			snprintf(why, sizeof(why), "malformed %s frame", frame_type_name(f->type));
			protocol_error(l, why);
			return false;
		}
		return true;
	case FRAME_UDP:
		if (!link_udp_offer(l, f->payload, f->len)) {
			protocol_error(l, "malformed udp offer");
			return false;
		}
		return true;
	case FRAME_DATA:
		l->rx_packets++;
		if (!fwd_from_link(l->cloud, l, f->payload, f->len)) {
			protocol_error(l, "malformed data frame");
			return false;
		}
		return true;
	case FRAME_BYE:
bye:
		if (!bye_decode(f->payload, f->len, &b)) {
			protocol_error(l, "malformed bye");
			return false;
		}
		log_info(LOGS_LINK, "link %s (%s) closed by peer: %s", peer_label(l), l->addr_str,
			 b.reason[0] ? b.reason : "no reason given");
		if (b.code == BYE_DUPLICATE)
			l->cloud->cnt.duplicates++;
		l->state = LINK_CLOSING;	/* nothing more to say to it */
		router_link_down(l->cloud, l);
		link_free(l);
		return false;
	default:
		snprintf(why, sizeof(why), "unexpected %s frame", frame_type_name(f->type));
		protocol_error(l, why);
		return false;
	}
}

/* Returns false if the link is gone or closing. */
static bool process_frames(struct link *l)
{
	size_t off = 0;
	bool alive = true;

	while (off < l->rlen) {
		struct frame f;
		int n = frame_decode(l->rbuf + off, l->rlen - off, FRAME_MAX_PAYLOAD, &f);
		if (n == 0)
			break;
		if (n < 0) {
			char why[96];
			snprintf(why, sizeof(why), "malformed frame header (type %u, %s)",
				 l->rbuf[off], n == -EMSGSIZE ? "too long" : "invalid");
			protocol_error(l, why);
			return false;
		}
		off += (size_t)n;
		if (!handle_frame(l, &f)) {
			alive = false;
			break;
		}
	}
	if (!alive)
		return false;
	memmove(l->rbuf, l->rbuf + off, l->rlen - off);
	l->rlen -= off;
	return true;
}

static void do_read(struct link *l)
{
	for (;;) {
		ssize_t n = gnutls_record_recv(l->tls, l->rbuf + l->rlen, RBUF_LEN - l->rlen);

		if (n == GNUTLS_E_AGAIN)
			break;
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == 0) {
			if (l->state == LINK_CLOSING) {
				link_free(l);
				return;
			}
			link_close(l, 0, "connection closed by peer without bye", false);
			return;
		}
		if (n < 0) {
			if (!gnutls_error_is_fatal((int)n))
				continue;
			char why[160];
			snprintf(why, sizeof(why), "TLS error: %s", gnutls_strerror((int)n));
			if (n == GNUTLS_E_DECRYPTION_FAILED || n == GNUTLS_E_UNEXPECTED_PACKET_LENGTH ||
			    n == GNUTLS_E_UNEXPECTED_PACKET || n == GNUTLS_E_UNSUPPORTED_VERSION_PACKET) {
				l->cloud->cnt.protocol_errors++;
				log_warn(LOGS_LINK, "link %s (%s): malformed input: %s; closing link",
					 peer_label(l), l->addr_str, why);
			}
			link_close(l, 0, why, false);
			return;
		}
		l->rlen += (size_t)n;
		l->rx_bytes += (uint64_t)n;
		l->last_rx = ev_now(l->cloud->loop);
		if (!process_frames(l))
			return;
	}
	if (l->state == LINK_CLOSING)
		closing_progress(l);
	else
		update_events(l);
}

/* ---------------------------------------------------------------- handshake */

static void handshake_failed(struct link *l, int r)
{
	struct cloud *cl = l->cloud;

	if (!l->peer.rejected && (r == GNUTLS_E_NO_CERTIFICATE_FOUND ||
				  r == GNUTLS_E_CERTIFICATE_REQUIRED)) {
		l->peer.rejected = true;
		snprintf(l->peer.why, sizeof(l->peer.why),
			 "certificate rejected: the peer sent no certificate (%s)", gnutls_strerror(r));
	}
	if (l->peer.rejected) {
		cl->cnt.cert_rejected++;
		log_warn(LOGS_LINK, "link %s: %s", l->addr_str, l->peer.why);
	} else {
		cl->cnt.handshake_failures++;
		if (r == GNUTLS_E_WARNING_ALERT_RECEIVED || r == GNUTLS_E_FATAL_ALERT_RECEIVED)
			log_warn(LOGS_LINK, "link %s: handshake failed: the peer refused us (alert: %s)",
				 l->addr_str, gnutls_alert_get_name(gnutls_alert_get(l->tls)));
		else
			log_warn(LOGS_LINK, "link %s: handshake failed: %s", l->addr_str,
				 gnutls_strerror(r));
	}
	if (l->conn)
		snprintf(l->conn->last_error, sizeof(l->conn->last_error), "%s",
			 l->peer.rejected ? l->peer.why : gnutls_strerror(r));
	link_free(l);
}

static void do_handshake(struct link *l)
{
	struct cloud *cl = l->cloud;
	int r;

	do {	/* a warning alert is not fatal: go on at once */
		r = gnutls_handshake(l->tls);
	} while (r < 0 && r != GNUTLS_E_AGAIN && !gnutls_error_is_fatal(r));
	if (r == GNUTLS_E_AGAIN) {
		set_events(l, gnutls_record_get_direction(l->tls) ? EV_WRITE : EV_READ);
		return;
	}
	if (r < 0) {
		handshake_failed(l, r);
		return;
	}
	/* authenticated: only now the receive buffer (not for every stranger
	 * that opens a TCP connection) */
	l->rbuf = malloc(RBUF_LEN);
	if (!l->rbuf) {
		link_close(l, 0, "out of memory", false);
		return;
	}
	l->state = LINK_HELLO;
	l->last_rx = ev_now(cl->loop);
	log_dbg(LOGS_LINK, "link %s (%s): TLS up, sending hello", peer_label(l), l->addr_str);

	struct hello h = { .version = PROTO_VERSION, .boot_id = cl->boot_id };
	uint8_t p[16 + NODE_NAME_MAX];
	snprintf(h.name, sizeof(h.name), "%s", cl->name);
	size_t n = hello_encode(p, sizeof(p), &h);
	if (!link_send_frame(l, FRAME_HELLO, p, n))
		return;
	/* the peer's hello may already be buffered inside TLS */
	do_read(l);
}

static void tcp_connected(struct link *l)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		l->cloud->cnt.connect_failures++;
		log_info(LOGS_LINK, "link %s: connect failed: %s", l->addr_str, strerror(err));
		if (l->conn)
			snprintf(l->conn->last_error, sizeof(l->conn->last_error), "connect: %s",
				 strerror(err));
		link_free(l);
		return;
	}
	l->state = LINK_HANDSHAKE;
	do_handshake(l);
}

/* ---------------------------------------------------------------- events */

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct link *l = (struct link *)((char *)w - offsetof(struct link, io));

	switch (l->state) {
	case LINK_TCP_CONNECTING:
		tcp_connected(l);
		break;
	case LINK_HANDSHAKE:
		do_handshake(l);
		break;
	case LINK_HELLO:
	case LINK_UP:
		if (revents & EV_WRITE) {
			int r = out_flush(l);
			if (r < 0) {
				link_close(l, 0, gnutls_strerror(r), false);
				return;
			}
		}
		if (revents & EV_READ)
			do_read(l);
		else
			update_events(l);
		break;
	case LINK_CLOSING:
		if (revents & EV_READ) {
			do_read(l);	/* frees the link on EOF */
			return;
		}
		closing_progress(l);
		break;
	}
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct link *l = (struct link *)((char *)w - offsetof(struct link, timer));
	struct cloud *cl = l->cloud;
	char why[96];

	switch (l->state) {
	case LINK_TCP_CONNECTING:
	case LINK_HANDSHAKE:
	case LINK_HELLO:
		if (l->state == LINK_TCP_CONNECTING)
			cl->cnt.connect_failures++;
		else
			cl->cnt.handshake_failures++;
		log_warn(LOGS_LINK, "link %s (%s): handshake timed out after %.1fs in state %s",
			 peer_label(l), l->addr_str, ev_now(loop) - l->created,
			 link_state_name(l->state));
		if (l->conn)
			snprintf(l->conn->last_error, sizeof(l->conn->last_error), "handshake timed out");
		link_free(l);
		return;
	case LINK_CLOSING:
		log_dbg(LOGS_LINK, "link %s (%s): clean close timed out", peer_label(l), l->addr_str);
		link_free(l);
		return;
	case LINK_UP:
		break;
	}

	double silent = ev_now(loop) - l->last_rx;
	if (silent * 1e6 > (double)cl->set.timeout_us) {
		snprintf(why, sizeof(why), "timed out: nothing received for %.1fs", silent);
		link_close(l, 0, why, false);
		return;
	}
	struct ping pg = { .seq = ++l->ping_seq, .t_us = now_us(l) };
	if (!send_ping(l, FRAME_PING, &pg))
		return;
	arm_timer(l, jitter_us(cl->set.keepalive_us, 10, cloud_random32()));
}

void link_settings_changed(struct link *l)
{
	if (l->state == LINK_UP)
		arm_timer(l, jitter_us(l->cloud->set.keepalive_us, 10, cloud_random32()));
}

/* ---------------------------------------------------------------- life */

struct link *link_new(struct cloud *cl, int fd, const struct sockaddr *sa, socklen_t salen,
		      bool outgoing, bool connecting, struct connector *conn)
{
	struct link *l = calloc(1, sizeof(*l));
	int r, one = 1;

	if (!l) {
		close(fd);
		log_err(LOGS_LINK, "out of memory for a new link");
		return NULL;
	}
	l->cloud = cl;
	l->id = ++cl->next_link_id;
	l->fd = fd;
	l->outgoing = outgoing;
	l->conn = conn;
	memcpy(&l->addr, sa, salen < sizeof(l->addr) ? salen : sizeof(l->addr));
	fmt_sockaddr(sa, l->addr_str, sizeof(l->addr_str));
	l->creds = tls_creds_get(cl->creds);
	l->created = l->last_rx = ev_now(cl->loop);
	if (cl->set.nodelay)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	ev_io_init(&l->io, io_cb, fd, 0);
	ev_timer_init(&l->timer, timer_cb, 0., 0.);
	TAILQ_INSERT_TAIL(&cl->links, l, entry);
	cl->nlinks++;

	r = tls_session_new(l->creds, !outgoing, fd, &l->peer, &l->tls);
	if (r < 0) {
		log_err(LOGS_LINK, "link %s: cannot create TLS session: %s", l->addr_str,
			gnutls_strerror(r));
		l->conn = NULL;		/* the caller learns it from NULL */
		link_free(l);
		return NULL;
	}
	log_dbg(LOGS_LINK, "link %u: %s %s", l->id, outgoing ? "connecting to" : "accepted from",
		l->addr_str);
	arm_timer(l, cl->set.timeout_us);
	/* the handshake starts from the loop, so that link_new never returns
	 * a link that is already freed */
	l->state = connecting ? LINK_TCP_CONNECTING : LINK_HANDSHAKE;
	set_events(l, connecting ? EV_WRITE : EV_READ);
	return l;
}

static void link_free(struct link *l)
{
	struct cloud *cl = l->cloud;
	bool was_up = l->up_since > 0;
	char name[NODE_NAME_MAX + 1];

	ev_io_stop(cl->loop, &l->io);
	ev_timer_stop(cl->loop, &l->timer);
	TAILQ_REMOVE(&cl->links, l, entry);
	cl->nlinks--;
	if (was_up)
		cl->cnt.links_closed++;
	snprintf(name, sizeof(name), "%s", l->peer.name);

	if (was_up)
		router_link_down(cl, l);
	link_udp_stop(l);
	if (l->tls)
		gnutls_deinit(l->tls);
	close(l->fd);
	if (l->conn)
		connector_link_gone(l->conn, l, was_up, NULL);
	tls_creds_put(l->creds);
	free(l->out.buf);
	free(l->rbuf);
	free(l);

	if (was_up && name[0])
		connectors_peer_down(cl, name);
	cloud_maybe_done(cl);
}
