/*
 * ipv.c - IPv4/IPv6 header parsing, ICMP error building, checksums and TCP
 * MSS clamping for ip-gate (see ipv.h).  Owns the rules for what counts as
 * a well-formed packet on either side of the gate, for when an ICMP error
 * may be sent at all, for which TCP options may be rewritten and for which
 * remote prefixes a kernel route may be installed; ip-gate.c only moves
 * bytes and carries out the verdicts.
 *
 * Pure: every read is preceded by a length check, nothing is kept.
 */
#include "config.h"
#include "ipv.h"
#include "wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#define ICMP4_UNREACH 3
#define ICMP4_CODE_HOST 1
#define ICMP4_CODE_FRAG_NEEDED 4
#define ICMP6_UNREACH 1
#define ICMP6_CODE_ADDR 3
#define ICMP6_TOO_BIG 2
#define IPPROTO_ICMP4 1
#define IPPROTO_ICMP6 58
#define IPPROTO_FRAG6 44
#define TCP_HDR_MIN 20
#define TCP_CSUM_OFF 16
#define TCP_FLAG_SYN 0x02
#define TCPO_EOL 0
#define TCPO_NOP 1
#define TCPO_MSS 2
#define TCPO_MSS_LEN 4
#define V6_EXT_MAX 8		/* extension headers walked before giving up */
#define ERR_TTL 64
#define ERR_TOS 0xc0		/* internetwork control, as Linux sends them */

static void addr_set(struct addr *a, uint32_t inst, const uint8_t *b, size_t len)
{
	memset(a, 0, sizeof(*a));
	a->inst = inst;
	a->len = (uint8_t)len;
	memcpy(a->b, b, len);
}

static bool parse_v4(const uint8_t *b, size_t len, bool whole, uint16_t net,
		     struct ipv_pkt *p)
{
	size_t ihl, total;
	uint16_t frag;

	if (len < IPV4_HDR_MIN)
		return false;
	ihl = (b[0] & 0x0fu) * 4u;
	total = wire_get16(b + 2);
	if (ihl < IPV4_HDR_MIN || ihl > len || total < ihl)
		return false;
	if (whole && total > len)
		return false;
	frag = wire_get16(b + 6);
	p->version = 4;
	p->proto = b[9];
	p->df = frag & 0x4000;
	p->later_frag = (frag & 0x1fff) != 0;
	p->hdr_len = ihl;
	p->len = total;
	addr_set(&p->src, INST(AP_IPV4, net), b + 12, 4);
	addr_set(&p->dst, INST(AP_IPV4, net), b + 16, 4);
	return true;
}

static bool parse_v6(const uint8_t *b, size_t len, bool whole, uint16_t net,
		     struct ipv_pkt *p)
{
	size_t total;

	if (len < IPV6_HDR_LEN)
		return false;
	total = IPV6_HDR_LEN + (size_t)wire_get16(b + 4);
	if (whole && total > len)
		return false;
	p->version = 6;
	p->proto = b[6];
	p->df = true;
	/* a fragment header right after the fixed one: offset != 0? */
	p->later_frag = p->proto == IPPROTO_FRAG6 && len >= IPV6_HDR_LEN + 8 &&
			(wire_get16(b + IPV6_HDR_LEN + 2) & 0xfff8) != 0;
	p->hdr_len = IPV6_HDR_LEN;
	p->len = total;
	addr_set(&p->src, INST(AP_IPV6, net), b + 8, 16);
	addr_set(&p->dst, INST(AP_IPV6, net), b + 24, 16);
	return true;
}

static bool parse(const uint8_t *buf, size_t len, bool whole, uint16_t net,
		  struct ipv_pkt *p)
{
	if (len < 1)
		return false;
	switch (buf[0] >> 4) {
	case 4:
		return parse_v4(buf, len, whole, net, p);
	case 6:
		return parse_v6(buf, len, whole, net, p);
	default:
		return false;
	}
}

bool ipv_parse(const uint8_t *buf, size_t len, uint16_t net, struct ipv_pkt *p)
{
	return parse(buf, len, true, net, p);
}

bool ipv_parse_head(const uint8_t *buf, size_t len, uint16_t net, struct ipv_pkt *p)
{
	return parse(buf, len, false, net, p);
}

bool ipv_addr_multicast(const struct addr *a)
{
	static const uint8_t bcast4[4] = { 255, 255, 255, 255 };

	if (a->len == 4)
		return (a->b[0] & 0xf0) == 0xe0 || !memcmp(a->b, bcast4, 4);
	if (a->len == 16)
		return a->b[0] == 0xff;
	return false;
}

