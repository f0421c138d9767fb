/*
 * ctl.h - the control socket: one request line in, one reply out (see
 * lib/ctlproto.h).  Answers status, links, gates, routes, nodes, dot,
 * reload and log-level; reads the
 * daemon's state but changes it only through cloud_reload and the logging
 * switches.
 */
#ifndef CLOUDVPN_CTL_H
#define CLOUDVPN_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include "cloud.h"

int ctl_open(struct cloud *cl, const char *path, char *err, size_t errlen);
void ctl_close(struct cloud *cl);

/* The routing views (ctl_route.c). */
struct strbuf;
void ctl_routes(struct cloud *cl, struct strbuf *sb, bool json);
void ctl_nodes(struct cloud *cl, struct strbuf *sb, bool json);
void ctl_dot(struct cloud *cl, struct strbuf *sb);
/* ",\"routing\":{...}" for status (json), or a text line */
void ctl_routing_status(struct cloud *cl, struct strbuf *sb, bool json);

#endif
