/*
 * link_udp.c - one link's UDP session: keys, window, paths, policy,
 * fragmentation, reordering and fallback (see udp.h, DESIGN section 4).
 *
 * Keys: each direction has its own key per epoch, exported from the TLS
 * session (gnutls_prf_rfc5705, label "EXPORTER-cloudvpn-udp", context the
 * direction and the epoch), so nothing secret crosses the wire and a new
 * TLS session means new keys.  The sender moves to the next epoch on a
 * timer or a packet count (at most once a second) and says so with the
 * header's epoch bit; the receiver keeps the next epoch's key ready and
 * the previous one for PREV_KEY_US, so packets in flight survive a switch.
 *
 * Invariants: the receive window moves only after a tag verified; data is
 * sent to an address only once a probe to it was answered (a new source
 * address is challenged first); a packet that does not fit the smallest
 * MTU of the paths it goes on is split by us, never by IP.  While no path
 * is live, link_udp_send says no and the link's TLS stream carries data.
 */
#include "config.h"
#include "link_udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/gnutls.h>

#include "backoff.h"
#include "epoch.h"
#include "fwd.h"
#include "link.h"
#include "log.h"
#include "options.h"
#include "peer.h"
#include "strbuf.h"
#include "wire.h"

#define PREV_KEY_US 3000000
#define REKEY_MIN_US 1000000
#define MTU_RESEARCH_US 60000000	/* try to grow a path's MTU again */
#define LEARNED_GC_US 30000000		/* a dead learned path is forgotten */
#define IP4_UDP_OVERHEAD 28
#define IP6_UDP_OVERHEAD 48
#define IP_MTU_MIN 1280
#define SPRAY_QUEUE_US 20000	/* queueing that halves a path's share */
#define PRIMARY_MARGIN_US 1000	/* a faster path must win by this much too */

static const char *const policy_names[] = { "primary", "duplicate", "spray" };

const char *udp_policy_name(enum udp_policy p)
{
	return p <= POLICY_SPRAY ? policy_names[p] : "?";
}

int udp_policy_parse(const char *s)
{
	for (int i = 0; i <= POLICY_SPRAY; i++)
		if (!strcmp(s, policy_names[i]))
			return i;
	return -1;
}

static uint64_t now_us(const struct link *l)
{
	return (uint64_t)(ev_now(l->cloud->loop) * 1e6);
}

static const char *peer_of(const struct link *l)
{
	return l->peer.name[0] ? l->peer.name : l->addr_str;
}

/* ---------------------------------------------------------------- addresses */

/* v4-mapped IPv6 becomes IPv4, so that one address has one form. */
static socklen_t addr_norm(struct sockaddr_storage *out, const struct sockaddr *in, socklen_t len)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)in;

	if (in->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)out;
		memset(out, 0, sizeof(*out));
		s4->sin_family = AF_INET;
		s4->sin_port = s6->sin6_port;
		memcpy(&s4->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		return sizeof(*s4);
	}
	memset(out, 0, sizeof(*out));
	memcpy(out, in, len < sizeof(*out) ? len : sizeof(*out));
	return in->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

static bool addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

static void ep_to_addr(const struct udpw_endpoint *ep, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(ep->port);
		memcpy(&s4->sin_addr, ep->addr, 4);
		*len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(ep->port);
		memcpy(&s6->sin6_addr, ep->addr, 16);
		*len = sizeof(*s6);
	}
}

static bool addr_to_ep(const struct sockaddr_storage *ss, uint16_t port, struct udpw_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->port = port;
	if (ss->ss_family == AF_INET) {
		ep->family = 4;
		memcpy(ep->addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		ep->family = 6;
		memcpy(ep->addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		return true;
	}
	return false;
}

static uint16_t addr_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port :
						((const struct sockaddr_in6 *)ss)->sin6_port);
}

static bool ep_unspecified(const struct udpw_endpoint *ep)
{
	static const uint8_t zero[16];

	return !memcmp(ep->addr, zero, ep->family == 4 ? 4 : 16);
}

/* ---------------------------------------------------------------- keys */

static int derive(struct link *l, bool client_to_server, uint32_t epoch, uint8_t cipher,
		  struct aead_key *k)
{
	static const char label[] = "EXPORTER-cloudvpn-udp";
	uint8_t ctx[5], secret[AEAD_KEY_LEN];
	int r;

	ctx[0] = client_to_server ? 'c' : 's';
	wire_put32(ctx + 1, epoch);
	r = gnutls_prf_rfc5705(l->tls, sizeof(label) - 1, label, sizeof(ctx), (const char *)ctx,
			       sizeof(secret), (char *)secret);
	if (r < 0) {
		log_warn(LOGS_DATA, "link %s: cannot derive UDP keys: %s", peer_of(l),
			 gnutls_strerror(r));
		return -EIO;
	}
	aead_key_clear(k);
	r = aead_key_init(k, cipher, secret);
	gnutls_memset(secret, 0, sizeof(secret));
	return r;
}

/* Our sending direction is the TLS client's if we connected. */
static int tx_rekey(struct link *l, uint32_t epoch)
{
	struct link_udp *lu = l->udp;
	int r = derive(l, l->outgoing, epoch, lu->tx_cipher, &lu->tx_key);

	if (r == 0) {
		lu->tx_epoch = epoch;
		lu->tx_since_rekey = 0;
		lu->rekeyed_at = now_us(l);
		lu->rekey_due = lu->rekeyed_at + conf_u64(l->cloud->conf, OPT_UDP_REKEY_INTERVAL);
	}
	return r;
}

static void maybe_rekey(struct link *l, uint64_t now)
{
	struct link_udp *lu = l->udp;
	const struct conf *c = l->cloud->conf;

	if (now - lu->rekeyed_at < REKEY_MIN_US)
		return;
	if (now < lu->rekey_due &&
	    lu->tx_since_rekey < (uint64_t)conf_int(c, OPT_UDP_REKEY_PACKETS))
		return;
	if (tx_rekey(l, lu->tx_epoch + 1) == 0) {
		lu->rekeys++;
		log_dbg(LOGS_DATA, "link %s: UDP send key epoch %u", peer_of(l), lu->tx_epoch);
	}
}

/* The peer moved on (epoch.h): the next key is current, the current one
 * the previous. */
static void rx_advance(struct link *l)
{
	struct link_udp *lu = l->udp;
	struct aead_key t = lu->rx_prev;

	lu->rx_prev = lu->rx_key;
	lu->rx_key = lu->rx_next;
	lu->rx_next = t;
	epoch_rx_moved(&lu->rx_ep, now_us(l));
	if (derive(l, !l->outgoing, lu->rx_ep.epoch + 1, lu->rx_cipher, &lu->rx_next) < 0)
		aead_key_clear(&lu->rx_next);
}

