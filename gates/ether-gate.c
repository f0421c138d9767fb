/*
 * ether-gate.c - the L2 gate: a TAP device bridged into the mesh, with MAC
 * learning.  Owns the option table, the device's life (open, configure,
 * up/down commands), the frame path in both directions and what the gate
 * announces to cloud; the command line is gate_cli.c's.
 *
 * What is announced: the broadcast subscription "ether.N:*", the TAP's own
 * MAC and every MAC in the learning table.  All of it again (ANN_REPLACE)
 * on every (re)connection; afterwards ANN_ADD when a source MAC is learned,
 * ANN_REMOVE when it expires or shows up on the mesh side (it moved).  The
 * TAP's own MAC is never in the table, so it never expires.
 *
 * Frames follow what a Linux bridge port does: a frame with a multicast or
 * zero source is dropped, a unicast frame to a MAC that lives on this side
 * is not sent to the mesh, group destinations go out as broadcasts, other
 * unicast goes out with PKT_FLOOD_UNKNOWN so that cloud floods it when
 * nobody owns the destination.  The TAP stays up while cloud is away;
 * frames are then dropped (counted) and learning goes on.
 *
 * A frame from cloud is written to the TAP only if its Ethernet header
 * agrees with the PACKET around it: the frame's source is the PACKET's
 * (a node can only speak for the MACs it announced) and is unicast and
 * not zero; its destination is the PACKET's, or the PACKET is a
 * broadcast and the destination a group address.  Anything else is
 * counted and dropped; it must neither reach the TAP nor move a MAC.
 *
 * mac_max stops at MAC_MAX_LEARNED: cloud lets a gate own at most 8192
 * prefixes, and the TAP's MAC and "ether.N:*" take two of them.
 */
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <ev.h>

#include "addr.h"
#include "backoff.h"
#include "conf.h"
#include "gate_cli.h"
#include "gate_client.h"
#include "gateproto.h"
#include "log.h"
#include "mactable.h"
#include "tun.h"

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define PROG "ether-gate"
#define ETH_HDR_LEN 14
#define VLAN_TAG_LEN 4
#define TAP_BUDGET_FRAMES 64	/* per wake-up: cloud's messages and timers run too */
#define EXPIRE_MIN_US 1000000
#define EXPIRE_JITTER_PCT 10
#define ERR_LEN 600
#define MAC_MAX_LEARNED 8190	/* cloud's 8192 prefixes a gate, less our MAC and ether:* */

enum {
	OPT_IFACE_DEV, OPT_IFACE_PERSIST, OPT_MAC, OPT_MTU, OPT_IFACE_UP_CMD,
	OPT_IFACE_DOWN_CMD, OPT_PROMISC, OPT_INSTANCE, OPT_MAC_TTL, OPT_MAC_MAX,
	OPT_USER, OPT_GROUP, OPT_LOG_LEVEL, OPT_DEBUG, OPT_SYSLOG, OPT_COUNT
};

