#!/usr/bin/env bash
# ether_gate.sh - two nodes a and b, each with an ether-gate (tap0:
# 10.98.0.1/24 on a, 10.98.0.2/24 on b) make one Ethernet segment: ARP
# resolves b's MAC on a and ping works; a DHCP server (dnsmasq) on a's TAP
# leases an address to a third TAP, on b; a host h bridged behind a's TAP is
# reached from b, and a's gate learns and announces h's MAC.  A lying gate on
# b sends frames whose Ethernet addresses are not their PACKET's (one claims
# to come from h): a's gate drops and counts them, and keeps h's MAC.
# mac_max is refused above 8190.
. "$(dirname "$0")/lib.sh"
e2e_begin
need_gates ether-gate
need_cmd dnsmasq dnsmasq-base
if command -v udhcpc >/dev/null; then
	DHCPC=(udhcpc)
elif command -v busybox >/dev/null && busybox udhcpc --help >/dev/null 2>&1; then
	DHCPC=(busybox udhcpc)
elif command -v dhclient >/dev/null; then
	DHCPC=(dhclient)
else
	skip "no DHCP client (Debian: busybox or isc-dhcp-client)"
fi
MAC_A=02:00:00:00:0a:01
MAC_B=02:00:00:00:0b:01
MAC_B2=02:00:00:00:0b:02
MAC_H=02:00:00:00:0c:10
make_hub
make_ca
for n in a b; do make_node "$n"; make_cert "$n"; done
node_conf a "connect $(addr4 b) $PORT"
node_conf b
start_node a
start_node b
check "a and b link up" wait_links a 1 5
check "mac_max 8190 is accepted" "$ETHER_GATE" --check-config "$(gate_sock a)" -mac_max 8190
check_not "mac_max 8191 is refused (cloud takes 8192 prefixes a gate)" \
	"$ETHER_GATE" --check-config "$(gate_sock a)" -mac_max 8191

start_gate a eth ether-gate -iface_dev tap0 -mac $MAC_A
start_gate b eth ether-gate -iface_dev tap0 -mac $MAC_B
check "a's ether-gate attaches to cloud" wait_gate a eth
check "b's ether-gate attaches to cloud" wait_gate b eth
check "a's gate subscribes to broadcasts (ether:*)" gate_owns a eth 'ether:*'
check "a's gate owns its MAC" gate_owns a eth "ether:$MAC_A"
check "a's routes list b's MAC from b" wait_route a "ether:$MAC_B" b
check "b's routes list a's MAC from a" wait_route b "ether:$MAC_A" a
in_ns a ip addr add 10.98.0.1/24 dev tap0 && in_ns b ip addr add 10.98.0.2/24 dev tap0 ||
	bail "address the TAPs"

# --- ARP and ping across the mesh
check "ping a -> b (10.98.0.2)" wait_ping a 10.98.0.2 5
check "ARP: a's neighbour 10.98.0.2 has b's TAP MAC" \
	eval 'in_ns a ip neigh show 10.98.0.2 dev tap0 | grep -qi "lladdr $MAC_B"'
check "ping b -> a (10.98.0.1)" wait_ping b 10.98.0.1 3
check "a's cloud counts forwarded packets" counter a 'pkt_forwarded > 0'

# --- DHCP: dnsmasq on a's TAP, a client on a second TAP on b
start_proc a dnsmasq dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
	--interface=tap0 --bind-interfaces --except-interface=lo \
	--dhcp-range=10.98.0.50,10.98.0.60,2m --dhcp-leasefile="$T/dnsmasq.leases" \
	--pid-file= --user=root --log-dhcp
