/*
 * check_ctlproto.c - unit tests for lib/ctlproto.c: the request lines
 * cloudctl (or a script with socat) sends are understood, and anything
 * outside the grammar or its limits is refused with a reason.
 */
#include "config.h"
#include "ctlproto.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ctl_req req;
static char why[128];

/* Parse an exact-size heap copy, so overreads show up under valgrind. */
static bool parse_n(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);
	bool ok;

	ck_assert_ptr_nonnull(p);
	memcpy(p, s, len);
	why[0] = '\0';
	ok = ctl_parse_request(p, len, &req, why, sizeof(why));
	free(p);
	if (!ok)
		ck_assert_msg(why[0] != '\0', "failure without a reason");
	return ok;
}

static bool parse(const char *s)
{
	return parse_n(s, strlen(s));
}

/* A line of n words "w0 w1 ..." (after an optional prefix). */
static char *words(const char *prefix, int n)
{
	static char line[4 * CTL_LINE_MAX];
	size_t len = (size_t)snprintf(line, sizeof(line), "%s", prefix);
	int i;

	for (i = 0; i < n; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " w%d", i);
	return line;
}

START_TEST(simple_commands)
{
	ck_assert(parse("status\n"));
	ck_assert_str_eq(req.cmd, "status");
	ck_assert(!req.json);
	ck_assert_int_eq(req.argc, 0);
	ck_assert(parse("links"));		/* no newline: half-closed */
	ck_assert_str_eq(req.cmd, "links");
	ck_assert(parse("log-level debug link,route\n"));
	ck_assert_str_eq(req.cmd, "log-level");
	ck_assert_int_eq(req.argc, 2);
	ck_assert_str_eq(req.argv[0], "debug");
	ck_assert_str_eq(req.argv[1], "link,route");
}
END_TEST

START_TEST(blanks)
{
	ck_assert(parse(" \t status \t  arg1\t\targ2  \n"));
	ck_assert_str_eq(req.cmd, "status");
	ck_assert_int_eq(req.argc, 2);
	ck_assert_str_eq(req.argv[0], "arg1");
	ck_assert_str_eq(req.argv[1], "arg2");
}
END_TEST

START_TEST(flags)
{
	ck_assert(parse("-json status\n"));
	ck_assert(req.json);
	ck_assert_str_eq(req.cmd, "status");
	ck_assert(parse("-json -json links"));
	ck_assert(req.json);
	/* after the command a dash word is an argument */
	ck_assert(parse("log-level -json -x\n"));
	ck_assert(!req.json);
	ck_assert_int_eq(req.argc, 2);
	ck_assert_str_eq(req.argv[0], "-json");
	ck_assert_str_eq(req.argv[1], "-x");
	ck_assert(!parse("-x status\n"));
	ck_assert_str_eq(why, "unknown flag '-x'");
	ck_assert(!parse("-json -jsonx status\n"));
	ck_assert_str_eq(why, "unknown flag '-jsonx'");
	ck_assert(!parse("-JSON status\n"));
	ck_assert(!parse("- status\n"));
	ck_assert(!parse("--json status\n"));
	ck_assert(!parse("-json\n"));
	ck_assert(!parse("-json"));
}
END_TEST

START_TEST(empty)
{
	ck_assert(!parse(""));
	ck_assert_str_eq(why, "empty request");
	ck_assert(!parse("\n"));
	ck_assert_str_eq(why, "empty request");
	ck_assert(!parse("\r\n"));
	ck_assert(!parse(" \t \n"));
	ck_assert_str_eq(why, "empty request");
}
END_TEST

START_TEST(line_endings)
{
	ck_assert(parse("status\r\n"));
	ck_assert_str_eq(req.cmd, "status");
	ck_assert(parse("status x\r\n"));
	ck_assert_str_eq(req.argv[0], "x");
	/* only one terminator, and "\r" only before "\n" */
	ck_assert(!parse("status\n\n"));
	ck_assert(!parse("status\r"));
	ck_assert(!parse("status\r\r\n"));
	ck_assert(!parse("status\nlinks\n"));
	ck_assert(!parse("sta\rtus\n"));
}
END_TEST

START_TEST(bad_bytes)
{
	static const char bad[] = { 0x01, 0x08, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f,
				    (char)0x80, (char)0xc3, (char)0xff };
	char line[] = "status ?\n";
	size_t i;

	for (i = 0; i < sizeof(bad); i++) {
		line[7] = bad[i];
		ck_assert_msg(!parse(line), "byte %#x", (unsigned char)bad[i]);
	}
	ck_assert(!parse_n("status\0x\n", 9));
	ck_assert(!parse_n("status\n\0", 8));
	ck_assert(!parse_n("\0", 1));
	ck_assert(parse("status ~!\"#$%&'()*+,./:;<=>?@[\\]^_`{|}\n"));
	ck_assert_str_eq(req.argv[0], "~!\"#$%&'()*+,./:;<=>?@[\\]^_`{|}");
}
END_TEST