static const struct conf_opt ether_options[OPT_COUNT] = {
	[OPT_IFACE_DEV] = { "iface_dev", CONF_STR, 0, "tap%d", "NAME",
		"TAP device to create, or to attach to if it exists; %d takes the first free number." },
	[OPT_IFACE_PERSIST] = { "iface_persist", CONF_BOOL, 0, "no", "BOOL",
		"Make the device persistent, so that it outlives the gate (a device that is persistent already stays so)." },
	[OPT_MAC] = { "mac", CONF_STR, 0, NULL, "MAC",
		"Ethernet address of the device, as 02:00:00:00:00:01 (default: the one the kernel chose)." },
	[OPT_MTU] = { "mtu", CONF_INT, 0, "1500", "BYTES",
		"MTU of the device.", 68, 65535 },
	[OPT_IFACE_UP_CMD] = { "iface_up_cmd", CONF_STR, 0, NULL, "COMMAND",
		"Shell command run once the device is up, before privileges are dropped, with IFACE set to the device's name; the gate does not start if it fails." },
	[OPT_IFACE_DOWN_CMD] = { "iface_down_cmd", CONF_STR, 0, NULL, "COMMAND",
		"Shell command run on SIGTERM or SIGINT before the device goes away, with IFACE set; it runs without privileges." },
	[OPT_PROMISC] = { "promisc", CONF_BOOL, 0, "no", "BOOL",
		"Put the device in promiscuous mode." },
	[OPT_INSTANCE] = { "instance", CONF_INT, 0, "0", "NET",
		"Network id: the gate joins the mesh's Ethernet network ether.NET.", 0, 65535 },
	[OPT_MAC_TTL] = { "mac_ttl", CONF_DURATION, 0, "5m", "TIME",
		"Forget and withdraw a learned MAC not seen as a frame's source for this long.",
		1000000, 86400000000LL },
	[OPT_MAC_MAX] = { "mac_max", CONF_INT, 0, "4096", "N",
		"Most MACs learned on this side (at most 8190); more are not announced (traffic to them is flooded).",
		1, MAC_MAX_LEARNED },
	[OPT_USER] = { "user", CONF_STR, 0, NULL, "USER",
		"After opening the device, switch to this user; all capabilities are dropped in any case." },
	[OPT_GROUP] = { "group", CONF_STR, 0, NULL, "GROUP",
		"Group to switch to (default: the user's primary group)." },
	[OPT_LOG_LEVEL] = { "log_level", CONF_STR, 0, "info", "LEVEL",
		"error, warning, info or debug." },
	[OPT_DEBUG] = { "debug", CONF_STR, 0, "none", "SUBSYS,...",
		"Debug lines for these subsystems: core, conf, gate, data, all, none." },
	[OPT_SYSLOG] = { "syslog", CONF_BOOL, 0, "no", "BOOL",
		"Log to syslog (daemon facility) instead of stderr." },
};

struct eg_stats {
	uint64_t frames_in;	/* read from the TAP */
	uint64_t frames_out;	/* written to the TAP */
	uint64_t runts;		/* shorter than an Ethernet header */
	uint64_t bad_src;	/* multicast or zero source: dropped */
	uint64_t local;		/* to a MAC on this side: not sent */
	uint64_t down;		/* cloud not connected: dropped */
	uint64_t oversize;	/* did not fit a buffer or a PACKET */
	uint64_t send_err;	/* refused by gate_client (other than a full socket) */
	uint64_t write_err;	/* writes to the TAP that failed */
	uint64_t rx_bad;	/* PACKETs from cloud: wrong instance, too short */
	uint64_t rx_mismatch;	/* PACKETs whose frame header disagrees with them */
	uint64_t learned, expired, moved, table_full;
};

