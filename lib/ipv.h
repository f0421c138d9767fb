/*
 * ipv.h - what ip-gate knows about IP packets: parsing IPv4/IPv6 headers
 * into mesh addresses, building the ICMP errors a router answers with
 * (destination unreachable, fragmentation needed / packet too big), the
 * Internet checksum, clamping the MSS of TCP SYNs, the "ADDR/BITS" text of
 * interface addresses, and the policy on which remote prefixes may be
 * routed into the TUN.
 *
 * Everything here is pure: no I/O, no globals, no logging.  Buffers are
 * borrowed, never kept.
 */
#ifndef CLOUDVPN_IPV_H
#define CLOUDVPN_IPV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define IPV4_HDR_MIN 20
#define IPV6_HDR_LEN 40
#define ICMP_HDR_LEN 8
#define IPV4_MTU_MIN 576
#define IPV6_MTU_MIN 1280	/* also the cap of an ICMPv6 error packet */
#define IPV_ICMP_MAX IPV6_MTU_MIN	/* no error we build is longer */

struct ipv_pkt {
	uint8_t version;	/* 4 or 6 */
	uint8_t proto;		/* v4 protocol, v6 next header */
	bool df;		/* v4: don't fragment set (always true for v6) */
	bool later_frag;	/* v4: fragment offset != 0 */
	size_t hdr_len;		/* v4 20..60, v6 40 */
	size_t len;		/* total length the header claims */
	struct addr dst, src;	/* inst = INST(AP_IPV4 or AP_IPV6, net) */
};

/*
 * A whole packet: version 4 with IHL >= 5 and IHL*4 <= total length <=
 * len, or version 6 with 40 + payload length <= len.  Bytes past the
 * claimed length (padding) are not part of the packet: use p->len.
 */
bool ipv_parse(const uint8_t *buf, size_t len, uint16_t net, struct ipv_pkt *p);
/*
 * The start of a packet (what UNREACHABLE quotes): the same checks, but
 * only the header itself must be in buf; p->len may exceed len.
 */
bool ipv_parse_head(const uint8_t *buf, size_t len, uint16_t net, struct ipv_pkt *p);

/* IPv4 224/4 and 255.255.255.255, IPv6 ff00::/8. */
bool ipv_addr_multicast(const struct addr *a);
/*
 * May a router answer this packet with an ICMP error (RFC 1812 4.3.2.7,
 * RFC 4443 2.4 e)?  Not for multicast or broadcast destinations, an
 * unspecified or multicast source, a later fragment, or an ICMP error
 * (buf holds at least the header; the ICMP type is read if present).
 */
bool ipv_error_allowed(const struct ipv_pkt *p, const uint8_t *buf, size_t len);

enum ipv_error_kind {
	IPV_UNREACH_HOST,	/* v4 type 3 code 1, v6 type 1 code 3 */
	IPV_TOO_BIG,		/* v4 type 3 code 4 with MTU, v6 type 2 with MTU */
};

/*
 * Build a whole IP packet that carries an ICMP (v4) or ICMPv6 (v6) error
 * about `orig' (len bytes, at least its header), from `from' (an address
 * of the same family) to orig's source, with correct checksums.  It
 * quotes orig's header and 8 bytes (v4) or as much of orig as keeps the
 * error within 1280 bytes (v6), never more than orig has or claims.
 * mtu is reported for IPV_TOO_BIG.  Returns the bytes written, or 0 when
 * orig does not parse, the families differ or cap is too small.
 */
size_t ipv_icmp_error(uint8_t *out, size_t cap, enum ipv_error_kind kind,
		      uint32_t mtu, const struct addr *from,
		      const uint8_t *orig, size_t len);

/* Internet checksum (RFC 1071) of buf, continuing from a partial sum
 * (0 to start): the value to store, already complemented. */
