/*
 * options.h - cloud's option table: the one list that drives parsing,
 * --help, --check-config and the OPTIONS section of cloud(8).
 */
#ifndef CLOUDVPN_OPTIONS_H
#define CLOUDVPN_OPTIONS_H

#include <stddef.h>
#include "conf.h"

enum cloud_opt {
	OPT_NAME,
	OPT_LISTEN,
	OPT_CONNECT,
	OPT_KEY,
	OPT_CERT,
	OPT_CA,
	OPT_CRL,
	OPT_ALLOW,
	OPT_PIN,
	OPT_TLS_PRIO,
	OPT_CTL,
	OPT_MAX_CONNECTIONS,
	OPT_MAX_HANDSHAKES,
	OPT_LISTEN_BACKLOG,
	OPT_CONN_RETRY,
	OPT_CONN_RETRY_MAX,
	OPT_CONN_TIMEOUT,
	OPT_CONN_KEEPALIVE,
	OPT_CLOSE_TIMEOUT,
	OPT_TCP_NODELAY,
	OPT_USER,
	OPT_GROUP,
	OPT_CHROOT,
	OPT_MLOCKALL,
	OPT_LOG_LEVEL,
	OPT_DEBUG,
	OPT_SYSLOG,
	OPT_COUNT
};

extern const struct conf_opt cloud_options[OPT_COUNT];

#endif
