/*
 * conf.c - the configuration parser behind conf.h.
 *
 * Owns: splitting CloudVPN-style files and argument vectors into `name
 * value` pairs, @include resolution (depth limit, cycles detected by
 * device/inode or, for in-memory buffers, by name), converting values as
 * they are read, defaults and required options, and printing the option
 * table as --help text or troff.
 *
 * Invariants:
 *   - every conf_value's text is owned by its slot; for CONF_STR, v.s is
 *     the same pointer as text (freed once);
 *   - every conf_value's file is a string literal ("<default>", "command
 *     line") or a path interned in struct conf, valid until conf_free;
 *   - a failed parse leaves the struct consistent (earlier values stay set)
 *     and conf_free releases everything.
 *
 * Only regular files are read (a FIFO, a device or a directory named by
 * @include is an error, and files are opened non-blocking so /proc-style
 * files cannot stall us), and no file may exceed FILE_MAX_BYTES.
 */
#include "config.h"
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX_BYTES	(1024 * 1024)
#define FRAC_MAX_DIGITS	9	/* keeps fraction * unit within uint64 */
#define HELP_INDENT	8
#define HELP_WIDTH	78
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char LOC_CMDLINE[] = "command line";
static const char LOC_DEFAULT[] = "<default>";
static const char INCLUDE[] = "@include";

struct slot {
	struct conf_value *vals;
	size_t n, cap;
};

struct conf {
	const struct conf_opt *table;
	size_t nopts;
	struct slot *slots;	/* one per option */
	char **files;		/* interned paths */
	size_t nfiles, files_cap;
};

/* Where a value was read: file (or "command line", "<default>") and line. */
struct loc {
	const char *file;
	int line;		/* 0: not in a file */
};

/* One file or buffer on the include chain; `up` is the one including it. */
struct frame {
	const char *path;	/* interned */
	bool has_id;		/* dev/ino known (real files) */
	dev_t dev;
	ino_t ino;
	int depth;		/* 0 for the outermost */
	const struct frame *up;
};

struct unit {
	const char *name;
	uint64_t mult;
};

/* Largest first: conf_format_duration picks the first that divides. */
static const struct unit duration_units[] = {
	{ "h", 3600000000ULL }, { "m", 60000000ULL }, { "s", 1000000ULL },
	{ "ms", 1000ULL }, { "us", 1ULL },
};

static const char *const type_words[] = {
	[CONF_STR] = "string", [CONF_BOOL] = "boolean", [CONF_INT] = "integer",
	[CONF_DURATION] = "duration", [CONF_SIZE] = "size",
};

/* Format an error into err (if any) and return false.  Control characters
 * from the offending text are shown as '?' so a log line stays one line. */
static bool __attribute__((format(printf, 2, 3)))
fail(struct conf_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return false;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	for (char *p = err->msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return false;
}

/* "file:line", or just "command line" / "<default>". */
static void loc_format(const struct loc *at, char *buf, size_t len)
{
	if (at->line > 0)
		snprintf(buf, len, "%s:%d", at->file, at->line);
	else
		snprintf(buf, len, "%s", at->file);
}

/* ------------------------------------------------------------ converters */

static int digit_value(char ch, unsigned base)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (base == 16 && ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (base == 16 && ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Read at least one digit at *sp into *out; false on none or overflow. */
static bool parse_digits(const char **sp, unsigned base, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;
	int d;

	for (; (d = digit_value(*s, base)) >= 0; s++) {
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return false;
		v = v * base + (unsigned)d;
	}
	if (s == *sp)
		return false;
	*sp = s;
	*out = v;
	return true;
}

bool conf_parse_bool(const char *s, bool *out)
{
	static const char *const words[][2] = {
		{ "yes", "no" }, { "y", "n" }, { "true", "false" },
		{ "on", "off" }, { "1", "0" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		for (int val = 0; val < 2; val++) {
			if (strcasecmp(s, words[i][val]) == 0) {
				*out = val == 0;
				return true;
			}
		}
	}
	return false;
}

bool conf_parse_int(const char *s, long long *out)
{
	const uint64_t lim = (uint64_t)LLONG_MAX;
	unsigned base = 10;
	bool neg = false;
	uint64_t mag;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
	} else if (*s == 'x' || *s == 'X') {
		s++;
		base = 16;
	}
	if (!parse_digits(&s, base, &mag) || *s)
		return false;
	if (mag > lim + neg)
		return false;
	if (neg)
		*out = mag == lim + 1 ? LLONG_MIN : -(long long)mag;
	else
		*out = (long long)mag;
	return true;
}

bool conf_parse_duration(const char *s, uint64_t *us)
{
	uint64_t whole, frac = 0, scale = 1, mult = 1, add;
	const char *p = s;

	if (!parse_digits(&p, 10, &whole))
		return false;
	if (*p == '.') {
		const char *f = ++p;

		if (!parse_digits(&p, 10, &frac) || p - f > FRAC_MAX_DIGITS)
			return false;
		for (; f < p; f++)
			scale *= 10;
	}
	if (*p) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(duration_units); i++)
			if (strcmp(p, duration_units[i].name) == 0)
				break;
		if (i == ARRAY_SIZE(duration_units))
			return false;
		mult = duration_units[i].mult;
	} else if (scale != 1) {
		return false;	/* "1.5": a fraction needs a unit */
	}
	/* frac < 10^9 and mult <= 3.6 * 10^9: no overflow here. */
	if (frac * mult % scale)
		return false;	/* finer than a microsecond */
	add = frac * mult / scale;
	if (whole > UINT64_MAX / mult || whole * mult > UINT64_MAX - add)
		return false;
	*us = whole * mult + add;
	return true;
}

bool conf_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t v, mult = 1;
	const char *p = s;

	if (!parse_digits(&p, 10, &v))
		return false;
	switch (*p) {
	case 'k': case 'K': mult = 1ULL << 10; p++; break;
	case 'M': mult = 1ULL << 20; p++; break;
	case 'G': mult = 1ULL << 30; p++; break;
	}
	if (mult != 1 && strcmp(p, "iB") == 0)
		p += 2;
	else if (strcmp(p, "B") == 0)
		p++;
	if (*p || v > UINT64_MAX / mult)
		return false;
	*bytes = v * mult;
	return true;
}

