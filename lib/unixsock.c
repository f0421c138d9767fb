/*
 * unixsock.c - listening UNIX sockets (see unixsock.h).
 */
#include "config.h"
#include "unixsock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Remove a socket file left by a dead process; refuse to steal a live one. */
static int clear_stale(const char *path, const struct sockaddr_un *sun, int type,
		       char *err, size_t errlen)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "'%s' exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (r == 0) {
		snprintf(err, errlen, "'%s': another process is answering on it", path);
		return -EADDRINUSE;
	}
	return unlink(path) < 0 ? -errno : 0;
}

int unix_listen(const char *path, int type, mode_t mode, uid_t uid, gid_t gid, int backlog,
		char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	err[0] = '\0';
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "'%s': path too long (max %zu bytes)", path,
			 sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	r = clear_stale(path, &sun, type, err, errlen);
	if (r < 0)
		goto fail;
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	old = umask(0777 & ~mode);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r == 0 && (uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) < 0)
		r = -1;
	if (r == 0 && chmod(path, mode) < 0)
		r = -1;
	if (r == 0 && listen(fd, backlog) < 0)
		r = -1;
	if (r < 0) {
		r = -errno;
		close(fd);
		unlink(path);
		goto fail;
	}
	return fd;
fail:
	if (!err[0])
		snprintf(err, errlen, "'%s': %s", path, strerror(-r));
	return r;
}