struct ether_gate {
	struct ev_loop *loop;
	struct conf *conf;
	const char *socket_path;
	struct gate_client *gc;
	int tap_fd;
	char ifname[IFNAMSIZ];
	uint8_t mac[MAC_LEN];	/* the TAP's own */
	uint32_t inst;
	struct mactable macs;
	struct prefix *plist;	/* announcement scratch: mac_max + 2 */
	size_t plist_cap, plist_len;
	uint8_t *frame;
	size_t frame_cap;
	uint64_t expire_us;
	struct jitter_rng rng;
	int exit_code;
	ev_io tap_io;
	ev_timer expire;
	ev_signal sig_term, sig_int, sig_hup;
	struct eg_stats st;
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint32_t eg_random(struct ether_gate *eg)
{
	return jitter_rng_next(&eg->rng);
}

/* A MAC in the mesh's text form (lib/addr.c), or with '-' separators. */
static bool mac_parse(const char *s, uint8_t mac[MAC_LEN])
{
	char text[32] = "ether:";
	struct prefix p;
	size_t n = strlen(s);

	if (n != 3 * MAC_LEN - 1)
		return false;
	for (size_t i = 0; i < n; i++)
		text[6 + i] = s[i] == '-' ? ':' : s[i];
	if (!prefix_parse(text, &p) || p.a.len != MAC_LEN || p.bits != 8 * MAC_LEN)
		return false;
	memcpy(mac, p.a.b, MAC_LEN);
	return true;
}

static void mac_format(const uint8_t mac[MAC_LEN], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static bool mac_is_zero(const uint8_t mac[MAC_LEN])
{
	static const uint8_t zero[MAC_LEN];

	return !memcmp(mac, zero, MAC_LEN);
}

/* ---------------------------------------------------------------- announcements */

static void mac_prefix(const struct ether_gate *eg, const uint8_t mac[MAC_LEN], struct prefix *p)
{
	struct addr a = { .inst = eg->inst, .len = MAC_LEN };

	memcpy(a.b, mac, MAC_LEN);
	prefix_host(p, &a);
}

static void plist_add_mac(void *arg, const uint8_t mac[MAC_LEN])
{
	struct ether_gate *eg = arg;

	if (eg->plist_len < eg->plist_cap)
		mac_prefix(eg, mac, &eg->plist[eg->plist_len++]);
}

/* Announce plist (op for all of it); while cloud is away nothing is lost:
 * the whole table goes out again on the next connection. */
static void plist_announce(struct ether_gate *eg, uint8_t op)
{
	int r;

	if (!eg->plist_len && op != ANN_REPLACE)
		return;
	r = gate_client_announce(eg->gc, op, eg->plist, eg->plist_len);
	if (r < 0 && r != -ENOTCONN)
		log_warn(LOGS_GATE, "cloud %s: announcing %zu MACs: %s", eg->socket_path,
			 eg->plist_len, strerror(-r));
}

static void announce_mac(struct ether_gate *eg, uint8_t op, const uint8_t mac[MAC_LEN])
{
	eg->plist_len = 0;
	plist_add_mac(eg, mac);
	plist_announce(eg, op);
}

static void on_connected(void *arg)
{
	struct ether_gate *eg = arg;
	struct addr bcast = { .inst = eg->inst, .len = 0 };

	eg->plist_len = 0;
	prefix_host(&eg->plist[eg->plist_len++], &bcast);
	plist_add_mac(eg, eg->mac);
	mactable_foreach(&eg->macs, plist_add_mac, eg);
	log_info(LOGS_GATE, "cloud %s node %s: announcing ether.%u broadcasts, MAC of %s "
		 "and %zu learned MACs", eg->socket_path, gate_client_node(eg->gc),
		 inst_net(eg->inst), eg->ifname, eg->plist_len - 2);
	plist_announce(eg, ANN_REPLACE);
}

static void on_disconnected(void *arg)
{
	struct ether_gate *eg = arg;

	log_dbg(LOGS_GATE, "cloud %s: down; %s stays up, frames are dropped meanwhile",
		eg->socket_path, eg->ifname);
}

/* ---------------------------------------------------------------- frames */

static void learn(struct ether_gate *eg, const uint8_t mac[MAC_LEN], uint64_t now)
{
	char text[24];

	switch (mactable_learn(&eg->macs, mac, now)) {
	case MAC_LEARNED:
		eg->st.learned++;
		mac_format(mac, text, sizeof(text));
		log_dbg(LOGS_GATE, "%s: learned %s", eg->ifname, text);
		announce_mac(eg, ANN_ADD, mac);
		break;
	case MAC_FULL:
		if (!eg->st.table_full++) {
			mac_format(mac, text, sizeof(text));
			log_warn(LOGS_GATE, "%s: MAC table full (mac_max %zu): %s and later "
				 "newcomers are not announced; traffic to them is flooded",
				 eg->ifname, eg->macs.max, text);
		}
		break;
	default:
		break;
	}
}

static void frame_from_tap(struct ether_gate *eg, const uint8_t *f, size_t len, uint64_t now)
{
	const uint8_t *dst = f, *src = f + MAC_LEN;
	struct addr d = { .inst = eg->inst }, s = { .inst = eg->inst, .len = MAC_LEN };
	uint8_t flags = 0;
	int r;

	eg->st.frames_in++;
	if (len < ETH_HDR_LEN) {
		eg->st.runts++;
		return;
	}
	if (mac_is_group(src) || mac_is_zero(src)) {
		eg->st.bad_src++;
		return;
	}
	if (memcmp(src, eg->mac, MAC_LEN))
		learn(eg, src, now);
	if (!mac_is_group(dst)) {
		if (!memcmp(dst, eg->mac, MAC_LEN) || mactable_has(&eg->macs, dst)) {
			eg->st.local++;
			return;
		}
		d.len = MAC_LEN;
		memcpy(d.b, dst, MAC_LEN);
		flags = PKT_FLOOD_UNKNOWN;
	}
	if (!gate_client_up(eg->gc)) {
		eg->st.down++;
		return;
	}
	if (len > GATE_PAYLOAD_MAX) {
		eg->st.oversize++;
		return;
	}
	memcpy(s.b, src, MAC_LEN);
	r = gate_client_packet(eg->gc, flags, eg->inst, &d, &s, f, len);
	if (r < 0 && r != -EAGAIN && r != -ENOTCONN)
		eg->st.send_err++;	/* EAGAIN: counted by gate_client */
}

static void tap_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ether_gate *eg = container_of(w, struct ether_gate, tap_io);
	uint64_t now = mono_us();

	for (int i = 0; i < TAP_BUDGET_FRAMES; i++) {
		/* one byte more than the largest frame: the kernel truncates
		 * silently, so a full read means a frame too large for mtu */
		ssize_t n = read(eg->tap_fd, eg->frame, eg->frame_cap + 1);

		if (n > (ssize_t)eg->frame_cap) {
			eg->st.frames_in++;
			eg->st.oversize++;
		} else if (n >= 0) {
			frame_from_tap(eg, eg->frame, (size_t)n, now);
		} else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			return;
		} else {
			log_err(LOGS_GATE, "%s: read: %s; stopping", eg->ifname, strerror(errno));
			eg->exit_code = 1;
			ev_break(loop, EVBREAK_ALL);
			return;
		}
	}
}

