/*
 * rtnl.c - ip-gate's rtnetlink requests (see rtnl.h).  Owns the two
 * netlink sockets and the message layout; knows nothing of the mesh
 * beyond turning kernel addresses into prefixes of an instance.
 *
 * Requests wait for their answer (matched by sequence number; answers to
 * earlier requests that timed out are skipped) with SO_RCVTIMEO as the
 * bound, so a stuck kernel cannot hang the gate for long.  Dumps are read
 * to NLMSG_DONE before the next request is sent.
 */
#include "config.h"
#include "rtnl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ipv.h"

#define RECV_BUF_LEN 32768	/* more than one dump part (at most 32 KiB) */

struct rt_req {
	struct nlmsghdr nh;
	struct rtmsg rt;
	char attrs[64];		/* RTA_DST (16 bytes at most), RTA_OIF, RTA_PRIORITY */
};

/* The answer to a dump, message by message; false stops the dump. */
typedef bool (*dump_fn)(void *arg, const struct nlmsghdr *nh);

static int nl_socket(unsigned groups, int flags)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

int rtnl_open(struct rtnl *r, unsigned timeout_ms, bool watch)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	r->seq = 0;
	r->watch_fd = -1;
	r->fd = nl_socket(0, 0);
	if (r->fd < 0)
		return r->fd;
	setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!watch)
		return 0;
	r->watch_fd = nl_socket(RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR, SOCK_NONBLOCK);
	if (r->watch_fd < 0) {
		int e = r->watch_fd;

		rtnl_close(r);
		return e;
	}
	return 0;
}

void rtnl_close(struct rtnl *r)
{
	if (r->fd >= 0)
		close(r->fd);
	if (r->watch_fd >= 0)
		close(r->watch_fd);
	r->fd = r->watch_fd = -1;
}

/* Send request req and read its answer: the ack (0 or -errno), or for a
 * dump every part (through fn) up to NLMSG_DONE. */
static int transact(struct rtnl *r, struct nlmsghdr *req, dump_fn fn, void *arg)
{
	static char buf[RECV_BUF_LEN] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool go_on = true;

	req->nlmsg_seq = ++r->seq;
	if (send(r->fd, req, req->nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(r->fd, buf, sizeof(buf), 0);
		const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
		size_t left = n > 0 ? (size_t)n : 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
			if (nh->nlmsg_seq != req->nlmsg_seq)
				continue;	/* the late answer to an earlier request */
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
					return -EPROTO;
				return ((const struct nlmsgerr *)NLMSG_DATA(nh))->error;
			}
			if (fn && go_on)
				go_on = fn(arg, nh);	/* read on to DONE anyway */
		}
	}
}

static void add_attr(struct rt_req *req, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(req->nh.nlmsg_len);
	struct rtattr rta = { .rta_len = (unsigned short)RTA_LENGTH(len), .rta_type = type };

	memcpy((char *)req + off, &rta, sizeof(rta));
	memcpy((char *)req + off + RTA_LENGTH(0), data, len);
	req->nh.nlmsg_len = (uint32_t)(off + RTA_ALIGN(rta.rta_len));
}

static int route_change(struct rtnl *r, bool add, int ifindex, const struct prefix *p)
{
	struct rt_req req;
	uint32_t oif = (uint32_t)ifindex, metric = RTNL_METRIC;
	bool v4 = p->a.len == 4;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	req.rt.rtm_family = v4 ? AF_INET : AF_INET6;
	req.rt.rtm_dst_len = (unsigned char)p->bits;
	req.rt.rtm_table = RT_TABLE_MAIN;
	req.rt.rtm_protocol = RTNL_PROTO;	/* on a delete: only ours */
	req.rt.rtm_scope = !add ? RT_SCOPE_NOWHERE : v4 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	req.rt.rtm_type = RTN_UNICAST;
	add_attr(&req, RTA_DST, p->a.b, p->a.len);
	add_attr(&req, RTA_OIF, &oif, sizeof(oif));
	add_attr(&req, RTA_PRIORITY, &metric, sizeof(metric));
	return transact(r, &req.nh, NULL, NULL);
}

int rtnl_route_add(struct rtnl *r, int ifindex, const struct prefix *p)
{
	return route_change(r, true, ifindex, p);
}

int rtnl_route_del(struct rtnl *r, int ifindex, const struct prefix *p)
{
	return route_change(r, false, ifindex, p);
}

/* ---------------------------------------------------------------- dumps */

/* The attributes of a message whose fixed part is hdr_len bytes. */
static void attrs_parse(const struct nlmsghdr *nh, size_t hdr_len, const struct rtattr **tb,
			size_t max)
{
	const struct rtattr *rta = (const struct rtattr *)((const char *)NLMSG_DATA(nh) +
							  NLMSG_ALIGN(hdr_len));
	unsigned int left;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (nh->nlmsg_len < NLMSG_LENGTH(NLMSG_ALIGN(hdr_len)))
		return;
	left = nh->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(hdr_len));
	for (; RTA_OK(rta, left); rta = RTA_NEXT(rta, left))
		if (rta->rta_type <= max)
			tb[rta->rta_type] = rta;
}

struct flush_ctx {
	int ifindex;
	struct prefix *found;	/* our routes through ifindex */
	size_t n, cap;
	int err;
};

