/*
 * flow.h - which flow a packet belongs to, as a 32-bit hash: the
 * instance, source and destination addresses and, for IP (the payload of
 * an ipv4/ipv6 instance, or inside an Ethernet frame), the transport
 * protocol and the TCP/UDP/SCTP ports.  Packets of one flow hash alike, so
 * per-flow multipath keeps them on one path and never reorders them.
 * Pure; reads only within len.
 */
#ifndef CLOUDVPN_FLOW_H
#define CLOUDVPN_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

uint32_t flow_hash(const struct addr *src, const struct addr *dst, const uint8_t *payload,
		   size_t len, uint32_t salt);

#endif
