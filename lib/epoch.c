/*
 * epoch.c - receive key selection across key switches (see epoch.h).
 */
#include "config.h"
#include "epoch.h"

void epoch_rx_init(struct epoch_rx *e, uint64_t grace)
{
	e->epoch = 0;
	e->has_prev = false;
	e->prev_until = 0;
	e->grace = grace;
}

unsigned epoch_rx_keys(const struct epoch_rx *e, bool parity, uint64_t now,
		       enum epoch_key out[2])
{
	unsigned n = 0;

	if (parity == (bool)(e->epoch & 1)) {
		out[n++] = EPOCH_CUR;
		return n;
	}
	/* the other parity: a late packet of the previous epoch, or the
	 * first of the next */
	if (e->has_prev && now < e->prev_until)
		out[n++] = EPOCH_PREV;
	out[n++] = EPOCH_NEXT;
	return n;
}

void epoch_rx_moved(struct epoch_rx *e, uint64_t now)
{
	e->epoch++;
	e->has_prev = true;
	e->prev_until = now + e->grace;
}
