/*
 * fuzz_gateproto.c - libFuzzer target for lib/gateproto.c (and the prefix
 * and address code of lib/addr.c it relies on): the input is one datagram
 * from a gate.  A message that decodes must satisfy every limit in
 * gateproto.h, re-encode with its encoder to the same bytes (HELLO: but
 * for the version, which the encoder always sets), and decode again to
 * the same message; every announced prefix and packet address must also
 * survive its text form.  Anything else abort()s.
 */
#include "config.h"
#include "gateproto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_text_roundtrip(const struct prefix *p)
{
	char text[ADDR_TEXT_MAX];
	struct prefix q;

	check(prefix_valid(p));
	prefix_format(p, text, sizeof(text));
	check(strlen(text) < sizeof(text) - 1);
	check(prefix_parse(text, &q) && prefix_equal(&q, p));
	check(prefix_covers(p, &p->a));
}

static void check_addr(const struct addr *a, uint32_t inst)
{
	struct prefix p;
	size_t i;

	check(a->inst == inst && a->len <= ADDR_MAX_LEN);
	for (i = a->len; i < ADDR_MAX_LEN; i++)
		check(a->b[i] == 0);
	prefix_host(&p, a);
	check_text_roundtrip(&p);
}

static bool addr_same(const struct addr *x, const struct addr *y)
{
	return x->inst == y->inst && x->len == y->len &&
	       !memcmp(x->b, y->b, sizeof(x->b));
}

