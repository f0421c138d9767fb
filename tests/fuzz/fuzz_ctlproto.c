/*
 * fuzz_ctlproto.c - libFuzzer target for lib/ctlproto.c: a request line
 * from any local client.  A request that parses must satisfy every limit
 * in ctlproto.h and parse to the same request once re-serialised; anything
 * else abort()s.  The reason buffer is sized from the input to exercise
 * truncation.
 */
#include "config.h"
#include "ctlproto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_word(const char *w)
{
	size_t i, n = strnlen(w, CTL_WORD_MAX + 1);

	check(n >= 1 && n <= CTL_WORD_MAX);
	for (i = 0; i < n; i++)
		check(w[i] > 0x20 && w[i] < 0x7f);
}

static void check_req(const struct ctl_req *r)
{
	char line[CTL_LINE_MAX + 1];
	struct ctl_req r2;
	size_t len = 0, n;
	int i;

	check_word(r->cmd);
	check(r->cmd[0] != '-');
	check(r->argc >= 0 && r->argc <= CTL_ARGS_MAX);
	if (r->json) {
		memcpy(line, "-json ", 6);
		len = 6;
	}
	n = strlen(r->cmd);
	memcpy(line + len, r->cmd, n);
	len += n;
	for (i = 0; i < r->argc; i++) {
		check_word(r->argv[i]);
		n = strlen(r->argv[i]);
		/* collapsed blanks: never longer than what was parsed */
		check(len + 1 + n <= CTL_LINE_MAX);
		line[len++] = ' ';
		memcpy(line + len, r->argv[i], n);
		len += n;
	}
	check(ctl_parse_request(line, len, &r2, NULL, 0));
	check(r2.json == r->json && r2.argc == r->argc &&
	      !strcmp(r2.cmd, r->cmd));
	for (i = 0; i < r->argc; i++)
		check(!strcmp(r2.argv[i], r->argv[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t why_len = size ? data[0] % 80 : 0;
	char *buf = malloc(size ? size : 1), *why = malloc(why_len + 1);
	struct ctl_req r;

	check(buf != NULL && why != NULL);
	buf[0] = '\0';		/* size 0: keep the compiler calm */
	if (size)
		memcpy(buf, data, size);
	memset(why, 'W', why_len + 1);
	if (ctl_parse_request(buf, size, &r, why, why_len))
		check_req(&r);
	else if (why_len)
		check(strnlen(why, why_len) < why_len &&
		      (why_len == 1 || why[0] != '\0'));
	check(why[why_len] == 'W');
	free(why);
	free(buf);
	return 0;
}