/* Does frame f's Ethernet header agree with the PACKET m around it (see
 * the top)? */
static bool frame_matches(const struct gate_msg *m, const uint8_t *f)
{
	const uint8_t *dst = f, *src = f + MAC_LEN;

	if (m->pkt.src.len != MAC_LEN || memcmp(m->pkt.src.b, src, MAC_LEN) ||
	    mac_is_group(src) || mac_is_zero(src))
		return false;
	if (m->pkt.dst.len == 0)
		return mac_is_group(dst);
	return m->pkt.dst.len == MAC_LEN && !memcmp(m->pkt.dst.b, dst, MAC_LEN);
}

static void packet_from_cloud(struct ether_gate *eg, const struct gate_msg *m)
{
	const uint8_t *f = m->pkt.payload, *src = f + MAC_LEN;
	size_t len = m->pkt.len;
	char text[24];

	if (m->pkt.inst != eg->inst || len < ETH_HDR_LEN) {
		eg->st.rx_bad++;
		log_dbg(LOGS_GATE, "cloud %s: dropped a %zu-byte packet for instance %#x from %s",
			eg->socket_path, len, m->pkt.inst, m->pkt.origin);
		return;
	}
	if (!frame_matches(m, f)) {
		eg->st.rx_mismatch++;
		log_dbg(LOGS_GATE, "cloud %s: dropped a frame from %s whose addresses are not "
			"its packet's", eg->socket_path, m->pkt.origin);
		return;
	}
	if (mactable_moved(&eg->macs, src)) {
		eg->st.moved++;
		mac_format(src, text, sizeof(text));
		log_dbg(LOGS_GATE, "%s: %s moved to node %s", eg->ifname, text, m->pkt.origin);
		announce_mac(eg, ANN_REMOVE, src);
	}
	if (write(eg->tap_fd, f, len) == (ssize_t)len) {
		eg->st.frames_out++;
		return;
	}
	if (!eg->st.write_err++)
		log_warn(LOGS_GATE, "%s: write: %s (counting further errors silently)",
			 eg->ifname, strerror(errno));
}

