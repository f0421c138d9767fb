/*
 * gate_cli.h - the command line every gate shares.  A gate describes
 * itself in a gate_cli_spec (name, option table, the indices of the
 * options every gate has, its own checks and --check-config summary);
 * gate_cli_load does the rest:
 *
 *   PROG SOCKET [-name value ...] [-@include FILE ...]
 *   PROG --check-config [SOCKET] [-name value ...] [-@include FILE ...]
 *   PROG --help | --version | --man-options
 *
 * At most one SOCKET and one --flag.  --help, --version and --man-options
 * need no complete configuration.  Otherwise the configuration is
 * finished and checked: log_level, debug and the socket path's length
 * here, then the gate's own check; --check-config then prints
 * "PROG: configuration OK: SUMMARY" and exits 0.  An error is printed as
 * "PROG: WHAT" and "PROG: try 'PROG --help'" on stderr, exit status 1.
 * When the gate is to run, logging is set up from log_level, debug and
 * syslog.
 */
#ifndef CLOUDVPN_GATE_CLI_H
#define CLOUDVPN_GATE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "conf.h"

struct gate_cli_spec {
	const char *prog;		/* "ip-gate" */
	const char *synopsis;		/* the first usage line, after PROG */
	const char *about;		/* --help text between usage and options */
	const struct conf_opt *table;
	size_t nopts;
	int opt_log_level, opt_debug, opt_syslog;	/* indices in table */
	int opt_user, opt_group;	/* -1: the gate has no such option */
	/* The gate's own checks (arg is gate_cli_load's); false with err set. */
	bool (*check)(void *arg, const struct conf *c, char *err, size_t errlen);
	/* What --check-config prints after "PROG: configuration OK: " (socket
	 * may be NULL); no newline. */
	void (*summary)(void *arg, const struct conf *c, const char *socket, FILE *f);
};

/*
 * Parse argv and do what it asks (see the top).  true: the gate is to
 * run; *conf (the caller's to free) and *socket (a pointer into argv) are
 * set.  false: exit with *status; nothing is left to free.
 */
bool gate_cli_load(const struct gate_cli_spec *spec, void *arg, int argc, char **argv,
		   struct conf **conf, const char **socket, int *status);

/* "file:line" of a value, or where it came from ("command line",
 * "<default>"); buf is returned. */
const char *gate_cli_where(const struct conf_value *v, char *buf, size_t len);

/* err = "WHERE: option 'NAME': WHAT" for value v of option `name'; false. */
bool gate_cli_bad(const struct conf_value *v, const char *name, char *err, size_t errlen,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Switch to the spec's user and group options (when set) and keep only
 * the capabilities in keep (see caps_drop).  0 or -errno with err set. */
int gate_cli_drop_privileges(const struct gate_cli_spec *spec, const struct conf *c,
			     const int *keep, char *err, size_t errlen);

#endif
