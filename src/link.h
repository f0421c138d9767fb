/*
 * link.h - one authenticated session with a neighbour: TCP, then TLS 1.3,
 * then the framed control protocol (lib/frame.h).
 *
 * A link owns its socket, TLS session, buffers and timers.  It reports to
 * its connector (outgoing links) when it goes up or away, and never decides
 * where to connect: that is peer.c's job.
 */
#ifndef CLOUDVPN_LINK_H
#define CLOUDVPN_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>

#include "cloud.h"
#include "tls.h"

enum link_state {
	LINK_TCP_CONNECTING,	/* outgoing: connect() in progress */
	LINK_HANDSHAKE,		/* TLS handshake (peer verified inside it) */
	LINK_HELLO,		/* TLS up, our HELLO sent, waiting for theirs */
	LINK_UP,		/* established: pings, (later) routes and data */
	LINK_CLOSING,		/* BYE queued, TLS close in progress */
};

struct obuf {
	uint8_t *buf;
	size_t len, off, cap;
	size_t pending;		/* bytes handed to a send that said EAGAIN */
};

struct rt_neigh;
struct link_udp;

struct link {
	TAILQ_ENTRY(link) entry;
	struct cloud *cloud;
	uint32_t id;
	enum link_state state;
	bool outgoing;
	struct connector *conn;		/* outgoing: who asked for it */
	int fd;
	struct sockaddr_storage addr;
	char addr_str[64];		/* "10.0.0.1:7000", "[fd00::1]:7000" */

	gnutls_session_t tls;
	struct tls_creds *creds;
	struct tls_peer peer;		/* peer.name once verified */
	uint64_t peer_boot_id;
	bool bye_done;

	ev_io io;
	ev_timer timer;			/* handshake timeout, then pings */
	ev_tstamp created, up_since, last_rx;

	uint8_t *rbuf;
	size_t rlen;
	struct obuf out;

	uint64_t ping_seq;
	uint64_t srtt_us;		/* 0 until the first pong */
	uint64_t tx_bytes, rx_bytes;
	uint64_t tx_packets, rx_packets, tx_dropped;
	struct rt_neigh *rt_nb;		/* its routing neighbour (router.c), once up */
	uint32_t rtt_win[8];		/* recent RTT samples (us), for its route cost */
	unsigned rtt_n;
	struct link_udp *udp;		/* its UDP session (link_udp.c), once up */
};

/* Start a link on a connected or connecting socket (consumes fd). */
struct link *link_new(struct cloud *cl, int fd, const struct sockaddr *sa,
		      socklen_t salen, bool outgoing, bool connecting,
		      struct connector *conn);
/* Close: with graceful, say BYE and close TLS first (bounded by
 * comm_close_timeout); otherwise drop now.  The link is freed either way,
 * maybe later; the caller must not use it after this. */
void link_close(struct link *l, uint8_t code, const char *reason, bool graceful);
/* Queue a control frame (ROUTE...) on an up link; false if the link was
 * closed because it could not be queued. */
bool link_send_frame(struct link *l, uint8_t type, const uint8_t *payload, size_t len);
/* Queue a DATA frame made of hdr and payload.  Dropped (false, counted)
 * when the link's data queue is over max_waiting_data_size; never closes
 * the link. */
bool link_send_data(struct link *l, const uint8_t *hdr, size_t hdrlen,
		    const uint8_t *payload, size_t len);
/* Links to `name' that are up. */
struct link *link_find_up(struct cloud *cl, const char *name);
const char *link_state_name(enum link_state s);
/* Apply changed timers to a link already up (reload). */
void link_settings_changed(struct link *l);

#endif