static void on_message(void *arg, const struct gate_msg *m)
{
	struct ether_gate *eg = arg;

	if (m->type == GM_PACKET)
		packet_from_cloud(eg, m);
	else
		log_dbg(LOGS_GATE, "cloud %s: ignoring %s", eg->socket_path,
			gate_msg_name(m->type));
}

static const struct gate_client_ops eg_ops = {
	.connected = on_connected,
	.disconnected = on_disconnected,
	.message = on_message,
};

/* ---------------------------------------------------------------- timers, signals */

static void expire_one(void *arg, const uint8_t mac[MAC_LEN])
{
	struct ether_gate *eg = arg;
	char text[24];

	mac_format(mac, text, sizeof(text));
	log_dbg(LOGS_GATE, "%s: %s expired", eg->ifname, text);
	plist_add_mac(eg, mac);
}

static void expire_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ether_gate *eg = container_of(w, struct ether_gate, expire);

	eg->plist_len = 0;
	eg->st.expired += mactable_expire(&eg->macs, mono_us(), expire_one, eg);
	plist_announce(eg, ANN_REMOVE);
	w->repeat = (double)jitter_us(eg->expire_us, EXPIRE_JITTER_PCT, eg_random(eg)) / 1e6;
	ev_timer_again(loop, w);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	if (w->signum == SIGHUP) {
		log_info(LOGS_CORE, "SIGHUP ignored: restart the gate to change its configuration");
		return;
	}
	log_info(LOGS_CORE, "%s received: stopping", w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
	ev_break(loop, EVBREAK_ALL);
}

static void signals_start(struct ether_gate *eg)
{
	ev_signal *sigs[] = { &eg->sig_term, &eg->sig_int, &eg->sig_hup };
	int nums[] = { SIGTERM, SIGINT, SIGHUP };

	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < 3; i++) {
		ev_signal_init(sigs[i], signal_cb, nums[i]);
		ev_signal_start(eg->loop, sigs[i]);
	}
}

/* ---------------------------------------------------------------- configuration */

/* What gate_cli does not check and needs no system call. */
static bool ether_check(void *arg, const struct conf *c, char *err, size_t errlen)
{
	const char *dev = conf_str(c, OPT_IFACE_DEV), *mac_text = conf_str(c, OPT_MAC);
	uint8_t mac[MAC_LEN] = { 0 };

	if (strlen(dev) >= IFNAMSIZ || !dev[0])
		return gate_cli_bad(conf_last(c, OPT_IFACE_DEV), "iface_dev", err, errlen,
				    "a device name has 1 to %d characters, got '%s'",
				    IFNAMSIZ - 1, dev);
	if (mac_text && !mac_parse(mac_text, mac))
		return gate_cli_bad(conf_last(c, OPT_MAC), "mac", err, errlen, "expected a MAC "
				    "like 02:00:00:00:00:01, got '%s'", mac_text);
	if (mac_text && (mac_is_group(mac) || mac_is_zero(mac)))
		return gate_cli_bad(conf_last(c, OPT_MAC), "mac", err, errlen,
				    "'%s' is not a unicast address", mac_text);
	return true;
}

static void ether_summary(void *arg, const struct conf *c, const char *socket, FILE *f)
{
	if (socket)
		fprintf(f, "socket %s, ", socket);
	fprintf(f, "device %s, instance ether.%lld", conf_str(c, OPT_IFACE_DEV),
		conf_int(c, OPT_INSTANCE));
}

static const struct gate_cli_spec ether_cli = {
	.prog = PROG,
	.synopsis = "SOCKET [-name value ...] [-@include FILE ...]",
	.about = "cloudvpn L2 gate: bridges a TAP device into the mesh through cloud's gate\n"
		 "socket SOCKET, learning the MACs that live on its side.  Options as in cloud\n"
		 "(one `name value' per line in files, # comments, @include FILE).\n",
	.table = ether_options,
	.nopts = OPT_COUNT,
	.opt_log_level = OPT_LOG_LEVEL,
	.opt_debug = OPT_DEBUG,
	.opt_syslog = OPT_SYSLOG,
	.opt_user = OPT_USER,
	.opt_group = OPT_GROUP,
	.check = ether_check,
	.summary = ether_summary,
};

