/*
 * check_conf.c - unit tests for lib/conf.c: tokenizer, command line,
 * includes, converters, defaults, conf_same, formatting and every error
 * message (file:line and the offending text).  Fixtures live in
 * tests/unit/data/conf/; tests that need odd files (deep chains, FIFOs,
 * oversized files) make them in a mkdtemp directory.
 */
#include "config.h"
#include "conf.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SRCDIR
#define SRCDIR "."
#endif
#define DATA SRCDIR "/tests/unit/data/conf/"

enum {
	O_NAME, O_LISTEN, O_FLAG, O_CONNS, O_OFFSET, O_TIMEOUT, O_BUF,
	O_KEY, O_DASH, O_UNDER, O_DELAY, O_COUNT
};

static const struct conf_opt opts[O_COUNT] = {
	[O_NAME] = { "name", CONF_STR, 0, NULL, "NAME", "Node name.", 0, 0 },
	[O_LISTEN] = { "listen", CONF_STR, CONF_REPEAT, NULL, "ADDR PORT",
		"Accept links here.", 0, 0 },
	[O_FLAG] = { "tcp_nodelay", CONF_BOOL, CONF_RELOAD, "yes", "BOOL",
		"Disable Nagle's algorithm.", 0, 0 },
	[O_CONNS] = { "max_connections", CONF_INT, 0, "1024", "N",
		"Most links at once.", 1, 1000000 },
	[O_OFFSET] = { "offset", CONF_INT, 0, NULL, "N", "Any integer.", 0, 0 },
	[O_TIMEOUT] = { "conn_timeout", CONF_DURATION, CONF_RELOAD, "20s",
		"TIME", "Handshake time.", 10000, 3600000000LL },
	[O_BUF] = { "buffer", CONF_SIZE, 0, "64k", "SIZE", "Buffer size.",
		512, 1LL << 30 },
	[O_KEY] = { "key", CONF_STR, CONF_REQUIRED, NULL, "FILE",
		"Private key.", 0, 0 },
	[O_DASH] = { "conn-mtu", CONF_INT, 0, NULL, "N", "Dashed name.", 0, 0 },
	[O_UNDER] = { "conn_mtu", CONF_INT, 0, NULL, "N", "Underscored name.",
		0, 0 },
	[O_DELAY] = { "delay", CONF_DURATION, CONF_REPEAT | CONF_RELOAD, NULL,
		"TIME", "Repeatable duration.", 0, 0 },
};

static struct conf *new_conf(void)
{
	struct conf *c = conf_new(opts, O_COUNT);

	ck_assert_ptr_nonnull(c);
	return c;
}

/* Parse `text` as "test.cfg"; returns the conf, *ok the result. */
static struct conf *parse(const char *text, bool *ok, struct conf_err *err)
{
	struct conf *c = new_conf();

	memset(err, 0, sizeof(*err));
	*ok = conf_parse_buf(c, "test.cfg", text, strlen(text), err);
	return c;
}

static struct conf *parse_ok(const char *text)
{
	struct conf_err err;
	bool ok;
	struct conf *c = parse(text, &ok, &err);

	ck_assert_msg(ok, "unexpected error: %s", err.msg);
	return c;
}

/* Parse `text`, expect failure with all of the given substrings. */
static void expect_err(const char *text, const char *s1, const char *s2)
{
	struct conf_err err;
	bool ok;
	struct conf *c = parse(text, &ok, &err);

	ck_assert_msg(!ok, "no error for: %s", text);
	ck_assert_msg(strstr(err.msg, s1), "'%s' not in '%s'", s1, err.msg);
	if (s2)
		ck_assert_msg(strstr(err.msg, s2), "'%s' not in '%s'", s2,
			      err.msg);
	conf_free(c);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void make_tmpdir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/check_conf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Remove dir and the files in it (tests make no subdirectories). */
static void remove_tmpdir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ck_assert_int_eq(unlink(path), 0);
	}
	closedir(d);
	ck_assert_int_eq(rmdir(dir), 0);
}

/* ------------------------------------------------------------ tokenizer */

START_TEST(test_comments_blanks)
{
	struct conf *c = parse_ok("# comment\n\n   \t\n  # indented\n"
				  "\t# tabbed\nname  alpha  \n#last");

	ck_assert_str_eq(conf_str(c, O_NAME), "alpha");
	ck_assert_int_eq(conf_last(c, O_NAME)->line, 6);
	ck_assert_str_eq(conf_last(c, O_NAME)->file, "test.cfg");
	conf_free(c);
}
END_TEST

START_TEST(test_tabs_and_inner_blanks)
{
	struct conf *c = parse_ok("name\tbeta\t\nlisten \t x y  z \t\n");

	ck_assert_str_eq(conf_str(c, O_NAME), "beta");
	ck_assert_str_eq(conf_str(c, O_LISTEN), "x y  z");
	conf_free(c);
}
END_TEST

START_TEST(test_quotes)
{
	struct conf *c = parse_ok("listen \"  spaced  \"\nlisten \"\"\n"
				  "listen \"a\nlisten \"\nlisten \"a\" \"b\"\n"
				  "listen a#b\n");

	ck_assert_uint_eq(conf_count(c, O_LISTEN), 6);
	ck_assert_str_eq(conf_get(c, O_LISTEN, 0)->v.s, "  spaced  ");
	ck_assert_str_eq(conf_get(c, O_LISTEN, 1)->v.s, "");
	ck_assert_str_eq(conf_get(c, O_LISTEN, 2)->v.s, "\"a");
	ck_assert_str_eq(conf_get(c, O_LISTEN, 3)->v.s, "\"");
	ck_assert_str_eq(conf_get(c, O_LISTEN, 4)->v.s, "a\" \"b");
	ck_assert_str_eq(conf_get(c, O_LISTEN, 5)->v.s, "a#b");
	conf_free(c);
}
END_TEST

