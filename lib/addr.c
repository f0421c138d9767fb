/*
 * addr.c - mesh addresses and prefixes (DESIGN section 3): their text form
 * (PROTO[.NET]:VALUE[/BITS]), validity, coverage and wire form.  Owns the
 * protocol names and the per-protocol value syntax and lengths; pure, no
 * globals.
 *
 * Invariants: every prefix that prefix_valid accepts formats to text that
 * prefix_parse reads back to an equal prefix, and prefix_parse and
 * prefix_decode hand out only prefix_valid prefixes (bytes past len zero,
 * bits past `bits' zero).  The value syntax is chosen by the protocol id,
 * not by how it was spelt: "p4:10.0.0.1" is the same as "ipv4:10.0.0.1".
 */
#include "config.h"
#include "addr.h"
#include "wire.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define PREFIX_WIRE_HDR 7	/* u32 inst, u16 bits, u8 len */
#define ETHER_LEN 6
#define ETHER_TEXT_LEN 17	/* "02:00:5e:00:00:01" */
#define VALUE_TEXT_MAX 64	/* longest value: 32 bytes in hex */

static const struct {
	uint16_t proto;
	const char *name;
} proto_names[] = {
	{ AP_ETHER, "ether" },
	{ AP_IPV4, "ipv4" },
	{ AP_IPV6, "ipv6" },
	{ AP_CHAT, "chat" },
};

#define N_PROTO_NAMES (sizeof(proto_names) / sizeof(proto_names[0]))

static const char hex_digits[] = "0123456789abcdef";

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A chat nickname byte: what survives the text form unquoted. */
static bool chat_char(uint8_t c)
{
	return c >= 0x21 && c <= 0x7e && c != ':' && c != '/' && c != '*';
}

static bool chat_valid(const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!chat_char(b[i]))
			return false;
	return true;
}

