/*
 * frame.c - encoding and decoding of link control frames and of their
 * payloads (HELLO, PING/PONG, BYE, ROUTE, DATA).  Owns the wire layout in
 * frame.h and nothing else (prefixes are addr.c's): no I/O, no globals, no
 * logging.
 *
 * Invariants: every decoder checks a length before each read and accepts a
 * payload only when it is exactly the size its fields say (no trailing
 * bytes); every encoder refuses what its decoder would reject, so a value
 * that encodes also decodes to itself.
 */
#include "config.h"
#include "addr.h"
#include "frame.h"
#include "wire.h"

#include <errno.h>
#include <string.h>

#define HELLO_FIXED_LEN 13	/* version, flags, boot id, name length */
#define BYE_FIXED_LEN 1		/* code */
#define DATA_FIXED_LEN 10	/* instance, ttl, flags, bcast id */

static bool frame_type_valid(uint8_t type)
{
	return type != 0 && type < FRAME_TYPE_MAX;
}

int frame_decode(const uint8_t *buf, size_t len, size_t max_payload,
		 struct frame *f)
{
	uint16_t plen;

	if (len < FRAME_HDR_LEN)
		return 0;
	/* Unknown types are protocol errors until a version needs more. */
	if (!frame_type_valid(buf[0]) || buf[1] != 0)
		return -EBADMSG;
	plen = wire_get16(buf + 2);
	if (plen > max_payload)
		return -EMSGSIZE;
	if (len - FRAME_HDR_LEN < plen)
		return 0;
	f->type = buf[0];
	f->flags = buf[1];
	f->len = plen;
	f->payload = buf + FRAME_HDR_LEN;
	return FRAME_HDR_LEN + plen;
}

size_t frame_encode(uint8_t *out, size_t cap, uint8_t type,
		    const void *payload, size_t len)
{
	if (!frame_type_valid(type) || len > FRAME_MAX_PAYLOAD)
		return 0;
	if (cap < FRAME_HDR_LEN || cap - FRAME_HDR_LEN < len)
		return 0;
	out[0] = type;
	out[1] = 0;
	wire_put16(out + 2, (uint16_t)len);
	if (len)
		memmove(out + FRAME_HDR_LEN, payload, len);
	return FRAME_HDR_LEN + len;
}

const char *frame_type_name(uint8_t type)
{
	switch (type) {
	case FRAME_HELLO:
		return "hello";
	case FRAME_PING:
		return "ping";
	case FRAME_PONG:
		return "pong";
	case FRAME_BYE:
		return "bye";
	case FRAME_ROUTE:
		return "route";
	case FRAME_DATA:
		return "data";
	case FRAME_SEQREQ:
		return "seqreq";
	case FRAME_DIGEST:
		return "digest";
	case FRAME_ROUTE_REQ:
		return "route-req";
	case FRAME_UDP:
		return "udp";
	default:
		return "unknown";
	}
}

/*
 * Version and hello flags are passed up as they are: whether a peer's
 * version is acceptable is the link's decision, and it wants to log it.
 */
bool hello_decode(const uint8_t *p, size_t len, struct hello *h)
{
	size_t n;

	if (len < HELLO_FIXED_LEN)
		return false;
	n = p[12];
	if (len != HELLO_FIXED_LEN + n)
		return false;
	if (!node_name_valid((const char *)p + HELLO_FIXED_LEN, n))
		return false;
	h->version = wire_get16(p);
	h->flags = wire_get16(p + 2);
	h->boot_id = wire_get64(p + 4);
	memcpy(h->name, p + HELLO_FIXED_LEN, n);
	h->name[n] = '\0';
	return true;
}