/* Open p with the keys its epoch bit names (epoch.h). */
static bool open_pkt(struct link *l, struct pkt *p, const struct udpw_hdr *h, size_t *len)
{
	struct link_udp *lu = l->udp;
	struct aead_key *keys[] = { [EPOCH_CUR] = &lu->rx_key, [EPOCH_PREV] = &lu->rx_prev,
				    [EPOCH_NEXT] = &lu->rx_next };
	enum epoch_key try[2];
	unsigned n = epoch_rx_keys(&lu->rx_ep, h->flags & UDPW_F_EPOCH, now_us(l), try);
	uint8_t *copy = l->cloud->udp->scratch;

	/* rare (around a key switch): a failed open leaves garbage, so keep
	 * the datagram when there is a second key to try */
	if (n > 1)
		memcpy(copy, p->data, p->len);
	for (unsigned i = 0; i < n; i++) {
		struct aead_key *k = keys[try[i]];
		if (i)
			memcpy(p->data, copy, p->len);
		if (!aead_key_set(k) || !aead_open(k, p->data, p->len, len))
			continue;
		if (try[i] == EPOCH_NEXT)
			rx_advance(l);
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------- paths */

static uint16_t ip_overhead(const struct udp_path *pa)
{
	return pa->remote.ss_family == AF_INET ? IP4_UDP_OVERHEAD : IP6_UDP_OVERHEAD;
}

static void mtu_reset(struct link *l, struct udp_path *pa)
{
	uint16_t oh = ip_overhead(pa);

	pa->mtu = (uint16_t)(IP_MTU_MIN - oh);
	pa->mtu_hi = (uint16_t)(conf_int(l->cloud->conf, OPT_UDP_MTU_MAX) - oh);
	pa->mtu_fails = pa->confirm_fails = 0;
	pa->mtu_pending = pa->mtu_tried_max = false;
	pa->mtu_search_at = 0;
}

static struct udp_path *path_add(struct link *l, struct udp_sock *s,
				 const struct sockaddr_storage *to, socklen_t tolen, bool learned)
{
	struct link_udp *lu = l->udp;
	struct udp_path *pa;

	if (lu->npaths == UDP_MAX_PATHS) {
		/* make room by forgetting a learned path that is not live */
		unsigned i;
		for (i = 0; i < lu->npaths; i++)
			if (lu->path[i].learned && lu->path[i].state != PATH_LIVE)
				break;
		if (i == lu->npaths)
			return NULL;
		lu->path[i] = lu->path[--lu->npaths];
		lu->primary = -1;
	}
	pa = &lu->path[lu->npaths++];
	memset(pa, 0, sizeof(*pa));
	pa->id = ++lu->next_path_id;
	pa->sock = s;
	memcpy(&pa->remote, to, sizeof(*to));
	pa->rlen = tolen;
	pa->learned = learned;
	pa->state = PATH_PROBING;
	pa->created = now_us(l);
	fmt_sockaddr((const struct sockaddr *)to, pa->remote_str, sizeof(pa->remote_str));
	mtu_reset(l, pa);
	return pa;
}

static struct udp_path *path_find(struct link_udp *lu, const struct udp_sock *s,
				  const struct sockaddr_storage *from)
{
	for (unsigned i = 0; i < lu->npaths; i++)
		if (lu->path[i].sock == s && addr_eq(&lu->path[i].remote, from))
			return &lu->path[i];
	return NULL;
}

static uint32_t loss_pct(const struct udp_path *pa)
{
	/* the newest round is still out: judge the ones before it */
	uint32_t n = pa->hist_n > 1 ? pa->hist_n - 1 : 0;
	uint32_t mask = n >= 31 ? 0xfffffffeu : ((1u << (n + 1)) - 2);

	if (!n)
		return 0;
	return 100 - 100 * (uint32_t)__builtin_popcount(pa->hist & mask) / n;
}

/* A probe's token: what a reply must echo (the challenge). */
static uint64_t probe_token(void)
{
	return (uint64_t)cloud_random32() << 32 | cloud_random32();
}

static void send_probe(struct link *l, struct udp_path *pa, size_t dgram, uint64_t token)
{
	struct link_udp *lu = l->udp;
	uint8_t buf[UDPW_MAX_DGRAM];
	struct udpw_hdr h = {
		.type = UDPW_PROBE, .flags = lu->tx_epoch & 1 ? UDPW_F_EPOCH : 0, .path = pa->id,
		.index = lu->tx_index, .counter = ++lu->tx_probe_ctr | UDPW_CTR_PROBE,
	};
	struct udpw_probe pr = { .kind = UDPW_PROBE_REQ, .path = pa->id, .time = now_us(l),
				 .token = token };
	size_t pt, n;

	if (dgram < UDPW_OVERHEAD + UDPW_PROBE_LEN)
		dgram = UDPW_OVERHEAD + UDPW_PROBE_LEN;
	if (dgram > sizeof(buf))
		dgram = sizeof(buf);
	pr.size = (uint32_t)dgram;
	udpw_hdr_put(buf, &h);
	pt = udpw_probe_encode(buf + UDPW_HDR_LEN, sizeof(buf) - UDPW_OVERHEAD, &pr,
			       dgram - UDPW_OVERHEAD);
	n = pt ? aead_seal(&lu->tx_key, buf, pt) : 0;
	if (n)
		udp_send_now(pa->sock, buf, n, (const struct sockaddr *)&pa->remote, pa->rlen);
}

static void send_reply(struct link *l, struct udp_sock *s, const struct sockaddr *to,
		       socklen_t tolen, const struct udpw_probe *req, size_t got)
{
	struct link_udp *lu = l->udp;
	uint8_t buf[UDPW_OVERHEAD + UDPW_PROBE_LEN];
	struct udpw_hdr h = {
		.type = UDPW_PROBE, .flags = lu->tx_epoch & 1 ? UDPW_F_EPOCH : 0,
		.index = lu->tx_index, .counter = ++lu->tx_probe_ctr | UDPW_CTR_PROBE,
	};
	struct udpw_probe rep = { .kind = UDPW_PROBE_REPLY, .path = req->path,
				  .size = (uint32_t)got, .time = req->time, .token = req->token };
	size_t pt, n;

	udpw_hdr_put(buf, &h);
	pt = udpw_probe_encode(buf + UDPW_HDR_LEN, UDPW_PROBE_LEN, &rep, 0);
	n = pt ? aead_seal(&lu->tx_key, buf, pt) : 0;
	if (n)
		udp_send_now(s, buf, n, to, tolen);
}

/* One probe round on a path: liveness and RTT with a small probe, MTU
 * with a padded one while searching (or now and then to confirm). */
static void path_tick(struct link *l, struct udp_path *pa, uint64_t now, uint64_t timeout,
		      unsigned round)
{
	if (pa->state == PATH_LIVE && now - pa->last_reply > timeout) {
		pa->state = PATH_DEAD;
		log_info(LOGS_DATA, "link %s: path %s -> %s dead (no answer for %.1fs)",
			 peer_of(l), pa->sock->addr_str, pa->remote_str,
			 (double)(now - pa->last_reply) / 1e6);
	}
	/* the padded probe of the last round got no answer */
	if (pa->mtu_pending) {
		pa->mtu_pending = false;
		if (pa->mtu_try > pa->mtu) {
			if (++pa->mtu_fails >= 2) {
				pa->mtu_hi = (uint16_t)(pa->mtu_try - 1);
				pa->mtu_fails = 0;
			}
		} else if (pa->state == PATH_LIVE && ++pa->confirm_fails >= 3) {
			/* packets of the size in use get lost, small ones do
			 * not: the path's MTU shrank; start again from the floor */
			log_info(LOGS_DATA, "link %s: path %s -> %s: %u-byte datagrams lost, "
				 "probing its MTU again", peer_of(l), pa->sock->addr_str,
				 pa->remote_str, pa->mtu);
			mtu_reset(l, pa);
		}
	}
	pa->hist = pa->hist << 1;
	if (pa->hist_n < 32)
		pa->hist_n++;
	memmove(pa->tok + 1, pa->tok, sizeof(pa->tok) - sizeof(pa->tok[0]));
	pa->tok[0] = probe_token();
	send_probe(l, pa, 0, pa->tok[0]);
	if (pa->state == PATH_PROBING)
		return;
	if (pa->mtu_hi <= pa->mtu && pa->mtu_search_at && now >= pa->mtu_search_at) {
		pa->mtu_hi = (uint16_t)(conf_int(l->cloud->conf, OPT_UDP_MTU_MAX) - ip_overhead(pa));
		pa->mtu_search_at = 0;
		pa->mtu_tried_max = false;
	}
	/* the largest first (the common answer), then bisect */
	if (pa->mtu_hi > pa->mtu) {
		if (!pa->mtu_fails)	/* else the same size once more */
			pa->mtu_try = pa->mtu_tried_max ? (uint16_t)((pa->mtu + pa->mtu_hi + 1) / 2) :
							  pa->mtu_hi;
		pa->mtu_tried_max = true;
	} else if (round % 4 == 0 || pa->confirm_fails) {
		pa->mtu_try = pa->mtu;		/* confirm; each round once one was lost */
	} else {
		return;
	}
	if (pa->mtu_hi <= pa->mtu && !pa->mtu_search_at)
		pa->mtu_search_at = now + MTU_RESEARCH_US;
	pa->tok_mtu = probe_token();
	pa->mtu_pending = true;
	send_probe(l, pa, pa->mtu_try, pa->tok_mtu);
}

static void probe_reply(struct link *l, struct udp_path *pa, const struct udpw_probe *rep,
			uint64_t now)
{
	if (rep->token == pa->tok_mtu && pa->mtu_pending) {
		pa->mtu_pending = false;
		if (rep->size > pa->mtu && rep->size <= UDPW_MAX_DGRAM)
			pa->mtu = (uint16_t)rep->size;
		pa->mtu_fails = pa->confirm_fails = 0;
		if (pa->mtu > pa->mtu_hi)
			pa->mtu_hi = pa->mtu;
	}
	unsigned i;
	for (i = 0; i < PROBE_TOKENS; i++)
		if (pa->tok[i] && rep->token == pa->tok[i])
			break;
	if (i == PROBE_TOKENS)
		return;
	pa->tok[i] = 0;
	pa->hist |= 1u << i;
	if (now >= rep->time) {
		uint32_t rtt = (uint32_t)(now - rep->time > UINT32_MAX ? UINT32_MAX : now - rep->time);
		pa->srtt_us = pa->srtt_us ? (pa->srtt_us * 7 + rtt) / 8 : rtt;
		if (!pa->min_rtt_us || rtt < pa->min_rtt_us)
			pa->min_rtt_us = rtt;
	}
	pa->last_reply = now;
	if (pa->state != PATH_LIVE) {
		log_info(LOGS_DATA, "link %s: path %s -> %s live (rtt %.2fms)%s", peer_of(l),
			 pa->sock->addr_str, pa->remote_str, pa->srtt_us / 1000.,
			 pa->learned ? ", a new address of the peer" : "");
		pa->state = PATH_LIVE;
	}
}

/* ---------------------------------------------------------------- timers */

static void probe_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct link_udp *lu = (struct link_udp *)((char *)w - offsetof(struct link_udp, probe_timer));
	struct link *l = lu->link;
	const struct conf *c = l->cloud->conf;
	uint64_t now = now_us(l), timeout = conf_u64(c, OPT_UDP_PATH_TIMEOUT);
	unsigned round = ++lu->round;

	if (lu->tx_index) {
		for (unsigned i = 0; i < lu->npaths; i++) {
			struct udp_path *pa = &lu->path[i];
			if (pa->learned && pa->state != PATH_LIVE &&
			    now - (pa->last_reply ? pa->last_reply : pa->created) > LEARNED_GC_US) {
				lu->path[i--] = lu->path[--lu->npaths];
				lu->primary = -1;
				continue;
			}
			path_tick(l, pa, now, timeout, round);
		}
		maybe_rekey(l, now);
	}
	defrag_expire(&lu->df, now);
	ev_timer_set(w, (double)jitter_us(conf_u64(c, OPT_UDP_KEEPALIVE), 10,
					  cloud_random32()) / 1e6, 0.);
	ev_timer_start(loop, w);
}

static void deliver(struct link *l, struct pkt *p, uint64_t ctr);

struct held {
	struct pkt *pkt[REORDER_SLOTS + 1];
	uint64_t ctr[REORDER_SLOTS + 1];
	unsigned n;
};

static void collect(void *ctx, void *pkt, uint64_t ctr)
{
	struct held *h = ctx;

	h->pkt[h->n] = pkt;
	h->ctr[h->n++] = ctr;
}

/* Deliver what the reorder buffer released.  Delivery may close the link
 * (a relay back on it failing), so it is checked before each packet. */
static void deliver_held(struct cloud *cl, uint32_t index, struct held *h)
{
	for (unsigned i = 0; i < h->n; i++) {
		struct link *l = udp_session_find(cl->udp, index);
		if (l)
			deliver(l, h->pkt[i], h->ctr[i]);
		udp_pkt_put(cl->udp, h->pkt[i]);
	}
	h->n = 0;
}

static void arm_reorder(struct link *l)
{
	struct link_udp *lu = l->udp;
	uint64_t when, now = now_us(l);

	ev_timer_stop(l->cloud->loop, &lu->reorder_timer);
	if (!reorder_deadline(&lu->ro, &when))
		return;
	ev_timer_set(&lu->reorder_timer, when > now ? (double)(when - now) / 1e6 : 1e-6, 0.);
	ev_timer_start(l->cloud->loop, &lu->reorder_timer);
}

static void reorder_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct link_udp *lu = (struct link_udp *)((char *)w - offsetof(struct link_udp, reorder_timer));
	struct link *l = lu->link;
	struct cloud *cl = l->cloud;
	uint32_t index = lu->rx_index;
	struct held h = { .n = 0 };

	reorder_expire(&lu->ro, now_us(l), collect, &h);
	arm_reorder(l);
	deliver_held(cl, index, &h);
}

