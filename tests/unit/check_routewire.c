/*
 * check_routewire.c - unit tests for lib/routewire.c and lib/dedup.c: the
 * routing messages as a neighbour sends them (ROUTE groups, SEQREQ, DIGEST,
 * ROUTE_REQ) and every way a hostile one could bend them, decoded from
 * exact-size heap copies so that an overread shows up under ASan; the
 * digest hash, Babel's seqno order, and the broadcast dedup window.
 */
#include "config.h"
#include "dedup.h"
#include "routewire.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- helpers */

static struct rw_entry entry(const char *origin, uint16_t seqno, uint32_t metric,
			     const char *pfx)
{
	struct rw_entry e;

	memset(&e, 0, sizeof(e));
	snprintf(e.origin, sizeof(e.origin), "%s", origin);
	e.seqno = seqno;
	e.metric = metric;
	ck_assert_msg(prefix_parse(pfx, &e.p), "bad test prefix %s", pfx);
	return e;
}

static bool entry_same(const struct rw_entry *x, const struct rw_entry *y)
{
	return !strcmp(x->origin, y->origin) && x->seqno == y->seqno &&
	       x->metric == y->metric && prefix_equal(&x->p, &y->p);
}

static bool route_decode_copy(const uint8_t *buf, size_t len)
{
	uint8_t *p = dup_exact(buf, len);
	struct rw_reader r;
	bool ok = rw_route_decode(p, len, &r);

	free(p);
	return ok;
}

/* Decode an exact-size copy and check it holds exactly want[0..n). */
static void route_expect(const uint8_t *buf, size_t len, uint8_t flags,
			 const struct rw_entry *want, size_t n)
{
	uint8_t *p = dup_exact(buf, len);
	struct rw_reader r;
	struct rw_entry e;
	size_t i;

	ck_assert(rw_route_decode(p, len, &r));
	ck_assert_uint_eq(r.flags, flags);
	for (i = 0; i < n; i++) {
		ck_assert_msg(rw_route_next(&r, &e), "entry %zu missing", i);
		ck_assert_msg(entry_same(&e, &want[i]), "entry %zu differs", i);
	}
	ck_assert(!rw_route_next(&r, &e));
	ck_assert(!rw_route_next(&r, &e));
	free(p);
}

/* Bytes of one group header for origin. */
static size_t group_hdr_len(const char *origin)
{
	return 1 + strlen(origin) + 4;
}

static size_t entry_len(const struct rw_entry *e)
{
	return 4 + 7 + e->p.a.len;
}

/* ---------------------------------------------------------------- ROUTE */

static const struct {
	const char *origin;
	uint16_t seqno;
	uint32_t metric;
	const char *pfx;
} route_rows[] = {
	{ "node-a", 7, 0, "ipv4:10.1.0.0/16" },
	{ "node-a", 7, 1000, "ipv4:10.2.3.4" },			/* shares a's group */
	{ "node-a", 7, RW_METRIC_INF, "ipv6:fd00::/64" },	/* a withdrawal */
	{ "b", 0xffff, 12345, "ether:02:00:5e:00:00:01" },
	{ "b", 0, 12345, "chat:alice" },			/* new seqno: new group */
	{ "node-a", 7, 5, "ipv4:*" },				/* a again: new group */
	{ "C.c_c-9", 1, 0xfffffffe, "p513.2:0a0b00/20" },
	{ "x", 2, 3, "p0:*" },					/* node prefix form */
};

