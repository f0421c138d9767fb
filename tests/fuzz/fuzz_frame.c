/*
 * fuzz_frame.c - libFuzzer target for lib/frame.c, the routing payloads
 * of lib/routewire.c and the UDP offer of lib/udpwire.c.  Reads the input the way a link reads its TLS
 * stream: frames back to back, each payload handed to its decoder, until
 * a frame is incomplete or malformed.
 *
 * Input: byte 0 picks the receiver's max_payload (0: FRAME_MAX_PAYLOAD,
 * 0x80..0xff: (b - 0x80) * 4, others: 8192); the rest is the stream.
 * Every value that decodes must re-encode to the same bytes and decode to
 * the same value (ROUTE: every entry walked and written again, groups of
 * one origin and seqno merged, so the same entries in no more bytes;
 * DATA: header re-encoded and the payload appended, and its short form
 * expanded again; UDP: the same bytes); anything else abort()s.
 */
#include "config.h"
#include "addr.h"
#include "frame.h"
#include "routewire.h"
#include "udpwire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_hello(const uint8_t *p, size_t len)
{
	uint8_t out[13 + NODE_NAME_MAX];
	struct hello h, h2;
	size_t n;

	if (!hello_decode(p, len, &h))
		return;
	check(node_name_valid(h.name, strlen(h.name)));
	n = hello_encode(out, sizeof(out), &h);
	check(n == len && !memcmp(out, p, len));
	check(hello_encode(out, n - 1, &h) == 0);
	check(hello_decode(out, n, &h2));
	check(h2.version == h.version && h2.flags == h.flags &&
	      h2.boot_id == h.boot_id && !strcmp(h2.name, h.name));
}

static void check_ping(const uint8_t *p, size_t len)
{
	uint8_t out[PING_LEN];
	struct ping pg, pg2;

	if (!ping_decode(p, len, &pg))
		return;
	check(ping_encode(out, sizeof(out), &pg) == len);
	check(!memcmp(out, p, len));
	check(ping_decode(out, sizeof(out), &pg2));
	check(pg2.seq == pg.seq && pg2.t_us == pg.t_us);
}

static void check_bye(const uint8_t *p, size_t len)
{
	uint8_t out[1 + BYE_REASON_MAX];
	struct bye b, b2;
	size_t n;

	if (!bye_decode(p, len, &b))
		return;
	check(strlen(b.reason) == len - 1);
	n = bye_encode(out, sizeof(out), &b);
	check(n == len && !memcmp(out, p, len));
	check(bye_encode(out, n - 1, &b) == 0);
	check(bye_decode(out, n, &b2));
	check(b2.code == b.code && !strcmp(b2.reason, b.reason));
}

/* ROUTE: every entry walked and written again with rw_writer (groups of
 * one origin and seqno merged, so never longer), reading back the same. */
static void check_route(const uint8_t *p, size_t len)
{
	static uint8_t out[FRAME_MAX_PAYLOAD + RW_GROUP_HDR_MAX + RW_ENTRY_MAX];
	static struct rw_entry es[FRAME_MAX_PAYLOAD / 11 + 1];
	struct rw_reader r, r2;
	struct rw_writer w;
	struct rw_entry e;
	size_t n = 0, i;

	if (!rw_route_decode(p, len, &r))
		return;
	check(len >= 1 && r.flags == p[0]);
	check(!(r.flags & ~(RW_FULL_BEGIN | RW_FULL_END)));
	while (rw_route_next(&r, &es[n])) {
		check(prefix_valid(&es[n].p));
		check(node_name_valid(es[n].origin, strlen(es[n].origin)));
		n++;
	}
	check(r.left == 0);
	rw_route_begin(&w, out, sizeof(out), r.flags);
	for (i = 0; i < n; i++)
		check(rw_route_add(&w, &es[i]));
	check(rw_route_len(&w) <= len);
	check(rw_route_decode(out, rw_route_len(&w), &r2) && r2.flags == r.flags);
	for (i = 0; i < n; i++) {
		check(rw_route_next(&r2, &e));
		check(!strcmp(e.origin, es[i].origin) && e.seqno == es[i].seqno &&
		      e.metric == es[i].metric && prefix_equal(&e.p, &es[i].p));
	}
	check(!rw_route_next(&r2, &e));
}

static void check_seqreq(const uint8_t *p, size_t len)
{
	uint8_t out[4 + NODE_NAME_MAX];
	struct rw_seqreq q, q2;
	size_t n;

	if (!rw_seqreq_decode(p, len, &q))
		return;
	check(q.hops > 0 && node_name_valid(q.origin, strlen(q.origin)));
	n = rw_seqreq_encode(out, sizeof(out), &q);
	check(n == len && !memcmp(out, p, len));
	check(rw_seqreq_encode(out, n - 1, &q) == 0);
	check(rw_seqreq_decode(out, n, &q2));
	check(q2.seqno == q.seqno && q2.hops == q.hops && !strcmp(q2.origin, q.origin));
}

static void check_digest(const uint8_t *p, size_t len)
{
	uint8_t out[RW_DIGEST_LEN];
	struct rw_digest d, d2;

	if (!rw_digest_decode(p, len, &d))
		return;
	check(rw_digest_encode(out, sizeof(out), &d) == len && !memcmp(out, p, len));
	check(rw_digest_encode(out, sizeof(out) - 1, &d) == 0);
	check(rw_digest_decode(out, sizeof(out), &d2));
	check(d2.count == d.count && d2.sum == d.sum);
}