/* ---------------------------------------------------------------- receive */

static void deliver(struct link *l, struct pkt *p, uint64_t ctr)
{
	struct link_udp *lu = l->udp;
	const uint8_t *d = p->data + p->ptoff;
	size_t len = p->ptlen;

	if (p->flags & UDPW_F_FRAG) {
		struct udpw_frag f;
		const uint8_t *whole;
		if (!udpw_frag_get(d, len, &f)) {
			lu->rx_bad_payload++;
			l->cloud->udp->cnt.rx_bad_payload++;
			return;
		}
		switch (defrag_add(&lu->df, ctr, &f, d + UDPW_FRAG_HDR_LEN,
				   len - UDPW_FRAG_HDR_LEN, now_us(l), &whole, &len)) {
		case DEFRAG_MORE:
			return;
		case DEFRAG_BAD:
			lu->rx_bad_payload++;
			l->cloud->udp->cnt.rx_bad_payload++;
			return;
		case DEFRAG_DONE:
			lu->rx_reassembled++;
			d = whole;
			break;
		}
	}
	if (p->flags & UDPW_F_SHORT) {
		/* put back what the short header left out: the origin is the
		 * peer (rxbuf: scratch may be in use by a relay's send) */
		uint8_t *full = l->cloud->udp->rxbuf;
		size_t used, hl = data_hdr_expand(d, len, l->peer.name, full, DATA_HDR_MAX, &used);
		if (!hl) {
			lu->rx_bad_payload++;
			l->cloud->udp->cnt.rx_bad_payload++;
			return;
		}
		memcpy(full + hl, d + used, len - used);
		d = full;
		len = hl + len - used;
	}
	lu->rx_udp++;
	l->rx_packets++;
	if (!fwd_from_link(l->cloud, l, d, len)) {
		/* on TLS a malformed frame ends the link; a datagram is only
		 * dropped, so that nothing can be torn down from outside */
		lu->rx_bad_payload++;
		l->cloud->udp->cnt.rx_bad_payload++;
	}
}

