/*
 * frame.h - the control protocol carried on a link's TLS stream.
 *
 * A frame is a 4-byte header and a payload:
 *
 *   0  u8   type     (enum frame_type; 0 is invalid)
 *   1  u8   flags    (reserved, 0)
 *   2  u16  length   payload length in bytes, network order
 *   4  ...  payload
 *
 * The receiver also bounds the length by its own limit (a frame longer than
 * it is malformed: the link is closed).  Every payload decoder checks every
 * length before reading.  All functions are pure: no I/O, no globals.
 */
#ifndef CLOUDVPN_FRAME_H
#define CLOUDVPN_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "name.h"

#define FRAME_HDR_LEN 4
#define FRAME_MAX_PAYLOAD 65535u
#define PROTO_VERSION 3	/* 2: multi-hop routing (routewire.h); 3: UDP data paths */
#define NODE_NAME_MAX NAME_MAX_LEN	/* bytes, without the terminating NUL */
#define BYE_REASON_MAX 200

enum frame_type {
	FRAME_HELLO = 1,	/* first frame each way: version, node name */
	FRAME_PING = 2,		/* keepalive, carries the sender's clock */
	FRAME_PONG = 3,		/* echo of a ping */
	FRAME_BYE = 4,		/* the sender closes the link, with a reason */
	FRAME_ROUTE = 5,	/* route updates (routewire.h) */
	FRAME_DATA = 6,		/* a packet between gates */
	FRAME_SEQREQ = 7,	/* seqno request (routewire.h) */
	FRAME_DIGEST = 8,	/* digest of advertised routes (routewire.h) */
	FRAME_ROUTE_REQ = 9,	/* full table request (routewire.h) */
	FRAME_UDP = 10,		/* UDP offer: session index, cipher, endpoints (udpwire.h) */
	FRAME_TYPE_MAX
};

struct frame {
	uint8_t type;
	uint8_t flags;
	uint16_t len;
	const uint8_t *payload;	/* points into the decoded buffer */
};

/* Decode one frame at the start of buf.  Returns the bytes it spans (> 0),
 * 0 when more bytes are needed, -EBADMSG for an invalid type or flags, or
 * -EMSGSIZE when the length exceeds max_payload. */
int frame_decode(const uint8_t *buf, size_t len, size_t max_payload,
		 struct frame *f);
/* Write header + payload to out; returns the bytes written, 0 if it does
 * not fit or the payload is longer than FRAME_MAX_PAYLOAD. */
size_t frame_encode(uint8_t *out, size_t cap, uint8_t type,
		    const void *payload, size_t len);
const char *frame_type_name(uint8_t type);

/*
 * HELLO payload:
 *   0  u16  version (PROTO_VERSION)
 *   2  u16  flags (0)
 *   4  u64  boot id (random per process start: tells a restart apart)
 *  12  u8   name length n (1..NODE_NAME_MAX)
 *  13  n    node name (printable ASCII, no spaces)
 */
struct hello {
	uint16_t version;
	uint16_t flags;
	uint64_t boot_id;
	char name[NODE_NAME_MAX + 1];
};
bool hello_decode(const uint8_t *p, size_t len, struct hello *h);
size_t hello_encode(uint8_t *out, size_t cap, const struct hello *h);

/* PING and PONG payload: u64 sequence, u64 sender's clock (us).  A PONG
 * echoes the PING it answers. */
struct ping {
	uint64_t seq;
	uint64_t t_us;
};
#define PING_LEN 16
bool ping_decode(const uint8_t *p, size_t len, struct ping *pg);
size_t ping_encode(uint8_t *out, size_t cap, const struct ping *pg);

/* BYE payload: u8 code (enum bye_code), then reason text (may be empty,
 * at most BYE_REASON_MAX bytes, printable ASCII). */
enum bye_code {
	BYE_SHUTDOWN = 1,	/* the sender is stopping */
	BYE_DUPLICATE = 2,	/* another link to the same node is kept */
	BYE_PROTOCOL = 3,	/* the sender got something malformed */
	BYE_POLICY = 4,		/* the sender's config no longer allows us */
};
struct bye {
	uint8_t code;
	char reason[BYE_REASON_MAX + 1];
};
bool bye_decode(const uint8_t *p, size_t len, struct bye *b);
size_t bye_encode(uint8_t *out, size_t cap, const struct bye *b);

/*
 * DATA payload: one packet from a gate.
 *   0  u32  instance
 *   4  u8   ttl        (hops left: decremented by every relay, which
 *                       drops the packet instead of sending it on with 0)
 *   5  u8   flags      (DATA_FLOOD_UNKNOWN: deliver as broadcast when
 *                       nobody owns dst)
 *   6  u32  bcast id   (per origin, for deduplicating broadcasts and
 *                       floods; 0 for unicast)
 *  10  u8 n, n bytes   dst address (0 bytes: broadcast)
 *   .. u8 n, n bytes   src address
 *   .. u8 n, n bytes   origin node name (1..NODE_NAME_MAX)
 *   .. payload         the rest, at least 1 byte
 * The addresses' instance is the frame's instance.
 */
#define DATA_FLOOD_UNKNOWN 0x01
#define DATA_HDR_MAX (10 + 3 + 2 * 32 + NODE_NAME_MAX)	/* 32: ADDR_MAX_LEN */
struct data_frame {
	uint32_t inst;
	uint8_t ttl;
	uint8_t flags;
	uint32_t bcast_id;
	uint8_t dst_len, src_len;
	uint8_t dst[32], src[32];
	char origin[NODE_NAME_MAX + 1];
	const uint8_t *payload;
	size_t len;
};
bool data_decode(const uint8_t *p, size_t len, struct data_frame *d);
/* Everything but the payload: returns the header length, 0 if it does not
 * fit or a field is invalid; the caller appends d->len payload bytes. */
size_t data_encode_hdr(uint8_t *out, size_t cap, const struct data_frame *d);

/*
 * Short DATA header, for the UDP framing (UDPW_F_SHORT): a unicast packet
 * (flags 0, bcast id 0) whose origin is the node sending it on the link
 * drops those three fields, and the receiver puts back the link's peer:
 *   0  u32  instance
 *   4  u8   ttl
 *   5  u8 n, n bytes   dst address
 *   .. u8 n, n bytes   src address
 *   .. payload
 * 7 bytes and the origin's name less than the full header, so that a
 * 1420-byte packet fits one datagram on a 1500-byte IPv4 underlay.
 */
#define DATA_SHORT_FIXED_LEN 5
#define DATA_ADDR_MAX 32
/* The short form of the full header hdr (exactly hdrlen bytes) into out;
 * 0 when the packet does not qualify (flags, bcast id, origin not self),
 * the header is malformed or out is too small. */
size_t data_hdr_shorten(const uint8_t *hdr, size_t hdrlen, const char *self, uint8_t *out,
			size_t cap);
/* The full header of the short-form packet p (len bytes, payload
 * included, at least 1 payload byte) with origin, into out; *used is the
 * short header's length.  0 if malformed or out is too small. */
size_t data_hdr_expand(const uint8_t *p, size_t len, const char *origin, uint8_t *out,
		       size_t cap, size_t *used);

/* node_name_valid: lib/name.h */

#endif
