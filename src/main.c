/*
 * main.c - cloud, the mesh router daemon: command line, start-up order,
 * signals, reload and shutdown.  Owns struct cloud (cloud.h).
 *
 * Start-up: parse and check the whole configuration (including that every
 * key, certificate, CA and CRL loads) before touching the network; then
 * bind listeners and the control socket, drop privileges, start
 * connectors, run the loop.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backoff.h"
#include "caps.h"
#include "cloud.h"
#include "ctl.h"
#include "gate_srv.h"
#include "link.h"
#include "log.h"
#include "options.h"
#include "peer.h"
#include "resolve.h"
#include "router.h"
#include "udp.h"
#include "tls.h"

#define ERR_LEN 600
#define FD_RESERVE 32	/* fds kept for listeners, ctl clients, files */
#define MAX_REST 8

static struct jitter_rng rng;

uint32_t cloud_random32(void)
{
	return jitter_rng_next(&rng);
}

static uint64_t random64(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	return v;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cloud [-name value ...] [-@include FILE ...]\n"
		"       cloud --check-config [-name value ...] [-@include FILE ...]\n"
		"       cloud --help | --version\n\n"
		"cloudvpn mesh router.  Options are read in order from the command line and\n"
		"included files (one `name value' per line, # comments, @include FILE).\n"
		"Durations take units (250ms, 10s, 5m; a bare number is microseconds).\n\n"
		"Options:\n");
	conf_print_help(f, cloud_options, OPT_COUNT);
}

/* Everything about a configuration that can be checked without the
 * network.  err names file:line where the option was set. */
static bool conf_check(const struct conf *c, bool at_start, char *err, size_t errlen)
{
	const int addr_opts[] = { OPT_LISTEN, OPT_CONNECT };
	char host[256], port[16];
	int level;

	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < conf_count(c, addr_opts[k]); i++) {
			const struct conf_value *v = conf_get(c, addr_opts[k], i);
			if (!parse_host_port(v->v.s, host, sizeof(host), port, sizeof(port))) {
				snprintf(err, errlen, "%s:%d: option '%s': expected '%s', got '%s'",
					 v->file, v->line, cloud_options[addr_opts[k]].name,
					 cloud_options[addr_opts[k]].arg, v->v.s);
				return false;
			}
		}
	}
	for (size_t i = 0; i < conf_count(c, OPT_LISTEN); i++) {
		const struct conf_value *lv = conf_get(c, OPT_LISTEN, i);
		struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV |
						      AI_PASSIVE, .ai_socktype = SOCK_STREAM }, *ai;
		parse_host_port(lv->v.s, host, sizeof(host), port, sizeof(port));
		int r = getaddrinfo(strcmp(host, "*") ? host : NULL, port, &hints, &ai);
		if (r) {
			snprintf(err, errlen, "%s:%d: option 'listen': bad address '%s' (a numeric "
				 "IPv4 or IPv6 address, or *): %s", lv->file, lv->line, host,
				 gai_strerror(r));
			return false;
		}
		freeaddrinfo(ai);
	}
	for (size_t i = 0; i < conf_count(c, OPT_ALLOW); i++) {
		const struct conf_value *av = conf_get(c, OPT_ALLOW, i);
		if (!node_name_valid(av->v.s, strlen(av->v.s))) {
			snprintf(err, errlen, "%s:%d: option 'allow': '%s' is not a node name "
				 "(1-%d of A-Z a-z 0-9 . _ -)", av->file, av->line, av->v.s,
				 NODE_NAME_MAX);
			return false;
		}
	}
	/* user and group only matter at start-up; a reload inside a chroot
	 * may not see /etc/passwd */
	const struct conf_value *v = at_start ? conf_last(c, OPT_USER) : NULL;
	if (v && !getpwnam(v->v.s)) {
		snprintf(err, errlen, "%s:%d: option 'user': no user '%s'", v->file, v->line, v->v.s);
		return false;
	}
	v = at_start ? conf_last(c, OPT_GROUP) : NULL;
	if (v && !getgrnam(v->v.s)) {
		snprintf(err, errlen, "%s:%d: option 'group': no group '%s'", v->file, v->line,
			 v->v.s);
		return false;
	}
	v = conf_last(c, OPT_LOG_LEVEL);
	if (!log_parse_level(v->v.s, &level)) {
		snprintf(err, errlen, "%s:%d: option 'log_level': unknown level '%s' "
			 "(error, warning, info, debug)", v->file, v->line, v->v.s);
		return false;
	}
	v = conf_last(c, OPT_DEBUG);
	unsigned saved = log_debug_mask;
	bool ok = log_set_debug(v->v.s);
	log_debug_mask = saved;
	if (!ok) {
		snprintf(err, errlen, "%s:%d: option 'debug': unknown subsystem in '%s' "
			 "(core, conf, link, route, gate, ctl, nat, data, all, none)",
			 v->file, v->line, v->v.s);
		return false;
	}
	if (2 * conf_u64(c, OPT_CONN_KEEPALIVE) > conf_u64(c, OPT_CONN_TIMEOUT)) {
		v = conf_last(c, OPT_CONN_TIMEOUT);
		snprintf(err, errlen, "%s:%d: option 'conn_timeout' must be at least twice "
			 "'conn_keepalive', or healthy links would be declared dead",
			 v->file, v->line);
		return false;
	}
	if (!gates_conf_check(c, err, errlen) || !router_conf_check(c, err, errlen) ||
	    !udp_conf_check(c, err, errlen))
		return false;
	if (conf_u64(c, OPT_CONN_RETRY_MAX) < conf_u64(c, OPT_CONN_RETRY)) {
		v = conf_last(c, OPT_CONN_RETRY_MAX);
		snprintf(err, errlen, "%s:%d: option 'conn_retry_max' is shorter than 'conn_retry'",
			 v->file, v->line);
		return false;
	}
	return true;
}

