/*
 * gateproto.h - messages between cloud and its gates (DESIGN section 6).
 *
 * The gate socket is a UNIX SOCK_SEQPACKET socket: one datagram is one
 * message, so there is no length field.  Every message starts with
 *
 *   0  u8  type   (enum gate_msg_type)
 *   1  u8  flags  (per type; unknown bits are an error)
 *
 * and its body follows.  Strings are a u8 length and bytes (no NUL).
 * Prefixes are encoded as by prefix_encode (lib/addr.h).
 *
 *   HELLO        both ways, first: u16 version, u8 n, name (gate name from
 *                the gate, node name from cloud; 1..64 of [A-Za-z0-9._-])
 *   ANNOUNCE     gate -> cloud: what this gate owns.  u8 op (enum
 *                gate_ann_op), u16 count, count prefixes.  REPLACE drops
 *                everything the gate owned before.  "INST:*" (zero-length)
 *                subscribes the gate to the instance's broadcasts.
 *   ROUTES       cloud -> gate: prefixes other nodes own in the instances
 *                the gate announced (so ip-gate can install kernel routes);
 *                same body as ANNOUNCE.
 *   PACKET       both ways: u32 inst, dst (u8 n + bytes), src (u8 n +
 *                bytes), origin node (string; empty from a gate), payload
 *                (the rest, 1..GATE_PAYLOAD_MAX bytes).  Flag
 *                PKT_FLOOD_UNKNOWN (gate -> cloud): if nobody owns dst,
 *                deliver as a broadcast (unknown unicast of a bridge).
 *   UNREACHABLE  cloud -> gate: nobody owns dst; u32 inst, dst, then the
 *                start of the packet (at most GATE_UNREACH_HEAD bytes) so
 *                the gate can answer with ICMP.
 *   KEEPALIVE    both ways, empty body.
 *   ERROR        both ways: u16 code (enum gate_err), text (string,
 *                printable).  cloud disconnects a gate after sending one.
 *   DEVICE       gate -> cloud, with the gate's device file descriptor
 *                attached (SCM_RIGHTS): u8 kind (enum gate_dev_kind), u16
 *                net (ip-gate's instance number, as ipv_parse takes it),
 *                u16 mtu, u16 mss4, u16 mss6 (0: no clamp).  From
 *                DEVICE_ACK on, cloud reads and writes the device itself,
 *                so packets skip the gate process (DESIGN section 6).
 *                Flag DEV_VNET_HDR: the device was opened with
 *                IFF_VNET_HDR (cloud may then write joined TCP runs).
 *   DEVICE_ACK   cloud -> gate: u8 accepted (0 or 1), text (string, why
 *                not; empty when accepted).
 *   DEVICE_PACKET cloud -> gate: a packet cloud read from the handed-off
 *                device and leaves to the gate (malformed, multicast, too
 *                big for the MTU): the packet, 1..GATE_PAYLOAD_MAX bytes.
 *
 * Decoding is pure and checks every length and field: gate_decode accepts
 * a message only if all of it is well formed (every announced prefix too).
 */
#ifndef CLOUDVPN_GATEPROTO_H
#define CLOUDVPN_GATEPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "name.h"

#define GATE_PROTO_VERSION 1
#define GATE_NAME_MAX NAME_MAX_LEN
#define GATE_PAYLOAD_MAX 65535u
#define GATE_MSG_MAX (GATE_PAYLOAD_MAX + 256u)	/* largest datagram */
#define GATE_ERROR_TEXT_MAX 200
#define GATE_UNREACH_HEAD 128
#define GATE_ANNOUNCE_MAX 1024	/* prefixes in one message */

enum gate_msg_type {
	GM_HELLO = 1,
	GM_ANNOUNCE = 2,
	GM_ROUTES = 3,
	GM_PACKET = 4,
	GM_UNREACHABLE = 5,
	GM_KEEPALIVE = 6,
	GM_ERROR = 7,
	GM_DEVICE = 8,
	GM_DEVICE_ACK = 9,
	GM_DEVICE_PACKET = 10,
	GM_TYPE_MAX
};

