/*
 * udp.c - the node's UDP sockets, packet pool, batched I/O and session
 * table (see udp.h).
 *
 * Invariants: a datagram reaches a link only after udpw_hdr_get accepted
 * its header and its index named that link's session; a buffer is in
 * exactly one place (the free list, a socket's receive batch, a reorder
 * buffer, or one or more send queues, counted by refs).  The pool grows in
 * chunks up to POOL_MAX buffers and never shrinks; past the cap a packet
 * is dropped and counted rather than allocated.
 */
#include "config.h"
#include "udp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defrag.h"
#include "link.h"
#include "log.h"
#include "options.h"
#include "peer.h"

#define POOL_CHUNK 64
#define POOL_MAX 8192
#define SOCK_BUF_BYTES (4 << 20)

/* ---------------------------------------------------------------- pool */

struct pkt *udp_pkt_get(struct udp *u)
{
	struct pkt *p;

	if (!u->free && u->pool_total < POOL_MAX) {
		for (int i = 0; i < POOL_CHUNK; i++) {
			p = malloc(sizeof(*p));
			if (!p)
				break;
			p->next = u->free;
			u->free = p;
			u->pool_total++;
			u->pool_free++;
		}
	}
	p = u->free;
	if (!p) {
		u->cnt.pool_exhausted++;
		return NULL;
	}
	u->free = p->next;
	u->pool_free--;
	p->next = NULL;
	p->refs = 1;
	p->len = p->ptoff = p->ptlen = 0;
	p->flags = 0;
	return p;
}

void udp_pkt_put(struct udp *u, struct pkt *p)
{
	if (!p || --p->refs)
		return;
	p->next = u->free;
	u->free = p;
	u->pool_free++;
}

/* ---------------------------------------------------------------- sessions */

static unsigned sess_slot(const struct udp *u, uint32_t index)
{
	return (index * 2654435761u) & (u->sess_cap - 1);
}

struct link *udp_session_find(const struct udp *u, uint32_t index)
{
	if (!u->sess_cap)
		return NULL;
	for (unsigned i = sess_slot(u, index), n = 0; n < u->sess_cap;
	     i = (i + 1) & (u->sess_cap - 1), n++) {
		if (!u->sess_key[i])
			return NULL;
		if (u->sess_key[i] == index)
			return u->sess[i];
	}
	return NULL;
}

static void sess_insert(struct udp *u, uint32_t index, struct link *l)
{
	unsigned i = sess_slot(u, index);

	while (u->sess_key[i] && u->sess_key[i] != UINT32_MAX)
		i = (i + 1) & (u->sess_cap - 1);
	u->sess_key[i] = index;
	u->sess[i] = l;
}

static int sess_grow(struct udp *u)
{
	unsigned oldcap = u->sess_cap, cap = oldcap ? oldcap * 2 : 64;
	uint32_t *ok = u->sess_key;
	struct link **ol = u->sess;

	u->sess_key = calloc(cap, sizeof(*u->sess_key));
	u->sess = calloc(cap, sizeof(*u->sess));
	if (!u->sess_key || !u->sess) {
		free(u->sess_key);
		free(u->sess);
		u->sess_key = ok;
		u->sess = ol;
		return -ENOMEM;
	}
	u->sess_cap = cap;
	for (unsigned i = 0; i < oldcap; i++)
		if (ok[i] && ok[i] != UINT32_MAX)
			sess_insert(u, ok[i], ol[i]);
	free(ok);
	free(ol);
	return 0;
}

/* UINT32_MAX marks a deleted slot (a tombstone), so never an index. */
uint32_t udp_session_add(struct udp *u, struct link *l)
{
	uint32_t index;

	if ((u->sess_n + 1) * 2 > u->sess_cap && sess_grow(u) < 0)
		return 0;
	do
		index = cloud_random32();
	while (!index || index == UINT32_MAX || udp_session_find(u, index));
	sess_insert(u, index, l);
	u->sess_n++;
	return index;
}

