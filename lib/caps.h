/*
 * caps.h - giving up privileges once sockets and devices are open
 * (libcap-ng); shared by cloud and the gates.
 */
#ifndef CLOUDVPN_CAPS_H
#define CLOUDVPN_CAPS_H

#include <stdbool.h>
#include <stddef.h>

/* Optionally mlockall, chroot into root_dir, then switch to user/group (if
 * set) and keep only the capabilities in `keep' (CAP_* numbers, ended by
 * -1; NULL keeps none: cloud needs none once its sockets are open; ip-gate
 * keeps CAP_NET_ADMIN to install routes).  Returns 0 or -errno, err set. */
int caps_drop(const char *user, const char *group, const char *root_dir,
	      bool lock_memory, const int *keep, char *err, size_t errlen);

#endif
