/*
 * fuzz_udp.c - libFuzzer target for lib/udpwire.c and lib/replay.c: what
 * anyone on the Internet can put in a datagram before its tag is checked,
 * what a peer can put in its UDP offer, and the receive window.
 *
 * Input: byte 0 picks the target (taken mod 5), the rest is its input:
 *   0  a whole datagram: the header, then the probe or fragment plaintext
 *      it announces (as if the tag had verified)
 *   1  a probe plaintext        2  a fragment header and its bytes
 *   3  an offer                 4  a run of the replay window (below)
 * Each decoder's verdict must match a plain restatement of its rules in
 * udpwire.h, and whatever decodes must encode to the same bytes and decode
 * to the same value.  The window must agree on every counter with a
 * reference that keeps the accepted counters in a list.  Anything else
 * abort()s.
 */
#include "config.h"
#include "replay.h"
#include "udpwire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* An exact-size copy, so that an overread is a crash. */
static uint8_t *dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *q = malloc(len ? len : 1);

	check(q != NULL);
	if (len)
		memcpy(q, p, len);
	return q;
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* ---------------------------------------------------------------- probe */

static bool probe_valid(const uint8_t *p, size_t len)
{
	size_t i;

	if (len < UDPW_PROBE_LEN || p[1] != 0)
		return false;
	if (p[0] != UDPW_PROBE_REQ && (p[0] != UDPW_PROBE_REPLY || len != UDPW_PROBE_LEN))
		return false;
	for (i = UDPW_PROBE_LEN; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void check_probe(const uint8_t *p, size_t len)
{
	struct udpw_probe pr, pr2;
	uint8_t *out;
	size_t pad;

	check(udpw_probe_decode(p, len, &pr) == probe_valid(p, len));
	if (!probe_valid(p, len))
		return;
	pad = len > UDPW_PROBE_LEN ? len : 0;
	out = malloc(len);
	check(out != NULL);
	check(udpw_probe_encode(out, len, &pr, pad) == len);
	check(!memcmp(out, p, len));
	check(udpw_probe_encode(out, len - 1, &pr, pad) == 0);
	check(udpw_probe_decode(out, len, &pr2));
	check(pr2.kind == pr.kind && pr2.path == pr.path && pr2.size == pr.size &&
	      pr2.time == pr.time && pr2.token == pr.token);
	free(out);
}

/* ---------------------------------------------------------------- fragment */

static bool frag_valid(const uint8_t *p, size_t len)
{
	return len > UDPW_FRAG_HDR_LEN && p[1] >= 2 && p[1] <= UDPW_FRAG_MAX &&
	       p[0] < p[1] &&
	       ((size_t)p[2] << 8 | p[3]) + (len - UDPW_FRAG_HDR_LEN) <= 65535;
}

static void check_frag(const uint8_t *p, size_t len)
{
	uint8_t out[UDPW_FRAG_HDR_LEN];
	struct udpw_frag f;

	check(udpw_frag_get(p, len, &f) == frag_valid(p, len));
	if (!frag_valid(p, len))
		return;
	check(f.index < f.count && f.count >= 2 && f.count <= UDPW_FRAG_MAX);
	udpw_frag_put(out, &f);
	check(!memcmp(out, p, sizeof(out)));
}

/* ---------------------------------------------------------------- datagram */

static bool hdr_valid(const uint8_t *p, size_t len)
{
	if (len < UDPW_OVERHEAD || (p[1] & ~UDPW_F_KNOWN) || be64(p + 8) == 0)
		return false;
	if (p[0] == UDPW_DATA)
		return len > UDPW_OVERHEAD;
	return p[0] == UDPW_PROBE && !(p[1] & (UDPW_F_FRAG | UDPW_F_ORDER | UDPW_F_SHORT));
}

/* The plaintext as the header announces it, in an exact-size copy. */
static void check_plaintext(const struct udpw_hdr *h, const uint8_t *p, size_t len)
{
	uint8_t *q = dup_exact(p, len);

	if (h->type == UDPW_PROBE)
		check_probe(q, len);
	else if (h->flags & UDPW_F_FRAG)
		check_frag(q, len);
	free(q);
}

static void check_dgram(const uint8_t *p, size_t len)
{
	struct udpw_hdr h, h2;
	uint8_t out[UDPW_HDR_LEN], *q;
	uint16_t path;
	size_t i;

	check(udpw_hdr_get(p, len, &h) == hdr_valid(p, len));
	if (!hdr_valid(p, len))
		return;
	udpw_hdr_put(out, &h);
	check(!memcmp(out, p, sizeof(out)));
	/* a new path id changes bytes 2-3 and nothing else */
	q = dup_exact(p, len);
	path = (uint16_t)~h.path;
	udpw_set_path(q, path);
	for (i = 0; i < len; i++)
		check(i == 2 || i == 3 || q[i] == p[i]);
	check(udpw_hdr_get(q, len, &h2));
	check(h2.path == path && h2.type == h.type && h2.flags == h.flags &&
	      h2.index == h.index && h2.counter == h.counter);
	free(q);
	check_plaintext(&h, p + UDPW_HDR_LEN, len - UDPW_OVERHEAD);
}

/* ---------------------------------------------------------------- offer */

static void check_offer(const uint8_t *p, size_t len)
{
	struct udpw_offer o, o2, keep;
	uint8_t *out;
	size_t i;

	memset(&o, 0x5a, sizeof(o));
	keep = o;
	if (!udpw_offer_decode(p, len, &o)) {
		check(!memcmp(&o, &keep, sizeof(o)));
		return;
	}
	check(len >= 7 && p[0] == 1 && o.index != 0 && o.n <= UDPW_OFFER_MAX_EP);
	check(o.cipher == UDPW_AES256GCM || o.cipher == UDPW_CHACHA20POLY1305);
	for (i = 0; i < o.n; i++)
		check((o.ep[i].family == 4 || o.ep[i].family == 6) && o.ep[i].port != 0);
	out = malloc(len);
	check(out != NULL);
	check(udpw_offer_encode(out, len, &o) == len);
	check(!memcmp(out, p, len));
	check(udpw_offer_encode(out, len - 1, &o) == 0);
	check(udpw_offer_decode(out, len, &o2));
	check(o2.cipher == o.cipher && o2.index == o.index && o2.n == o.n);
	for (i = 0; i < o.n; i++)
		check(o2.ep[i].family == o.ep[i].family && o2.ep[i].port == o.ep[i].port &&
		      !memcmp(o2.ep[i].addr, o.ep[i].addr, sizeof(o.ep[i].addr)));
	free(out);
}

/* ---------------------------------------------------------------- replay */

/*
 * Input: one byte b, the window asked for (b * 32 packets), then records:
 * an op byte and its counter.  Op bits 0-1 say how the counter is given:
 * 0 eight bytes; 1 top + 1 + two bytes; 2 top - two bytes; 3 top - size +
 * one signed byte (the edge).  Bit 2: commit if new (else the packet was
 * forged).  Bit 3: commit whatever the verdict (a caller that checked a
 * batch first: the window ignores what is below it).  Bit 4: reset first.
 */
struct reference {
	uint64_t top, size;
	uint64_t *acc;		/* accepted counters inside the window */
	size_t n;
};

static enum replay_verdict ref_check(const struct reference *r, uint64_t ctr)
{
	size_t i;

	if (ctr == 0)
		return REPLAY_OLD;
	if (ctr > r->top)
		return REPLAY_NEW;
	if (r->top - ctr >= r->size)
		return REPLAY_OLD;
	for (i = 0; i < r->n; i++)
		if (r->acc[i] == ctr)
			return REPLAY_DUP;
	return REPLAY_NEW;
}

static void ref_commit(struct reference *r, uint64_t ctr)
{
	size_t i, j;

	if (ref_check(r, ctr) != REPLAY_NEW)
		return;
	r->acc[r->n++] = ctr;
	if (ctr <= r->top)
		return;
	r->top = ctr;
	for (i = j = 0; i < r->n; i++)
		if (r->top - r->acc[i] < r->size)
			r->acc[j++] = r->acc[i];
	r->n = j;
}

/* The window and the reference agree around everything they hold. */
static void compare_all(const struct replay *w, const struct reference *r)
{
	uint64_t edge[] = { 0, 1, r->top, r->top + 1, r->top - r->size,
			    r->top - r->size + 1, UINT64_MAX };
	size_t i;

	check(w->top == r->top && w->size == r->size);
	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		check(replay_check(w, edge[i]) == ref_check(r, edge[i]));
	for (i = 0; i < r->n; i++) {
		check(replay_check(w, r->acc[i]) == REPLAY_DUP);
		check(replay_check(w, r->acc[i] - 1) == ref_check(r, r->acc[i] - 1));
		check(replay_check(w, r->acc[i] + 1) == ref_check(r, r->acc[i] + 1));
	}
}

static void check_replay(const uint8_t *p, size_t len)
{
	struct reference ref = { 0 };
	struct replay w;
	size_t off = 1, need;
	enum replay_verdict v;
	uint64_t ctr;
	uint8_t op;

	if (len < 1 || replay_init(&w, (uint32_t)p[0] * 32) != 0)
		return;
	check(w.nwords >= 2 && !(w.nwords & (w.nwords - 1)));
	check(w.size == (w.nwords - 1) * 64 && w.size >= (uint32_t)p[0] * 32);
	ref.size = w.size;
	ref.acc = malloc(len * sizeof(*ref.acc));
	check(ref.acc != NULL);
	while (off < len) {
		op = p[off++];
		need = (op & 3) == 0 ? 8 : (op & 3) == 3 ? 1 : 2;
		if (len - off < need)
			break;
		switch (op & 3) {
		case 0:
			ctr = be64(p + off);
			break;
		case 1:
			ctr = ref.top + 1 + ((uint64_t)p[off] << 8 | p[off + 1]);
			break;
		case 2:
			ctr = ref.top - ((uint64_t)p[off] << 8 | p[off + 1]);
			break;
		default:
			ctr = ref.top - ref.size + (uint64_t)(int64_t)(int8_t)p[off];
			break;
		}
		off += need;
		if (op & 0x10) {
			replay_reset(&w);
			ref.top = 0;
			ref.n = 0;
		}
		v = replay_check(&w, ctr);
		check(v == ref_check(&ref, ctr));
		if ((op & 0x08) || ((op & 0x04) && v == REPLAY_NEW)) {
			replay_commit(&w, ctr);
			ref_commit(&ref, ctr);
		}
		check(w.top == ref.top);
	}
	compare_all(&w, &ref);
	free(ref.acc);
	replay_free(&w);
	check(w.bits == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 5) {
	case 0:
		check_dgram(data + 1, size - 1);
		break;
	case 1:
		check_probe(data + 1, size - 1);
		break;
	case 2:
		check_frag(data + 1, size - 1);
		break;
	case 3:
		check_offer(data + 1, size - 1);
		break;
	default:
		check_replay(data + 1, size - 1);
		break;
	}
	return 0;
}
