/*
 * ctlproto.c - parsing of control-socket request lines (ctlproto.h).  Owns
 * the request grammar and its limits; what a command means is ctl.c's.
 *
 * CTL_LINE_MAX bounds the bytes as received, terminator included, so the
 * client and the server judge the same bytes the same way.  Only one final
 * "\n" (or "\r\n") is a terminator; any other control byte, NUL or byte
 * >= 0x7f anywhere rejects the whole request.
 */
#include "config.h"
#include "ctlproto.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void __attribute__((format(printf, 3, 4)))
set_why(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (!why || why_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Length of the line without its terminator, or -1 after setting why. */
static long line_body(const char *buf, size_t len, char *why, size_t why_len)
{
	size_t i;

	if (len > CTL_LINE_MAX) {
		set_why(why, why_len, "request longer than %d bytes",
			CTL_LINE_MAX);
		return -1;
	}
	if (len > 0 && buf[len - 1] == '\n') {
		len--;
		if (len > 0 && buf[len - 1] == '\r')
			len--;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if ((c < 0x20 && c != '\t') || c >= 0x7f) {
			set_why(why, why_len, "invalid byte 0x%02x at offset %zu",
				c, i);
			return -1;
		}
	}
	return (long)len;
}

bool ctl_parse_request(const char *buf, size_t len, struct ctl_req *r,
		       char *why, size_t why_len)
{
	bool have_cmd = false;
	long body;
	size_t i = 0, end, n;

	memset(r, 0, sizeof(*r));
	body = line_body(buf, len, why, why_len);
	if (body < 0)
		return false;
	end = (size_t)body;
	for (;;) {
		const char *w;

		while (i < end && is_blank(buf[i]))
			i++;
		if (i == end)
			break;
		w = buf + i;
		for (n = 0; i < end && !is_blank(buf[i]); i++)
			n++;
		if (n > CTL_WORD_MAX) {
			set_why(why, why_len, "word longer than %d bytes",
				CTL_WORD_MAX);
			return false;
		}
		if (!have_cmd && w[0] == '-') {
			if (n == 5 && !memcmp(w, "-json", 5)) {
				r->json = true;
				continue;
			}
			set_why(why, why_len, "unknown flag '%.*s'", (int)n, w);
			return false;
		}
		if (!have_cmd) {
			memcpy(r->cmd, w, n);
			have_cmd = true;
			continue;
		}
		if (r->argc == CTL_ARGS_MAX) {
			set_why(why, why_len, "more than %d arguments",
				CTL_ARGS_MAX);
			return false;
		}
		memcpy(r->argv[r->argc++], w, n);
	}
	if (!have_cmd) {
		set_why(why, why_len, r->json ? "missing command" :
			"empty request");
		return false;
	}
	return true;
}