START_TEST(test_crlf)
{
	struct conf *c = parse_ok("name a\r\n\r\nlisten x 1 \r\n"
				  "conn_timeout 1s\r\n");
	struct conf_err err;

	ck_assert_str_eq(conf_str(c, O_NAME), "a");
	ck_assert_str_eq(conf_str(c, O_LISTEN), "x 1");
	ck_assert_uint_eq(conf_u64(c, O_TIMEOUT), 1000000);
	ck_assert_int_eq(conf_last(c, O_TIMEOUT)->line, 4);
	conf_free(c);

	c = new_conf();
	ck_assert_msg(conf_parse_file(c, DATA "crlf.cfg", &err), "%s",
		      err.msg);
	ck_assert_str_eq(conf_str(c, O_NAME), "crlf node");
	ck_assert_str_eq(conf_str(c, O_LISTEN), "1.2.3.4 655");
	ck_assert_uint_eq(conf_u64(c, O_TIMEOUT), 250000);
	ck_assert_int_eq(conf_last(c, O_TIMEOUT)->line, 5);
	conf_free(c);
}
END_TEST

START_TEST(test_empty_input)
{
	struct conf *c = parse_ok("");

	ck_assert_uint_eq(conf_count(c, O_NAME), 0);
	conf_free(c);
	c = parse_ok("\n\n# only comments\n");
	conf_free(c);
}
END_TEST

START_TEST(test_missing_value)
{
	expect_err("\nname\n", "test.cfg:2: option 'name'", "missing value");
	expect_err("name \t \r\n", "test.cfg:1: option 'name'",
		   "missing value");
	expect_err("@include\n", "test.cfg:1: option '@include'",
		   "missing value");
}
END_TEST

START_TEST(test_unknown_option)
{
	expect_err("\n\nfoo bar\n", "test.cfg:3: unknown option 'foo'", NULL);
	/* Names are exact: no case folding, '-' and '_' differ. */
	expect_err("Name x\n", "test.cfg:1: unknown option 'Name'", NULL);
	expect_err("conn.mtu 1\n", "unknown option 'conn.mtu'", NULL);
	expect_err("-name x\n", "unknown option '-name'", NULL);
}
END_TEST

START_TEST(test_exact_names)
{
	struct conf *c = parse_ok("conn-mtu 1400\nconn_mtu 1200\n");

	ck_assert_int_eq(conf_int(c, O_DASH), 1400);
	ck_assert_int_eq(conf_int(c, O_UNDER), 1200);
	ck_assert_int_eq(conf_find(c, "conn-mtu"), O_DASH);
	ck_assert_int_eq(conf_find(c, "conn_mtu"), O_UNDER);
	ck_assert_int_eq(conf_find(c, "conn_MTU"), -1);
	ck_assert_int_eq(conf_find(c, "@include"), -1);
	conf_free(c);
}
END_TEST

START_TEST(test_nul_byte)
{
	struct conf *c = new_conf();
	struct conf_err err;
	static const char text[] = "name a\nname b\0c\n";

	ck_assert(!conf_parse_buf(c, "nul.cfg", text, sizeof(text) - 1, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "nul.cfg:2: NUL byte"));
	conf_free(c);
}
END_TEST

/* ------------------------------------------------------------ values */

START_TEST(test_last_wins)
{
	struct conf *c = parse_ok("name a\nname b\nconn_timeout 1s\n"
				  "conn_timeout 2s\n");

	ck_assert_uint_eq(conf_count(c, O_NAME), 1);
	ck_assert_str_eq(conf_str(c, O_NAME), "b");
	ck_assert_int_eq(conf_last(c, O_NAME)->line, 2);
	ck_assert_uint_eq(conf_count(c, O_TIMEOUT), 1);
	ck_assert_uint_eq(conf_u64(c, O_TIMEOUT), 2000000);
	conf_free(c);
}
END_TEST

START_TEST(test_repeatable)
{
	struct conf *c = parse_ok("listen a 1\nname n\nlisten b 2\n"
				  "delay 1s\nlisten c 3\ndelay 5ms\n");

	ck_assert_uint_eq(conf_count(c, O_LISTEN), 3);
	ck_assert_str_eq(conf_get(c, O_LISTEN, 0)->text, "a 1");
	ck_assert_str_eq(conf_get(c, O_LISTEN, 1)->text, "b 2");
	ck_assert_str_eq(conf_get(c, O_LISTEN, 2)->text, "c 3");
	ck_assert_int_eq(conf_get(c, O_LISTEN, 2)->line, 5);
	ck_assert_ptr_null(conf_get(c, O_LISTEN, 3));
	ck_assert_str_eq(conf_str(c, O_LISTEN), "c 3");
	ck_assert_uint_eq(conf_count(c, O_DELAY), 2);
	ck_assert_uint_eq(conf_get(c, O_DELAY, 0)->v.u, 1000000);
	ck_assert_uint_eq(conf_u64(c, O_DELAY), 5000);
	conf_free(c);
}
END_TEST

START_TEST(test_interned_files)
{
	struct conf *c = new_conf();
	struct conf_err err;
	char name[32];

	strcpy(name, "one.cfg");
	ck_assert(conf_parse_buf(c, name, "listen a\n", 9, &err));
	ck_assert(conf_parse_buf(c, "one.cfg", "listen b\n", 9, &err));
	strcpy(name, "clobbered");
	ck_assert_str_eq(conf_get(c, O_LISTEN, 0)->file, "one.cfg");
	ck_assert_ptr_eq(conf_get(c, O_LISTEN, 0)->file,
			 conf_get(c, O_LISTEN, 1)->file);
	conf_free(c);
}
END_TEST