START_TEST(route_roundtrip)
{
	static const uint8_t all_flags[] = { 0, RW_FULL_BEGIN, RW_FULL_END,
					     RW_FULL_BEGIN | RW_FULL_END };
	struct rw_entry es[N_OF(route_rows)];
	uint8_t buf[2048];
	struct rw_writer w;
	size_t i, f, want_len, groups;

	for (f = 0; f < N_OF(all_flags); f++) {
		rw_route_begin(&w, buf, sizeof(buf), all_flags[f]);
		ck_assert(rw_route_empty(&w));
		want_len = 1;
		groups = 0;
		for (i = 0; i < N_OF(route_rows); i++) {
			es[i] = entry(route_rows[i].origin, route_rows[i].seqno,
				      route_rows[i].metric, route_rows[i].pfx);
			ck_assert(rw_route_add(&w, &es[i]));
			ck_assert(!rw_route_empty(&w));
			if (i == 0 || strcmp(es[i].origin, es[i - 1].origin) ||
			    es[i].seqno != es[i - 1].seqno) {
				want_len += group_hdr_len(es[i].origin);
				groups++;
			}
			want_len += entry_len(&es[i]);
			ck_assert_uint_eq(rw_route_len(&w), want_len);
		}
		ck_assert_uint_eq(groups, 6);
		ck_assert_uint_eq(buf[0], all_flags[f]);
		route_expect(buf, rw_route_len(&w), all_flags[f], es, N_OF(es));
		/* every prefix of that payload that ends inside a group is refused */
		for (i = 2; i < rw_route_len(&w); i++) {
			bool at_group_end = false;
			size_t off = 1, k;

			for (k = 0; k < N_OF(es); k++) {
				if (k == 0 || strcmp(es[k].origin, es[k - 1].origin) ||
				    es[k].seqno != es[k - 1].seqno)
					off += group_hdr_len(es[k].origin);
				off += entry_len(&es[k]);
				if (k + 1 == N_OF(es) || strcmp(es[k].origin, es[k + 1].origin) ||
				    es[k].seqno != es[k + 1].seqno)
					at_group_end |= off == i;
			}
			ck_assert_msg(route_decode_copy(buf, i) == at_group_end,
				      "cut at %zu", i);
		}
	}
}
END_TEST