static bool flush_one(void *arg, const struct nlmsghdr *nh)
{
	struct flush_ctx *f = arg;
	const struct rtmsg *rt = NLMSG_DATA(nh);
	const struct rtattr *tb[RTA_MAX + 1];
	size_t alen;
	uint32_t oif;

	if (nh->nlmsg_type != RTM_NEWROUTE || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*rt)) ||
	    rt->rtm_protocol != RTNL_PROTO || rt->rtm_table != RT_TABLE_MAIN)
		return true;
	alen = rt->rtm_family == AF_INET ? 4 : rt->rtm_family == AF_INET6 ? 16 : 0;
	attrs_parse(nh, sizeof(*rt), tb, RTA_MAX);
	if (!alen || !tb[RTA_OIF] || RTA_PAYLOAD(tb[RTA_OIF]) != sizeof(oif) ||
	    rt->rtm_dst_len > 8 * alen || (tb[RTA_DST] && RTA_PAYLOAD(tb[RTA_DST]) != alen))
		return true;
	memcpy(&oif, RTA_DATA(tb[RTA_OIF]), sizeof(oif));
	if (oif != (uint32_t)f->ifindex)
		return true;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		struct prefix *p = realloc(f->found, cap * sizeof(*p));

		if (!p) {
			f->err = -ENOMEM;
			return false;
		}
		f->found = p;
		f->cap = cap;
	}
	memset(&f->found[f->n], 0, sizeof(f->found[f->n]));
	f->found[f->n].a.len = (uint8_t)alen;
	f->found[f->n].bits = rt->rtm_dst_len;
	if (tb[RTA_DST])
		memcpy(f->found[f->n].a.b, RTA_DATA(tb[RTA_DST]), alen);
	f->n++;
	return true;
}

int rtnl_flush(struct rtnl *r, int ifindex)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
	} req = {
		.nh = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)), .nlmsg_type = RTM_GETROUTE,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.rt = { .rtm_family = AF_UNSPEC },
	};
	struct flush_ctx f = { .ifindex = ifindex };
	int e = transact(r, &req.nh, flush_one, &f), deleted = 0;

	if (!e)
		e = f.err;
	for (size_t i = 0; i < f.n && !e; i++) {
		int d = rtnl_route_del(r, ifindex, &f.found[i]);

		if (d == 0)
			deleted++;
		else if (d != -ESRCH)
			e = d;
	}
	free(f.found);
	return e ? e : deleted;
}

struct subnets_ctx {
	int skip;
	uint16_t net;
	struct prefix *out;
	size_t n, cap;
	int err;
};

static void subnet_add(struct subnets_ctx *s, const struct rtattr *rta, unsigned bits)
{
	size_t alen = RTA_PAYLOAD(rta);
	struct addr a = { .len = (uint8_t)alen };

	if ((alen != 4 && alen != 16) || bits > 8 * alen)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct prefix *p = realloc(s->out, cap * sizeof(*p));

		if (!p) {
			s->err = -ENOMEM;
			return;
		}
		s->out = p;
		s->cap = cap;
	}
	a.inst = alen == 4 ? INST(AP_IPV4, s->net) : INST(AP_IPV6, s->net);
	memcpy(a.b, RTA_DATA(rta), alen);
	ipv_prefix_of(&s->out[s->n], &a, (uint16_t)bits);
	if (s->n == 0 || !prefix_equal(&s->out[s->n - 1], &s->out[s->n]))
		s->n++;
}

static bool subnet_one(void *arg, const struct nlmsghdr *nh)
{
	struct subnets_ctx *s = arg;
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	const struct rtattr *tb[IFA_MAX + 1];

	if (nh->nlmsg_type != RTM_NEWADDR || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    (int)ifa->ifa_index == s->skip)
		return true;
	attrs_parse(nh, sizeof(*ifa), tb, IFA_MAX);
	if (tb[IFA_LOCAL])
		subnet_add(s, tb[IFA_LOCAL], ifa->ifa_prefixlen);
	if (tb[IFA_ADDRESS])
		subnet_add(s, tb[IFA_ADDRESS], ifa->ifa_prefixlen);
	return s->err == 0;
}

int rtnl_subnets(struct rtnl *r, int skip, uint16_t net, struct prefix **out, size_t *n)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
	} req = {
		.nh = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
			.nlmsg_type = RTM_GETADDR, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.ifa = { .ifa_family = AF_UNSPEC },
	};
	struct subnets_ctx s = { .skip = skip, .net = net };
	int e = transact(r, &req.nh, subnet_one, &s);

	*out = s.out;
	*n = s.n;
	return e ? e : s.err;
}

bool rtnl_addrs_changed(struct rtnl *r)
{
	static char buf[RECV_BUF_LEN] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool changed = false;

	for (;;) {
		ssize_t n = recv(r->watch_fd, buf, sizeof(buf), 0);
		const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
		size_t left = n > 0 ? (size_t)n : 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return changed || errno == ENOBUFS;	/* ENOBUFS: some were lost */
		if (n == 0)
			return changed;
		for (; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left))
			if (nh->nlmsg_type == RTM_NEWADDR || nh->nlmsg_type == RTM_DELADDR)
				changed = true;
	}
}
