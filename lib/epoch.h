/*
 * epoch.h - which of a session's receive keys a datagram's epoch bit
 * names, across key switches (DESIGN section 4, link_udp.c).
 *
 * The sender moves to epoch e+1 now and then and flags each datagram with
 * its epoch's parity.  The receiver keeps three keys: the current epoch's,
 * the next one's (ready before the sender switches) and, for `grace' after
 * it moved on, the previous one's, so that packets in flight across a
 * switch still open.  A datagram whose parity is the current epoch's is
 * tried with the current key only; one with the other parity is tried with
 * the previous key (while it lasts), then with the next; the next key
 * opening one moves the receiver on (epoch_rx_moved).  Pure: "now" comes
 * from the caller, keys stay with it.
 */
#ifndef CLOUDVPN_EPOCH_H
#define CLOUDVPN_EPOCH_H

#include <stdbool.h>
#include <stdint.h>

enum epoch_key { EPOCH_CUR, EPOCH_PREV, EPOCH_NEXT };

struct epoch_rx {
	uint32_t epoch;		/* current */
	bool has_prev;		/* a previous key is kept ... */
	uint64_t prev_until;	/* ... until then */
	uint64_t grace;
};

void epoch_rx_init(struct epoch_rx *e, uint64_t grace);
/* The keys to try for a datagram with epoch bit `parity', in order, into
 * out; returns how many (1 or 2). */
unsigned epoch_rx_keys(const struct epoch_rx *e, bool parity, uint64_t now,
		       enum epoch_key out[2]);
/* The next key opened a datagram: it is current now, the current one is
 * the previous (for grace), and the caller derives a new next. */
void epoch_rx_moved(struct epoch_rx *e, uint64_t now);

#endif
