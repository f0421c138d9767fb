/*
 * fnv.h - FNV-1a, 64 bits: a fast, well-spread hash of a few bytes, for
 * hash tables and digests (not against an adversary).  Chain calls to
 * hash several pieces: h = fnv64(fnv64(FNV64_INIT, a, n), b, m).
 */
#ifndef CLOUDVPN_FNV_H
#define CLOUDVPN_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV64_INIT 0xcbf29ce484222325ull

static inline uint64_t fnv64(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#endif
