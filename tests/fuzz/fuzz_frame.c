/*
 * fuzz_frame.c - libFuzzer target for lib/frame.c.  Reads the input the
 * way a link reads its TLS stream: frames back to back, each payload handed
 * to its decoder, until a frame is incomplete or malformed.
 *
 * Input: byte 0 picks the receiver's max_payload (0: FRAME_MAX_PAYLOAD,
 * 0x80..0xff: (b - 0x80) * 4, others: 8192); the rest is the stream.
 * Every value that decodes must re-encode to the same bytes and decode to
 * the same value (ROUTE: every prefix walked and re-encoded; DATA: header
 * re-encoded and the payload appended); anything else abort()s.
 */
#include "config.h"
#include "addr.h"
#include "frame.h"

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

static void check_route(const uint8_t *p, size_t len)
{
	static uint8_t out[FRAME_MAX_PAYLOAD];
	struct route_frame r, r2;
	const uint8_t *q;
	struct prefix pf;
	size_t left, off, n, i;

	if (!route_decode(p, len, &r))
		return;
	check(r.op <= ROUTE_REMOVE && r.list == p + ROUTE_HDR_LEN &&
	      r.list_len == len - ROUTE_HDR_LEN);
	off = route_encode_hdr(out, sizeof(out), r.op, r.count);
	check(off == ROUTE_HDR_LEN);
	check(route_encode_hdr(out, ROUTE_HDR_LEN - 1, r.op, r.count) == 0);
	q = r.list;
	left = r.list_len;
	for (i = 0; i < r.count; i++) {
		check(prefix_decode(&q, &left, &pf) && prefix_valid(&pf));
		n = prefix_encode(out + off, sizeof(out) - off, &pf);
		check(n > 0 && prefix_encode(out + off, n - 1, &pf) == 0);
		off += n;
	}
	check(left == 0 && !prefix_decode(&q, &left, &pf));
	check(off == len && !memcmp(out, p, len));
	check(route_decode(out, off, &r2));
	check(r2.op == r.op && r2.count == r.count && r2.list_len == r.list_len);
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