void conf_format_duration(uint64_t us, char *buf, size_t len)
{
	const struct unit *u = &duration_units[ARRAY_SIZE(duration_units) - 1];

	if (!buf || !len)
		return;
	if (us == 0) {
		snprintf(buf, len, "0");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(duration_units); i++) {
		if (us % duration_units[i].mult == 0) {
			u = &duration_units[i];
			break;
		}
	}
	snprintf(buf, len, "%" PRIu64 "%s", us / u->mult, u->name);
}

/* ------------------------------------------------------------ the store */

struct conf *conf_new(const struct conf_opt *table, size_t nopts)
{
	struct conf *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->table = table;
	c->nopts = nopts;
	c->slots = calloc(nopts ? nopts : 1, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	return c;
}

static void slot_clear(struct slot *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->vals[i].text);
	s->n = 0;
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nopts; i++) {
		slot_clear(&c->slots[i]);
		free(c->slots[i].vals);
	}
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->slots);
	free(c);
}

/* Make room for one more element in an array of `size`-byte elements. */
static bool grow(void **arr, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 4;
	if (ncap < *cap || ncap > SIZE_MAX / size)
		return false;
	p = realloc(*arr, ncap * size);
	if (!p)
		return false;
	*arr = p;
	*cap = ncap;
	return true;
}

/* One copy of each path; the result lives until conf_free.  NULL: no memory. */
static const char *intern(struct conf *c, const char *path)
{
	char *copy;

	for (size_t i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i], path) == 0)
			return c->files[i];
	if (!grow((void **)&c->files, c->nfiles, &c->files_cap, sizeof(char *)))
		return NULL;
	copy = strdup(path);
	if (copy)
		c->files[c->nfiles++] = copy;
	return copy;
}

static bool convert(const struct conf_opt *o, const char *text,
		    struct conf_value *v)
{
	switch (o->type) {
	case CONF_STR:
		return true;
	case CONF_BOOL:
		return conf_parse_bool(text, &v->v.b);
	case CONF_INT:
		return conf_parse_int(text, &v->v.i);
	case CONF_DURATION:
		return conf_parse_duration(text, &v->v.u);
	case CONF_SIZE:
		return conf_parse_size(text, &v->v.u);
	}
	return false;
}

static bool in_range(const struct conf_opt *o, const struct conf_value *v)
{
	if (o->min >= o->max || o->type == CONF_STR || o->type == CONF_BOOL)
		return true;
	if (o->type == CONF_INT)
		return v->v.i >= o->min && v->v.i <= o->max;
	if (o->max < 0)
		return false;
	return (o->min <= 0 || v->v.u >= (uint64_t)o->min) &&
	       v->v.u <= (uint64_t)o->max;
}