enum gate_ann_op { ANN_REPLACE = 0, ANN_ADD = 1, ANN_REMOVE = 2 };

#define PKT_FLOOD_UNKNOWN 0x01

#define DEV_VNET_HDR 0x01	/* DEVICE: a virtio-net header leads each packet */

enum gate_dev_kind {
	DEV_TUN_IP = 1,		/* a TUN device (IFF_TUN | IFF_NO_PI) of ip-gate */
};

enum gate_err {
	GERR_MALFORMED = 1,	/* a message did not decode */
	GERR_PROTOCOL = 2,	/* out of order (no hello first, ...) */
	GERR_VERSION = 3,	/* unsupported version */
	GERR_LIMIT = 4,		/* too many prefixes, too fast, ... */
	GERR_TIMEOUT = 5,	/* no keepalive */
	GERR_SHUTDOWN = 6,	/* cloud is stopping */
};

struct gate_msg {
	uint8_t type;
	uint8_t flags;
	union {
		struct {
			uint16_t version;
			char name[GATE_NAME_MAX + 1];
		} hello;
		struct {			/* ANNOUNCE and ROUTES */
			uint8_t op;
			uint16_t count;
			const uint8_t *list;	/* count encoded prefixes */
			size_t list_len;
		} ann;
		struct {
			uint32_t inst;
			struct addr dst, src;	/* .inst = inst */
			char origin[GATE_NAME_MAX + 1];
			const uint8_t *payload;
			size_t len;
		} pkt;
		struct {
			uint32_t inst;
			struct addr dst;
			const uint8_t *head;
			size_t len;
		} unreach;
		struct {
			uint16_t code;
			char text[GATE_ERROR_TEXT_MAX + 1];
		} err;
		struct {			/* DEVICE */
			uint8_t kind;
			uint16_t net, mtu, mss4, mss6;
		} dev;
		struct {			/* DEVICE_ACK */
			bool accepted;
			char text[GATE_ERROR_TEXT_MAX + 1];
		} devack;
		struct {			/* DEVICE_PACKET */
			const uint8_t *payload;
			size_t len;
		} devpkt;
	};
};

/* Decode one whole message; pointers in *m point into buf. */
bool gate_decode(const uint8_t *buf, size_t len, struct gate_msg *m);
/* The i-th prefix of a decoded ANNOUNCE/ROUTES: walk with *off from 0. */
bool gate_ann_next(const struct gate_msg *m, size_t *off, struct prefix *p);
const char *gate_msg_name(uint8_t type);
/* An address as a PACKET may carry it: a whole host address, valid for
 * instance inst's protocol. */
bool gate_host_valid(uint32_t inst, const uint8_t *b, size_t len);

/* Encoders: bytes written, or 0 if it does not fit or an input is invalid. */
size_t gate_enc_hello(uint8_t *out, size_t cap, const char *name);
size_t gate_enc_announce(uint8_t *out, size_t cap, uint8_t type, uint8_t op,
			 const struct prefix *ps, size_t n);	/* type: ANNOUNCE or ROUTES */
size_t gate_enc_packet(uint8_t *out, size_t cap, uint8_t flags, uint32_t inst,
		       const struct addr *dst, const struct addr *src,
		       const char *origin, const void *payload, size_t len);
size_t gate_enc_unreachable(uint8_t *out, size_t cap, uint32_t inst,
			    const struct addr *dst, const void *head, size_t len);
size_t gate_enc_keepalive(uint8_t *out, size_t cap);
size_t gate_enc_error(uint8_t *out, size_t cap, uint16_t code, const char *text);
size_t gate_enc_device(uint8_t *out, size_t cap, uint8_t flags, uint8_t kind, uint16_t net,
		       uint16_t mtu, uint16_t mss4, uint16_t mss6);
size_t gate_enc_device_ack(uint8_t *out, size_t cap, bool accepted, const char *text);
size_t gate_enc_device_packet(uint8_t *out, size_t cap, const void *payload, size_t len);

#endif
