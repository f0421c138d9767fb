/*
 * reorder.c - a bounded reorder buffer over packet counters (see
 * reorder.h).
 *
 * Invariants between calls: every held packet has a counter in
 * (next, next + nslots), so counter c can only sit in slot c % nslots and
 * two held packets never share a slot; the packet `next' itself is never
 * held (it would have been delivered).  Moving `next' over counters
 * nobody delivered counts them in given_up by arithmetic, never by
 * walking them, so a jump of a billion counters costs what is held.
 * Scans walk counters upwards from next and stop as soon as every held
 * packet was seen: they cost the span of held counters (at most nslots),
 * which is the number held when little is lost.
 */
#include "config.h"
#include "reorder.h"

#include <errno.h>
#include <stdlib.h>

int reorder_init(struct reorder *r, uint32_t slots, uint64_t max_wait)
{
	*r = (struct reorder){ .nslots = slots, .max_wait = max_wait };
	if (!slots)
		return -EINVAL;
	r->slot = calloc(slots, sizeof(*r->slot));
	return r->slot ? 0 : -ENOMEM;
}

void reorder_free(struct reorder *r)
{
	free(r->slot);
	r->slot = NULL;
	r->held = 0;
}

/* The slot holding counter c, or NULL. */
static struct reorder_slot *held_at(struct reorder *r, uint64_t c)
{
	struct reorder_slot *s = &r->slot[c % r->nslots];

	return s->pkt && s->ctr == c ? s : NULL;
}

/* Empty s before handing its packet out, so deliver sees a consistent
 * buffer. */
static void take(struct reorder *r, struct reorder_slot *s,
		 reorder_deliver_fn deliver, void *ctx)
{
	void *pkt = s->pkt;
	uint64_t ctr = s->ctr;

	s->pkt = NULL;
	r->held--;
	deliver(ctx, pkt, ctr);
}

/* Deliver what follows next without a hole. */
static void drain(struct reorder *r, reorder_deliver_fn deliver, void *ctx)
{
	struct reorder_slot *s;

	while (r->held && (s = held_at(r, r->next))) {
		r->next++;
		take(r, s, deliver, ctx);
	}
}

/* Deliver in order the held packets below upto, give up the holes among
 * them, and move next to upto (never back). */
static void release_below(struct reorder *r, uint64_t upto,
			  reorder_deliver_fn deliver, void *ctx)
{
	uint64_t from = r->next, c, delivered = 0;
	struct reorder_slot *s;

	if (upto <= from)
		return;
	r->next = upto;
	for (c = from; c < upto && r->held && c - from < r->nslots; c++) {
		if ((s = held_at(r, c))) {
			take(r, s, deliver, ctx);
			delivered++;
		}
	}
	r->given_up += upto - from - delivered;
}

void reorder_push(struct reorder *r, uint64_t ctr, void *pkt, uint64_t now,
		  reorder_deliver_fn deliver, void *ctx)
{
	struct reorder_slot *s;

	if (!r->next)
		r->next = ctr;
	/* Behind next: its hole was given up already.  The same counter
	 * held twice (the replay window should make it impossible) is
	 * treated alike, so that no pointer is ever lost. */
	if (ctr < r->next || held_at(r, ctr)) {
		r->late++;
		deliver(ctx, pkt, ctr);
		return;
	}
	if (ctr - r->next >= r->nslots) {
		release_below(r, ctr - r->nslots + 1, deliver, ctx);
		drain(r, deliver, ctx);
	}
	if (ctr == r->next) {
		r->next++;
		deliver(ctx, pkt, ctr);
		drain(r, deliver, ctx);
		return;
	}
	s = &r->slot[ctr % r->nslots];
	*s = (struct reorder_slot){ .pkt = pkt, .ctr = ctr, .since = now };
	r->held++;
}

void reorder_passed(struct reorder *r, uint64_t ctr, reorder_deliver_fn deliver, void *ctx)
{
	struct reorder_slot *s;

	if (!r->next) {
		r->next = ctr + 1;
		return;
	}
	if (ctr < r->next)
		return;
	release_below(r, ctr, deliver, ctx);
	r->next = ctr + 1;
	if ((s = held_at(r, ctr)))	/* held and passed: impossible, but keep it */
		take(r, s, deliver, ctx);
	drain(r, deliver, ctx);
}

static bool waited(const struct reorder *r, const struct reorder_slot *s, uint64_t now)
{
	return now >= s->since && now - s->since >= r->max_wait;
}

void reorder_expire(struct reorder *r, uint64_t now, reorder_deliver_fn deliver, void *ctx)
{
	uint64_t c, last = 0;
	uint32_t seen = 0;
	struct reorder_slot *s;

	/* The highest counter that waited enough: every hole below it goes. */
	for (c = r->next; seen < r->held && c - r->next < r->nslots; c++) {
		if ((s = held_at(r, c))) {
			seen++;
			if (waited(r, s, now))
				last = c;
		}
	}
	if (!last)
		return;
	release_below(r, last + 1, deliver, ctx);
	drain(r, deliver, ctx);
}

bool reorder_deadline(const struct reorder *r, uint64_t *when)
{
	uint64_t c, oldest = UINT64_MAX;
	uint32_t seen = 0;
	const struct reorder_slot *s;

	if (!r->held)
		return false;
	for (c = r->next; seen < r->held && c - r->next < r->nslots; c++) {
		s = &r->slot[c % r->nslots];
		if (s->pkt && s->ctr == c) {
			seen++;
			if (s->since < oldest)
				oldest = s->since;
		}
	}
	*when = oldest > UINT64_MAX - r->max_wait ? UINT64_MAX : oldest + r->max_wait;
	return true;
}

void reorder_flush(struct reorder *r, reorder_deliver_fn deliver, void *ctx)
{
	uint64_t from = r->next, c, delivered = 0;
	struct reorder_slot *s;

	for (c = from; r->held && c - from < r->nslots; c++) {
		if ((s = held_at(r, c))) {
			r->next = c + 1;
			take(r, s, deliver, ctx);
			delivered++;
		}
	}
	r->given_up += r->next - from - delivered;
}
