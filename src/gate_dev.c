/*
 * gate_dev.c - a gate's device read and written by cloud (gate_dev.h).
 */
#include "config.h"
#include "gate_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fwd.h"
#include "gate_srv.h"
#include "ipv.h"
#include "log.h"

#define DEV_BUDGET 64		/* packets read per wake-up, then others' turn */

static uint8_t rxbuf[VNET_HDR_LEN + GATE_PAYLOAD_MAX + 1];	/* read from a device */
static uint8_t clampbuf[GATE_PAYLOAD_MAX];	/* a SYN from the mesh, clamped */
static uint8_t msgbuf[GATE_MSG_MAX];		/* DEVICE_ACK, DEVICE_PACKET */

static void dev_ack(struct gate *g, bool accepted, const char *why)
{
	gate_send_raw(g, msgbuf, gate_enc_device_ack(msgbuf, sizeof(msgbuf), accepted, why));
}

/* One of the host addresses g announced (ip-gate announces each of its
 * device's addresses as a host prefix). */
static bool gate_host(const struct gate *g, const struct addr *a)
{
	struct prefix h;

	prefix_host(&h, a);
	for (size_t i = 0; i < g->nowned; i++)
		if (prefix_equal(&g->owned[i], &h))
			return true;
	return false;
}

/* Read from the device, not for cloud to forward: the gate decides. */
static void to_gate(struct gate *g, const uint8_t *b, size_t len)
{
	g->dev.slow++;
	gate_send_raw(g, msgbuf, gate_enc_device_packet(msgbuf, sizeof(msgbuf), b, len));
}

static void from_dev(struct gate *g, uint8_t *b, size_t len)
{
	struct gate_dev *d = &g->dev;
	struct gate_msg m;
	struct ipv_pkt p;
	uint16_t mss;

	d->rx++;
	if (!ipv_parse(b, len, d->net, &p) || ipv_addr_multicast(&p.dst) ||
	    (p.len > d->mtu && p.df) ||
	    !gate_host_valid(p.dst.inst, p.dst.b, p.dst.len) ||
	    !gate_host_valid(p.src.inst, p.src.b, p.src.len)) {
		to_gate(g, b, len);
		return;
	}
	mss = p.version == 4 ? d->mss4 : d->mss6;
	if (mss && ipv_clamp_mss(b, p.len, mss))
		d->mss_clamped++;
	/* what gate_decode would make of the gate's PACKET message */
	m.type = GM_PACKET;
	m.flags = 0;
	m.pkt.inst = p.dst.inst;
	m.pkt.dst = p.dst;
	m.pkt.src = p.src;
	m.pkt.origin[0] = '\0';
	m.pkt.payload = b;
	m.pkt.len = p.len;
	g->rx_packets++;
	g->rx_bytes += p.len;
	fwd_from_gate(g->cloud, g, &m);
}

static void dev_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gate *g = (struct gate *)((char *)w - offsetof(struct gate, dev.io));
	size_t skip = g->dev.vnet ? VNET_HDR_LEN : 0;
	char why[96];

	(void)loop;
	(void)revents;
	for (int i = 0; i < DEV_BUDGET; i++) {
		ssize_t n = read(g->dev.fd, rxbuf, sizeof(rxbuf));

		/* no offloads were asked for: the virtio-net header (if any)
		 * says nothing we need */
		if (n > (ssize_t)skip) {
			from_dev(g, rxbuf + skip, (size_t)n - skip);
			continue;
		}
		if (n > 0)
			continue;	/* a header and no packet */
		if (n < 0 && (errno == EINTR))
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* the device is gone (EBADFD): give it back, the gate decides */
		snprintf(why, sizeof(why), "device read: %s", n < 0 ? strerror(errno) : "EOF");
		log_warn(LOGS_GATE, "gate %u (%s): %s; handing the device back", g->id, g->name,
			 why);
		gate_dev_detach(g);
		dev_ack(g, false, why);
		return;
	}
}

/* One packet, with an all-zero virtio-net header when the device has one. */
static bool write_one(struct gate_dev *d, const uint8_t *pkt, size_t len)
{
	uint8_t vh[VNET_HDR_LEN];
	struct iovec iov[2] = { { vh, sizeof(vh) }, { (void *)pkt, len } };

	if (!d->vnet)
		return write(d->fd, pkt, len) == (ssize_t)len;
	tcpgro_plain_hdr(vh);
	return writev(d->fd, iov, 2) == (ssize_t)(VNET_HDR_LEN + len);
}

