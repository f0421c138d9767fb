/*
 * fuzz_tcpgro.c - libFuzzer target for lib/tcpgro.c: the packets peers
 * send into a gate's device (after decryption: any bytes at all), fed as
 * cloud feeds them (src/gate_dev.c gate_dev_write): tcpgro_append; if it
 * refuses, tcpgro_finish what is held, then tcpgro_start; if that refuses
 * too, the packet is written alone.  The input is read as records, one
 * packet or more each:
 *
 *   u16 w     bits 0-11: n; bit 15: the loop iteration ends first (what is
 *             held is finished); bit 12: raw: the packet's checksums are
 *             left as they are (otherwise a packet shaped like a TCP
 *             segment gets a right IPv4 header and TCP checksum, so that
 *             the fuzzer reaches the joining rules); then one of
 *     bit 13: again: n more copies of the previous packet (at most
 *             REPEAT_MAX), each with the TCP sequence number moved on by
 *             the payload of the one before (if it is a segment)
 *     bit 14: stretch: a u16 e, then n bytes: the packet is those n bytes
 *             and e bytes of filler (a short input makes one of 64 KiB)
 *     else    n bytes, the packet (cut at the end of the input)
 *
 * No packet is longer than PKT_MAX, the most gate_dev_write is handed (a
 * DATA frame's or a gate's PACKET payload), and an input stops after
 * FEED_MAX bytes or NPKT_MAX packets.  Each packet is an exact-size copy,
 * so an overread is a crash.  Every verdict must match a plain restatement
 * of the rules in tcpgro.h, every packet must come out exactly once and
 * in order (joined or alone), and every finished run must be what the
 * kernel would have made of it: the IP header valid for the new length,
 * the virtio-net header asking for segmentation at the first segment's
 * size, the TCP header the first one's (but the checksum, now the
 * pseudo-header sum, and PSH), the payload every joined segment's in
 * order; a run of one comes out as it came in after an all-zero header.
 * Anything else abort()s.
 */
#include "config.h"
#include "tcpgro.h"
#include "wire.h"

#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef PKT_MAX
#define PKT_MAX 65535u		/* GATE_PAYLOAD_MAX, FRAME_MAX_PAYLOAD */
#endif
#define FEED_MAX (256u << 10)	/* bytes of packets per input */
#define NPKT_MAX (4 * TCPGRO_MAX_SEGS)	/* packets per input */
#define REPEAT_MAX (2 * TCPGRO_MAX_SEGS + 2)
#define REC_FLUSH 0x8000
#define REC_STRETCH 0x4000
#define REC_AGAIN 0x2000
#define REC_RAW 0x1000
#define REC_N 0x0fff
#define TH_PSH 0x08
#define TH_ACK 0x10

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* --------------------------------------------------------- the rules */

/* A TCP segment as tcpgro.h describes one a run may hold. */
struct rseg {
	unsigned v;			/* 4 or 6 */
	size_t iphl, hlen, tot, plen;	/* IP header, IP+TCP headers, total, payload */
	uint32_t seq;
	uint8_t flags;
};

static uint16_t pseudo_sum(const uint8_t *ip, unsigned v, uint32_t tcplen);

/* Shaped like a TCP segment: headers where they must be, lengths that fit. */
static bool ref_shape(const uint8_t *p, size_t len, struct rseg *s)
{
	size_t thl;

	if (len >= 20 && p[0] == 0x45) {	/* no IP options */
		if (p[9] != 6 || (p[6] & 0x3f) || p[7])
			return false;		/* not TCP; MF or an offset */
		s->v = 4;
		s->iphl = 20;
		s->tot = wire_get16(p + 2);
	} else if (len >= 40 && p[0] >> 4 == 6) {
		if (p[6] != 6)
			return false;		/* extension header, or not TCP */
		s->v = 6;
		s->iphl = 40;
		s->tot = 40u + wire_get16(p + 4);
	} else {
		return false;
	}
	if (s->tot > len || s->tot < s->iphl + 20)
		return false;
	thl = (size_t)(p[s->iphl + 12] >> 4) * 4;
	if (thl < 20 || s->iphl + thl > s->tot)
		return false;
	s->hlen = s->iphl + thl;
	s->plen = s->tot - s->hlen;
	s->seq = wire_get32(p + s->iphl + 4);
	s->flags = p[s->iphl + 13];
	return true;
}