/* A range bound in the option's own syntax ("1ms" for durations). */
static void format_bound(const struct conf_opt *o, long long b, char *buf,
			 size_t len)
{
	if (o->type == CONF_DURATION && b >= 0)
		conf_format_duration((uint64_t)b, buf, len);
	else
		snprintf(buf, len, "%lld", b);
}

static bool store(struct slot *s, const struct conf_value *v, bool repeat)
{
	if (!repeat)
		slot_clear(s);
	if (!grow((void **)&s->vals, s->n, &s->cap, sizeof(*s->vals)))
		return false;
	s->vals[s->n++] = *v;
	return true;
}

/* Convert `text` for option idx and store it (append or replace). */
static bool set_value(struct conf *c, size_t idx, const char *text,
		      const struct loc *at, struct conf_err *err)
{
	const struct conf_opt *o = &c->table[idx];
	struct conf_value v = { .file = at->file, .line = at->line };
	char where[CONF_ERR_LEN], lo[32], hi[32];

	loc_format(at, where, sizeof(where));
	if (!convert(o, text, &v))
		return fail(err, "%s: option '%s': bad %s '%s'", where,
			    o->name, type_words[o->type], text);
	if (!in_range(o, &v)) {
		format_bound(o, o->min, lo, sizeof(lo));
		format_bound(o, o->max, hi, sizeof(hi));
		return fail(err, "%s: option '%s': '%s' out of range (%s..%s)",
			    where, o->name, text, lo, hi);
	}
	v.text = strdup(text);
	if (!v.text)
		return fail(err, "%s: out of memory", where);
	if (o->type == CONF_STR)
		v.v.s = v.text;
	if (!store(&c->slots[idx], &v, o->flags & CONF_REPEAT)) {
		free(v.text);
		return fail(err, "%s: out of memory", where);
	}
	return true;
}

/* ------------------------------------------------------------ files */

static bool parse_text(struct conf *c, const struct frame *fr, char *buf,
		       size_t len, struct conf_err *err);

/* Read fd to EOF into a NUL-terminated buffer; `hint` is the expected size.
 * Returns 0, or -errno (-EFBIG beyond FILE_MAX_BYTES). */
