/*
 * tun.c - TUN/TAP devices and the commands run around them (see tun.h).
 * Owns /dev/net/tun, the interface ioctls and running child processes; it
 * knows nothing of the mesh and does not log (errors go back to the
 * caller, who knows which option caused them).
 *
 * Setters are no-ops when the device is already in the wanted state, so a
 * gate started without CAP_NET_ADMIN on a device prepared for it (`ip
 * tuntap add ... user U', MTU set and up) still starts.
 *
 * Commands: tun_run forks and execs without a shell, with stdin from
 * /dev/null and stdout and stderr captured through a pipe.  The first
 * line of output is kept in err (on success too, so the caller may log
 * it); the rest is read and discarded.  The caller waits for the command
 * to exit, reading its output meanwhile; once it has exited, output still
 * held by its own children (a daemon it started) is not waited for.  The
 * child gets an empty signal mask and default dispositions (libev blocks
 * signals, and SIGPIPE is ignored in the gates).
 */
#include "config.h"
#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_POLL_MS 100	/* how often to check that the command exited */

int tun_open(enum tun_kind kind, char *name, size_t namelen, bool persist, bool vnet,
	     char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	int fd;

	if (strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "interface name '%s' is longer than %d bytes",
			 name, IFNAMSIZ - 1);
		return -EINVAL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(e));
		return -e;
	}
	ifr.ifr_flags = (short)((kind == TUN_L2 ? IFF_TAP : IFF_TUN) | IFF_NO_PI |
				(vnet ? IFF_VNET_HDR : 0));
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot create or attach %s device '%s': %s",
			 kind == TUN_L2 ? "TAP" : "TUN", name, strerror(e));
		close(fd);
		return -e;
	}
	snprintf(name, namelen, "%.*s", IFNAMSIZ, ifr.ifr_name);
	if (persist && ioctl(fd, TUNSETPERSIST, 1) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot make persistent: %s", name, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

/* One interface ioctl through a throw-away AF_INET socket. */
static int if_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int s, r = 0;

	if (strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	memcpy(ifr->ifr_name, name, strlen(name) + 1);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (ioctl(s, req, ifr) < 0)
		r = -errno;
	close(s);
	return r;
}

int tun_set_mtu(const char *name, int mtu)
{
	struct ifreq ifr = { 0 };
	int r = if_ioctl(name, SIOCGIFMTU, &ifr);

	if (r == 0 && ifr.ifr_mtu == mtu)
		return 0;
	ifr.ifr_mtu = mtu;
	return if_ioctl(name, SIOCSIFMTU, &ifr);
}

int tun_get_mac(const char *name, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int r = if_ioctl(name, SIOCGIFHWADDR, &ifr);

	if (r == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return r;
}

int tun_set_mac(const char *name, const uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	uint8_t cur[6];

	if (tun_get_mac(name, cur) == 0 && !memcmp(cur, mac, 6))
		return 0;
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	return if_ioctl(name, SIOCSIFHWADDR, &ifr);
}

static int set_flag(const char *name, short flag, bool on)
{
	struct ifreq ifr = { 0 };
	int r = if_ioctl(name, SIOCGIFFLAGS, &ifr);

	if (r < 0)
		return r;
	if (!!(ifr.ifr_flags & flag) == on)
		return 0;
	ifr.ifr_flags = (short)(on ? ifr.ifr_flags | flag : ifr.ifr_flags & ~flag);
	return if_ioctl(name, SIOCSIFFLAGS, &ifr);
}

int tun_set_up(const char *name, bool up)
{
	return set_flag(name, IFF_UP, up);
}

int tun_set_promisc(const char *name, bool on)
{
	return set_flag(name, IFF_PROMISC, on);
}

/* ---------------------------------------------------------------- commands */

static void child_exec(char *const argv[], const char *iface, int out)
{
	sigset_t none;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);	/* only its dup2 copy stays */

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	if (iface)
		setenv("IFACE", iface, 1);
	execvp(argv[0], argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Keep the first line of the child's output in line[]; false at EOF or
 * when nothing is left to read. */
static bool collect(int fd, char *line, size_t cap, size_t *used, bool *line_done)
{
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n == 0 || (n < 0 && errno != EINTR))
		return false;
	for (ssize_t i = 0; i < n && !*line_done; i++) {
		if (buf[i] == '\n') {
			*line_done = true;
		} else if (*used + 1 < cap) {
			line[(*used)++] = buf[i];
			line[*used] = '\0';
		}
	}
	return true;
}

/* Read the child's output until it exits; its wait status in *status. */
static int wait_child(pid_t pid, int fd, char *line, size_t cap, int *status)
{
	size_t used = 0;
	bool line_done = false, open_fd = true;
	pid_t r;

	if (cap)
		line[0] = '\0';
	while (open_fd) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (poll(&p, 1, CHILD_POLL_MS) > 0)
			open_fd = collect(fd, line, cap, &used, &line_done);
	}
	if (!open_fd) {
		/* EOF: output closed, wait for the exit itself */
		while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
			;
		return r < 0 ? -errno : 0;
	}
	/* it exited: take what it left in the pipe, without waiting */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (collect(fd, line, cap, &used, &line_done) && !line_done)
		;
	return 0;
}

static int run(char *const argv[], const char *iface, char *err, size_t errlen)
{
	char line[256];
	int pfd[2], status = 0, r;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0)
		child_exec(argv, iface, pfd[1]);
	close(pfd[1]);
	r = wait_child(pid, pfd[0], line, sizeof(line), &status);
	close(pfd[0]);
	if (r < 0) {
		snprintf(err, errlen, "waiting for %s: %s", argv[0], strerror(-r));
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		snprintf(err, errlen, "%s", line);
		return 0;
	}
	if (WIFEXITED(status))
		snprintf(err, errlen, "%s exited with status %d%s%s", argv[0],
			 WEXITSTATUS(status), line[0] ? ": " : "", line);
	else
		snprintf(err, errlen, "%s killed by signal %d%s%s", argv[0],
			 WTERMSIG(status), line[0] ? ": " : "", line);
	return -1;
}

int tun_run(char *const argv[], char *err, size_t errlen)
{
	return run(argv, NULL, err, errlen);
}

int tun_run_script(const char *cmd, const char *iface, char *err, size_t errlen)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };

	return run(argv, iface, err, errlen);
}
