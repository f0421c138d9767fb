/*
 * udp.h - the UDP data plane (DESIGN section 4).
 *
 * udp.c owns the node's UDP sockets, the packet buffer pool, batched
 * receive (recvmmsg) and batched send (sendmmsg, flushed once per loop
 * iteration), and the table from receiver session index to link.  It
 * checks a datagram's header and finds its link; everything after that
 * is link_udp.c's.
 *
 * link_udp.c owns one link's UDP session: keys per direction and epoch,
 * the receive window, paths (probes, RTT, loss, path MTU, challenges for
 * new source addresses), the send policy, fragmentation and reassembly,
 * the reorder buffer, and the fallback to the TLS stream when no path is
 * alive.  It never chooses next hops: it carries what link_send_data is
 * given and hands what it receives to fwd_from_link.
 */
#ifndef CLOUDVPN_UDP_H
#define CLOUDVPN_UDP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cloud.h"
#include "udpwire.h"

#define UDP_MAX_SOCKS 8
#define UDP_BATCH 32		/* datagrams per recvmmsg */
#define UDP_SENDQ 64		/* datagrams queued per socket before a flush */
#define UDP_GSO_SEGS 64		/* most datagrams in one UDP_SEGMENT send */
#define UDP_GSO_BYTES 65000	/* most bytes in one (a UDP payload is < 64 KiB) */
#define UDP_GRO_BATCH 16	/* coalesced reads per recvmmsg with UDP_GRO */
#define UDP_GRO_BUF 65536	/* bytes of each */
/* A buffer holds the largest datagram; headroom is not needed: a packet is
 * built at its final place (header first) and sealed in place. */
#define UDP_BUF_LEN UDPW_MAX_DGRAM

struct pkt {
	struct pkt *next;		/* free list */
	unsigned refs;			/* send queues holding it */
	uint16_t len;			/* datagram bytes */
	uint16_t ptoff, ptlen;		/* plaintext, once opened */
	uint8_t flags;			/* the header's */
	uint8_t data[UDP_BUF_LEN];
};

struct udp_sock {
	struct cloud *cloud;
	int fd;
	int family;			/* AF_INET or AF_INET6 */
	bool wildcard;			/* bound to any address */
	bool gso;			/* send runs with UDP_SEGMENT */
	bool gro;			/* UDP_GRO on: reads may hold many datagrams */
	ev_io io;
	char addr_str[64];
	struct sockaddr_storage local;
	/* send queue, flushed with sendmmsg: each run of datagrams to one
	 * address, of one size (the last may be shorter), is one message
	 * with UDP_SEGMENT when gso is on; its iovecs are outiov's, in a row */
	unsigned nout;
	struct iovec outiov[UDP_SENDQ][2];
	uint8_t outhdr[UDP_SENDQ][UDPW_HDR_LEN];
	uint16_t outlen[UDP_SENDQ];
	socklen_t outaddrlen[UDP_SENDQ];
	struct sockaddr_storage outaddr[UDP_SENDQ];
	struct pkt *outpkt[UDP_SENDQ];
	struct mmsghdr out[UDP_SENDQ];	/* one per run */
	unsigned outrun[UDP_SENDQ];	/* datagrams in each */
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(uint16_t))];
	} outctl[UDP_SENDQ];
	/* receive batch */
	struct pkt *inpkt[UDP_BATCH];
	uint8_t *grobuf;		/* UDP_GRO_BATCH x UDP_GRO_BUF, with gro */
	uint64_t rx_dgrams, tx_dgrams, tx_errors, rx_errors;
	uint64_t tx_gso, rx_gro;	/* sends and reads of more than one */
};

/* Node-wide UDP counters (status). */
struct udp_counters {
	uint64_t rx_malformed;		/* header rejected before any crypto */
	uint64_t rx_unknown_session;	/* index names no link */
	uint64_t rx_bad_tag;		/* failed authentication */
	uint64_t rx_replayed;		/* already seen (duplicates included) */
	uint64_t rx_too_old;		/* below the receive window */
	uint64_t rx_bad_payload;	/* authentic but malformed inside */
	uint64_t tx_dropped;		/* send queue or socket refused */
	uint64_t pool_exhausted;
};

