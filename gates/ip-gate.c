/*
 * ip-gate.c - the L3 gate: a TUN device whose IPv4 and IPv6 packets travel
 * the mesh (DESIGN section 6).  Owns the option table, the device set-up,
 * what this node announces (the host address of every `address' and every
 * `route' prefix), the set of prefixes other nodes own (from cloud's
 * ROUTES) with the kernel routes that point them at the TUN, moving
 * packets between the TUN and cloud, the ICMP errors answered into the
 * TUN, and which packets get their TCP MSS clamped.  Header parsing, ICMP
 * building, MSS clamping and the route policy live in ipv.c, the
 * rtnetlink requests in rtnl.c, the command line in gate_cli.c.
 *
 * Instances: IPv4 travels in INST(AP_IPV4, instance), IPv6 in
 * INST(AP_IPV6, instance); dst and src of a PACKET are the IP header's.
 *
 * Invariants:
 *  - a packet is written to the TUN only if ipv_parse accepts it and its
 *    header agrees with the PACKET's instance, dst and src;
 *  - a kernel route exists (`installed') exactly for the remote prefixes
 *    that ipv_route_check lets through: not shorter than /8 (IPv4) or /16
 *    (IPv6), not inside one of our own subnets or routed prefixes, not
 *    overlapping a subnet of another interface of the host (the LAN, the
 *    neighbours that carry the mesh links), inside an `accept_route' when
 *    there are any; the interfaces' subnets are read again whenever an
 *    address changes, and the verdicts with them.  Each refusal is logged
 *    once;
 *  - only routes we added are ever deleted: they carry RTNL_PROTO, and
 *    are added with NLM_F_EXCL, so a route of the same prefix and metric
 *    that is already there is left alone (and the prefix not routed); one
 *    of a lower metric keeps precedence (rtnl.h);
 *  - losing cloud keeps the routes (it comes back with a REPLACE), a
 *    REMOVE takes a prefix away, a REPLACE what it did not name (after
 *    SWEEP_DELAY_S: a long REPLACE goes on in ADD messages), and exiting
 *    removes all;
 *  - routes go through rtnetlink, not `ip route': after the privilege drop
 *    ip-gate keeps CAP_NET_ADMIN, but a program it executed as another
 *    user would not;
 *  - with mss_clamp, the only bytes of a packet ever changed are the MSS
 *    value of a TCP SYN whose options all parse, lowered, and the TCP
 *    checksum with it (ipv_clamp_mss), in packets from the TUN and to it;
 *  - a fatal read error on the TUN (the device was deleted) stops the
 *    gate with exit status 1;
 *  - ICMP errors: never about multicast, ICMP errors or later fragments,
 *    at most ICMP_PER_S a second (burst ICMP_BURST), from our first address
 *    of the packet's family (none: no error).  Linux drops an IPv4 packet
 *    that arrives with one of its own addresses as source unless the
 *    interface has accept_local, so set-up turns that on for the TUN (and
 *    from_cloud refuses packets from the mesh that claim our addresses);
 *    where it cannot (read-only /proc/sys), IPv4 errors come from the
 *    unreachable destination itself, as tinc does.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <ev.h>

#include "addr.h"
#include "conf.h"
#include "gate_cli.h"
#include "gate_client.h"
#include "ipv.h"
#include "log.h"
#include "rtnl.h"
#include "tcpgro.h"
#include "tun.h"

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define PROG "ip-gate"
#define ERR_LEN 600
#define TUN_BUF_LEN 65536
#define TUN_BUDGET_PKTS 256	/* per wake-up: cloud's socket gets its turn */
#define ICMP_PER_S 10.0
#define ICMP_BURST 10.0
#define NL_TIMEOUT_MS 2000
#define SWEEP_DELAY_S 0.25	/* the ADDs that continue a REPLACE arrive within this */

enum ip_opt {
	O_IFACE_DEV, O_IFACE_PERSIST, O_ADDRESS, O_ROUTE, O_ACCEPT_ROUTE, O_MTU, O_MSS_CLAMP,
	O_INSTANCE, O_HANDOFF,
	O_UP_CMD, O_DOWN_CMD, O_USER, O_GROUP, O_LOG_LEVEL, O_DEBUG, O_SYSLOG,
	O_COUNT
};

