/*
 * cloudctl.c - the control client: sends one request line to cloud's
 * control socket and prints the reply.  Owns only the command line and the
 * socket exchange; the request grammar is lib/ctlproto.c's and the meaning
 * of commands is the daemon's.
 *
 * Exit status: 0 on success, 1 when the daemon answered "error: ...",
 * 2 for anything that went wrong here (usage, connect, timeout, I/O).
 */
#include "config.h"
#include "ctlproto.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/cloud.ctl"
#define ERR_PREFIX "error: "

static char timeout_msg[256];

static void usage(FILE *out)
{
	fputs("usage: cloudctl [-s SOCKET] [-json] [-t SECONDS] COMMAND [ARG...]\n"
	      "       cloudctl -h | --help | --version\n\n"
	      "  -s SOCKET   control socket (default: $CLOUDCTL_SOCKET, else "
	      DEFAULT_SOCKET ")\n"
	      "  -json       ask for a JSON reply\n"
	      "  -t SECONDS  give up waiting for the reply (default: 10)\n\n"
	      "commands:\n"
	      "  status                          node, links and peers\n"
	      "  links                           one line per link\n"
	      "  gates                           attached gates, their prefixes, counters\n"
	      "  routes                          every reachable prefix: owner, metric,\n"
	      "                                  seqno, next hops and their weights\n"
	      "  nodes                           every reachable node, its metric and next hops\n"
	      "  dot                             the mesh as this node sees it (Graphviz)\n"
	      "  paths                           every UDP path of every link: state, RTT,\n"
	      "                                  loss, MTU, packets, duplicates\n"
	      "  policy PEER POLICY              primary, duplicate or spray on the link to\n"
	      "                                  PEER (* for all) until it closes\n"
	      "  reload                          re-read the configuration\n"
	      "  log-level LEVEL [DEBUG-SUBSYS]  set the log level and debug "
	      "subsystems\n\n"
	      "The daemon may know more commands; to any it does not know it\n"
	      "answers \"error: unknown command\".\n", out);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("cloudctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void on_alarm(int sig)
{
	ssize_t r = write(STDERR_FILENO, timeout_msg, strlen(timeout_msg));

	(void)r;
	_exit(2);
}

/* One deadline for connect, send and the whole reply. */
static void arm_timeout(double secs, const char *path)
{
	struct itimerval it = { .it_value = { .tv_sec = (time_t)secs,
		.tv_usec = (suseconds_t)((secs - (double)(time_t)secs) * 999999) + 1 } };

	snprintf(timeout_msg, sizeof(timeout_msg),
		 "cloudctl: no reply from %s within %g s\n", path, secs);
	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &it, NULL);
}

/* "[-json ]COMMAND ARG...\n", refused here if the daemon would refuse it. */
static size_t build_request(char *line, size_t cap, bool json, int argc,
			    char **argv)
{
	struct ctl_req req;
	char why[128] = "longer than the request limit";
	size_t len = json ? (size_t)snprintf(line, cap, "-json ") : 0;
	int i;

	for (i = 0; i < argc; i++) {
		if (!argv[i][0] || strpbrk(argv[i], " \t"))
			die("argument '%s' is empty or contains blanks", argv[i]);
		if (len < cap)
			len += (size_t)snprintf(line + len, cap - len, "%s%s",
						argv[i], i + 1 < argc ? " " : "\n");
	}
	if (len >= cap || !ctl_parse_request(line, len, &req, why, sizeof(why)))
		die("bad request: %s", why);
	return len;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("cannot connect to %s: %s", path, strerror(errno));
	return fd;
}

/* Send the request, half-close, read the reply to EOF. */
static char *exchange(int fd, const char *line, size_t len, size_t *out_len)
{
	char chunk[4096], *buf = NULL;
	FILE *m = open_memstream(&buf, out_len);
	size_t off = 0;
	ssize_t r;

	while (m && off < len) {
		r = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (r < 0 && errno != EINTR)
			die("cannot send the request: %s", strerror(errno));
		off += r > 0 ? (size_t)r : 0;
	}
	shutdown(fd, SHUT_WR);
	while (m && (r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno != EINTR)
			die("cannot read the reply: %s", strerror(errno));
		if (r > 0)
			fwrite(chunk, 1, (size_t)r, m);
	}
	if (!m || fclose(m))
		die("cannot read the reply: %s", strerror(errno));
	return buf;
}

int main(int argc, char **argv)
{
	const char *path = getenv("CLOUDCTL_SOCKET"), *o;
	char line[CTL_LINE_MAX + 1], *reply, *end;
	double timeout = 10;
	bool json = false, is_err;
	size_t len;
	int i, fd;
	FILE *out;

	if (!path || !*path)
		path = DEFAULT_SOCKET;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		o = argv[i];
		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(o, "--version")) {
			puts("cloudctl " PACKAGE_VERSION);
			return 0;
		} else if (!strcmp(o, "-json")) {
			json = true;
		} else if (!strcmp(o, "-s") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(o, "-t") && i + 1 < argc) {
			timeout = strtod(argv[++i], &end);
			if (end == argv[i] || *end || !(timeout > 0 && timeout <= 86400))
				die("bad timeout '%s' (seconds, up to 86400)", argv[i]);
		} else if (!strcmp(o, "--")) {
			i++;
			break;
		} else {
			usage(stderr);
			die("unknown option or missing value: %s", o);
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	len = build_request(line, sizeof(line), json, argc - i, argv + i);

	arm_timeout(timeout, path);
	fd = connect_to(path);
	reply = exchange(fd, line, len, &len);
	if (len == 0)
		die("%s closed the connection without a reply", path);
	close(fd);
	is_err = len >= strlen(ERR_PREFIX) &&
		 !memcmp(reply, ERR_PREFIX, strlen(ERR_PREFIX));
	out = is_err ? stderr : stdout;
	fwrite(reply, 1, len, out);
	if (reply[len - 1] != '\n')
		fputc('\n', out);
	free(reply);
	if (fflush(out) || ferror(out))
		die("cannot write the reply: %s", strerror(errno));
	return is_err ? 1 : 0;
}
