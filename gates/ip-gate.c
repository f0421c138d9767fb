/*
 * ip-gate.c - the L3 gate: a TUN device whose IPv4 and IPv6 packets travel
 * the mesh (DESIGN section 6).  Owns the command line and option table, the
 * device set-up, what this node announces (the host address of every
 * `address' and every `route' prefix), the set of prefixes other nodes own
 * (from cloud's ROUTES) with the kernel routes that point them at the TUN,
 * moving packets between the TUN and cloud, and the ICMP errors answered
 * into the TUN.  Header parsing and ICMP building live in ipv.c.
 *
 * Instances: IPv4 travels in INST(AP_IPV4, instance), IPv6 in
 * INST(AP_IPV6, instance); dst and src of a PACKET are the IP header's.
 *
 * Invariants:
 *  - a packet is written to the TUN only if ipv_parse accepts it and its
 *    header agrees with the PACKET's instance, dst and src;
 *  - a kernel route exists (`installed') exactly for the remote prefixes
 *    that are not /0 and not inside one of our own subnets or routed
 *    prefixes; losing cloud keeps them (it comes back with a REPLACE),
 *    a REMOVE takes a prefix away, a REPLACE what it did not name (after
 *    SWEEP_DELAY_S: a long REPLACE goes on in ADD messages), and exiting
 *    removes all;
 *  - routes go through rtnetlink, not `ip route': after the privilege drop
 *    ip-gate keeps CAP_NET_ADMIN, but a program it executed as another
 *    user would not;
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
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <ev.h>

#include "addr.h"
#include "caps.h"
#include "conf.h"
#include "gate_client.h"
#include "ipv.h"
#include "log.h"
#include "tun.h"

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define PROG "ip-gate"
#define ERR_LEN 600
#define MAX_ARGS 8
#define TUN_BUF_LEN 65536
#define TUN_BUDGET_PKTS 256	/* per wake-up: cloud's socket gets its turn */
#define ICMP_PER_S 10.0
#define ICMP_BURST 10.0
#define NL_TIMEOUT_MS 2000
#define SWEEP_DELAY_S 0.25	/* the ADDs that continue a REPLACE arrive within this */

enum ip_opt {
	O_IFACE_DEV, O_IFACE_PERSIST, O_ADDRESS, O_ROUTE, O_MTU, O_INSTANCE,
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
	[O_MTU] = { "mtu", CONF_INT, 0, "1420", "BYTES",
		"MTU of the device (at least 1280 with IPv6); longer packets are answered with ICMP.", 576, 65535 },
	[O_INSTANCE] = { "instance", CONF_INT, 0, "0", "N",
		"Network id: nodes exchange IP packets only within the same instance.", 0, 65535 },
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
	bool installed;		/* a kernel route points it at the TUN */
	bool keep;		/* named since the last REPLACE */
};

struct ip_counters {
	uint64_t tun_rx, tun_bad, tun_mcast, tun_too_big, tun_unsent;
	uint64_t cloud_rx, cloud_bad, tun_tx, tun_tx_failed;
	uint64_t unreach_rx, icmp_sent, icmp_limited, icmp_suppressed;
	uint64_t route_errors;
};

struct ipgate {
	struct ev_loop *loop;
	struct conf *conf;
	const char *sock_path;
	char ifname[IFNAMSIZ];
	int ifindex, tun_fd, nl_fd;
	uint32_t nl_seq;
	uint16_t net;
	size_t mtu;
	bool accept_local;		/* IPv4 errors can come from our address */
	struct tun_addr *addrs;		/* `address', in order */
	size_t naddrs;
	struct prefix *local;		/* our subnets and `route's: never routed to the TUN */
	size_t nlocal;
	struct prefix *own;		/* what we announce */
	size_t nown;
	struct rroute *routes;		/* sorted by route_cmp */
	size_t nroutes, routes_cap;
	struct gate_client *gc;
	ev_io tun_io;
	ev_timer sweep;			/* drops what the last REPLACE did not name */
	ev_signal sig_term, sig_int, sig_usr1;
	double icmp_tokens;
	ev_tstamp icmp_last;
	struct ip_counters cnt;
	uint8_t icmp[IPV_ICMP_MAX];
	uint8_t buf[TUN_BUF_LEN];
};

