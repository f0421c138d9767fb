/*
 * log.c - the one logging sink.  Owns the level, the debug mask and the
 * choice between stderr and syslog; nothing else in the tree writes
 * diagnostics directly.
 */
#include "config.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

int log_level = LL_INFO;
unsigned log_debug_mask;

static const char *prog_name = "cloudvpn";
static bool to_syslog;

static const char *const subsys_names[LOGS_COUNT] = {
	[LOGS_CORE] = "core", [LOGS_CONF] = "conf", [LOGS_LINK] = "link",
	[LOGS_ROUTE] = "route", [LOGS_GATE] = "gate", [LOGS_CTL] = "ctl",
	[LOGS_NAT] = "nat", [LOGS_DATA] = "data",
};

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void log_init(const char *prog, bool use_syslog)
{
	prog_name = prog;
	if (use_syslog && !to_syslog)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!use_syslog && to_syslog)
		closelog();
	to_syslog = use_syslog;
}

const char *log_level_name(int level)
{
	if (level < LL_ERR || level > LL_DBG)
		return "?";
	return level_names[level];
}

bool log_parse_level(const char *s, int *level)
{
	for (int i = LL_ERR; i <= LL_DBG; i++) {
		if (!strcasecmp(s, level_names[i])) {
			*level = i;
			return true;
		}
	}
	if (!strcasecmp(s, "warn")) {
		*level = LL_WARN;
		return true;
	}
	return false;
}

bool log_set_debug(const char *spec)
{
	unsigned mask = 0;
	const char *p = spec;

	while (*p) {
		size_t n = strcspn(p, ", ");
		bool found = false;

		if (n == 3 && !strncmp(p, "all", 3)) {
			mask = (1u << LOGS_COUNT) - 1;
			found = true;
		} else if (n == 4 && !strncmp(p, "none", 4)) {
			mask = 0;
			found = true;
		}
		for (int i = 0; !found && i < LOGS_COUNT; i++) {
			if (strlen(subsys_names[i]) == n && !strncmp(p, subsys_names[i], n)) {
				mask |= 1u << i;
				found = true;
			}
		}
		if (!found && n > 0)
			return false;
		p += n;
		p += strspn(p, ", ");
	}
	log_debug_mask = mask;
	return true;
}

void log_debug_spec(char *buf, unsigned long len)
{
	size_t off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (int i = 0; i < LOGS_COUNT; i++) {
		if (!(log_debug_mask & (1u << i)))
			continue;
		int n = snprintf(buf + off, len - off, "%s%s", off ? "," : "", subsys_names[i]);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	if (off == 0)
		snprintf(buf, len, "none");
}

void log_msg(int level, enum log_subsys sub, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);

	const char *sname = (unsigned)sub < LOGS_COUNT ? subsys_names[sub] : "?";
	if (to_syslog) {
		static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
		syslog(prio[level < 0 ? 0 : level > LL_DBG ? LL_DBG : level], "%s %s: %s",
		       log_level_name(level), sname, text);
		return;
	}

	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s[%d] %s %s: %s\n", stamp, ts.tv_nsec / 1000000,
		prog_name, (int)getpid(), log_level_name(level), sname, text);
}
