/*
 * backoff.h - the one retry/jitter helper (STYLE 14): jittered exponential
 * backoff for reconnects, and jitter for periodic timers so that a mesh does
 * not synchronise.  Pure: the caller passes the random numbers in.
 */
#ifndef CLOUDVPN_BACKOFF_H
#define CLOUDVPN_BACKOFF_H

#include <stdint.h>

struct backoff {
	uint64_t min_us;	/* first delay */
	uint64_t max_us;	/* cap */
	uint64_t cur_us;	/* current ceiling, min_us..max_us */
};

/* min_us of 0 is treated as 1; max_us below min_us is raised to min_us. */
void backoff_init(struct backoff *b, uint64_t min_us, uint64_t max_us);
/* Delay before the next attempt: uniform in (cur/2, cur] from rnd; then
 * the ceiling doubles, up to max_us. */
uint64_t backoff_next(struct backoff *b, uint32_t rnd);
/* After a success: the next failure starts again from min_us. */
void backoff_reset(struct backoff *b);
/* A period with +/- pct percent of jitter (pct 0..100), from rnd. */
uint64_t jitter_us(uint64_t period_us, unsigned pct, uint32_t rnd);

/* The random numbers for jitter: xorshift64*, seeded from getrandom (or
 * the pid and time).  For timers only, never for keys. */
struct jitter_rng {
	uint64_t s;
};
void jitter_rng_seed(struct jitter_rng *r);
uint32_t jitter_rng_next(struct jitter_rng *r);

#endif
