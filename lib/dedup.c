/*
 * dedup.c - broadcast deduplication windows (see dedup.h).
 */
#include "config.h"
#include "dedup.h"

#include <string.h>

#define WORDS (DEDUP_WINDOW / 64)

static bool test_and_set(struct dedup *d, uint32_t back)
{
	uint64_t bit = 1ull << (back % 64);
	uint64_t *w = &d->bits[back / 64];
	bool seen = *w & bit;

	*w |= bit;
	return !seen;
}

/* Move the top up by n ids: bit i becomes bit i + n. */
static void slide(struct dedup *d, uint32_t n)
{
	if (n >= DEDUP_WINDOW) {
		memset(d->bits, 0, sizeof(d->bits));
		return;
	}
	uint32_t words = n / 64, shift = n % 64;
	for (int i = WORDS - 1; i >= 0; i--) {
		uint64_t v = 0;
		int src = i - (int)words;
		if (src >= 0) {
			v = d->bits[src] << shift;
			if (shift && src > 0)
				v |= d->bits[src - 1] >> (64 - shift);
		}
		d->bits[i] = v;
	}
}

static bool restart(struct dedup *d, uint32_t id)
{
	d->started = true;
	d->top = id;
	memset(d->bits, 0, sizeof(d->bits));
	d->bits[0] = 1;
	return true;
}

bool dedup_check(struct dedup *d, uint32_t id)
{
	int32_t diff;

	if (!d->started)
		return restart(d, id);
	diff = (int32_t)(id - d->top);
	if (diff > 0) {
		slide(d, (uint32_t)diff);
		d->top = id;
		d->bits[0] |= 1;
		return true;
	}
	if ((uint32_t)-(int64_t)diff < DEDUP_WINDOW)
		return test_and_set(d, (uint32_t)-(int64_t)diff);
	if ((uint32_t)-(int64_t)diff > DEDUP_RESET)
		return restart(d, id);
	return false;
}