static bool addr_zero(const struct addr *a)
{
	for (size_t i = 0; i < a->len; i++)
		if (a->b[i])
			return false;
	return true;
}

static bool icmp_is_error(uint8_t version, uint8_t type)
{
	if (version == 6)
		return type < 128;
	/* echo reply 0, echo 8, router adv/sol 9/10, timestamp 13/14, ... */
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

bool ipv_error_allowed(const struct ipv_pkt *p, const uint8_t *buf, size_t len)
{
	uint8_t icmp = p->version == 4 ? IPPROTO_ICMP4 : IPPROTO_ICMP6;

	if (ipv_addr_multicast(&p->dst) || ipv_addr_multicast(&p->src) ||
	    addr_zero(&p->src) || p->later_frag)
		return false;
	if (p->proto == icmp) {
		if (len <= p->hdr_len)
			return false;	/* cannot tell: stay quiet */
		return !icmp_is_error(p->version, buf[p->hdr_len]);
	}
	return true;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The bytes are summed 4 at a time in the machine's byte order, and the
 * folded sum is put into network order once at the end (RFC 1071 2(B):
 * a one's complement sum does not depend on the order the bytes of every
 * word are taken in, as long as it is the same for all).  The partial sum
 * passed in is in network order, so it is swapped into the machine's
 * first.  Per packet on the data path (tcpgro), hence the 4 bytes. */
uint16_t ipv_csum(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *b = buf;
	uint16_t in = fold(sum), h;
	uint64_t s;
	uint32_t w;

	wire_put16((uint8_t *)&h, in);	/* network order -> the machine's */
	s = h;
	for (; len >= 4; b += 4, len -= 4) {
		memcpy(&w, b, 4);
		s += w;
	}
	if (len >= 2) {
		memcpy(&h, b, 2);
		s += h;
		b += 2;
		len -= 2;
	}
	if (len) {
		h = 0;
		memcpy(&h, b, 1);	/* the odd byte, padded with zero */
		s += h;
	}
	h = fold(s);
	return (uint16_t)~wire_get16((const uint8_t *)&h);
}

uint32_t ipv4_pseudo_sum(const uint8_t src[4], const uint8_t dst[4], uint32_t len,
			 uint8_t proto)
{
	return (uint32_t)wire_get16(src) + wire_get16(src + 2) + wire_get16(dst) +
	       wire_get16(dst + 2) + (len >> 16) + (len & 0xffff) + proto;
}

uint32_t ipv6_pseudo_sum(const uint8_t src[16], const uint8_t dst[16],
			 uint32_t len, uint8_t next)
{
	uint32_t s = 0;

	for (size_t i = 0; i < 16; i += 2)
		s += (uint32_t)wire_get16(src + i) + wire_get16(dst + i);
	s += (len >> 16) + (len & 0xffff) + next;
	return s;
}

/* The ICMP header's type, code and 4-byte rest; the quote follows it. */
static void icmp_head(uint8_t *icmp, uint8_t type, uint8_t code, uint32_t rest)
{
	icmp[0] = type;
	icmp[1] = code;
	wire_put16(icmp + 2, 0);
	wire_put32(icmp + 4, rest);
}

static size_t build_v4(uint8_t *out, size_t cap, enum ipv_error_kind kind,
		       uint32_t mtu, const uint8_t from[4],
		       const uint8_t *orig, size_t quote)
{
	size_t total = IPV4_HDR_MIN + ICMP_HDR_LEN + quote;
	uint8_t *icmp = out + IPV4_HDR_MIN;

	if (cap < total)
		return 0;
	memset(out, 0, IPV4_HDR_MIN);
	out[0] = 0x45;
	out[1] = ERR_TOS;
	wire_put16(out + 2, (uint16_t)total);
	out[8] = ERR_TTL;
	out[9] = IPPROTO_ICMP4;
	memcpy(out + 12, from, 4);
	memcpy(out + 16, orig + 12, 4);		/* back to the sender */
	wire_put16(out + 10, ipv_csum(out, IPV4_HDR_MIN, 0));
	if (kind == IPV_TOO_BIG)
		icmp_head(icmp, ICMP4_UNREACH, ICMP4_CODE_FRAG_NEEDED,
			  mtu > 0xffff ? 0xffff : mtu);
	else
		icmp_head(icmp, ICMP4_UNREACH, ICMP4_CODE_HOST, 0);
	memcpy(icmp + ICMP_HDR_LEN, orig, quote);
	wire_put16(icmp + 2, ipv_csum(icmp, ICMP_HDR_LEN + quote, 0));
	return total;
}

static size_t build_v6(uint8_t *out, size_t cap, enum ipv_error_kind kind,
		       uint32_t mtu, const uint8_t from[16],
		       const uint8_t *orig, size_t quote)
{
	size_t plen = ICMP_HDR_LEN + quote, total = IPV6_HDR_LEN + plen;
	uint8_t *icmp = out + IPV6_HDR_LEN;
	uint32_t sum;

	if (cap < total)
		return 0;
	memset(out, 0, IPV6_HDR_LEN);
	out[0] = 0x60;
	wire_put16(out + 4, (uint16_t)plen);
	out[6] = IPPROTO_ICMP6;
	out[7] = ERR_TTL;
	memcpy(out + 8, from, 16);
	memcpy(out + 24, orig + 8, 16);		/* back to the sender */
	if (kind == IPV_TOO_BIG)
		icmp_head(icmp, ICMP6_TOO_BIG, 0, mtu);
	else
		icmp_head(icmp, ICMP6_UNREACH, ICMP6_CODE_ADDR, 0);
	memcpy(icmp + ICMP_HDR_LEN, orig, quote);
	sum = ipv6_pseudo_sum(out + 8, out + 24, (uint32_t)plen, IPPROTO_ICMP6);
	wire_put16(icmp + 2, ipv_csum(icmp, plen, sum));
	return total;
}

size_t ipv_icmp_error(uint8_t *out, size_t cap, enum ipv_error_kind kind,
		      uint32_t mtu, const struct addr *from,
		      const uint8_t *orig, size_t len)
{
	struct ipv_pkt p;
	size_t have, quote;

	if (!ipv_parse_head(orig, len, 0, &p))
		return 0;
	have = len < p.len ? len : p.len;
	if (p.version == 4) {
		if (from->len != 4)
			return 0;
		quote = p.hdr_len + 8 < have ? p.hdr_len + 8 : have;
		return build_v4(out, cap, kind, mtu, from->b, orig, quote);
	}
	if (from->len != 16)
		return 0;
	quote = IPV6_MTU_MIN - IPV6_HDR_LEN - ICMP_HDR_LEN;
	if (have < quote)
		quote = have;
	return build_v6(out, cap, kind, mtu, from->b, orig, quote);
}

/* ---------------------------------------------------------------- MSS */

/*
 * Where the TCP header of a whole packet starts (*tcp) and where the
 * segment ends (*end, the length the IP header claims).  Not for an IPv4
 * later fragment: it has no TCP header.  IPv6 hop-by-hop, routing and
 * destination options share one layout (next header, length in 8-byte
 * units after the first 8) and are walked; any other extension header is
 * not: a fragment header may cut the TCP header short and its checksum
 * covers the reassembled segment, AH would no longer verify, ESP hides
 * it.  Such packets are left alone.
 */
static bool tcp_locate(const uint8_t *b, size_t len, size_t *tcp, size_t *end)
{
	struct ipv_pkt p;
	size_t off;
	uint8_t next;

	if (!ipv_parse(b, len, 0, &p))
		return false;
	if (p.version == 4) {
		if (p.later_frag || p.proto != IPPROTO_TCP)
			return false;
		*tcp = p.hdr_len;
		*end = p.len;
		return true;
	}
	next = p.proto;
	off = IPV6_HDR_LEN;
	for (int i = 0; i < V6_EXT_MAX && next != IPPROTO_TCP; i++) {
		if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING &&
		    next != IPPROTO_DSTOPTS)
			return false;
		if (p.len - off < 8)
			return false;
		next = b[off];
		off += 8 + 8 * (size_t)b[off + 1];
		if (off > p.len)
			return false;
	}
	if (next != IPPROTO_TCP)
		return false;
	*tcp = off;
	*end = p.len;
	return true;
}

/*
 * The offset in b of the MSS value of a TCP SYN whose options are all
 * well formed (*tcp: the TCP header's); false for anything else.  A
 * second MSS option counts as malformed: which one would the peer use?
 */
static bool mss_find(const uint8_t *b, size_t len, size_t *tcp, size_t *val)
{
	size_t t, end, opts_end, i, found = 0;

	if (!tcp_locate(b, len, &t, &end) || end - t < TCP_HDR_MIN)
		return false;
	if (!(b[t + 13] & TCP_FLAG_SYN))
		return false;
	opts_end = t + (b[t + 12] >> 4) * 4u;
	if (opts_end < t + TCP_HDR_MIN || opts_end > end)
		return false;
	for (i = t + TCP_HDR_MIN; i < opts_end && b[i] != TCPO_EOL;) {
		size_t olen;

		if (b[i] == TCPO_NOP) {
			i++;
			continue;
		}
		if (opts_end - i < 2)
			return false;	/* no room for the length */
		olen = b[i + 1];
		if (olen < 2 || olen > opts_end - i)
			return false;
		if (b[i] == TCPO_MSS) {
			if (olen != TCPO_MSS_LEN || found)
				return false;
			found = i + 2;
		}
		i += olen;
	}
	if (!found)
		return false;
	*tcp = t;
	*val = found;
	return true;
}

bool ipv_mss_above(const uint8_t *pkt, size_t len, uint16_t mss)
{
	size_t tcp, val;

	return mss_find(pkt, len, &tcp, &val) && wire_get16(pkt + val) > mss;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for a 16-bit word m -> m'. */
static void csum_replace(uint8_t *csum, uint16_t old, uint16_t repl)
{
	uint32_t s = (uint32_t)(uint16_t)~wire_get16(csum) + (uint16_t)~old + repl;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	wire_put16(csum, (uint16_t)~s);
}

bool ipv_clamp_mss(uint8_t *pkt, size_t len, uint16_t mss)
{
	size_t tcp, val, word, nwords;
	uint16_t old[2];

	if (!mss_find(pkt, len, &tcp, &val) || wire_get16(pkt + val) <= mss)
		return false;
	/*
	 * The checksum adds 16-bit words counted from the TCP header; after
	 * an odd number of NOPs the value straddles two of them.  Both lie
	 * inside the header: it ends on a 4-byte boundary.
	 */
	word = tcp + ((val - tcp) & ~(size_t)1);
	nwords = (val - tcp) % 2 ? 2 : 1;
	for (size_t k = 0; k < nwords; k++)
		old[k] = wire_get16(pkt + word + 2 * k);
	wire_put16(pkt + val, mss);
	for (size_t k = 0; k < nwords; k++)
		csum_replace(pkt + tcp + TCP_CSUM_OFF, old[k], wire_get16(pkt + word + 2 * k));
	return true;
}

/* Decimal 0..max, digits only. */
static bool parse_bits(const char *s, unsigned max, uint16_t *bits)
{
	unsigned v = 0;

	if (!*s || strlen(s) > 3)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > max)
		return false;
	*bits = (uint16_t)v;
	return true;
}

bool ipv_parse_cidr(const char *s, uint16_t net, struct addr *a, uint16_t *bits)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, a->b) == 1) {
		a->inst = INST(AP_IPV4, net);
		a->len = 4;
	} else if (inet_pton(AF_INET6, host, a->b) == 1) {
		a->inst = INST(AP_IPV6, net);
		a->len = 16;
	} else {
		return false;
	}
	if (!slash) {
		*bits = (uint16_t)(8 * a->len);
		return true;
	}
	return parse_bits(slash + 1, 8u * a->len, bits);
}

