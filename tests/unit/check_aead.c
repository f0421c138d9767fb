/*
 * check_aead.c - unit tests for lib/aead.c: both ciphers round trip in
 * place, every bit of a datagram but the path id is authenticated, keys
 * do not cross, and AES-256-GCM and ChaCha20-Poly1305 match an
 * independent implementation.  Datagrams live in exact-size heap buffers
 * so that a write past the tag shows up under valgrind or ASan.
 */
#include "config.h"
#include "aead.h"
#include "wire.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t ciphers[] = { UDPW_AES256GCM, UDPW_CHACHA20POLY1305 };
#define NCIPHERS (sizeof(ciphers) / sizeof(ciphers[0]))

/* The 16-byte header as udpwire.h lays it out (a local copy, so that
 * this test links aead.c alone). */
static void put_hdr(uint8_t *p, uint8_t type, uint8_t flags, uint16_t path,
		    uint32_t index, uint64_t counter)
{
	p[0] = type;
	p[1] = flags;
	wire_put16(p + 2, path);
	wire_put32(p + 4, index);
	wire_put64(p + 8, counter);
}

static void test_secret(uint8_t secret[AEAD_KEY_LEN], uint8_t seed)
{
	for (unsigned i = 0; i < AEAD_KEY_LEN; i++)
		secret[i] = (uint8_t)(seed + i * 7);
}

static void key_init(struct aead_key *k, uint8_t cipher, uint8_t seed)
{
	uint8_t secret[AEAD_KEY_LEN];

	test_secret(secret, seed);
	ck_assert_int_eq(aead_key_init(k, cipher, secret), 0);
	ck_assert(aead_key_set(k));
	ck_assert_uint_eq(k->cipher, cipher);
}

/* An exact-size datagram: header, len bytes of a pattern, room for the
 * tag. */
static uint8_t *make_pkt(size_t len, uint64_t counter)
{
	uint8_t *p = malloc(UDPW_OVERHEAD + len);

	ck_assert_ptr_nonnull(p);
	put_hdr(p, UDPW_DATA, UDPW_F_EPOCH, 7, 0xa1b2c3d4, counter);
	for (size_t i = 0; i < len; i++)
		p[UDPW_HDR_LEN + i] = (uint8_t)(i * 31 + 5);
	return p;
}

static void check_pattern(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		ck_assert_uint_eq(p[UDPW_HDR_LEN + i], (uint8_t)(i * 31 + 5));
}

START_TEST(aead_roundtrip)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 1400, 16000 };

	for (size_t c = 0; c < NCIPHERS; c++) {
		struct aead_key k;

		key_init(&k, ciphers[c], 1);
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			size_t len = lens[i], out = 99;
			uint8_t *p = make_pkt(len, 1000 + i);
			uint8_t hdr[UDPW_HDR_LEN];

			memcpy(hdr, p, sizeof(hdr));
			ck_assert_uint_eq(aead_seal(&k, p, len), UDPW_OVERHEAD + len);
			ck_assert_mem_eq(p, hdr, sizeof(hdr));	/* header untouched */
			if (len >= 16) {	/* encrypted in place */
				uint8_t *plain = make_pkt(len, 1000 + i);

				ck_assert(memcmp(p + UDPW_HDR_LEN, plain + UDPW_HDR_LEN, 16));
				free(plain);
			}
			ck_assert(aead_open(&k, p, UDPW_OVERHEAD + len, &out));
			ck_assert_uint_eq(out, len);
			ck_assert_mem_eq(p, hdr, sizeof(hdr));
			check_pattern(p, len);
			free(p);
		}
		aead_key_clear(&k);
	}
}
END_TEST

/* Flip each bit of each byte of a sealed datagram: only the path id
 * (bytes 2-3) may change and still open, with the same plaintext. */
START_TEST(aead_every_bit_authenticated)
{
	static const size_t lens[] = { 1, 37 };

	for (size_t c = 0; c < NCIPHERS; c++) {
		struct aead_key k;

		key_init(&k, ciphers[c], 2);
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			size_t len = lens[i], dlen = UDPW_OVERHEAD + len, out;
			uint8_t *sealed = make_pkt(len, 42), *p = malloc(dlen);

			ck_assert_ptr_nonnull(p);
			ck_assert_uint_eq(aead_seal(&k, sealed, len), dlen);
			for (size_t pos = 0; pos < dlen; pos++) {
				for (unsigned bit = 0; bit < 8; bit++) {
					bool path = pos == 2 || pos == 3;

					memcpy(p, sealed, dlen);
					p[pos] ^= (uint8_t)(1u << bit);
					ck_assert_msg(aead_open(&k, p, dlen, &out) == path,
						      "%s len %zu byte %zu bit %u",
						      aead_cipher_name(ciphers[c]), len, pos, bit);
					if (path) {
						ck_assert_uint_eq(out, len);
						check_pattern(p, len);
					}
				}
			}
			/* the original still opens */
			memcpy(p, sealed, dlen);
			ck_assert(aead_open(&k, p, dlen, &out));
			free(p);
			free(sealed);
		}
		aead_key_clear(&k);
	}
}
END_TEST