START_TEST(test_unset_getters)
{
	struct conf *c = parse_ok("name n\nmax_connections 5\n");

	ck_assert_ptr_null(conf_str(c, O_KEY));
	ck_assert(!conf_bool(c, O_FLAG));
	ck_assert_int_eq(conf_int(c, O_OFFSET), 0);
	ck_assert_uint_eq(conf_u64(c, O_TIMEOUT), 0);
	ck_assert_ptr_null(conf_last(c, O_KEY));
	ck_assert_uint_eq(conf_count(c, -1), 0);
	ck_assert_uint_eq(conf_count(c, O_COUNT), 0);
	ck_assert_ptr_null(conf_get(c, O_COUNT, 0));
	ck_assert_ptr_null(conf_get(c, -1, 0));
	/* Wrong-type getters give the zero value; conf_str gives the text. */
	ck_assert_int_eq(conf_int(c, O_NAME), 0);
	ck_assert_uint_eq(conf_u64(c, O_CONNS), 0);
	ck_assert_str_eq(conf_str(c, O_CONNS), "5");
	conf_free(c);
}
END_TEST

/* ------------------------------------------------------------ command line */

START_TEST(test_args_rest)
{
	char *argv[] = { "cloud", "/run/gate.sock", "-name", "n1",
			 "--check-config", "-listen", "a 1", "--", "x",
			 "-offset", "-3", NULL };
	struct conf *c = new_conf();
	const char *rest[8];
	size_t nrest = 99;
	struct conf_err err;

	ck_assert_msg(conf_parse_args(c, 11, argv, rest, 8, &nrest, &err),
		      "%s", err.msg);
	ck_assert_uint_eq(nrest, 4);
	ck_assert_str_eq(rest[0], "/run/gate.sock");
	ck_assert_str_eq(rest[1], "--check-config");
	ck_assert_str_eq(rest[2], "--");
	ck_assert_str_eq(rest[3], "x");
	ck_assert_str_eq(conf_str(c, O_NAME), "n1");
	ck_assert_str_eq(conf_last(c, O_NAME)->file, "command line");
	ck_assert_int_eq(conf_last(c, O_NAME)->line, 0);
	ck_assert_str_eq(conf_str(c, O_LISTEN), "a 1");
	ck_assert_int_eq(conf_int(c, O_OFFSET), -3);
	conf_free(c);
}
END_TEST

START_TEST(test_args_empty)
{
	char *argv[] = { "cloud", NULL };
	struct conf *c = new_conf();
	size_t nrest = 5;
	struct conf_err err;

	ck_assert(conf_parse_args(c, 1, argv, NULL, 0, &nrest, &err));
	ck_assert_uint_eq(nrest, 0);
	conf_free(c);
}
END_TEST

START_TEST(test_args_too_many)
{
	char *argv[] = { "cloud", "a", "b", "c", NULL };
	struct conf *c = new_conf();
	const char *rest[2];
	size_t nrest;
	struct conf_err err;

	ck_assert(!conf_parse_args(c, 4, argv, rest, 2, &nrest, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "command line: too many"));
	ck_assert_ptr_nonnull(strstr(err.msg, "'c'"));
	ck_assert_uint_eq(nrest, 2);
	conf_free(c);
}
END_TEST

/* Run argv (NULL-terminated) and expect an error containing s1 and s2. */
static void args_err(char **argv, const char *s1, const char *s2)
{
	struct conf *c = new_conf();
	const char *rest[4];
	size_t nrest;
	struct conf_err err;
	int argc = 0;

	while (argv[argc])
		argc++;
	ck_assert(!conf_parse_args(c, argc, argv, rest, 4, &nrest, &err));
	ck_assert_msg(strstr(err.msg, s1), "'%s' not in '%s'", s1, err.msg);
	if (s2)
		ck_assert_msg(strstr(err.msg, s2), "'%s' not in '%s'", s2,
			      err.msg);
	conf_free(c);
}

START_TEST(test_args_errors)
{
	char *missing[] = { "cloud", "-name", NULL };
	char *unknown[] = { "cloud", "-foo", "1", NULL };
	char *dash[] = { "cloud", "-", NULL };
	char *bad[] = { "cloud", "-conn_timeout", "10x", NULL };
	char *range[] = { "cloud", "-max_connections", "0", NULL };
	char *inc_missing[] = { "cloud", "-@include", NULL };
	char *inc_enoent[] = { "cloud", "-@include", "/nonexistent/x.cfg",
			       NULL };

	args_err(missing, "command line: option '-name': missing value", NULL);
	args_err(unknown, "command line: unknown option '-foo'", NULL);
	args_err(dash, "command line: unknown option '-'", NULL);
	args_err(bad, "command line: option 'conn_timeout': bad duration '10x'",
		 NULL);
	args_err(range, "command line: option 'max_connections': '0' out of "
		 "range (1..1000000)", NULL);
	args_err(inc_missing, "command line: option '-@include': missing value",
		 NULL);
	args_err(inc_enoent, "command line: @include '/nonexistent/x.cfg'",
		 strerror(ENOENT));
}
END_TEST

START_TEST(test_args_include)
{
	char *argv[] = { "cloud", "-name", "first", "-@include",
			 DATA "main.cfg", "-listen", "last 1", NULL };
	struct conf *c = new_conf();
	const char *rest[2];
	size_t nrest;
	struct conf_err err;

	ck_assert_msg(conf_parse_args(c, 7, argv, rest, 2, &nrest, &err), "%s",
		      err.msg);
	ck_assert_str_eq(conf_str(c, O_NAME), "main-node");
	ck_assert_str_eq(conf_last(c, O_NAME)->file, DATA "main.cfg");
	ck_assert_uint_eq(conf_count(c, O_LISTEN), 4);
	ck_assert_str_eq(conf_str(c, O_LISTEN), "last 1");
	ck_assert_str_eq(conf_last(c, O_LISTEN)->file, "command line");
	conf_free(c);
}
END_TEST

/* ------------------------------------------------------------ includes */

