/*
 * testutil.h - what every check program shares: running its suite (so that
 * each prints check's summary line and exits non-zero on any failure), and
 * exact-size copies of buffers (so that ASan and valgrind catch a decoder
 * reading one byte past its input).
 */
#ifndef CLOUDVPN_TESTUTIL_H
#define CLOUDVPN_TESTUTIL_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline int check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* An exact-size heap copy of buf (a 1-byte allocation for len 0). */
static inline uint8_t *dup_exact(const uint8_t *buf, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	if (len)
		memcpy(p, buf, len);
	return p;
}

#endif
