/*
 * defrag.c - bounded, timed reassembly of fragmented packets (see
 * defrag.h).
 *
 * A slot is busy while base != 0; it is keyed by base (the counter of
 * fragment 0), so two packets never share a slot.  Each fragment's place
 * in its packet is remembered in a small range table allocated with the
 * slot's buffer, after its DEFRAG_MAX_PACKET bytes: without it an
 * overlap could not be told from a gap, and "every bit set and as many
 * bytes as the total" would accept a packet with a hole in it.  With it,
 * fragments are pairwise disjoint and inside [0, total), so that
 * condition means the packet is whole.  Stale slots are dropped before a
 * fragment is matched, so a fragment of a timed-out packet starts over
 * instead of completing what is left of it.
 */
#include "config.h"
#include "defrag.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct frag_range {
	uint16_t off, len;
};

#define RANGES_OFF 65536	/* first aligned offset after the packet bytes */
#define SLOT_ALLOC (RANGES_OFF + UDPW_FRAG_MAX * sizeof(struct frag_range))

static struct frag_range *ranges(struct defrag_slot *s)
{
	return (struct frag_range *)(void *)(s->buf + RANGES_OFF);
}

int defrag_init(struct defrag *d, uint32_t slots, uint64_t timeout)
{
	uint32_t i;

	*d = (struct defrag){ .nslots = slots, .timeout = timeout };
	if (!slots)
		return -EINVAL;
	d->slot = calloc(slots, sizeof(*d->slot));
	if (!d->slot)
		return -ENOMEM;
	for (i = 0; i < slots; i++) {
		d->slot[i].buf = malloc(SLOT_ALLOC);
		if (!d->slot[i].buf) {
			defrag_free(d);
			return -ENOMEM;
		}
	}
	return 0;
}

void defrag_free(struct defrag *d)
{
	uint32_t i;

	for (i = 0; d->slot && i < d->nslots; i++)
		free(d->slot[i].buf);
	free(d->slot);
	d->slot = NULL;
	d->nslots = 0;
}

static bool stale(const struct defrag *d, const struct defrag_slot *s, uint64_t now)
{
	return now >= s->since && now - s->since >= d->timeout;
}

void defrag_expire(struct defrag *d, uint64_t now)
{
	uint32_t i;

	for (i = 0; i < d->nslots; i++) {
		if (d->slot[i].base && stale(d, &d->slot[i], now)) {
			d->slot[i].base = 0;
			d->timed_out++;
		}
	}
}

/* The slot of packet base, after dropping stale ones; a new packet takes
 * a free slot or evicts the oldest. */
static struct defrag_slot *slot_for(struct defrag *d, uint64_t base, uint8_t count,
				    uint64_t now)
{
	struct defrag_slot *s, *fresh = NULL, *oldest = NULL;
	uint32_t i;

	defrag_expire(d, now);
	for (i = 0; i < d->nslots; i++) {
		s = &d->slot[i];
		if (s->base == base)
			return s;
		if (!s->base) {
			if (!fresh)
				fresh = s;
		} else if (!oldest || s->since < oldest->since) {
			oldest = s;
		}
	}
	if (!fresh) {
		fresh = oldest;
		d->evicted++;
	}
	fresh->base = base;
	fresh->since = now;
	fresh->have = 0;
	fresh->count = count;
	fresh->bytes = 0;
	fresh->total = 0;
	return fresh;
}

/* Does fragment f, bytes [f->offset, end), agree with what s has? */
static bool fits(struct defrag_slot *s, const struct udpw_frag *f, size_t end)
{
	const struct frag_range *rg = ranges(s);
	bool last = f->index == f->count - 1;
	unsigned j;

	if (f->count != s->count || s->have & 1ull << f->index)
		return false;
	if (s->total && end > s->total)
		return false;
	for (j = 0; j < s->count; j++) {
		if (!(s->have & 1ull << j))
			continue;
		if (f->offset < rg[j].off + rg[j].len && rg[j].off < end)
			return false;		/* overlap */
		if (last && rg[j].off + rg[j].len > end)
			return false;		/* beyond the total */
	}
	return true;
}

enum defrag_result defrag_add(struct defrag *d, uint64_t ctr, const struct udpw_frag *f,
			      const uint8_t *p, size_t len, uint64_t now,
			      const uint8_t **out, size_t *outlen)
{
	size_t end = (size_t)f->offset + len;
	struct defrag_slot *s;
	uint64_t all;

	if (f->count < 2 || f->count > UDPW_FRAG_MAX || f->index >= f->count ||
	    !len || end > DEFRAG_MAX_PACKET || ctr <= f->index) {
		d->invalid++;
		return DEFRAG_BAD;
	}
	s = slot_for(d, ctr - f->index, f->count, now);
	if (!fits(s, f, end)) {
		s->base = 0;
		d->invalid++;
		return DEFRAG_BAD;
	}
	memcpy(s->buf + f->offset, p, len);
	ranges(s)[f->index] = (struct frag_range){ .off = f->offset, .len = (uint16_t)len };
	s->have |= 1ull << f->index;
	s->bytes += len;
	if (f->index == f->count - 1)
		s->total = end;
	all = s->count == 64 ? UINT64_MAX : (1ull << s->count) - 1;
	if (s->have != all)
		return DEFRAG_MORE;
	s->base = 0;
	if (s->bytes != s->total) {	/* all there, yet a gap: nothing can fill it */
		d->invalid++;
		return DEFRAG_BAD;
	}
	d->completed++;
	*out = s->buf;
	*outlen = s->total;
	return DEFRAG_DONE;
}
