/*
 * check_frame.c - unit tests for lib/frame.c: what a peer can send us and
 * what we put on the wire.  Every truncation and bound a hostile peer could
 * try is exercised, on exact-size heap copies so that an out-of-bounds read
 * shows up under valgrind or ASan.
 */
#include "config.h"
#include "addr.h"
#include "frame.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int decode_copy(const uint8_t *buf, size_t len, size_t max,
		       struct frame *f)
{
	uint8_t *p = dup_exact(buf, len);
	int r = frame_decode(p, len, max, f);

	free(p);
	return r;
}

static const struct hello test_hello = {
	.version = PROTO_VERSION, .flags = 0,
	.boot_id = 0x0102030405060708ull, .name = "node-a.example_1",
};

START_TEST(frame_roundtrip_all_types)
{
	static const uint8_t payload[] = { 0xde, 0xad, 0xbe, 0xef, 0x00 };
	uint8_t buf[64];
	struct frame f;
	uint8_t t;

	for (t = 1; t < FRAME_TYPE_MAX; t++) {
		size_t n = frame_encode(buf, sizeof(buf), t, payload,
					sizeof(payload));

		ck_assert_uint_eq(n, FRAME_HDR_LEN + sizeof(payload));
		ck_assert_int_eq(frame_decode(buf, n, 100, &f), (int)n);
		ck_assert_uint_eq(f.type, t);
		ck_assert_uint_eq(f.flags, 0);
		ck_assert_uint_eq(f.len, sizeof(payload));
		ck_assert_ptr_eq(f.payload, buf + FRAME_HDR_LEN);
		ck_assert_mem_eq(f.payload, payload, sizeof(payload));
		ck_assert_str_ne(frame_type_name(t), "unknown");
	}
	ck_assert_str_eq(frame_type_name(0), "unknown");
	ck_assert_str_eq(frame_type_name(FRAME_TYPE_MAX), "unknown");
	ck_assert_str_eq(frame_type_name(FRAME_HELLO), "hello");
}
END_TEST

START_TEST(frame_empty_payload)
{
	uint8_t buf[FRAME_HDR_LEN];
	struct frame f;

	ck_assert_uint_eq(frame_encode(buf, sizeof(buf), FRAME_PONG, NULL, 0),
			  FRAME_HDR_LEN);
	ck_assert_int_eq(decode_copy(buf, sizeof(buf), 0, &f), FRAME_HDR_LEN);
	ck_assert_uint_eq(f.len, 0);
	ck_assert_uint_eq(f.type, FRAME_PONG);
}
END_TEST