START_TEST(args_limit)
{
	int i;

	ck_assert(parse(words("cmd", CTL_ARGS_MAX)));
	ck_assert_int_eq(req.argc, CTL_ARGS_MAX);
	for (i = 0; i < CTL_ARGS_MAX; i++) {
		char w[16];

		snprintf(w, sizeof(w), "w%d", i);
		ck_assert_str_eq(req.argv[i], w);
	}
	ck_assert(!parse(words("cmd", CTL_ARGS_MAX + 1)));
	ck_assert(parse(words("-json cmd", CTL_ARGS_MAX)));
	ck_assert(!parse(words("-json cmd", CTL_ARGS_MAX + 1)));
}
END_TEST

START_TEST(word_limit)
{
	char line[2 * CTL_WORD_MAX + 16];

	memset(line, 'c', CTL_WORD_MAX);
	strcpy(line + CTL_WORD_MAX, "\n");
	ck_assert(parse(line));
	ck_assert_uint_eq(strlen(req.cmd), CTL_WORD_MAX);
	memset(line, 'c', CTL_WORD_MAX + 1);
	strcpy(line + CTL_WORD_MAX + 1, "\n");
	ck_assert(!parse(line));
	/* the same for an argument */
	strcpy(line, "cmd ");
	memset(line + 4, 'a', CTL_WORD_MAX);
	strcpy(line + 4 + CTL_WORD_MAX, "\n");
	ck_assert(parse(line));
	ck_assert_uint_eq(strlen(req.argv[0]), CTL_WORD_MAX);
	memset(line + 4, 'a', CTL_WORD_MAX + 1);
	strcpy(line + 4 + CTL_WORD_MAX + 1, "\n");
	ck_assert(!parse(line));
	/* and for a flag */
	line[0] = '-';
	memset(line + 1, 'j', CTL_WORD_MAX);
	strcpy(line + 1 + CTL_WORD_MAX, " status\n");
	ck_assert(!parse(line));
}
END_TEST

START_TEST(line_limit)
{
	char line[CTL_LINE_MAX + 2];

	/* the limit counts the bytes as sent, terminator included */
	memset(line, ' ', sizeof(line));
	memcpy(line, "status", 6);
	line[CTL_LINE_MAX - 1] = '\n';
	ck_assert(parse_n(line, CTL_LINE_MAX));
	line[CTL_LINE_MAX - 1] = ' ';
	ck_assert(parse_n(line, CTL_LINE_MAX));
	line[CTL_LINE_MAX] = '\n';
	ck_assert(!parse_n(line, CTL_LINE_MAX + 1));
	ck_assert(!parse_n(line, CTL_LINE_MAX + 2));
}
END_TEST

START_TEST(why_buffer)
{
	char small[4];

	memset(small, 'x', sizeof(small));
	ck_assert(!ctl_parse_request("-bogus x", 8, &req, small, sizeof(small)));
	ck_assert_str_eq(small, "unk");
	/* no reason buffer at all is fine */
	ck_assert(!ctl_parse_request("", 0, &req, NULL, 0));
	ck_assert(!ctl_parse_request("-x", 2, &req, small, 0));
	ck_assert_int_eq(small[0], 'u');
}
END_TEST

START_TEST(reparse_clears)
{
	ck_assert(parse("-json log-level debug link\n"));
	ck_assert(parse("status\n"));
	ck_assert(!req.json);
	ck_assert_int_eq(req.argc, 0);
	ck_assert_str_eq(req.argv[0], "");
}
END_TEST

static Suite *ctlproto_suite(void)
{
	Suite *s = suite_create("ctlproto");
	TCase *tc = tcase_create("grammar");
	TCase *tl = tcase_create("limits");

	tcase_add_test(tc, simple_commands);
	tcase_add_test(tc, blanks);
	tcase_add_test(tc, flags);
	tcase_add_test(tc, empty);
	tcase_add_test(tc, line_endings);
	tcase_add_test(tc, bad_bytes);
	tcase_add_test(tc, reparse_clears);
	suite_add_tcase(s, tc);
	tcase_add_test(tl, args_limit);
	tcase_add_test(tl, word_limit);
	tcase_add_test(tl, line_limit);
	tcase_add_test(tl, why_buffer);
	suite_add_tcase(s, tl);
	return s;
}

int main(void)
{
	return check_run(ctlproto_suite());
}
