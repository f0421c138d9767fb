/*
 * unixsock.h - listening UNIX sockets for the control and gate sockets: a
 * socket file left by a crashed daemon is replaced, one that a live
 * process still answers is not; the file gets the requested mode and group.
 */
#ifndef CLOUDVPN_UNIXSOCK_H
#define CLOUDVPN_UNIXSOCK_H

#include <stddef.h>
#include <sys/types.h>

/* type: SOCK_STREAM or SOCK_SEQPACKET; uid (uid_t)-1 and gid (gid_t)-1
 * leave the owner and group as they are.  Returns a non-blocking listening
 * fd, or -errno with err set (naming the path). */
int unix_listen(const char *path, int type, mode_t mode, uid_t uid, gid_t gid, int backlog,
		char *err, size_t errlen);

#endif