START_TEST(frame_wire_layout)
{
	static const uint8_t want[] = { FRAME_BYE, 0, 0x01, 0x02 };
	static uint8_t payload[0x102];
	uint8_t buf[FRAME_HDR_LEN + sizeof(payload)];

	ck_assert_uint_eq(frame_encode(buf, sizeof(buf), FRAME_BYE, payload,
				       sizeof(payload)), sizeof(buf));
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

START_TEST(frame_truncated_every_offset)
{
	uint8_t payload[300], buf[FRAME_HDR_LEN + sizeof(payload)];
	struct frame f;
	size_t n, cut;

	memset(payload, 'x', sizeof(payload));
	n = frame_encode(buf, sizeof(buf), FRAME_PING, payload, sizeof(payload));
	ck_assert_uint_eq(n, sizeof(buf));
	for (cut = 0; cut < n; cut++)
		ck_assert_int_eq(decode_copy(buf, cut, FRAME_MAX_PAYLOAD, &f), 0);
	ck_assert_int_eq(decode_copy(buf, n, FRAME_MAX_PAYLOAD, &f), (int)n);
}
END_TEST

START_TEST(frame_oversized)
{
	static const uint8_t hdr[] = { FRAME_PING, 0, 0x20, 0x01 };	/* 8193 */
	static const uint8_t max[] = { FRAME_PING, 0, 0xff, 0xff };
	struct frame f;

	/* Refused from the header alone: no need to wait for the payload. */
	ck_assert_int_eq(decode_copy(hdr, sizeof(hdr), 8192, &f), -EMSGSIZE);
	ck_assert_int_eq(decode_copy(hdr, sizeof(hdr), 8193, &f), 0);
	ck_assert_int_eq(decode_copy(max, sizeof(max), 0, &f), -EMSGSIZE);
	ck_assert_int_eq(decode_copy(max, sizeof(max), FRAME_MAX_PAYLOAD, &f), 0);
	ck_assert_int_eq(decode_copy(max, sizeof(max), SIZE_MAX, &f), 0);
}
END_TEST

START_TEST(frame_max_payload_roundtrip)
{
	uint8_t *payload = calloc(1, FRAME_MAX_PAYLOAD + 1);
	uint8_t *buf = malloc(FRAME_HDR_LEN + FRAME_MAX_PAYLOAD);
	struct frame f;

	ck_assert_ptr_nonnull(payload);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(frame_encode(buf, FRAME_HDR_LEN + FRAME_MAX_PAYLOAD,
				       FRAME_PING, payload, FRAME_MAX_PAYLOAD),
			  FRAME_HDR_LEN + FRAME_MAX_PAYLOAD);
	ck_assert_int_eq(frame_decode(buf, FRAME_HDR_LEN + FRAME_MAX_PAYLOAD,
				      FRAME_MAX_PAYLOAD, &f),
			 FRAME_HDR_LEN + FRAME_MAX_PAYLOAD);
	ck_assert_uint_eq(f.len, FRAME_MAX_PAYLOAD);
	/* one byte more cannot be expressed in the header */
	ck_assert_uint_eq(frame_encode(buf, FRAME_HDR_LEN + FRAME_MAX_PAYLOAD,
				       FRAME_PING, payload,
				       FRAME_MAX_PAYLOAD + 1), 0);
	free(payload);
	free(buf);
}
END_TEST

START_TEST(frame_bad_type_and_flags)
{
	uint8_t buf[] = { 0, 0, 0, 0 };
	struct frame f;
	unsigned t;

	ck_assert_int_eq(decode_copy(buf, 4, 100, &f), -EBADMSG);
	for (t = FRAME_TYPE_MAX; t <= 0xff; t++) {
		buf[0] = (uint8_t)t;
		ck_assert_int_eq(decode_copy(buf, 4, 100, &f), -EBADMSG);
	}
	buf[0] = FRAME_HELLO;
	buf[1] = 0x80;
	ck_assert_int_eq(decode_copy(buf, 4, 100, &f), -EBADMSG);
	buf[1] = 1;
	ck_assert_int_eq(decode_copy(buf, 4, 100, &f), -EBADMSG);
	buf[1] = 0;
	ck_assert_int_eq(decode_copy(buf, 4, 100, &f), 4);
}
END_TEST

START_TEST(frame_encode_refuses)
{
	static const uint8_t pl[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t buf[16];

	ck_assert_uint_eq(frame_encode(buf, 3, FRAME_PONG, NULL, 0), 0);
	ck_assert_uint_eq(frame_encode(buf, 0, FRAME_PONG, NULL, 0), 0);
	ck_assert_uint_eq(frame_encode(buf, 11, FRAME_PONG, pl, 8), 0);
	ck_assert_uint_eq(frame_encode(buf, 12, FRAME_PONG, pl, 8), 12);
	ck_assert_uint_eq(frame_encode(buf, 16, 0, NULL, 0), 0);
	ck_assert_uint_eq(frame_encode(buf, 16, FRAME_TYPE_MAX, NULL, 0), 0);
}
END_TEST

START_TEST(frame_back_to_back)
{
	struct ping pg = { .seq = 7, .t_us = 99 };
	struct bye b = { .code = BYE_SHUTDOWN, .reason = "bye now" };
	uint8_t stream[512], pl[256], *s;
	size_t off = 0, n;
	struct frame f;
	int r, i;

	n = hello_encode(pl, sizeof(pl), &test_hello);
	off += frame_encode(stream + off, sizeof(stream) - off, FRAME_HELLO,
			    pl, n);
	n = ping_encode(pl, sizeof(pl), &pg);
	off += frame_encode(stream + off, sizeof(stream) - off, FRAME_PING,
			    pl, n);
	off += frame_encode(stream + off, sizeof(stream) - off, FRAME_PONG,
			    pl, n);
	n = bye_encode(pl, sizeof(pl), &b);
	off += frame_encode(stream + off, sizeof(stream) - off, FRAME_BYE,
			    pl, n);
	s = dup_exact(stream, off);
	n = 0;
	for (i = 0; i < 4; i++) {
		struct hello h;
		struct ping pp;
		struct bye bye;

		r = frame_decode(s + n, off - n, 8192, &f);
		ck_assert_int_gt(r, 0);
		ck_assert_uint_eq(f.type, (uint8_t)(FRAME_HELLO + i));
		n += (size_t)r;
		switch (f.type) {
		case FRAME_HELLO:
			ck_assert(hello_decode(f.payload, f.len, &h));
			ck_assert_str_eq(h.name, test_hello.name);
			ck_assert_uint_eq(h.boot_id, test_hello.boot_id);
			break;
		case FRAME_PING:
		case FRAME_PONG:
			ck_assert(ping_decode(f.payload, f.len, &pp));
			ck_assert_uint_eq(pp.seq, 7);
			ck_assert_uint_eq(pp.t_us, 99);
			break;
		case FRAME_BYE:
			ck_assert(bye_decode(f.payload, f.len, &bye));
			ck_assert_uint_eq(bye.code, BYE_SHUTDOWN);
			ck_assert_str_eq(bye.reason, "bye now");
			break;
		}
	}
	ck_assert_uint_eq(n, off);
	ck_assert_int_eq(frame_decode(s + n, 0, 8192, &f), 0);
	free(s);
}
END_TEST

/* ---- HELLO ---- */

START_TEST(hello_roundtrip)
{
	uint8_t buf[13 + NODE_NAME_MAX], *p;
	struct hello h = test_hello, out;
	size_t n;

	h.version = 0xabcd;
	h.flags = 0x1234;
	h.boot_id = UINT64_MAX;
	n = hello_encode(buf, sizeof(buf), &h);
	ck_assert_uint_eq(n, 13 + strlen(h.name));
	ck_assert_uint_eq(buf[0], 0xab);
	ck_assert_uint_eq(buf[12], strlen(h.name));
	p = dup_exact(buf, n);
	memset(&out, 0x55, sizeof(out));
	ck_assert(hello_decode(p, n, &out));
	ck_assert_uint_eq(out.version, 0xabcd);
	ck_assert_uint_eq(out.flags, 0x1234);
	ck_assert_uint_eq(out.boot_id, UINT64_MAX);
	ck_assert_str_eq(out.name, h.name);
	free(p);
}
END_TEST

START_TEST(hello_name_lengths)
{
	uint8_t buf[13 + NODE_NAME_MAX + 1];
	struct hello h = test_hello, out;
	size_t n;

	/* 1 and NODE_NAME_MAX bytes are fine */
	strcpy(h.name, "a");
	n = hello_encode(buf, sizeof(buf), &h);
	ck_assert_uint_eq(n, 14);
	ck_assert(hello_decode(buf, n, &out));
	ck_assert_str_eq(out.name, "a");
	memset(h.name, 'z', NODE_NAME_MAX);
	h.name[NODE_NAME_MAX] = '\0';
	n = hello_encode(buf, sizeof(buf), &h);
	ck_assert_uint_eq(n, 13 + NODE_NAME_MAX);
	ck_assert(hello_decode(buf, n, &out));
	ck_assert_uint_eq(strlen(out.name), NODE_NAME_MAX);
	/* NODE_NAME_MAX + 1 on the wire */
	buf[12] = NODE_NAME_MAX + 1;
	buf[13 + NODE_NAME_MAX] = 'z';
	ck_assert(!hello_decode(buf, 13 + NODE_NAME_MAX + 1, &out));
	/* zero length: refused both ways */
	h.name[0] = '\0';
	ck_assert_uint_eq(hello_encode(buf, sizeof(buf), &h), 0);
	buf[12] = 0;
	ck_assert(!hello_decode(buf, 13, &out));
	/* an unterminated name in the struct is not read past the array */
	memset(h.name, 'q', sizeof(h.name));
	ck_assert_uint_eq(hello_encode(buf, sizeof(buf), &h), 0);
}
END_TEST

START_TEST(hello_bad_names)
{
	static const char *const bad[] = {
		"a b", "a/b", "a\tb", "caf\xc3\xa9", "a\x7f", "x:y", "a@b",
		"\"q\"", "a\\b",
	};
	uint8_t buf[13 + NODE_NAME_MAX];
	struct hello h = test_hello, out;
	size_t i, n;

	hello_encode(buf, sizeof(buf), &h);	/* the fixed fields */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(h.name, bad[i]);
		ck_assert_uint_eq(hello_encode(buf, sizeof(buf), &h), 0);
		n = strlen(bad[i]);
		buf[12] = (uint8_t)n;
		memcpy(buf + 13, bad[i], n);
		ck_assert_msg(!hello_decode(buf, 13 + n, &out), "%s", bad[i]);
	}
	/* a NUL inside the name on the wire */
	memcpy(buf + 13, "ab\0d", 4);
	buf[12] = 4;
	ck_assert(!hello_decode(buf, 17, &out));
	ck_assert(node_name_valid("A-z_0.9", 7));
	ck_assert(!node_name_valid("", 0));
	ck_assert(!node_name_valid("abc", 0));
}
END_TEST

START_TEST(hello_lengths)
{
	uint8_t buf[13 + NODE_NAME_MAX + 1];
	struct hello out;
	size_t n, cut;

	n = hello_encode(buf, sizeof(buf), &test_hello);
	ck_assert_uint_gt(n, 13);
	for (cut = 0; cut < n; cut++) {
		uint8_t *p = dup_exact(buf, cut);

		ck_assert(!hello_decode(p, cut, &out));
		free(p);
	}
	buf[n] = 'x';		/* a trailing byte */
	ck_assert(!hello_decode(buf, n + 1, &out));
	ck_assert(hello_decode(buf, n, &out));
	/* encoder: one byte short refuses, exact fits */
	ck_assert_uint_eq(hello_encode(buf, n - 1, &test_hello), 0);
	ck_assert_uint_eq(hello_encode(buf, n, &test_hello), n);
}
END_TEST

/* ---- PING / PONG ---- */

START_TEST(ping_roundtrip)
{
	static const uint8_t want[] = { 0, 0, 0, 0, 0, 0, 0, 1,
					0x80, 0, 0, 0, 0, 0, 0, 2 };
	struct ping pg = { .seq = 1, .t_us = 0x8000000000000002ull }, out;
	uint8_t buf[PING_LEN + 1];

	ck_assert_uint_eq(ping_encode(buf, sizeof(buf), &pg), PING_LEN);
	ck_assert_mem_eq(buf, want, PING_LEN);
	ck_assert(ping_decode(buf, PING_LEN, &out));
	ck_assert_uint_eq(out.seq, pg.seq);
	ck_assert_uint_eq(out.t_us, pg.t_us);
	ck_assert_uint_eq(ping_encode(buf, PING_LEN - 1, &pg), 0);
}
END_TEST

START_TEST(ping_wrong_length)
{
	uint8_t buf[PING_LEN + 1] = { 0 };
	struct ping out;
	size_t n;

	for (n = 0; n <= PING_LEN + 1; n++) {
		uint8_t *p = dup_exact(buf, n);

		ck_assert(ping_decode(p, n, &out) == (n == PING_LEN));
		free(p);
	}
}
END_TEST

/* ---- BYE ---- */

START_TEST(bye_roundtrip)
{
	struct bye b = { .code = BYE_DUPLICATE }, out;
	uint8_t buf[1 + BYE_REASON_MAX], *p;
	size_t n;

	strcpy(b.reason, "duplicate link to \"node-b\" ~ kept 10.0.0.1:655");
	n = bye_encode(buf, sizeof(buf), &b);
	ck_assert_uint_eq(n, 1 + strlen(b.reason));
	ck_assert_uint_eq(buf[0], BYE_DUPLICATE);
	p = dup_exact(buf, n);
	ck_assert(bye_decode(p, n, &out));
	ck_assert_uint_eq(out.code, BYE_DUPLICATE);
	ck_assert_str_eq(out.reason, b.reason);
	free(p);
	/* empty reason */
	b.reason[0] = '\0';
	ck_assert_uint_eq(bye_encode(buf, sizeof(buf), &b), 1);
	ck_assert(bye_decode(buf, 1, &out));
	ck_assert_str_eq(out.reason, "");
	ck_assert(!bye_decode(buf, 0, &out));
	ck_assert_uint_eq(bye_encode(buf, 0, &b), 0);
}
END_TEST

START_TEST(bye_reason_limits)
{
	uint8_t buf[1 + BYE_REASON_MAX + 1];
	struct bye b = { .code = BYE_PROTOCOL }, out;

	memset(b.reason, '~', BYE_REASON_MAX);
	b.reason[BYE_REASON_MAX] = '\0';
	ck_assert_uint_eq(bye_encode(buf, sizeof(buf), &b), 1 + BYE_REASON_MAX);
	ck_assert_uint_eq(bye_encode(buf, BYE_REASON_MAX, &b), 0);
	ck_assert(bye_decode(buf, 1 + BYE_REASON_MAX, &out));
	ck_assert_uint_eq(strlen(out.reason), BYE_REASON_MAX);
	buf[1 + BYE_REASON_MAX] = '~';
	ck_assert(!bye_decode(buf, sizeof(buf), &out));
	/* unterminated reason in the struct */
	memset(b.reason, 'a', sizeof(b.reason));
	ck_assert_uint_eq(bye_encode(buf, sizeof(buf), &b), 0);
}
END_TEST

START_TEST(bye_nonprintable)
{
	static const uint8_t bad[] = { 0x00, 0x09, 0x0a, 0x1f, 0x7f, 0x80, 0xff };
	uint8_t buf[8] = { BYE_SHUTDOWN, 'o', 'k', 0 };
	struct bye b = { .code = BYE_POLICY }, out;
	size_t i;

	ck_assert(bye_decode(buf, 3, &out));
	for (i = 0; i < sizeof(bad); i++) {
		buf[2] = bad[i];
		ck_assert_msg(!bye_decode(buf, 3, &out), "byte %#x", bad[i]);
		strcpy(b.reason, "xx");
		b.reason[1] = (char)bad[i];
		if (bad[i])
			ck_assert_uint_eq(bye_encode(buf, sizeof(buf), &b), 0);
	}
	buf[2] = ' ';
	ck_assert(bye_decode(buf, 3, &out));
	ck_assert_str_eq(out.reason, "o ");
}
END_TEST

/* ---- routing frames ---- */

/* Their payloads are lib/routewire.c's (check_routewire); here only the
 * frame layer: every routing type has a name and passes as a frame. */
START_TEST(routing_types)
{
	static const struct {
		uint8_t type;
		const char *name;
	} types[] = {
		{ FRAME_ROUTE, "route" },	{ FRAME_SEQREQ, "seqreq" },
		{ FRAME_DIGEST, "digest" },	{ FRAME_ROUTE_REQ, "route-req" },
		{ 7, "seqreq" },		{ 8, "digest" },
		{ 9, "route-req" },
	};
	static const uint8_t payload[] = { 0 };
	uint8_t buf[FRAME_HDR_LEN + sizeof(payload)];
	struct frame f;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ck_assert_str_eq(frame_type_name(types[i].type), types[i].name);
		ck_assert_uint_eq(frame_encode(buf, sizeof(buf), types[i].type, payload,
					       sizeof(payload)), sizeof(buf));
		ck_assert_int_eq(decode_copy(buf, sizeof(buf), 100, &f), (int)sizeof(buf));
		ck_assert_uint_eq(f.type, types[i].type);
	}
}
END_TEST

