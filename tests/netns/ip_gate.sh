#!/usr/bin/env bash
# ip_gate.sh - two nodes a and b, each with an ip-gate (tun0: 10.99.0.1/24
# and fd99::1/64 on a, .2 and ::2 on b): they ping each other over IPv4 and
# IPv6 and carry TCP (iperf3, and a file whose checksum is verified); b is
# the gateway of 192.168.50.0/24 (its lan0 has 192.168.50.1, a host behind
# it 192.168.50.10), so a's kernel routes that subnet into its TUN and
# reaches both; a mesh address nobody owns is answered "host unreachable";
# when b's gate stops, its prefixes and a's route go away.
. "$(dirname "$0")/lib.sh"
e2e_begin
need_gates ip-gate
need_cmd iperf3 iperf3
need_cmd python3 python3-minimal
make_hub
make_ca
for n in a b; do make_node "$n"; make_cert "$n"; done
node_conf a "connect $(addr4 b) $PORT"
node_conf b
start_node a
start_node b
check "a and b link up" wait_links a 1 5

start_gate a ip ip-gate -iface_dev tun0 -address 10.99.0.1/24 -address fd99::1/64
start_gate b ip ip-gate -iface_dev tun0 -address 10.99.0.2/24 -address fd99::2/64 \
	-route 192.168.50.0/24
# b's site: b is 192.168.50.1 on lan0, host "site" (192.168.50.10) behind it
make_ns site
veth b lan0 site eth0
{ in_ns b ip addr add 192.168.50.1/24 dev lan0 &&
	in_ns b sysctl -qw net.ipv4.ip_forward=1 &&
	in_ns site ip addr add 192.168.50.10/24 dev eth0 &&
	in_ns site ip route add default via 192.168.50.1; } >/dev/null ||
	bail "b's site 192.168.50.0/24 behind lan0"

check "a's ip-gate attaches to cloud" wait_gate a ip
check "b's ip-gate attaches to cloud" wait_gate b ip
check "a's gate owns ipv4:10.99.0.1" gate_owns a ip ipv4:10.99.0.1
check "a's gate owns ipv6:fd99::1" gate_owns a ip ipv6:fd99::1
check "b's gate owns ipv4:192.168.50.0/24" gate_owns b ip ipv4:192.168.50.0/24
check "a's tun0 has 10.99.0.1/24" \
	eval 'in_ns a ip -4 addr show dev tun0 | grep -q "inet 10.99.0.1/24"'

# --- routes: each node learns what the other's gate owns
check "a's routes list ipv4:10.99.0.2 from b" wait_route a ipv4:10.99.0.2 b
check "a's routes list ipv6:fd99::2 from b" wait_route a ipv6:fd99::2 b
check "a's routes list ipv4:192.168.50.0/24 from b" wait_route a ipv4:192.168.50.0/24 b
check "b's routes list ipv4:10.99.0.1 from a" wait_route b ipv4:10.99.0.1 a
check "a's routes list its own gate's prefix via the gate" \
	jq_ctl a routes 'any(.routes[]; .prefix == "ipv4:10.99.0.1" and (.via | startswith("gate ")))'

# --- ping both ways, both families
check "IPv4 ping a -> b (10.99.0.2)" wait_ping a 10.99.0.2 5
check "IPv4 ping b -> a (10.99.0.1)" wait_ping b 10.99.0.1 3
check "IPv6 ping a -> b (fd99::2)" wait_ping a fd99::2 3
check "IPv6 ping b -> a (fd99::1)" wait_ping b fd99::1 3
check "a's cloud counts forwarded packets" counter a 'pkt_forwarded > 0'
check "a's gate counts packets both ways" gate_get a ip '.rx_packets > 0 and .tx_packets > 0'

# --- TCP: 5 MB a -> b with iperf3, then a 5 MB file checked end to end
# listens NODE PORT : something accepts TCP on PORT in NODE's namespace.
listens() { in_ns "$1" ss -Hltn "sport = :$2" | grep -q .; }
start_proc b iperf3 iperf3 -s -1 -B 10.99.0.2
check "b: iperf3 server listens" wait_for 3 listens b 5201
in_ns a timeout 20 iperf3 -c 10.99.0.2 -n 5M -J >"$T/iperf3.json" 2>&1
rc=$?
check "TCP a -> b: iperf3 -n 5M exits 0 (got $rc)" test "$rc" = 0
# (not sum_received: iperf3's server may stop counting before the last bytes)
check "TCP a -> b: iperf3 sent 5 MB without error" \
	jq -e '.error == null and .end.sum_sent.bytes >= 5242880' "$T/iperf3.json"