/* ---------------------------------------------------------------- config */

/* "file:line" of a value, or "command line". */
static const char *where(const struct conf_value *v, char *buf, size_t len)
{
	if (v->line > 0)
		snprintf(buf, len, "%s:%d", v->file, v->line);
	else
		snprintf(buf, len, "%s", v->file);
	return buf;
}

static bool cidr_opt(const struct conf_value *v, uint16_t net, bool exact,
		     struct addr *a, uint16_t *bits, char *err, size_t errlen)
{
	char text[ADDR_TEXT_MAX], at[300];
	struct prefix p;

	if (!ipv_parse_cidr(v->v.s, net, a, bits)) {
		snprintf(err, errlen, "%s: option '%s': expected an IPv4 or IPv6 "
			 "ADDR/BITS, got '%s'", where(v, at, sizeof(at)),
			 exact ? "route" : "address", v->v.s);
		return false;
	}
	ipv_prefix_of(&p, a, *bits);
	if (exact && memcmp(p.a.b, a->b, a->len)) {
		prefix_format(&p, text, sizeof(text));
		snprintf(err, errlen, "%s: option 'route': '%s' has host bits set "
			 "(did you mean %s?)", where(v, at, sizeof(at)), v->v.s,
			 strchr(text, ':') + 1);
		return false;
	}
	if (!exact && *bits == 0) {
		snprintf(err, errlen, "%s: option 'address': '%s': a /0 subnet is not an address",
			 where(v, at, sizeof(at)), v->v.s);
		return false;
	}
	return true;
}