/* ---- DATA ---- */

static struct data_frame test_data(void)
{
	struct data_frame d = {
		.inst = 0x00040007, .ttl = 64, .flags = DATA_FLOOD_UNKNOWN,
		.bcast_id = 0xdeadbeef, .dst_len = 4, .src_len = 4,
		.dst = { 10, 0, 0, 1 }, .src = { 10, 0, 0, 2 },
		.origin = "node-a", .len = 3,
	};

	return d;
}

static bool data_decode_copy(const uint8_t *buf, size_t len,
			     struct data_frame *d)
{
	uint8_t *p = dup_exact(buf, len);
	bool ok = data_decode(p, len, d);

	free(p);
	return ok;
}

START_TEST(data_wire_layout)
{
	static const uint8_t want[] = {
		0x00, 0x04, 0x00, 0x07,		/* instance */
		64, DATA_FLOOD_UNKNOWN,		/* ttl, flags */
		0xde, 0xad, 0xbe, 0xef,		/* bcast id */
		4, 10, 0, 0, 1,			/* dst */
		4, 10, 0, 0, 2,			/* src */
		6, 'n', 'o', 'd', 'e', '-', 'a',	/* origin */
		'a', 'b', 'c',			/* payload */
	};
	struct data_frame d = test_data(), out;
	uint8_t buf[DATA_HDR_MAX + 3], *p;
	size_t n;

	n = data_encode_hdr(buf, sizeof(buf), &d);
	ck_assert_uint_eq(n, sizeof(want) - 3);
	memcpy(buf + n, "abc", 3);
	ck_assert_mem_eq(buf, want, sizeof(want));
	p = dup_exact(buf, n + 3);
	memset(&out, 0x55, sizeof(out));
	ck_assert(data_decode(p, n + 3, &out));
	ck_assert_uint_eq(out.inst, d.inst);
	ck_assert_uint_eq(out.ttl, 64);
	ck_assert_uint_eq(out.flags, DATA_FLOOD_UNKNOWN);
	ck_assert_uint_eq(out.bcast_id, 0xdeadbeef);
	ck_assert_uint_eq(out.dst_len, 4);
	ck_assert_uint_eq(out.src_len, 4);
	ck_assert(!memcmp(out.dst, d.dst, sizeof(d.dst)));
	ck_assert(!memcmp(out.src, d.src, sizeof(d.src)));
	ck_assert_str_eq(out.origin, "node-a");
	ck_assert_ptr_eq(out.payload, p + n);
	ck_assert_uint_eq(out.len, 3);
	free(p);
	/* exact room fits, one byte less does not */
	ck_assert_uint_eq(data_encode_hdr(buf, n, &d), n);
	ck_assert_uint_eq(data_encode_hdr(buf, n - 1, &d), 0);
	ck_assert_str_eq(frame_type_name(FRAME_DATA), "data");
}
END_TEST

