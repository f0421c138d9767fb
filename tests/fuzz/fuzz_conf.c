/*
 * fuzz_conf.c - libFuzzer target for lib/conf.c.
 *
 * The input is parsed three ways, each into a fresh conf that is finished
 * and freed: as a config file (conf_parse_buf), as a command line (one
 * argument per line, conf_parse_args), and as a single value handed to each
 * converter.  Every accepted value must convert again to the same value,
 * durations must survive conf_format_duration, and every error message must
 * be one printable, NUL-terminated line; anything else abort()s.
 *
 * The target reads no files: the buffer is named "/nonexistent/fuzz.cfg",
 * so relative @include paths resolve under a directory that does not exist,
 * and inputs that could name a real file (an absolute @include, or any
 * -@include on the command line, which resolves from the working
 * directory) are skipped.
 */
#include "config.h"
#include "conf.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NAME	"/nonexistent/fuzz.cfg"
#define MAX_ARGS	64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct conf_opt table[] = {
	{ "name", CONF_STR, 0, NULL, "NAME", "A string.", 0, 0 },
	{ "listen", CONF_STR, CONF_REPEAT, NULL, "ADDR PORT", "Repeatable.",
	  0, 0 },
	{ "key", CONF_STR, CONF_REQUIRED | CONF_RELOAD, NULL, "FILE",
	  "Required.", 0, 0 },
	{ "tcp_nodelay", CONF_BOOL, CONF_RELOAD, "yes", "BOOL", "A flag.",
	  0, 0 },
	{ "max_connections", CONF_INT, 0, "1024", "N", "Ranged.", 1, 1000000 },
	{ "offset", CONF_INT, CONF_REPEAT, NULL, "N", "Unranged.", 0, 0 },
	{ "conn_timeout", CONF_DURATION, CONF_RELOAD, "20s", "TIME", "Ranged.",
	  10000, 3600000000LL },
	{ "delay", CONF_DURATION, CONF_REPEAT, "1.5s", "TIME", "Repeatable.",
	  0, 0 },
	{ "buffer", CONF_SIZE, 0, "64k", "SIZE", "Ranged.", 512, 1LL << 30 },
	{ "conn-mtu", CONF_SIZE, 0, NULL, "SIZE", "Dashed name.", 0, 0 },
};
#define NOPTS (sizeof(table) / sizeof(table[0]))

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_err(const struct conf_err *err)
{
	size_t len = strnlen(err->msg, sizeof(err->msg));

	check(len > 0 && len < sizeof(err->msg));
	for (size_t i = 0; i < len; i++)
		check((unsigned char)err->msg[i] >= 0x20 &&
		      err->msg[i] != 0x7f);
}

/* Every stored value converts again from its text to the same value. */
static void check_values(const struct conf *c)
{
	for (size_t opt = 0; opt < NOPTS; opt++) {
		const struct conf_opt *o = &table[opt];
		size_t n = conf_count(c, (int)opt);

		check(conf_same(c, c, (int)opt));
		check(n <= 1 || (o->flags & CONF_REPEAT));
		for (size_t i = 0; i < n; i++) {
			const struct conf_value *v = conf_get(c, (int)opt, i);
			long long ll;
			uint64_t u;
			bool b;

			check(v && v->text && v->file && v->line >= 0);
			switch (o->type) {
			case CONF_STR:
				check(v->v.s == v->text);
				break;
			case CONF_BOOL:
				check(conf_parse_bool(v->text, &b) &&
				      b == v->v.b);
				break;
			case CONF_INT:
				check(conf_parse_int(v->text, &ll) &&
				      ll == v->v.i);
				break;
			case CONF_DURATION:
				check(conf_parse_duration(v->text, &u) &&
				      u == v->v.u);
				break;
			case CONF_SIZE:
				check(conf_parse_size(v->text, &u) &&
				      u == v->v.u);
				break;
			}
		}
	}
}

static void finish_and_free(struct conf *c, bool parsed,
			    struct conf_err *err)
{
	if (parsed) {
		if (conf_finish(c, err))
			check(conf_count(c, 2) > 0 && conf_count(c, 3) == 1);
		else
			check_err(err);
	} else {
		check_err(err);
	}
	check_values(c);
	conf_free(c);
}

/* True when an "@include" in the input may name an absolute path. */
static bool absolute_include(const uint8_t *data, size_t size)
{
	static const char inc[] = "@include";
	const size_t inclen = sizeof(inc) - 1;
	const uint8_t *end = data + size;

	for (const uint8_t *p = data; (size_t)(end - p) >= inclen; p++) {
		const uint8_t *q = p + inclen;

		if (memcmp(p, inc, inclen) != 0)
			continue;
		while (q < end && (*q == ' ' || *q == '\t' || *q == '"'))
			q++;
		if (q < end && *q == '/')
			return true;
	}
	return false;
}

static void fuzz_file(const uint8_t *data, size_t size)
{
	struct conf *c = conf_new(table, NOPTS);
	struct conf_err err;

	check(c != NULL);
	finish_and_free(c, conf_parse_buf(c, FUZZ_NAME, (const char *)data,
					  size, &err), &err);
}

static void fuzz_args(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS + 1], *p;
	const char *rest[4];
	struct conf_err err;
	struct conf *c;
	size_t nrest;
	int argc = 0;

	check(copy != NULL);
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = "fuzz";
	for (p = copy; argc < MAX_ARGS && p; argc++) {
		argv[argc] = p;
		p = strchr(p, '\n');
		if (p)
			*p++ = '\0';
		if (strcmp(argv[argc], "-@include") == 0)
			goto out;
	}
	argv[argc] = NULL;
	c = conf_new(table, NOPTS);
	check(c != NULL);
	finish_and_free(c, conf_parse_args(c, argc, argv, rest, 4, &nrest,
					   &err), &err);
out:
	free(copy);
}

/* The input (up to a NUL) as one value for each converter. */
static void fuzz_converters(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size), buf[32];
	long long ll, ll2;
	uint64_t u, u2;
	bool b;

	check(s != NULL);
	(void)conf_parse_bool(s, &b);
	if (conf_parse_int(s, &ll)) {
		snprintf(buf, sizeof(buf), "%lld", ll);
		check(conf_parse_int(buf, &ll2) && ll2 == ll);
	}
	if (conf_parse_duration(s, &u)) {
		conf_format_duration(u, buf, sizeof(buf));
		check(conf_parse_duration(buf, &u2) && u2 == u);
	}
	if (conf_parse_size(s, &u)) {
		snprintf(buf, sizeof(buf), "%" PRIu64, u);
		check(conf_parse_size(buf, &u2) && u2 == u);
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (absolute_include(data, size))
		return 0;
	fuzz_file(data, size);
	fuzz_args(data, size);
	fuzz_converters(data, size);
	return 0;
}