static int read_all(int fd, size_t hint, char **out, size_t *outlen)
{
	size_t len = 0, cap = hint < FILE_MAX_BYTES ? hint : FILE_MAX_BYTES;
	char *buf, *p;
	ssize_t r;
	int ret = -ENOMEM;

	cap += 2;	/* room to see EOF without growing, and the NUL */
	buf = malloc(cap);
	while (buf) {
		if (len + 1 == cap) {	/* full, apart from the NUL */
			ret = -EFBIG;
			if (cap > FILE_MAX_BYTES + 1)
				break;
			cap = cap > FILE_MAX_BYTES / 2 ? FILE_MAX_BYTES + 2
						       : cap * 2;
			ret = -ENOMEM;
			if (!(p = realloc(buf, cap)))
				break;
			buf = p;
		}
		r = read(fd, buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		ret = r < 0 ? -errno : 0;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	if (ret) {
		free(buf);
		return ret;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* Read a whole regular file.  `pfx` starts every error ("a.cfg:3: @include
 * 'b.cfg': ", or "" at top level). */
static bool read_file(const char *path, const char *pfx, char **out,
		      size_t *outlen, struct stat *st, struct conf_err *err)
{
	int fd, ret;

	/* Non-blocking: neither open() of a FIFO nor read() of /proc waits. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, "%s%s: %s", pfx, path, strerror(errno));
	if (fstat(fd, st) < 0)
		ret = -errno;
	else if (!S_ISREG(st->st_mode))
		ret = 1;
	else
		ret = read_all(fd, (size_t)st->st_size, out, outlen);
	close(fd);
	if (ret > 0)
		return fail(err, "%s%s: not a regular file", pfx, path);
	if (ret < 0)
		return fail(err, "%s%s: %s", pfx, path, strerror(-ret));
	return true;
}

static bool same_file(const struct frame *f, const struct frame *g)
{
	if (f->has_id && g->has_id)
		return f->dev == g->dev && f->ino == g->ino;
	return strcmp(f->path, g->path) == 0;
}

/* Error for `fr` already being on the chain: "x -> y -> x". */
static void cycle_error(const struct frame *fr, const char *pfx,
			struct conf_err *err)
{
	const struct frame *chain[CONF_MAX_DEPTH + 2];
	char text[CONF_ERR_LEN] = "";
	size_t n = 0, used = 0;

	for (const struct frame *f = fr->up; f && n < ARRAY_SIZE(chain) - 1;
	     f = f->up) {
		chain[n++] = f;
		if (same_file(f, fr))
			break;
	}
	while (n-- > 0 && used < sizeof(text)) {
		int w = snprintf(text + used, sizeof(text) - used, "%s -> ",
				 chain[n]->path);
		used += w > 0 ? (size_t)w : 0;
	}
	if (used < sizeof(text))
		snprintf(text + used, sizeof(text) - used, "%s", fr->path);
	fail(err, "%sinclude cycle: %s", pfx, text);
}

/* True (and an error) when `fr` is already on the include chain. */
static bool on_chain(const struct frame *fr, const char *pfx,
		     struct conf_err *err)
{
	for (const struct frame *f = fr->up; f; f = f->up) {
		if (same_file(f, fr)) {
			cycle_error(fr, pfx, err);
			return true;
		}
	}
	return false;
}

/* Read and parse the file `path` (interned) at include depth `depth`,
 * included from `up` (NULL at top level and on the command line).  Cycles
 * are caught by name before opening (buffers have no inode) and by
 * device/inode after. */
static bool parse_path(struct conf *c, const char *path, int depth,
		       const struct frame *up, const char *pfx,
		       struct conf_err *err)
{
	struct frame fr = { .path = path, .depth = depth, .up = up };
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	bool ok;

	if (on_chain(&fr, pfx, err) ||
	    !read_file(path, pfx, &buf, &len, &st, err))
		return false;
	fr.has_id = true;
	fr.dev = st.st_dev;
	fr.ino = st.st_ino;
	ok = !on_chain(&fr, pfx, err) && parse_text(c, &fr, buf, len, err);
	free(buf);
	return ok;
}

/* `arg` relative to the directory of `base` (unless absolute, or no base). */
static char *resolve(const char *base, const char *arg)
{
	const char *slash = base ? strrchr(base, '/') : NULL;
	size_t dirlen, arglen = strlen(arg);
	char *p;

	if (arg[0] == '/' || !slash)
		return strdup(arg);
	dirlen = (size_t)(slash - base) + 1;
	p = malloc(dirlen + arglen + 1);
	if (p) {
		memcpy(p, base, dirlen);
		memcpy(p + dirlen, arg, arglen + 1);
	}
	return p;
}

/* "@include arg" at `at`, inside `up` (NULL on the command line). */
static bool include(struct conf *c, const struct frame *up,
		    const struct loc *at, const char *arg, struct conf_err *err)
{
	char pfx[2 * CONF_ERR_LEN], where[CONF_ERR_LEN];
	int depth = (up ? up->depth : 0) + 1;
	const char *path;
	char *full;

	loc_format(at, where, sizeof(where));
	snprintf(pfx, sizeof(pfx), "%s: %s '%s': ", where, INCLUDE, arg);
	if (depth > CONF_MAX_DEPTH)
		return fail(err, "%snested deeper than %d", pfx,
			    CONF_MAX_DEPTH);
	full = resolve(up ? up->path : NULL, arg);
	path = full ? intern(c, full) : NULL;
	free(full);
	if (!path)
		return fail(err, "%sout of memory", pfx);
	return parse_path(c, path, depth, up, pfx, err);
}

/* Split a line (NUL-terminated, modified in place).  False for blank and
 * comment lines; *value is NULL when the name has no value. */
static bool split_line(char *line, char **name, char **value)
{
	char *p = line, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return false;
	*name = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	*value = end > p ? p : NULL;
	if (end - p >= 2 && p[0] == '"' && end[-1] == '"') {
		end[-1] = '\0';
		*value = p + 1;
	}
	return true;
}

static bool parse_line(struct conf *c, const struct frame *fr,
		       const struct loc *at, char *line, struct conf_err *err)
{
	char *name, *value;
	int idx = -1;
	bool inc;

	if (!split_line(line, &name, &value))
		return true;
	inc = strcmp(name, INCLUDE) == 0;
	if (!inc && (idx = conf_find(c, name)) < 0)
		return fail(err, "%s:%d: unknown option '%s'", at->file,
			    at->line, name);
	if (!value)
		return fail(err, "%s:%d: option '%s': missing value", at->file,
			    at->line, name);
	if (inc)
		return include(c, fr, at, value, err);
	return set_value(c, (size_t)idx, value, at, err);
}

/* Parse buf[0..len) in place; buf[len] must be writable. */
static bool parse_text(struct conf *c, const struct frame *fr, char *buf,
		       size_t len, struct conf_err *err)
{
	struct loc at = { fr->path, 0 };
	char *p = buf, *end = buf + len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eol = nl ? nl : end;

		if (at.line < INT_MAX)
			at.line++;
		if (memchr(p, '\0', (size_t)(eol - p)))
			return fail(err, "%s:%d: NUL byte in line", at.file,
				    at.line);
		*eol = '\0';
		if (eol > p && eol[-1] == '\r')
			eol[-1] = '\0';
		if (!parse_line(c, fr, &at, p, err))
			return false;
		p = eol + 1;
	}
	return true;
}

bool conf_parse_file(struct conf *c, const char *path, struct conf_err *err)
{
	const char *ipath = intern(c, path);

	if (!ipath)
		return fail(err, "%s: out of memory", path);
	return parse_path(c, ipath, 0, NULL, "", err);
}

bool conf_parse_buf(struct conf *c, const char *name, const char *buf,
		    size_t len, struct conf_err *err)
{
	struct frame fr = { .has_id = false };
	char *copy;
	bool ok;

	fr.path = intern(c, name);
	copy = len < SIZE_MAX ? malloc(len + 1) : NULL;
	if (!fr.path || !copy) {
		free(copy);
		return fail(err, "%s: out of memory", name);
	}
	memcpy(copy, buf, len);
	copy[len] = '\0';
	ok = parse_text(c, &fr, copy, len, err);
	free(copy);
	return ok;
}

/* ------------------------------------------------------------ command line */

bool conf_parse_args(struct conf *c, int argc, char *const argv[],
		     const char **rest, size_t rest_cap, size_t *nrest,
		     struct conf_err *err)
{
	const struct loc cmdline = { LOC_CMDLINE, 0 };
	size_t n = 0;

	if (nrest)
		*nrest = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *value;
		int idx = -1;
		bool inc;

		if (a[0] != '-' || a[1] == '-') {
			if (n >= rest_cap || !rest)
				return fail(err, "%s: too many arguments at "
					    "'%s'", LOC_CMDLINE, a);
			rest[n++] = a;
			if (nrest)
				*nrest = n;
			continue;
		}
		inc = strcmp(a + 1, INCLUDE) == 0;
		if (!inc && (idx = conf_find(c, a + 1)) < 0)
			return fail(err, "%s: unknown option '%s'",
				    LOC_CMDLINE, a);
		if (i + 1 >= argc)
			return fail(err, "%s: option '%s': missing value",
				    LOC_CMDLINE, a);
		value = argv[++i];
		if (inc ? !include(c, NULL, &cmdline, value, err)
			: !set_value(c, (size_t)idx, value, &cmdline, err))
			return false;
	}
	return true;
}

bool conf_finish(struct conf *c, struct conf_err *err)
{
	const struct loc def = { LOC_DEFAULT, 0 };

	for (size_t i = 0; i < c->nopts; i++) {
		const struct conf_opt *o = &c->table[i];

		if (!c->slots[i].n && o->def &&
		    !set_value(c, i, o->def, &def, err))
			return false;
	}
	for (size_t i = 0; i < c->nopts; i++)
		if ((c->table[i].flags & CONF_REQUIRED) && !c->slots[i].n)
			return fail(err, "missing required option '%s'",
				    c->table[i].name);
	return true;
}

/* ------------------------------------------------------------ lookups */

size_t conf_count(const struct conf *c, int opt)
{
	if (!c || opt < 0 || (size_t)opt >= c->nopts)
		return 0;
	return c->slots[opt].n;
}

const struct conf_value *conf_get(const struct conf *c, int opt, size_t i)
{
	if (i >= conf_count(c, opt))
		return NULL;
	return &c->slots[opt].vals[i];
}

const struct conf_value *conf_last(const struct conf *c, int opt)
{
	size_t n = conf_count(c, opt);

	return n ? &c->slots[opt].vals[n - 1] : NULL;
}

/* The last value of `opt` if the option has type `type`. */
static const struct conf_value *last_of(const struct conf *c, int opt,
					enum conf_type type)
{
	const struct conf_value *v = conf_last(c, opt);

	return v && c->table[opt].type == type ? v : NULL;
}

/* For any type: the text as written (for CONF_STR, the string). */
const char *conf_str(const struct conf *c, int opt)
{
	const struct conf_value *v = conf_last(c, opt);

	return v ? v->text : NULL;
}

bool conf_bool(const struct conf *c, int opt)
{
	const struct conf_value *v = last_of(c, opt, CONF_BOOL);

	return v ? v->v.b : false;
}

long long conf_int(const struct conf *c, int opt)
{
	const struct conf_value *v = last_of(c, opt, CONF_INT);

	return v ? v->v.i : 0;
}

uint64_t conf_u64(const struct conf *c, int opt)
{
	const struct conf_value *v = last_of(c, opt, CONF_DURATION);

	if (!v)
		v = last_of(c, opt, CONF_SIZE);
	return v ? v->v.u : 0;
}

int conf_find(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->nopts && i <= INT_MAX; i++)
		if (strcmp(c->table[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool same_value(enum conf_type type, const struct conf_value *x,
		       const struct conf_value *y)
{
	switch (type) {
	case CONF_STR:
		return strcmp(x->v.s, y->v.s) == 0;
	case CONF_BOOL:
		return x->v.b == y->v.b;
	case CONF_INT:
		return x->v.i == y->v.i;
	case CONF_DURATION:
	case CONF_SIZE:
		return x->v.u == y->v.u;
	}
	return false;
}

bool conf_same(const struct conf *a, const struct conf *b, int opt)
{
	size_t n = conf_count(a, opt);

	if (n != conf_count(b, opt))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!same_value(a->table[opt].type, &a->slots[opt].vals[i],
				&b->slots[opt].vals[i]))
			return false;
	return true;
}

/* ------------------------------------------------------------ help, man */

/* The help sentence followed by its tags, or NULL (no memory). */
static char *help_text(const struct conf_opt *o)
{
	const char *help = o->help ? o->help : "";
	const char *def = o->def ? o->def : "";
	size_t len = strlen(help) + strlen(def) + 64;
	char *s = malloc(len);

	if (!s)
		return NULL;
	snprintf(s, len, "%s%s%s%s%s%s%s", help, o->def ? " (default: " : "",
		 def, o->def ? ")" : "",
		 (o->flags & CONF_REQUIRED) ? " (required)" : "",
		 (o->flags & CONF_REPEAT) ? " (repeatable)" : "",
		 (o->flags & CONF_RELOAD) ? " (reloadable)" : "");
	return s;
}

/* Print words of s indented, wrapped at HELP_WIDTH columns. */
static void print_wrapped(FILE *f, const char *s)
{
	int col = 0;

	while (*s) {
		size_t w;

		while (*s == ' ')
			s++;
		w = strcspn(s, " ");
		if (!w)
			break;
		if (col == 0) {
			col = fprintf(f, "%*s", HELP_INDENT, "");
		} else if (col + 1 + (int)w > HELP_WIDTH) {
			col = fprintf(f, "\n%*s", HELP_INDENT, "") - 1;
		} else {
			col += fprintf(f, " ");
		}
		col += fprintf(f, "%.*s", (int)w, s);
		s += w;
	}
	if (col)
		fputc('\n', f);
}

void conf_print_help(FILE *f, const struct conf_opt *table, size_t nopts)
{
	for (size_t i = 0; i < nopts; i++) {
		const struct conf_opt *o = &table[i];
		char *text = help_text(o);

		fprintf(f, "  -%s%s%s\n", o->name, o->arg ? " " : "",
			o->arg ? o->arg : "");
		if (text)
			print_wrapped(f, text);
		free(text);
	}
}

/* Write s as troff text: backslashes and minus signs escaped, quotes
 * escaped inside a quoted macro argument, and a leading '.' or '\''
 * (control characters at the start of a line) neutralised with \&. */
static void man_escape(FILE *f, const char *s, bool quoted)
{
	bool bol = !quoted;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else if (*s == '"' && quoted)
			fputs("\\(dq", f);
		else if (*s == '\n' && quoted)
			fputc(' ', f);
		else
			fputc(*s, f);
		bol = *s == '\n' && !quoted;
	}
}

void conf_print_man(FILE *f, const struct conf_opt *table, size_t nopts)
{
	for (size_t i = 0; i < nopts; i++) {
		const struct conf_opt *o = &table[i];
		char *text = help_text(o);

		fputs(".TP\n", f);
		fputs(o->arg ? ".BI \"" : ".B \"", f);
		man_escape(f, o->name, true);
		if (o->arg) {
			fputs("\" \" \" \"", f);
			man_escape(f, o->arg, true);
		}
		fputs("\"\n", f);
		man_escape(f, text ? text : (o->help ? o->help : ""), false);
		fputc('\n', f);
		free(text);
	}
}