size_t hello_encode(uint8_t *out, size_t cap, const struct hello *h)
{
	size_t n = strnlen(h->name, sizeof(h->name));

	if (!node_name_valid(h->name, n))
		return 0;
	if (cap < HELLO_FIXED_LEN + n)
		return 0;
	wire_put16(out, h->version);
	wire_put16(out + 2, h->flags);
	wire_put64(out + 4, h->boot_id);
	out[12] = (uint8_t)n;
	memcpy(out + HELLO_FIXED_LEN, h->name, n);
	return HELLO_FIXED_LEN + n;
}

bool ping_decode(const uint8_t *p, size_t len, struct ping *pg)
{
	if (len != PING_LEN)
		return false;
	pg->seq = wire_get64(p);
	pg->t_us = wire_get64(p + 8);
	return true;
}

size_t ping_encode(uint8_t *out, size_t cap, const struct ping *pg)
{
	if (cap < PING_LEN)
		return 0;
	wire_put64(out, pg->seq);
	wire_put64(out + 8, pg->t_us);
	return PING_LEN;
}

static bool reason_valid(const char *s, size_t len)
{
	size_t i;

	if (len > BYE_REASON_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			return false;
	}
	return true;
}

/* Any code is accepted: an unknown one is still a clean close to log. */
bool bye_decode(const uint8_t *p, size_t len, struct bye *b)
{
	size_t n;

	if (len < BYE_FIXED_LEN)
		return false;
	n = len - BYE_FIXED_LEN;
	if (!reason_valid((const char *)p + BYE_FIXED_LEN, n))
		return false;
	b->code = p[0];
	memcpy(b->reason, p + BYE_FIXED_LEN, n);
	b->reason[n] = '\0';
	return true;
}

size_t bye_encode(uint8_t *out, size_t cap, const struct bye *b)
{
	size_t n = strnlen(b->reason, sizeof(b->reason));

	if (!reason_valid(b->reason, n))
		return 0;
	if (cap < BYE_FIXED_LEN + n)
		return 0;
	out[0] = b->code;
	memcpy(out + BYE_FIXED_LEN, b->reason, n);
	return BYE_FIXED_LEN + n;
}

/* A u8 length and up to max bytes at p[*off]; advances *off. */
static bool data_field(const uint8_t *p, size_t len, size_t *off, size_t max,
		       const uint8_t **s, size_t *n)
{
	if (len - *off < 1)
		return false;
	*n = p[*off];
	if (*n > max || len - *off - 1 < *n)
		return false;
	*s = p + *off + 1;
	*off += 1 + *n;
	return true;
}

/*
 * Any ttl is passed up (0 means "deliver here, do not forward": the
 * forwarder's decision).  Unknown flag bits are refused like unknown frame
 * types.  Addresses are checked for length only: a relay need not know
 * the instance's protocol.
 */
bool data_decode(const uint8_t *p, size_t len, struct data_frame *d)
{
	const uint8_t *dst, *src, *origin;
	size_t off = DATA_FIXED_LEN, dn, sn, on;

	if (len < DATA_FIXED_LEN || (p[5] & ~DATA_FLOOD_UNKNOWN))
		return false;
	if (!data_field(p, len, &off, sizeof(d->dst), &dst, &dn) ||
	    !data_field(p, len, &off, sizeof(d->src), &src, &sn) ||
	    !data_field(p, len, &off, NODE_NAME_MAX, &origin, &on) ||
	    !node_name_valid((const char *)origin, on) || off >= len)
		return false;
	memset(d, 0, sizeof(*d));
	d->inst = wire_get32(p);
	d->ttl = p[4];
	d->flags = p[5];
	d->bcast_id = wire_get32(p + 6);
	d->dst_len = (uint8_t)dn;
	d->src_len = (uint8_t)sn;
	memcpy(d->dst, dst, dn);
	memcpy(d->src, src, sn);
	memcpy(d->origin, origin, on);
	d->payload = p + off;
	d->len = len - off;
	return true;
}

