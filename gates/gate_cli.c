/*
 * gate_cli.c - the command line the gates share (see gate_cli.h): the
 * positional socket argument, the --flags, the checks every gate needs,
 * logging set-up and the privilege drop.  Owns no option table: each gate
 * keeps its own and passes it in its gate_cli_spec.  Logs nothing but
 * what the command line asked for and its errors.
 */
#include "config.h"
#include "gate_cli.h"

#include <stdarg.h>
#include <string.h>
#include <sys/un.h>

#include "caps.h"
#include "log.h"

#define MAX_REST 8		/* positional arguments and flags */
#define ERR_LEN 600

enum cli_flag { F_NONE, F_HELP, F_VERSION, F_MAN, F_CHECK };

static const char *const flag_names[] = {
	[F_HELP] = "--help", [F_VERSION] = "--version", [F_MAN] = "--man-options",
	[F_CHECK] = "--check-config",
};

const char *gate_cli_where(const struct conf_value *v, char *buf, size_t len)
{
	if (v->line > 0)
		snprintf(buf, len, "%s:%d", v->file, v->line);
	else
		snprintf(buf, len, "%s", v->file);
	return buf;
}

bool gate_cli_bad(const struct conf_value *v, const char *name, char *err, size_t errlen,
		  const char *fmt, ...)
{
	char at[300], what[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: option '%s': %s", gate_cli_where(v, at, sizeof(at)), name,
		 what);
	return false;
}

static void usage(const struct gate_cli_spec *s, FILE *f)
{
	fprintf(f, "usage: %s %s\n"
		"       %s --check-config [SOCKET] [-name value ...] [-@include FILE ...]\n"
		"       %s --help | --version | --man-options\n\n%s\nOptions:\n",
		s->prog, s->synopsis, s->prog, s->prog, s->about);
	conf_print_help(f, s->table, s->nopts);
}

/* One argument conf handed back: a --flag or the socket. */
static bool take_arg(const char *a, enum cli_flag *flag, const char **socket,
		     char *err, size_t errlen)
{
	if (strncmp(a, "--", 2)) {
		if (*socket) {
			snprintf(err, errlen, "command line: unexpected argument '%s' (the gate "
				 "socket is '%s'; options are '-name value')", a, *socket);
			return false;
		}
		*socket = a;
		return true;
	}
	for (size_t i = F_HELP; i <= F_CHECK; i++) {
		if (strcmp(a, flag_names[i]))
			continue;
		if (*flag != F_NONE) {
			snprintf(err, errlen, "command line: unexpected argument '%s'", a);
			return false;
		}
		*flag = (enum cli_flag)i;
		return true;
	}
	snprintf(err, errlen, "command line: unknown flag '%s'", a);
	return false;
}

/* What every gate checks: the socket path's length, log_level, debug. */
static bool common_check(const struct gate_cli_spec *s, const struct conf *c,
			 const char *socket, char *err, size_t errlen)
{
	const struct conf_value *v = conf_last(c, s->opt_log_level);
	unsigned saved = log_debug_mask;
	int level;
	bool ok;

	if (socket && strlen(socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "command line: gate socket path too long: '%s'", socket);
		return false;
	}
	if (!log_parse_level(v->v.s, &level))
		return gate_cli_bad(v, s->table[s->opt_log_level].name, err, errlen,
				    "unknown level '%s' (error, warning, info, debug)", v->v.s);
	v = conf_last(c, s->opt_debug);
	ok = log_set_debug(v->v.s);
	log_debug_mask = saved;
	if (!ok)
		return gate_cli_bad(v, s->table[s->opt_debug].name, err, errlen,
				    "unknown subsystem in '%s'", v->v.s);
	return true;
}

/* Parse argv into a configuration; NULL with err set. */
static struct conf *parse(const struct gate_cli_spec *s, int argc, char **argv,
			  enum cli_flag *flag, const char **socket, char *err, size_t errlen)
{
	struct conf *c = conf_new(s->table, s->nopts);
	const char *rest[MAX_REST];
	size_t nrest = 0;
	struct conf_err ce;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!conf_parse_args(c, argc, argv, rest, MAX_REST, &nrest, &ce))
		goto bad_conf;
	for (size_t i = 0; i < nrest; i++)
		if (!take_arg(rest[i], flag, socket, err, errlen))
			goto bad;
	if (*flag == F_HELP || *flag == F_VERSION || *flag == F_MAN)
		return c;	/* no need for a complete configuration */
	if (conf_finish(c, &ce))
		return c;
bad_conf:
	snprintf(err, errlen, "%s", ce.msg);
bad:
	conf_free(c);
	return NULL;
}

/* The run-time logging the configuration asks for. */
static void logging_start(const struct gate_cli_spec *s, const struct conf *c)
{
	log_parse_level(conf_str(c, s->opt_log_level), &log_level);
	log_set_debug(conf_str(c, s->opt_debug));
	log_init(s->prog, conf_bool(c, s->opt_syslog));
}

/* --help, --version, --man-options, --check-config or checks: false when
 * there is nothing to run (*status set); err set when *status is 1. */
static bool handle(const struct gate_cli_spec *s, void *arg, const struct conf *c,
		   enum cli_flag flag, const char *socket, int *status, char *err, size_t errlen)
{
	*status = 0;
	if (flag == F_HELP)
		usage(s, stdout);
	else if (flag == F_VERSION)
		printf("%s (cloudvpn) %s\n", s->prog, PACKAGE_VERSION);
	else if (flag == F_MAN)
		conf_print_man(stdout, s->table, s->nopts);
	if (flag == F_HELP || flag == F_VERSION || flag == F_MAN)
		return false;
	*status = 1;
	if (!common_check(s, c, socket, err, errlen) || !s->check(arg, c, err, errlen))
		return false;
	if (flag == F_CHECK) {
		printf("%s: configuration OK: ", s->prog);
		s->summary(arg, c, socket, stdout);
		putchar('\n');
		*status = 0;
		return false;
	}
	if (!socket) {
		snprintf(err, errlen, "the gate socket is missing: %s %s", s->prog, s->synopsis);
		return false;
	}
	*status = 0;
	return true;
}

bool gate_cli_load(const struct gate_cli_spec *s, void *arg, int argc, char **argv,
		   struct conf **conf, const char **socket, int *status)
{
	enum cli_flag flag = F_NONE;
	char err[ERR_LEN] = "";

	log_init(s->prog, false);
	*socket = NULL;
	*conf = parse(s, argc, argv, &flag, socket, err, sizeof(err));
	*status = 1;
	if (*conf && handle(s, arg, *conf, flag, *socket, status, err, sizeof(err))) {
		logging_start(s, *conf);
		return true;
	}
	if (*status)
		fprintf(stderr, "%s: %s\n%s: try '%s --help'\n", s->prog, err, s->prog, s->prog);
	conf_free(*conf);
	*conf = NULL;
	return false;
}

int gate_cli_drop_privileges(const struct gate_cli_spec *s, const struct conf *c,
			     const int *keep, char *err, size_t errlen)
{
	const char *user = s->opt_user >= 0 ? conf_str(c, s->opt_user) : NULL;
	const char *group = s->opt_group >= 0 ? conf_str(c, s->opt_group) : NULL;

	return caps_drop(user, group, NULL, false, keep, err, errlen);
}
