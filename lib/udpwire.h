/*
 * udpwire.h - the datagram framing of DESIGN section 4, as pure encoders
 * and decoders: the 16-byte header, the plaintext of probes, the fragment
 * header of a split packet, and the UDP offer a node sends over its TLS
 * control channel.  No sockets, no keys (aead.h seals and opens), no
 * logging.
 *
 * A datagram on the wire:
 *   0  u8  type      UDPW_DATA or UDPW_PROBE
 *   1  u8  flags     UDPW_F_*
 *   2  u16 path id   the sender's path (not authenticated: statistics only)
 *   4  u32 index     the receiver's session index (from its offer)
 *   8  u64 counter   per sender and session, the AEAD nonce; never 0
 *  16  ...           ciphertext, then a 16-byte tag
 * The AEAD's additional data is bytes 0-1 and 4-15, so one sealed packet
 * may leave on several paths with only its path id rewritten.
 *
 * Encoders refuse (return 0 for) anything their decoder would refuse.
 * udpw_hdr_get sets no upper bound on a datagram: the receive buffer
 * (UDPW_MAX_DGRAM, a truncated read refused) does.
 *
 * Counters: data packets (and their fragments) count up from 1; probes use
 * their own sequence with UDPW_CTR_PROBE set, so that a lost probe never
 * leaves a hole in the data sequence the reorder buffer waits on.
 */
#ifndef CLOUDVPN_UDPWIRE_H
#define CLOUDVPN_UDPWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UDPW_HDR_LEN 16
#define UDPW_TAG_LEN 16
#define UDPW_OVERHEAD (UDPW_HDR_LEN + UDPW_TAG_LEN)
#define UDPW_MAX_DGRAM 16384		/* largest datagram sent or accepted */
#define UDPW_CTR_PROBE (1ULL << 63)	/* counter space of probes */

enum udpw_type {
	UDPW_DATA = 1,		/* plaintext: a DATA frame payload (frame.h) */
	UDPW_PROBE = 2,		/* plaintext: struct udpw_probe, padded */
};

#define UDPW_F_EPOCH 0x01	/* parity of the sender's key epoch */
#define UDPW_F_FRAG 0x02	/* DATA: plaintext starts with a fragment header */
#define UDPW_F_ORDER 0x04	/* DATA: sprayed; the receiver restores counter order */
#define UDPW_F_SHORT 0x08	/* DATA: the packet has a short header (frame.h) */
#define UDPW_F_KNOWN (UDPW_F_EPOCH | UDPW_F_FRAG | UDPW_F_ORDER | UDPW_F_SHORT)

struct udpw_hdr {
	uint8_t type;
	uint8_t flags;
	uint16_t path;
	uint32_t index;
	uint64_t counter;
};

/* Write h into p[0..UDPW_HDR_LEN). */
void udpw_hdr_put(uint8_t *p, const struct udpw_hdr *h);
/* Read the header of a datagram of len bytes.  False unless len holds a
 * header, a tag and (for DATA) at least one plaintext byte, the type is
 * known, no unknown flag is set, FRAG/ORDER/SHORT appear only on DATA,
 * and the counter is not 0.  Cheap: run before any cryptography. */
bool udpw_hdr_get(const uint8_t *p, size_t len, struct udpw_hdr *h);
/* Rewrite the path id of a sealed datagram. */
void udpw_set_path(uint8_t *p, uint16_t path);

/*
 * Probe plaintext (after the header, before the tag):
 *   0  u8  kind     UDPW_PROBE_REQ or UDPW_PROBE_REPLY
 *   1  u8  flags    0
 *   2  u16 path     request: the sender's path id; reply: echoed
 *   4  u32 size     request: the whole datagram's length (so padding is
 *                   checked); reply: the length of the request received
 *   8  u64 time     request: the sender's clock (us); reply: echoed
 *  16  u64 token    request: random (a challenge); reply: echoed
 *  24  ...          request: zero padding up to size; reply: nothing
 */
#define UDPW_PROBE_LEN 24
enum udpw_probe_kind { UDPW_PROBE_REQ = 1, UDPW_PROBE_REPLY = 2 };
struct udpw_probe {
	uint8_t kind;
	uint16_t path;
	uint32_t size;
	uint64_t time;
	uint64_t token;
};
/* Encode into out[0..cap): the 24 bytes, then zeros up to pad bytes in
 * all (pad < UDPW_PROBE_LEN means no padding).  Returns the plaintext
 * length, 0 if it does not fit. */
size_t udpw_probe_encode(uint8_t *out, size_t cap, const struct udpw_probe *pr, size_t pad);
/* False for a short input, an unknown kind, nonzero flags, nonzero
 * padding, or a reply with padding.  The decoder does not see the
 * datagram: the caller checks a request's size against its length. */
bool udpw_probe_decode(const uint8_t *p, size_t len, struct udpw_probe *pr);

/*
 * Fragment header (UDPW_F_FRAG), first in the plaintext:
 *   0  u8  index    0 .. count-1
 *   1  u8  count    2 .. UDPW_FRAG_MAX
 *   2  u16 offset   of this fragment's bytes in the whole packet
 * Fragments of one packet take consecutive counters, so fragment `index'
 * has counter base + index: the receiver keys reassembly by base.
 */
#define UDPW_FRAG_HDR_LEN 4
#define UDPW_FRAG_MAX 64
struct udpw_frag {
	uint8_t index, count;
	uint16_t offset;
};
void udpw_frag_put(uint8_t *p, const struct udpw_frag *f);
/* False unless len holds the header and at least one byte after it,
 * 2 <= count <= UDPW_FRAG_MAX, index < count, and offset + the bytes
 * after the header <= 65535. */
bool udpw_frag_get(const uint8_t *p, size_t len, struct udpw_frag *f);

/*
 * UDP offer, the payload of a FRAME_UDP control frame, sent by each end
 * of a link once it is up and again when its endpoints change:
 *   0  u8  version  1
 *   1  u8  cipher   the AEAD this sender seals with (enum udpw_cipher)
 *   2  u32 index    put this in the header of datagrams sent to me
 *   6  u8  n        endpoints, 0 .. UDPW_OFFER_MAX_EP
 *   7  n x { u8 family 4 or 6, 4 or 16 address bytes, u16 port }
 * n = 0 says "no UDP here": data stays on the TLS stream.
 */
#define UDPW_OFFER_MAX_EP 16
enum udpw_cipher { UDPW_AES256GCM = 1, UDPW_CHACHA20POLY1305 = 2 };
struct udpw_endpoint {
	uint8_t family;		/* 4 or 6 */
	uint8_t addr[16];	/* 4 bytes used for family 4 */
	uint16_t port;		/* not 0 */
};
struct udpw_offer {
	uint8_t cipher;
	uint32_t index;
	uint8_t n;
	struct udpw_endpoint ep[UDPW_OFFER_MAX_EP];
};
size_t udpw_offer_encode(uint8_t *out, size_t cap, const struct udpw_offer *o);
/* False for a short or long input, a version other than 1, an unknown
 * cipher, index 0, n over the maximum, a bad family or port 0. */
bool udpw_offer_decode(const uint8_t *p, size_t len, struct udpw_offer *o);

#endif
