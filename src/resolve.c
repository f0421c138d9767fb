/*
 * resolve.c - asynchronous getaddrinfo (see resolve.h).
 *
 * Threads only ever touch their own request and the `done' list (under
 * the mutex); everything else, including `cancelled', belongs to the loop
 * thread.
 */
#include "config.h"
#include "resolve.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct resolve_req {
	struct resolve_req *next;	/* on the done list */
	char host[256], port[16];
	resolve_cb cb;
	void *arg;
	bool cancelled;
	struct addrinfo *res;
	int err;
};

static struct ev_loop *res_loop;
static ev_async res_async;
static pthread_mutex_t res_lock = PTHREAD_MUTEX_INITIALIZER;
static struct resolve_req *res_done;	/* under res_lock */
static bool res_closed;			/* under res_lock: no more wake-ups */

static void *resolve_thread(void *p)
{
	struct resolve_req *r = p;
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV,
	};

	r->err = getaddrinfo(r->host, r->port, &hints, &r->res);
	pthread_mutex_lock(&res_lock);
	if (res_closed) {
		/* the loop is gone: nobody will take the answer */
		if (r->res)
			freeaddrinfo(r->res);
		free(r);
	} else {
		r->next = res_done;
		res_done = r;
		ev_async_send(res_loop, &res_async);
	}
	pthread_mutex_unlock(&res_lock);
	return NULL;
}

static void async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct resolve_req *list;

	pthread_mutex_lock(&res_lock);
	list = res_done;
	res_done = NULL;
	pthread_mutex_unlock(&res_lock);

	while (list) {
		struct resolve_req *r = list;
		list = r->next;
		if (r->cancelled) {
			if (r->res)
				freeaddrinfo(r->res);
		} else {
			r->cb(r->arg, r->err ? NULL : r->res, r->err);
		}
		free(r);
	}
}

int resolve_init(struct ev_loop *loop)
{
	res_loop = loop;
	ev_async_init(&res_async, async_cb);
	ev_async_start(loop, &res_async);
	ev_unref(loop);		/* pending lookups alone do not keep the loop alive */
	return 0;
}

void resolve_shutdown(void)
{
	struct resolve_req *list;

	if (!res_loop)
		return;
	pthread_mutex_lock(&res_lock);
	res_closed = true;
	list = res_done;
	res_done = NULL;
	pthread_mutex_unlock(&res_lock);
	while (list) {
		struct resolve_req *r = list;
		list = r->next;
		if (r->res)
			freeaddrinfo(r->res);
		free(r);
	}
	ev_ref(res_loop);
	ev_async_stop(res_loop, &res_async);
}

struct resolve_req *resolve_start(const char *host, const char *port, resolve_cb cb, void *arg)
{
	struct resolve_req *r = calloc(1, sizeof(*r));
	pthread_attr_t attr;
	pthread_t t;
	int err;

	if (!r)
		return NULL;
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->port, sizeof(r->port), "%s", port);
	r->cb = cb;
	r->arg = arg;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&t, &attr, resolve_thread, r);
	pthread_attr_destroy(&attr);
	if (err) {
		free(r);
		errno = err;
		return NULL;
	}
	return r;
}

void resolve_cancel(struct resolve_req *r)
{
	if (r)
		r->cancelled = true;
}
