/*
 * gate_dev.h - a gate's device, handed to cloud (DESIGN section 6).
 *
 * ip-gate may send its TUN file descriptor with a DEVICE message
 * (SCM_RIGHTS).  cloud then reads the device itself, forwarding what it
 * reads exactly as if the gate had sent it (fwd_from_gate), and writes
 * what the mesh delivers to the gate straight into the device: the gate
 * process is off the hot path, two system calls and a copy per packet
 * fewer at each end.
 *
 * The gate keeps the device (addresses, routes, MTU) and its slow path.
 * cloud forwards only well-formed unicast packets that fit the MTU (after
 * the gate's MSS clamp); anything else read from the device goes to the
 * gate as DEVICE_PACKET, which treats it as if it had read it itself
 * (counters, ICMP errors).  Packets from the mesh get ip-gate's checks:
 * they parse, their addresses are the ones routed on, and their source is
 * not the gate's own.  The checks are lib/ipv.c's, shared with ip-gate.
 *
 * When the gate opened the device with a virtio-net header (DEVICE flag
 * DEV_VNET_HDR), cloud joins runs of TCP segments it is about to write
 * into one large packet (lib/tcpgro.h) and writes it once, at the end of
 * the loop iteration or when a packet that does not join arrives, so the
 * kernel's TCP takes forty segments in one pass.  `tun_gro no' writes them
 * one by one; so does a device whose kernel refuses a joined write (it is
 * logged, and the run lost is counted).
 *
 * `gate_handoff no' refuses devices (DEVICE_ACK with accepted 0): the
 * gate goes on carrying packets over the socket.
 */
#ifndef CLOUDVPN_GATE_DEV_H
#define CLOUDVPN_GATE_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "addr.h"
#include "gateproto.h"
#include "tcpgro.h"

struct gate;

struct gate_dev {
	int fd;				/* -1: no device */
	ev_io io;
	uint16_t net, mtu, mss4, mss6;	/* as the gate announced them */
	bool vnet;			/* a virtio-net header leads each packet */
	bool gro;			/* join TCP runs (vnet and tun_gro) */
	struct tcpgro run;		/* the run held, flushed by `flush' */
	ev_prepare flush;
	uint64_t rx, tx;		/* packets read, written */
	uint64_t slow;			/* read, handed to the gate */
	uint64_t bad;			/* from the mesh, refused */
	uint64_t tx_failed;		/* write failed */
	uint64_t mss_clamped;		/* SYNs whose MSS was lowered, both ways */
	uint64_t gro_writes, gro_segs;	/* joined writes, the segments in them */
};

/* A DEVICE message m with fd attached (-1: none).  Takes fd (closes it
 * when refused).  Answers the gate with DEVICE_ACK; false with why set
 * when refused. */
bool gate_dev_attach(struct gate *g, const struct gate_msg *m, int fd, char *why,
		     size_t whylen);
void gate_dev_detach(struct gate *g);
/* Deliver a packet of the mesh into g's device; false if refused or not
 * written (counted). */
bool gate_dev_write(struct gate *g, const struct addr *dst, const struct addr *src,
		    const uint8_t *pkt, size_t len);

#endif
