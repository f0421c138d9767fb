/*
 * caps.h - giving up privileges once sockets are bound (libcap-ng).
 */
#ifndef CLOUDVPN_CAPS_H
#define CLOUDVPN_CAPS_H

#include <stdbool.h>
#include <stddef.h>

/* Optionally mlockall, chroot into root_dir, then switch to user/group (if
 * set) and keep no capabilities at all: cloud needs none once its sockets
 * are open.  Returns 0 or -errno with err set. */
int caps_drop(const char *user, const char *group, const char *root_dir,
	      bool lock_memory, char *err, size_t errlen);

#endif
