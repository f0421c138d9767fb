/*
 * conf.h - CloudVPN-compatible configuration, driven by one option table.
 *
 * Syntax (kept from CloudVPN):
 *   - a file holds one `name value` per line; blank lines and lines whose
 *     first non-blank character is '#' are ignored; the value is the rest of
 *     the line with surrounding blanks removed and, if it is wrapped in one
 *     pair of double quotes, without them;
 *   - `@include path` reads another file at that point (a relative path is
 *     relative to the including file's directory); nesting depth is at most
 *     CONF_MAX_DEPTH and include cycles are errors;
 *   - on the command line the same options are `-name value`, and
 *     `-@include file`; arguments that do not start with a single '-' (gate
 *     socket paths) and arguments starting with "--" (--help, --check-config,
 *     --version) are handed back to the caller in order;
 *   - repeatable options (CONF_REPEAT) accumulate values in order; any other
 *     option takes the last value given.
 *
 * Values are converted and checked when they are read, so every error names
 * the file and line (or "command line") and the offending text.
 *
 * Types:
 *   CONF_STR       any text
 *   CONF_BOOL      yes/no, y/n, true/false, on/off, 1/0 (any case)
 *   CONF_INT       decimal, or hex with a leading "x" or "0x" (CloudVPN),
 *                  optional sign; checked against [min, max] when min < max
 *   CONF_DURATION  microseconds; units us, ms, s, m, h; a bare number is
 *                  microseconds (CloudVPN); "1.5s" allowed when a unit is given
 *   CONF_SIZE      bytes; suffixes k/K (1024), M, G, optionally followed by
 *                  "B" or "iB"; a bare number is bytes
 *
 * The module is pure apart from reading the files it is told to read: no
 * globals, no logging.
 */
#ifndef CLOUDVPN_CONF_H
#define CLOUDVPN_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_MAX_DEPTH 16
#define CONF_ERR_LEN 512

enum conf_type { CONF_STR, CONF_BOOL, CONF_INT, CONF_DURATION, CONF_SIZE };

enum conf_flags {
	CONF_REPEAT   = 1 << 0,	/* values accumulate */
	CONF_RELOAD   = 1 << 1,	/* takes effect on reload (SIGHUP) */
	CONF_REQUIRED = 1 << 2,	/* conf_finish fails when unset */
};

struct conf_opt {
	const char *name;
	enum conf_type type;
	unsigned flags;		/* enum conf_flags */
	const char *def;	/* default, in config syntax; NULL: unset */
	const char *arg;	/* placeholder for --help, e.g. "ADDR PORT" */
	const char *help;	/* one sentence */
	long long min, max;	/* CONF_INT/SIZE/DURATION range, if min < max */
};

struct conf_value {
	union {
		char *s;		/* CONF_STR */
		bool b;			/* CONF_BOOL */
		long long i;		/* CONF_INT */
		uint64_t u;		/* CONF_DURATION (us), CONF_SIZE (bytes) */
	} v;
	char *text;		/* the value as written */
	const char *file;	/* "<default>", "command line", or a path */
	int line;		/* 0 for defaults and the command line */
};

struct conf;

struct conf_err {
	char msg[CONF_ERR_LEN];	/* "file:line: what is wrong: 'text'" */
};

struct conf *conf_new(const struct conf_opt *table, size_t nopts);
void conf_free(struct conf *c);

/*
 * Parse argv[1..argc-1].  Arguments handed back (positional ones and
 * "--flags") are stored in rest[] (at most rest_cap, pointers into argv) and
 * counted in *nrest; more than rest_cap of them is an error.
 */
bool conf_parse_args(struct conf *c, int argc, char *const argv[],
		     const char **rest, size_t rest_cap, size_t *nrest,
		     struct conf_err *err);
bool conf_parse_file(struct conf *c, const char *path, struct conf_err *err);
/* Parse text already in memory; `name` is used in errors and to resolve
 * relative @include paths. */
bool conf_parse_buf(struct conf *c, const char *name, const char *buf,
		    size_t len, struct conf_err *err);
/* Apply defaults to unset options and check CONF_REQUIRED ones. */
bool conf_finish(struct conf *c, struct conf_err *err);

/* Lookups by table index.  Scalar getters return the last value (or the
 * default after conf_finish); for an unset option: NULL, false, 0. */
size_t conf_count(const struct conf *c, int opt);
const struct conf_value *conf_get(const struct conf *c, int opt, size_t i);
const struct conf_value *conf_last(const struct conf *c, int opt);
const char *conf_str(const struct conf *c, int opt);
bool conf_bool(const struct conf *c, int opt);
long long conf_int(const struct conf *c, int opt);
uint64_t conf_u64(const struct conf *c, int opt);	/* DURATION, SIZE */
/* Index of an option by name, or -1. */
int conf_find(const struct conf *c, const char *name);
/* True when option `opt` has the same values in a and b (same table). */
bool conf_same(const struct conf *a, const struct conf *b, int opt);

/* Value converters, exported for callers and tests. */
bool conf_parse_bool(const char *s, bool *out);
bool conf_parse_int(const char *s, long long *out);
bool conf_parse_duration(const char *s, uint64_t *us);
bool conf_parse_size(const char *s, uint64_t *bytes);
/* Format a duration compactly ("250ms", "10s", "1500us") into buf. */
void conf_format_duration(uint64_t us, char *buf, size_t len);

/* Print the table: --help style, or as troff (.TP entries) for a man page. */
void conf_print_help(FILE *f, const struct conf_opt *table, size_t nopts);
void conf_print_man(FILE *f, const struct conf_opt *table, size_t nopts);

#endif