START_TEST(data_roundtrip_extremes)
{
	struct data_frame d = test_data(), out;
	uint8_t buf[DATA_HDR_MAX + 1];
	size_t n, i;

	/* broadcast (empty dst), ttl 0, no flags, any instance */
	d.dst_len = 0;
	d.ttl = 0;
	d.flags = 0;
	d.inst = UINT32_MAX;
	d.len = 1;
	memset(d.dst, 0, sizeof(d.dst));
	n = data_encode_hdr(buf, sizeof(buf), &d);
	ck_assert_uint_eq(n, 10 + 1 + 5 + 7);
	buf[n] = 0xff;
	ck_assert(data_decode_copy(buf, n + 1, &out));
	ck_assert_uint_eq(out.dst_len, 0);
	ck_assert_uint_eq(out.ttl, 0);
	ck_assert_uint_eq(out.len, 1);
	/* the longest header: 32-byte addresses, a 64-byte name */
	d.dst_len = d.src_len = 32;
	for (i = 0; i < 32; i++) {
		d.dst[i] = (uint8_t)i;
		d.src[i] = (uint8_t)(0xff - i);
	}
	memset(d.origin, 'n', NODE_NAME_MAX);
	d.origin[NODE_NAME_MAX] = '\0';
	n = data_encode_hdr(buf, sizeof(buf), &d);
	ck_assert_uint_eq(n, DATA_HDR_MAX);
	buf[n] = 0;
	ck_assert(data_decode_copy(buf, n + 1, &out));
	ck_assert(!memcmp(out.dst, d.dst, 32));
	ck_assert(!memcmp(out.src, d.src, 32));
	ck_assert_str_eq(out.origin, d.origin);
	/* the largest payload that still fits a frame */
	d.len = FRAME_MAX_PAYLOAD - DATA_HDR_MAX;
	ck_assert_uint_eq(data_encode_hdr(buf, sizeof(buf), &d), DATA_HDR_MAX);
	d.len++;
	ck_assert_uint_eq(data_encode_hdr(buf, sizeof(buf), &d), 0);
}
END_TEST

