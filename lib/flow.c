/*
 * flow.c - flow hashing for multipath (see flow.h).
 */
#include "config.h"
#include "flow.h"

#include "wire.h"

static uint32_t mix(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

/* Protocol and ports of an IP packet at p (0 if it is not one). */
static uint32_t ip_ports(const uint8_t *p, size_t len)
{
	size_t hl;
	uint8_t proto;

	if (len < 1)
		return 0;
	if (p[0] >> 4 == 4) {
		if (len < 20)
			return 0;
		hl = (size_t)(p[0] & 0x0f) * 4;
		proto = p[9];
		if (wire_get16(p + 6) & 0x1fff)
			return proto;	/* a later fragment: no ports in it */
	} else if (p[0] >> 4 == 6) {
		if (len < 40)
			return 0;
		hl = 40;
		proto = p[6];	/* extension headers: hashed by protocol only */
	} else {
		return 0;
	}
	if ((proto == 6 || proto == 17 || proto == 132) && len >= hl + 4)
		return (uint32_t)proto << 24 ^ wire_get32(p + hl);
	return proto;
}

uint32_t flow_hash(const struct addr *src, const struct addr *dst, const uint8_t *payload,
		   size_t len, uint32_t salt)
{
	uint32_t h = 2166136261u ^ salt, ports = 0;
	uint8_t v[4];

	wire_put32(v, src->inst);
	h = mix(h, v, 4);
	h = mix(h, src->b, src->len);
	h = mix(h, dst->b, dst->len);
	switch (inst_proto(src->inst)) {
	case AP_IPV4:
	case AP_IPV6:
		ports = ip_ports(payload, len);
		break;
	case AP_ETHER:
		if (len >= 14 && (wire_get16(payload + 12) == 0x0800 ||
				  wire_get16(payload + 12) == 0x86dd))
			ports = ip_ports(payload + 14, len - 14);
		break;
	default:
		break;
	}
	wire_put32(v, ports);
	h = mix(h, v, 4);
	/* finalizer: the low bits pick the next hop */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}
