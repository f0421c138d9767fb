/*
 * cloud.h - the daemon's one context: configuration, credentials, sockets,
 * links, counters.  Every module gets it by pointer; nothing else is global
 * except the logging switches (lib/log.c).
 */
#ifndef CLOUDVPN_CLOUD_H
#define CLOUDVPN_CLOUD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <ev.h>

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar) \
	for ((var) = TAILQ_FIRST(head); \
	     (var) && ((tvar) = TAILQ_NEXT(var, field), 1); (var) = (tvar))
#endif

#include "conf.h"
#include "frame.h"

struct tls_creds;
struct link;
struct listener;
struct connector;
struct ctl;
struct gate;
struct gate_listener;
struct router;
struct rt;
struct udp;

/* Values read from the configuration, in the units the code uses. */
/* Who may attach gates besides root and the socket's group. */
struct gate_policy {
	uid_t *uids;
	size_t nuids;
	gid_t *gids;
	size_t ngids;
};

struct settings {
	uint64_t retry_us, retry_max_us;	/* connect backoff */
	uint64_t timeout_us;			/* handshake and dead peer */
	uint64_t keepalive_us;			/* ping interval */
	uint64_t close_timeout_us;		/* clean close on shutdown */
	uint64_t gate_keepalive_us, gate_timeout_us;
	uint64_t max_waiting_data;		/* bytes of data queued per link */
	int max_gates;
	int max_conns;
	int max_handshakes;			/* links not yet authenticated */
	int backlog;
	bool nodelay;
	bool gate_handoff;			/* accept gates' devices */
	bool udp_gso;				/* UDP_SEGMENT when sending */
	bool tun_gro;				/* joined TCP runs into TUNs */
};

struct counters {
	uint64_t links_opened;		/* links that reached "up" */
	uint64_t links_closed;		/* links that were up and closed */
	uint64_t connect_failures;	/* outgoing TCP connects that failed */
	uint64_t handshake_failures;	/* TLS/hello failures before "up" */
	uint64_t cert_rejected;		/* peers refused by verification */
	uint64_t protocol_errors;	/* malformed frames, bad hellos */
	uint64_t duplicates;		/* links closed by the tie-break */
	uint64_t gates_refused;		/* SO_PEERCRED not allowed, too many */
	uint64_t gate_errors;		/* gates dropped for malformed input */
	uint64_t pkt_forwarded;		/* packets delivered to a gate or a link */
	uint64_t pkt_relayed;		/* packets from a link sent on to another */
	uint64_t pkt_unroutable;	/* nobody owned the destination, or no next hop */
	uint64_t pkt_queue_full;	/* a link's data queue was full */
	uint64_t pkt_too_big;		/* did not fit a link frame */
	uint64_t pkt_spoofed;		/* source not owned by its sender */
	uint64_t pkt_ttl_expired;	/* TTL ran out before the destination */
	uint64_t pkt_looped;		/* our own unicast packet came back */
	uint64_t bcast_duplicates;	/* broadcast copies already seen */
	uint64_t bcast_unknown_origin;	/* broadcast from a node not in the table */
};

TAILQ_HEAD(link_list, link);
TAILQ_HEAD(listener_list, listener);
TAILQ_HEAD(connector_list, connector);
TAILQ_HEAD(gate_list, gate);
TAILQ_HEAD(gate_listener_list, gate_listener);

struct cloud {
	struct ev_loop *loop;
	int argc;			/* kept to re-read the config */
	char **argv;
	struct conf *conf;
	struct settings set;
	struct tls_creds *creds;	/* for new sessions */
	char name[NODE_NAME_MAX + 1];
	uint64_t boot_id;
	ev_tstamp started;

	struct link_list links;
	unsigned nlinks;
	uint32_t next_link_id;
	struct listener_list listeners;
	struct connector_list connectors;
	struct ctl *ctl;
	struct gate_list gates;
	unsigned ngates;
	uint32_t next_gate_id;
	struct gate_listener_list gate_listeners;
	ev_idle routes_idle;		/* sends coalesced ROUTES to gates */
	ev_timer routes_retry;		/* a gate's socket was full */
	struct gate_policy gate_policy;
	struct router *router;		/* router.c's */
	struct rt *rt;			/* the routing table (route.h) */
	struct udp *udp;		/* UDP sockets and sessions (udp.h) */
	uint32_t next_bcast_id;		/* of the broadcasts this node floods */
	uint32_t flow_salt;		/* per node: next hops of flows are independent */
	struct counters cnt;

	ev_signal sig_term, sig_int, sig_hup;
	ev_timer stop_timer;
	bool stopping;
};

/* Re-read the configuration (SIGHUP, `cloudctl reload').  On failure the
 * running configuration stays and err says why. */
int cloud_reload(struct cloud *cl, char *err, size_t errlen);
/* Begin a clean shutdown: links say bye, the loop ends when they are gone
 * or after comm_close_timeout. */
void cloud_stop(struct cloud *cl);
/* Called by link.c when the last link is gone during a shutdown. */
void cloud_maybe_done(struct cloud *cl);
uint32_t cloud_random32(void);

#endif