/* RFC 1071's checksum the plain way, 16 bits at a time: the reference
 * for ipv_csum, which tcpgro.c uses and which sums 4 bytes at a time. */
static uint16_t ref_csum(const uint8_t *b, size_t len, uint32_t sum)
{
	uint64_t s = sum;

	for (; len >= 2; b += 2, len -= 2)
		s += wire_get16(b);
	if (len)
		s += (uint32_t)b[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Its checksums hold. */
static bool ref_csums(const uint8_t *p, const struct rseg *s)
{
	if (s->v == 4 && ref_csum(p, 20, 0) != 0)
		return false;
	return ref_csum(p + s->iphl, s->tot - s->iphl,
			pseudo_sum(p, s->v, (uint32_t)(s->tot - s->iphl))) == 0;
}

static bool ref_parse(const uint8_t *p, size_t len, struct rseg *s)
{
	return ref_shape(p, len, s) && s->tot <= TCPGRO_MAX_LEN && s->plen > 0 &&
	       (s->flags == TH_ACK || s->flags == (TH_ACK | TH_PSH)) && ref_csums(p, s);
}

/* Right checksums for a packet shaped like a segment (the usual input). */
static void fix_csums(uint8_t *p, size_t len)
{
	struct rseg s;

	if (!ref_shape(p, len, &s))
		return;
	if (s.v == 4) {
		wire_put16(p + 10, 0);
		wire_put16(p + 10, ref_csum(p, 20, 0));
	}
	wire_put16(p + s.iphl + 16, 0);
	wire_put16(p + s.iphl + 16, ref_csum(p + s.iphl, s.tot - s.iphl,
					     pseudo_sum(p, s.v, (uint32_t)(s.tot - s.iphl))));
}

/* Header bytes that may differ between the segments of a run: the IP
 * length, ID and checksum, the sequence number, TCP flags and checksum. */
static bool may_differ(const struct rseg *s, size_t i)
{
	if (i >= s->iphl) {
		i -= s->iphl;
		return (i >= 4 && i < 8) || i == 13 || i == 16 || i == 17;
	}
	if (s->v == 4)
		return (i >= 2 && i < 6) || i == 10 || i == 11;
	return i == 4 || i == 5;
}

/* What the target expects g to hold. */
struct run {
	unsigned k;				/* segments; 0: nothing held */
	struct rseg s0;				/* the first one */
	uint8_t first[PKT_MAX];			/* its tot bytes, as they came */
	size_t plen[TCPGRO_MAX_SEGS];
	size_t idx[TCPGRO_MAX_SEGS];		/* which packets of the input */
	uint8_t payload[TCPGRO_MAX_LEN];	/* theirs, in order */
	size_t paylen;
	uint32_t next_seq;
	uint8_t last_flags;
};

static struct run r;

/* Would the kernel have merged segment s (packet p) into the run? */
static bool ref_joins(const uint8_t *p, const struct rseg *s)
{
	size_t i;

	if (!r.k || (r.last_flags & TH_PSH) || r.k >= TCPGRO_MAX_SEGS ||
	    r.plen[r.k - 1] != r.plen[0])
		return false;
	if (s->v != r.s0.v || s->hlen != r.s0.hlen || s->seq != r.next_seq ||
	    s->plen > r.plen[0] || s->hlen + r.paylen + s->plen > TCPGRO_MAX_LEN)
		return false;
	for (i = 0; i < s->hlen; i++)
		if (!may_differ(s, i) && p[i] != r.first[i])
			return false;
	return true;
}

static void run_add(const uint8_t *p, const struct rseg *s, size_t idx)
{
	check(r.k < TCPGRO_MAX_SEGS && r.paylen + s->plen <= sizeof(r.payload));
	if (!r.k) {
		r.s0 = *s;
		memcpy(r.first, p, s->tot);
	}
	memcpy(r.payload + r.paylen, p + s->hlen, s->plen);
	r.paylen += s->plen;
	r.plen[r.k] = s->plen;
	r.idx[r.k++] = idx;
	r.next_seq = s->seq + (uint32_t)s->plen;
	r.last_flags = s->flags;
}

/* ---------------------------------------------------------- checking */

/* The folded (not complemented) sum of the TCP pseudo-header. */
static uint16_t pseudo_sum(const uint8_t *ip, unsigned v, uint32_t tcplen)
{
	const uint8_t *a = ip + (v == 4 ? 12 : 8);
	size_t alen = v == 4 ? 8 : 32, i;
	uint32_t s = 6u + (tcplen >> 16) + (tcplen & 0xffff);

	for (i = 0; i < alen; i += 2)
		s += wire_get16(a + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void check_joined(const uint8_t *out, size_t n)
{
	const struct rseg *s0 = &r.s0;
	const uint8_t *o = out + VNET_HDR_LEN, *f = r.first;
	size_t total = s0->hlen + r.paylen, i;
	uint8_t psh = r.last_flags & TH_PSH;
	struct virtio_net_hdr vh;

	check(total <= TCPGRO_MAX_LEN && n == VNET_HDR_LEN + total);
	if (s0->v == 4) {
		check(wire_get16(o + 2) == total);
		check(ref_csum(o, 20, 0) == 0);
	} else {
		check(40u + wire_get16(o + 4) == total);
	}
	memcpy(&vh, out, sizeof(vh));
	check(vh.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM);
	check(vh.gso_type == (s0->v == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6));
	check(vh.gso_size == r.plen[0] && vh.hdr_len == s0->hlen);
	check(vh.csum_start == s0->iphl && vh.csum_offset == 16);
	/* segmenting at gso_size gives the segments back: all but the last
	 * carry gso_size bytes, the last no more */
	for (i = 1; i + 1 < r.k; i++)
		check(r.plen[i] == r.plen[0]);
	check(r.plen[r.k - 1] <= r.plen[0]);
	/* headers: the first segment's but for lengths, checksums and PSH */
	for (i = 0; i < s0->hlen; i++) {
		if (s0->v == 4 ? i == 2 || i == 3 || i == 10 || i == 11 : i == 4 || i == 5)
			continue;
		if (i == s0->iphl + 16 || i == s0->iphl + 17)
			continue;
		if (i == s0->iphl + 13)
			check(o[i] == (f[i] | psh));
		else
			check(o[i] == f[i]);
	}
	/* the TCP checksum is left for the kernel to complete */
	check(wire_get16(o + s0->iphl + 16) ==
	      pseudo_sum(o, s0->v, (uint32_t)(total - s0->iphl)));
	check(!memcmp(o + s0->hlen, r.payload, r.paylen));
}

/* Packets come out in order, each once: the index of the next one. */
static size_t next_out;

/* Finish what g holds. */
static void finish(struct tcpgro *g)
{
	size_t n, i;

	check(r.k && g->len && g->segs == r.k);
	n = tcpgro_finish(g);
	check(g->len == 0 && g->segs == 0);
	if (r.k == 1) {
		for (i = 0; i < VNET_HDR_LEN; i++)
			check(g->buf[i] == 0);
		check(n == VNET_HDR_LEN + r.s0.tot);
		check(!memcmp(g->buf + VNET_HDR_LEN, r.first, r.s0.tot));
	} else {
		check_joined(g->buf, n);
	}
	for (i = 0; i < r.k; i++)
		check(r.idx[i] == next_out++);
	r.k = 0;
	r.paylen = 0;
}

/* One packet from the mesh, as gate_dev_write hands it over. */
static void feed(struct tcpgro *g, const uint8_t *p, size_t len, size_t idx)
{
	size_t glen = g->len;
	unsigned segs = g->segs;
	uint8_t hdr[VNET_HDR_LEN];
	struct rseg s;
	bool seg = ref_parse(p, len, &s), ok;
	size_t i;

	ok = tcpgro_append(g, p, len);
	check(ok == (seg && ref_joins(p, &s)));
	if (ok) {
		check(g->segs == segs + 1 && g->len == glen + s.plen);
		run_add(p, &s, idx);
	} else {
		check(g->segs == segs && g->len == glen);
		if (g->len)
			finish(g);
		ok = tcpgro_start(g, p, len);
		check(ok == seg);
		if (ok) {
			check(g->segs == 1 && g->len == s.tot);
			run_add(p, &s, idx);
		} else {
			check(g->len == 0);
			tcpgro_plain_hdr(hdr);	/* written alone */
			for (i = 0; i < VNET_HDR_LEN; i++)
				check(hdr[i] == 0);
			check(idx == next_out++);
		}
	}
	check(g->segs <= TCPGRO_MAX_SEGS && g->len <= TCPGRO_MAX_LEN);
	check(g->segs == r.k && g->len == (r.k ? r.s0.hlen + r.paylen : 0));
}

/* Filler: packet i's starts at byte i % 256. */
static uint8_t fill[PKT_MAX + 256];

/* An exact-size copy of the previous packet, its sequence number moved on
 * (and its checksums made right again, unless raw). */
static uint8_t *again(const uint8_t *prev, size_t len, bool raw)
{
	uint8_t *p = malloc(len);
	struct rseg s;

	check(p || !len);
	if (len)
		memcpy(p, prev, len);
	if (ref_parse(p, len, &s)) {
		wire_put32(p + s.iphl + 4, s.seq + (uint32_t)s.plen);
		if (!raw)
			fix_csums(p, len);
	}
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcpgro g = { 0 };
	size_t off = 0, npkt = 0, fed = 0, len = 0, n, e, i;
	uint8_t *p, *prev = NULL;
	uint16_t w;

	check(sizeof(struct virtio_net_hdr) == VNET_HDR_LEN);
	if (!fill[1])
		for (i = 0; i < sizeof(fill); i++)
			fill[i] = (uint8_t)(i * 0x9d + (i >> 8));
	g.buf = malloc(TCPGRO_BUF_LEN);
	check(g.buf != NULL);
	r.k = 0;
	r.paylen = 0;
	next_out = 0;
	while (size - off >= 2 && fed <= FEED_MAX && npkt < NPKT_MAX) {
		w = wire_get16(data + off);
		off += 2;
		n = w & REC_N;
		if ((w & REC_FLUSH) && g.len)
			finish(&g);
		if (w & REC_AGAIN) {
			for (i = 0; i < n && i < REPEAT_MAX && npkt < NPKT_MAX && prev; i++) {
				p = again(prev, len, w & REC_RAW);
				feed(&g, p, len, npkt++);
				fed += len;
				free(prev);
				prev = p;
			}
			continue;
		}
		e = 0;
		if (w & REC_STRETCH) {
			if (size - off < 2)
				break;
			e = wire_get16(data + off);
			off += 2;
		}
		if (n > size - off)
			n = size - off;
		if (n + e > PKT_MAX)
			e = PKT_MAX - n;
		len = n + e;
		p = malloc(len);
		check(p || !len);
		if (n)
			memcpy(p, data + off, n);
		if (e)
			memcpy(p + n, fill + npkt % 256, e);
		off += n;
		if (!(w & REC_RAW))
			fix_csums(p, len);
		feed(&g, p, len, npkt++);
		fed += len;
		free(prev);
		prev = p;
	}
	if (g.len)
		finish(&g);
	check(r.k == 0 && next_out == npkt);
	free(prev);
	free(g.buf);
	return 0;
}