void ipv_prefix_of(struct prefix *p, const struct addr *a, uint16_t bits)
{
	size_t full = bits / 8;
	unsigned rem = bits % 8;

	p->a = *a;
	p->bits = bits;
	if (full >= ADDR_MAX_LEN)
		return;
	if (rem)
		p->a.b[full++] &= (uint8_t)(0xff00u >> rem);
	memset(p->a.b + full, 0, ADDR_MAX_LEN - full);
}

bool ipv_prefix_contains(const struct prefix *x, const struct prefix *y)
{
	return x->bits <= y->bits && prefix_covers(x, &y->a);
}

bool ipv_prefix_overlaps(const struct prefix *x, const struct prefix *y)
{
	return ipv_prefix_contains(x, y) || ipv_prefix_contains(y, x);
}

enum ipv_route_verdict ipv_route_check(const struct ipv_route_policy *pol,
				       const struct prefix *p, size_t *which)
{
	bool accepted = pol->naccept == 0;

	if (p->bits < (p->a.len == 4 ? IPV4_ROUTE_BITS_MIN : IPV6_ROUTE_BITS_MIN))
		return IPV_ROUTE_TOO_SHORT;
	for (size_t i = 0; i < pol->nlocal; i++)
		if (ipv_prefix_contains(&pol->local[i], p))
			return IPV_ROUTE_LOCAL;
	for (size_t i = 0; i < pol->nifnets; i++) {
		if (ipv_prefix_overlaps(&pol->ifnets[i], p)) {
			*which = i;
			return IPV_ROUTE_OVERLAP;
		}
	}
	for (size_t i = 0; i < pol->naccept && !accepted; i++)
		accepted = ipv_prefix_contains(&pol->accept[i], p);
	return accepted ? IPV_ROUTE_INSTALL : IPV_ROUTE_NOT_ACCEPTED;
}