/* ---------------------------------------------------------------- device */

/* Open and configure the TAP, run iface_up_cmd.  0 or -1 (logged). */
static int device_open(struct ether_gate *eg)
{
	const struct conf *c = eg->conf;
	const char *step = "open";
	char err[ERR_LEN] = "", text[24];
	uint8_t mac[MAC_LEN];
	int r = 0;

	snprintf(eg->ifname, sizeof(eg->ifname), "%s", conf_str(c, OPT_IFACE_DEV));
	eg->tap_fd = tun_open(TUN_L2, eg->ifname, sizeof(eg->ifname),
			      conf_bool(c, OPT_IFACE_PERSIST), false, err, sizeof(err));
	if (eg->tap_fd < 0) {
		log_err(LOGS_CORE, "%s", err);
		return -1;
	}
	if (conf_str(c, OPT_MAC) && mac_parse(conf_str(c, OPT_MAC), mac) &&
	    (r = tun_set_mac(eg->ifname, mac)) < 0)
		step = "set MAC";
	if (!r && (r = tun_set_mtu(eg->ifname, (int)conf_int(c, OPT_MTU))) < 0)
		step = "set MTU";
	if (!r && (r = tun_set_promisc(eg->ifname, conf_bool(c, OPT_PROMISC))) < 0)
		step = "set promiscuous mode";
	if (!r && (r = tun_set_up(eg->ifname, true)) < 0)
		step = "bring up";
	if (!r && (r = tun_get_mac(eg->ifname, eg->mac)) < 0)
		step = "read MAC";
	if (r < 0) {
		log_err(LOGS_CORE, "%s: cannot %s: %s", eg->ifname, step, strerror(-r));
		return -1;
	}
	mac_format(eg->mac, text, sizeof(text));
	log_info(LOGS_CORE, "%s: up, MAC %s, MTU %lld, instance ether.%lld", eg->ifname, text,
		 conf_int(c, OPT_MTU), conf_int(c, OPT_INSTANCE));
	if (!conf_str(c, OPT_IFACE_UP_CMD))
		return 0;
	if (tun_run_script(conf_str(c, OPT_IFACE_UP_CMD), eg->ifname, err, sizeof(err)) < 0) {
		log_err(LOGS_CORE, "%s: iface_up_cmd failed: %s", eg->ifname, err);
		return -1;
	}
	if (err[0])
		log_info(LOGS_CORE, "%s: iface_up_cmd: %s", eg->ifname, err);
	return 0;
}

static void device_down_cmd(struct ether_gate *eg)
{
	const char *cmd = conf_str(eg->conf, OPT_IFACE_DOWN_CMD);
	char err[ERR_LEN] = "";

	if (!cmd)
		return;
	if (tun_run_script(cmd, eg->ifname, err, sizeof(err)) < 0)
		log_warn(LOGS_CORE, "%s: iface_down_cmd failed: %s", eg->ifname, err);
	else if (err[0])
		log_info(LOGS_CORE, "%s: iface_down_cmd: %s", eg->ifname, err);
}

/* ---------------------------------------------------------------- main */