note "iperf3: $(jq -r '.end.sum_sent | "\(.bits_per_second / 1e6 | floor) Mbit/s, \(.retransmits) retransmits"' \
	"$T/iperf3.json" 2>/dev/null)"

head -c 5M /dev/urandom >"$T/blob"
PROC_STDOUT=$T/b-sink.out start_proc b sink python3 -c '
import hashlib, socket
s = socket.create_server(("10.99.0.2", 5001))
c, _ = s.accept()
h, n = hashlib.sha256(), 0
while (d := c.recv(65536)):
    h.update(d)
    n += len(d)
print(n, h.hexdigest())'
check "b: the file sink listens" wait_for 3 listens b 5001
in_ns a timeout 20 bash -c 'cat "$1" >/dev/tcp/10.99.0.2/5001' - "$T/blob"
check "TCP a -> b: the 5 MB file arrives whole (length and SHA-256)" \
	wait_for 5 grep -qx "5242880 $(sha256sum <"$T/blob" | cut -d" " -f1)" "$T/b-sink.out"

# the same over IPv6, b -> a this time
head -c 3M /dev/urandom >"$T/blob6"
PROC_STDOUT=$T/a-sink6.out start_proc a sink6 python3 -c '
import hashlib, socket
s = socket.create_server(("fd99::1", 5002), family=socket.AF_INET6)
c, _ = s.accept()
h, n = hashlib.sha256(), 0
while (d := c.recv(65536)):
    h.update(d)
    n += len(d)
print(n, h.hexdigest())'
check "a: the IPv6 file sink listens" wait_for 3 listens a 5002
in_ns b timeout 20 bash -c 'cat "$1" >/dev/tcp/fd99::1/5002' - "$T/blob6"
check "TCP over IPv6 b -> a: the 3 MB file arrives whole (length and SHA-256)" \
	wait_for 5 grep -qx "3145728 $(sha256sum <"$T/blob6" | cut -d" " -f1)" "$T/a-sink6.out"

# --- b is the gateway of 192.168.50.0/24
# kernel_route NODE PREFIX : NODE's kernel routes PREFIX into tun0.
kernel_route() { in_ns "$1" ip route show "$2" | grep -q "dev tun0"; }
check "a's kernel routes 192.168.50.0/24 into tun0" wait_for 3 kernel_route a 192.168.50.0/24
check "a pings 192.168.50.1 (b's lan0)" wait_ping a 192.168.50.1 3
check "a pings 192.168.50.10 (a host behind b)" wait_ping a 192.168.50.10 3
check_not "a installs no route for its own subnet's neighbour 10.99.0.2/32" \
	eval 'in_ns a ip route show 10.99.0.2 | grep -q .'

# --- an address nobody owns
before=$(counter a pkt_unroutable)
in_ns a ping -n -c 2 -W 1 10.99.0.77 >"$T/ping-unowned.out" 2>&1
check "ping 10.99.0.77 (nobody): Destination Host Unreachable" \
	grep -q "Destination Host Unreachable" "$T/ping-unowned.out"
in_ns a ping -n -c 2 -W 1 fd99::77 >"$T/ping-unowned6.out" 2>&1
check "ping fd99::77 (nobody): Destination unreachable" \
	grep -qi "Destination unreachable" "$T/ping-unowned6.out"
check "a's counter pkt_unroutable grows (was $before)" counter a "pkt_unroutable > $before"
check "a's gate counts unroutable packets" gate_get a ip '.unroutable > 0'

# --- b's gate goes: its prefixes leave a's routes and kernel
stop_gate b ip
check "b's gate gone: b lists no gates" wait_for 3 eval '[ "$(gate_count b)" = 0 ]'
check "b's gate gone: a's routes drop ipv4:10.99.0.2" wait_for 3 eval '! has_route a ipv4:10.99.0.2'
check "b's gate gone: a's kernel route to 192.168.50.0/24 goes" \
	wait_for 3 eval '! kernel_route a 192.168.50.0/24'
check "a's gate is still attached" gate_listed a ip

finish
