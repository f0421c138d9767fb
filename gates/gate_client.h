/*
 * gate_client.h - what every gate shares: the connection to cloud's gate
 * socket (SOCK_SEQPACKET), the HELLO exchange, keepalives both ways, and
 * reconnecting by itself (with backoff) whenever cloud goes away, so that a
 * gate outlives a restart of cloud.  Runs on the caller's libev loop.
 *
 * After every (re)connection `connected' runs: the gate must announce
 * everything it owns again (cloud forgot it).  Messages that are not
 * HELLO/KEEPALIVE go to `message'.  An ERROR from cloud is logged and the
 * client reconnects.
 */
#ifndef CLOUDVPN_GATE_CLIENT_H
#define CLOUDVPN_GATE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ev.h>

#include "addr.h"
#include "gateproto.h"

#define GATE_KEEPALIVE_S 1.0	/* we send one this often */
#define GATE_DEAD_S 5.0		/* nothing from cloud this long: reconnect */

struct gate_client;

struct gate_client_ops {
	void (*connected)(void *arg);		/* HELLO exchanged */
	void (*disconnected)(void *arg);	/* lost; reconnecting */
	void (*message)(void *arg, const struct gate_msg *m);
};

struct gate_client_stats {
	uint64_t tx_packets, rx_packets, tx_dropped, rx_bad, reconnects;
};

/* name: this gate's name in HELLO (e.g. "ether-gate"); path: cloud's gate
 * socket.  Connection attempts start at once and never stop. */
struct gate_client *gate_client_new(struct ev_loop *loop, const char *path,
				    const char *name,
				    const struct gate_client_ops *ops, void *arg);
void gate_client_free(struct gate_client *gc);
bool gate_client_up(const struct gate_client *gc);
/* The node name cloud sent in its HELLO ("" while down). */
const char *gate_client_node(const struct gate_client *gc);
const struct gate_client_stats *gate_client_stats(const struct gate_client *gc);
/* The socket fd while up (-1 otherwise), for gates that want to poll it. */
int gate_client_fd(const struct gate_client *gc);

/* Send an encoded message.  0, -ENOTCONN while down, or -EAGAIN when the
 * socket is full (the message is dropped and counted; packets are
 * datagrams, the peer protocol recovers). */
int gate_client_send(struct gate_client *gc, const uint8_t *msg, size_t len);
/* Send an encoded message with file descriptor fd attached (SCM_RIGHTS);
 * 0 or -errno (nothing is queued: the caller may try again later). */
int gate_client_send_fd(struct gate_client *gc, const uint8_t *msg, size_t len, int fd);
/* Announce n prefixes, split into messages of GATE_ANNOUNCE_MAX (the first
 * keeps op; with ANN_REPLACE the rest are ANN_ADD). */
int gate_client_announce(struct gate_client *gc, uint8_t op,
			 const struct prefix *ps, size_t n);
int gate_client_packet(struct gate_client *gc, uint8_t flags, uint32_t inst,
		       const struct addr *dst, const struct addr *src,
		       const void *payload, size_t len);

#endif