/* Parse argv into a finished, checked configuration.  flags receives the
 * --options; NULL on error with err set. */
static struct conf *conf_load(int argc, char **argv, bool at_start, const char **flags,
			      size_t *nflags, char *err, size_t errlen)
{
	struct conf *c = conf_new(cloud_options, OPT_COUNT);
	struct conf_err ce;
	const char *rest[MAX_REST];
	size_t nrest = 0;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!conf_parse_args(c, argc, argv, rest, MAX_REST, &nrest, &ce))
		goto bad;
	*nflags = 0;
	for (size_t i = 0; i < nrest; i++) {
		if (strncmp(rest[i], "--", 2)) {
			snprintf(err, errlen, "command line: unexpected argument '%s' "
				 "(options are '-name value')", rest[i]);
			conf_free(c);
			return NULL;
		}
		flags[(*nflags)++] = rest[i];
	}
	for (size_t i = 0; i < *nflags; i++) {
		if (!strcmp(flags[i], "--help") || !strcmp(flags[i], "--version") ||
		    !strcmp(flags[i], "--man-options"))
			return c;	/* no need for a complete configuration */
	}
	if (!conf_finish(c, &ce))
		goto bad;
	if (!conf_check(c, at_start, err, errlen)) {
		conf_free(c);
		return NULL;
	}
	return c;
bad:
	snprintf(err, errlen, "%s", ce.msg);
	conf_free(c);
	return NULL;
}