/* Fill addrs, local and own from the options; false with err set. */
static bool ip_config(struct ipgate *g, char *err, size_t errlen)
{
	size_t na = conf_count(g->conf, O_ADDRESS), nr = conf_count(g->conf, O_ROUTE);
	bool v6 = false;

	g->net = (uint16_t)conf_int(g->conf, O_INSTANCE);
	g->mtu = (size_t)conf_int(g->conf, O_MTU);
	g->addrs = calloc(na + 1, sizeof(*g->addrs));
	g->local = calloc(na + nr + 1, sizeof(*g->local));
	g->own = calloc(na + nr + 1, sizeof(*g->own));
	if (!g->addrs || !g->local || !g->own) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	for (size_t i = 0; i < na + nr; i++) {
		const struct conf_value *v = i < na ? conf_get(g->conf, O_ADDRESS, i) :
					     conf_get(g->conf, O_ROUTE, i - na);
		struct addr a;
		uint16_t bits;

		if (!cidr_opt(v, g->net, i >= na, &a, &bits, err, errlen))
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
	if (g->nown == 0) {
		snprintf(err, errlen, "nothing to announce: set at least one 'address' or 'route'");
		return false;
	}
	if (v6 && g->mtu < IPV6_MTU_MIN) {
		char at[300];

		snprintf(err, errlen, "%s: option 'mtu': IPv6 needs at least %d, got %zu",
			 where(conf_last(g->conf, O_MTU), at, sizeof(at)), IPV6_MTU_MIN, g->mtu);
		return false;
	}
	if (strlen(conf_str(g->conf, O_IFACE_DEV)) >= IFNAMSIZ) {
		snprintf(err, errlen, "option 'iface_dev': '%s' is longer than %d bytes",
			 conf_str(g->conf, O_IFACE_DEV), IFNAMSIZ - 1);
		return false;
	}
	return true;
}

static bool logging_check(const struct conf *c, char *err, size_t errlen)
{
	const struct conf_value *v = conf_last(c, O_LOG_LEVEL);
	unsigned saved = log_debug_mask;
	char at[300];
	int level;
	bool ok;

	if (!log_parse_level(v->v.s, &level)) {
		snprintf(err, errlen, "%s: option 'log_level': unknown level '%s' "
			 "(error, warning, info, debug)", where(v, at, sizeof(at)), v->v.s);
		return false;
	}
	v = conf_last(c, O_DEBUG);
	ok = log_set_debug(v->v.s);
	log_debug_mask = saved;
	if (!ok)
		snprintf(err, errlen, "%s: option 'debug': unknown subsystem in '%s'",
			 where(v, at, sizeof(at)), v->v.s);
	return ok;
}

/* ---------------------------------------------------------------- kernel routes */

static int nl_open(char *err, size_t errlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { NL_TIMEOUT_MS / 1000, (NL_TIMEOUT_MS % 1000) * 1000 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "rtnetlink: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

struct rt_req {
	struct nlmsghdr nh;
	struct rtmsg rt;
	char attrs[64];		/* RTA_DST (16 bytes at most) and RTA_OIF */
};

static void nl_attr(struct rt_req *req, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(req->nh.nlmsg_len);
	struct rtattr rta = { .rta_len = (unsigned short)RTA_LENGTH(len), .rta_type = type };

	memcpy((char *)req + off, &rta, sizeof(rta));
	memcpy((char *)req + off + RTA_LENGTH(0), data, len);
	req->nh.nlmsg_len = (uint32_t)(off + RTA_ALIGN(rta.rta_len));
}

/* Wait for the kernel's answer to request seq: 0 or -errno. */
static int nl_ack(int fd, uint32_t seq)
{
	char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;
		size_t left = n > 0 ? (size_t)n : 0;

		if (n < 0)
			return errno == EINTR ? -EINTR : -errno;
		for (; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
			if (nh->nlmsg_seq != seq || nh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return -EPROTO;
			return ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
		}
	}
}

/* `ip route replace P dev IFACE' (add) or `ip route del P dev IFACE'. */
static int rt_change(struct ipgate *g, bool add, const struct prefix *p)
{
	struct rt_req req;
	uint32_t oif = (uint32_t)g->ifindex;
	bool v4 = p->a.len == 4;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
			     (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	req.nh.nlmsg_seq = ++g->nl_seq;
	req.rt.rtm_family = v4 ? AF_INET : AF_INET6;
	req.rt.rtm_dst_len = (unsigned char)p->bits;
	req.rt.rtm_table = RT_TABLE_MAIN;
	req.rt.rtm_protocol = add ? RTPROT_BOOT : 0;
	req.rt.rtm_scope = !add ? RT_SCOPE_NOWHERE : v4 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	req.rt.rtm_type = RTN_UNICAST;
	nl_attr(&req, RTA_DST, p->a.b, p->a.len);
	nl_attr(&req, RTA_OIF, &oif, sizeof(oif));
	if (send(g->nl_fd, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	return nl_ack(g->nl_fd, req.nh.nlmsg_seq);
}

/* Does this remote prefix need a route through the TUN? */
static bool route_wanted(const struct ipgate *g, const struct prefix *p)
{
	if (p->bits == 0)
		return false;	/* never take over the default route */
	for (size_t i = 0; i < g->nlocal; i++)
		if (ipv_prefix_contains(&g->local[i], p))
			return false;
	return true;
}

/* (Re)install r's kernel route if it needs one; `replace' is idempotent,
 * so doing it again also repairs a route the kernel dropped (the device
 * was set down and up). */
static void route_install(struct ipgate *g, struct rroute *r)
{
	char text[ADDR_TEXT_MAX];
	int e;

	prefix_format(&r->p, text, sizeof(text));
	if (!route_wanted(g, &r->p)) {
		log_dbg(LOGS_ROUTE, "%s: covered locally, no kernel route", text);
		return;
	}
	e = rt_change(g, true, &r->p);
	if (e < 0) {
		g->cnt.route_errors++;
		log_warn(LOGS_ROUTE, "cannot route %s to %s: %s", text, g->ifname, strerror(-e));
		return;
	}
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
	e = rt_change(g, false, &r->p);
	if (e < 0 && e != -ESRCH) {
		g->cnt.route_errors++;
		log_warn(LOGS_ROUTE, "cannot remove route %s from %s: %s", text, g->ifname,
			 strerror(-e));
		return;
	}
	log_info(LOGS_ROUTE, "route %s removed", text);
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
 * (see route_install), an ADD only those that failed before. */
static void route_add(struct ipgate *g, const struct prefix *p, bool replace)
{
	bool found;
	size_t i = route_find(g, p, &found);

	if (found) {
		g->routes[i].keep = true;
		if (replace || !g->routes[i].installed)
			route_install(g, &g->routes[i]);
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
	route_install(g, &g->routes[i]);
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
	if (!n || write(g->tun_fd, g->icmp, n) != (ssize_t)n) {
		g->cnt.tun_tx_failed++;
		return;
	}
	g->cnt.icmp_sent++;
}

/* ---------------------------------------------------------------- packets */

static bool addr_same(const struct addr *x, const struct addr *y)
{
	return x->inst == y->inst && x->len == y->len && !memcmp(x->b, y->b, x->len);
}

static void from_tun(struct ipgate *g, const uint8_t *buf, size_t len)
{
	char d[ADDR_TEXT_MAX];
	struct ipv_pkt p;
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
		ssize_t n = read(g->tun_fd, g->buf, sizeof(g->buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_err(LOGS_DATA, "%s: read: %s", g->ifname, strerror(errno));
			return;
		}
		from_tun(g, g->buf, (size_t)n);
	}
}

static bool addr_ours(const struct ipgate *g, const struct addr *a)
{
	for (size_t i = 0; i < g->naddrs; i++)
		if (addr_same(&g->addrs[i].a, a))
			return true;
	return false;
}

static void from_cloud(struct ipgate *g, const struct gate_msg *m)
{
	struct ipv_pkt p;

	g->cnt.cloud_rx++;
	if (!ipv_parse(m->pkt.payload, m->pkt.len, g->net, &p) ||
	    !addr_same(&p.dst, &m->pkt.dst) || !addr_same(&p.src, &m->pkt.src) ||
	    addr_ours(g, &p.src)) {
		g->cnt.cloud_bad++;
		log_dbg(LOGS_DATA, "malformed or mismatched packet of %zu bytes from %s dropped",
			m->pkt.len, m->pkt.origin);
		return;
	}
	if (write(g->tun_fd, m->pkt.payload, p.len) != (ssize_t)p.len) {
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
	    !addr_same(&p.dst, &m->unreach.dst)) {
		g->cnt.cloud_bad++;
		return;
	}
	icmp_answer(g, IPV_UNREACH_HOST, m->unreach.head, m->unreach.len, &p);
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
}

static void on_disconnected(void *arg)
{
	struct ipgate *g = arg;

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

static int device_open(struct ipgate *g, char *err, size_t errlen)
{
	static const int keep[] = { CAP_NET_ADMIN, -1 };
	const char *up = conf_str(g->conf, O_UP_CMD);
	char why[300];
	int r;

	snprintf(g->ifname, sizeof(g->ifname), "%s", conf_str(g->conf, O_IFACE_DEV));
	g->tun_fd = tun_open(TUN_L3, g->ifname, sizeof(g->ifname),
			     conf_bool(g->conf, O_IFACE_PERSIST), err, errlen);
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
	g->nl_fd = nl_open(err, errlen);
	if (!g->ifindex || g->nl_fd < 0)
		return -1;
	if (up && tun_run_script(up, g->ifname, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "iface_up_cmd: %s", why);
		return -1;
	}
	return caps_drop(conf_str(g->conf, O_USER), conf_str(g->conf, O_GROUP), NULL,
			 false, keep, err, errlen) < 0 ? -1 : 0;
}

static void log_counters(const struct ipgate *g)
{
	const struct ip_counters *c = &g->cnt;

	log_info(LOGS_CORE, "%s: from tun %llu (malformed %llu, multicast %llu, too big %llu, "
		 "unsent %llu); from cloud %llu (malformed %llu), to tun %llu (failed %llu); "
		 "unreachable %llu; icmp sent %llu, rate-limited %llu, suppressed %llu; "
		 "routes %zu, route errors %llu", g->ifname,
		 (unsigned long long)c->tun_rx, (unsigned long long)c->tun_bad,
		 (unsigned long long)c->tun_mcast, (unsigned long long)c->tun_too_big,
		 (unsigned long long)c->tun_unsent, (unsigned long long)c->cloud_rx,
		 (unsigned long long)c->cloud_bad, (unsigned long long)c->tun_tx,
		 (unsigned long long)c->tun_tx_failed, (unsigned long long)c->unreach_rx,
		 (unsigned long long)c->icmp_sent, (unsigned long long)c->icmp_limited,
		 (unsigned long long)c->icmp_suppressed, g->nroutes,
		 (unsigned long long)c->route_errors);
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
	close(g->nl_fd);
	free(g->routes);
	free(g->own);
	free(g->local);
	free(g->addrs);
}

/* ---------------------------------------------------------------- command line */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " SOCKET [-name value ...] [-@include FILE ...]\n"
		"       " PROG " --check-config [SOCKET] [-name value ...] [-@include FILE ...]\n"
		"       " PROG " --help | --version | --man-options\n\n"
		"cloudvpn IP gate: a TUN device whose IPv4/IPv6 packets travel the mesh through\n"
		"cloud's gate SOCKET.  Options as for cloud: `-name value' on the command line,\n"
		"`name value' lines in included files.\n\nOptions:\n");
	conf_print_help(f, ip_options, O_COUNT);
}

static bool known_flag(const char *s)
{
	static const char *const known[] = { "--help", "--version", "--man-options",
					     "--check-config" };

	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (!strcmp(s, known[k]))
			return true;
	return false;
}

/* Parse argv: *flag gets the one --flag (or NULL), *sock the positional
 * argument.  NULL with err set on any error. */
static struct conf *cli_load(int argc, char **argv, const char **flag, const char **sock,
			     char *err, size_t errlen)
{
	struct conf *c = conf_new(ip_options, O_COUNT);
	const char *rest[MAX_ARGS];
	size_t nrest = 0;
	struct conf_err ce;

	*flag = *sock = NULL;
	if (!c || !conf_parse_args(c, argc, argv, rest, MAX_ARGS, &nrest, &ce))
		goto bad;
	for (size_t i = 0; i < nrest; i++) {
		bool is_flag = !strncmp(rest[i], "--", 2);
		const char **slot = is_flag ? flag : sock;

		if (*slot || (is_flag && !known_flag(rest[i]))) {
			snprintf(err, errlen, "command line: unexpected argument '%s'", rest[i]);
			conf_free(c);
			return NULL;
		}
		*slot = rest[i];
	}
	if (*flag && strcmp(*flag, "--check-config"))
		return c;	/* --help and co need no complete configuration */
	if (conf_finish(c, &ce))
		return c;
bad:
	snprintf(err, errlen, "%s", c ? ce.msg : "out of memory");
	conf_free(c);
	return NULL;
}

/* 0: go on and run; otherwise the exit status + 1. */
static int cli_handle(struct ipgate *g, const char *flag, char *err, size_t errlen)
{
	if (flag && !strcmp(flag, "--help")) {
		usage(stdout);
		return 1;
	}
	if (flag && !strcmp(flag, "--version")) {
		printf(PROG " (cloudvpn) %s\n", PACKAGE_VERSION);
		return 1;
	}
	if (flag && !strcmp(flag, "--man-options")) {
		conf_print_man(stdout, ip_options, O_COUNT);
		return 1;
	}
	if (!logging_check(g->conf, err, errlen) || !ip_config(g, err, errlen))
		return 2;
	if (flag && !strcmp(flag, "--check-config")) {
		printf(PROG ": configuration OK: %zu addresses, %zu routes, instance %u, mtu %zu\n",
		       g->naddrs, g->nown - g->naddrs, g->net, g->mtu);
		return 1;
	}
	if (!g->sock_path) {
		snprintf(err, errlen, "the gate socket is missing: " PROG " SOCKET [options]");
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct ipgate gate = { .tun_fd = -1, .nl_fd = -1 };
	struct ipgate *g = &gate;
	const char *flag;
	char err[ERR_LEN] = "";
	int r;

	log_init(PROG, false);
	g->conf = cli_load(argc, argv, &flag, &g->sock_path, err, sizeof(err));
	r = g->conf ? cli_handle(g, flag, err, sizeof(err)) : 2;
	if (r) {
		if (r == 2)
			fprintf(stderr, PROG ": %s\n" PROG ": try '" PROG " --help'\n", err);
		conf_free(g->conf);
		return r - 1;
	}
	log_parse_level(conf_str(g->conf, O_LOG_LEVEL), &log_level);
	log_set_debug(conf_str(g->conf, O_DEBUG));
	log_init(PROG, conf_bool(g->conf, O_SYSLOG));
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
	log_info(LOGS_CORE, "%s up: mtu %zu, %zu addresses, %zu routed prefixes, instance %u",
		 g->ifname, g->mtu, g->naddrs, g->nown - g->naddrs, g->net);
	ev_run(g->loop, 0);
	ip_shutdown(g);
	conf_free(g->conf);
	return 0;
}