START_TEST(data_truncated_every_offset)
{
	struct data_frame d = test_data(), out;
	uint8_t buf[DATA_HDR_MAX + 3];
	size_t n, cut;

	n = data_encode_hdr(buf, sizeof(buf), &d);
	memcpy(buf + n, "abc", 3);
	/* cut before the first payload byte: refused; after: a shorter
	 * payload (DATA has no payload length) */
	for (cut = 0; cut <= n + 3; cut++) {
		bool ok = data_decode_copy(buf, cut, &out);

		ck_assert_msg(ok == (cut > n), "cut at %zu", cut);
		if (ok)
			ck_assert_uint_eq(out.len, cut - n);
	}
}
END_TEST

START_TEST(data_malformed)
{
	struct data_frame d = test_data(), out, bad;
	uint8_t buf[DATA_HDR_MAX + 40];
	size_t n;
	unsigned f;

	n = data_encode_hdr(buf, sizeof(buf), &d);
	memcpy(buf + n, "abc", 3);
	n += 3;
	ck_assert(data_decode_copy(buf, n, &out));
	/* unknown flags */
	for (f = 2; f <= 0xff; f++) {
		buf[5] = (uint8_t)f;
		ck_assert_msg(!data_decode_copy(buf, n, &out), "flags %#x", f);
	}
	buf[5] = 0;
	ck_assert(data_decode_copy(buf, n, &out));
	/* origin: empty, bad characters */
	buf[21] = 'n' | 0x80;
	ck_assert(!data_decode_copy(buf, n, &out));
	buf[21] = ' ';
	ck_assert(!data_decode_copy(buf, n, &out));
	buf[21] = 'n';
	/* dst of 33 bytes (hand-made) */
	memset(buf + 10, 0, 40);
	buf[10] = 33;
	buf[10 + 34] = 0;		/* src */
	buf[10 + 35] = 1;		/* origin "o" */
	buf[10 + 36] = 'o';
	buf[10 + 37] = 'x';
	ck_assert(!data_decode_copy(buf, 10 + 38, &out));
	buf[10] = 32;			/* shift: now 32 + src 0 + origin 1 "o"... */
	buf[10 + 33] = 0;
	buf[10 + 34] = 1;
	buf[10 + 35] = 'o';
	buf[10 + 36] = 'x';
	ck_assert(data_decode_copy(buf, 10 + 37, &out));
	ck_assert_uint_eq(out.dst_len, 32);
	buf[10 + 34] = 0;		/* empty origin */
	ck_assert(!data_decode_copy(buf, 10 + 37, &out));
	buf[10 + 33] = 33;		/* src of 33 bytes */
	ck_assert(!data_decode_copy(buf, 10 + 37, &out));
	/* the encoder refuses what the decoder would */
	bad = d;
	bad.flags = 2;
	ck_assert_uint_eq(data_encode_hdr(buf, sizeof(buf), &bad), 0);
	bad = d;
	bad.dst_len = 33;
	ck_assert_uint_eq(data_encode_hdr(buf, sizeof(buf), &bad), 0);
	bad = d;
	bad.src_len = 33;
	ck_assert_uint_eq(data_encode_hdr(buf, sizeof(buf), &bad), 0);
	bad = d;
	bad.origin[0] = '\0';
	ck_assert_uint_eq(data_encode_hdr(buf, sizeof(buf), &bad), 0);
	strcpy(bad.origin, "a b");
	ck_assert_uint_eq(data_encode_hdr(buf, sizeof(buf), &bad), 0);
	memset(bad.origin, 'a', sizeof(bad.origin));	/* unterminated */
	ck_assert_uint_eq(data_encode_hdr(buf, sizeof(buf), &bad), 0);
	bad = d;
	bad.len = 0;
	ck_assert_uint_eq(data_encode_hdr(buf, sizeof(buf), &bad), 0);
}
END_TEST