static const struct conf_opt ip_options[O_COUNT] = {
	[O_IFACE_DEV] = { "iface_dev", CONF_STR, 0, "tun%d", "NAME",
		"TUN device to create or attach; %d picks the first free number." },
	[O_IFACE_PERSIST] = { "iface_persist", CONF_BOOL, 0, "no", "BOOL",
		"Keep the device when ip-gate exits." },
	[O_ADDRESS] = { "address", CONF_STR, CONF_REPEAT, NULL, "ADDR/BITS",
		"Address of the TUN device, IPv4 or IPv6 (e.g. 10.99.0.1/24, fd99::1/64); the host address is announced to the mesh." },
	[O_ROUTE] = { "route", CONF_STR, CONF_REPEAT, NULL, "PREFIX/BITS",
		"Announce a prefix this node is the gateway for (e.g. 192.168.50.0/24): the mesh sends its traffic here." },
	[O_ACCEPT_ROUTE] = { "accept_route", CONF_STR, CONF_REPEAT, NULL, "PREFIX/BITS",
		"Route into the device only the prefixes of other nodes that lie inside one of these (the strict setting); without it, any that passes the built-in checks." },
	[O_MTU] = { "mtu", CONF_INT, 0, "1420", "BYTES",
		"MTU of the device (at least 1280 with IPv6); longer packets are answered with ICMP.", 576, 65535 },
	[O_MSS_CLAMP] = { "mss_clamp", CONF_STR, 0, "off", "off|auto|BYTES",
		"Lower the MSS option of TCP SYNs through the device, both ways, to BYTES (536..65495), or with auto to mtu less 40 (IPv4) or 60 (IPv6)." },
	[O_INSTANCE] = { "instance", CONF_INT, 0, "0", "N",
		"Network id: nodes exchange IP packets only within the same instance.", 0, 65535 },
	[O_HANDOFF] = { "handoff", CONF_BOOL, 0, "yes", "BOOL",
		"Hand the TUN device to cloud, which then reads and writes it itself: packets skip this process (cloud's gate_handoff must allow it). ip-gate keeps the device, its routes and the unusual packets (ICMP errors)." },
	[O_UP_CMD] = { "iface_up_cmd", CONF_STR, 0, NULL, "COMMAND",
		"Shell command run once the device is up and addressed, before privileges are dropped; IFACE holds the device name." },
	[O_DOWN_CMD] = { "iface_down_cmd", CONF_STR, 0, NULL, "COMMAND",
		"Shell command run at exit, with the privileges left after the drop; IFACE holds the device name." },
	[O_USER] = { "user", CONF_STR, 0, NULL, "USER",
		"After set-up, switch to this user, keeping only CAP_NET_ADMIN (for routes)." },
	[O_GROUP] = { "group", CONF_STR, 0, NULL, "GROUP",
		"Group to switch to (default: the user's primary group)." },
	[O_LOG_LEVEL] = { "log_level", CONF_STR, 0, "info", "LEVEL",
		"error, warning, info or debug." },
	[O_DEBUG] = { "debug", CONF_STR, 0, "none", "SUBSYS,...",
		"Debug lines for these subsystems: core, conf, gate, route, data, all, none." },
	[O_SYSLOG] = { "syslog", CONF_BOOL, 0, "no", "BOOL",
		"Log to syslog (daemon facility) instead of stderr." },
};

struct tun_addr {
	struct addr a;		/* the host address */
	uint16_t bits;		/* its subnet's length */
};

struct rroute {			/* a prefix another node owns */
	struct prefix p;
	bool installed;		/* a kernel route of ours points it at the TUN */
	bool keep;		/* named since the last REPLACE */
	bool exists_logged;	/* a route not ours was in the way: said so */
	enum ipv_route_verdict refused;	/* the refusal last logged (INSTALL: none) */
};

struct ip_counters {
	uint64_t tun_rx, tun_bad, tun_mcast, tun_too_big, tun_unsent;
	uint64_t cloud_rx, cloud_bad, tun_tx, tun_tx_failed;
	uint64_t unreach_rx, icmp_sent, icmp_limited, icmp_suppressed, mss_clamped;
	uint64_t route_errors, routes_refused;
	uint64_t handed_back;		/* DEVICE_PACKETs from cloud */
};

struct ipgate {
	struct ev_loop *loop;
	struct conf *conf;
	const char *sock_path;
	char ifname[IFNAMSIZ];
	int ifindex, tun_fd;
	int exit_code;
	struct rtnl rt;
	uint16_t net;
	size_t mtu;
	uint16_t mss4, mss6;		/* mss_clamp for IPv4, IPv6; 0: off */
	bool accept_local;		/* IPv4 errors can come from our address */
	bool handoff;			/* `handoff': offer the TUN to cloud */
	bool handed;			/* cloud reads and writes the TUN now */
	struct tun_addr *addrs;		/* `address', in order */
	size_t naddrs;
	struct prefix *own;		/* what we announce */
	size_t nown;
	struct prefix *local;		/* our subnets and `route's: never routed to the TUN */
	size_t nlocal;
	struct prefix *accept;		/* `accept_route' */
	size_t naccept;
	struct prefix *ifnets;		/* subnets of the other interfaces (the kernel's) */
	size_t nifnets;
	struct rroute *routes;		/* sorted by route_cmp */
	size_t nroutes, routes_cap;
	struct gate_client *gc;
	ev_io tun_io;
	ev_io addr_io;			/* the host's addresses changed */
	ev_timer sweep;			/* drops what the last REPLACE did not name */
	ev_signal sig_term, sig_int, sig_usr1;
	double icmp_tokens;
	ev_tstamp icmp_last;
	struct ip_counters cnt;
	uint8_t icmp[IPV_ICMP_MAX];
	uint8_t buf[TUN_BUF_LEN];
};

/* ---------------------------------------------------------------- config */

/* An ADDR/BITS value of option `name'; a prefix (`exact') must have no
 * host bits set, an address must not be a /0. */
static bool cidr_opt(const struct conf_value *v, const char *name, uint16_t net, bool exact,
		     struct addr *a, uint16_t *bits, char *err, size_t errlen)
{
	char text[ADDR_TEXT_MAX];
	struct prefix p;

	if (!ipv_parse_cidr(v->v.s, net, a, bits))
		return gate_cli_bad(v, name, err, errlen, "expected an IPv4 or IPv6 ADDR/BITS, "
				    "got '%s'", v->v.s);
	ipv_prefix_of(&p, a, *bits);
	if (exact && memcmp(p.a.b, a->b, a->len)) {
		prefix_format(&p, text, sizeof(text));
		return gate_cli_bad(v, name, err, errlen, "'%s' has host bits set (did you "
				    "mean %s?)", v->v.s, strchr(text, ':') + 1);
	}
	if (!exact && *bits == 0)
		return gate_cli_bad(v, name, err, errlen, "'%s': a /0 subnet is not an address",
				    v->v.s);
	return true;
}

