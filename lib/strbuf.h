/*
 * strbuf.h - a growable text buffer for control-socket replies: printf,
 * and JSON string quoting.  On allocation failure the buffer keeps what it
 * had and sets `oom`; callers check it once at the end.
 */
#ifndef CLOUDVPN_STRBUF_H
#define CLOUDVPN_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;		/* always NUL-terminated once anything was added */
	size_t len;
	size_t cap;
	bool oom;
};

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb);	/* len = 0, keeps the memory */
void sb_putc(struct strbuf *sb, char c);
void sb_puts(struct strbuf *sb, const char *s);
void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal: quotes, \" \\ \n \r \t escaped,
 * other bytes < 0x20 and 0x7f as \u00XX; bytes >= 0x80 copied as is. */
void sb_json_str(struct strbuf *sb, const char *s);
const char *sb_str(const struct strbuf *sb);	/* "" when empty */

#endif