/* ------------------------------------------------ short DATA headers */

static size_t full_hdr(uint8_t *out, const char *origin, uint8_t flags, uint32_t bcast)
{
	struct data_frame d = { .inst = 0x01020304, .ttl = 64, .flags = flags,
				.bcast_id = bcast, .dst_len = 4, .src_len = 4,
				.dst = { 10, 99, 0, 2 }, .src = { 10, 99, 0, 1 }, .len = 1 };

	snprintf(d.origin, sizeof(d.origin), "%s", origin);
	return data_encode_hdr(out, DATA_HDR_MAX, &d);
}

START_TEST(data_short_roundtrip)
{
	uint8_t hdr[DATA_HDR_MAX], sh[DATA_HDR_MAX], pkt[DATA_HDR_MAX + 3], full[DATA_HDR_MAX];
	size_t hl = full_hdr(hdr, "node-a", 0, 0), sl, fl, used;
	struct data_frame d;

	ck_assert_uint_gt(hl, 0);
	sl = data_hdr_shorten(hdr, hl, "node-a", sh, sizeof(sh));
	/* instance, ttl, two addresses: flags, bcast id and origin are gone */
	ck_assert_uint_eq(sl, 5 + 1 + 4 + 1 + 4);
	ck_assert_uint_eq(hl - sl, 1 + 4 + 1 + strlen("node-a"));
	memcpy(pkt, sh, sl);
	memcpy(pkt + sl, "xyz", 3);
	uint8_t *p = dup_exact(pkt, sl + 3);
	fl = data_hdr_expand(p, sl + 3, "node-a", full, sizeof(full), &used);
	free(p);
	ck_assert_uint_eq(fl, hl);
	ck_assert_uint_eq(used, sl);
	ck_assert_mem_eq(full, hdr, hl);	/* the very same header comes back */
	memcpy(pkt, full, fl);
	memcpy(pkt + fl, "xyz", 3);
	ck_assert(data_decode(pkt, fl + 3, &d));
	ck_assert_str_eq(d.origin, "node-a");
	ck_assert_uint_eq(d.len, 3);
}
END_TEST