/* Decimal 0..max, no sign, no leading zeros (one spelling per number). */
static bool parse_dec(const char *s, size_t len, unsigned long max,
		      unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 5 || (len > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_proto(const char *s, size_t len, uint16_t *proto)
{
	unsigned long v;
	size_t i;

	for (i = 0; i < N_PROTO_NAMES; i++) {
		if (strlen(proto_names[i].name) == len &&
		    !memcmp(proto_names[i].name, s, len)) {
			*proto = proto_names[i].proto;
			return true;
		}
	}
	if (len < 2 || s[0] != 'p' || !parse_dec(s + 1, len - 1, 0xffff, &v))
		return false;
	*proto = (uint16_t)v;
	return true;
}

bool inst_parse(const char *s, size_t len, uint32_t *inst)
{
	const char *dot = memchr(s, '.', len);
	unsigned long net = 0;
	uint16_t proto;
	size_t plen = dot ? (size_t)(dot - s) : len;

	if (!parse_proto(s, plen, &proto))
		return false;
	if (dot && !parse_dec(dot + 1, len - plen - 1, 0xffff, &net))
		return false;
	*inst = INST(proto, net);
	return true;
}

/* Text output that never overruns: appends as much as fits, always
 * NUL-terminated when there is room for anything at all. */
struct text {
	char *buf;
	size_t cap, len;
};

static void text_put(struct text *t, const char *s, size_t n)
{
	size_t room;

	if (t->cap == 0)
		return;
	room = t->cap - 1 - t->len;
	if (n > room)
		n = room;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void text_puts(struct text *t, const char *s)
{
	text_put(t, s, strlen(s));
}

/* sep ("p", ".", "/") then v in decimal */
static void text_putu(struct text *t, char sep, unsigned v)
{
	char num[16];
	int n = snprintf(num, sizeof(num), "%c%u", sep, v);

	if (n > 0)
		text_put(t, num, (size_t)n);
}

static void text_inst(struct text *t, uint32_t inst)
{
	uint16_t proto = inst_proto(inst);
	size_t i;

	for (i = 0; i < N_PROTO_NAMES; i++)
		if (proto_names[i].proto == proto)
			break;
	if (i < N_PROTO_NAMES)
		text_puts(t, proto_names[i].name);
	else
		text_putu(t, 'p', proto);
	if (inst_net(inst))
		text_putu(t, '.', inst_net(inst));
}

static void text_init(struct text *t, char *buf, size_t len)
{
	t->buf = buf;
	t->cap = len;
	t->len = 0;
	if (len)
		buf[0] = '\0';
}

void inst_format(uint32_t inst, char *buf, size_t len)
{
	struct text t;

	text_init(&t, buf, len);
	text_inst(&t, inst);
}

static void text_hex(struct text *t, const uint8_t *b, size_t n, bool colons)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char h[3] = { hex_digits[b[i] >> 4], hex_digits[b[i] & 15],
			      ':' };

		text_put(t, h, colons && i + 1 < n ? 3 : 2);
	}
}

/*
 * The value in its protocol's syntax.  A value that has no such form (only
 * possible for an invalid address) comes out as hex, which prefix_parse
 * then refuses: logs stay readable, nothing invalid round-trips.
 */
static void text_value(struct text *t, uint32_t inst, const uint8_t *b,
		       size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	uint16_t proto = inst_proto(inst);

	if (len == 0) {
		text_puts(t, "*");
	} else if (proto == AP_IPV4 && len == 4 &&
		   inet_ntop(AF_INET, b, ip, sizeof(ip))) {
		text_puts(t, ip);
	} else if (proto == AP_IPV6 && len == 16 &&
		   inet_ntop(AF_INET6, b, ip, sizeof(ip))) {
		text_puts(t, ip);
	} else if (proto == AP_ETHER && len == ETHER_LEN) {
		text_hex(t, b, len, true);
	} else if (proto == AP_CHAT && chat_valid(b, len)) {
		text_put(t, (const char *)b, len);
	} else {
		text_hex(t, b, len, false);
	}
}

void prefix_format(const struct prefix *p, char *buf, size_t len)
{
	size_t alen = p->a.len > ADDR_MAX_LEN ? ADDR_MAX_LEN : p->a.len;
	struct text t;

	text_init(&t, buf, len);
	text_inst(&t, p->a.inst);
	text_puts(&t, ":");
	text_value(&t, p->a.inst, p->a.b, alen);
	if (p->bits != 8 * p->a.len)
		text_putu(&t, '/', p->bits);
}

void addr_format(const struct addr *a, char *buf, size_t len)
{
	struct prefix p;

	prefix_host(&p, a);
	prefix_format(&p, buf, len);
}

static bool parse_hex(const char *s, size_t len, struct addr *a)
{
	size_t i;

	if (len == 0 || len % 2 || len / 2 > ADDR_MAX_LEN)
		return false;
	for (i = 0; i < len; i += 2) {
		int hi = hex_val(s[i]), lo = hex_val(s[i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		a->b[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	a->len = (uint8_t)(len / 2);
	return true;
}

static bool parse_ether(const char *s, size_t len, struct addr *a)
{
	size_t i;

	if (len != ETHER_TEXT_LEN)
		return false;
	for (i = 0; i < ETHER_LEN; i++) {
		int hi = hex_val(s[3 * i]), lo = hex_val(s[3 * i + 1]);

		if (hi < 0 || lo < 0 ||
		    (i + 1 < ETHER_LEN && s[3 * i + 2] != ':'))
			return false;
		a->b[i] = (uint8_t)(hi << 4 | lo);
	}
	a->len = ETHER_LEN;
	return true;
}

static bool parse_ip(int af, const char *s, size_t len, struct addr *a)
{
	char tmp[INET6_ADDRSTRLEN];

	if (len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(af, tmp, a->b) != 1)
		return false;
	a->len = af == AF_INET ? 4 : 16;
	return true;
}

static bool parse_value(const char *s, size_t len, struct addr *a)
{
	if (len == 1 && s[0] == '*') {
		a->len = 0;
		return true;
	}
	switch (inst_proto(a->inst)) {
	case AP_ETHER:
		return parse_ether(s, len, a);
	case AP_IPV4:
		return parse_ip(AF_INET, s, len, a);
	case AP_IPV6:
		return parse_ip(AF_INET6, s, len, a);
	case AP_CHAT:
		if (len == 0 || len > ADDR_MAX_LEN ||
		    !chat_valid((const uint8_t *)s, len))
			return false;
		memcpy(a->b, s, len);
		a->len = (uint8_t)len;
		return true;
	default:
		return parse_hex(s, len, a);
	}
}

bool prefix_parse(const char *s, struct prefix *p)
{
	const char *colon = strchr(s, ':'), *value, *slash;
	unsigned long bits;
	struct prefix q;
	size_t vlen;

	if (!colon)
		return false;
	memset(&q, 0, sizeof(q));
	if (!inst_parse(s, (size_t)(colon - s), &q.a.inst))
		return false;
	value = colon + 1;
	slash = strchr(value, '/');
	vlen = slash ? (size_t)(slash - value) : strlen(value);
	if (!parse_value(value, vlen, &q.a))
		return false;
	bits = 8u * q.a.len;
	if (slash && !parse_dec(slash + 1, strlen(slash + 1), bits, &bits))
		return false;
	q.bits = (uint16_t)bits;
	if (!prefix_valid(&q))
		return false;
	*p = q;
	return true;
}

/* Bytes past len zero and bits past `bits' zero. */
static bool tail_zero(const struct prefix *p)
{
	size_t full = p->bits / 8, i;
	unsigned rem = p->bits % 8;

	if (rem && (p->a.b[full] & (0xffu >> rem)))
		return false;
	for (i = full + (rem ? 1 : 0); i < ADDR_MAX_LEN; i++)
		if (p->a.b[i])
			return false;
	return true;
}

bool prefix_valid(const struct prefix *p)
{
	size_t len = p->a.len;

	if (len > ADDR_MAX_LEN || p->bits > 8 * len || !tail_zero(p))
		return false;
	switch (inst_proto(p->a.inst)) {
	case AP_ETHER:
		return len == 0 || len == ETHER_LEN;
	case AP_IPV4:
		return len == 0 || len == 4;
	case AP_IPV6:
		return len == 0 || len == 16;
	case AP_CHAT:
		return chat_valid(p->a.b, len);
	default:
		return true;
	}
}

bool prefix_covers(const struct prefix *p, const struct addr *a)
{
	size_t full = p->bits / 8;
	unsigned rem = p->bits % 8;
	uint8_t mask;

	if (p->a.inst != a->inst || p->a.len != a->len ||
	    a->len > ADDR_MAX_LEN || p->bits > 8 * a->len)
		return false;
	if (memcmp(p->a.b, a->b, full))
		return false;
	if (!rem)
		return true;
	mask = (uint8_t)(0xff00u >> rem);
	return ((p->a.b[full] ^ a->b[full]) & mask) == 0;
}

bool addr_equal(const struct addr *x, const struct addr *y)
{
	return x->inst == y->inst && x->len == y->len && x->len <= ADDR_MAX_LEN &&
	       !memcmp(x->b, y->b, x->len);
}

bool prefix_equal(const struct prefix *x, const struct prefix *y)
{
	return x->bits == y->bits && addr_equal(&x->a, &y->a);
}

void prefix_host(struct prefix *p, const struct addr *a)
{
	p->a = *a;
	p->bits = (uint16_t)(8 * a->len);
}

size_t prefix_encode(uint8_t *out, size_t cap, const struct prefix *p)
{
	size_t n = PREFIX_WIRE_HDR + p->a.len;

	/* What prefix_decode would refuse is not written either. */
	if (!prefix_valid(p) || cap < n)
		return 0;
	wire_put32(out, p->a.inst);
	wire_put16(out + 4, p->bits);
	out[6] = p->a.len;
	memcpy(out + PREFIX_WIRE_HDR, p->a.b, p->a.len);
	return n;
}

bool prefix_decode(const uint8_t **p, size_t *left, struct prefix *out)
{
	const uint8_t *b = *p;
	struct prefix q;
	size_t len;

	if (*left < PREFIX_WIRE_HDR)
		return false;
	len = b[6];
	if (len > ADDR_MAX_LEN || *left - PREFIX_WIRE_HDR < len)
		return false;
	memset(&q, 0, sizeof(q));
	q.a.inst = wire_get32(b);
	q.bits = wire_get16(b + 4);
	q.a.len = (uint8_t)len;
	memcpy(q.a.b, b + PREFIX_WIRE_HDR, len);
	if (!prefix_valid(&q))
		return false;
	*out = q;
	*p = b + PREFIX_WIRE_HDR + len;
	*left -= PREFIX_WIRE_HDR + len;
	return true;
}
