/*
 * routewire.c - encoders and decoders of the routing messages (see
 * routewire.h).
 */
#include "config.h"
#include "routewire.h"

#include <string.h>

#include "fnv.h"
#include "wire.h"

/* u8 length + node name at *p; copies it NUL-terminated into out. */
static bool get_name(const uint8_t **p, size_t *left, char out[NAME_MAX_LEN + 1])
{
	size_t n;

	if (*left < 1)
		return false;
	n = (*p)[0];
	if (n < 1 || n > NAME_MAX_LEN || *left - 1 < n ||
	    !node_name_valid((const char *)*p + 1, n))
		return false;
	memcpy(out, *p + 1, n);
	out[n] = '\0';
	*p += 1 + n;
	*left -= 1 + n;
	return true;
}

/* One group header: origin, seqno, count. */
static bool get_group(struct rw_reader *r)
{
	if (!get_name(&r->p, &r->left, r->origin) || r->left < 4)
		return false;
	r->seqno = wire_get16(r->p);
	r->count = wire_get16(r->p + 2);
	r->p += 4;
	r->left -= 4;
	return r->count > 0;
}

static bool get_entry(struct rw_reader *r, struct rw_entry *e)
{
	if (r->left < 4)
		return false;
	e->metric = wire_get32(r->p);
	r->p += 4;
	r->left -= 4;
	return prefix_decode(&r->p, &r->left, &e->p);
}

bool rw_route_decode(const uint8_t *p, size_t len, struct rw_reader *r)
{
	struct rw_reader chk;
	struct rw_entry e;

	if (len < 1 || (p[0] & ~(RW_FULL_BEGIN | RW_FULL_END)))
		return false;
	memset(r, 0, sizeof(*r));
	r->flags = p[0];
	r->p = p + 1;
	r->left = len - 1;
	/* walk it all once, so that rw_route_next cannot fail */
	chk = *r;
	while (chk.left > 0) {
		if (!get_group(&chk))
			return false;
		while (chk.count > 0) {
			if (!get_entry(&chk, &e))
				return false;
			chk.count--;
		}
	}
	return true;
}

bool rw_route_next(struct rw_reader *r, struct rw_entry *e)
{
	if (r->count == 0) {
		if (r->left == 0 || !get_group(r))
			return false;
	}
	if (!get_entry(r, e))
		return false;
	r->count--;
	memcpy(e->origin, r->origin, sizeof(e->origin));
	e->seqno = r->seqno;
	return true;
}

void rw_route_begin(struct rw_writer *w, uint8_t *buf, size_t cap, uint8_t flags)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	if (cap >= 1) {
		buf[0] = flags;
		w->off = 1;
	}
}

void rw_route_set_flags(struct rw_writer *w, uint8_t flags)
{
	if (w->off >= 1)
		w->buf[0] = flags;
}

bool rw_route_add(struct rw_writer *w, const struct rw_entry *e)
{
	size_t on = strnlen(e->origin, sizeof(e->origin)), need, n;
	bool same = w->count_off && w->count < 0xffff && e->seqno == w->seqno &&
		    !strcmp(e->origin, w->origin);

	if (w->off < 1 || !node_name_valid(e->origin, on) || !prefix_valid(&e->p))
		return false;
	need = RW_ENTRY_MAX + (same ? 0 : 1 + on + 4);
	if (w->cap - w->off < need)
		return false;
	if (!same) {
		w->buf[w->off] = (uint8_t)on;
		memcpy(w->buf + w->off + 1, e->origin, on);
		w->off += 1 + on;
		wire_put16(w->buf + w->off, e->seqno);
		w->count_off = w->off + 2;
		w->off += 4;
		w->count = 0;
		w->seqno = e->seqno;
		memcpy(w->origin, e->origin, on + 1);
	}
	wire_put32(w->buf + w->off, e->metric);
	n = prefix_encode(w->buf + w->off + 4, w->cap - w->off - 4, &e->p);
	if (!n)
		return false;	/* cannot happen: need covered it */
	w->off += 4 + n;
	wire_put16(w->buf + w->count_off, ++w->count);
	return true;
}

bool rw_route_empty(const struct rw_writer *w)
{
	return w->off <= 1;
}

size_t rw_route_len(const struct rw_writer *w)
{
	return w->off;
}

bool rw_seqreq_decode(const uint8_t *p, size_t len, struct rw_seqreq *s)
{
	const uint8_t *q = p + 3;
	size_t left;

	if (len < 4)
		return false;
	left = len - 3;
	if (!get_name(&q, &left, s->origin) || left != 0 || p[2] == 0)
		return false;
	s->seqno = wire_get16(p);
	s->hops = p[2];
	return true;
}

size_t rw_seqreq_encode(uint8_t *out, size_t cap, const struct rw_seqreq *s)
{
	size_t on = strnlen(s->origin, sizeof(s->origin));

	if (!node_name_valid(s->origin, on) || s->hops == 0 || cap < 4 + on)
		return 0;
	wire_put16(out, s->seqno);
	out[2] = s->hops;
	out[3] = (uint8_t)on;
	memcpy(out + 4, s->origin, on);
	return 4 + on;
}

bool rw_digest_decode(const uint8_t *p, size_t len, struct rw_digest *d)
{
	if (len != RW_DIGEST_LEN)
		return false;
	d->count = wire_get32(p);
	d->sum = wire_get64(p + 4);
	return true;
}

size_t rw_digest_encode(uint8_t *out, size_t cap, const struct rw_digest *d)
{
	if (cap < RW_DIGEST_LEN)
		return 0;
	wire_put32(out, d->count);
	wire_put64(out + 4, d->sum);
	return RW_DIGEST_LEN;
}

/* FNV-1a 64 over the entry's wire form, then a final mix (splitmix64), so
 * that sums of hashes of similar entries do not cancel. */
uint64_t rw_entry_hash(const struct rw_entry *e)
{
	uint8_t buf[RW_GROUP_HDR_MAX + RW_ENTRY_MAX];
	size_t on = strnlen(e->origin, sizeof(e->origin)), n = 0;
	uint64_t h;

	buf[n++] = (uint8_t)on;
	memcpy(buf + n, e->origin, on);
	n += on;
	wire_put16(buf + n, e->seqno);
	wire_put32(buf + n + 2, e->metric);
	n += 6;
	n += prefix_encode(buf + n, sizeof(buf) - n, &e->p);
	h = fnv64(FNV64_INIT, buf, n);
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

bool rw_route_req_decode(const uint8_t *p, size_t len)
{
	return len == RW_ROUTE_REQ_LEN && p[0] == 0;
}