static void probe_input(struct link *l, struct udp_sock *s, struct udp_path *pa,
			const struct pkt *p, const struct sockaddr *from, socklen_t fromlen)
{
	struct link_udp *lu = l->udp;
	struct udpw_probe pr;

	if (!udpw_probe_decode(p->data + p->ptoff, p->ptlen, &pr) ||
	    (pr.kind == UDPW_PROBE_REQ && pr.size != p->len)) {
		lu->rx_bad_payload++;
		l->cloud->udp->cnt.rx_bad_payload++;
		return;
	}
	if (pr.kind == UDPW_PROBE_REQ) {
		send_reply(l, s, from, fromlen, &pr, p->len);
		return;
	}
	/* a reply counts for the path it names, if it came from there */
	if (pa && pa->id == pr.path)
		probe_reply(l, pa, &pr, now_us(l));
}

void link_udp_input(struct link *l, struct udp_sock *s, struct pkt *p, const struct udpw_hdr *h,
		    const struct sockaddr *from, socklen_t fromlen, bool *taken)
{
	struct link_udp *lu = l->udp;
	struct udp_counters *uc = &l->cloud->udp->cnt;
	bool probe = h->type == UDPW_PROBE;
	struct replay *win = probe ? &lu->probe_win : &lu->win;
	struct sockaddr_storage src;
	struct udp_path *pa;
	uint64_t now = now_us(l);
	size_t len;

	addr_norm(&src, from, fromlen);
	pa = path_find(lu, s, &src);
	if (probe != !!(h->counter & UDPW_CTR_PROBE)) {
		uc->rx_malformed++;
		return;
	}
	switch (replay_check(win, h->counter)) {
	case REPLAY_NEW:
		break;
	case REPLAY_DUP:
		lu->rx_replayed++;
		uc->rx_replayed++;
		if (pa)
			pa->rx_dups++;
		return;
	case REPLAY_OLD:
		lu->rx_too_old++;
		uc->rx_too_old++;
		return;
	}
	if (!aead_key_set(&lu->rx_key)) {
		/* the peer's offer is still on its way over TLS */
		uc->rx_unknown_session++;
		return;
	}
	if (!open_pkt(l, p, h, &len)) {
		lu->rx_bad_tag++;
		uc->rx_bad_tag++;
		return;
	}
	replay_commit(win, h->counter);
	p->ptoff = UDPW_HDR_LEN;
	p->ptlen = (uint16_t)len;
	p->flags = h->flags;
	if (!pa && lu->tx_index) {
		/* the peer speaks from a new address (roaming, NAT rebinding):
		 * challenge it before sending anything there */
		pa = path_add(l, s, &src, fromlen, true);
		if (pa) {
			lu->paths_learned++;
			log_info(LOGS_DATA, "link %s: packets from a new address %s: challenging it",
				 peer_of(l), pa->remote_str);
			pa->tok[0] = probe_token();
			send_probe(l, pa, 0, pa->tok[0]);
		}
	}
	if (pa) {
		pa->rx_packets++;
		pa->rx_bytes += p->len;
		pa->last_rx = now;
	}
	if (probe) {
		probe_input(l, s, pa, p, from, fromlen);
		return;
	}

	struct held held = { .n = 0 };
	uint32_t index = lu->rx_index;
	if (h->flags & UDPW_F_ORDER) {
		*taken = true;
		reorder_push(&lu->ro, h->counter, p, now, collect, &held);
		arm_reorder(l);
		deliver_held(l->cloud, index, &held);
		return;
	}
	reorder_passed(&lu->ro, h->counter, collect, &held);
	if (held.n) {
		ev_timer_stop(l->cloud->loop, &lu->reorder_timer);
		deliver_held(l->cloud, index, &held);
		if (udp_session_find(l->cloud->udp, index) != l)
			return;		/* delivering closed the link */
	}
	deliver(l, p, h->counter);
}

/* ---------------------------------------------------------------- send */

static bool usable(const struct udp_path *pa)
{
	return pa->state == PATH_LIVE;
}

/* Heard from lately: our probe answered, or anything from the peer (it
 * probes every path too).  A path that goes quiet loses the primary role
 * before it is declared dead, and a peer that moved (roaming) is followed
 * to its newly validated address at once. */
static bool fresh(const struct udp_path *pa, uint64_t since)
{
	return pa->last_reply >= since || pa->last_rx >= since;
}