static bool name_ok(const char *s, size_t max, bool may_be_empty)
{
	size_t i, n = strnlen(s, max + 1);

	if (n > max || (n == 0 && !may_be_empty))
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* The same message, whatever buffers the two point into. */
static bool msg_same(const struct gate_msg *x, const struct gate_msg *y)
{
	if (x->type != y->type || x->flags != y->flags)
		return false;
	switch (x->type) {
	case GM_HELLO:
		return x->hello.version == y->hello.version &&
		       !strcmp(x->hello.name, y->hello.name);
	case GM_ANNOUNCE:
	case GM_ROUTES:
		return x->ann.op == y->ann.op && x->ann.count == y->ann.count &&
		       x->ann.list_len == y->ann.list_len &&
		       !memcmp(x->ann.list, y->ann.list, x->ann.list_len);
	case GM_PACKET:
		return x->pkt.inst == y->pkt.inst &&
		       addr_same(&x->pkt.dst, &y->pkt.dst) &&
		       addr_same(&x->pkt.src, &y->pkt.src) &&
		       !strcmp(x->pkt.origin, y->pkt.origin) &&
		       x->pkt.len == y->pkt.len &&
		       !memcmp(x->pkt.payload, y->pkt.payload, x->pkt.len);
	case GM_UNREACHABLE:
		return x->unreach.inst == y->unreach.inst &&
		       addr_same(&x->unreach.dst, &y->unreach.dst) &&
		       x->unreach.len == y->unreach.len &&
		       (x->unreach.len == 0 ||
			!memcmp(x->unreach.head, y->unreach.head, x->unreach.len));
	case GM_KEEPALIVE:
		return true;
	case GM_ERROR:
		return x->err.code == y->err.code &&
		       !strcmp(x->err.text, y->err.text);
	case GM_DEVICE:
		return x->dev.kind == y->dev.kind && x->dev.net == y->dev.net &&
		       x->dev.mtu == y->dev.mtu && x->dev.mss4 == y->dev.mss4 &&
		       x->dev.mss6 == y->dev.mss6;
	case GM_DEVICE_ACK:
		return x->devack.accepted == y->devack.accepted &&
		       !strcmp(x->devack.text, y->devack.text);
	case GM_DEVICE_PACKET:
		return x->devpkt.len == y->devpkt.len &&
		       !memcmp(x->devpkt.payload, y->devpkt.payload, x->devpkt.len);
	default:
		return false;
	}
}

/* Walk every announced prefix; they are what the re-encoding is made of. */
static size_t walk_announce(const struct gate_msg *m, struct prefix *ps)
{
	size_t off = 0, n = 0;
	struct prefix p;

	check(m->ann.op <= ANN_REMOVE && m->ann.count <= GATE_ANNOUNCE_MAX);
	while (gate_ann_next(m, &off, &p)) {
		check(n < m->ann.count && off <= m->ann.list_len);
		check_text_roundtrip(&p);
		ps[n++] = p;
	}
	check(n == m->ann.count && off == m->ann.list_len);
	check(!gate_ann_next(m, &off, &p));
	return n;
}

static size_t reencode(const struct gate_msg *m, uint8_t *out, size_t cap)
{
	static struct prefix ps[GATE_ANNOUNCE_MAX];
	size_t n;

	switch (m->type) {
	case GM_HELLO:
		check(name_ok(m->hello.name, GATE_NAME_MAX, false));
		return gate_enc_hello(out, cap, m->hello.name);
	case GM_ANNOUNCE:
	case GM_ROUTES:
		n = walk_announce(m, ps);
		return gate_enc_announce(out, cap, m->type, m->ann.op, ps, n);
	case GM_PACKET:
		check(!(m->flags & ~PKT_FLOOD_UNKNOWN));
		check_addr(&m->pkt.dst, m->pkt.inst);
		check_addr(&m->pkt.src, m->pkt.inst);
		check(name_ok(m->pkt.origin, GATE_NAME_MAX, true));
		check(m->pkt.len >= 1 && m->pkt.len <= GATE_PAYLOAD_MAX);
		return gate_enc_packet(out, cap, m->flags, m->pkt.inst,
				       &m->pkt.dst, &m->pkt.src, m->pkt.origin,
				       m->pkt.payload, m->pkt.len);
	case GM_UNREACHABLE:
		check_addr(&m->unreach.dst, m->unreach.inst);
		check(m->unreach.len <= GATE_UNREACH_HEAD);
		return gate_enc_unreachable(out, cap, m->unreach.inst,
					    &m->unreach.dst, m->unreach.head,
					    m->unreach.len);
	case GM_KEEPALIVE:
		return gate_enc_keepalive(out, cap);
	case GM_ERROR:
		check(strlen(m->err.text) <= GATE_ERROR_TEXT_MAX);
		return gate_enc_error(out, cap, m->err.code, m->err.text);
	case GM_DEVICE:
		check(m->dev.kind == DEV_TUN_IP && m->dev.mtu >= 68);
		check(!(m->flags & ~DEV_VNET_HDR));
		return gate_enc_device(out, cap, m->flags, m->dev.kind, m->dev.net, m->dev.mtu,
				       m->dev.mss4, m->dev.mss6);
	case GM_DEVICE_ACK:
		check(strlen(m->devack.text) <= GATE_ERROR_TEXT_MAX);
		return gate_enc_device_ack(out, cap, m->devack.accepted, m->devack.text);
	case GM_DEVICE_PACKET:
		check(m->devpkt.len >= 1 && m->devpkt.len <= GATE_PAYLOAD_MAX);
		return gate_enc_device_packet(out, cap, m->devpkt.payload, m->devpkt.len);
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[GATE_MSG_MAX];
	struct gate_msg m, m2;
	size_t n;

	if (!gate_decode(data, size, &m))
		return 0;
	check(size <= GATE_MSG_MAX);
	check(m.type == data[0] && m.flags == data[1]);
	check(strcmp(gate_msg_name(m.type), "unknown") != 0);
	check(m.type == GM_PACKET ? !(m.flags & ~PKT_FLOOD_UNKNOWN) :
	      m.type == GM_DEVICE ? !(m.flags & ~DEV_VNET_HDR) : !m.flags);
	n = reencode(&m, out, sizeof(out));
	check(n == size);
	if (m.type == GM_HELLO && m.hello.version != GATE_PROTO_VERSION) {
		check(!memcmp(out, data, 2) && !memcmp(out + 4, data + 4, n - 4));
		m.hello.version = GATE_PROTO_VERSION;
	} else {
		check(!memcmp(out, data, n));
	}
	check(gate_decode(out, n, &m2) && msg_same(&m, &m2));
	/* one byte less room: refused, never a partial message */
	check(reencode(&m, out, n - 1) == 0);
	return 0;
}
