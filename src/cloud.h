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

/* Values read from the configuration, in the units the code uses. */
struct settings {
	uint64_t retry_us, retry_max_us;	/* connect backoff */
	uint64_t timeout_us;			/* handshake and dead peer */
	uint64_t keepalive_us;			/* ping interval */
	uint64_t close_timeout_us;		/* clean close on shutdown */
	int max_conns;
	int max_handshakes;			/* links not yet authenticated */
	int backlog;
	bool nodelay;
};

struct counters {
	uint64_t links_opened;		/* links that reached "up" */
	uint64_t links_closed;		/* links that were up and closed */
	uint64_t handshake_failures;	/* TCP/TLS failures before "up" */
	uint64_t cert_rejected;		/* peers refused by verification */
	uint64_t protocol_errors;	/* malformed frames, bad hellos */
	uint64_t duplicates;		/* links closed by the tie-break */
};

TAILQ_HEAD(link_list, link);
TAILQ_HEAD(listener_list, listener);
TAILQ_HEAD(connector_list, connector);

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
