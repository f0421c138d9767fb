/*
 * replay.h - the receive window of one session (RFC 6479): which 64-bit
 * counters have been accepted, among the newest `size' ones.
 *
 * It is at once the replay protection and the multipath deduplication: a
 * packet that came on two paths is new once.  Check before the tag is
 * verified (cheap rejection), commit only after it verified, so a forged
 * packet can never move the window.  The bitmap is a ring of 64-bit
 * words; sliding clears the words skipped, never more than the ring.
 * Pure; no allocation after replay_init.
 */
#ifndef CLOUDVPN_REPLAY_H
#define CLOUDVPN_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_MIN_PKTS 64
#define REPLAY_DEFAULT_PKTS 8192
#define REPLAY_MAX_PKTS (1u << 20)

enum replay_verdict {
	REPLAY_NEW,	/* never seen, inside or above the window */
	REPLAY_DUP,	/* seen already */
	REPLAY_OLD,	/* below the window: cannot tell, so refused */
};

struct replay {
	uint64_t top;		/* newest counter committed (0: none yet) */
	uint64_t *bits;		/* nwords words, a ring */
	uint32_t nwords;	/* a power of two */
	uint32_t size;		/* packets remembered below top: (nwords - 1) * 64 */
};

/* At least `pkts' packets remembered (rounded up; clamped to
 * REPLAY_MIN_PKTS .. REPLAY_MAX_PKTS).  Returns 0 or -ENOMEM. */
int replay_init(struct replay *w, uint32_t pkts);
void replay_free(struct replay *w);
/* Forget everything (a new session). */
void replay_reset(struct replay *w);
enum replay_verdict replay_check(const struct replay *w, uint64_t ctr);
/* Mark ctr seen (slides the window when ctr > top).  For a counter
 * replay_check called REPLAY_NEW; 0 and counters below the window are
 * ignored, so checking a batch first and committing after is safe. */
void replay_commit(struct replay *w, uint64_t ctr);

#endif