static int pick_primary(struct link_udp *lu, uint64_t since)
{
	int cur = lu->primary >= 0 && usable(&lu->path[lu->primary]) ? lu->primary : -1;
	int best = cur;

	for (unsigned i = 0; i < lu->npaths; i++) {
		const struct udp_path *pa = &lu->path[i];
		if (!usable(pa) || (int)i == best)
			continue;
		if (best < 0) {
			best = (int)i;
			continue;
		}
		bool f = fresh(pa, since), bf = fresh(&lu->path[best], since);
		if (f != bf) {
			if (f)
				best = (int)i;
			continue;
		}
		/* switch from the current path only to one clearly faster (by
		 * 20% and PRIMARY_MARGIN_US), by base RTT: the smoothed one
		 * grows with our own traffic's queue, and comparing it would
		 * chase the idle path */
		uint64_t b = lu->path[best].min_rtt_us;
		if (best == cur ? (uint64_t)pa->min_rtt_us * 5 < b * 4 &&
					  pa->min_rtt_us + PRIMARY_MARGIN_US < b
				: pa->min_rtt_us < b)
			best = (int)i;
	}
	return lu->primary = best;
}

/* Spray: each path's share is proportional to its delivery (1 - loss),
 * and shrinks as its queue grows (smoothed RTT over the best minimum RTT,
 * on a scale of SPRAY_QUEUE_US: a gentle slope, since the RTT is sampled
 * only every udp_keepalive and a steep one makes the paths take turns).  Deficit round robin over
 * the weights, in units of bytes. */
static int pick_spray(struct link_udp *lu, size_t bytes)
{
	uint32_t w[UDP_MAX_PATHS], base = UINT32_MAX;
	unsigned i, n = 0;
	int best = -1;

	for (i = 0; i < lu->npaths; i++)
		if (usable(&lu->path[i]) && lu->path[i].min_rtt_us < base)
			base = lu->path[i].min_rtt_us;
	for (i = 0; i < lu->npaths; i++) {
		const struct udp_path *pa = &lu->path[i];
		w[i] = 0;
		if (!usable(pa))
			continue;
		uint64_t q = pa->srtt_us > base ? pa->srtt_us - base : 0;
		w[i] = (uint32_t)(1024ULL * (100 - loss_pct(pa)) / 100 * SPRAY_QUEUE_US /
				  (SPRAY_QUEUE_US + q));
		if (!w[i])
			w[i] = 1;
		n++;
	}
	if (!n)
		return -1;
	for (;;) {
		for (i = 0; i < lu->npaths; i++) {
			unsigned k = (lu->spray_next + i) % lu->npaths;
			if (w[k] && lu->path[k].credit >= (int64_t)bytes) {
				best = (int)k;
				break;
			}
		}
		if (best >= 0)
			break;
		for (i = 0; i < lu->npaths; i++)
			if (w[i])
				lu->path[i].credit += (int64_t)w[i] * 2;
	}
	lu->path[best].credit -= (int64_t)bytes;
	lu->spray_next = (unsigned)best + 1;
	return best;
}

/* The paths this packet goes on; returns how many (0: none live). */
static unsigned choose_paths(struct link_udp *lu, size_t bytes, int *sel, uint64_t since)
{
	unsigned n = 0;
	int k;

	switch (lu->policy) {
	case POLICY_DUPLICATE:
		for (unsigned i = 0; i < lu->npaths; i++)
			if (usable(&lu->path[i]))
				sel[n++] = (int)i;
		return n;
	case POLICY_SPRAY:
		k = pick_spray(lu, bytes);
		break;
	case POLICY_PRIMARY:
	default:
		k = pick_primary(lu, since);
		break;
	}
	if (k < 0)
		return 0;
	sel[0] = k;
	return 1;
}

/* Seal the plaintext at p->data + UDPW_HDR_LEN (len bytes) and queue it
 * on every selected path. */
static bool seal_and_queue(struct link *l, struct pkt *p, size_t len, uint8_t flags,
			   const int *sel, unsigned nsel)
{
	struct link_udp *lu = l->udp;
	struct udpw_hdr h = {
		.type = UDPW_DATA, .flags = (uint8_t)(flags | (lu->tx_epoch & 1 ? UDPW_F_EPOCH : 0)),
		.index = lu->tx_index, .counter = ++lu->tx_ctr,
	};
	size_t n;

	udpw_hdr_put(p->data, &h);
	n = aead_seal(&lu->tx_key, p->data, len);
	if (!n)
		return false;
	p->len = (uint16_t)n;
	lu->tx_since_rekey++;
	for (unsigned i = 0; i < nsel; i++) {
		struct udp_path *pa = &lu->path[sel[i]];
		udp_queue(pa->sock, p, pa->id, (const struct sockaddr *)&pa->remote, pa->rlen);
		pa->tx_packets++;
		pa->tx_bytes += n;
	}
	return true;
}

