/*
 * peer.h - where links come from: listeners accept them, connectors keep
 * one link to each configured `connect' target (resolving names off the
 * loop, retrying with jittered backoff).  Connectors never touch a link's
 * TLS or frames; they only create links and hear when they go up or away.
 */
#ifndef CLOUDVPN_PEER_H
#define CLOUDVPN_PEER_H

#include <stdbool.h>
#include <sys/socket.h>
#include <netdb.h>

#include "backoff.h"
#include "cloud.h"

struct listener {
	TAILQ_ENTRY(listener) entry;
	struct cloud *cloud;
	int fd;
	ev_io io;
	ev_timer pause;		/* accept() ran out of fds: retry later */
	char addr_str[64];
};

enum conn_state {
	CONN_WAITING,		/* backoff timer running */
	CONN_RESOLVING,		/* name lookup in progress */
	CONN_CONNECTING,	/* our link is in TCP/TLS handshake */
	CONN_UP,		/* a link to this peer is up (ours or theirs) */
};

struct resolve_req;

struct connector {
	TAILQ_ENTRY(connector) entry;
	struct cloud *cloud;
	char target[300];		/* "HOST PORT" as configured */
	char host[256], port[16];
	enum conn_state state;
	struct backoff backoff;
	ev_timer timer;
	struct resolve_req *req;
	struct addrinfo *ai, *ai_next;	/* resolved addresses, next to try */
	struct link *link;		/* our outgoing link, if any */
	char peer[NODE_NAME_MAX + 1];	/* learned from the first handshake */
	char last_error[320];
};

/* "ADDR PORT" / "HOST PORT" (ADDR may be [v6]); false if malformed. */
bool parse_host_port(const char *text, char *host, size_t hostlen,
		     char *port, size_t portlen);
/* The same, with port 0 allowed ("any port", for udp_listen). */
bool parse_host_port0(const char *text, char *host, size_t hostlen,
		      char *port, size_t portlen);
void fmt_sockaddr(const struct sockaddr *sa, char *buf, size_t len);

int listeners_open(struct cloud *cl, char *err, size_t errlen);
void listeners_close(struct cloud *cl);

/* Make the connectors match the `connect' options: start new ones, close
 * the links of removed ones. */
void connectors_sync(struct cloud *cl);
void connectors_free(struct cloud *cl);
const char *connector_state_name(enum conn_state s);

/* From link.c: our outgoing link came up / went away. */
void connector_link_up(struct connector *c, struct link *l);
void connector_link_gone(struct connector *c, struct link *l, bool was_up,
			 const char *why);
/* From link.c: some link to `name' came up or went away. */
void connectors_peer_up(struct cloud *cl, const char *name);
void connectors_peer_down(struct cloud *cl, const char *name);

#endif
