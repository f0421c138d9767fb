/*
 * gateproto.c - encoding and decoding of the messages between cloud and
 * its gates (gateproto.h).  Owns that wire layout and nothing else: no
 * I/O, no globals, no logging.
 *
 * Invariants: gate_decode accepts a datagram only if every field of it is
 * well formed and it has no trailing bytes (announced prefixes and packet
 * addresses included, checked with addr.c's rules); every encoder refuses
 * what gate_decode would reject, so whatever encodes decodes to itself.
 */
#include "config.h"
#include "gateproto.h"
#include "wire.h"

#include <string.h>

#define GATE_HDR_LEN 2		/* type, flags */
#define ANN_HDR_LEN 3		/* op, count */

/* A byte cursor over a message body: every read checks what is left. */
struct rd {
	const uint8_t *p;
	size_t left;
};

static bool rd_u8(struct rd *r, uint8_t *v)
{
	if (r->left < 1)
		return false;
	*v = r->p[0];
	r->p++;
	r->left--;
	return true;
}

static bool rd_u16(struct rd *r, uint16_t *v)
{
	if (r->left < 2)
		return false;
	*v = wire_get16(r->p);
	r->p += 2;
	r->left -= 2;
	return true;
}

static bool rd_u32(struct rd *r, uint32_t *v)
{
	if (r->left < 4)
		return false;
	*v = wire_get32(r->p);
	r->p += 4;
	r->left -= 4;
	return true;
}

/* A u8 length and that many bytes; *s points into the message. */
static bool rd_str(struct rd *r, const uint8_t **s, size_t *n)
{
	uint8_t len;

	if (!rd_u8(r, &len) || r->left < len)
		return false;
	*s = r->p;
	*n = len;
	r->p += len;
	r->left -= len;
	return true;
}