/* mss_clamp: off, auto (from the MTU) or a number of bytes. */
static bool mss_opt(struct ipgate *g, const struct conf *c, char *err, size_t errlen)
{
	const struct conf_value *v = conf_last(c, O_MSS_CLAMP);
	long long n;

	if (!strcmp(v->v.s, "off")) {
		g->mss4 = g->mss6 = 0;
	} else if (!strcmp(v->v.s, "auto")) {
		g->mss4 = (uint16_t)(g->mtu - IPV4_MSS_OVERHEAD);
		g->mss6 = (uint16_t)(g->mtu - IPV6_MSS_OVERHEAD);
	} else if (conf_parse_int(v->v.s, &n) && n >= IPV_MSS_MIN && n <= IPV_MSS_MAX) {
		g->mss4 = g->mss6 = (uint16_t)n;
	} else {
		return gate_cli_bad(v, "mss_clamp", err, errlen, "expected off, auto or a "
				    "number of bytes from %d to %d, got '%s'", IPV_MSS_MIN,
				    IPV_MSS_MAX, v->v.s);
	}
	return true;
}

/* Fill addrs, own, local and accept from c; false with err set. */
static bool ip_config(void *arg, const struct conf *c, char *err, size_t errlen)
{
	struct ipgate *g = arg;
	size_t na = conf_count(c, O_ADDRESS), nr = conf_count(c, O_ROUTE);
	size_t nacc = conf_count(c, O_ACCEPT_ROUTE);
	bool v6 = false;

	g->net = (uint16_t)conf_int(c, O_INSTANCE);
	g->mtu = (size_t)conf_int(c, O_MTU);
	g->handoff = conf_bool(c, O_HANDOFF);
	g->addrs = calloc(na + 1, sizeof(*g->addrs));
	g->local = calloc(na + nr + 1, sizeof(*g->local));
	g->accept = calloc(nacc + 1, sizeof(*g->accept));
	g->own = calloc(na + nr + 1, sizeof(*g->own));
	if (!g->addrs || !g->local || !g->accept || !g->own) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	for (size_t i = 0; i < na + nr; i++) {
		const struct conf_value *v = i < na ? conf_get(c, O_ADDRESS, i) :
					     conf_get(c, O_ROUTE, i - na);
		struct addr a;
		uint16_t bits;

		if (!cidr_opt(v, i < na ? "address" : "route", g->net, i >= na, &a, &bits,
			      err, errlen))
			return false;
		v6 = v6 || a.len == 16;
		ipv_prefix_of(&g->local[g->nlocal++], &a, bits);
		if (i < na) {
			g->addrs[g->naddrs].a = a;
			g->addrs[g->naddrs++].bits = bits;
			prefix_host(&g->own[g->nown++], &a);
		} else {
			ipv_prefix_of(&g->own[g->nown++], &a, bits);
		}
	}
	for (size_t i = 0; i < nacc; i++) {
		struct addr a;
		uint16_t bits;

		if (!cidr_opt(conf_get(c, O_ACCEPT_ROUTE, i), "accept_route", g->net, true, &a,
			      &bits, err, errlen))
			return false;
		ipv_prefix_of(&g->accept[g->naccept++], &a, bits);
	}
	if (g->nown == 0) {
		snprintf(err, errlen, "nothing to announce: set at least one 'address' or 'route'");
		return false;
	}
	if (v6 && g->mtu < IPV6_MTU_MIN)
		return gate_cli_bad(conf_last(c, O_MTU), "mtu", err, errlen,
				    "IPv6 needs at least %d, got %zu", IPV6_MTU_MIN, g->mtu);
	if (!mss_opt(g, c, err, errlen))
		return false;
	if (strlen(conf_str(c, O_IFACE_DEV)) >= IFNAMSIZ) {
		snprintf(err, errlen, "option 'iface_dev': '%s' is longer than %d bytes",
			 conf_str(c, O_IFACE_DEV), IFNAMSIZ - 1);
		return false;
	}
	return true;
}

static void ip_summary(void *arg, const struct conf *c, const char *socket, FILE *f)
{
	const struct ipgate *g = arg;

	fprintf(f, "%zu addresses, %zu routes, instance %u, mtu %zu", g->naddrs,
		g->nown - g->naddrs, g->net, g->mtu);
	if (g->naccept)
		fprintf(f, ", %zu accepted prefixes", g->naccept);
	if (g->mss4)
		fprintf(f, ", mss clamp %u (IPv4) %u (IPv6)", g->mss4, g->mss6);
}

static const struct gate_cli_spec ip_cli = {
	.prog = PROG,
	.synopsis = "SOCKET [-name value ...] [-@include FILE ...]",
	.about = "cloudvpn IP gate: a TUN device whose IPv4/IPv6 packets travel the mesh through\n"
		 "cloud's gate SOCKET.  Options as for cloud: `-name value' on the command line,\n"
		 "`name value' lines in included files.\n",
	.table = ip_options,
	.nopts = O_COUNT,
	.opt_log_level = O_LOG_LEVEL,
	.opt_debug = O_DEBUG,
	.opt_syslog = O_SYSLOG,
	.opt_user = O_USER,
	.opt_group = O_GROUP,
	.check = ip_config,
	.summary = ip_summary,
};

/* ---------------------------------------------------------------- kernel routes */

