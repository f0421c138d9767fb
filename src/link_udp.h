/*
 * link_udp.h - one link's UDP session and paths (see udp.h for the
 * functions other modules call).  Only link_udp.c and the control views
 * look inside.
 */
#ifndef CLOUDVPN_LINK_UDP_H
#define CLOUDVPN_LINK_UDP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "aead.h"
#include "defrag.h"
#include "epoch.h"
#include "reorder.h"
#include "replay.h"
#include "udp.h"

#define UDP_MAX_PATHS 16
#define REORDER_SLOTS 1024	/* ~4 ms of packets at 3 Gbit/s */
#define DEFRAG_SLOTS 8
#define PROBE_TOKENS 4

enum udp_policy { POLICY_PRIMARY, POLICY_DUPLICATE, POLICY_SPRAY };

enum path_state {
	PATH_PROBING,	/* never answered a probe: not used for data */
	PATH_LIVE,	/* answered within udp_path_timeout */
	PATH_DEAD,	/* answered once, silent since: probed, not used */
};

struct udp_path {
	uint16_t id;			/* ours, in the header of what we send on it */
	struct udp_sock *sock;
	struct sockaddr_storage remote;
	socklen_t rlen;
	char remote_str[64];
	bool learned;			/* from a packet's source, not an offer */
	enum path_state state;
	uint64_t created, last_reply, last_rx;	/* us */
	uint64_t tok[PROBE_TOKENS];	/* tokens of the latest probes, newest first */
	uint32_t hist;			/* bit i: probe i rounds ago was answered */
	uint32_t hist_n;		/* rounds counted in hist (<= 32) */
	uint32_t srtt_us, min_rtt_us;
	/* path MTU, in datagram bytes (UDP payload) */
	uint16_t mtu, mtu_hi, mtu_try;
	uint8_t mtu_fails, confirm_fails;
	bool mtu_pending;		/* a padded probe of mtu_try is out */
	bool mtu_tried_max;		/* this search tried mtu_hi first */
	uint64_t mtu_search_at;
	uint64_t tok_mtu;
	/* spray */
	int64_t credit;
	bool in_use;
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes, rx_dups;
};

struct link_udp {
	struct link *link;
	uint32_t rx_index;		/* ours: the peer puts it in its datagrams */
	uint32_t tx_index;		/* the peer's (0 until its offer) */
	bool busy;			/* delivering: the link must not be freed */
	enum udp_policy policy;
	uint8_t tx_cipher, rx_cipher;

	struct aead_key tx_key;
	uint32_t tx_epoch;
	uint64_t tx_ctr, tx_probe_ctr;
	uint64_t tx_since_rekey, rekeyed_at, rekey_due;

	struct aead_key rx_key, rx_next, rx_prev;
	struct epoch_rx rx_ep;		/* which of the three an epoch bit names */

	struct replay win, probe_win;
	struct reorder ro;
	struct defrag df;

	struct udp_path path[UDP_MAX_PATHS];
	unsigned npaths;
	uint16_t next_path_id;
	int primary;			/* index of the primary path, -1 */
	unsigned spray_next;
	unsigned round;			/* probe rounds */

	ev_timer probe_timer, reorder_timer;
	uint64_t tx_udp, rx_udp, tx_tls, rx_tls;	/* data packets */
	uint64_t tx_frags, rx_reassembled, rekeys, paths_learned;
	uint64_t rx_bad_tag, rx_replayed, rx_too_old, rx_bad_payload;
	bool on_udp;			/* last data packet went over UDP */
};

const char *udp_policy_name(enum udp_policy p);

#endif
