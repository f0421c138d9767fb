/*
 * dedup.h - has this broadcast (origin, id) been seen already?
 *
 * One window per origin over its 32-bit broadcast ids (serial-number
 * order, so ids may wrap): the newest id seen and a bitmap of the
 * DEDUP_WINDOW ids below it.  An id newer than the top slides the window;
 * one inside it is new once; one older than the window is a duplicate,
 * unless it is so far behind (more than DEDUP_RESET ids) that the origin
 * must have restarted with a new first id: then the window starts over.
 * Pure.
 */
#ifndef CLOUDVPN_DEDUP_H
#define CLOUDVPN_DEDUP_H

#include <stdbool.h>
#include <stdint.h>

#define DEDUP_WINDOW 1024
#define DEDUP_RESET (16 * DEDUP_WINDOW)

struct dedup {
	bool started;
	uint32_t top;				/* newest id seen */
	uint64_t bits[DEDUP_WINDOW / 64];	/* bit i: top - i seen */
};

/* true if id is new (and remembers it), false for a duplicate */
bool dedup_check(struct dedup *d, uint32_t id);

#endif