/* Add r's kernel route.  Again when we think it is there: that repairs a
 * route the kernel dropped (the device was set down and up), and EEXIST
 * then means it is still there. */
static void route_install(struct ipgate *g, struct rroute *r)
{
	char text[ADDR_TEXT_MAX];
	int e = rtnl_route_add(&g->rt, g->ifindex, &r->p);

	if (e == -EEXIST && r->installed)
		return;
	prefix_format(&r->p, text, sizeof(text));
	if (e == -EEXIST) {
		if (!r->exists_logged) {
			g->cnt.routes_refused++;
			log_warn(LOGS_ROUTE, "not routing %s to %s: the kernel already has a route "
				 "for it that ip-gate did not add", text, g->ifname);
		}
		r->exists_logged = true;
		return;
	}
	if (e < 0) {
		g->cnt.route_errors++;
		log_warn(LOGS_ROUTE, "cannot route %s to %s: %s", text, g->ifname, strerror(-e));
		return;
	}
	r->exists_logged = false;
	if (!r->installed)
		log_info(LOGS_ROUTE, "route %s dev %s", text, g->ifname);
	r->installed = true;
}

static void route_uninstall(struct ipgate *g, struct rroute *r)
{
	char text[ADDR_TEXT_MAX];
	int e;

	if (!r->installed)
		return;
	r->installed = false;
	prefix_format(&r->p, text, sizeof(text));
	e = rtnl_route_del(&g->rt, g->ifindex, &r->p);
	if (e < 0 && e != -ESRCH) {
		g->cnt.route_errors++;
		log_warn(LOGS_ROUTE, "cannot remove route %s from %s: %s", text, g->ifname,
			 strerror(-e));
		return;
	}
	log_info(LOGS_ROUTE, "route %s removed", text);
}

/* Log why p gets no route, once per prefix and reason. */
static void route_refused(struct ipgate *g, struct rroute *r, enum ipv_route_verdict v,
			  size_t which)
{
	char text[ADDR_TEXT_MAX], sub[ADDR_TEXT_MAX];

	prefix_format(&r->p, text, sizeof(text));
	if (v == IPV_ROUTE_LOCAL) {
		log_dbg(LOGS_ROUTE, "%s: covered locally, no kernel route", text);
		return;
	}
	if (r->refused == v)
		return;
	r->refused = v;
	g->cnt.routes_refused++;
	if (v == IPV_ROUTE_TOO_SHORT) {
		log_warn(LOGS_ROUTE, "not routing %s to %s: shorter than /%d", text, g->ifname,
			 r->p.a.len == 4 ? IPV4_ROUTE_BITS_MIN : IPV6_ROUTE_BITS_MIN);
	} else if (v == IPV_ROUTE_OVERLAP) {
		prefix_format(&g->ifnets[which], sub, sizeof(sub));
		log_warn(LOGS_ROUTE, "not routing %s to %s: it overlaps %s, a subnet of another "
			 "interface", text, g->ifname, strchr(sub, ':') + 1);
	} else {
		log_warn(LOGS_ROUTE, "not routing %s to %s: outside every accept_route", text,
			 g->ifname);
	}
}

/* Bring r's kernel route in line with the policy; repair: add it again
 * even if we think it is there (see route_install). */
static void route_apply(struct ipgate *g, struct rroute *r, bool repair)
{
	struct ipv_route_policy pol = {
		.local = g->local, .nlocal = g->nlocal, .ifnets = g->ifnets,
		.nifnets = g->nifnets, .accept = g->accept, .naccept = g->naccept,
	};
	size_t which = 0;
	enum ipv_route_verdict v = ipv_route_check(&pol, &r->p, &which);

	if (v != IPV_ROUTE_INSTALL) {
		route_uninstall(g, r);
		route_refused(g, r, v, which);
		return;
	}
	r->refused = IPV_ROUTE_INSTALL;
	if (repair || !r->installed)
		route_install(g, r);
}

/* Read the other interfaces' subnets again; 0 or -errno (the old ones kept). */
static int ifnets_load(struct ipgate *g)
{
	struct prefix *p;
	size_t n;
	int e = rtnl_subnets(&g->rt, g->ifindex, g->net, &p, &n);

	if (e < 0) {
		free(p);
		return e;
	}
	free(g->ifnets);
	g->ifnets = p;
	g->nifnets = n;
	return 0;
}

static void addr_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ipgate *g = container_of(w, struct ipgate, addr_io);
	int e;

	if (!rtnl_addrs_changed(&g->rt))
		return;
	e = ifnets_load(g);
	if (e < 0) {
		log_warn(LOGS_ROUTE, "addresses changed, but cannot list them: %s", strerror(-e));
		return;
	}
	log_dbg(LOGS_ROUTE, "addresses changed: %zu subnets on other interfaces",
		g->nifnets);
	for (size_t i = 0; i < g->nroutes; i++)
		route_apply(g, &g->routes[i], false);
}

/* ---------------------------------------------------------------- the set of remote prefixes */

static int route_cmp(const struct prefix *x, const struct prefix *y)
{
	if (x->a.inst != y->a.inst)
		return x->a.inst < y->a.inst ? -1 : 1;
	if (x->a.len != y->a.len)
		return x->a.len < y->a.len ? -1 : 1;
	if (x->bits != y->bits)
		return x->bits < y->bits ? -1 : 1;
	return memcmp(x->a.b, y->a.b, x->a.len);
}