size_t data_encode_hdr(uint8_t *out, size_t cap, const struct data_frame *d)
{
	size_t on = strnlen(d->origin, sizeof(d->origin)), n;
	uint8_t *o;

	if ((d->flags & ~DATA_FLOOD_UNKNOWN) || d->dst_len > sizeof(d->dst) ||
	    d->src_len > sizeof(d->src) || !node_name_valid(d->origin, on))
		return 0;
	n = DATA_FIXED_LEN + 3 + d->dst_len + d->src_len + on;
	/* the payload the decoder insists on must fit in the frame */
	if (d->len < 1 || d->len > FRAME_MAX_PAYLOAD - n || cap < n)
		return 0;
	wire_put32(out, d->inst);
	out[4] = d->ttl;
	out[5] = d->flags;
	wire_put32(out + 6, d->bcast_id);
	o = out + DATA_FIXED_LEN;
	*o++ = d->dst_len;
	memcpy(o, d->dst, d->dst_len);
	o += d->dst_len;
	*o++ = d->src_len;
	memcpy(o, d->src, d->src_len);
	o += d->src_len;
	*o++ = (uint8_t)on;
	memcpy(o, d->origin, on);
	return n;
}

/* The fields of a DATA header of exactly hdrlen bytes (no payload). */
static bool data_hdr_fields(const uint8_t *hdr, size_t hdrlen, const uint8_t **dst, size_t *dn,
			    const uint8_t **src, size_t *sn, const uint8_t **origin, size_t *on)
{
	size_t off = DATA_FIXED_LEN;

	return hdrlen >= DATA_FIXED_LEN &&
	       data_field(hdr, hdrlen, &off, DATA_ADDR_MAX, dst, dn) &&
	       data_field(hdr, hdrlen, &off, DATA_ADDR_MAX, src, sn) &&
	       data_field(hdr, hdrlen, &off, NODE_NAME_MAX, origin, on) && off == hdrlen;
}

size_t data_hdr_shorten(const uint8_t *hdr, size_t hdrlen, const char *self, uint8_t *out,
			size_t cap)
{
	const uint8_t *dst, *src, *origin;
	size_t dn, sn, on, n;

	if (!data_hdr_fields(hdr, hdrlen, &dst, &dn, &src, &sn, &origin, &on) ||
	    hdr[5] != 0 || wire_get32(hdr + 6) != 0 || on != strlen(self) ||
	    memcmp(origin, self, on))
		return 0;
	n = DATA_SHORT_FIXED_LEN + 2 + dn + sn;
	if (cap < n)
		return 0;
	memcpy(out, hdr, DATA_SHORT_FIXED_LEN);		/* instance, ttl */
	out[5] = (uint8_t)dn;
	memcpy(out + 6, dst, dn);
	out[6 + dn] = (uint8_t)sn;
	memcpy(out + 7 + dn, src, sn);
	return n;
}

size_t data_hdr_expand(const uint8_t *p, size_t len, const char *origin, uint8_t *out,
		       size_t cap, size_t *used)
{
	const uint8_t *dst, *src;
	size_t off = DATA_SHORT_FIXED_LEN, dn, sn, on = strlen(origin), n;

	if (len < DATA_SHORT_FIXED_LEN || !data_field(p, len, &off, DATA_ADDR_MAX, &dst, &dn) ||
	    !data_field(p, len, &off, DATA_ADDR_MAX, &src, &sn) || off >= len ||
	    !node_name_valid(origin, on))
		return 0;
	n = DATA_FIXED_LEN + 3 + dn + sn + on;
	if (cap < n)
		return 0;
	memcpy(out, p, DATA_SHORT_FIXED_LEN);
	out[5] = 0;
	wire_put32(out + 6, 0);
	out[10] = (uint8_t)dn;
	memcpy(out + 11, dst, dn);
	out[11 + dn] = (uint8_t)sn;
	memcpy(out + 12 + dn, src, sn);
	out[12 + dn + sn] = (uint8_t)on;
	memcpy(out + 13 + dn + sn, origin, on);
	*used = off;
	return n;
}