bool link_udp_send(struct link *l, const uint8_t *hdr, size_t hdrlen, const uint8_t *payload,
		   size_t len)
{
	struct link_udp *lu = l->udp;
	struct udp *u = l->cloud->udp;
	size_t total = hdrlen + len, mtu = UDPW_MAX_DGRAM;
	int sel[UDP_MAX_PATHS];
	unsigned nsel;
	uint8_t flags = lu->policy == POLICY_SPRAY ? UDPW_F_ORDER : 0;
	uint8_t shorthdr[DATA_HDR_MAX];
	size_t shortlen;
	struct pkt *p;

	if (!lu->tx_index || !aead_key_set(&lu->tx_key)) {
		lu->tx_tls++;		/* the peer offered no UDP (yet) */
		return false;
	}
	/* our own unicast packets drop what the peer knows (frame.h) */
	shortlen = data_hdr_shorten(hdr, hdrlen, l->cloud->name, shorthdr, sizeof(shorthdr));
	if (shortlen) {
		hdr = shorthdr;
		hdrlen = shortlen;
		total = hdrlen + len;
		flags |= UDPW_F_SHORT;
	}
	uint64_t now = now_us(l), quiet = 3 * conf_u64(l->cloud->conf, OPT_UDP_KEEPALIVE);
	nsel = choose_paths(lu, total + UDPW_OVERHEAD, sel, now > quiet ? now - quiet : 0);
	for (unsigned i = 0; i < lu->npaths; i++)
		lu->path[i].in_use = false;
	if (!nsel) {
		if (lu->on_udp)
			log_info(LOGS_DATA, "link %s: no live UDP path: data on the TLS link",
				 peer_of(l));
		lu->on_udp = false;
		lu->tx_tls++;
		return false;
	}
	if (!lu->on_udp)
		log_info(LOGS_DATA, "link %s: data on UDP (%s)", peer_of(l),
			 udp_policy_name(lu->policy));
	lu->on_udp = true;
	maybe_rekey(l, now);
	for (unsigned i = 0; i < nsel; i++) {
		lu->path[sel[i]].in_use = true;
		if (lu->path[sel[i]].mtu < mtu)
			mtu = lu->path[sel[i]].mtu;
	}
	if (total + UDPW_OVERHEAD <= mtu) {
		if (!(p = udp_pkt_get(u)))
			return true;	/* dropped, counted: TLS would not do better */
		memcpy(p->data + UDPW_HDR_LEN, hdr, hdrlen);
		memcpy(p->data + UDPW_HDR_LEN + hdrlen, payload, len);
		seal_and_queue(l, p, total, flags, sel, nsel);
		udp_pkt_put(u, p);
		lu->tx_udp++;
		l->tx_packets++;
		return true;
	}

	/* split: fragments take consecutive counters, each fits the mtu */
	size_t chunk = mtu - UDPW_OVERHEAD - UDPW_FRAG_HDR_LEN;
	size_t count = (total + chunk - 1) / chunk;
	if (count > UDPW_FRAG_MAX || total > DEFRAG_MAX_PACKET) {
		l->cloud->cnt.pkt_too_big++;
		l->tx_dropped++;
		return true;
	}
	memcpy(u->scratch, hdr, hdrlen);
	memcpy(u->scratch + hdrlen, payload, len);
	chunk = (total + count - 1) / count;		/* even sizes */
	for (size_t i = 0, off = 0; i < count; i++, off += chunk) {
		size_t n = total - off < chunk ? total - off : chunk;
		struct udpw_frag f = { .index = (uint8_t)i, .count = (uint8_t)count,
				       .offset = (uint16_t)off };
		if (!(p = udp_pkt_get(u)))
			return true;
		udpw_frag_put(p->data + UDPW_HDR_LEN, &f);
		memcpy(p->data + UDPW_HDR_LEN + UDPW_FRAG_HDR_LEN, u->scratch + off, n);
		seal_and_queue(l, p, UDPW_FRAG_HDR_LEN + n, flags | UDPW_F_FRAG, sel, nsel);
		udp_pkt_put(u, p);
	}
	lu->tx_frags += count;
	lu->tx_udp++;
	l->tx_packets++;
	return true;
}

/* ---------------------------------------------------------------- setup */

static enum udp_policy configured_policy(const struct cloud *cl, const char *peer)
{
	enum udp_policy pol = POLICY_PRIMARY;

	for (size_t i = 0; i < conf_count(cl->conf, OPT_UDP_POLICY); i++) {
		char p[32] = "", name[NODE_NAME_MAX + 2] = "";
		int n = sscanf(conf_get(cl->conf, OPT_UDP_POLICY, i)->v.s, "%31s %65s", p, name);
		int v = udp_policy_parse(p);
		if (v >= 0 && (n == 1 || !strcmp(name, peer)))
			pol = (enum udp_policy)v;
	}
	return pol;
}

static uint8_t configured_cipher(const struct link *l)
{
	const char *c = conf_str(l->cloud->conf, OPT_UDP_CIPHER);

	if (!strcmp(c, "chacha20-poly1305"))
		return UDPW_CHACHA20POLY1305;
	if (!strcmp(c, "aes-256-gcm"))
		return UDPW_AES256GCM;
	return gnutls_cipher_get(l->tls) == GNUTLS_CIPHER_CHACHA20_POLY1305 ?
		       UDPW_CHACHA20POLY1305 : UDPW_AES256GCM;
}

static void send_offer(struct link *l)
{
	struct link_udp *lu = l->udp;
	struct udp *u = l->cloud->udp;
	struct udpw_offer o = { .cipher = lu->tx_cipher, .index = lu->rx_index };
	struct sockaddr_storage tcp_local, norm;
	socklen_t len = sizeof(tcp_local);
	uint8_t buf[8 + UDPW_OFFER_MAX_EP * 19];
	bool have_local = getsockname(l->fd, (struct sockaddr *)&tcp_local, &len) == 0;
	size_t n;

	if (have_local)
		addr_norm(&norm, (struct sockaddr *)&tcp_local, len);
	for (unsigned i = 0; i < u->nsocks && o.n < UDPW_OFFER_MAX_EP; i++) {
		struct udp_sock *s = u->sock[i];
		uint16_t port = addr_port(&s->local);
		if (!s->wildcard) {
			addr_to_ep(&s->local, port, &o.ep[o.n++]);
		} else if (have_local && norm.ss_family == s->family) {
			/* any address: the one the peer reached us on */
			addr_to_ep(&norm, port, &o.ep[o.n++]);
		} else {
			struct sockaddr_storage zero = { .ss_family = (sa_family_t)s->family };
			addr_to_ep(&zero, port, &o.ep[o.n++]);
		}
	}
	n = udpw_offer_encode(buf, sizeof(buf), &o);
	if (n)
		link_send_frame(l, FRAME_UDP, buf, n);
}

void link_udp_start(struct link *l)
{
	struct cloud *cl = l->cloud;
	struct link_udp *lu;

	if (!cl->udp || !cl->udp->nsocks || l->udp)
		return;
	lu = calloc(1, sizeof(*lu));
	if (!lu || replay_init(&lu->win, (uint32_t)conf_int(cl->conf, OPT_UDP_WINDOW)) < 0 ||
	    replay_init(&lu->probe_win, 1024) < 0 ||
	    reorder_init(&lu->ro, REORDER_SLOTS, conf_u64(cl->conf, OPT_UDP_REORDER_WAIT)) < 0 ||
	    defrag_init(&lu->df, DEFRAG_SLOTS, 1000000) < 0)
		goto nomem;
	lu->link = l;
	lu->primary = -1;
	epoch_rx_init(&lu->rx_ep, PREV_KEY_US);
	l->udp = lu;
	lu->rx_index = udp_session_add(cl->udp, l);
	if (!lu->rx_index)
		goto nomem_linked;
	lu->tx_cipher = configured_cipher(l);
	lu->policy = configured_policy(cl, l->peer.name);
	if (tx_rekey(l, 0) < 0)
		goto nomem_linked;
	ev_timer_init(&lu->probe_timer, probe_timer_cb, 0., 0.);
	ev_timer_init(&lu->reorder_timer, reorder_timer_cb, 0., 0.);
	send_offer(l);
	return;
nomem_linked:
	link_udp_stop(l);
	log_warn(LOGS_DATA, "link %s: no UDP session (keys or memory): data on the TLS link",
		 peer_of(l));
	return;
nomem:
	if (lu) {
		replay_free(&lu->win);
		replay_free(&lu->probe_win);
		reorder_free(&lu->ro);
		free(lu);
	}
	log_warn(LOGS_DATA, "link %s: out of memory for UDP: data on the TLS link", peer_of(l));
}

static void put_back(void *ctx, void *pkt, uint64_t ctr)
{
	udp_pkt_put(ctx, pkt);
}

