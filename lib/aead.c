/*
 * aead.c - sealing and opening udpwire datagrams in place (see aead.h).
 *
 * Owns one GnuTLS AEAD handle per key and nothing else: the nonce and the
 * additional data are read straight from the datagram's header, and the
 * scatter-gather calls (encryptv2/decryptv2) let the additional data skip
 * the path id without copying the header, so nothing is allocated or
 * copied per packet.
 */
#include "config.h"
#include "aead.h"

#include <errno.h>
#include <string.h>
#include <gnutls/gnutls.h>

#define NONCE_LEN 12

static gnutls_cipher_algorithm_t gnutls_algo(uint8_t cipher)
{
	switch (cipher) {
	case UDPW_AES256GCM:
		return GNUTLS_CIPHER_AES_256_GCM;
	case UDPW_CHACHA20POLY1305:
		return GNUTLS_CIPHER_CHACHA20_POLY1305;
	}
	return GNUTLS_CIPHER_UNKNOWN;
}

const char *aead_cipher_name(uint8_t cipher)
{
	switch (cipher) {
	case UDPW_AES256GCM:
		return "aes-256-gcm";
	case UDPW_CHACHA20POLY1305:
		return "chacha20-poly1305";
	}
	return "?";
}

int aead_key_init(struct aead_key *k, uint8_t cipher, const uint8_t secret[AEAD_KEY_LEN])
{
	gnutls_cipher_algorithm_t algo = gnutls_algo(cipher);
	uint8_t copy[AEAD_KEY_LEN];
	gnutls_datum_t key = { .data = copy, .size = sizeof(copy) };
	int r = 0;

	memset(k, 0, sizeof(*k));
	if (algo == GNUTLS_CIPHER_UNKNOWN)
		return -EINVAL;
	/* The datum wants a mutable pointer; GnuTLS copies the key into
	 * the handle, so this copy is ours to wipe. */
	memcpy(copy, secret, sizeof(copy));
	if (gnutls_aead_cipher_init(&k->h, algo, &key) < 0) {
		k->h = NULL;
		r = -ENOTSUP;
		goto out;
	}
	k->cipher = cipher;
out:
	gnutls_memset(copy, 0, sizeof(copy));
	return r;
}

void aead_key_clear(struct aead_key *k)
{
	if (k->h)
		gnutls_aead_cipher_deinit(k->h);	/* zeroes the key schedule */
	gnutls_memset(k, 0, sizeof(*k));
}

/* Four zero bytes, then the header's counter as it is on the wire
 * (big-endian already). */
static void make_nonce(uint8_t nonce[NONCE_LEN], const uint8_t *pkt)
{
	memset(nonce, 0, 4);
	memcpy(nonce + 4, pkt + 8, 8);
}

/* Bytes 0-1 and 4-15 of the header: everything but the path id. */
static void make_ad(giovec_t ad[2], uint8_t *pkt)
{
	ad[0].iov_base = pkt;
	ad[0].iov_len = 2;
	ad[1].iov_base = pkt + 4;
	ad[1].iov_len = UDPW_HDR_LEN - 4;
}

size_t aead_seal(struct aead_key *k, uint8_t *pkt, size_t len)
{
	uint8_t nonce[NONCE_LEN];
	giovec_t ad[2], text = { .iov_base = pkt + UDPW_HDR_LEN, .iov_len = len };
	size_t tag_len = UDPW_TAG_LEN;

	if (!k->h)
		return 0;
	make_nonce(nonce, pkt);
	make_ad(ad, pkt);
	if (gnutls_aead_cipher_encryptv2(k->h, nonce, sizeof(nonce), ad, 2,
					 &text, len ? 1 : 0,
					 pkt + UDPW_HDR_LEN + len, &tag_len) < 0 ||
	    tag_len != UDPW_TAG_LEN)
		return 0;
	return UDPW_OVERHEAD + len;
}

bool aead_open(struct aead_key *k, uint8_t *pkt, size_t dlen, size_t *len)
{
	uint8_t nonce[NONCE_LEN];
	giovec_t ad[2], text;
	size_t n;

	if (!k->h || dlen < UDPW_OVERHEAD)
		return false;
	n = dlen - UDPW_OVERHEAD;
	text.iov_base = pkt + UDPW_HDR_LEN;
	text.iov_len = n;
	make_nonce(nonce, pkt);
	make_ad(ad, pkt);
	if (gnutls_aead_cipher_decryptv2(k->h, nonce, sizeof(nonce), ad, 2,
					 &text, n ? 1 : 0,
					 pkt + UDPW_HDR_LEN + n, UDPW_TAG_LEN) < 0)
		return false;
	*len = n;
	return true;
}
