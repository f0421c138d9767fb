/*
 * addr.h - mesh addresses (DESIGN section 3).
 *
 * An address is an instance (16-bit protocol id << 16 | 16-bit network id)
 * and a byte string of 0..ADDR_MAX_LEN bytes.  A prefix is an address and a
 * length in bits (0..8*len); it covers an address of the same instance and
 * byte length whose first `bits' bits are equal.  The zero-length address
 * is the broadcast address of its instance: a gate that owns the prefix
 * "INST:*" receives the instance's broadcasts.
 *
 * Text form (logs, config, cloudctl):  PROTO[.NET]:VALUE[/BITS]
 *   ipv4:10.1.2.3   ipv4:192.168.50.0/24   ipv6.7:fd00::/64
 *   ether:02:00:5e:00:00:01   chat:alice   ipv4:*  (broadcast)
 *   p513.2:0a0b0c/22  (any other protocol id, value in hex)
 * A missing /BITS means the whole address (8*len).  Parsing refuses
 * prefixes with bits set beyond BITS.
 *
 * Everything here is pure.
 */
#ifndef CLOUDVPN_ADDR_H
#define CLOUDVPN_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDR_MAX_LEN 32
#define ADDR_TEXT_MAX 128	/* enough for any prefix_format output */

enum addr_proto {
	AP_ETHER = 1,		/* 6-byte MAC; ether-gate */
	AP_IPV4 = 4,		/* 4 bytes; ip-gate */
	AP_IPV6 = 6,		/* 16 bytes; ip-gate */
	AP_CHAT = 16,		/* a nickname, 1..32 printable bytes; chat-gate */
};

#define INST(proto, net) ((uint32_t)(proto) << 16 | (uint16_t)(net))
static inline uint16_t inst_proto(uint32_t inst) { return (uint16_t)(inst >> 16); }
static inline uint16_t inst_net(uint32_t inst) { return (uint16_t)inst; }

struct addr {
	uint32_t inst;
	uint8_t len;
	uint8_t b[ADDR_MAX_LEN];	/* bytes past len are zero */
};

struct prefix {
	struct addr a;
	uint16_t bits;			/* 0..8*a.len */
};

/* "ipv4", "ether.3", "p513.2" <-> instance */
bool inst_parse(const char *s, size_t len, uint32_t *inst);
void inst_format(uint32_t inst, char *buf, size_t len);

bool prefix_parse(const char *s, struct prefix *p);
void prefix_format(const struct prefix *p, char *buf, size_t len);
/* The address alone (full length, no /BITS). */
void addr_format(const struct addr *a, char *buf, size_t len);

/* Well formed: len <= ADDR_MAX_LEN, bits <= 8*len, no bits set past
 * `bits', bytes past len zero, and the length the protocol requires
 * (ether 6 or 0, ipv4 4 or 0, ipv6 16 or 0, chat 0..32 printable). */
bool prefix_valid(const struct prefix *p);
bool prefix_covers(const struct prefix *p, const struct addr *a);
bool prefix_equal(const struct prefix *x, const struct prefix *y);
/* Same instance, length and bytes. */
bool addr_equal(const struct addr *x, const struct addr *y);
static inline bool addr_is_broadcast(const struct addr *a) { return a->len == 0; }
/* A host prefix for address a (bits = 8*len). */
void prefix_host(struct prefix *p, const struct addr *a);

/* Wire form of a prefix, shared by the gate protocol and the link frames:
 *   u32 inst, u16 bits, u8 len, len bytes
 * prefix_encode returns the bytes written (0 if it does not fit);
 * prefix_decode reads one at *p (advancing *p and *left) and accepts only a
 * prefix_valid one. */
#define PREFIX_WIRE_MAX (7 + ADDR_MAX_LEN)
size_t prefix_encode(uint8_t *out, size_t cap, const struct prefix *p);
bool prefix_decode(const uint8_t **p, size_t *left, struct prefix *out);

#endif