void link_udp_stop(struct link *l)
{
	struct link_udp *lu = l->udp;
	struct cloud *cl = l->cloud;

	if (!lu)
		return;
	ev_timer_stop(cl->loop, &lu->probe_timer);
	ev_timer_stop(cl->loop, &lu->reorder_timer);
	if (cl->udp) {
		reorder_flush(&lu->ro, put_back, cl->udp);
		udp_session_del(cl->udp, lu->rx_index);
	}
	reorder_free(&lu->ro);
	defrag_free(&lu->df);
	replay_free(&lu->win);
	replay_free(&lu->probe_win);
	aead_key_clear(&lu->tx_key);
	aead_key_clear(&lu->rx_key);
	aead_key_clear(&lu->rx_next);
	aead_key_clear(&lu->rx_prev);
	gnutls_memset(lu, 0, sizeof(*lu));
	free(lu);
	l->udp = NULL;
}

bool link_udp_offer(struct link *l, const uint8_t *p, size_t len)
{
	struct link_udp *lu = l->udp;
	struct udp *u = l->cloud->udp;
	struct udpw_offer o;
	struct sockaddr_storage peer_tcp;
	bool first;

	if (!udpw_offer_decode(p, len, &o))
		return false;
	if (!lu)
		return true;		/* UDP off here: the TLS link carries data */
	first = !lu->tx_index;
	if (!first && (o.index != lu->tx_index || o.cipher != lu->rx_cipher)) {
		log_warn(LOGS_DATA, "link %s: peer changed its UDP session: ignored", peer_of(l));
		return true;
	}
	if (first) {
		lu->tx_index = o.index;
		lu->rx_cipher = o.cipher;
		if (derive(l, !l->outgoing, 0, o.cipher, &lu->rx_key) < 0 ||
		    derive(l, !l->outgoing, 1, o.cipher, &lu->rx_next) < 0) {
			lu->tx_index = 0;	/* stays on TLS */
			return true;
		}
	}
	addr_norm(&peer_tcp, (struct sockaddr *)&l->addr, sizeof(l->addr));
	/* offered paths: every local socket to every endpoint of its family */
	for (unsigned i = 0; i < lu->npaths; i++)
		if (!lu->path[i].learned)
			lu->path[i].learned = true;	/* re-marked below if offered again */
	for (unsigned e = 0; e < o.n; e++) {
		struct sockaddr_storage to;
		socklen_t tolen;
		if (ep_unspecified(&o.ep[e])) {
			struct udpw_endpoint ep;
			if (!addr_to_ep(&peer_tcp, o.ep[e].port, &ep) || ep.family != o.ep[e].family)
				continue;
			o.ep[e] = ep;
		}
		ep_to_addr(&o.ep[e], &to, &tolen);
		for (unsigned k = 0; k < u->nsocks; k++) {
			struct udp_sock *s = u->sock[k];
			struct udp_path *pa;
			if (s->family != to.ss_family)
				continue;
			pa = path_find(lu, s, &to);
			if (!pa)
				pa = path_add(l, s, &to, tolen, false);
			if (pa)
				pa->learned = false;
		}
	}
	log_info(LOGS_DATA, "link %s: UDP offer: %u endpoints, %u paths, peer seals with %s",
		 peer_of(l), o.n, lu->npaths, aead_cipher_name(o.cipher));
	if (first) {
		ev_timer_set(&lu->probe_timer, 1e-6, 0.);
		ev_timer_start(l->cloud->loop, &lu->probe_timer);
	}
	return true;
}

void link_udp_settings(struct link *l)
{
	struct link_udp *lu = l->udp;

	lu->policy = configured_policy(l->cloud, l->peer.name);
	lu->ro.max_wait = conf_u64(l->cloud->conf, OPT_UDP_REORDER_WAIT);
	for (unsigned i = 0; i < lu->npaths; i++) {
		struct udp_path *pa = &lu->path[i];
		uint16_t hi = (uint16_t)(conf_int(l->cloud->conf, OPT_UDP_MTU_MAX) - ip_overhead(pa));
		if (pa->mtu > hi)
			pa->mtu = hi;
		pa->mtu_hi = hi;
	}
}

int link_udp_set_policy(struct cloud *cl, const char *peer, const char *policy, char *err,
			size_t errlen)
{
	int pol = udp_policy_parse(policy);
	unsigned n = 0;
	struct link *l;

	if (pol < 0) {
		snprintf(err, errlen, "unknown policy '%s' (primary, duplicate, spray)", policy);
		return -EINVAL;
	}
	TAILQ_FOREACH(l, &cl->links, entry) {
		if (!l->udp || (strcmp(peer, "*") && strcmp(peer, l->peer.name)))
			continue;
		l->udp->policy = (enum udp_policy)pol;
		log_info(LOGS_DATA, "link %s: UDP policy %s (set by cloudctl)", peer_of(l), policy);
		n++;
	}
	if (!n) {
		snprintf(err, errlen, "no link with UDP to '%s'", peer);
		return -ENOENT;
	}
	return (int)n;
}

/* ---------------------------------------------------------------- views */

static const char *path_state_name(enum path_state s)
{
	switch (s) {
	case PATH_PROBING: return "probing";
	case PATH_LIVE: return "live";
	case PATH_DEAD: return "dead";
	}
	return "?";
}

static void path_json(struct strbuf *sb, const struct udp_path *pa)
{
	sb_printf(sb, "{\"id\":%u,\"local\":", pa->id);
	sb_json_str(sb, pa->sock->addr_str);
	sb_puts(sb, ",\"remote\":");
	sb_json_str(sb, pa->remote_str);
	sb_printf(sb, ",\"state\":\"%s\",\"learned\":%s,\"in_use\":%s,\"rtt_ms\":%.3f,"
		  "\"loss_pct\":%u,\"mtu\":%u,\"tx_packets\":%llu,\"tx_bytes\":%llu,"
		  "\"rx_packets\":%llu,\"rx_bytes\":%llu,\"duplicates\":%llu}",
		  path_state_name(pa->state), pa->learned ? "true" : "false",
		  pa->in_use ? "true" : "false", pa->srtt_us / 1000., loss_pct(pa),
		  pa->mtu + ip_overhead(pa), (unsigned long long)pa->tx_packets,
		  (unsigned long long)pa->tx_bytes, (unsigned long long)pa->rx_packets,
		  (unsigned long long)pa->rx_bytes, (unsigned long long)pa->rx_dups);
}

