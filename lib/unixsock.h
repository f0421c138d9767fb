/*
 * unixsock.h - listening UNIX sockets for the control and gate sockets: a
 * socket file left by a crashed daemon is replaced, one that a live
 * process still answers is not; the file gets the requested mode and group.
 */
#ifndef CLOUDVPN_UNIXSOCK_H
#define CLOUDVPN_UNIXSOCK_H

#include <stddef.h>
#include <sys/types.h>

/* type: SOCK_STREAM or SOCK_SEQPACKET; gid (gid_t)-1 leaves the group.
 * Returns a non-blocking listening fd, or -errno with err set (naming the
 * path). */
int unix_listen(const char *path, int type, mode_t mode, gid_t gid, int backlog,
		char *err, size_t errlen);

#endif