/* Write the TCP run held (its segments were counted as written). */
static void run_flush(struct gate *g)
{
	struct gate_dev *d = &g->dev;
	unsigned segs = d->run.segs;
	size_t n;

	if (!d->run.len)
		return;
	n = tcpgro_finish(&d->run);
	if (write(d->fd, d->run.buf, n) == (ssize_t)n) {
		if (segs > 1) {
			d->gro_writes++;
			d->gro_segs += segs;
		}
		return;
	}
	d->tx_failed += segs;
	g->tx_dropped += segs;
	if (segs > 1 && errno == EINVAL) {
		/* this kernel takes no GSO packets from a TUN: one by one */
		log_warn(LOGS_GATE, "gate %u (%s): the device refuses joined TCP runs (%s); "
			 "writing packets one by one", g->id, g->name, strerror(errno));
		d->gro = false;
	}
}

static void flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct gate *g = (struct gate *)((char *)w - offsetof(struct gate, dev.flush));

	(void)revents;
	run_flush(g);
	ev_prepare_stop(loop, w);
}

bool gate_dev_attach(struct gate *g, const struct gate_msg *m, int fd, char *why,
		     size_t whylen)
{
	struct gate_dev *d = &g->dev;
	const char *no = NULL;
	struct ifreq ifr;
	int fl;

	memset(&ifr, 0, sizeof(ifr));
	if (fd < 0)
		no = "no file descriptor came with it";
	else if (!g->cloud->set.gate_handoff)
		no = "gate_handoff is off";
	else if (d->fd >= 0)
		no = "a device is already handed over";
	else if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		no = "not a TUN device";
	else if ((ifr.ifr_flags & (IFF_TUN | IFF_TAP | IFF_NO_PI)) != (IFF_TUN | IFF_NO_PI))
		no = "not a TUN device without packet information";
	else if (!(ifr.ifr_flags & IFF_VNET_HDR) != !(m->flags & DEV_VNET_HDR))
		no = "its virtio-net header is not as announced";
	else if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		no = "cannot make it non-blocking";
	if (no) {
		if (fd >= 0)
			close(fd);
		snprintf(why, whylen, "%s", no);
		dev_ack(g, false, no);
		return false;
	}
	d->fd = fd;
	d->net = m->dev.net;
	d->mtu = m->dev.mtu;
	d->mss4 = m->dev.mss4;
	d->mss6 = m->dev.mss6;
	d->vnet = m->flags & DEV_VNET_HDR;
	d->run.len = 0;
	d->run.buf = d->vnet && g->cloud->set.tun_gro ? malloc(TCPGRO_BUF_LEN) : NULL;
	d->gro = d->run.buf != NULL;
	ev_io_init(&d->io, dev_cb, fd, EV_READ);
	ev_io_start(g->cloud->loop, &d->io);
	ev_prepare_init(&d->flush, flush_cb);
	log_info(LOGS_GATE, "gate %u (%s): took over device %.*s (mtu %u, TCP runs %s): its "
		 "packets skip the gate", g->id, g->name, IFNAMSIZ, ifr.ifr_name, d->mtu,
		 d->gro ? "joined" : "written one by one");
	dev_ack(g, true, "");
	return true;
}

void gate_dev_detach(struct gate *g)
{
	if (g->dev.fd < 0)
		return;
	run_flush(g);
	ev_prepare_stop(g->cloud->loop, &g->dev.flush);
	ev_io_stop(g->cloud->loop, &g->dev.io);
	free(g->dev.run.buf);
	g->dev.run.buf = NULL;
	close(g->dev.fd);
	g->dev.fd = -1;
}

bool gate_dev_write(struct gate *g, const struct addr *dst, const struct addr *src,
		    const uint8_t *pkt, size_t len)
{
	struct gate_dev *d = &g->dev;
	struct ipv_pkt p;
	uint16_t mss;

	if (!ipv_parse(pkt, len, d->net, &p) || !addr_equal(&p.dst, dst) ||
	    !addr_equal(&p.src, src) ||
	    gate_host(g, &p.src)) {
		d->bad++;
		return false;
	}
	mss = p.version == 4 ? d->mss4 : d->mss6;
	if (mss && ipv_mss_above(pkt, p.len, mss)) {
		memcpy(clampbuf, pkt, p.len);
		ipv_clamp_mss(clampbuf, p.len, mss);
		pkt = clampbuf;
		d->mss_clamped++;
	}
	if (d->gro) {
		if (tcpgro_append(&d->run, pkt, p.len))
			goto held;
		run_flush(g);
		if (tcpgro_start(&d->run, pkt, p.len)) {
			ev_prepare_start(g->cloud->loop, &d->flush);
			goto held;
		}
	}
	if (!write_one(d, pkt, p.len)) {
		d->tx_failed++;
		g->tx_dropped++;
		return false;
	}
held:
	d->tx++;
	g->tx_packets++;
	g->tx_bytes += p.len;
	return true;
}
