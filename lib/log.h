/*
 * log.h - leveled, per-subsystem logging for cloud, gates and tools.
 *
 * Lines go to stderr with a UTC timestamp, or to syslog.  Errors, warnings
 * and info lines pass when the level allows them; debug lines pass only for
 * the subsystems switched on (log_set_debug), and a disabled debug line
 * costs one branch: its arguments are not evaluated.
 */
#ifndef CLOUDVPN_LOG_H
#define CLOUDVPN_LOG_H

#include <stdbool.h>

enum log_level { LL_ERR, LL_WARN, LL_INFO, LL_DBG };

enum log_subsys {
	LOGS_CORE,	/* daemon life cycle, signals, reload */
	LOGS_CONF,	/* configuration */
	LOGS_LINK,	/* links: TCP, TLS, control frames */
	LOGS_ROUTE,	/* routing */
	LOGS_GATE,	/* gates */
	LOGS_CTL,	/* control socket */
	LOGS_NAT,	/* stunproxy */
	LOGS_DATA,	/* data path */
	LOGS_COUNT
};

extern int log_level;			/* messages above it are dropped */
extern unsigned log_debug_mask;		/* bit per enum log_subsys */

void log_init(const char *prog, bool use_syslog);
bool log_parse_level(const char *s, int *level);
/* "link,ctl", "all" or "none"; false (mask untouched) on an unknown name */
bool log_set_debug(const char *spec);
/* comma-separated names of the subsystems with debug on, into buf */
void log_debug_spec(char *buf, unsigned long len);
const char *log_level_name(int level);

void log_msg(int level, enum log_subsys sub, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(sub, ...)  log_msg(LL_ERR, (sub), __VA_ARGS__)
#define log_warn(sub, ...) \
	do { if (log_level >= LL_WARN) log_msg(LL_WARN, (sub), __VA_ARGS__); } while (0)
#define log_info(sub, ...) \
	do { if (log_level >= LL_INFO) log_msg(LL_INFO, (sub), __VA_ARGS__); } while (0)
#define log_dbg(sub, ...) \
	do { if (log_debug_mask & (1u << (sub))) log_msg(LL_DBG, (sub), __VA_ARGS__); } while (0)

#endif
