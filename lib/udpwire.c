/*
 * udpwire.c - the datagram header, probe plaintext, fragment header and
 * UDP offer of udpwire.h.  Owns those byte layouts and nothing else: no
 * sockets, no keys, no globals, no logging.
 *
 * Invariants: every decoder checks a length before each read and accepts
 * an input only when it is exactly the size its fields say (the offer has
 * no trailing bytes; a probe's padding is all zero); every encoder refuses
 * what its decoder would reject, so a value that encodes also decodes to
 * itself.
 */
#include "config.h"
#include "udpwire.h"
#include "wire.h"

#include <string.h>

#define OFFER_VERSION 1
#define OFFER_FIXED_LEN 7	/* version, cipher, index, n */

void udpw_hdr_put(uint8_t *p, const struct udpw_hdr *h)
{
	p[0] = h->type;
	p[1] = h->flags;
	wire_put16(p + 2, h->path);
	wire_put32(p + 4, h->index);
	wire_put64(p + 8, h->counter);
}

bool udpw_hdr_get(const uint8_t *p, size_t len, struct udpw_hdr *h)
{
	uint8_t type, flags;
	uint64_t counter;

	if (len < UDPW_OVERHEAD)
		return false;
	type = p[0];
	flags = p[1];
	if (type != UDPW_DATA && type != UDPW_PROBE)
		return false;
	if (flags & ~UDPW_F_KNOWN)
		return false;
	if (type == UDPW_DATA && len == UDPW_OVERHEAD)
		return false;
	if (type != UDPW_DATA && (flags & (UDPW_F_FRAG | UDPW_F_ORDER | UDPW_F_SHORT)))
		return false;
	counter = wire_get64(p + 8);
	if (counter == 0)
		return false;
	h->type = type;
	h->flags = flags;
	h->path = wire_get16(p + 2);
	h->index = wire_get32(p + 4);
	h->counter = counter;
	return true;
}

void udpw_set_path(uint8_t *p, uint16_t path)
{
	wire_put16(p + 2, path);
}

static bool probe_kind_valid(uint8_t kind)
{
	return kind == UDPW_PROBE_REQ || kind == UDPW_PROBE_REPLY;
}

size_t udpw_probe_encode(uint8_t *out, size_t cap, const struct udpw_probe *pr, size_t pad)
{
	size_t n = pad > UDPW_PROBE_LEN ? pad : UDPW_PROBE_LEN;

	if (!probe_kind_valid(pr->kind))
		return 0;
	/* a reply carries nothing after its fields: the decoder refuses it */
	if (pr->kind == UDPW_PROBE_REPLY && n > UDPW_PROBE_LEN)
		return 0;
	if (cap < n)
		return 0;
	out[0] = pr->kind;
	out[1] = 0;
	wire_put16(out + 2, pr->path);
	wire_put32(out + 4, pr->size);
	wire_put64(out + 8, pr->time);
	wire_put64(out + 16, pr->token);
	memset(out + UDPW_PROBE_LEN, 0, n - UDPW_PROBE_LEN);
	return n;
}

/*
 * The size field is passed up unchecked: only the caller knows the length
 * of the datagram the plaintext came in.
 */
bool udpw_probe_decode(const uint8_t *p, size_t len, struct udpw_probe *pr)
{
	size_t i;

	if (len < UDPW_PROBE_LEN)
		return false;
	if (!probe_kind_valid(p[0]) || p[1] != 0)
		return false;
	if (p[0] == UDPW_PROBE_REPLY && len > UDPW_PROBE_LEN)
		return false;
	for (i = UDPW_PROBE_LEN; i < len; i++)
		if (p[i] != 0)
			return false;
	pr->kind = p[0];
	pr->path = wire_get16(p + 2);
	pr->size = wire_get32(p + 4);
	pr->time = wire_get64(p + 8);
	pr->token = wire_get64(p + 16);
	return true;
}

void udpw_frag_put(uint8_t *p, const struct udpw_frag *f)
{
	p[0] = f->index;
	p[1] = f->count;
	wire_put16(p + 2, f->offset);
}

bool udpw_frag_get(const uint8_t *p, size_t len, struct udpw_frag *f)
{
	uint8_t index, count;
	uint16_t offset;

	if (len <= UDPW_FRAG_HDR_LEN)
		return false;
	index = p[0];
	count = p[1];
	offset = wire_get16(p + 2);
	if (count < 2 || count > UDPW_FRAG_MAX || index >= count)
		return false;
	/* the fragment's bytes must end within a 64 KiB packet */
	if (len - UDPW_FRAG_HDR_LEN > (size_t)(65535 - offset))
		return false;
	f->index = index;
	f->count = count;
	f->offset = offset;
	return true;
}

static bool cipher_valid(uint8_t cipher)
{
	return cipher == UDPW_AES256GCM || cipher == UDPW_CHACHA20POLY1305;
}

/* Bytes of an endpoint on the wire for family, or 0 for an unknown one. */
static size_t endpoint_len(uint8_t family)
{
	switch (family) {
	case 4:
		return 1 + 4 + 2;
	case 6:
		return 1 + 16 + 2;
	default:
		return 0;
	}
}

size_t udpw_offer_encode(uint8_t *out, size_t cap, const struct udpw_offer *o)
{
	size_t n = OFFER_FIXED_LEN, i, alen;

	if (o->n > UDPW_OFFER_MAX_EP || !cipher_valid(o->cipher) || o->index == 0)
		return 0;
	for (i = 0; i < o->n; i++) {
		if (!endpoint_len(o->ep[i].family) || o->ep[i].port == 0)
			return 0;
		n += endpoint_len(o->ep[i].family);
	}
	if (cap < n)
		return 0;
	out[0] = OFFER_VERSION;
	out[1] = o->cipher;
	wire_put32(out + 2, o->index);
	out[6] = o->n;
	n = OFFER_FIXED_LEN;
	for (i = 0; i < o->n; i++) {
		alen = endpoint_len(o->ep[i].family) - 3;
		out[n] = o->ep[i].family;
		memcpy(out + n + 1, o->ep[i].addr, alen);
		wire_put16(out + n + 1 + alen, o->ep[i].port);
		n += 1 + alen + 2;
	}
	return n;
}

/* Decoded into a copy so that *o is untouched when the offer is refused;
 * unused address bytes of an IPv4 endpoint, and unused endpoints, are 0. */
bool udpw_offer_decode(const uint8_t *p, size_t len, struct udpw_offer *o)
{
	struct udpw_offer d;
	size_t off = OFFER_FIXED_LEN, i, elen, alen;

	if (len < OFFER_FIXED_LEN)
		return false;
	memset(&d, 0, sizeof(d));
	d.cipher = p[1];
	d.index = wire_get32(p + 2);
	d.n = p[6];
	if (p[0] != OFFER_VERSION || !cipher_valid(d.cipher) || d.index == 0 ||
	    d.n > UDPW_OFFER_MAX_EP)
		return false;
	for (i = 0; i < d.n; i++) {
		struct udpw_endpoint *e = &d.ep[i];

		if (len - off < 1)
			return false;
		e->family = p[off];
		elen = endpoint_len(e->family);
		if (!elen || len - off < elen)
			return false;
		alen = elen - 3;
		memcpy(e->addr, p + off + 1, alen);
		e->port = wire_get16(p + off + 1 + alen);
		if (e->port == 0)
			return false;
		off += elen;
	}
	if (off != len)
		return false;
	*o = d;
	return true;
}