/* Index of p, or where it would go (*found false). */
static size_t route_find(const struct ipgate *g, const struct prefix *p, bool *found)
{
	size_t lo = 0, hi = g->nroutes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = route_cmp(&g->routes[mid].p, p);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* A prefix from ROUTES ADD or REPLACE; a REPLACE installs known ones again
 * (see route_install), an ADD only those that are not installed. */
static void route_add(struct ipgate *g, const struct prefix *p, bool replace)
{
	bool found;
	size_t i = route_find(g, p, &found);

	if (found) {
		g->routes[i].keep = true;
		route_apply(g, &g->routes[i], replace);
		return;
	}
	if (g->nroutes == g->routes_cap) {
		size_t cap = g->routes_cap ? 2 * g->routes_cap : 64;
		struct rroute *r = realloc(g->routes, cap * sizeof(*r));

		if (!r) {
			log_err(LOGS_ROUTE, "out of memory for routes");
			return;
		}
		g->routes = r;
		g->routes_cap = cap;
	}
	memmove(&g->routes[i + 1], &g->routes[i], (g->nroutes - i) * sizeof(*g->routes));
	g->nroutes++;
	g->routes[i] = (struct rroute){ .p = *p, .keep = true };
	route_apply(g, &g->routes[i], false);
}

static void route_remove_at(struct ipgate *g, size_t i)
{
	route_uninstall(g, &g->routes[i]);
	memmove(&g->routes[i], &g->routes[i + 1], (g->nroutes - i - 1) * sizeof(*g->routes));
	g->nroutes--;
}

/* Is p one of ours to care about: an IPv4/IPv6 prefix of our network? */
static bool route_relevant(const struct ipgate *g, const struct prefix *p)
{
	return (p->a.inst == INST(AP_IPV4, g->net) && p->a.len == 4) ||
	       (p->a.inst == INST(AP_IPV6, g->net) && p->a.len == 16);
}

static void sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ipgate *g = container_of(w, struct ipgate, sweep);

	for (size_t i = g->nroutes; i-- > 0;)
		if (!g->routes[i].keep)
			route_remove_at(g, i);
}

static void routes_msg(struct ipgate *g, const struct gate_msg *m)
{
	struct prefix p;
	size_t off = 0;
	bool found;

	if (m->ann.op == ANN_REPLACE) {
		for (size_t i = 0; i < g->nroutes; i++)
			g->routes[i].keep = false;
		ev_timer_stop(g->loop, &g->sweep);
		ev_timer_set(&g->sweep, SWEEP_DELAY_S, 0.);
		ev_timer_start(g->loop, &g->sweep);
	}
	while (gate_ann_next(m, &off, &p)) {
		if (!route_relevant(g, &p))
			continue;
		if (m->ann.op == ANN_REMOVE) {
			size_t i = route_find(g, &p, &found);
			if (found)
				route_remove_at(g, i);
		} else {
			route_add(g, &p, m->ann.op == ANN_REPLACE);
		}
	}
	log_dbg(LOGS_ROUTE, "routes %s: %u prefixes, %zu known",
		m->ann.op == ANN_REPLACE ? "replace" : m->ann.op == ANN_ADD ? "add" : "remove",
		m->ann.count, g->nroutes);
}

/* ---------------------------------------------------------------- ICMP */

/* The source of an ICMP error about p (see the top); NULL: none. */
static const struct addr *icmp_source(const struct ipgate *g, const struct ipv_pkt *p)
{
	if (p->version == 4 && !g->accept_local)
		return &p->dst;
	for (size_t i = 0; i < g->naddrs; i++)
		if (g->addrs[i].a.len == p->dst.len)
			return &g->addrs[i].a;
	return NULL;
}

static bool icmp_allowed_now(struct ipgate *g)
{
	ev_tstamp now = ev_now(g->loop);

	g->icmp_tokens += (now - g->icmp_last) * ICMP_PER_S;
	if (g->icmp_tokens > ICMP_BURST)
		g->icmp_tokens = ICMP_BURST;
	g->icmp_last = now;
	if (g->icmp_tokens < 1.0)
		return false;
	g->icmp_tokens -= 1.0;
	return true;
}

/* ---------------------------------------------------------------- TUN */

/* With `handoff' the TUN has a virtio-net header on every packet (for
 * cloud's joined writes); ip-gate asks for no offloads, so on its own
 * reads the header says nothing and on its writes it is all zero. */
static ssize_t tun_recv(struct ipgate *g, uint8_t *buf, size_t cap)
{
	uint8_t vh[VNET_HDR_LEN];
	struct iovec iov[2] = { { vh, sizeof(vh) }, { buf, cap } };
	ssize_t n;

	if (!g->handoff)
		return read(g->tun_fd, buf, cap);
	n = readv(g->tun_fd, iov, 2);
	if (n < 0)
		return n;
	return n < VNET_HDR_LEN ? 0 : n - VNET_HDR_LEN;
}

static bool tun_send(struct ipgate *g, const uint8_t *pkt, size_t len)
{
	uint8_t vh[VNET_HDR_LEN];
	struct iovec iov[2] = { { vh, sizeof(vh) }, { (void *)pkt, len } };

	if (!g->handoff)
		return write(g->tun_fd, pkt, len) == (ssize_t)len;
	tcpgro_plain_hdr(vh);
	return writev(g->tun_fd, iov, 2) == (ssize_t)(VNET_HDR_LEN + len);
}