static void check_route_req(const uint8_t *p, size_t len)
{
	if (rw_route_req_decode(p, len))
		check(len == RW_ROUTE_REQ_LEN && p[0] == 0);
}

static void check_data(const uint8_t *p, size_t len)
{
	static uint8_t out[FRAME_MAX_PAYLOAD];
	struct data_frame d, d2;
	size_t n;

	if (!data_decode(p, len, &d))
		return;
	check(d.dst_len <= sizeof(d.dst) && d.src_len <= sizeof(d.src));
	check(node_name_valid(d.origin, strlen(d.origin)));
	check(d.len >= 1 && !(d.flags & ~DATA_FLOOD_UNKNOWN));
	n = data_encode_hdr(out, sizeof(out), &d);
	check(n > 0 && n <= DATA_HDR_MAX && n + d.len == len);
	check(d.payload == p + n);
	check(data_encode_hdr(out, n - 1, &d) == 0);
	memcpy(out + n, d.payload, d.len);
	check(!memcmp(out, p, len));
	check(data_decode(out, len, &d2));
	check(d2.inst == d.inst && d2.ttl == d.ttl && d2.flags == d.flags &&
	      d2.bcast_id == d.bcast_id && d2.dst_len == d.dst_len &&
	      d2.src_len == d.src_len && !memcmp(d2.dst, d.dst, sizeof(d.dst)) &&
	      !memcmp(d2.src, d.src, sizeof(d.src)) &&
	      !strcmp(d2.origin, d.origin) && d2.len == d.len &&
	      d2.payload == out + n);

	/* the short form (UDP) of our own unicast comes back the same */
	static uint8_t sh[FRAME_MAX_PAYLOAD], full[DATA_HDR_MAX];
	size_t sl = data_hdr_shorten(p, n, d.origin, sh, sizeof(sh)), fl, used;
	check(sl == 0 || (!d.flags && !d.bcast_id));
	if (!sl)
		return;
	check(sl < n);
	memcpy(sh + sl, d.payload, d.len);
	fl = data_hdr_expand(sh, sl + d.len, d.origin, full, sizeof(full), &used);
	check(fl == n && used == sl && !memcmp(full, p, n));
}

/* A UDP offer (udpwire.h) re-encodes to the same bytes. */
static void check_udp_offer(const uint8_t *p, size_t len)
{
	uint8_t out[8 + UDPW_OFFER_MAX_EP * 19];
	struct udpw_offer o, o2;
	size_t n;

	if (!udpw_offer_decode(p, len, &o))
		return;
	check(o.index != 0 && o.n <= UDPW_OFFER_MAX_EP);
	n = udpw_offer_encode(out, sizeof(out), &o);
	check(n == len && !memcmp(out, p, len));
	check(udpw_offer_decode(out, n, &o2) && o2.index == o.index && o2.n == o.n &&
	      o2.cipher == o.cipher);
}

/* The payload decoders get an exact-size copy: an overread is a crash. */
static void check_payload(const struct frame *f)
{
	uint8_t *p = malloc(f->len ? f->len : 1);

	check(p != NULL);
	memcpy(p, f->payload, f->len);
	switch (f->type) {
	case FRAME_HELLO:
		check_hello(p, f->len);
		break;
	case FRAME_PING:
	case FRAME_PONG:
		check_ping(p, f->len);
		break;
	case FRAME_BYE:
		check_bye(p, f->len);
		break;
	case FRAME_ROUTE:
		check_route(p, f->len);
		break;
	case FRAME_DATA:
		check_data(p, f->len);
		break;
	case FRAME_SEQREQ:
		check_seqreq(p, f->len);
		break;
	case FRAME_DIGEST:
		check_digest(p, f->len);
		break;
	case FRAME_ROUTE_REQ:
		check_route_req(p, f->len);
		break;
	case FRAME_UDP:
		check_udp_offer(p, f->len);
		break;
	default:
		abort();
	}
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[FRAME_HDR_LEN + FRAME_MAX_PAYLOAD];
	size_t max = 8192, off = 0;
	struct frame f;
	int r;

	if (size == 0)
		return 0;
	if (data[0] == 0)
		max = FRAME_MAX_PAYLOAD;
	else if (data[0] >= 0x80)
		max = (size_t)(data[0] - 0x80) * 4;
	data++;
	size--;
	while (off < size) {
		r = frame_decode(data + off, size - off, max, &f);
		if (r == 0 || r == -EBADMSG || r == -EMSGSIZE)
			break;
		check(r > 0 && (size_t)r == (size_t)FRAME_HDR_LEN + f.len);
		check((size_t)r <= size - off && f.len <= max);
		check(f.payload == data + off + FRAME_HDR_LEN && f.flags == 0);
		check(strcmp(frame_type_name(f.type), "unknown") != 0);
		check(frame_encode(out, (size_t)r, f.type, f.payload, f.len) ==
		      (size_t)r && !memcmp(out, data + off, (size_t)r));
		check(frame_encode(out, (size_t)r - 1, f.type, f.payload,
				   f.len) == 0);
		check_payload(&f);
		off += (size_t)r;
	}
	return 0;
}