/* The wire layout of one group, byte for byte. */
START_TEST(route_wire_layout)
{
	static const uint8_t want[] = {
		RW_FULL_END,
		2, 'n', '1', 0x12, 0x34, 0x00, 0x02,	/* origin, seqno, count */
		0x00, 0x00, 0x01, 0x00,			/* metric 256 */
		0x00, 0x04, 0x00, 0x00, 0x00, 0x18, 0x04, 10, 1, 2, 0,
		0xff, 0xff, 0xff, 0xff,			/* withdrawn */
		0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,	/* ipv4:* */
	};
	struct rw_entry a = entry("n1", 0x1234, 256, "ipv4:10.1.2.0/24");
	struct rw_entry b = entry("n1", 0x1234, RW_METRIC_INF, "ipv4:*");
	struct rw_writer w;
	uint8_t buf[256];

	rw_route_begin(&w, buf, sizeof(buf), RW_FULL_END);
	ck_assert(rw_route_add(&w, &a));
	ck_assert(rw_route_add(&w, &b));
	ck_assert_uint_eq(rw_route_len(&w), sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

/* A run of more than 65535 entries of one origin and seqno cannot share
 * one u16 count: the writer opens a new group. */
START_TEST(route_group_split)
{
	const size_t n = 0xffffu + 2;
	struct rw_entry e = entry("big", 9, 1, "ipv4:*"), got;
	size_t hdr = group_hdr_len("big"), elen = entry_len(&e), cap, i;
	struct rw_writer w;
	struct rw_reader r;
	uint8_t *buf;

	cap = 1 + 2 * hdr + n * elen + RW_ENTRY_MAX;
	buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	rw_route_begin(&w, buf, cap, 0);
	for (i = 0; i < n; i++) {
		e.metric = (uint32_t)i;
		if (!rw_route_add(&w, &e))
			ck_abort_msg("entry %zu refused", i);
	}
	ck_assert_uint_eq(rw_route_len(&w), 1 + 2 * hdr + n * elen);
	/* first group: count 0xffff; second: count 2 */
	ck_assert_uint_eq(buf[1 + hdr - 2], 0xff);
	ck_assert_uint_eq(buf[1 + hdr - 1], 0xff);
	i = 1 + hdr + 0xffffu * elen;
	ck_assert_uint_eq(buf[i], 3);
	ck_assert_mem_eq(buf + i + 1, "big", 3);
	ck_assert_uint_eq(buf[i + hdr - 2], 0);
	ck_assert_uint_eq(buf[i + hdr - 1], 2);
	ck_assert(rw_route_decode(buf, rw_route_len(&w), &r));
	for (i = 0; i < n; i++) {
		if (!rw_route_next(&r, &got) || strcmp(got.origin, "big") || got.seqno != 9 ||
		    got.metric != i || !prefix_equal(&got.p, &e.p))
			ck_abort_msg("entry %zu wrong", i);
	}
	ck_assert(!rw_route_next(&r, &got));
	free(buf);
}
END_TEST

/* An entry that does not fit is refused and leaves the payload as it was. */
START_TEST(route_full)
{
	struct rw_entry a = entry("aa", 1, 10, "ipv4:10.0.0.0/8");
	struct rw_entry b = entry("bb", 2, 20, "ipv6:fd00::/8");
	struct rw_entry both[2] = { a, a };
	uint8_t buf[512];
	struct rw_writer w;
	size_t cap, len;

	/* room for the flags only, or for less than a group and an entry */
	for (cap = 0; cap < 1 + RW_GROUP_HDR_MAX + RW_ENTRY_MAX; cap++) {
		rw_route_begin(&w, buf, cap, RW_FULL_BEGIN);
		if (cap < 1 + group_hdr_len("aa") + RW_ENTRY_MAX) {
			ck_assert_msg(!rw_route_add(&w, &a), "cap %zu", cap);
			ck_assert_uint_eq(rw_route_len(&w), cap ? 1 : 0);
			ck_assert(rw_route_empty(&w));
		}
	}
	/* exactly one group and one more entry of the same group */
	cap = 1 + group_hdr_len("aa") + entry_len(&a) + RW_ENTRY_MAX;
	rw_route_begin(&w, buf, cap, 0);
	ck_assert(rw_route_add(&w, &a));
	len = rw_route_len(&w);
	ck_assert(!rw_route_add(&w, &b));	/* a new group does not fit */
	ck_assert_uint_eq(rw_route_len(&w), len);
	ck_assert(rw_route_add(&w, &a));	/* the same group does */
	len = rw_route_len(&w);
	ck_assert(!rw_route_add(&w, &a));
	ck_assert_uint_eq(rw_route_len(&w), len);
	route_expect(buf, len, 0, both, 2);
}
END_TEST

/* Invalid entries are refused, never written. */
START_TEST(route_add_invalid)
{
	static const char *const bad_origins[] = {
		"", "a b", "ünï", "a/b",
		"0123456789012345678901234567890123456789012345678901234567890123x",
	};
	struct rw_entry ok = entry("ok", 1, 1, "ipv4:10.0.0.1"), e;
	struct rw_writer w;
	uint8_t buf[512];
	size_t i;

	rw_route_begin(&w, buf, sizeof(buf), 0);
	for (i = 0; i < N_OF(bad_origins); i++) {
		e = ok;
		memset(e.origin, 0, sizeof(e.origin));
		memcpy(e.origin, bad_origins[i], strlen(bad_origins[i]));
		ck_assert_msg(!rw_route_add(&w, &e), "origin %zu", i);
	}
	e = ok;
	memset(e.origin, 'a', sizeof(e.origin));	/* not terminated */
	ck_assert(!rw_route_add(&w, &e));
	e = ok;
	e.p.bits = 33;
	ck_assert(!rw_route_add(&w, &e));
	e = ok;
	e.p.bits = 8;					/* host bits set */
	ck_assert(!rw_route_add(&w, &e));
	e = ok;
	e.p.a.len = 3;
	e.p.a.b[3] = 0;
	e.p.bits = 24;
	ck_assert(!rw_route_add(&w, &e));		/* ipv4 of 3 bytes */
	ck_assert(rw_route_empty(&w));
	ck_assert(rw_route_add(&w, &ok));
	route_expect(buf, rw_route_len(&w), 0, &ok, 1);
}
END_TEST

START_TEST(route_flags_only)
{
	static const uint8_t all_flags[] = { 0, RW_FULL_BEGIN, RW_FULL_END,
					     RW_FULL_BEGIN | RW_FULL_END };
	struct rw_writer w;
	uint8_t buf[8];
	size_t i;

	for (i = 0; i < N_OF(all_flags); i++) {
		rw_route_begin(&w, buf, sizeof(buf), 0);
		rw_route_set_flags(&w, all_flags[i]);
		ck_assert(rw_route_empty(&w));
		ck_assert_uint_eq(rw_route_len(&w), 1);
		ck_assert_uint_eq(buf[0], all_flags[i]);
		route_expect(buf, 1, all_flags[i], NULL, 0);
	}
	ck_assert(!route_decode_copy(buf, 0));
}
END_TEST

/* Payloads a neighbour could send that must be refused as a whole. */
static const struct {
	const char *why;
	uint8_t len;
	uint8_t b[40];
} route_bad[] = {
	{ "flag 0x04", 1, { 0x04 } },
	{ "flag 0x80", 1, { 0x80 } },
	{ "flags 0xff", 1, { 0xff } },
	{ "flags 0x03|0x40", 1, { 0x43 } },
	{ "zero count", 7, { 0, 1, 'a', 0, 1, 0, 0 } },
	{ "zero count after a group", 24,
	  { 0, 1, 'a', 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0, 0,
	    1, 'b', 0, 1, 0, 0 } },
	{ "header: name only", 2, { 0, 1 } },
	{ "header: no seqno", 3, { 0, 1, 'a' } },
	{ "header: half a seqno", 4, { 0, 1, 'a', 0 } },
	{ "header: no count", 5, { 0, 1, 'a', 0, 1 } },
	{ "header: half a count", 6, { 0, 1, 'a', 0, 1, 0 } },
	{ "entry: missing", 7, { 0, 1, 'a', 0, 1, 0, 1 } },
	{ "entry: half a metric", 9, { 0, 1, 'a', 0, 1, 0, 1, 0, 0 } },
	{ "entry: no prefix", 11, { 0, 1, 'a', 0, 1, 0, 1, 0, 0, 0, 1 } },
	{ "entry: short prefix header", 17,
	  { 0, 1, 'a', 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0 } },
	{ "entry: address cut", 21,
	  { 0, 1, 'a', 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 32, 4, 10, 0, 0 } },
	{ "entry: count says 2", 18,
	  { 0, 1, 'a', 0, 1, 0, 2, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0, 0 } },
	{ "name: empty", 18,
	  { 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0, 0, 0 } },
	{ "name: space", 18,
	  { 0, 1, ' ', 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0, 0 } },
	{ "name: NUL", 19,
	  { 0, 2, 'a', 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0, 0 } },
	{ "name: longer than the payload", 3, { 0, 9, 'a' } },
	{ "name: 65 bytes", 2, { 0, 65 } },
	{ "prefix: bits past length", 22,
	  { 0, 1, 'a', 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 33, 4, 10, 0, 0, 0 } },
	{ "prefix: host bits set", 22,
	  { 0, 1, 'a', 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 8, 4, 10, 0, 0, 1 } },
	{ "prefix: ipv4 of 3 bytes", 21,
	  { 0, 1, 'a', 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 24, 3, 10, 0, 0 } },
	{ "prefix: 33 bytes", 18,
	  { 0, 1, 'a', 0, 1, 0, 1, 0, 0, 0, 1, 0, 9, 0, 0, 0, 0, 33 } },
	{ "trailing zero byte", 19,
	  { 0, 1, 'a', 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0, 0, 0 } },
	{ "trailing name byte", 19,
	  { 0, 1, 'a', 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0, 0, 'a' } },
	{ "trailing partial group", 21,
	  { 0, 1, 'a', 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0, 0, 1, 'b', 0 } },
};

START_TEST(route_refused)
{
	static const uint8_t good[] = {
		RW_FULL_BEGIN, 1, 'a', 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0, 0
	};
	size_t i;

	ck_assert(route_decode_copy(good, sizeof(good)));
	for (i = 0; i < N_OF(route_bad); i++)
		ck_assert_msg(!route_decode_copy(route_bad[i].b, route_bad[i].len), "%s",
			      route_bad[i].why);
}
END_TEST

/* ---------------------------------------------------------------- SEQREQ */

START_TEST(seqreq_roundtrip)
{
	static const struct rw_seqreq reqs[] = {
		{ 0, 1, "a" },
		{ 0xffff, 255, "node-b.example_1" },
		{ 0x8000, 64, "0123456789012345678901234567890123456789012345678901234567890123" },
	};
	uint8_t buf[4 + NAME_MAX_LEN + 1], *p;
	struct rw_seqreq out;
	size_t i, n;

	for (i = 0; i < N_OF(reqs); i++) {
		n = rw_seqreq_encode(buf, sizeof(buf), &reqs[i]);
		ck_assert_uint_eq(n, 4 + strlen(reqs[i].origin));
		ck_assert_uint_eq(buf[0], reqs[i].seqno >> 8);
		ck_assert_uint_eq(buf[1], reqs[i].seqno & 0xff);
		ck_assert_uint_eq(buf[2], reqs[i].hops);
		ck_assert_uint_eq(buf[3], strlen(reqs[i].origin));
		ck_assert_uint_eq(rw_seqreq_encode(buf, n - 1, &reqs[i]), 0);
		ck_assert_uint_eq(rw_seqreq_encode(buf, sizeof(buf), &reqs[i]), n);
		p = dup_exact(buf, n);
		memset(&out, 0x55, sizeof(out));
		ck_assert(rw_seqreq_decode(p, n, &out));
		ck_assert_uint_eq(out.seqno, reqs[i].seqno);
		ck_assert_uint_eq(out.hops, reqs[i].hops);
		ck_assert_str_eq(out.origin, reqs[i].origin);
		free(p);
		/* every shorter and one longer payload is refused */
		for (size_t cut = 0; cut < n; cut++) {
			p = dup_exact(buf, cut);
			ck_assert_msg(!rw_seqreq_decode(p, cut, &out), "cut %zu", cut);
			free(p);
		}
		buf[n] = 'x';
		p = dup_exact(buf, n + 1);
		ck_assert(!rw_seqreq_decode(p, n + 1, &out));
		free(p);
	}
}
END_TEST

START_TEST(seqreq_refused)
{
	static const struct {
		const char *why;
		uint8_t len;
		uint8_t b[8];
	} bad[] = {
		{ "hops 0", 5, { 0, 1, 0, 1, 'a' } },
		{ "empty name", 4, { 0, 1, 1, 0 } },
		{ "bad name", 5, { 0, 1, 1, 1, '*' } },
		{ "name length past end", 5, { 0, 1, 1, 2, 'a' } },
		{ "name 65 long", 5, { 0, 1, 1, 65, 'a' } },
		{ "trailing byte", 6, { 0, 1, 1, 1, 'a', 0 } },
		{ "three bytes", 3, { 0, 1, 1 } },
	};
	struct rw_seqreq s = { 1, 0, "a" }, out;
	uint8_t buf[80], *p;
	size_t i;

	for (i = 0; i < N_OF(bad); i++) {
		p = dup_exact(bad[i].b, bad[i].len);
		ck_assert_msg(!rw_seqreq_decode(p, bad[i].len, &out), "%s", bad[i].why);
		free(p);
	}
	/* the encoder refuses what the decoder would */
	ck_assert_uint_eq(rw_seqreq_encode(buf, sizeof(buf), &s), 0);
	s.hops = 1;
	s.origin[0] = '\0';
	ck_assert_uint_eq(rw_seqreq_encode(buf, sizeof(buf), &s), 0);
	snprintf(s.origin, sizeof(s.origin), "a b");
	ck_assert_uint_eq(rw_seqreq_encode(buf, sizeof(buf), &s), 0);
	memset(s.origin, 'a', sizeof(s.origin));
	ck_assert_uint_eq(rw_seqreq_encode(buf, sizeof(buf), &s), 0);
}
END_TEST

/* ---------------------------------------------------------------- DIGEST */

START_TEST(digest_roundtrip)
{
	static const struct rw_digest ds[] = {
		{ 0, 0 }, { 1, 0x0102030405060708ull }, { 0xffffffffu, ~0ull },
	};
	uint8_t buf[RW_DIGEST_LEN + 1], *p;
	struct rw_digest out;
	size_t i, cut;

	for (i = 0; i < N_OF(ds); i++) {
		ck_assert_uint_eq(rw_digest_encode(buf, sizeof(buf), &ds[i]), RW_DIGEST_LEN);
		ck_assert_uint_eq(rw_digest_encode(buf, RW_DIGEST_LEN - 1, &ds[i]), 0);
		p = dup_exact(buf, RW_DIGEST_LEN);
		ck_assert(rw_digest_decode(p, RW_DIGEST_LEN, &out));
		ck_assert_uint_eq(out.count, ds[i].count);
		ck_assert(out.sum == ds[i].sum);
		free(p);
		for (cut = 0; cut <= RW_DIGEST_LEN + 1; cut++) {
			if (cut == RW_DIGEST_LEN)
				continue;
			p = dup_exact(buf, cut);
			ck_assert_msg(!rw_digest_decode(p, cut, &out), "len %zu", cut);
			free(p);
		}
	}
	rw_digest_encode(buf, sizeof(buf), &ds[1]);
	ck_assert_uint_eq(buf[3], 1);
	ck_assert_uint_eq(buf[4], 1);
	ck_assert_uint_eq(buf[11], 8);
}
END_TEST

/* ---------------------------------------------------------------- ROUTE_REQ */

START_TEST(route_req)
{
	static const uint8_t zero[2] = { 0, 0 }, one[1] = { 1 }, ff[1] = { 0xff };
	uint8_t *p;

	p = dup_exact(zero, 1);
	ck_assert(rw_route_req_decode(p, RW_ROUTE_REQ_LEN));
	free(p);
	p = dup_exact(zero, 0);
	ck_assert(!rw_route_req_decode(p, 0));
	free(p);
	p = dup_exact(zero, 2);
	ck_assert(!rw_route_req_decode(p, 2));
	free(p);
	ck_assert(!rw_route_req_decode(one, 1));
	ck_assert(!rw_route_req_decode(ff, 1));
}
END_TEST

/* ---------------------------------------------------------------- hash */

START_TEST(entry_hash_fields)
{
	struct rw_entry base = entry("node", 5, 100, "ipv4:10.1.0.0/16"), v[10];
	uint64_t h = rw_entry_hash(&base);
	size_t i, j, n;

	for (n = 0; n < N_OF(v); n++)
		v[n] = base;
	snprintf(v[0].origin, sizeof(v[0].origin), "nodf");
	snprintf(v[1].origin, sizeof(v[1].origin), "node1");
	v[2].seqno = 6;
	v[3].seqno = 5 + 0x100;
	v[4].metric = 101;
	v[5].metric = RW_METRIC_INF;
	v[6].p.a.inst = INST(AP_IPV4, 1);
	v[7].p.bits = 24;
	v[8].p.a.b[1] = 2;
	v[9] = entry("node", 5, 100, "ipv4:*");
	ck_assert(rw_entry_hash(&base) == h);
	for (i = 0; i < n; i++) {
		ck_assert_msg(rw_entry_hash(&v[i]) != h, "variant %zu", i);
		for (j = 0; j < i; j++)
			ck_assert_msg(rw_entry_hash(&v[i]) != rw_entry_hash(&v[j]),
				      "variants %zu and %zu", i, j);
	}
	/* a digest sums hashes: two entries swapping their metrics change it */
	struct rw_entry a = v[7], b = v[8];
	uint64_t s1 = rw_entry_hash(&a) + rw_entry_hash(&b), s2;

	a.metric = 7;
	b.metric = 9;
	s2 = rw_entry_hash(&a) + rw_entry_hash(&b);
	a.metric = 9;
	b.metric = 7;
	ck_assert(s2 != rw_entry_hash(&a) + rw_entry_hash(&b));
	ck_assert(s1 != s2);
}
END_TEST

/* ---------------------------------------------------------------- seqno */

START_TEST(seqno_order)
{
	static const struct {
		uint16_t a, b;
		bool newer;
	} rows[] = {
		{ 1, 0, true },		{ 0, 1, false },	{ 0, 0, false },
		{ 0xffff, 0xffff, false },
		{ 0, 0xffff, true },	/* wrap-around */
		{ 0xffff, 0, false },
		{ 5, 0xfff0, true },	{ 0xfff0, 5, false },
		{ 0x7fff, 0, true },	{ 0, 0x7fff, false },
		{ 0x8000, 0, false },	{ 0, 0x8000, false },	/* half way: neither */
		{ 0x8000, 1, true },	{ 0x8001, 1, false },
		{ 0x7fff, 0xffff, false }, { 0xffff, 0x7fff, false },
		{ 0xfffe, 0x7fff, true },
	};
	size_t i;

	for (i = 0; i < N_OF(rows); i++)
		ck_assert_msg(seqno_newer(rows[i].a, rows[i].b) == rows[i].newer,
			      "seqno_newer(%#x, %#x)", rows[i].a, rows[i].b);
}
END_TEST

/* ---------------------------------------------------------------- dedup */

START_TEST(dedup_in_order_and_duplicates)
{
	struct dedup d;
	uint32_t id;

	memset(&d, 0, sizeof(d));
	for (id = 1000; id < 5000; id++) {
		if (!dedup_check(&d, id) || dedup_check(&d, id))
			ck_abort_msg("id %u", id);
	}
	/* the whole window below the top is remembered */
	for (id = 4999 - (DEDUP_WINDOW - 1); id < 5000; id++)
		if (dedup_check(&d, id))
			ck_abort_msg("id %u again", id);
}
END_TEST

/* Ids arriving out of order within the window are each new once. */
START_TEST(dedup_reordered)
{
	static const uint32_t order[] = { 10, 12, 11, 15, 13, 14, 9, 5, 20, 16, 19, 17, 18 };
	struct dedup d;
	size_t i;

	memset(&d, 0, sizeof(d));
	for (i = 0; i < N_OF(order); i++) {
		ck_assert_msg(dedup_check(&d, order[i]), "id %u", order[i]);
		ck_assert_msg(!dedup_check(&d, order[i]), "id %u again", order[i]);
	}
	for (i = 0; i < N_OF(order); i++)
		ck_assert(!dedup_check(&d, order[i]));
	ck_assert(dedup_check(&d, 6));
	ck_assert(dedup_check(&d, 8));
	/* the oldest id the window still holds, and the first it does not */
	ck_assert(dedup_check(&d, 20 + 2000));
	ck_assert(dedup_check(&d, 20 + 2000 - (DEDUP_WINDOW - 1)));
	ck_assert(!dedup_check(&d, 20 + 2000 - (DEDUP_WINDOW - 1)));
	ck_assert(!dedup_check(&d, 20 + 2000 - DEDUP_WINDOW));	/* too old: a duplicate */
	ck_assert(!dedup_check(&d, 20));
}
END_TEST

/* Ids in serial-number order: 0xffffffff is followed by 0. */
START_TEST(dedup_wrap)
{
	struct dedup d;
	uint32_t id;

	memset(&d, 0, sizeof(d));
	for (id = 0xffffff00u; id != 0x100; id++)
		if (!dedup_check(&d, id))
			ck_abort_msg("id %#x", id);
	for (id = 0xffffff00u; id != 0x100; id++)
		if (dedup_check(&d, id))
			ck_abort_msg("id %#x again", id);
	ck_assert(dedup_check(&d, 0x100));
	/* reordered around the wrap */
	memset(&d, 0, sizeof(d));
	ck_assert(dedup_check(&d, 1));
	ck_assert(dedup_check(&d, 0xffffffffu));
	ck_assert(dedup_check(&d, 0));
	ck_assert(!dedup_check(&d, 0xffffffffu));
	ck_assert(!dedup_check(&d, 0));
	ck_assert(dedup_check(&d, 0xfffffffeu));
}
END_TEST

/* Sliding the window by whole words, by odd amounts and past its end. */
START_TEST(dedup_slide)
{
	static const uint32_t steps[] = { 1, 63, 64, 65, 127, 128, 640, DEDUP_WINDOW - 1,
					  DEDUP_WINDOW, DEDUP_WINDOW + 1, 5000,
					  DEDUP_RESET - DEDUP_WINDOW };
	struct dedup d;
	uint32_t base = 1000000, id, step;
	size_t i;

	for (i = 0; i < N_OF(steps); i++) {
		step = steps[i];
		memset(&d, 0, sizeof(d));
		/* every other id of a full window */
		for (id = base; id < base + DEDUP_WINDOW; id += 2)
			ck_assert(dedup_check(&d, id));
		uint32_t top = base + DEDUP_WINDOW - 2, ntop = top + step;
		ck_assert(dedup_check(&d, ntop));
		/* what slid but stayed inside: seen ids are duplicates, the others new */
		for (id = top; id != top - DEDUP_WINDOW && id >= base; id--) {
			uint32_t back = ntop - id;
			bool was_seen = (id - base) % 2 == 0;
			bool want = back < DEDUP_WINDOW ? !was_seen : false;

			if (dedup_check(&d, id) != want)
				ck_abort_msg("step %u id %u (back %u)", step, id, back);
		}
		ck_assert(!dedup_check(&d, ntop));
	}
	/* exactly one word: bit i moves to bit i + 64 */
	memset(&d, 0, sizeof(d));
	for (id = 0; id < 64; id++)
		ck_assert(dedup_check(&d, id));
	ck_assert(dedup_check(&d, 127));
	for (id = 0; id < 64; id++)
		ck_assert_msg(!dedup_check(&d, id), "id %u", id);
	for (id = 64; id < 127; id++)
		ck_assert_msg(dedup_check(&d, id), "id %u", id);
}
END_TEST

/* An origin that restarted far behind its old ids is believed; one a
 * little behind is taken for an old duplicate. */
START_TEST(dedup_restart)
{
	struct dedup d;

	memset(&d, 0, sizeof(d));
	ck_assert(dedup_check(&d, 100000));
	ck_assert(!dedup_check(&d, 100000 - DEDUP_RESET));	/* old, not a restart */
	ck_assert(!dedup_check(&d, 100000 - DEDUP_WINDOW));
	ck_assert(dedup_check(&d, 100000 - DEDUP_RESET - 1));	/* restart */
	ck_assert(!dedup_check(&d, 100000 - DEDUP_RESET - 1));
	ck_assert(dedup_check(&d, 100000 - DEDUP_RESET));
	ck_assert(dedup_check(&d, 100000 - DEDUP_RESET - 2));
	/* far ahead is simply newer */
	ck_assert(dedup_check(&d, 0x70000000u));
	ck_assert(!dedup_check(&d, 0x70000000u));
	/* restart from a top near the wrap to a small id */
	memset(&d, 0, sizeof(d));
	ck_assert(dedup_check(&d, 0x80000000u));
	ck_assert(dedup_check(&d, 1));		/* 0x7fffffff behind: restart */
	ck_assert(!dedup_check(&d, 1));
	ck_assert(dedup_check(&d, 2));
}
END_TEST

static Suite *routewire_suite(void)
{
	Suite *s = suite_create("routewire");
	TCase *tr = tcase_create("route");
	TCase *tm = tcase_create("messages");
	TCase *td = tcase_create("dedup");

	tcase_set_timeout(tr, 60);
	tcase_add_test(tr, route_roundtrip);
	tcase_add_test(tr, route_wire_layout);
	tcase_add_test(tr, route_group_split);
	tcase_add_test(tr, route_full);
	tcase_add_test(tr, route_add_invalid);
	tcase_add_test(tr, route_flags_only);
	tcase_add_test(tr, route_refused);
	suite_add_tcase(s, tr);
	tcase_add_test(tm, seqreq_roundtrip);
	tcase_add_test(tm, seqreq_refused);
	tcase_add_test(tm, digest_roundtrip);
	tcase_add_test(tm, route_req);
	tcase_add_test(tm, entry_hash_fields);
	tcase_add_test(tm, seqno_order);
	suite_add_tcase(s, tm);
	tcase_add_test(td, dedup_in_order_and_duplicates);
	tcase_add_test(td, dedup_reordered);
	tcase_add_test(td, dedup_wrap);
	tcase_add_test(td, dedup_slide);
	tcase_add_test(td, dedup_restart);
	suite_add_tcase(s, td);
	return s;
}

int main(void)
{
	return check_run(routewire_suite());
}