/* Answer orig (len bytes, parsed into p) with an ICMP error into the TUN. */
static void icmp_answer(struct ipgate *g, enum ipv_error_kind kind, const uint8_t *orig,
			size_t len, const struct ipv_pkt *p)
{
	const struct addr *from = icmp_source(g, p);
	size_t n;

	if (!from || !ipv_error_allowed(p, orig, len)) {
		g->cnt.icmp_suppressed++;
		return;
	}
	if (!icmp_allowed_now(g)) {
		g->cnt.icmp_limited++;
		return;
	}
	n = ipv_icmp_error(g->icmp, sizeof(g->icmp), kind, (uint32_t)g->mtu, from, orig, len);
	if (!n || !tun_send(g, g->icmp, n)) {
		g->cnt.tun_tx_failed++;
		return;
	}
	g->cnt.icmp_sent++;
}

/* ---------------------------------------------------------------- packets */

/* The mss_clamp for p's family; 0: off. */
static uint16_t mss_clamp_for(const struct ipgate *g, const struct ipv_pkt *p)
{
	return p->version == 4 ? g->mss4 : g->mss6;
}

static void from_tun(struct ipgate *g, uint8_t *buf, size_t len)
{
	char d[ADDR_TEXT_MAX];
	struct ipv_pkt p;
	uint16_t mss;
	int r;

	g->cnt.tun_rx++;
	if (!ipv_parse(buf, len, g->net, &p)) {
		g->cnt.tun_bad++;
		log_dbg(LOGS_DATA, "%s: malformed packet of %zu bytes dropped", g->ifname, len);
		return;
	}
	if (ipv_addr_multicast(&p.dst)) {
		g->cnt.tun_mcast++;	/* neighbour discovery, MLD, ...: not ours */
		return;
	}
	if (p.len > g->mtu && p.df) {
		g->cnt.tun_too_big++;
		icmp_answer(g, IPV_TOO_BIG, buf, p.len, &p);
		return;
	}
	mss = mss_clamp_for(g, &p);
	if (mss && ipv_clamp_mss(buf, p.len, mss))
		g->cnt.mss_clamped++;
	r = gate_client_packet(g->gc, 0, p.dst.inst, &p.dst, &p.src, buf, p.len);
	if (r < 0) {
		g->cnt.tun_unsent++;
		if (log_debug_mask & (1u << LOGS_DATA)) {
			addr_format(&p.dst, d, sizeof(d));
			log_dbg(LOGS_DATA, "packet to %s not sent: %s", d, strerror(-r));
		}
	}
}

static void tun_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ipgate *g = container_of(w, struct ipgate, tun_io);

	for (int i = 0; i < TUN_BUDGET_PKTS; i++) {
		ssize_t n = tun_recv(g, g->buf, sizeof(g->buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* the device is gone (EBADFD): the fd would stay readable */
			log_err(LOGS_CORE, "%s: read: %s; stopping", g->ifname, strerror(errno));
			ev_io_stop(loop, w);
			g->exit_code = 1;
			ev_break(loop, EVBREAK_ALL);
			return;
		}
		from_tun(g, g->buf, (size_t)n);
	}
}

static bool addr_ours(const struct ipgate *g, const struct addr *a)
{
	for (size_t i = 0; i < g->naddrs; i++)
		if (addr_equal(&g->addrs[i].a, a))
			return true;
	return false;
}

static void from_cloud(struct ipgate *g, const struct gate_msg *m)
{
	const uint8_t *pkt = m->pkt.payload;
	struct ipv_pkt p;
	uint16_t mss;

	g->cnt.cloud_rx++;
	if (!ipv_parse(m->pkt.payload, m->pkt.len, g->net, &p) ||
	    !addr_equal(&p.dst, &m->pkt.dst) || !addr_equal(&p.src, &m->pkt.src) ||
	    addr_ours(g, &p.src)) {
		g->cnt.cloud_bad++;
		log_dbg(LOGS_DATA, "malformed or mismatched packet of %zu bytes from %s dropped",
			m->pkt.len, m->pkt.origin);
		return;
	}
	/* the message is read-only: a SYN to clamp is copied to g->buf, which
	 * only tun_cb reads into, and never while cloud's messages are handled */
	mss = mss_clamp_for(g, &p);
	if (mss && p.len <= sizeof(g->buf) && ipv_mss_above(pkt, p.len, mss)) {
		memcpy(g->buf, pkt, p.len);
		ipv_clamp_mss(g->buf, p.len, mss);
		pkt = g->buf;
		g->cnt.mss_clamped++;
	}
	if (!tun_send(g, pkt, p.len)) {
		g->cnt.tun_tx_failed++;
		return;
	}
	g->cnt.tun_tx++;
}

static void from_unreachable(struct ipgate *g, const struct gate_msg *m)
{
	struct ipv_pkt p;

	g->cnt.unreach_rx++;
	if (!ipv_parse_head(m->unreach.head, m->unreach.len, g->net, &p) ||
	    !addr_equal(&p.dst, &m->unreach.dst)) {
		g->cnt.cloud_bad++;
		return;
	}
	icmp_answer(g, IPV_UNREACH_HOST, m->unreach.head, m->unreach.len, &p);
}

/* ---------------------------------------------------------------- handoff */

/* Offer the TUN to cloud (gate_dev.h); until it accepts, we go on reading
 * it ourselves. */
static void offer_device(struct ipgate *g)
{
	uint8_t msg[32];
	size_t n = gate_enc_device(msg, sizeof(msg), DEV_VNET_HDR, DEV_TUN_IP, g->net,
				   (uint16_t)g->mtu, g->mss4, g->mss6);
	int r = n ? gate_client_send_fd(g->gc, msg, n, g->tun_fd) : -EINVAL;

	if (r < 0)
		log_warn(LOGS_GATE, "offering %s to cloud: %s; packets stay on the gate socket",
			 g->ifname, strerror(-r));
}

