/*
 * check_options.c - cloud's option table: well formed, every default
 * valid, the example configurations valid against it, and the CloudVPN
 * names and reload flags users rely on.
 */
#include "config.h"

#include <check.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "options.h"
#include "testutil.h"

START_TEST(names_well_formed_and_unique)
{
	regex_t re;

	ck_assert_int_eq(regcomp(&re, "^[a-z][a-z0-9_-]*$", REG_EXTENDED | REG_NOSUB), 0);
	for (int i = 0; i < OPT_COUNT; i++) {
		const struct conf_opt *o = &cloud_options[i];
		ck_assert_msg(o->name, "option %d has no name", i);
		ck_assert_msg(regexec(&re, o->name, 0, NULL, 0) == 0, "bad name '%s'", o->name);
		ck_assert_msg(o->help && strlen(o->help) > 10, "'%s' has no help", o->name);
		ck_assert_msg(o->arg && *o->arg, "'%s' has no placeholder", o->name);
		for (int j = 0; j < i; j++)
			ck_assert_msg(strcmp(o->name, cloud_options[j].name), "'%s' twice", o->name);
	}
	regfree(&re);
}
END_TEST

START_TEST(defaults_parse)
{
	struct conf *c = conf_new(cloud_options, OPT_COUNT);
	struct conf_err err;

	ck_assert(conf_parse_buf(c, "t.cfg", "key k.pem\n", 10, &err));
	ck_assert_msg(conf_finish(c, &err), "%s", err.msg);
	ck_assert_uint_eq(conf_u64(c, OPT_CONN_KEEPALIVE), 5000000);
	ck_assert_uint_eq(conf_u64(c, OPT_CONN_TIMEOUT), 20000000);
	ck_assert_uint_eq(conf_u64(c, OPT_CONN_RETRY), 1000000);
	ck_assert_uint_eq(conf_u64(c, OPT_CONN_RETRY_MAX), 60000000);
	ck_assert_int_eq(conf_int(c, OPT_MAX_CONNECTIONS), 1024);
	ck_assert_int_eq(conf_int(c, OPT_LISTEN_BACKLOG), 32);
	ck_assert(conf_bool(c, OPT_TCP_NODELAY));
	ck_assert(!conf_bool(c, OPT_MLOCKALL));
	ck_assert_str_eq(conf_str(c, OPT_LOG_LEVEL), "info");
	ck_assert_ptr_nonnull(strstr(conf_str(c, OPT_TLS_PRIO), "VERS-TLS1.3"));
	ck_assert_ptr_null(conf_str(c, OPT_CTL));
	conf_free(c);
}
END_TEST

START_TEST(key_is_required)
{
	struct conf *c = conf_new(cloud_options, OPT_COUNT);
	struct conf_err err;

	ck_assert(conf_parse_buf(c, "t.cfg", "listen * 7000\n", 14, &err));
	ck_assert(!conf_finish(c, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "'key'"));
	conf_free(c);
}
END_TEST

/* CloudVPN users' configs keep working: same names, same repeatability. */
START_TEST(cloudvpn_names)
{
	static const char *const repeat[] = { "listen", "connect", "ca", "crl" };
	static const char *const scalar[] = { "key", "cert", "tls_prio_str", "max_connections",
		"listen_backlog", "conn_retry", "conn_timeout", "conn_keepalive",
		"comm_close_timeout", "tcp_nodelay", "user", "group", "chroot", "mlockall" };
	struct conf *c = conf_new(cloud_options, OPT_COUNT);

	for (size_t i = 0; i < sizeof(repeat) / sizeof(*repeat); i++) {
		int o = conf_find(c, repeat[i]);
		ck_assert_msg(o >= 0, "'%s' missing", repeat[i]);
		ck_assert(cloud_options[o].flags & CONF_REPEAT);
	}
	for (size_t i = 0; i < sizeof(scalar) / sizeof(*scalar); i++) {
		int o = conf_find(c, scalar[i]);
		ck_assert_msg(o >= 0, "'%s' missing", scalar[i]);
		ck_assert(!(cloud_options[o].flags & CONF_REPEAT));
	}
	/* what SIGHUP can change, and what it cannot */
	ck_assert(cloud_options[OPT_CONNECT].flags & CONF_RELOAD);
	ck_assert(cloud_options[OPT_CRL].flags & CONF_RELOAD);
	ck_assert(cloud_options[OPT_ALLOW].flags & CONF_RELOAD);
	ck_assert(!(cloud_options[OPT_LISTEN].flags & CONF_RELOAD));
	ck_assert(!(cloud_options[OPT_USER].flags & CONF_RELOAD));
	ck_assert(!(cloud_options[OPT_CTL].flags & CONF_RELOAD));
	conf_free(c);
}
END_TEST

static void check_example(const char *name)
{
	char path[1024];
	struct conf *c = conf_new(cloud_options, OPT_COUNT);
	struct conf_err err;

	snprintf(path, sizeof(path), "%s/examples/%s", SRCDIR, name);
	ck_assert_msg(conf_parse_file(c, path, &err), "%s", err.msg);
	ck_assert_msg(conf_finish(c, &err), "%s", err.msg);
	conf_free(c);
}

START_TEST(examples_are_valid)
{
	check_example("node-a.cfg");
	check_example("node-rawpk.cfg");
}
END_TEST

START_TEST(man_lists_every_option)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	conf_print_man(f, cloud_options, OPT_COUNT);
	fclose(f);
	for (int i = 0; i < OPT_COUNT; i++) {
		char needle[80];
		/* the troff escapes '-' in names; search the part before it */
		snprintf(needle, sizeof(needle), "%.*s", (int)strcspn(cloud_options[i].name, "-"),
			 cloud_options[i].name);
		ck_assert_msg(strstr(buf, needle), "man page lacks '%s'", cloud_options[i].name);
	}
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, names_well_formed_and_unique);
	tcase_add_test(tc, defaults_parse);
	tcase_add_test(tc, key_is_required);
	tcase_add_test(tc, cloudvpn_names);
	tcase_add_test(tc, examples_are_valid);
	tcase_add_test(tc, man_lists_every_option);
	suite_add_tcase(s, tc);
	return check_run(s);
}