static void settings_load(struct settings *s, const struct conf *c)
{
	s->retry_us = conf_u64(c, OPT_CONN_RETRY);
	s->retry_max_us = conf_u64(c, OPT_CONN_RETRY_MAX);
	s->timeout_us = conf_u64(c, OPT_CONN_TIMEOUT);
	s->keepalive_us = conf_u64(c, OPT_CONN_KEEPALIVE);
	s->close_timeout_us = conf_u64(c, OPT_CLOSE_TIMEOUT);
	s->max_conns = (int)conf_int(c, OPT_MAX_CONNECTIONS);
	s->max_handshakes = (int)conf_int(c, OPT_MAX_HANDSHAKES);
	s->max_gates = (int)conf_int(c, OPT_MAX_GATES);
	s->gate_keepalive_us = conf_u64(c, OPT_GATE_KEEPALIVE);
	s->gate_timeout_us = conf_u64(c, OPT_GATE_TIMEOUT);
	s->max_waiting_data = conf_u64(c, OPT_MAX_WAITING_DATA);
	s->gate_handoff = conf_bool(c, OPT_GATE_HANDOFF);
	s->udp_gso = conf_bool(c, OPT_UDP_GSO);
	s->tun_gro = conf_bool(c, OPT_TUN_GRO);

	/* each link is one fd: stay clear of the fd limit, or accept() and
	 * outgoing connects start failing for everyone */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur > FD_RESERVE && (rlim_t)s->max_conns > rl.rlim_cur - FD_RESERVE) {
		log_warn(LOGS_CORE, "max_connections %d is above the fd limit %llu less %d in "
			 "reserve: using %llu", s->max_conns, (unsigned long long)rl.rlim_cur,
			 FD_RESERVE, (unsigned long long)(rl.rlim_cur - FD_RESERVE));
		s->max_conns = (int)(rl.rlim_cur - FD_RESERVE);
	}
	s->backlog = (int)conf_int(c, OPT_LISTEN_BACKLOG);
	s->nodelay = conf_bool(c, OPT_TCP_NODELAY);
}

static void logging_load(const struct conf *c)
{
	log_parse_level(conf_str(c, OPT_LOG_LEVEL), &log_level);
	log_set_debug(conf_str(c, OPT_DEBUG));
	log_init("cloud", conf_bool(c, OPT_SYSLOG));
}

/* ---------------------------------------------------------------- reload */

/* Close links whose peer the new credentials no longer accept (a revoked
 * or expired certificate, a removed pin, a name dropped from allow). */
static void recheck_links(struct cloud *cl, struct tls_creds *cr)
{
	struct link *l, *tmp;
	char why[200];

	TAILQ_FOREACH_SAFE(l, &cl->links, entry, tmp) {
		if (l->state != LINK_UP)
			continue;
		if (!tls_peer_still_trusted(cr, l->tls, l->peer.name, why, sizeof(why))) {
			cl->cnt.cert_rejected++;
			log_warn(LOGS_LINK, "link %s (%s): no longer allowed after reload: %s",
				 l->peer.name, l->addr_str, why);
			link_close(l, BYE_POLICY, "no longer allowed by the peer's configuration", true);
		}
	}
}

int cloud_reload(struct cloud *cl, char *err, size_t errlen)
{
	const char *flags[MAX_REST];
	size_t nflags;
	struct tls_creds *cr = NULL;
	struct conf *c;
	struct link *l;
	uint64_t keepalive = cl->set.keepalive_us;

	c = conf_load(cl->argc, cl->argv, false, flags, &nflags, err, errlen);
	if (!c)
		goto fail;
	if (tls_creds_load(c, &cr, err, errlen) < 0) {
		conf_free(c);
		goto fail;
	}
	if (strcmp(cr->name, cl->name)) {
		snprintf(err, errlen, "the new configuration names this node '%s', it runs as '%s'; "
			 "restart to rename", cr->name, cl->name);
		tls_creds_put(cr);
		conf_free(c);
		goto fail;
	}
	for (int i = 0; i < OPT_COUNT; i++) {
		if (!(cloud_options[i].flags & CONF_RELOAD) && !conf_same(cl->conf, c, i))
			log_warn(LOGS_CORE, "option '%s' changed: it takes effect after a restart",
				 cloud_options[i].name);
	}
	conf_free(cl->conf);
	cl->conf = c;
	settings_load(&cl->set, c);
	logging_load(c);
	tls_creds_put(cl->creds);
	cl->creds = cr;
	gates_reload(cl);
	router_settings(cl);
	udp_settings(cl);
	recheck_links(cl, cr);
	if (cl->set.keepalive_us != keepalive)
		TAILQ_FOREACH(l, &cl->links, entry)
			link_settings_changed(l);
	connectors_sync(cl);
	log_info(LOGS_CORE, "reloaded configuration");
	return 0;
fail:
	log_err(LOGS_CORE, "reload failed, keeping the running configuration: %s", err);
	return -1;
}

