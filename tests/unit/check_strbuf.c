/*
 * check_strbuf.c - unit tests for lib/strbuf.c: control-socket replies
 * come out whole however long they get, and names or reasons that came
 * from the network cannot break the JSON a script parses.
 */
#include "config.h"
#include "strbuf.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(empty_is_empty_string)
{
	struct strbuf sb;

	sb_init(&sb);
	ck_assert_ptr_nonnull(sb_str(&sb));
	ck_assert_str_eq(sb_str(&sb), "");
	ck_assert_uint_eq(sb.len, 0);
	sb_reset(&sb);
	ck_assert_str_eq(sb_str(&sb), "");
	sb_free(&sb);
	ck_assert_str_eq(sb_str(&sb), "");
	sb_free(&sb);		/* twice is harmless */
}
END_TEST

START_TEST(putc_puts)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, "");
	ck_assert_str_eq(sb_str(&sb), "");
	sb_putc(&sb, 'a');
	sb_puts(&sb, "bc");
	sb_putc(&sb, '\n');
	ck_assert_str_eq(sb_str(&sb), "abc\n");
	ck_assert_uint_eq(sb.len, 4);
	ck_assert(!sb.oom);
	sb_free(&sb);
}
END_TEST

START_TEST(growth_many_appends)
{
	struct strbuf sb;
	size_t i, reallocs = 0, cap = 0;

	sb_init(&sb);
	for (i = 0; i < 100000; i++) {
		sb_putc(&sb, (char)('a' + i % 26));
		if (sb.cap != cap) {
			reallocs++;
			cap = sb.cap;
		}
		ck_assert_uint_lt(sb.len, sb.cap);
	}
	ck_assert_uint_eq(sb.len, 100000);
	ck_assert_uint_eq(strlen(sb_str(&sb)), 100000);
	for (i = 0; i < 100000; i++)
		ck_assert_int_eq(sb.buf[i], 'a' + i % 26);
	/* geometric: a handful of reallocations, not one per append */
	ck_assert_uint_lt(reallocs, 20);
	ck_assert(!sb.oom);
	sb_free(&sb);
}
END_TEST

START_TEST(reset_keeps_memory)
{
	struct strbuf sb;
	char *buf;
	size_t cap;

	sb_init(&sb);
	sb_puts(&sb, "some text that is here");
	buf = sb.buf;
	cap = sb.cap;
	sb_reset(&sb);
	ck_assert_str_eq(sb_str(&sb), "");
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_ptr_eq(sb.buf, buf);
	ck_assert_uint_eq(sb.cap, cap);
	sb_puts(&sb, "new");
	ck_assert_str_eq(sb_str(&sb), "new");
	sb_free(&sb);
}
END_TEST

START_TEST(printf_basic)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_printf(&sb, "%s", "");
	ck_assert_str_eq(sb_str(&sb), "");
	sb_printf(&sb, "link %s rtt %d.%03d ms", "node-b", 12, 5);
	sb_putc(&sb, ';');
	sb_printf(&sb, " %zu bytes %llu", (size_t)42, 18446744073709551615ull);
	ck_assert_str_eq(sb_str(&sb),
			 "link node-b rtt 12.005 ms; 42 bytes 18446744073709551615");
	ck_assert_uint_eq(sb.len, strlen(sb_str(&sb)));
	sb_free(&sb);
}
END_TEST

START_TEST(printf_long)
{
	struct strbuf sb;
	char *big = malloc(5001);
	int i;

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 5000);
	big[5000] = '\0';
	sb_init(&sb);
	sb_puts(&sb, "<");
	sb_printf(&sb, "%s|%s", big, big);	/* much larger than the buffer */
	sb_puts(&sb, ">");
	ck_assert_uint_eq(sb.len, 10003);
	ck_assert_int_eq(sb.buf[0], '<');
	ck_assert_int_eq(sb.buf[5001], '|');
	ck_assert_int_eq(sb.buf[10002], '>');
	ck_assert_int_eq(sb.buf[10003], '\0');
	for (i = 0; i < 100; i++)
		sb_printf(&sb, "%d,", i);
	ck_assert_uint_eq(sb.len, strlen(sb_str(&sb)));
	ck_assert_str_eq(sb_str(&sb) + sb.len - 6, "98,99,");
	free(big);
	sb_free(&sb);
}
END_TEST

static void check_json(const char *in, const char *want)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_json_str(&sb, in);
	ck_assert_str_eq(sb_str(&sb), want);
	ck_assert_uint_eq(sb.len, strlen(want));
	sb_free(&sb);
}

START_TEST(json_plain)
{
	check_json("", "\"\"");
	check_json("node-a", "\"node-a\"");
	check_json("a b/c'd", "\"a b/c'd\"");
}
END_TEST

START_TEST(json_escapes)
{
	check_json("say \"hi\"", "\"say \\\"hi\\\"\"");
	check_json("C:\\dir\\", "\"C:\\\\dir\\\\\"");
	check_json("a\nb\rc\td", "\"a\\nb\\rc\\td\"");
	check_json("\x01", "\"\\u0001\"");
	check_json("\x1f\x1b\b\f", "\"\\u001f\\u001b\\u0008\\u000c\"");
	check_json("del\x7f!", "\"del\\u007f!\"");
	/* UTF-8 and other high bytes pass through untouched */
	check_json("caf\xc3\xa9 \xff", "\"caf\xc3\xa9 \xff\"");
	check_json("\"\\\"", "\"\\\"\\\\\\\"\"");
}
END_TEST

START_TEST(json_in_document)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, "{\"name\":");
	sb_json_str(&sb, "evil\",\"admin\":true,\"x\":\"");
	sb_putc(&sb, '}');
	ck_assert_str_eq(sb_str(&sb),
			 "{\"name\":\"evil\\\",\\\"admin\\\":true,\\\"x\\\":\\\"\"}");
	sb_free(&sb);
}
END_TEST

static Suite *strbuf_suite(void)
{
	Suite *s = suite_create("strbuf");
	TCase *tc = tcase_create("buffer");
	TCase *tj = tcase_create("json");

	tcase_add_test(tc, empty_is_empty_string);
	tcase_add_test(tc, putc_puts);
	tcase_add_test(tc, growth_many_appends);
	tcase_add_test(tc, reset_keeps_memory);
	tcase_add_test(tc, printf_basic);
	tcase_add_test(tc, printf_long);
	suite_add_tcase(s, tc);
	tcase_add_test(tj, json_plain);
	tcase_add_test(tj, json_escapes);
	tcase_add_test(tj, json_in_document);
	suite_add_tcase(s, tj);
	return s;
}

int main(void)
{
	return check_run(strbuf_suite());
}
