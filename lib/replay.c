/*
 * replay.c - the receive window of one session (replay.h), RFC 6479.
 *
 * Counter c lives at bit c % 64 of word (c / 64) % nwords of the ring.
 * The word holding top and the nwords - 1 words before it are current;
 * the window, (top - size, top], always lies inside them, which is why
 * size is one word short of the ring.  Bits above top in its word are 0,
 * so a counter only ever finds its own bit.  Counter 0 is never valid: it
 * is also what top says before the first commit.
 *
 * Invariants: check never writes; commit writes only when ctr is inside
 * or above the window, and clears at most the whole ring however far top
 * jumps.  A commit of a counter below the window (a caller that checked a
 * batch before committing it) is ignored, since its bit would alias a
 * current one.
 */
#include "config.h"
#include "replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WORD_BITS 64

int replay_init(struct replay *w, uint32_t pkts)
{
	uint32_t words, nwords = 1;

	if (pkts < REPLAY_MIN_PKTS)
		pkts = REPLAY_MIN_PKTS;
	if (pkts > REPLAY_MAX_PKTS)
		pkts = REPLAY_MAX_PKTS;
	/* one word more than pkts needs: the top word is only partly behind top */
	words = (pkts + WORD_BITS - 1) / WORD_BITS + 1;
	while (nwords < words)
		nwords <<= 1;
	w->bits = calloc(nwords, sizeof(*w->bits));
	if (!w->bits)
		return -ENOMEM;
	w->nwords = nwords;
	w->size = (nwords - 1) * WORD_BITS;
	w->top = 0;
	return 0;
}

void replay_free(struct replay *w)
{
	if (w->bits) {
		explicit_bzero(w->bits, (size_t)w->nwords * sizeof(*w->bits));
		free(w->bits);
	}
	memset(w, 0, sizeof(*w));
}

void replay_reset(struct replay *w)
{
	memset(w->bits, 0, (size_t)w->nwords * sizeof(*w->bits));
	w->top = 0;
}

static uint64_t *word_of(const struct replay *w, uint64_t ctr)
{
	return &w->bits[(ctr / WORD_BITS) & (w->nwords - 1)];
}

static uint64_t bit_of(uint64_t ctr)
{
	return 1ULL << (ctr % WORD_BITS);
}

enum replay_verdict replay_check(const struct replay *w, uint64_t ctr)
{
	if (ctr == 0)
		return REPLAY_OLD;
	if (ctr > w->top)
		return REPLAY_NEW;
	if (w->top - ctr >= w->size)
		return REPLAY_OLD;
	return (*word_of(w, ctr) & bit_of(ctr)) ? REPLAY_DUP : REPLAY_NEW;
}

/* Move top up to ctr, clearing the words it enters (at most the ring). */
static void slide(struct replay *w, uint64_t ctr)
{
	uint64_t cur = w->top / WORD_BITS, jump = ctr / WORD_BITS - cur, i;

	if (jump >= w->nwords) {
		memset(w->bits, 0, (size_t)w->nwords * sizeof(*w->bits));
	} else {
		for (i = 1; i <= jump; i++)
			w->bits[(cur + i) & (w->nwords - 1)] = 0;
	}
	w->top = ctr;
}

void replay_commit(struct replay *w, uint64_t ctr)
{
	if (ctr == 0)
		return;
	if (ctr > w->top)
		slide(w, ctr);
	else if (w->top - ctr >= w->size)
		return;
	*word_of(w, ctr) |= bit_of(ctr);
}