start_gate b dhcp ether-gate -iface_dev tap1 -mac $MAC_B2
check "b's second ether-gate (tap1) attaches" wait_gate b dhcp
# udp67 NODE : a DHCP server listens in NODE's namespace.
udp67() { in_ns "$1" ss -Hlun 'sport = :67' | grep -q .; }
check "dnsmasq serves DHCP on a's tap0" wait_for 5 udp67 a
if [ "${DHCPC[*]}" = dhclient ]; then
	start_proc b dhclient dhclient -d -1 -v -sf /bin/true -lf "$T/dhclient.leases" \
		-pf "$T/dhclient.pid" tap1
	wait_for 15 grep -q fixed-address "$T/dhclient.leases"
	stop_proc b-dhclient
	leased=$(grep -oE 'fixed-address [0-9.]+' "$T/dhclient.leases" 2>/dev/null | tail -1)
	leased=${leased#fixed-address }
else
	in_ns b timeout 20 "${DHCPC[@]}" -i tap1 -n -q -f -s /bin/true -t 5 -T 2 \
		>"$T/udhcpc.out" 2>&1
	leased=$(sed -nE 's/.*lease of ([0-9.]+) obtained.*/\1/p' "$T/udhcpc.out" | tail -1)
fi
note "DHCP client ${DHCPC[*]} on b's tap1 got: ${leased:-nothing}"
check "DHCP: b's tap1 gets an address in 10.98.0.50-60 from a" \
	eval '[[ $leased =~ ^10\.98\.0\.(5[0-9]|60)$ ]]'
check "DHCP: dnsmasq's lease file holds tap1's MAC" grep -qi "$MAC_B2" "$T/dnsmasq.leases"
stop_proc a-dnsmasq
stop_gate b dhcp

# --- MAC learning: host h bridged behind a's TAP
make_ns h
veth a vh h eth0
{ in_ns a ip addr del 10.98.0.1/24 dev tap0 &&
	in_ns a ip link add br0 type bridge &&
	in_ns a ip link set tap0 master br0 &&
	in_ns a ip link set vh master br0 &&
	in_ns a ip addr add 10.98.0.1/24 dev br0 &&
	in_ns a ip link set br0 up &&
	in_ns h ip link set eth0 address $MAC_H &&
	in_ns h ip addr add 10.98.0.10/24 dev eth0; } || bail "bridge a's tap0 with host h"
check "b pings h (10.98.0.10) behind a's bridge" wait_ping b 10.98.0.10 5
check "a's gate announces h's MAC (cloudctl gates)" \
	wait_for 3 gate_owns a eth "ether:$MAC_H"
check "b's routes list h's MAC from a" wait_route b "ether:$MAC_H" a
check "ARP: b's neighbour 10.98.0.10 has h's MAC" \
	eval 'in_ns b ip neigh show 10.98.0.10 dev tap0 | grep -qi "lladdr $MAC_H"'
check "b still pings a through the bridge (10.98.0.1)" wait_ping b 10.98.0.1 3

# --- frames from the mesh must agree with their PACKET
# liar.py SOCKET OWN_MAC A_MAC H_MAC : a gate that owns OWN_MAC and a group
# MAC, and sends to A_MAC frames whose addresses do not match the packet's,
# then one that does.
cat >"$T/liar.py" <<'EOF'
import socket, struct, sys, time
ETHER = 1 << 16
def s8(b): return bytes([len(b)]) + b
def pfx(b): return struct.pack(">IHB", ETHER, 8 * len(b), len(b)) + b
def mac(t): return bytes.fromhex(t.replace(":", ""))
me, a_mac, h_mac = mac(sys.argv[2]), mac(sys.argv[3]), mac(sys.argv[4])
grp = mac("03:00:00:00:0e:01")
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"\x01\x00" + struct.pack(">H", 1) + s8(b"liar"))
assert s.recv(1 << 17)[0] == 1
s.send(b"\x02\x00\x00" + struct.pack(">H", 2) + pfx(me) + pfx(grp))  # REPLACE
time.sleep(1)                   # a's cloud learns that b owns them
def packet(dst, src, frame_dst, frame_src):
    frame = frame_dst + frame_src + b"\x88\xb5" + b"cloudvpn test".ljust(46, b".")
    s.send(b"\x04\x00" + struct.pack(">I", ETHER) + s8(dst) + s8(src) + s8(b"") + frame)
packet(a_mac, me, a_mac, h_mac)         # the frame claims to come from h
packet(a_mac, me, b"\xff" * 6, me)      # a unicast packet, a broadcast frame
packet(a_mac, grp, a_mac, grp)          # a group source
packet(b"", me, a_mac, me)              # a broadcast packet, a unicast frame
packet(a_mac, me, a_mac, me)            # all agree
time.sleep(1)
EOF
in_ns b python3 "$T/liar.py" "$(gate_sock b)" 02:00:00:00:0e:01 $MAC_A $MAC_H >"$T/liar.out" 2>&1
check "the lying gate on b ran" test $? = 0
check "a's gate still announces h's MAC (not moved to b)" gate_owns a eth "ether:$MAC_H"
check "b's routes still list h's MAC from a" has_route b "ether:$MAC_H" a
check "b still pings h (10.98.0.10)" wait_ping b 10.98.0.10 3
stop_gate a eth
check "a's gate counted 4 mismatched packets" log_has a-eth "mismatched packets 4;"
check "a's gate never took h's MAC for moved" log_has a-eth "moved 0,"

finish
