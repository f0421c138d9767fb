/*
 * gate_srv.h - cloud's side of the gate sockets (DESIGN section 6).
 *
 * Owns the gate listeners and the attached gates: credentials check
 * (SO_PEERCRED), the HELLO exchange, keepalives, and each gate's set of
 * announced prefixes.  It decodes what gates send and hands packets to
 * fwd.c; it never decides where a packet goes.  A gate that sends anything
 * malformed or out of order gets an ERROR and is disconnected; nothing a
 * gate sends can affect another gate or a link.
 */
#ifndef CLOUDVPN_GATE_SRV_H
#define CLOUDVPN_GATE_SRV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "cloud.h"
#include "gate_dev.h"
#include "gateproto.h"

#define GATE_PREFIXES_MAX 8192	/* prefixes one gate may own */
#define LOCAL_PREFIXES_MAX 16384	/* all gates of a node together: the full
					 * table must fit a link's send queue */

struct gate {
	TAILQ_ENTRY(gate) entry;
	struct cloud *cloud;
	uint32_t id;
	int fd;
	ev_io io;
	ev_timer timer;			/* keepalive and silence check */
	bool hello_done;
	char name[GATE_NAME_MAX + 1];
	pid_t pid;
	uid_t uid;
	gid_t gid;
	ev_tstamp connected, last_rx;
	struct prefix *owned;		/* what the gate announced */
	size_t nowned, capowned;
	bool routes_dirty;		/* ROUTES must be sent again */
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t tx_dropped;		/* socket full */
	uint64_t unroutable;		/* its packets nobody owned */
	struct gate_dev dev;		/* its device, when handed over */
};

/* Check the gate options of a configuration (modes, user and group names);
 * err names file:line. */
bool gates_conf_check(const struct conf *c, char *err, size_t errlen);
int gates_open(struct cloud *cl, char *err, size_t errlen);
void gates_close(struct cloud *cl);
/* Reload: allow lists and timers (the sockets themselves stay). */
void gates_reload(struct cloud *cl);

/* Send to one gate.  Packets are dropped (and counted) when its socket is
 * full; returns false if the gate was disconnected. */
bool gate_send_packet(struct gate *g, uint8_t flags, uint32_t inst,
		      const struct addr *dst, const struct addr *src,
		      const char *origin, const uint8_t *payload, size_t len);
void gate_send_unreachable(struct gate *g, uint32_t inst, const struct addr *dst,
			   const uint8_t *head, size_t len);
/* Send an encoded control message to g (dropped when its socket is full). */
void gate_send_raw(struct gate *g, const uint8_t *msg, size_t len);
/* The mesh's routes changed: every gate gets a fresh ROUTES (coalesced). */
void gates_routes_changed(struct cloud *cl);
/* True when g announced some prefix in instance inst. */
bool gate_in_instance(const struct gate *g, uint32_t inst);

#endif