/* Read the TUN ourselves again. */
static void take_back(struct ipgate *g)
{
	if (!g->handed)
		return;
	g->handed = false;
	ev_io_start(g->loop, &g->tun_io);
}

/* cloud took the device, refused it, or gave it back. */
static void device_ack(struct ipgate *g, const struct gate_msg *m)
{
	if (m->devack.accepted && !g->handed) {
		g->handed = true;
		ev_io_stop(g->loop, &g->tun_io);
		log_info(LOGS_GATE, "cloud reads and writes %s now", g->ifname);
	} else if (!m->devack.accepted) {
		log_info(LOGS_GATE, "cloud %s %s: %s; packets go over the gate socket",
			 g->handed ? "handed back" : "did not take", g->ifname, m->devack.text);
		take_back(g);
	}
}

/* A packet cloud read from the TUN and left to us. */
static void device_packet(struct ipgate *g, const struct gate_msg *m)
{
	g->cnt.handed_back++;
	memcpy(g->buf, m->devpkt.payload, m->devpkt.len);
	from_tun(g, g->buf, m->devpkt.len);
}

/* ---------------------------------------------------------------- cloud */

static void on_connected(void *arg)
{
	struct ipgate *g = arg;
	int r = gate_client_announce(g->gc, ANN_REPLACE, g->own, g->nown);

	if (r < 0)
		log_warn(LOGS_GATE, "announcing %zu prefixes: %s", g->nown, strerror(-r));
	else
		log_info(LOGS_GATE, "announced %zu prefixes in instance %u", g->nown, g->net);
	if (g->handoff)
		offer_device(g);
}

static void on_disconnected(void *arg)
{
	struct ipgate *g = arg;

	take_back(g);				/* cloud closed its copy */
	ev_timer_stop(g->loop, &g->sweep);	/* a REPLACE cut short names too little */
	for (size_t i = 0; i < g->nroutes; i++)
		g->routes[i].keep = true;
	log_info(LOGS_GATE, "cloud lost; keeping %zu remote prefixes until it is back",
		 g->nroutes);
}

static void on_message(void *arg, const struct gate_msg *m)
{
	struct ipgate *g = arg;

	switch (m->type) {
	case GM_PACKET:
		from_cloud(g, m);
		break;
	case GM_UNREACHABLE:
		from_unreachable(g, m);
		break;
	case GM_ROUTES:
		routes_msg(g, m);
		break;
	case GM_DEVICE_ACK:
		device_ack(g, m);
		break;
	case GM_DEVICE_PACKET:
		device_packet(g, m);
		break;
	default:
		log_dbg(LOGS_GATE, "ignoring %s from cloud", gate_msg_name(m->type));
		break;
	}
}

static const struct gate_client_ops ip_ops = {
	.connected = on_connected,
	.disconnected = on_disconnected,
	.message = on_message,
};

/* ---------------------------------------------------------------- set-up */