/* ---------------------------------------------------------------- signals */

static void stop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	log_info(LOGS_CORE, "links did not all close in time; exiting anyway");
	ev_break(loop, EVBREAK_ALL);
}

void cloud_maybe_done(struct cloud *cl)
{
	if (cl->stopping && cl->nlinks == 0)
		ev_break(cl->loop, EVBREAK_ALL);
}

void cloud_stop(struct cloud *cl)
{
	struct link *l, *tmp;

	if (cl->stopping)
		return;
	cl->stopping = true;
	log_info(LOGS_CORE, "shutting down: closing %u links and %u gates", cl->nlinks, cl->ngates);
	listeners_close(cl);
	gates_close(cl);
	TAILQ_FOREACH_SAFE(l, &cl->links, entry, tmp)
		link_close(l, BYE_SHUTDOWN, "shutdown", true);
	connectors_free(cl);	/* after the links, so that they say "shutdown" */
	ev_timer_init(&cl->stop_timer, stop_timer_cb,
		      (double)cl->set.close_timeout_us / 1e6 + 0.05, 0.);
	ev_timer_start(cl->loop, &cl->stop_timer);
	cloud_maybe_done(cl);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct cloud *cl = w->data;
	char err[ERR_LEN] = "";

	if (w->signum == SIGHUP) {
		log_info(LOGS_CORE, "SIGHUP: reloading configuration");
		cloud_reload(cl, err, sizeof(err));
		return;
	}
	log_info(LOGS_CORE, "%s received", w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
	cloud_stop(cl);
}

static void signals_start(struct cloud *cl)
{
	ev_signal *sigs[] = { &cl->sig_term, &cl->sig_int, &cl->sig_hup };
	int nums[] = { SIGTERM, SIGINT, SIGHUP };

	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < 3; i++) {
		ev_signal_init(sigs[i], signal_cb, nums[i]);
		sigs[i]->data = cl;
		ev_signal_start(cl->loop, sigs[i]);
	}
}

/* ---------------------------------------------------------------- main */

static void cloud_free(struct cloud *cl)
{
	struct link *l, *tmp;

	ctl_close(cl);
	listeners_close(cl);
	cl->stopping = true;	/* no reconnects while tearing down */
	gates_close(cl);
	connectors_free(cl);
	TAILQ_FOREACH_SAFE(l, &cl->links, entry, tmp)
		link_close(l, 0, "exiting", false);
	udp_close(cl);
	router_free(cl);
	resolve_shutdown();
	tls_creds_put(cl->creds);
	conf_free(cl->conf);
}