void udp_session_del(struct udp *u, uint32_t index)
{
	if (!u->sess_cap || !index)
		return;
	for (unsigned i = sess_slot(u, index), n = 0; n < u->sess_cap;
	     i = (i + 1) & (u->sess_cap - 1), n++) {
		if (!u->sess_key[i])
			return;
		if (u->sess_key[i] == index) {
			u->sess_key[i] = UINT32_MAX;
			u->sess[i] = NULL;
			u->sess_n--;
			return;
		}
	}
}

/* ---------------------------------------------------------------- send */

/* Datagrams from the k-th on that can go in one UDP_SEGMENT send: same
 * address, same size, the last one possibly shorter. */
static unsigned run_len(const struct udp_sock *s, unsigned k)
{
	size_t seg = s->outlen[k], total = seg;
	unsigned n = 1;

	if (!s->gso)
		return 1;
	while (k + n < s->nout && n < UDP_GSO_SEGS && s->outlen[k + n] <= seg &&
	       total + s->outlen[k + n] <= UDP_GSO_BYTES &&
	       s->outaddrlen[k + n] == s->outaddrlen[k] &&
	       !memcmp(&s->outaddr[k + n], &s->outaddr[k], s->outaddrlen[k])) {
		total += s->outlen[k + n];
		if (s->outlen[k + n++] < seg)
			break;
	}
	return n;
}

/* Messages for the queue from datagram i on; returns how many. */
static unsigned build_runs(struct udp_sock *s, unsigned i)
{
	unsigned m = 0;

	while (i < s->nout) {
		unsigned n = run_len(s, i);
		struct msghdr *h = &s->out[m].msg_hdr;

		*h = (struct msghdr){
			.msg_name = &s->outaddr[i], .msg_namelen = s->outaddrlen[i],
			.msg_iov = s->outiov[i], .msg_iovlen = 2 * n,
		};
		if (n > 1) {
			struct cmsghdr *c = &s->outctl[m].h;

			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			memcpy(CMSG_DATA(c), &s->outlen[i], sizeof(uint16_t));
			h->msg_control = s->outctl[m].b;
			h->msg_controllen = sizeof(s->outctl[m].b);
		}
		s->outrun[m++] = n;
		i += n;
	}
	return m;
}

static void sock_flush(struct udp_sock *s)
{
	struct udp *u = s->cloud->udp;
	unsigned done = 0, m = 0, r = 0;

	while (done < s->nout) {
		if (r == m) {
			m = build_runs(s, done);
			r = 0;
		}
		int n = sendmmsg(s->fd, s->out + r, m - r, MSG_DONTWAIT);
		if (n > 0) {
			for (; n > 0; n--, r++) {
				s->tx_dgrams += s->outrun[r];
				s->tx_gso += s->outrun[r] > 1;
				done += s->outrun[r];
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (s->outrun[r] > 1 && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT)) {
			/* the route's device cannot segment UDP: one by one */
			log_info(LOGS_DATA, "udp %s: UDP_SEGMENT refused (%s): sending datagram by "
				 "datagram", s->addr_str, strerror(errno));
			s->gso = false;
			r = m = 0;
			continue;
		}
		/* the first message failed (EAGAIN, EMSGSIZE, no route): drop
		 * its datagrams, and go on with the rest */
		if (n < 0 && errno != EAGAIN)
			log_dbg(LOGS_DATA, "udp %s: send: %s", s->addr_str, strerror(errno));
		s->tx_errors++;
		u->cnt.tx_dropped += s->outrun[r];
		done += s->outrun[r++];
	}
	for (unsigned i = 0; i < s->nout; i++)
		udp_pkt_put(u, s->outpkt[i]);
	s->nout = 0;
}

static void flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct udp *u = w->data;

	for (unsigned i = 0; i < u->nsocks; i++)
		if (u->sock[i]->nout)
			sock_flush(u->sock[i]);
}