static bool text_valid(const char *s, size_t len)
{
	size_t i;

	if (len > GATE_ERROR_TEXT_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* An address as a packet carries it: a whole (host) address that is
 * valid for its instance's protocol. */
bool gate_host_valid(uint32_t inst, const uint8_t *b, size_t len)
{
	struct prefix p;

	if (len > ADDR_MAX_LEN)
		return false;
	memset(&p, 0, sizeof(p));
	p.a.inst = inst;
	p.a.len = (uint8_t)len;
	if (len)
		memcpy(p.a.b, b, len);
	p.bits = (uint16_t)(8 * len);
	return prefix_valid(&p);
}

static bool rd_addr(struct rd *r, uint32_t inst, struct addr *a)
{
	const uint8_t *b;
	size_t n;

	if (!rd_str(r, &b, &n) || !gate_host_valid(inst, b, n))
		return false;
	memset(a, 0, sizeof(*a));
	a->inst = inst;
	a->len = (uint8_t)n;
	memcpy(a->b, b, n);
	return true;
}

static bool rd_copy_str(struct rd *r, char *out, size_t cap,
			bool (*valid)(const char *, size_t))
{
	const uint8_t *s;
	size_t n;

	if (!rd_str(r, &s, &n) || n >= cap || !valid((const char *)s, n))
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

static bool origin_valid(const char *s, size_t len)
{
	return len == 0 || node_name_valid(s, len);
}

static bool dec_ann(struct rd *r, struct gate_msg *m)
{
	struct rd list;
	struct prefix p;
	uint16_t i;

	if (!rd_u8(r, &m->ann.op) || !rd_u16(r, &m->ann.count))
		return false;
	if (m->ann.op > ANN_REMOVE || m->ann.count > GATE_ANNOUNCE_MAX)
		return false;
	m->ann.list = r->p;
	m->ann.list_len = r->left;
	list = *r;
	for (i = 0; i < m->ann.count; i++)
		if (!prefix_decode(&list.p, &list.left, &p))
			return false;
	*r = list;
	return true;
}

static bool dec_packet(struct rd *r, struct gate_msg *m)
{
	if (!rd_u32(r, &m->pkt.inst) ||
	    !rd_addr(r, m->pkt.inst, &m->pkt.dst) ||
	    !rd_addr(r, m->pkt.inst, &m->pkt.src) ||
	    !rd_copy_str(r, m->pkt.origin, sizeof(m->pkt.origin), origin_valid))
		return false;
	if (r->left < 1 || r->left > GATE_PAYLOAD_MAX)
		return false;
	m->pkt.payload = r->p;
	m->pkt.len = r->left;
	r->left = 0;
	return true;
}

static bool dec_unreach(struct rd *r, struct gate_msg *m)
{
	if (!rd_u32(r, &m->unreach.inst) ||
	    !rd_addr(r, m->unreach.inst, &m->unreach.dst))
		return false;
	if (r->left > GATE_UNREACH_HEAD)
		return false;
	m->unreach.head = r->p;
	m->unreach.len = r->left;
	r->left = 0;
	return true;
}

static bool dec_device(struct rd *r, struct gate_msg *m)
{
	return rd_u8(r, &m->dev.kind) && m->dev.kind == DEV_TUN_IP &&
	       rd_u16(r, &m->dev.net) && rd_u16(r, &m->dev.mtu) && m->dev.mtu >= 68 &&
	       rd_u16(r, &m->dev.mss4) && rd_u16(r, &m->dev.mss6);
}

static bool dec_device_ack(struct rd *r, struct gate_msg *m)
{
	uint8_t a;

	if (!rd_u8(r, &a) || a > 1)
		return false;
	m->devack.accepted = a;
	return rd_copy_str(r, m->devack.text, sizeof(m->devack.text), text_valid);
}

static bool dec_body(struct rd *r, struct gate_msg *m)
{
	switch (m->type) {
	case GM_HELLO:
		return rd_u16(r, &m->hello.version) &&
		       rd_copy_str(r, m->hello.name, sizeof(m->hello.name),
				   node_name_valid);
	case GM_ANNOUNCE:
	case GM_ROUTES:
		return dec_ann(r, m);
	case GM_PACKET:
		return dec_packet(r, m);
	case GM_UNREACHABLE:
		return dec_unreach(r, m);
	case GM_KEEPALIVE:
		return true;
	case GM_ERROR:
		return rd_u16(r, &m->err.code) &&
		       rd_copy_str(r, m->err.text, sizeof(m->err.text),
				   text_valid);
	case GM_DEVICE:
		return dec_device(r, m);
	case GM_DEVICE_ACK:
		return dec_device_ack(r, m);
	case GM_DEVICE_PACKET:
		if (r->left < 1 || r->left > GATE_PAYLOAD_MAX)
			return false;
		m->devpkt.payload = r->p;
		m->devpkt.len = r->left;
		r->left = 0;
		return true;
	default:
		return false;
	}
}

bool gate_decode(const uint8_t *buf, size_t len, struct gate_msg *m)
{
	uint8_t allowed;
	struct rd r;

	if (len < GATE_HDR_LEN)
		return false;
	memset(m, 0, sizeof(*m));
	m->type = buf[0];
	m->flags = buf[1];
	allowed = m->type == GM_PACKET ? PKT_FLOOD_UNKNOWN :
		  m->type == GM_DEVICE ? DEV_VNET_HDR : 0;
	if (m->flags & ~allowed)
		return false;
	r.p = buf + GATE_HDR_LEN;
	r.left = len - GATE_HDR_LEN;
	return dec_body(&r, m) && r.left == 0;
}

bool gate_ann_next(const struct gate_msg *m, size_t *off, struct prefix *p)
{
	const uint8_t *q;
	size_t left;

	if (*off >= m->ann.list_len)
		return false;
	q = m->ann.list + *off;
	left = m->ann.list_len - *off;
	if (!prefix_decode(&q, &left, p))
		return false;
	*off = m->ann.list_len - left;
	return true;
}

const char *gate_msg_name(uint8_t type)
{
	switch (type) {
	case GM_HELLO:
		return "hello";
	case GM_ANNOUNCE:
		return "announce";
	case GM_ROUTES:
		return "routes";
	case GM_PACKET:
		return "packet";
	case GM_UNREACHABLE:
		return "unreachable";
	case GM_KEEPALIVE:
		return "keepalive";
	case GM_ERROR:
		return "error";
	case GM_DEVICE:
		return "device";
	case GM_DEVICE_ACK:
		return "device-ack";
	case GM_DEVICE_PACKET:
		return "device-packet";
	default:
		return "unknown";
	}
}

/* Writes a u8 length and the bytes; the caller checked the room. */
static uint8_t *put_str(uint8_t *o, const void *s, size_t n)
{
	*o++ = (uint8_t)n;
	if (n)
		memcpy(o, s, n);
	return o + n;
}

size_t gate_enc_hello(uint8_t *out, size_t cap, const char *name)
{
	size_t n = strnlen(name, GATE_NAME_MAX + 1);

	if (!node_name_valid(name, n) || cap < GATE_HDR_LEN + 3 + n)
		return 0;
	out[0] = GM_HELLO;
	out[1] = 0;
	wire_put16(out + 2, GATE_PROTO_VERSION);
	put_str(out + 4, name, n);
	return GATE_HDR_LEN + 3 + n;
}

size_t gate_enc_announce(uint8_t *out, size_t cap, uint8_t type, uint8_t op,
			 const struct prefix *ps, size_t n)
{
	size_t off = GATE_HDR_LEN + ANN_HDR_LEN, i, w;

	if ((type != GM_ANNOUNCE && type != GM_ROUTES) || op > ANN_REMOVE ||
	    n > GATE_ANNOUNCE_MAX || cap < off)
		return 0;
	for (i = 0; i < n; i++) {
		w = prefix_encode(out + off, cap - off, &ps[i]);
		if (w == 0)
			return 0;
		off += w;
	}
	out[0] = type;
	out[1] = 0;
	out[2] = op;
	wire_put16(out + 3, (uint16_t)n);
	return off;
}

/* The packet's addresses take their instance from the message: only
 * their bytes are used. */
size_t gate_enc_packet(uint8_t *out, size_t cap, uint8_t flags, uint32_t inst,
		       const struct addr *dst, const struct addr *src,
		       const char *origin, const void *payload, size_t len)
{
	size_t on = origin ? strnlen(origin, GATE_NAME_MAX + 1) : 0, need;
	uint8_t *o;

	if ((flags & ~PKT_FLOOD_UNKNOWN) || !origin_valid(origin, on) ||
	    !gate_host_valid(inst, dst->b, dst->len) ||
	    !gate_host_valid(inst, src->b, src->len) ||
	    len < 1 || len > GATE_PAYLOAD_MAX)
		return 0;
	need = GATE_HDR_LEN + 4 + 3 + dst->len + src->len + on + len;
	if (cap < need)
		return 0;
	out[0] = GM_PACKET;
	out[1] = flags;
	wire_put32(out + 2, inst);
	o = put_str(out + 6, dst->b, dst->len);
	o = put_str(o, src->b, src->len);
	o = put_str(o, origin, on);
	memcpy(o, payload, len);
	return need;
}

size_t gate_enc_unreachable(uint8_t *out, size_t cap, uint32_t inst,
			    const struct addr *dst, const void *head, size_t len)
{
	size_t need;
	uint8_t *o;

	if (!gate_host_valid(inst, dst->b, dst->len) || len > GATE_UNREACH_HEAD)
		return 0;
	need = GATE_HDR_LEN + 4 + 1 + dst->len + len;
	if (cap < need)
		return 0;
	out[0] = GM_UNREACHABLE;
	out[1] = 0;
	wire_put32(out + 2, inst);
	o = put_str(out + 6, dst->b, dst->len);
	if (len)
		memcpy(o, head, len);
	return need;
}

size_t gate_enc_keepalive(uint8_t *out, size_t cap)
{
	if (cap < GATE_HDR_LEN)
		return 0;
	out[0] = GM_KEEPALIVE;
	out[1] = 0;
	return GATE_HDR_LEN;
}

size_t gate_enc_error(uint8_t *out, size_t cap, uint16_t code, const char *text)
{
	size_t n = text ? strnlen(text, GATE_ERROR_TEXT_MAX + 1) : 0;

	if (!text_valid(text, n) || cap < GATE_HDR_LEN + 3 + n)
		return 0;
	out[0] = GM_ERROR;
	out[1] = 0;
	wire_put16(out + 2, code);
	put_str(out + 4, text, n);
	return GATE_HDR_LEN + 3 + n;
}

size_t gate_enc_device(uint8_t *out, size_t cap, uint8_t flags, uint8_t kind, uint16_t net,
		       uint16_t mtu, uint16_t mss4, uint16_t mss6)
{
	if ((flags & ~DEV_VNET_HDR) || kind != DEV_TUN_IP || mtu < 68 || cap < GATE_HDR_LEN + 9)
		return 0;
	out[0] = GM_DEVICE;
	out[1] = flags;
	out[2] = kind;
	wire_put16(out + 3, net);
	wire_put16(out + 5, mtu);
	wire_put16(out + 7, mss4);
	wire_put16(out + 9, mss6);
	return GATE_HDR_LEN + 9;
}

size_t gate_enc_device_ack(uint8_t *out, size_t cap, bool accepted, const char *text)
{
	size_t n = text ? strnlen(text, GATE_ERROR_TEXT_MAX + 1) : 0;

	if (!text_valid(text, n) || cap < GATE_HDR_LEN + 2 + n)
		return 0;
	out[0] = GM_DEVICE_ACK;
	out[1] = 0;
	out[2] = accepted ? 1 : 0;
	put_str(out + 3, text, n);
	return GATE_HDR_LEN + 2 + n;
}

size_t gate_enc_device_packet(uint8_t *out, size_t cap, const void *payload, size_t len)
{
	if (len < 1 || len > GATE_PAYLOAD_MAX || cap < GATE_HDR_LEN + len)
		return 0;
	out[0] = GM_DEVICE_PACKET;
	out[1] = 0;
	memcpy(out + GATE_HDR_LEN, payload, len);
	return GATE_HDR_LEN + len;
}