START_TEST(test_include_relative)
{
	struct conf *c = new_conf();
	struct conf_err err;
	const struct conf_value *v;

	ck_assert_msg(conf_parse_file(c, DATA "main.cfg", &err), "%s", err.msg);
	ck_assert_str_eq(conf_str(c, O_NAME), "main-node");
	ck_assert_uint_eq(conf_count(c, O_LISTEN), 3);
	v = conf_get(c, O_LISTEN, 0);
	ck_assert_str_eq(v->text, "[::] 656");
	ck_assert_str_eq(v->file, DATA "sub/inc.cfg");
	ck_assert_int_eq(v->line, 2);
	v = conf_get(c, O_LISTEN, 1);
	ck_assert_str_eq(v->text, "10.0.0.1 657");
	ck_assert_str_eq(v->file, DATA "sub/inc2.cfg");
	ck_assert_int_eq(v->line, 2);
	v = conf_get(c, O_LISTEN, 2);
	ck_assert_str_eq(v->file, DATA "main.cfg");
	ck_assert_int_eq(v->line, 5);
	ck_assert_uint_eq(conf_u64(c, O_TIMEOUT), 30000000);
	conf_free(c);
}
END_TEST

START_TEST(test_include_from_buf)
{
	struct conf *c = new_conf();
	struct conf_err err;
	static const char text[] = "@include \"sub/inc2.cfg\"\n";

	ck_assert_msg(conf_parse_buf(c, DATA "virtual.cfg", text,
				     strlen(text), &err), "%s", err.msg);
	ck_assert_str_eq(conf_str(c, O_LISTEN), "10.0.0.1 657");
	conf_free(c);
}
END_TEST

START_TEST(test_include_diamond)
{
	struct conf *c = new_conf();
	struct conf_err err;

	ck_assert_msg(conf_parse_file(c, DATA "diamond.cfg", &err), "%s",
		      err.msg);
	ck_assert_uint_eq(conf_count(c, O_LISTEN), 2);
	conf_free(c);
}
END_TEST

/* dir/dNN.cfg includes dNN+1.cfg, up to d17.cfg which sets `name`. */
static void make_chain(const char *dir)
{
	char path[PATH_MAX], text[64];

	for (int i = 1; i <= 17; i++) {
		snprintf(path, sizeof(path), "%s/d%02d.cfg", dir, i);
		if (i < 17)
			snprintf(text, sizeof(text),
				 "# %d\n@include d%02d.cfg\n", i, i + 1);
		else
			snprintf(text, sizeof(text), "name deep\n");
		write_file(path, text);
	}
}

START_TEST(test_include_depth)
{
	char dir[64], path[PATH_MAX], text[PATH_MAX + 16];
	struct conf_err err;
	struct conf *c;

	make_tmpdir(dir, sizeof(dir));
	make_chain(dir);

	/* d01 is at depth 0, so d17 is 16 includes deep: allowed. */
	c = new_conf();
	snprintf(path, sizeof(path), "%s/d01.cfg", dir);
	ck_assert_msg(conf_parse_file(c, path, &err), "%s", err.msg);
	ck_assert_str_eq(conf_str(c, O_NAME), "deep");
	conf_free(c);

	/* One more level: the 17th include fails, naming d16.cfg:2. */
	c = new_conf();
	snprintf(text, sizeof(text), "@include %s\n", path);
	ck_assert(!conf_parse_buf(c, "top.cfg", text, strlen(text), &err));
	snprintf(path, sizeof(path), "%s/d16.cfg:2: @include 'd17.cfg'", dir);
	ck_assert_msg(strstr(err.msg, path), "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "nested deeper than 16"));
	ck_assert_ptr_null(conf_str(c, O_NAME));
	conf_free(c);
	remove_tmpdir(dir);
}
END_TEST

START_TEST(test_include_depth_args)
{
	char dir[64], p1[PATH_MAX], p2[PATH_MAX];
	char *argv[] = { "cloud", "-@include", p1, NULL };
	struct conf_err err;
	size_t nrest;
	struct conf *c;

	make_tmpdir(dir, sizeof(dir));
	make_chain(dir);
	/* From the command line the first file is already one level deep. */
	snprintf(p1, sizeof(p1), "%s/d02.cfg", dir);
	c = new_conf();
	ck_assert_msg(conf_parse_args(c, 3, argv, NULL, 0, &nrest, &err), "%s",
		      err.msg);
	conf_free(c);
	snprintf(p1, sizeof(p1), "%s/d01.cfg", dir);
	c = new_conf();
	ck_assert(!conf_parse_args(c, 3, argv, NULL, 0, &nrest, &err));
	snprintf(p2, sizeof(p2), "%s/d16.cfg:2:", dir);
	ck_assert_msg(strstr(err.msg, p2), "%s", err.msg);
	conf_free(c);
	remove_tmpdir(dir);
}
END_TEST

START_TEST(test_include_cycle)
{
	struct conf *c = new_conf();
	struct conf_err err;

	ck_assert(!conf_parse_file(c, DATA "cycle_a.cfg", &err));
	ck_assert_msg(strstr(err.msg, DATA "cycle_b.cfg:3: @include "
			     "'cycle_a.cfg': include cycle: "), "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "cycle_a.cfg -> " DATA "cycle_b.cfg -> "
			     DATA "cycle_a.cfg"), "%s", err.msg);
	conf_free(c);

	c = new_conf();
	ck_assert(!conf_parse_file(c, DATA "self.cfg", &err));
	ck_assert_msg(strstr(err.msg, "self.cfg:1: @include 'self.cfg': "
			     "include cycle: " DATA "self.cfg -> " DATA
			     "self.cfg"), "%s", err.msg);
	conf_free(c);
}
END_TEST

START_TEST(test_include_cycle_buf)
{
	struct conf *c = new_conf();
	struct conf_err err;
	char dir[64], path[PATH_MAX], name[PATH_MAX];

	/* A buffer has no inode: it is recognised by its name. */
	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/b.cfg", dir);
	write_file(path, "@include a.cfg\n");
	snprintf(name, sizeof(name), "%s/a.cfg", dir);
	ck_assert(!conf_parse_buf(c, name, "@include b.cfg\n", 15, &err));
	ck_assert_msg(strstr(err.msg, "include cycle: "), "%s", err.msg);
	conf_free(c);
	remove_tmpdir(dir);
}
END_TEST