void udp_queue(struct udp_sock *s, struct pkt *p, uint16_t path, const struct sockaddr *to,
	       socklen_t tolen)
{
	unsigned i;

	if (s->nout == UDP_SENDQ)
		sock_flush(s);
	i = s->nout++;
	memcpy(s->outhdr[i], p->data, UDPW_HDR_LEN);
	udpw_set_path(s->outhdr[i], path);
	s->outiov[i][0] = (struct iovec){ s->outhdr[i], UDPW_HDR_LEN };
	s->outiov[i][1] = (struct iovec){ p->data + UDPW_HDR_LEN, p->len - UDPW_HDR_LEN };
	s->outlen[i] = p->len;
	s->outaddrlen[i] = tolen;
	memcpy(&s->outaddr[i], to, tolen);
	s->outpkt[i] = p;
	p->refs++;
}

void udp_send_now(struct udp_sock *s, const uint8_t *d, size_t len, const struct sockaddr *to,
		  socklen_t tolen)
{
	if (sendto(s->fd, d, len, MSG_DONTWAIT, to, tolen) < 0) {
		log_dbg(LOGS_DATA, "udp %s: send probe (%zu bytes): %s", s->addr_str, len,
			strerror(errno));
		s->tx_errors++;
		return;
	}
	s->tx_dgrams++;
}

/* ---------------------------------------------------------------- receive */

/* One datagram in p (p->len set): to its link.  Returns true if the link
 * kept p (reorder buffer). */
static bool dgram_in(struct udp_sock *s, struct pkt *p, const struct sockaddr *from,
		     socklen_t fromlen)
{
	struct udp *u = s->cloud->udp;
	struct udpw_hdr h;
	struct link *l;
	bool taken = false;

	s->rx_dgrams++;
	if (!udpw_hdr_get(p->data, p->len, &h)) {
		u->cnt.rx_malformed++;
		return false;
	}
	l = udp_session_find(u, h.index);
	if (!l) {
		u->cnt.rx_unknown_session++;
		return false;
	}
	link_udp_input(l, s, p, &h, from, fromlen, &taken);
	return taken;
}

/* recvmmsg without waiting; failures other than "nothing there" counted. */
static int recv_batch(struct udp_sock *s, struct mmsghdr *msg, unsigned vlen)
{
	int n = recvmmsg(s->fd, msg, vlen, MSG_DONTWAIT, NULL);

	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		s->rx_errors++;
		log_dbg(LOGS_DATA, "udp %s: receive: %s", s->addr_str, strerror(errno));
	}
	return n;
}

static void sock_read(struct udp_sock *s)
{
	struct udp *u = s->cloud->udp;
	struct mmsghdr msg[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage from[UDP_BATCH];
	unsigned nbuf = 0;
	int n;

	for (; nbuf < UDP_BATCH; nbuf++) {
		if (!s->inpkt[nbuf] && !(s->inpkt[nbuf] = udp_pkt_get(u)))
			break;
		iov[nbuf] = (struct iovec){ s->inpkt[nbuf]->data, UDP_BUF_LEN };
		msg[nbuf].msg_hdr = (struct msghdr){
			.msg_name = &from[nbuf], .msg_namelen = sizeof(from[nbuf]),
			.msg_iov = &iov[nbuf], .msg_iovlen = 1,
		};
	}
	if (!nbuf)
		return;
	n = recv_batch(s, msg, nbuf);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		struct pkt *p = s->inpkt[i];

		p->len = (uint16_t)msg[i].msg_len;
		if (msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			s->rx_dgrams++;
			u->cnt.rx_malformed++;
			continue;
		}
		if (dgram_in(s, p, (struct sockaddr *)&from[i], msg[i].msg_hdr.msg_namelen))
			s->inpkt[i] = NULL;
	}
}

/* With UDP_GRO: a read may hold a run of datagrams of one size from one
 * sender (the last may be shorter); each is copied to a buffer of its own,
 * since links keep and decrypt packets one by one. */