START_TEST(data_short_refused)
{
	uint8_t hdr[DATA_HDR_MAX], sh[DATA_HDR_MAX];
	size_t hl;

	/* relayed (another origin), broadcast id, flood flag: full form */
	hl = full_hdr(hdr, "node-b", 0, 0);
	ck_assert_uint_eq(data_hdr_shorten(hdr, hl, "node-a", sh, sizeof(sh)), 0);
	ck_assert_uint_eq(data_hdr_shorten(hdr, hl, "node-bb", sh, sizeof(sh)), 0);
	hl = full_hdr(hdr, "node-a", 0, 7);
	ck_assert_uint_eq(data_hdr_shorten(hdr, hl, "node-a", sh, sizeof(sh)), 0);
	hl = full_hdr(hdr, "node-a", DATA_FLOOD_UNKNOWN, 0);
	ck_assert_uint_eq(data_hdr_shorten(hdr, hl, "node-a", sh, sizeof(sh)), 0);
	/* a header with trailing bytes, or cut short, or too little room */
	hl = full_hdr(hdr, "node-a", 0, 0);
	for (size_t n = 0; n < hl; n++)
		ck_assert_uint_eq(data_hdr_shorten(hdr, n, "node-a", sh, sizeof(sh)), 0);
	ck_assert_uint_eq(data_hdr_shorten(hdr, hl, "node-a", sh, 14), 0);
	ck_assert_uint_eq(data_hdr_shorten(hdr, hl, "node-a", sh, 15), 15);
}
END_TEST

