/*
 * ctl.h - the control socket: one request line in, one reply out (see
 * lib/ctlproto.h).  Answers status, links, reload and log-level; reads the
 * daemon's state but changes it only through cloud_reload and the logging
 * switches.
 */
#ifndef CLOUDVPN_CTL_H
#define CLOUDVPN_CTL_H

#include <stddef.h>
#include "cloud.h"

int ctl_open(struct cloud *cl, const char *path, char *err, size_t errlen);
void ctl_close(struct cloud *cl);

#endif