static void sock_read_gro(struct udp_sock *s, unsigned vlen)
{
	struct udp *u = s->cloud->udp;
	struct mmsghdr msg[UDP_GRO_BATCH];
	struct iovec iov[UDP_GRO_BATCH];
	struct sockaddr_storage from[UDP_GRO_BATCH];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl[UDP_GRO_BATCH];
	int n;

	for (unsigned i = 0; i < vlen; i++) {
		iov[i] = (struct iovec){ s->grobuf + (size_t)i * UDP_GRO_BUF, UDP_GRO_BUF };
		msg[i].msg_hdr = (struct msghdr){
			.msg_name = &from[i], .msg_namelen = sizeof(from[i]),
			.msg_iov = &iov[i], .msg_iovlen = 1,
			.msg_control = ctl[i].b, .msg_controllen = sizeof(ctl[i].b),
		};
	}
	n = recv_batch(s, msg, vlen);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		const uint8_t *d = iov[i].iov_base;
		size_t len = msg[i].msg_len, seg = len, off;
		struct cmsghdr *c;

		for (c = CMSG_FIRSTHDR(&msg[i].msg_hdr); c; c = CMSG_NXTHDR(&msg[i].msg_hdr, c))
			if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
			    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
				int g;
				memcpy(&g, CMSG_DATA(c), sizeof(int));
				if (g > 0 && (size_t)g < len)
					seg = (size_t)g;
			}
		if (seg < len)
			s->rx_gro++;
		if ((msg[i].msg_hdr.msg_flags & MSG_TRUNC) || seg > UDP_BUF_LEN) {
			s->rx_dgrams++;
			u->cnt.rx_malformed++;
			continue;
		}
		for (off = 0; off < len; off += seg) {
			size_t k = len - off < seg ? len - off : seg;

			if (!s->inpkt[0] && !(s->inpkt[0] = udp_pkt_get(u)))
				return;
			memcpy(s->inpkt[0]->data, d + off, k);
			s->inpkt[0]->len = (uint16_t)k;
			if (dgram_in(s, s->inpkt[0], (struct sockaddr *)&from[i],
				     msg[i].msg_hdr.msg_namelen))
				s->inpkt[0] = NULL;
		}
	}
}

static void sock_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct udp_sock *s = w->data;

	/* a few batches, then let the other watchers have their turn.  With
	 * several sockets, a path's packets must not run far ahead of the
	 * others' (spray's reorder buffer holds REORDER_SLOTS): one batch,
	 * and one coalesced read (at most UDP_GSO_SEGS datagrams), per turn */
	bool alone = s->cloud->udp->nsocks == 1;

	for (int k = 0; k < (alone ? 4 : 1); k++) {
		uint64_t before = s->rx_dgrams;

		if (s->gro) {
			sock_read_gro(s, alone ? UDP_GRO_BATCH : 1);
			if (s->rx_dgrams - before < UDP_GRO_BATCH)
				break;
			continue;
		}
		sock_read(s);
		if (s->rx_dgrams - before < UDP_BATCH)
			break;
	}
}

/* ---------------------------------------------------------------- sockets */