START_TEST(aead_truncated)
{
	for (size_t c = 0; c < NCIPHERS; c++) {
		struct aead_key k;
		size_t len = 40, dlen = UDPW_OVERHEAD + len, out;
		uint8_t *sealed = make_pkt(len, 9);

		key_init(&k, ciphers[c], 3);
		ck_assert_uint_eq(aead_seal(&k, sealed, len), dlen);
		for (size_t cut = 0; cut < dlen; cut++) {
			uint8_t *p = dup_exact(sealed, cut);

			ck_assert_msg(!aead_open(&k, p, cut, &out), "cut %zu", cut);
			free(p);
		}
		free(sealed);
		aead_key_clear(&k);
	}
}
END_TEST

START_TEST(aead_wrong_key)
{
	uint8_t secret[AEAD_KEY_LEN];

	for (size_t c = 0; c < NCIPHERS; c++) {
		struct aead_key k, other, cross;
		size_t len = 100, dlen = UDPW_OVERHEAD + len, out;
		uint8_t *sealed = make_pkt(len, 77), *p;

		key_init(&k, ciphers[c], 4);
		ck_assert_uint_eq(aead_seal(&k, sealed, len), dlen);
		p = dup_exact(sealed, dlen);
		/* one bit of the secret differs */
		test_secret(secret, 4);
		secret[AEAD_KEY_LEN - 1] ^= 0x80;
		ck_assert_int_eq(aead_key_init(&other, ciphers[c], secret), 0);
		ck_assert(!aead_open(&other, p, dlen, &out));
		/* the same secret under the other cipher */
		memcpy(p, sealed, dlen);
		key_init(&cross, ciphers[(c + 1) % NCIPHERS], 4);
		ck_assert(!aead_open(&cross, p, dlen, &out));
		/* and the right one */
		memcpy(p, sealed, dlen);
		ck_assert(aead_open(&k, p, dlen, &out));
		check_pattern(p, len);
		aead_key_clear(&k);
		aead_key_clear(&other);
		aead_key_clear(&cross);
		free(p);
		free(sealed);
	}
}
END_TEST

START_TEST(aead_counter_changes_ciphertext)
{
	for (size_t c = 0; c < NCIPHERS; c++) {
		struct aead_key k;
		size_t len = 64, dlen = UDPW_OVERHEAD + len, out;
		uint8_t *a = make_pkt(len, 1), *b = make_pkt(len, 2), *again = make_pkt(len, 1);

		key_init(&k, ciphers[c], 5);
		ck_assert_uint_eq(aead_seal(&k, a, len), dlen);
		ck_assert_uint_eq(aead_seal(&k, b, len), dlen);
		ck_assert_uint_eq(aead_seal(&k, again, len), dlen);
		ck_assert(memcmp(a + UDPW_HDR_LEN, b + UDPW_HDR_LEN, len));
		ck_assert(memcmp(a + UDPW_HDR_LEN + len, b + UDPW_HDR_LEN + len, UDPW_TAG_LEN));
		/* deterministic: the nonce is the counter and nothing else */
		ck_assert_mem_eq(a, again, dlen);
		/* a counter swapped into another datagram's header fails */
		memcpy(b + 8, a + 8, 8);
		ck_assert(!aead_open(&k, b, dlen, &out));
		free(a);
		free(b);
		free(again);
		aead_key_clear(&k);
	}
}
END_TEST

/*
 * Known answers.  Key 00 01 .. 1f; header type 1, flags 0x05, path
 * 0xabcd, index 0x11223344, counter 0x0102; plaintext the 40 ASCII bytes
 * below.  So nonce = 00000000 0000000000000102 and additional data =
 * 01 05 11223344 0000000000000102.  Computed independently of GnuTLS and
 * nettle with Python's `cryptography' 48.0.0 (OpenSSL 3.0 backend):
 *   AESGCM(key).encrypt(nonce, pt, ad)
 *   ChaCha20Poly1305(key).encrypt(nonce, pt, ad)
 */
static const char kat_plain[] = "cloudvpn known-answer test: 40 bytes ok.";