static int add_addresses(struct ipgate *g, char *err, size_t errlen)
{
	for (size_t i = 0; i < conf_count(g->conf, O_ADDRESS); i++) {
		const char *cidr = conf_get(g->conf, O_ADDRESS, i)->v.s;
		bool v6 = g->addrs[i].a.len == 16;
		char *argv[] = { "ip", v6 ? "-6" : "-4", "addr", "replace", (char *)cidr,
				 "dev", g->ifname, v6 ? "nodad" : NULL, NULL };
		char why[300];

		if (tun_run(argv, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: adding address %s: %s", g->ifname, cidr, why);
			return -1;
		}
	}
	return 0;
}

/* net.ipv4.conf.IFACE.accept_local = 1 (see the top); false if not. */
static bool set_accept_local(const char *ifname)
{
	char path[128], *p;
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/accept_local", ifname);
	for (p = path + strlen("/proc/sys/net/ipv4/conf/"); *p != '/'; p++)
		if (*p == '.')
			*p = '/';	/* sysctl spells dots in names as slashes */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = write(fd, "1\n", 2) == 2;
	close(fd);
	return ok;
}

/* rtnetlink, routes an earlier run left on a persistent device, the
 * subnets of the other interfaces (after iface_up_cmd: it may add some). */
static int routes_open(struct ipgate *g, char *err, size_t errlen)
{
	int e = rtnl_open(&g->rt, NL_TIMEOUT_MS, true);

	if (!e && (e = rtnl_flush(&g->rt, g->ifindex)) > 0)
		log_info(LOGS_ROUTE, "%s: removed %d routes left by an earlier run", g->ifname, e);
	if (e >= 0)
		e = ifnets_load(g);
	if (e < 0) {
		snprintf(err, errlen, "rtnetlink: %s", strerror(-e));
		return -1;
	}
	return 0;
}

static int device_open(struct ipgate *g, char *err, size_t errlen)
{
	static const int keep[] = { CAP_NET_ADMIN, -1 };
	const char *up = conf_str(g->conf, O_UP_CMD);
	char why[300];
	int r;

	snprintf(g->ifname, sizeof(g->ifname), "%s", conf_str(g->conf, O_IFACE_DEV));
	/* a device for cloud gets a virtio-net header: cloud may then
	 * write joined TCP runs into it (lib/tcpgro.h) */
	g->tun_fd = tun_open(TUN_L3, g->ifname, sizeof(g->ifname),
			     conf_bool(g->conf, O_IFACE_PERSIST), g->handoff, err, errlen);
	if (g->tun_fd < 0)
		return -1;
	if ((r = tun_set_mtu(g->ifname, (int)g->mtu)) < 0 ||
	    (r = tun_set_up(g->ifname, true)) < 0) {
		snprintf(err, errlen, "%s: setting MTU %zu and up: %s", g->ifname, g->mtu,
			 strerror(-r));
		return -1;
	}
	if (add_addresses(g, err, errlen) < 0)
		return -1;
	g->accept_local = set_accept_local(g->ifname);
	if (!g->accept_local)
		log_warn(LOGS_CORE, "%s: cannot set accept_local: IPv4 ICMP errors will come "
			 "from the unreachable address itself", g->ifname);
	g->ifindex = (int)if_nametoindex(g->ifname);
	if (!g->ifindex) {
		snprintf(err, errlen, "%s: %s", g->ifname, strerror(errno));
		return -1;
	}
	if (up && tun_run_script(up, g->ifname, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "iface_up_cmd: %s", why);
		return -1;
	}
	if (routes_open(g, err, errlen) < 0)
		return -1;
	return gate_cli_drop_privileges(&ip_cli, g->conf, keep, err, errlen) < 0 ? -1 : 0;
}

static void log_counters(const struct ipgate *g)
{
	const struct ip_counters *c = &g->cnt;

	log_info(LOGS_CORE, "%s: from tun %llu (malformed %llu, multicast %llu, too big %llu, "
		 "unsent %llu); from cloud %llu (malformed %llu), to tun %llu (failed %llu); "
		 "unreachable %llu; icmp sent %llu, rate-limited %llu, suppressed %llu; "
		 "mss clamped %llu; routes %zu, route errors %llu, routes refused %llu; "
		 "handed to cloud %s, handed back %llu",
		 g->ifname,
		 (unsigned long long)c->tun_rx, (unsigned long long)c->tun_bad,
		 (unsigned long long)c->tun_mcast, (unsigned long long)c->tun_too_big,
		 (unsigned long long)c->tun_unsent, (unsigned long long)c->cloud_rx,
		 (unsigned long long)c->cloud_bad, (unsigned long long)c->tun_tx,
		 (unsigned long long)c->tun_tx_failed, (unsigned long long)c->unreach_rx,
		 (unsigned long long)c->icmp_sent, (unsigned long long)c->icmp_limited,
		 (unsigned long long)c->icmp_suppressed, (unsigned long long)c->mss_clamped,
		 g->nroutes,
		 (unsigned long long)c->route_errors, (unsigned long long)c->routes_refused,
		 g->handed ? "yes" : "no", (unsigned long long)c->handed_back);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct ipgate *g = w->data;

	if (w->signum == SIGUSR1) {
		log_counters(g);
		return;
	}
	log_info(LOGS_CORE, "%s received: stopping", w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
	ev_break(loop, EVBREAK_ALL);
}

static void signals_start(struct ipgate *g)
{
	ev_signal *sigs[] = { &g->sig_term, &g->sig_int, &g->sig_usr1 };
	int nums[] = { SIGTERM, SIGINT, SIGUSR1 };

	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < 3; i++) {
		ev_signal_init(sigs[i], signal_cb, nums[i]);
		sigs[i]->data = g;
		ev_signal_start(g->loop, sigs[i]);
	}
}

static void ip_shutdown(struct ipgate *g)
{
	const char *down = conf_str(g->conf, O_DOWN_CMD);
	char why[300];

	for (size_t i = 0; i < g->nroutes; i++)
		route_uninstall(g, &g->routes[i]);
	if (down && tun_run_script(down, g->ifname, why, sizeof(why)) < 0)
		log_warn(LOGS_CORE, "iface_down_cmd: %s", why);
	log_counters(g);
	gate_client_free(g->gc);
	close(g->tun_fd);
	rtnl_close(&g->rt);
	free(g->routes);
	free(g->own);
	free(g->local);
	free(g->accept);
	free(g->ifnets);
	free(g->addrs);
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	static struct ipgate gate = { .tun_fd = -1, .rt = { .fd = -1, .watch_fd = -1 } };
	struct ipgate *g = &gate;
	char err[ERR_LEN] = "";
	int status;

	if (!gate_cli_load(&ip_cli, g, argc, argv, &g->conf, &g->sock_path, &status))
		return status;
	g->loop = ev_default_loop(EVFLAG_AUTO);
	signals_start(g);
	if (device_open(g, err, sizeof(err)) < 0) {
		log_err(LOGS_CORE, "%s", err);
		return 1;
	}
	g->icmp_tokens = ICMP_BURST;
	g->icmp_last = ev_now(g->loop);
	ev_init(&g->sweep, sweep_cb);
	g->gc = gate_client_new(g->loop, g->sock_path, PROG, &ip_ops, g);
	if (!g->gc) {
		log_err(LOGS_CORE, "gate socket '%s': %s", g->sock_path, strerror(errno));
		return 1;
	}
	ev_io_init(&g->tun_io, tun_cb, g->tun_fd, EV_READ);
	ev_io_start(g->loop, &g->tun_io);
	ev_io_init(&g->addr_io, addr_cb, g->rt.watch_fd, EV_READ);
	ev_io_start(g->loop, &g->addr_io);
	log_info(LOGS_CORE, "%s up: mtu %zu, %zu addresses, %zu routed prefixes, instance %u",
		 g->ifname, g->mtu, g->naddrs, g->nown - g->naddrs, g->net);
	ev_run(g->loop, 0);
	ip_shutdown(g);
	conf_free(g->conf);
	return g->exit_code;
}
