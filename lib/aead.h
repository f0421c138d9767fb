/*
 * aead.h - sealing and opening udpwire datagrams in place with GnuTLS.
 *
 * A key is one direction of one link in one epoch: AES-256-GCM or
 * ChaCha20-Poly1305, a 32-byte secret.  The 12-byte nonce is four zero
 * bytes and the header's 64-bit counter (big-endian); keys are never
 * shared between directions, so a counter is never reused under a key.
 * The additional data is the header without its path id (udpwire.h).
 * The caller owns the buffer and its room; nothing is allocated per
 * packet.  Secrets are zeroed on aead_key_clear.
 */
#ifndef CLOUDVPN_AEAD_H
#define CLOUDVPN_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <gnutls/crypto.h>

#include "udpwire.h"

#define AEAD_KEY_LEN 32

struct aead_key {
	gnutls_aead_cipher_hd_t h;	/* NULL: no key */
	uint8_t cipher;			/* enum udpw_cipher */
};

/* 0, or -EINVAL (unknown cipher) or -ENOTSUP (GnuTLS refused).  k must
 * hold no key (aead_key_clear first when rekeying). */
int aead_key_init(struct aead_key *k, uint8_t cipher, const uint8_t secret[AEAD_KEY_LEN]);
void aead_key_clear(struct aead_key *k);
static inline bool aead_key_set(const struct aead_key *k) { return k->h != NULL; }
const char *aead_cipher_name(uint8_t cipher);	/* "aes-256-gcm", "chacha20-poly1305", "?" */

/* pkt holds a header already written (udpw_hdr_put) and len plaintext
 * bytes after it, with UDPW_TAG_LEN bytes of room after those.  Encrypts
 * in place and appends the tag.  Returns the datagram's length
 * (UDPW_OVERHEAD + len), or 0 if GnuTLS failed. */
size_t aead_seal(struct aead_key *k, uint8_t *pkt, size_t len);
/* pkt is a whole datagram of dlen bytes whose header udpw_hdr_get
 * accepted.  Verifies and decrypts in place.  Returns true and the
 * plaintext length (at pkt + UDPW_HDR_LEN) in *len, or false if the tag
 * does not verify (the buffer's plaintext area is then garbage). */
bool aead_open(struct aead_key *k, uint8_t *pkt, size_t dlen, size_t *len);

#endif
