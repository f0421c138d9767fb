/*
 * tcpgro.h - what the kernel's GRO does for a NIC, done for a TUN device:
 * consecutive TCP segments of one connection, as cloud is about to write
 * them into the device, joined into one large packet with a virtio-net
 * header (IFF_VNET_HDR, gso_type TCPV4/TCPV6), so that the kernel's TCP
 * stack takes forty segments in one pass (and acknowledges them once).
 *
 * A segment joins the held packet only if the kernel would have merged
 * it: same addresses, ports, IP fields (TOS, TTL / traffic class, flow,
 * hop limit, DF), no IP options or IPv6 extension headers, no fragment;
 * TCP with ACK alone (PSH allowed last), the same acknowledgment, window
 * and option bytes (timestamps included), the next sequence number, and a
 * payload no longer than the first one's, after which only a shorter one
 * may end the run; and its IPv4 header and TCP checksums must hold (the
 * joined packet's are recomputed, so a corrupt segment must not hide in
 * it: written alone, the kernel drops it).  The result's IP length and checksum are rewritten and
 * its TCP checksum left for the kernel (NEEDS_CSUM with the pseudo-header
 * sum in place), as a virtio NIC hands over a GRO packet.
 *
 * Pure: no I/O, no allocation; buffers belong to the caller.
 */
#ifndef CLOUDVPN_TCPGRO_H
#define CLOUDVPN_TCPGRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VNET_HDR_LEN 10		/* struct virtio_net_hdr */
#define TCPGRO_MAX_LEN 65535	/* an IP packet, header included */
#define TCPGRO_BUF_LEN (VNET_HDR_LEN + TCPGRO_MAX_LEN)
#define TCPGRO_MAX_SEGS 64

struct tcpgro {
	uint8_t *buf;		/* TCPGRO_BUF_LEN: vnet header, then the packet */
	size_t len;		/* bytes of the packet; 0: nothing held */
	unsigned segs;		/* segments in it */
	uint16_t hlen;		/* IP and TCP headers */
	uint16_t mss;		/* payload of the first segment */
	uint16_t last;		/* payload of the latest */
	uint32_t next_seq;	/* what the next segment must start at */
	bool psh;		/* the latest had PSH: the run is over */
};

/* Append pkt (a whole IP packet, len bytes) to what g holds, if the
 * kernel would have merged it: true if it did. */
bool tcpgro_append(struct tcpgro *g, const uint8_t *pkt, size_t len);
/* Hold pkt as the start of a run, if it is a TCP segment that later ones
 * may join: true if it did (g must be empty). */
bool tcpgro_start(struct tcpgro *g, const uint8_t *pkt, size_t len);
/* Finish what g holds: the bytes to write (virtio-net header, packet) at
 * g->buf; g is empty after.  One segment is written as it came, with a
 * header that asks nothing. */
size_t tcpgro_finish(struct tcpgro *g);
/* The virtio-net header for a packet written alone: all zero. */
void tcpgro_plain_hdr(uint8_t hdr[VNET_HDR_LEN]);

#endif
