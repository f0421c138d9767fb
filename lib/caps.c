/*
 * caps.c - privilege drop (see caps.h).  Names are looked up before the
 * chroot, while /etc is still visible.
 */
#include "config.h"
#include "caps.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int caps_drop(const char *user, const char *group, const char *root_dir, bool lock_memory,
	      const int *keep, char *err, size_t errlen)
{
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (lock_memory && mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
		snprintf(err, errlen, "mlockall: %s", strerror(errno));
		return -errno;
	}
	if (user) {
		struct passwd *pw = getpwnam(user);
		if (!pw) {
			snprintf(err, errlen, "user '%s' does not exist", user);
			return -ENOENT;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (group) {
		struct group *gr = getgrnam(group);
		if (!gr) {
			snprintf(err, errlen, "group '%s' does not exist", group);
			return -ENOENT;
		}
		gid = gr->gr_gid;
	}
	if (root_dir && (chroot(root_dir) < 0 || chdir("/") < 0)) {
		snprintf(err, errlen, "chroot '%s': %s", root_dir, strerror(errno));
		return -errno;
	}
	if (geteuid() != 0)
		return 0;	/* unprivileged already: nothing to give up */

	capng_clear(CAPNG_SELECT_BOTH);
	for (; keep && *keep >= 0; keep++)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, (unsigned)*keep);
	int r;
	if (user || group)
		r = capng_change_id((int)uid, (int)gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	else
		r = capng_apply(CAPNG_SELECT_BOTH);
	if (r < 0) {
		snprintf(err, errlen, "cannot drop privileges (libcap-ng error %d)", r);
		return -EPERM;
	}
	return 0;
}