uint16_t ipv_csum(const void *buf, size_t len, uint32_t sum);
/* The partial sums of an IPv4 (RFC 793 3.1) and an IPv6 (RFC 8200 8.1)
 * pseudo-header, to pass to ipv_csum. */
uint32_t ipv4_pseudo_sum(const uint8_t src[4], const uint8_t dst[4], uint32_t len,
			 uint8_t proto);
uint32_t ipv6_pseudo_sum(const uint8_t src[16], const uint8_t dst[16],
			 uint32_t len, uint8_t next);

/*
 * TCP MSS clamping.  In a TCP SYN (with or without ACK), a whole packet as
 * for ipv_parse, lower an MSS option larger than mss to mss and update the
 * TCP checksum incrementally (RFC 1624).  Left alone: anything but a SYN,
 * a SYN without an MSS option or with any malformed option, an IPv4 later
 * fragment, an IPv6 packet whose extension headers before TCP are not all
 * hop-by-hop, routing or destination options.  ipv_clamp_mss changes pkt
 * in place and says whether it did; ipv_mss_above says whether it would.
 */
#define IPV_MSS_MIN 536		/* RFC 879: what a 576-byte IPv4 MTU carries */
#define IPV_MSS_MAX 65495	/* 65535 less the IPv4 and TCP headers */
#define IPV4_MSS_OVERHEAD 40	/* MTU - MSS: IPv4 and TCP headers */
#define IPV6_MSS_OVERHEAD 60	/* MTU - MSS: IPv6 and TCP headers */

bool ipv_clamp_mss(uint8_t *pkt, size_t len, uint16_t mss);
bool ipv_mss_above(const uint8_t *pkt, size_t len, uint16_t mss);

/*
 * "10.99.0.1/24", "fd99::1/64", "192.168.50.0/24" or an address without
 * /BITS (a host: /32, /128) into an address (inst for net) and a prefix
 * length.  Host bits may be set; ipv_prefix_of masks them off.
 */
bool ipv_parse_cidr(const char *s, uint16_t net, struct addr *a, uint16_t *bits);
/* The prefix of bits length that contains a. */
void ipv_prefix_of(struct prefix *p, const struct addr *a, uint16_t bits);
/* Does x cover all of y (same instance and length, x no longer than y)? */
bool ipv_prefix_contains(const struct prefix *x, const struct prefix *y);
/* Do x and y share an address (one contains the other)? */
bool ipv_prefix_overlaps(const struct prefix *x, const struct prefix *y);

/*
 * Which remote prefixes ip-gate routes into its TUN.  A prefix another
 * node announces could otherwise take this host's traffic: a default
 * route in two halves (0.0.0.0/1 + 128.0.0.0/1), the LAN, or the address
 * of the neighbour that carries the mesh link itself.  In this order:
 */
#define IPV4_ROUTE_BITS_MIN 8
#define IPV6_ROUTE_BITS_MIN 16

enum ipv_route_verdict {
	IPV_ROUTE_INSTALL,	/* route it into the TUN */
	IPV_ROUTE_TOO_SHORT,	/* shorter than IPV4/IPV6_ROUTE_BITS_MIN */
	IPV_ROUTE_LOCAL,	/* inside one of our own subnets or routes: no route needed */
	IPV_ROUTE_OVERLAP,	/* overlaps a subnet of another interface */
	IPV_ROUTE_NOT_ACCEPTED,	/* outside every accepted prefix */
};

struct ipv_route_policy {
	const struct prefix *local;	/* our subnets and announced routes */
	size_t nlocal;
	const struct prefix *ifnets;	/* subnets of the host's other interfaces */
	size_t nifnets;
	const struct prefix *accept;	/* accept_route; none: accept any */
	size_t naccept;
};

/* The verdict on remote prefix p; for IPV_ROUTE_OVERLAP *which is the
 * index of the first subnet in ifnets it overlaps. */
enum ipv_route_verdict ipv_route_check(const struct ipv_route_policy *pol,
				       const struct prefix *p, size_t *which);

#endif