START_TEST(test_include_missing)
{
	struct conf *c = new_conf();
	struct conf_err err;

	ck_assert(!conf_parse_file(c, DATA "missing_inc.cfg", &err));
	ck_assert_msg(strstr(err.msg, DATA "missing_inc.cfg:3: @include "
			     "'nope.cfg': " DATA "nope.cfg: "), "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, strerror(ENOENT)));
	/* What was read before the error stays set, and is freed. */
	ck_assert_str_eq(conf_str(c, O_NAME), "x");
	conf_free(c);

	c = new_conf();
	ck_assert(!conf_parse_file(c, "/nonexistent/top.cfg", &err));
	ck_assert_str_eq(err.msg, "/nonexistent/top.cfg: No such file or "
			 "directory");
	conf_free(c);
}
END_TEST

START_TEST(test_include_error_inside)
{
	struct conf *c = new_conf();
	struct conf_err err;

	ck_assert(!conf_parse_file(c, DATA "bad_inner.cfg", &err));
	ck_assert_str_eq(err.msg, DATA "sub/bad.cfg:2: option 'conn_timeout': "
			 "bad duration '10x'");
	conf_free(c);
}
END_TEST

START_TEST(test_include_not_regular)
{
	char dir[64], fifo[PATH_MAX], text[PATH_MAX + 16];
	struct conf_err err;
	struct conf *c;

	expect_err("@include /dev/null\n", "test.cfg:1: @include '/dev/null'",
		   "/dev/null: not a regular file");
	expect_err("\n@include /\n", "test.cfg:2: @include '/'",
		   "not a regular file");

	/* A FIFO with no writer must not block. */
	make_tmpdir(dir, sizeof(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	snprintf(text, sizeof(text), "@include %s\n", fifo);
	expect_err(text, fifo, "not a regular file");
	c = new_conf();
	ck_assert(!conf_parse_file(c, dir, &err));
	ck_assert_msg(strstr(err.msg, "not a regular file"), "%s", err.msg);
	conf_free(c);
	remove_tmpdir(dir);
}
END_TEST

/* /proc files claim size 0: the reader must grow its buffer to EOF. */
START_TEST(test_include_proc)
{
	if (access("/proc/self/stat", R_OK) != 0)
		return;
	expect_err("@include /proc/self/stat\n",
		   "/proc/self/stat:1: unknown option '", NULL);
}
END_TEST

START_TEST(test_file_too_large)
{
	char dir[64], path[PATH_MAX];
	struct conf_err err;
	struct conf *c;
	FILE *f;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/big.cfg", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 1024 * 1024 / 16; i++)
		fputs("# 16 byte line\n\n", f);
	fclose(f);
	c = new_conf();
	ck_assert_msg(conf_parse_file(c, path, &err), "%s", err.msg);
	conf_free(c);

	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs("\n", f);
	fclose(f);
	c = new_conf();
	ck_assert(!conf_parse_file(c, path, &err));
	ck_assert_msg(strstr(err.msg, strerror(EFBIG)), "%s", err.msg);
	conf_free(c);
	remove_tmpdir(dir);
}
END_TEST

/* ------------------------------------------------------------ converters */

START_TEST(test_parse_bool)
{
	static const char *const yes[] = { "yes", "YES", "y", "Y", "true",
					   "True", "on", "ON", "1" };
	static const char *const no[] = { "no", "No", "n", "N", "false",
					  "FALSE", "off", "Off", "0" };
	static const char *const bad[] = { "", "2", "yess", " yes", "yes ",
					   "o", "nope", "01" };
	bool b;

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
		b = false;
		ck_assert_msg(conf_parse_bool(yes[i], &b) && b, "%s", yes[i]);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++) {
		b = true;
		ck_assert_msg(conf_parse_bool(no[i], &b) && !b, "%s", no[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(!conf_parse_bool(bad[i], &b), "%s", bad[i]);
}
END_TEST

START_TEST(test_parse_int)
{
	static const struct { const char *s; long long v; } good[] = {
		{ "42", 42 }, { "-3", -3 }, { "+7", 7 }, { "0", 0 },
		{ "-0", 0 }, { "007", 7 }, { "x1F", 31 }, { "0x1f", 31 },
		{ "0X1F", 31 }, { "X10", 16 }, { "-x10", -16 },
		{ "9223372036854775807", LLONG_MAX },
		{ "-9223372036854775808", LLONG_MIN },
		{ "0x7fffffffffffffff", LLONG_MAX },
		{ "-0x8000000000000000", LLONG_MIN },
	};
	static const char *const bad[] = {
		"", "-", "+", "x", "0x", "-x", "1 ", " 1", "1a", "0x1g",
		"--1", "+-1", "1.5", "9223372036854775808",
		"-9223372036854775809", "99999999999999999999999",
		"0xffffffffffffffff", "0x10000000000000000", "1e3", "0b1",
	};
	long long v;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		ck_assert_msg(conf_parse_int(good[i].s, &v), "%s", good[i].s);
		ck_assert_msg(v == good[i].v, "%s -> %lld", good[i].s, v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(!conf_parse_int(bad[i], &v), "%s", bad[i]);
}
END_TEST

START_TEST(test_parse_duration)
{
	static const struct { const char *s; uint64_t v; } good[] = {
		{ "250ms", 250000 }, { "10s", 10000000 }, { "5m", 300000000 },
		{ "1h", 3600000000ULL }, { "1500us", 1500 }, { "100", 100 },
		{ "1.5s", 1500000 }, { "0.5ms", 500 }, { "0", 0 }, { "0s", 0 },
		{ "1.25h", 4500000000ULL }, { "0.000001s", 1 },
		{ "2.500000000m", 150000000 },
		{ "18446744073709551615", UINT64_MAX },
		{ "18446744073709551615us", UINT64_MAX },
		{ "5124095576h", 5124095576ULL * 3600000000ULL },
	};
	static const char *const bad[] = {
		"", "s", "1.5", "-1s", "+1s", "10x", "1.s", ".5s", "1.0000001s",
		"1.5us", "1.0000000000s", "18446744073709551616",
		"5124095577h", "5124095576.1h", "10 s", "10S", "1h30m", "1sec",
		"1 ", "1e3s", "0x10s",
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		ck_assert_msg(conf_parse_duration(good[i].s, &v), "%s",
			      good[i].s);
		ck_assert_msg(v == good[i].v, "%s -> %llu", good[i].s,
			      (unsigned long long)v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(!conf_parse_duration(bad[i], &v), "%s", bad[i]);
}
END_TEST

START_TEST(test_parse_size)
{
	static const struct { const char *s; uint64_t v; } good[] = {
		{ "64k", 65536 }, { "64K", 65536 }, { "1M", 1048576 },
		{ "1MiB", 1048576 }, { "1MB", 1048576 },
		{ "2G", 2147483648ULL },
		{ "512B", 512 }, { "100", 100 }, { "1KiB", 1024 },
		{ "1kB", 1024 }, { "0", 0 }, { "0G", 0 },
		{ "17179869183G", 17179869183ULL << 30 },
		{ "18446744073709551615", UINT64_MAX },
	};
	static const char *const bad[] = {
		"", "B", "k", "1m", "1g", "1T", "1iB", "1.5M", "-1", "+1",
		"1 k", "1k ", "1KB2", "1Bk", "1MiBB", "17179869184G",
		"18446744073709551616", "0x10",
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		ck_assert_msg(conf_parse_size(good[i].s, &v), "%s", good[i].s);
		ck_assert_msg(v == good[i].v, "%s -> %llu", good[i].s,
			      (unsigned long long)v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(!conf_parse_size(bad[i], &v), "%s", bad[i]);
}
END_TEST

START_TEST(test_bad_value_messages)
{
	expect_err("tcp_nodelay maybe\n",
		   "test.cfg:1: option 'tcp_nodelay': bad boolean 'maybe'",
		   NULL);
	expect_err("\noffset 12abc\n",
		   "test.cfg:2: option 'offset': bad integer '12abc'", NULL);
	expect_err("buffer 1T\n", "test.cfg:1: option 'buffer': bad size '1T'",
		   NULL);
	expect_err("conn_timeout 10x\n",
		   "test.cfg:1: option 'conn_timeout': bad duration '10x'",
		   NULL);
	expect_err("offset 99999999999999999999\n",
		   "bad integer '99999999999999999999'", NULL);
}
END_TEST

START_TEST(test_ranges)
{
	struct conf *c;

	expect_err("max_connections 0\n", "test.cfg:1: option "
		   "'max_connections': '0' out of range (1..1000000)", NULL);
	expect_err("max_connections 1000001\n", "'1000001' out of range", NULL);
	expect_err("max_connections -5\n", "'-5' out of range", NULL);
	expect_err("conn_timeout 1ms\n", "option 'conn_timeout': '1ms' out of "
		   "range (10ms..1h)", NULL);
	expect_err("conn_timeout 18446744073709551615\n", "out of range", NULL);
	expect_err("buffer 100\n", "option 'buffer': '100' out of range "
		   "(512..1073741824)", NULL);
	expect_err("buffer 2G\n", "'2G' out of range", NULL);

	c = parse_ok("max_connections 1\nconn_timeout 10ms\nbuffer 512\n"
		     "offset -9223372036854775808\n");
	ck_assert_int_eq(conf_int(c, O_CONNS), 1);
	ck_assert_int_eq(conf_int(c, O_OFFSET), LLONG_MIN);
	conf_free(c);
	c = parse_ok("max_connections x0F4240\nconn_timeout 1h\nbuffer 1G\n");
	ck_assert_int_eq(conf_int(c, O_CONNS), 1000000);
	ck_assert_uint_eq(conf_u64(c, O_BUF), 1ULL << 30);
	conf_free(c);
}
END_TEST

/* ------------------------------------------------------------ finish */

START_TEST(test_defaults)
{
	struct conf *c = parse_ok("key k.pem\nmax_connections 7\n");
	struct conf_err err;
	const struct conf_value *v;

	ck_assert_msg(conf_finish(c, &err), "%s", err.msg);
	ck_assert_int_eq(conf_int(c, O_CONNS), 7);
	ck_assert_str_eq(conf_last(c, O_CONNS)->file, "test.cfg");
	v = conf_last(c, O_FLAG);
	ck_assert(conf_bool(c, O_FLAG));
	ck_assert_str_eq(v->file, "<default>");
	ck_assert_int_eq(v->line, 0);
	ck_assert_str_eq(v->text, "yes");
	ck_assert_uint_eq(conf_u64(c, O_TIMEOUT), 20000000);
	ck_assert_uint_eq(conf_u64(c, O_BUF), 65536);
	ck_assert_ptr_null(conf_str(c, O_NAME));
	ck_assert_uint_eq(conf_count(c, O_LISTEN), 0);
	/* Idempotent. */
	ck_assert(conf_finish(c, &err));
	ck_assert_uint_eq(conf_count(c, O_FLAG), 1);
	conf_free(c);
}
END_TEST

START_TEST(test_required)
{
	struct conf *c = parse_ok("name n\n");
	struct conf_err err;

	ck_assert(!conf_finish(c, &err));
	ck_assert_str_eq(err.msg, "missing required option 'key'");
	conf_free(c);
}
END_TEST

START_TEST(test_bad_default)
{
	static const struct conf_opt bad[] = {
		{ "ok", CONF_INT, 0, "1", "N", "Fine.", 0, 0 },
		{ "broken", CONF_DURATION, 0, "10x", "TIME", "Bad default.",
		  0, 0 },
	};
	static const struct conf_opt ranged[] = {
		{ "small", CONF_INT, 0, "100", "N", "Out of range.", 1, 10 },
	};
	static const struct conf_opt repeat[] = {
		{ "peer", CONF_STR, CONF_REPEAT, "localhost", "HOST", "Peer.",
		  0, 0 },
	};
	struct conf *c = conf_new(bad, 2);
	struct conf_err err;

	ck_assert(!conf_finish(c, &err));
	ck_assert_str_eq(err.msg,
			 "<default>: option 'broken': bad duration '10x'");
	conf_free(c);
	c = conf_new(ranged, 1);
	ck_assert(!conf_finish(c, &err));
	ck_assert_str_eq(err.msg, "<default>: option 'small': '100' out of "
			 "range (1..10)");
	conf_free(c);
	c = conf_new(repeat, 1);
	ck_assert(conf_finish(c, &err));
	ck_assert_uint_eq(conf_count(c, 0), 1);
	ck_assert_str_eq(conf_str(c, 0), "localhost");
	conf_free(c);
}
END_TEST

START_TEST(test_empty_table)
{
	struct conf *c = conf_new(NULL, 0);
	struct conf_err err;

	ck_assert_ptr_nonnull(c);
	ck_assert(conf_finish(c, &err));
	ck_assert(!conf_parse_buf(c, "e.cfg", "a b\n", 4, &err));
	ck_assert_str_eq(err.msg, "e.cfg:1: unknown option 'a'");
	conf_free(c);
	conf_free(NULL);
}
END_TEST

/* ------------------------------------------------------------ conf_same */

static bool same(const char *a, const char *b, int opt)
{
	struct conf *ca = parse_ok(a), *cb = parse_ok(b);
	bool r = conf_same(ca, cb, opt);

	ck_assert(conf_same(cb, ca, opt) == r);
	conf_free(ca);
	conf_free(cb);
	return r;
}

START_TEST(test_same)
{
	ck_assert(same("name a\n", "# other file\nname a\n", O_NAME));
	ck_assert(!same("name a\n", "name A\n", O_NAME));
	ck_assert(!same("name a\n", "", O_NAME));
	ck_assert(same("", "", O_NAME));
	ck_assert(same("listen a\nlisten b\n", "listen a\nlisten b\n",
		       O_LISTEN));
	ck_assert(!same("listen a\nlisten b\n", "listen b\nlisten a\n",
			O_LISTEN));
	ck_assert(!same("listen a\n", "listen a\nlisten a\n", O_LISTEN));
	ck_assert(same("offset x10\n", "offset 16\n", O_OFFSET));
	ck_assert(!same("offset 1\n", "offset -1\n", O_OFFSET));
	ck_assert(same("conn_timeout 1s\n", "conn_timeout 1000ms\n",
		       O_TIMEOUT));
	ck_assert(!same("conn_timeout 1s\n", "conn_timeout 2s\n", O_TIMEOUT));
	ck_assert(same("tcp_nodelay yes\n", "tcp_nodelay on\n", O_FLAG));
	ck_assert(!same("tcp_nodelay yes\n", "tcp_nodelay 0\n", O_FLAG));
	ck_assert(same("buffer 1k\n", "buffer 1024\n", O_BUF));
	ck_assert(same("delay 1s\ndelay 2s\n", "delay 1000ms\ndelay 2s\n",
		       O_DELAY));
}
END_TEST

/* ------------------------------------------------------------ formatting */

START_TEST(test_format_duration)
{
	static const struct { uint64_t us; const char *s; } cases[] = {
		{ 0, "0" }, { 1, "1us" }, { 1500, "1500us" },
		{ 250000, "250ms" }, { 1500000, "1500ms" }, { 10000000, "10s" },
		{ 90000000, "90s" }, { 60000000, "1m" },
		{ 3600000000ULL, "1h" },
		{ 7200000000ULL, "2h" }, { 5400000000ULL, "90m" },
		{ UINT64_MAX, "18446744073709551615us" },
	};
	char buf[32];
	uint64_t back;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		conf_format_duration(cases[i].us, buf, sizeof(buf));
		ck_assert_str_eq(buf, cases[i].s);
		ck_assert(conf_parse_duration(buf, &back));
		ck_assert(back == cases[i].us);
	}
	conf_format_duration(1500000, buf, 4);
	ck_assert_str_eq(buf, "150");
	buf[0] = 'z';
	conf_format_duration(1, buf, 0);
	ck_assert_int_eq(buf[0], 'z');
}
END_TEST

/* ------------------------------------------------------------ messages */

START_TEST(test_long_text_truncated)
{
	char text[4096];
	struct conf_err err;
	bool ok;
	struct conf *c;

	memcpy(text, "conn_timeout ", 13);
	memset(text + 13, '9', sizeof(text) - 15);
	memcpy(text + sizeof(text) - 2, "x", 2);
	c = parse(text, &ok, &err);
	ck_assert(!ok);
	ck_assert_uint_lt(strlen(err.msg), CONF_ERR_LEN);
	ck_assert_ptr_nonnull(strstr(err.msg, "test.cfg:1: option "
				     "'conn_timeout': bad duration '999"));
	conf_free(c);
}
END_TEST

START_TEST(test_control_chars_hidden)
{
	struct conf_err err;
	bool ok;
	struct conf *c = parse("offset 1\x1b[2J\n", &ok, &err);

	ck_assert(!ok);
	ck_assert_str_eq(err.msg,
			 "test.cfg:1: option 'offset': bad integer '1?[2J'");
	conf_free(c);
	/* A NULL err is allowed. */
	c = new_conf();
	ck_assert(!conf_parse_buf(c, "x", "bogus 1\n", 8, NULL));
	conf_free(c);
}
END_TEST

/* ------------------------------------------------------------ help, man */

static char *capture(void (*print)(FILE *, const struct conf_opt *, size_t),
		     const struct conf_opt *table, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	print(f, table, n);
	fclose(f);
	ck_assert_ptr_nonnull(out);
	return out;
}

START_TEST(test_print_help)
{
	static const struct conf_opt long_help[] = {
		{ "words", CONF_STR, CONF_REPEAT, "a b", "W",
		  "Lorem ipsum dolor sit amet, consectetur adipiscing elit, "
		  "sed do eiusmod tempor incididunt ut labore et dolore magna "
		  "aliqua. Ut enim ad minim veniam, quis nostrud "
		  "exercitation.", 0, 0 },
		{ "bare", CONF_BOOL, 0, NULL, NULL, NULL, 0, 0 },
	};
	char *out = capture(conf_print_help, opts, O_COUNT);

	ck_assert_ptr_nonnull(strstr(out,
				     "  -name NAME\n        Node name.\n"));
	ck_assert_ptr_nonnull(strstr(out, "  -listen ADDR PORT\n"));
	ck_assert_ptr_nonnull(strstr(out, "Accept links here. (repeatable)\n"));
	ck_assert_ptr_nonnull(strstr(out, "  -conn_timeout TIME\n        "
				     "Handshake time. (default: 20s) "
				     "(reloadable)\n"));
	ck_assert_ptr_nonnull(strstr(out, "Private key. (required)\n"));
	free(out);

	out = capture(conf_print_help, long_help, 2);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
		ck_assert_msg(strlen(line) <= 78, "too long: %s", line);
	free(out);
	out = capture(conf_print_help, long_help, 2);
	ck_assert_ptr_nonnull(strstr(out, "(default: a b) (repeatable)\n"));
	ck_assert_ptr_nonnull(strstr(out, "  -bare\n"));
	free(out);
}
END_TEST

START_TEST(test_print_man)
{
	static const struct conf_opt odd[] = {
		{ "odd-name", CONF_STR, CONF_RELOAD, "C:\\dir", "\"Q\" ARG",
		  ".starts with a dot\n'and a quote, back\\slash", 0, 0 },
		{ "plain", CONF_BOOL, 0, NULL, NULL, "Plain.", 0, 0 },
	};
	char *out = capture(conf_print_man, opts, O_COUNT);

	ck_assert_ptr_nonnull(strstr(out, ".TP\n.BI \"conn_timeout\" \" \" "
				     "\"TIME\"\nHandshake time. (default: "
				     "20s) (reloadable)\n"));
	ck_assert_ptr_nonnull(strstr(out, ".BI \"conn\\-mtu\" \" \" \"N\"\n"));
	ck_assert_ptr_nonnull(strstr(out, "Accept links here. (repeatable)\n"));
	free(out);

	out = capture(conf_print_man, odd, 2);
	ck_assert_ptr_nonnull(strstr(out, ".BI \"odd\\-name\" \" \" "
				     "\"\\(dqQ\\(dq ARG\"\n"));
	ck_assert_ptr_nonnull(strstr(out, "\n\\&.starts with a dot\n"
				     "\\&'and a quote, back\\eslash "
				     "(default: C:\\edir) (reloadable)\n"));
	ck_assert_ptr_nonnull(strstr(out, ".TP\n.B \"plain\"\nPlain.\n"));
	free(out);
}
END_TEST

static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("tokenizer");
	tcase_add_test(tc, test_comments_blanks);
	tcase_add_test(tc, test_tabs_and_inner_blanks);
	tcase_add_test(tc, test_quotes);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_empty_input);
	tcase_add_test(tc, test_missing_value);
	tcase_add_test(tc, test_unknown_option);
	tcase_add_test(tc, test_exact_names);
	tcase_add_test(tc, test_nul_byte);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, test_last_wins);
	tcase_add_test(tc, test_repeatable);
	tcase_add_test(tc, test_interned_files);
	tcase_add_test(tc, test_unset_getters);
	suite_add_tcase(s, tc);

	tc = tcase_create("command_line");
	tcase_add_test(tc, test_args_rest);
	tcase_add_test(tc, test_args_empty);
	tcase_add_test(tc, test_args_too_many);
	tcase_add_test(tc, test_args_errors);
	tcase_add_test(tc, test_args_include);
	suite_add_tcase(s, tc);

	tc = tcase_create("include");
	tcase_add_test(tc, test_include_relative);
	tcase_add_test(tc, test_include_from_buf);
	tcase_add_test(tc, test_include_diamond);
	tcase_add_test(tc, test_include_depth);
	tcase_add_test(tc, test_include_depth_args);
	tcase_add_test(tc, test_include_cycle);
	tcase_add_test(tc, test_include_cycle_buf);
	tcase_add_test(tc, test_include_missing);
	tcase_add_test(tc, test_include_error_inside);
	tcase_add_test(tc, test_include_not_regular);
	tcase_add_test(tc, test_include_proc);
	tcase_add_test(tc, test_file_too_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("converters");
	tcase_add_test(tc, test_parse_bool);
	tcase_add_test(tc, test_parse_int);
	tcase_add_test(tc, test_parse_duration);
	tcase_add_test(tc, test_parse_size);
	tcase_add_test(tc, test_bad_value_messages);
	tcase_add_test(tc, test_ranges);
	suite_add_tcase(s, tc);

	tc = tcase_create("finish");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_required);
	tcase_add_test(tc, test_bad_default);
	tcase_add_test(tc, test_empty_table);
	suite_add_tcase(s, tc);

	tc = tcase_create("same");
	tcase_add_test(tc, test_same);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_format_duration);
	tcase_add_test(tc, test_long_text_truncated);
	tcase_add_test(tc, test_control_chars_hidden);
	tcase_add_test(tc, test_print_help);
	tcase_add_test(tc, test_print_man);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(conf_suite());
}
