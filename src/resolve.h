/*
 * resolve.h - host name lookups that do not block the event loop.
 *
 * Each lookup runs getaddrinfo() on a short-lived thread; the result comes
 * back to the loop through one ev_async and the callback runs on the loop
 * thread.  A cancelled request's callback never runs.
 */
#ifndef CLOUDVPN_RESOLVE_H
#define CLOUDVPN_RESOLVE_H

#include <netdb.h>
#include <ev.h>

struct resolve_req;

/* res is owned by the callback (freeaddrinfo); on failure res is NULL and
 * gai_err is the getaddrinfo error. */
typedef void (*resolve_cb)(void *arg, struct addrinfo *res, int gai_err);

int resolve_init(struct ev_loop *loop);
void resolve_shutdown(void);
struct resolve_req *resolve_start(const char *host, const char *port,
				  resolve_cb cb, void *arg);
void resolve_cancel(struct resolve_req *r);

#endif