static void set_buf(int fd, int opt, int force_opt)
{
	int v = SOCK_BUF_BYTES;

	if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

static int sock_open(struct cloud *cl, const struct sockaddr *sa, socklen_t salen, bool wildcard,
		     const char *where, char *err, size_t errlen)
{
	struct udp *u = cl->udp;
	struct udp_sock *s;
	int fd, v;
	socklen_t len = sizeof(struct sockaddr_storage);

	if (u->nsocks == UDP_MAX_SOCKS) {
		snprintf(err, errlen, "%s: more than %d UDP sockets", where, UDP_MAX_SOCKS);
		return -1;
	}
	fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	v = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v));
	if (sa->sa_family == AF_INET6) {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v));
		v = IPV6_PMTUDISC_PROBE;
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v));
	} else {
		/* DF set, the kernel's PMTU cache ignored: our probes find the
		 * path MTU, and our framing splits packets, never IP */
		v = IP_PMTUDISC_PROBE;
		(void)setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
	}
	set_buf(fd, SO_RCVBUF, SO_RCVBUFFORCE);
	set_buf(fd, SO_SNDBUF, SO_SNDBUFFORCE);
	if (bind(fd, sa, salen) < 0)
		goto fail;
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		goto fail;
	}
	s->cloud = cl;
	s->fd = fd;
	s->family = sa->sa_family;
	s->wildcard = wildcard;
	/* offloads, each probed here with a fallback: without UDP_SEGMENT
	 * datagrams go one by one, without UDP_GRO the kernel splits runs */
	v = 0;
	s->gso = cl->set.udp_gso && setsockopt(fd, SOL_UDP, UDP_SEGMENT, &v, sizeof(v)) == 0;
	v = 1;
	if (conf_bool(cl->conf, OPT_UDP_GRO) &&
	    (s->grobuf = malloc((size_t)UDP_GRO_BATCH * UDP_GRO_BUF)) &&
	    setsockopt(fd, SOL_UDP, UDP_GRO, &v, sizeof(v)) == 0)
		s->gro = true;
	getsockname(fd, (struct sockaddr *)&s->local, &len);
	fmt_sockaddr((struct sockaddr *)&s->local, s->addr_str, sizeof(s->addr_str));
	ev_io_init(&s->io, sock_cb, fd, EV_READ);
	s->io.data = s;
	ev_io_start(cl->loop, &s->io);
	u->sock[u->nsocks++] = s;
	log_info(LOGS_DATA, "udp: data paths on %s", s->addr_str);
	return 0;
fail:
	snprintf(err, errlen, "%s: UDP socket: %s", where, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* "ADDR PORT" (ADDR may be *): one socket, or for * one per family. */
static int open_spec(struct cloud *cl, const char *spec, const char *where, char *err,
		     size_t errlen)
{
	char host[256], port[16];
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_DGRAM }, *ai;
	bool any;
	int r;

	if (!parse_host_port0(spec, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, errlen, "%s: expected 'ADDR PORT', got '%s'", where, spec);
		return -1;
	}
	any = !strcmp(host, "*");
	if (!any) {
		r = getaddrinfo(host, port, &hints, &ai);
		if (r) {
			snprintf(err, errlen, "%s: bad address '%s': %s", where, host, gai_strerror(r));
			return -1;
		}
		r = sock_open(cl, ai->ai_addr, ai->ai_addrlen, false, where, err, errlen);
		freeaddrinfo(ai);
		return r;
	}
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = a4.sin_port };
	if (sock_open(cl, (struct sockaddr *)&a4, sizeof(a4), true, where, err, errlen) < 0)
		return -1;
	/* a host without IPv6 still gets IPv4 paths */
	if (sock_open(cl, (struct sockaddr *)&a6, sizeof(a6), true, where, err, errlen) < 0)
		log_info(LOGS_DATA, "udp: no IPv6 socket (%s)", err);
	return 0;
}