static bool has_flag(const char **flags, size_t n, const char *f)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(flags[i], f))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static struct cloud cloud;
	struct cloud *cl = &cloud;
	const char *flags[MAX_REST];
	size_t nflags = 0;
	char err[ERR_LEN] = "";
	int r;

	log_init("cloud", false);
	cl->conf = conf_load(argc, argv, true, flags, &nflags, err, sizeof(err));
	if (!cl->conf) {
		fprintf(stderr, "cloud: %s\n", err);
		fprintf(stderr, "cloud: try 'cloud --help'\n");
		return 1;
	}
	for (size_t i = 0; i < nflags; i++) {
		static const char *const known[] = { "--help", "--version", "--man-options",
						     "--check-config" };
		bool ok = false;
		for (size_t k = 0; k < 4; k++)
			ok = ok || !strcmp(flags[i], known[k]);
		if (!ok) {
			fprintf(stderr, "cloud: unknown flag '%s'; try 'cloud --help'\n", flags[i]);
			conf_free(cl->conf);
			return 1;
		}
	}
	if (has_flag(flags, nflags, "--help")) {
		usage(stdout);
		conf_free(cl->conf);
		return 0;
	}
	if (has_flag(flags, nflags, "--version")) {
		printf("cloud (cloudvpn) %s, GnuTLS %s\n", PACKAGE_VERSION, gnutls_check_version(NULL));
		conf_free(cl->conf);
		return 0;
	}
	if (has_flag(flags, nflags, "--man-options")) {
		conf_print_man(stdout, cloud_options, OPT_COUNT);
		conf_free(cl->conf);
		return 0;
	}
	if (tls_creds_load(cl->conf, &cl->creds, err, sizeof(err)) < 0) {
		fprintf(stderr, "cloud: %s\n", err);
		conf_free(cl->conf);
		return 1;
	}
	snprintf(cl->name, sizeof(cl->name), "%s", cl->creds->name);
	if (has_flag(flags, nflags, "--check-config")) {
		printf("cloud: configuration OK: node %s, %s trust, %zu listen, %zu connect\n",
		       cl->name, cl->creds->mode == TLS_X509 ? "X.509" : "raw public key",
		       conf_count(cl->conf, OPT_LISTEN), conf_count(cl->conf, OPT_CONNECT));
		cloud_free(cl);
		return 0;
	}

	cl->argc = argc;
	cl->argv = argv;
	settings_load(&cl->set, cl->conf);
	logging_load(cl->conf);
	jitter_rng_seed(&rng);
	cl->boot_id = random64();
	TAILQ_INIT(&cl->links);
	TAILQ_INIT(&cl->listeners);
	TAILQ_INIT(&cl->connectors);
	TAILQ_INIT(&cl->gates);
	TAILQ_INIT(&cl->gate_listeners);
	cl->loop = ev_default_loop(EVFLAG_AUTO);
	if (!cl->loop) {
		log_err(LOGS_CORE, "cannot initialise libev");
		return 1;
	}
	cl->started = ev_now(cl->loop);
	cl->next_bcast_id = cloud_random32();
	cl->flow_salt = cloud_random32();
	if (router_init(cl, err, sizeof(err)) < 0) {
		log_err(LOGS_CORE, "%s", err);
		cloud_free(cl);
		return 1;
	}
	signals_start(cl);
	resolve_init(cl->loop);

	r = listeners_open(cl, err, sizeof(err));
	if (r == 0)
		r = udp_open(cl, err, sizeof(err));
	if (r == 0)
		r = gates_open(cl, err, sizeof(err));
	if (r == 0 && conf_str(cl->conf, OPT_CTL))
		r = ctl_open(cl, conf_str(cl->conf, OPT_CTL), err, sizeof(err));
	if (r == 0)
		r = caps_drop(conf_str(cl->conf, OPT_USER), conf_str(cl->conf, OPT_GROUP),
			      conf_str(cl->conf, OPT_CHROOT), conf_bool(cl->conf, OPT_MLOCKALL),
			      NULL, err, sizeof(err));
	if (r < 0) {
		log_err(LOGS_CORE, "%s", err);
		cloud_free(cl);
		return 1;
	}
	log_info(LOGS_CORE, "node %s started (cloudvpn %s, %s trust, pid %d)", cl->name,
		 PACKAGE_VERSION, cl->creds->mode == TLS_X509 ? "X.509" : "raw public key",
		 (int)getpid());
	connectors_sync(cl);

	ev_run(cl->loop, 0);

	log_info(LOGS_CORE, "node %s stopped", cl->name);
	cloud_free(cl);
	ev_loop_destroy(cl->loop);
	return 0;
}
