/*
 * options.c - the table of cloud's options.  Names and meanings follow
 * CloudVPN where it had the option (see CLOUDVPN.md); defaults are ours
 * where the old ones were unsafe or slow.  Adding an option here adds it to
 * parsing, --help and the man page; reading it is the caller's job.
 */
#include "config.h"
#include "options.h"

#define R CONF_RELOAD
#define M CONF_REPEAT

const struct conf_opt cloud_options[OPT_COUNT] = {
	[OPT_NAME] = { "name", CONF_STR, 0, NULL, "NAME",
		"Node name. With X.509 it defaults to the certificate's common name and must match it; required with raw public keys." },
	[OPT_LISTEN] = { "listen", CONF_STR, M, NULL, "ADDR PORT",
		"Accept links on this address and TCP port (IPv4, IPv6, or * for all)." },
	[OPT_CONNECT] = { "connect", CONF_STR, M | R, NULL, "HOST PORT",
		"Keep a link to this peer, reconnecting with backoff; HOST may be a name, resolved without blocking." },
	[OPT_KEY] = { "key", CONF_STR, CONF_REQUIRED | R, NULL, "FILE",
		"This node's private key (PEM)." },
	[OPT_CERT] = { "cert", CONF_STR, R, NULL, "FILE",
		"This node's certificate chain (PEM), signed by a `ca'. Required unless raw public keys (`pin') are used." },
	[OPT_CA] = { "ca", CONF_STR, M | R, NULL, "FILE",
		"Trusted certificate authority (PEM); peers must present a chain to one of them." },
	[OPT_CRL] = { "crl", CONF_STR, M | R, NULL, "FILE",
		"Certificate revocation list (PEM); revoked peers are refused." },
	[OPT_ALLOW] = { "allow", CONF_STR, M | R, NULL, "NAME",
		"Accept only peers with these node names (default: any peer the CA vouches for)." },
	[OPT_PIN] = { "pin", CONF_STR, M | R, NULL, "NAME pin-sha256:BASE64",
		"Raw public key mode (RFC 7250): trust the peer NAME whose key has this SHA-256 pin (`cloud-ca pin KEY' prints it)." },
	[OPT_TLS_PRIO] = { "tls_prio_str", CONF_STR, R, "NORMAL:-VERS-ALL:+VERS-TLS1.3", "PRIO",
		"GnuTLS priority string for links; TLS 1.3 only by default." },
	[OPT_CTL] = { "ctl", CONF_STR, 0, NULL, "PATH",
		"Control socket for cloudctl (UNIX stream socket, mode 0600)." },
	[OPT_MAX_CONNECTIONS] = { "max_connections", CONF_INT, R, "1024", "N",
		"Most links (established and in handshake) at once.", 1, 1000000 },
	[OPT_MAX_HANDSHAKES] = { "max_handshakes", CONF_INT, R, "64", "N",
		"Most links still in their TCP/TLS handshake (and at most 8 incoming from one address); more are refused, so that strangers cannot take every slot.", 1, 1000000 },
	[OPT_LISTEN_BACKLOG] = { "listen_backlog", CONF_INT, 0, "32", "N",
		"listen() backlog of link listeners.", 1, 65535 },
	[OPT_CONN_RETRY] = { "conn_retry", CONF_DURATION, R, "1s", "TIME",
		"First delay before reconnecting a `connect' peer; it doubles (with jitter) after each failure.", 1000, 3600000000LL },
	[OPT_CONN_RETRY_MAX] = { "conn_retry_max", CONF_DURATION, R, "60s", "TIME",
		"Longest delay between reconnection attempts.", 1000, 86400000000LL },
	[OPT_CONN_TIMEOUT] = { "conn_timeout", CONF_DURATION, R, "20s", "TIME",
		"Time allowed for a TCP+TLS handshake, and silence after which a peer is declared dead.", 10000, 3600000000LL },
	[OPT_CONN_KEEPALIVE] = { "conn_keepalive", CONF_DURATION, R, "5s", "TIME",
		"Interval of keepalive pings on each link (they also measure RTT).", 1000, 3600000000LL },
	[OPT_CLOSE_TIMEOUT] = { "comm_close_timeout", CONF_DURATION, R, "1s", "TIME",
		"On shutdown, how long to wait for links to close cleanly.", 0, 60000000 },
	[OPT_TCP_NODELAY] = { "tcp_nodelay", CONF_BOOL, R, "yes", "BOOL",
		"Disable Nagle's algorithm on link sockets." },
	[OPT_USER] = { "user", CONF_STR, 0, NULL, "USER",
		"After binding sockets, switch to this user and drop all capabilities." },
	[OPT_GROUP] = { "group", CONF_STR, 0, NULL, "GROUP",
		"Group to switch to (default: the user's primary group)." },
	[OPT_CHROOT] = { "chroot", CONF_STR, 0, NULL, "DIR",
		"After start-up, chroot here; files read on reload are then looked up inside it." },
	[OPT_MLOCKALL] = { "mlockall", CONF_BOOL, 0, "no", "BOOL",
		"Lock all memory (keys never reach swap)." },
	[OPT_LOG_LEVEL] = { "log_level", CONF_STR, R, "info", "LEVEL",
		"error, warning, info or debug." },
	[OPT_DEBUG] = { "debug", CONF_STR, R, "none", "SUBSYS,...",
		"Debug lines for these subsystems: core, conf, link, route, gate, ctl, nat, data, all, none." },
	[OPT_SYSLOG] = { "syslog", CONF_BOOL, R, "no", "BOOL",
		"Log to syslog (daemon facility) instead of stderr." },
};
