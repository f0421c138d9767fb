/*
 * ctlproto.h - requests on the control socket (cloudctl -> cloud).
 *
 * A client connects to the UNIX stream socket, writes one request line and
 * reads the reply until the server closes.  A request is ASCII words
 * separated by spaces or tabs, ended by '\n' (optional when the client
 * half-closes):
 *
 *   [-json] COMMAND [ARG...]
 *
 * A reply is text (or one JSON document with -json).  A failed request's
 * reply starts with "error: " and is a single line, in either format.
 *
 * ctl_parse_request is pure and checks everything: at most CTL_LINE_MAX
 * bytes, only printable ASCII and blanks, at most CTL_ARGS_MAX words after
 * the command, each at most CTL_WORD_MAX bytes, a known flag set.
 */
#ifndef CLOUDVPN_CTLPROTO_H
#define CLOUDVPN_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_LINE_MAX 1024
#define CTL_ARGS_MAX 8
#define CTL_WORD_MAX 128	/* bytes, without the NUL */

struct ctl_req {
	bool json;
	char cmd[CTL_WORD_MAX + 1];
	int argc;
	char argv[CTL_ARGS_MAX][CTL_WORD_MAX + 1];
};

/* buf holds the request line, with or without its final '\n'.  On failure
 * returns false and writes a short reason into why (if why_len > 0). */
bool ctl_parse_request(const char *buf, size_t len, struct ctl_req *r,
		       char *why, size_t why_len);

#endif