bool udp_conf_check(const struct conf *c, char *err, size_t errlen)
{
	char host[256], port[16];

	for (size_t i = 0; i < conf_count(c, OPT_UDP_LISTEN); i++) {
		const struct conf_value *v = conf_get(c, OPT_UDP_LISTEN, i);
		struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
					  .ai_socktype = SOCK_DGRAM }, *ai;
		if (!parse_host_port0(v->v.s, host, sizeof(host), port, sizeof(port))) {
			snprintf(err, errlen, "%s:%d: option 'udp_listen': expected 'ADDR PORT', "
				 "got '%s'", v->file, v->line, v->v.s);
			return false;
		}
		int r = getaddrinfo(strcmp(host, "*") ? host : NULL, port, &hints, &ai);
		if (r) {
			snprintf(err, errlen, "%s:%d: option 'udp_listen': bad address '%s' (a numeric "
				 "IPv4 or IPv6 address, or *): %s", v->file, v->line, host,
				 gai_strerror(r));
			return false;
		}
		freeaddrinfo(ai);
	}
	for (size_t i = 0; i < conf_count(c, OPT_UDP_POLICY); i++) {
		const struct conf_value *v = conf_get(c, OPT_UDP_POLICY, i);
		char pol[32] = "", peer[NODE_NAME_MAX + 2] = "", extra[2] = "";
		int n = sscanf(v->v.s, "%31s %65s %1s", pol, peer, extra);
		if (n < 1 || n > 2 || udp_policy_parse(pol) < 0 ||
		    (n == 2 && !node_name_valid(peer, strlen(peer)))) {
			snprintf(err, errlen, "%s:%d: option 'udp_policy': expected 'primary', "
				 "'duplicate' or 'spray', then optionally a node name, got '%s'",
				 v->file, v->line, v->v.s);
			return false;
		}
	}
	const char *ciph = conf_str(c, OPT_UDP_CIPHER);
	if (strcmp(ciph, "auto") && strcmp(ciph, "aes-256-gcm") &&
	    strcmp(ciph, "chacha20-poly1305")) {
		const struct conf_value *v = conf_last(c, OPT_UDP_CIPHER);
		snprintf(err, errlen, "%s:%d: option 'udp_cipher': expected 'auto', 'aes-256-gcm' "
			 "or 'chacha20-poly1305', got '%s'", v->file, v->line, ciph);
		return false;
	}
	return true;
}

int udp_open(struct cloud *cl, char *err, size_t errlen)
{
	const struct conf *c = cl->conf;
	struct udp *u = calloc(1, sizeof(*u));
	char where[300];

	if (!u || !(u->scratch = malloc(FRAME_MAX_PAYLOAD + UDPW_OVERHEAD)) ||
	    !(u->rxbuf = malloc(DEFRAG_MAX_PACKET + DATA_HDR_MAX))) {
		if (u)
			free(u->scratch);
		free(u);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	u->cloud = cl;
	cl->udp = u;
	ev_prepare_init(&u->flush, flush_cb);
	u->flush.data = u;
	ev_prepare_start(cl->loop, &u->flush);
	if (!conf_bool(c, OPT_UDP))
		return 0;
	size_t n = conf_count(c, OPT_UDP_LISTEN);
	int opt = n ? OPT_UDP_LISTEN : OPT_LISTEN;
	n = conf_count(c, opt);
	for (size_t i = 0; i < n; i++) {
		const struct conf_value *v = conf_get(c, opt, i);
		snprintf(where, sizeof(where), "%s:%d: option '%s'", v->file, v->line,
			 cloud_options[opt].name);
		if (open_spec(cl, v->v.s, where, err, errlen) < 0)
			return -1;
	}
	if (!n && open_spec(cl, "* 0", "udp (default: any port)", err, errlen) < 0)
		return -1;
	return 0;
}

void udp_close(struct cloud *cl)
{
	struct udp *u = cl->udp;
	struct pkt *p;

	if (!u)
		return;
	ev_prepare_stop(cl->loop, &u->flush);
	for (unsigned i = 0; i < u->nsocks; i++) {
		struct udp_sock *s = u->sock[i];
		if (s->nout)
			sock_flush(s);
		ev_io_stop(cl->loop, &s->io);
		close(s->fd);
		for (unsigned k = 0; k < UDP_BATCH; k++)
			free(s->inpkt[k]);
		free(s->grobuf);
		free(s);
	}
	while ((p = u->free)) {
		u->free = p->next;
		free(p);
	}
	free(u->sess);
	free(u->sess_key);
	free(u->scratch);
	free(u->rxbuf);
	free(u);
	cl->udp = NULL;
}

void udp_settings(struct cloud *cl)
{
	struct link *l;

	TAILQ_FOREACH(l, &cl->links, entry)
		if (l->udp)
			link_udp_settings(l);
}
