/*
 * backoff.c - jittered exponential backoff and timer jitter.  Owns only the
 * arithmetic: the caller supplies the random numbers and the clock.
 *
 * Invariant: 1 <= min_us <= cur_us <= max_us after backoff_init, and no
 * computation here overflows, whatever the inputs.
 */
#include "config.h"
#include "backoff.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* floor(span * rnd / 2^32): in [0, span) for span > 0, without overflow. */
static uint64_t scale(uint64_t span, uint32_t rnd)
{
	uint64_t hi = span >> 32, lo = span & 0xffffffffu;

	return hi * rnd + ((lo * rnd) >> 32);
}

void backoff_init(struct backoff *b, uint64_t min_us, uint64_t max_us)
{
	if (min_us == 0)
		min_us = 1;
	if (max_us < min_us)
		max_us = min_us;
	b->min_us = min_us;
	b->max_us = max_us;
	b->cur_us = min_us;
}

uint64_t backoff_next(struct backoff *b, uint32_t rnd)
{
	uint64_t cur = b->cur_us, half = cur / 2;
	uint64_t delay = half + 1 + scale(cur - half, rnd);

	if (cur > b->max_us - cur)
		b->cur_us = b->max_us;
	else
		b->cur_us = cur * 2;
	return delay;
}

void backoff_reset(struct backoff *b)
{
	b->cur_us = b->min_us;
}

uint64_t jitter_us(uint64_t period_us, unsigned pct, uint32_t rnd)
{
	uint64_t j, lo, span;

	if (pct > 100)
		pct = 100;
	j = period_us / 100 * pct + period_us % 100 * pct / 100;
	if (j > UINT64_MAX - period_us)
		j = UINT64_MAX - period_us;
	/* j <= UINT64_MAX / 2, so 2 * j + 1 cannot overflow */
	lo = period_us - j;
	span = 2 * j + 1;
	return lo + scale(span, rnd);
}

void jitter_rng_seed(struct jitter_rng *r)
{
	if (getrandom(&r->s, sizeof(r->s), GRND_NONBLOCK) != sizeof(r->s))
		r->s = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	r->s |= 1;	/* never 0: xorshift would stay there */
}

uint32_t jitter_rng_next(struct jitter_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (uint32_t)((r->s * 0x2545F4914F6CDD1DULL) >> 32);
}
