/*
 * tcpgro.c - joining TCP segments for a TUN with IFF_VNET_HDR (tcpgro.h).
 */
#include "config.h"
#include "tcpgro.h"
#include "ipv.h"
#include "wire.h"

#include <linux/virtio_net.h>
#include <string.h>

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

/* The pseudo-header sum of a TCP segment of tcplen bytes in packet p. */
static uint32_t pseudo_sum(const uint8_t *p, uint8_t version, uint32_t tcplen)
{
	return version == 4 ? ipv4_pseudo_sum(p + 12, p + 16, tcplen, 6)
			    : ipv6_pseudo_sum(p + 8, p + 24, tcplen, 6);
}

/* The segment's checksums hold (as the kernel checks before GRO merges:
 * a joined packet's checksum is the kernel's to complete, so a corrupt
 * segment must not hide in one). */
static bool csums_ok(const uint8_t *p, uint8_t version, size_t iphl, size_t tot)
{
	if (version == 4 && ipv_csum(p, 20, 0) != 0)
		return false;
	return ipv_csum(p + iphl, tot - iphl,
			pseudo_sum(p, version, (uint32_t)(tot - iphl))) == 0;
}

/* Where a TCP segment's parts are: 0 if pkt is not one a run may hold. */
struct seg {
	uint8_t version;
	uint16_t iphl, hlen;	/* IP header; IP and TCP headers */
	uint16_t plen;		/* payload */
	uint32_t seq;
	uint8_t flags;
};

static bool seg_parse(const uint8_t *p, size_t len, struct seg *s)
{
	size_t tot, thl;

	if (len < 1)
		return false;
	s->version = p[0] >> 4;
	if (s->version == 4) {
		if (len < 20 || (p[0] & 0x0f) != 5 || p[9] != 6)
			return false;	/* IP options, or not TCP */
		if (wire_get16(p + 6) & 0x3fff)
			return false;	/* a fragment (MF or an offset) */
		tot = wire_get16(p + 2);
		s->iphl = 20;
	} else if (s->version == 6) {
		if (len < 40 || p[6] != 6)
			return false;	/* extension headers, or not TCP */
		tot = 40u + wire_get16(p + 4);
		s->iphl = 40;
	} else {
		return false;
	}
	if (tot > len || tot > TCPGRO_MAX_LEN || tot < s->iphl + 20u)
		return false;
	thl = (size_t)(p[s->iphl + 12] >> 4) * 4;
	if (thl < 20 || s->iphl + thl > tot)
		return false;
	s->hlen = (uint16_t)(s->iphl + thl);
	s->plen = (uint16_t)(tot - s->hlen);
	s->seq = wire_get32(p + s->iphl + 4);
	s->flags = p[s->iphl + 13];
	/* ACK alone, or with PSH; no SYN, FIN, RST, URG, ECE, CWR */
	return s->plen > 0 && (s->flags & ~TH_PSH) == TH_ACK &&
	       csums_ok(p, s->version, s->iphl, tot);
}

bool tcpgro_start(struct tcpgro *g, const uint8_t *pkt, size_t len)
{
	struct seg s;

	if (g->len || !seg_parse(pkt, len, &s))
		return false;
	memcpy(g->buf + VNET_HDR_LEN, pkt, (size_t)s.hlen + s.plen);
	g->len = (size_t)s.hlen + s.plen;
	g->segs = 1;
	g->hlen = s.hlen;
	g->mss = g->last = s.plen;
	g->next_seq = s.seq + s.plen;
	g->psh = s.flags & TH_PSH;
	return true;
}

/* The fields a merge keeps must be the same: every header byte but the
 * IP length, ID and checksum, the sequence number, the TCP flags (PSH)
 * and checksum. */
static bool same_headers(const uint8_t *h, const uint8_t *p, const struct seg *s)
{
	const uint8_t *th = h + s->iphl, *tp = p + s->iphl;

	if (s->version == 4) {
		if (h[1] != p[1] || h[6] != p[6] || h[8] != p[8] ||	/* TOS, DF, TTL */
		    memcmp(h + 12, p + 12, 8))				/* addresses */
			return false;
	} else if (memcmp(h, p, 4) || h[7] != p[7] ||			/* class, flow, hops */
		   memcmp(h + 8, p + 8, 32)) {
		return false;
	}
	return !memcmp(th, tp, 4) &&			/* ports */
	       !memcmp(th + 8, tp + 8, 5) &&		/* ack, data offset */
	       !memcmp(th + 14, tp + 14, 2) &&		/* window */
	       !memcmp(th + 18, tp + 18, (size_t)(s->hlen - s->iphl - 18)); /* urg, options */
}

bool tcpgro_append(struct tcpgro *g, const uint8_t *pkt, size_t len)
{
	uint8_t *h = g->buf + VNET_HDR_LEN;
	struct seg s;

	if (!g->len || g->psh || g->last != g->mss || g->segs >= TCPGRO_MAX_SEGS ||
	    !seg_parse(pkt, len, &s))
		return false;
	if (s.version != h[0] >> 4 || s.hlen != g->hlen || s.seq != g->next_seq ||
	    s.plen > g->mss || g->len + s.plen > TCPGRO_MAX_LEN || !same_headers(h, pkt, &s))
		return false;
	memcpy(h + g->len, pkt + s.hlen, s.plen);
	g->len += s.plen;
	g->segs++;
	g->last = s.plen;
	g->next_seq += s.plen;
	if (s.flags & TH_PSH) {
		h[s.iphl + 13] |= TH_PSH;
		g->psh = true;
	}
	return true;
}

void tcpgro_plain_hdr(uint8_t hdr[VNET_HDR_LEN])
{
	memset(hdr, 0, VNET_HDR_LEN);
}

size_t tcpgro_finish(struct tcpgro *g)
{
	struct virtio_net_hdr vh;
	uint8_t *h = g->buf + VNET_HDR_LEN;
	size_t n = g->len;
	uint8_t version = h[0] >> 4;
	uint16_t iphl = version == 4 ? 20 : 40;

	memset(&vh, 0, sizeof(vh));
	if (g->segs > 1) {
		uint16_t tcplen = (uint16_t)(n - iphl);

		if (version == 4) {
			wire_put16(h + 2, (uint16_t)n);
			wire_put16(h + 10, 0);
			wire_put16(h + 10, ipv_csum(h, 20, 0));
			vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		} else {
			wire_put16(h + 4, tcplen);
			vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
		}
		/* the folded pseudo-header sum, not complemented: the kernel
		 * adds the segment's own bytes from csum_start on */
		wire_put16(h + iphl + 16,
			   (uint16_t)~ipv_csum(NULL, 0, pseudo_sum(h, version, tcplen)));
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.hdr_len = g->hlen;
		vh.gso_size = g->mss;
		vh.csum_start = iphl;
		vh.csum_offset = 16;
	}
	memcpy(g->buf, &vh, VNET_HDR_LEN);
	g->len = 0;
	g->segs = 0;
	return VNET_HDR_LEN + n;
}
