/*
 * rtnl.h - the rtnetlink requests of ip-gate: adding and deleting the
 * kernel routes that point remote prefixes at its TUN, flushing what an
 * earlier run left, listing the subnets of the namespace's interfaces and
 * telling when they change.  Linux only; no logging (errors go back as
 * -errno to the caller, who knows which prefix they concern).
 *
 * Every route added here carries rtm_protocol RTNL_PROTO ("proto 207" in
 * `ip route'), and a delete names that protocol and the device: the
 * kernel then deletes only a route we added, never one of the same prefix
 * that someone else installed.  Routes are added with NLM_F_EXCL, so an
 * existing route of the same prefix, table and metric is never replaced
 * (-EEXIST); and with metric RTNL_METRIC, so that one of a lower metric
 * (`ip route add' gives 0) keeps precedence over ours.
 */
#ifndef CLOUDVPN_RTNL_H
#define CLOUDVPN_RTNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Our routes' rtm_protocol.  Not 0xc1 (193): FRR uses that for LDP, and
 * 186-198 for its other daemons; 250-254 are taken by some distributions. */
#define RTNL_PROTO 207
#define RTNL_METRIC 1024	/* IPv6's default; IPv4 routes default to 0 */

struct rtnl {
	int fd;			/* requests and their answers */
	int watch_fd;		/* address change notifications; -1: none */
	uint32_t seq;
};

/* Open the request socket (answers time out after timeout_ms) and, with
 * watch, the notification socket (non-blocking).  0 or -errno; on error
 * nothing stays open. */
int rtnl_open(struct rtnl *r, unsigned timeout_ms, bool watch);
void rtnl_close(struct rtnl *r);

/* `ip route add P dev IFINDEX proto RTNL_PROTO metric RTNL_METRIC' (main
 * table): 0, -EEXIST when a route of the same prefix and metric exists, or
 * another -errno. */
int rtnl_route_add(struct rtnl *r, int ifindex, const struct prefix *p);
/* Delete our route of P through ifindex: 0, -ESRCH when there is none. */
int rtnl_route_del(struct rtnl *r, int ifindex, const struct prefix *p);
/* Delete every route of ours through ifindex (left by an earlier run on
 * a persistent device): the number deleted, or -errno. */
int rtnl_flush(struct rtnl *r, int ifindex);

/*
 * The subnets (address and prefix length, host bits cleared) of every
 * IPv4 and IPv6 address in the namespace, both ends of a point-to-point
 * address, except those on interface `skip', as prefixes of instances
 * INST(AP_IPV4, net) and INST(AP_IPV6, net).  *out is malloc'ed (the
 * caller frees it, also on error); 0 or -errno.
 */
int rtnl_subnets(struct rtnl *r, int skip, uint16_t net, struct prefix **out, size_t *n);

/* Read every pending notification on watch_fd: true when an address was
 * added or removed, or notifications were lost (look again). */
bool rtnl_addrs_changed(struct rtnl *r);

#endif