START_TEST(data_short_expand_malformed)
{
	uint8_t sh[DATA_HDR_MAX], hdr[DATA_HDR_MAX], full[DATA_HDR_MAX], pkt[64];
	size_t hl = full_hdr(hdr, "node-a", 0, 0);
	size_t sl = data_hdr_shorten(hdr, hl, "node-a", sh, sizeof(sh)), used;

	memcpy(pkt, sh, sl);
	pkt[sl] = 'x';
	/* cut anywhere (no payload byte left included): refused, no overread */
	for (size_t n = 0; n <= sl; n++) {
		uint8_t *p = dup_exact(pkt, n);
		ck_assert_uint_eq(data_hdr_expand(p, n, "node-a", full, sizeof(full), &used), 0);
		free(p);
	}
	/* an address over 32 bytes */
	pkt[5] = 33;
	ck_assert_uint_eq(data_hdr_expand(pkt, sizeof(pkt), "node-a", full, sizeof(full), &used), 0);
	pkt[5] = 4;
	/* an invalid origin, or no room for the full header */
	ck_assert_uint_eq(data_hdr_expand(pkt, sl + 1, "bad name", full, sizeof(full), &used), 0);
	ck_assert_uint_eq(data_hdr_expand(pkt, sl + 1, "node-a", full, hl - 1, &used), 0);
	ck_assert_uint_eq(data_hdr_expand(pkt, sl + 1, "node-a", full, hl, &used), hl);
}
END_TEST

static Suite *frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("frame");
	TCase *tp = tcase_create("payloads");

	tcase_add_test(tc, frame_roundtrip_all_types);
	tcase_add_test(tc, frame_empty_payload);
	tcase_add_test(tc, frame_wire_layout);
	tcase_add_test(tc, frame_truncated_every_offset);
	tcase_add_test(tc, frame_oversized);
	tcase_add_test(tc, frame_max_payload_roundtrip);
	tcase_add_test(tc, frame_bad_type_and_flags);
	tcase_add_test(tc, frame_encode_refuses);
	tcase_add_test(tc, frame_back_to_back);
	suite_add_tcase(s, tc);
	tcase_add_test(tp, hello_roundtrip);
	tcase_add_test(tp, hello_name_lengths);
	tcase_add_test(tp, hello_bad_names);
	tcase_add_test(tp, hello_lengths);
	tcase_add_test(tp, ping_roundtrip);
	tcase_add_test(tp, ping_wrong_length);
	tcase_add_test(tp, bye_roundtrip);
	tcase_add_test(tp, bye_reason_limits);
	tcase_add_test(tp, bye_nonprintable);
	tcase_add_test(tp, routing_types);
	tcase_add_test(tp, data_wire_layout);
	tcase_add_test(tp, data_roundtrip_extremes);
	tcase_add_test(tp, data_truncated_every_offset);
	tcase_add_test(tp, data_malformed);
	tcase_add_test(tp, data_short_roundtrip);
	tcase_add_test(tp, data_short_refused);
	tcase_add_test(tp, data_short_expand_malformed);
	suite_add_tcase(s, tp);
	return s;
}

int main(void)
{
	return check_run(frame_suite());
}
