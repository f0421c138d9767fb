/*
 * router.h - the routing core (route.c) in the daemon: one table per
 * node, fed by links (up, down, RTT, routing frames) and local gates, and
 * flushed once per event-loop iteration; plus the routing options.
 */
#ifndef CLOUDVPN_ROUTER_H
#define CLOUDVPN_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloud.h"
#include "conf.h"
#include "route.h"

struct link;

enum mp_policy { MP_FLOW, MP_SPRAY, MP_OFF };

int router_init(struct cloud *cl, char *err, size_t errlen);
void router_free(struct cloud *cl);
/* Options checked (file:line in err) and applied (start and reload). */
bool router_conf_check(const struct conf *c, char *err, size_t errlen);
void router_settings(struct cloud *cl);

/* A link went down, or measured an RTT sample.  An up link becomes a
 * routing neighbour at its first RTT sample (or first routing frame).  A link's route cost is route_hop_cost plus the smallest of
 * its last 8 RTT samples (queueing makes RTTs noisy; the minimum is the
 * path's latency; 100 ms before the first sample, so that the first one
 * lowers it), and changes only when it moves by more than 25%: noise
 * must not reach the metrics, where every increase can cost a seqno
 * request across the mesh. */
void router_link_down(struct cloud *cl, struct link *l);
void router_link_rtt(struct cloud *cl, struct link *l, uint64_t sample_us);
/* A routing frame from l; false if malformed (the caller closes l). */
bool router_frame(struct cloud *cl, struct link *l, uint8_t type, const uint8_t *p, size_t len);
/* Local gates' prefixes appeared (add) or went (!add). */
void router_local(struct cloud *cl, bool add, const struct prefix *ps, size_t n);

enum mp_policy router_policy(const struct cloud *cl, uint32_t inst);

#endif