static void link_json(struct strbuf *sb, const struct link *l)
{
	const struct link_udp *lu = l->udp;

	sb_puts(sb, "{\"peer\":");
	sb_json_str(sb, l->peer.name);
	sb_printf(sb, ",\"link\":%u,\"policy\":\"%s\",\"on_udp\":%s,\"cipher_tx\":\"%s\","
		  "\"cipher_rx\":\"%s\",\"epoch_tx\":%u,\"epoch_rx\":%u,\"rekeys\":%llu,"
		  "\"tx_udp\":%llu,\"rx_udp\":%llu,\"tx_tls\":%llu,\"rx_tls\":%llu,"
		  "\"tx_fragments\":%llu,\"rx_reassembled\":%llu,\"reorder_held\":%u,"
		  "\"reorder_given_up\":%llu,\"replayed\":%llu,\"too_old\":%llu,\"bad_tag\":%llu,"
		  "\"bad_payload\":%llu,\"paths_learned\":%llu,\"paths\":[",
		  l->id, udp_policy_name(lu->policy), lu->on_udp ? "true" : "false",
		  aead_cipher_name(lu->tx_cipher),
		  lu->tx_index ? aead_cipher_name(lu->rx_cipher) : "none", lu->tx_epoch,
		  lu->rx_ep.epoch, (unsigned long long)lu->rekeys, (unsigned long long)lu->tx_udp,
		  (unsigned long long)lu->rx_udp, (unsigned long long)lu->tx_tls,
		  (unsigned long long)(l->rx_packets - lu->rx_udp),
		  (unsigned long long)lu->tx_frags, (unsigned long long)lu->rx_reassembled,
		  lu->ro.held, (unsigned long long)lu->ro.given_up,
		  (unsigned long long)lu->rx_replayed, (unsigned long long)lu->rx_too_old,
		  (unsigned long long)lu->rx_bad_tag, (unsigned long long)lu->rx_bad_payload,
		  (unsigned long long)lu->paths_learned);
	for (unsigned i = 0; i < lu->npaths; i++) {
		if (i)
			sb_puts(sb, ",");
		path_json(sb, &lu->path[i]);
	}
	sb_puts(sb, "]}");
}

void ctl_paths(struct cloud *cl, struct strbuf *sb, bool json)
{
	struct link *l;
	bool first = true;

	if (json)
		sb_puts(sb, "{\"links\":[");
	else
		sb_printf(sb, "%-12s %-8s %4s %-24s %-24s %-7s %3s %8s %5s %5s %10s %10s %6s\n",
			  "PEER", "POLICY", "PATH", "LOCAL", "REMOTE", "STATE", "USE", "RTT(ms)",
			  "LOSS%", "MTU", "TX", "RX", "DUPS");
	TAILQ_FOREACH(l, &cl->links, entry) {
		const struct link_udp *lu = l->udp;
		if (!lu || l->state != LINK_UP)
			continue;
		if (json) {
			if (!first)
				sb_puts(sb, ",");
			first = false;
			link_json(sb, l);
			continue;
		}
		if (!lu->npaths)
			sb_printf(sb, "%-12s %-8s %4s (no paths: data on the TLS link)\n",
				  l->peer.name, udp_policy_name(lu->policy), "-");
		for (unsigned i = 0; i < lu->npaths; i++) {
			const struct udp_path *pa = &lu->path[i];
			sb_printf(sb, "%-12s %-8s %4u %-24s %-24s %-7s %3s %8.3f %5u %5u %10llu "
				  "%10llu %6llu\n", l->peer.name, udp_policy_name(lu->policy), pa->id,
				  pa->sock->addr_str, pa->remote_str, path_state_name(pa->state),
				  pa->in_use ? "*" : "", pa->srtt_us / 1000., loss_pct(pa),
				  pa->mtu + ip_overhead(pa), (unsigned long long)pa->tx_packets,
				  (unsigned long long)pa->rx_packets, (unsigned long long)pa->rx_dups);
		}
	}
	if (json)
		sb_puts(sb, "]}\n");
}

void ctl_udp_status(struct cloud *cl, struct strbuf *sb, bool json)
{
	const struct udp *u = cl->udp;
	const struct udp_counters *c;

	if (!u)
		return;
	c = &u->cnt;
	if (json) {
		sb_printf(sb, ",\"udp\":{\"sockets\":%u,\"rx_malformed\":%llu,"
			  "\"rx_unknown_session\":%llu,\"rx_bad_tag\":%llu,\"rx_replayed\":%llu,"
			  "\"rx_too_old\":%llu,\"rx_bad_payload\":%llu,\"tx_dropped\":%llu,"
			  "\"pool_buffers\":%u,\"pool_exhausted\":%llu,\"socks\":[", u->nsocks,
			  (unsigned long long)c->rx_malformed,
			  (unsigned long long)c->rx_unknown_session,
			  (unsigned long long)c->rx_bad_tag, (unsigned long long)c->rx_replayed,
			  (unsigned long long)c->rx_too_old, (unsigned long long)c->rx_bad_payload,
			  (unsigned long long)c->tx_dropped, u->pool_total,
			  (unsigned long long)c->pool_exhausted);
		for (unsigned i = 0; i < u->nsocks; i++) {
			const struct udp_sock *k = u->sock[i];

			sb_printf(sb, "%s{\"addr\":", i ? "," : "");
			sb_json_str(sb, k->addr_str);
			sb_printf(sb, ",\"gso\":%s,\"gro\":%s,\"rx_dgrams\":%llu,\"tx_dgrams\":%llu,"
				  "\"rx_gro\":%llu,\"tx_gso\":%llu,\"tx_errors\":%llu}",
				  k->gso ? "true" : "false", k->gro ? "true" : "false",
				  (unsigned long long)k->rx_dgrams, (unsigned long long)k->tx_dgrams,
				  (unsigned long long)k->rx_gro, (unsigned long long)k->tx_gso,
				  (unsigned long long)k->tx_errors);
		}
		sb_puts(sb, "]}");
		return;
	}
	sb_printf(sb, "udp: %u sockets; dropped: %llu malformed, %llu unknown session, %llu bad "
		  "tag, %llu replayed, %llu too old, %llu bad payload; %llu send drops\n",
		  u->nsocks, (unsigned long long)c->rx_malformed,
		  (unsigned long long)c->rx_unknown_session, (unsigned long long)c->rx_bad_tag,
		  (unsigned long long)c->rx_replayed, (unsigned long long)c->rx_too_old,
		  (unsigned long long)c->rx_bad_payload, (unsigned long long)c->tx_dropped);
	for (unsigned i = 0; i < u->nsocks; i++) {
		const struct udp_sock *k = u->sock[i];

		sb_printf(sb, "udp %s: gso %s, gro %s; %llu datagrams in (%llu coalesced reads), "
			  "%llu out (%llu segmented sends), %llu send errors\n", k->addr_str,
			  k->gso ? "on" : "off", k->gro ? "on" : "off",
			  (unsigned long long)k->rx_dgrams, (unsigned long long)k->rx_gro,
			  (unsigned long long)k->tx_dgrams, (unsigned long long)k->tx_gso,
			  (unsigned long long)k->tx_errors);
	}
}