static const uint8_t kat_aes_ct[40] = {
	0x6e, 0x44, 0x7f, 0xe3, 0x00, 0xea, 0x60, 0x3f, 0x06, 0x77, 0x07, 0x6a,
	0xcc, 0x6e, 0x1a, 0x19, 0x8d, 0x65, 0xdf, 0xeb, 0xde, 0x65, 0xfd, 0x50,
	0xe7, 0xac, 0xa2, 0x44, 0x52, 0x07, 0x20, 0xaf, 0xa6, 0xdb, 0xc7, 0xa2,
	0xd7, 0x9b, 0x78, 0xfa,
};
static const uint8_t kat_aes_tag[UDPW_TAG_LEN] = {
	0xf9, 0x48, 0x90, 0x61, 0xfc, 0x46, 0xc4, 0xc5,
	0xb5, 0x1c, 0x27, 0x12, 0x55, 0x3b, 0x7a, 0xbc,
};
static const uint8_t kat_chacha_ct[40] = {
	0xe0, 0x54, 0xad, 0x71, 0x40, 0x7b, 0x04, 0x18, 0xce, 0x67, 0x7b, 0x71,
	0x3e, 0x81, 0x40, 0x82, 0xb3, 0x33, 0xe3, 0x0c, 0x12, 0x6e, 0x7b, 0x4c,
	0x88, 0xc6, 0x20, 0x6f, 0x14, 0x1e, 0x9b, 0x24, 0x4b, 0x1c, 0x2a, 0x22,
	0xef, 0x59, 0x84, 0xfb,
};
static const uint8_t kat_chacha_tag[UDPW_TAG_LEN] = {
	0x08, 0xdb, 0x05, 0x8d, 0x3a, 0x25, 0x87, 0x58,
	0xf6, 0xaa, 0xce, 0xfe, 0x9b, 0xdd, 0x9d, 0x02,
};

static void known_answer(uint8_t cipher, const uint8_t *ct, const uint8_t *tag)
{
	enum { LEN = sizeof(kat_plain) - 1 };
	uint8_t secret[AEAD_KEY_LEN], *p = malloc(UDPW_OVERHEAD + LEN);
	struct aead_key k;
	size_t out;

	ck_assert_ptr_nonnull(p);
	for (unsigned i = 0; i < AEAD_KEY_LEN; i++)
		secret[i] = (uint8_t)i;
	ck_assert_int_eq(aead_key_init(&k, cipher, secret), 0);
	put_hdr(p, UDPW_DATA, UDPW_F_EPOCH | UDPW_F_ORDER, 0xabcd, 0x11223344, 0x0102);
	memcpy(p + UDPW_HDR_LEN, kat_plain, LEN);
	ck_assert_uint_eq(aead_seal(&k, p, LEN), UDPW_OVERHEAD + LEN);
	ck_assert_mem_eq(p + UDPW_HDR_LEN, ct, LEN);
	ck_assert_mem_eq(p + UDPW_HDR_LEN + LEN, tag, UDPW_TAG_LEN);
	ck_assert(aead_open(&k, p, UDPW_OVERHEAD + LEN, &out));
	ck_assert_uint_eq(out, LEN);
	ck_assert_mem_eq(p + UDPW_HDR_LEN, kat_plain, LEN);
	aead_key_clear(&k);
	free(p);
}

START_TEST(aead_known_answer_aes256gcm)
{
	known_answer(UDPW_AES256GCM, kat_aes_ct, kat_aes_tag);
}
END_TEST

START_TEST(aead_known_answer_chacha20poly1305)
{
	known_answer(UDPW_CHACHA20POLY1305, kat_chacha_ct, kat_chacha_tag);
}
END_TEST

START_TEST(aead_unknown_cipher)
{
	static const uint8_t bad[] = { 0, 3, 0x7f, 0xff };
	uint8_t secret[AEAD_KEY_LEN] = { 0 };
	struct aead_key k;

	for (size_t i = 0; i < sizeof(bad); i++) {
		memset(&k, 0x55, sizeof(k));
		ck_assert_int_eq(aead_key_init(&k, bad[i], secret), -EINVAL);
		ck_assert(!aead_key_set(&k));
		ck_assert_str_eq(aead_cipher_name(bad[i]), "?");
	}
	ck_assert_str_eq(aead_cipher_name(UDPW_AES256GCM), "aes-256-gcm");
	ck_assert_str_eq(aead_cipher_name(UDPW_CHACHA20POLY1305), "chacha20-poly1305");
}
END_TEST

START_TEST(aead_cleared_key)
{
	static const struct aead_key zero;
	size_t len = 20, out;
	uint8_t *p = make_pkt(len, 3);
	struct aead_key k;

	key_init(&k, UDPW_AES256GCM, 6);
	ck_assert_uint_eq(aead_seal(&k, p, len), UDPW_OVERHEAD + len);
	aead_key_clear(&k);
	ck_assert(!aead_key_set(&k));
	ck_assert(!memcmp(&k, &zero, sizeof(k)));
	ck_assert(!aead_open(&k, p, UDPW_OVERHEAD + len, &out));
	ck_assert_uint_eq(aead_seal(&k, p, len), 0);
	aead_key_clear(&k);		/* twice is harmless */
	free(p);
}
END_TEST

static Suite *aead_suite(void)
{
	Suite *s = suite_create("aead");
	TCase *tc = tcase_create("aead");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, aead_roundtrip);
	tcase_add_test(tc, aead_every_bit_authenticated);
	tcase_add_test(tc, aead_truncated);
	tcase_add_test(tc, aead_wrong_key);
	tcase_add_test(tc, aead_counter_changes_ciphertext);
	tcase_add_test(tc, aead_known_answer_aes256gcm);
	tcase_add_test(tc, aead_known_answer_chacha20poly1305);
	tcase_add_test(tc, aead_unknown_cipher);
	tcase_add_test(tc, aead_cleared_key);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(aead_suite());
}