/* Everything that may fail before the device is touched. */
static int eg_init(struct ether_gate *eg)
{
	const struct conf *c = eg->conf;
	size_t max = (size_t)conf_int(c, OPT_MAC_MAX);

	eg->tap_fd = -1;
	eg->inst = INST(AP_ETHER, conf_int(c, OPT_INSTANCE));
	eg->frame_cap = (size_t)conf_int(c, OPT_MTU) + ETH_HDR_LEN + VLAN_TAG_LEN;
	eg->frame = malloc(eg->frame_cap + 1);
	eg->plist_cap = max + 2;
	eg->plist = calloc(eg->plist_cap, sizeof(*eg->plist));
	if (!eg->frame || !eg->plist || mactable_init(&eg->macs, max, conf_u64(c, OPT_MAC_TTL)) < 0) {
		log_err(LOGS_CORE, "out of memory");
		return -1;
	}
	eg->expire_us = conf_u64(c, OPT_MAC_TTL) / 4;
	if (eg->expire_us < EXPIRE_MIN_US)
		eg->expire_us = EXPIRE_MIN_US;
	jitter_rng_seed(&eg->rng);
	eg->loop = ev_default_loop(EVFLAG_AUTO);
	if (!eg->loop) {
		log_err(LOGS_CORE, "cannot initialise libev");
		return -1;
	}
	return 0;
}

/* Device, privileges, connection, watchers: then the loop can run. */
static int eg_start(struct ether_gate *eg)
{
	char err[ERR_LEN] = "";

	signals_start(eg);
	if (device_open(eg) < 0)
		return -1;
	if (gate_cli_drop_privileges(&ether_cli, eg->conf, NULL, err, sizeof(err)) < 0) {
		log_err(LOGS_CORE, "%s", err);
		return -1;
	}
	eg->gc = gate_client_new(eg->loop, eg->socket_path, PROG, &eg_ops, eg);
	if (!eg->gc) {
		log_err(LOGS_CORE, "cannot start the gate client: %s", strerror(errno));
		return -1;
	}
	ev_io_init(&eg->tap_io, tap_read_cb, eg->tap_fd, EV_READ);
	ev_io_start(eg->loop, &eg->tap_io);
	ev_init(&eg->expire, expire_cb);
	eg->expire.repeat = (double)eg->expire_us / 1e6;
	ev_timer_again(eg->loop, &eg->expire);
	return 0;
}

static void eg_stats_log(struct ether_gate *eg)
{
	const struct gate_client_stats *gs = eg->gc ? gate_client_stats(eg->gc) : NULL;
	const struct eg_stats *s = &eg->st;

	log_info(LOGS_CORE, "%s: frames in %llu, out %llu; dropped: short %llu, bad source %llu, "
		 "local %llu, cloud down %llu, socket full %llu, oversize %llu, send errors %llu, "
		 "write errors %llu, bad packets %llu, mismatched packets %llu; MACs learned %llu, "
		 "expired %llu, moved %llu, table full %llu; reconnects %llu",
		 eg->ifname, (unsigned long long)s->frames_in, (unsigned long long)s->frames_out,
		 (unsigned long long)s->runts, (unsigned long long)s->bad_src,
		 (unsigned long long)s->local, (unsigned long long)s->down,
		 (unsigned long long)(gs ? gs->tx_dropped : 0), (unsigned long long)s->oversize,
		 (unsigned long long)s->send_err, (unsigned long long)s->write_err,
		 (unsigned long long)s->rx_bad, (unsigned long long)s->rx_mismatch,
		 (unsigned long long)s->learned,
		 (unsigned long long)s->expired, (unsigned long long)s->moved,
		 (unsigned long long)s->table_full,
		 (unsigned long long)(gs ? gs->reconnects : 0));
}

static void eg_free(struct ether_gate *eg)
{
	gate_client_free(eg->gc);
	if (eg->tap_fd >= 0)
		close(eg->tap_fd);
	mactable_free(&eg->macs);
	free(eg->plist);
	free(eg->frame);
	conf_free(eg->conf);
	if (eg->loop)
		ev_loop_destroy(eg->loop);
}

int main(int argc, char **argv)
{
	static struct ether_gate eg;
	int status;

	if (!gate_cli_load(&ether_cli, &eg, argc, argv, &eg.conf, &eg.socket_path, &status))
		return status;
	if (eg_init(&eg) < 0 || eg_start(&eg) < 0) {
		eg_free(&eg);
		return 1;
	}
	ev_run(eg.loop, 0);

	device_down_cmd(&eg);
	eg_stats_log(&eg);
	eg_free(&eg);
	return eg.exit_code;
}