struct udp {
	struct cloud *cloud;
	struct udp_sock *sock[UDP_MAX_SOCKS];
	unsigned nsocks;
	ev_prepare flush;		/* sends what the iteration queued */
	struct pkt *free;		/* pool */
	unsigned pool_total, pool_free;
	struct link **sess;		/* open addressing by index; NULL: empty */
	uint32_t *sess_key;
	unsigned sess_cap, sess_n;
	struct udp_counters cnt;
	uint8_t *scratch;		/* a packet before it is split (65535 + header) */
	uint8_t *rxbuf;			/* a received packet with its header expanded */
};

/* Open the sockets of `udp_listen' (or their defaults).  0 or -1 with err
 * naming the option's file:line. */
int udp_open(struct cloud *cl, char *err, size_t errlen);
void udp_close(struct cloud *cl);
/* Options changed (reload): links pick up the new policy and timers. */
void udp_settings(struct cloud *cl);

/* Buffers.  udp_pkt_get returns NULL (counted) when the pool is at its
 * cap; udp_pkt_put takes one reference away. */
struct pkt *udp_pkt_get(struct udp *u);
void udp_pkt_put(struct udp *u, struct pkt *p);

/* Session table: a fresh random index for l (0 on failure), and its end. */
uint32_t udp_session_add(struct udp *u, struct link *l);
void udp_session_del(struct udp *u, uint32_t index);
struct link *udp_session_find(const struct udp *u, uint32_t index);

/* Queue a sealed datagram p (one more reference taken) on s toward to,
 * with its path id rewritten to path.  Flushed at the end of the loop
 * iteration, or at once when the batch is full. */
void udp_queue(struct udp_sock *s, struct pkt *p, uint16_t path, const struct sockaddr *to,
	       socklen_t tolen);
/* Send one small datagram now (probes), not through the pool. */
void udp_send_now(struct udp_sock *s, const uint8_t *d, size_t len, const struct sockaddr *to,
		  socklen_t tolen);

/* ------------------------------------------------ link_udp.c, per link */

struct link;
struct strbuf;

/* The link is up: choose our session index, derive keys, offer our
 * endpoints over TLS.  Does nothing when `udp no'. */
void link_udp_start(struct link *l);
/* The link goes away: paths, keys (zeroed), buffers, session index. */
void link_udp_stop(struct link *l);
/* A FRAME_UDP offer from the peer; false if malformed (a protocol error). */
bool link_udp_offer(struct link *l, const uint8_t *p, size_t len);
/* Send a DATA payload (hdr then payload) on the link's UDP paths.  False
 * when no path is alive: the caller sends it on the TLS stream. */
bool link_udp_send(struct link *l, const uint8_t *hdr, size_t hdrlen, const uint8_t *payload,
		   size_t len);
/* A datagram for l's session, header already checked, from `from' on s.
 * Consumes nothing: p stays the caller's unless the reorder buffer takes
 * it, in which case *taken is set. */
void link_udp_input(struct link *l, struct udp_sock *s, struct pkt *p, const struct udpw_hdr *h,
		    const struct sockaddr *from, socklen_t fromlen, bool *taken);
/* Options changed. */
void link_udp_settings(struct link *l);
/* `cloudctl policy PEER POLICY': 0, or -EINVAL / -ENOENT with err set. */
int link_udp_set_policy(struct cloud *cl, const char *peer, const char *policy, char *err,
			size_t errlen);
/* `cloudctl paths' */
void ctl_paths(struct cloud *cl, struct strbuf *sb, bool json);
/* ",\"udp\":{...}" for status (json), or a text line */
void ctl_udp_status(struct cloud *cl, struct strbuf *sb, bool json);
/* Parse a udp_policy value; -1 if unknown. */
int udp_policy_parse(const char *s);
bool udp_conf_check(const struct conf *c, char *err, size_t errlen);

#endif
