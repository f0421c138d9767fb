#!/usr/bin/env bash
# ip_gate.sh - two nodes a and b, each with an ip-gate (tun0: 10.99.0.1/24
# and fd99::1/64 on a, .2 and ::2 on b; a's iface_up_cmd finds no stray fd
# left open for it): they ping each other over IPv4 and IPv6 and carry TCP
# (iperf3, and a file whose checksum is verified); b's gate clamps the MSS
# of TCP SYNs to 1200, both ways, over IPv4 and IPv6; b is the gateway of
# 192.168.50.0/24 (its lan0 has 192.168.50.1, a host behind it
# 192.168.50.10), so a's kernel routes that subnet into its TUN and reaches
# both; a mesh address nobody owns is answered "host unreachable"; when b's
# gate stops, its prefixes and a's route go away.  Then b announces what
# must not be routed: the underlay (10.77.0.0/24, fd77::/64), half the
# Internet (0.0.0.0/1, 128.0.0.0/1) and prefixes a routes elsewhere already:
# a's kernel takes none of them into tun0 (a's own routes keep precedence),
# a says why, and its link to b stays up.  With -accept_route
# 192.168.50.0/24, a routes nothing else of b's.  An address that overlaps
# a routed prefix takes its route away while it exists.  Deleting a's tun0
# makes its ip-gate stop with status 1.
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

# a's iface_up_cmd lists its open fds and ip-gate's
start_gate a ip ip-gate -iface_dev tun0 -address 10.99.0.1/24 -address fd99::1/64 \
	-iface_up_cmd "find /proc/\$\$/fd/ -mindepth 1 -printf '%f %l\n' >'$T/a-up-fds.sh';
		find /proc/\$PPID/fd/ -mindepth 1 -printf '%f %l\n' >'$T/a-up-fds.gate'"
start_gate b ip ip-gate -iface_dev tun0 -address 10.99.0.2/24 -address fd99::2/64 \
	-route 192.168.50.0/24 -mss_clamp 1200
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
check "a's iface_up_cmd ran" test -s "$T/a-up-fds.sh"
# what the script holds open that ip-gate does not: /dev/null left by tun.c
leaked=$(comm -23 <(sort "$T/a-up-fds.sh") <(sort "$T/a-up-fds.gate") |
	awk '$1 > 2 && $2 == "/dev/null"' | tr '\n' ' ')
check "a's iface_up_cmd inherits no stray /dev/null fd (got: $leaked)" test -z "$leaked"
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

# send_file FROM TO ADDR PORT SIZE : a SIZE file from FROM to a server on TO
# listening on ADDR:PORT; true when it arrives whole (length and SHA-256).
# The server is python3, which can take a while to start on a loaded box.
send_file() {
	local from=$1 to=$2 addr=$3 port=$4 size=$5 fam=AF_INET
	case $addr in *:*) fam=AF_INET6 ;; esac
	head -c "$size" /dev/urandom >"$T/blob-$port"
	PROC_STDOUT=$T/sink-$port.out start_proc "$to" "sink$port" python3 -c '
import hashlib, socket, sys
s = socket.create_server((sys.argv[1], int(sys.argv[2])), family=getattr(socket, sys.argv[3]))
c, _ = s.accept()
h, n = hashlib.sha256(), 0
while (d := c.recv(65536)):
    h.update(d)
    n += len(d)
print(n, h.hexdigest())' "$addr" "$port" "$fam"
	wait_for 15 listens "$to" "$port" || { note "sink on $to:$port never listened"; return 1; }
	in_ns "$from" timeout 20 bash -c 'cat "$1" >"/dev/tcp/$2/$3"' - "$T/blob-$port" "$addr" "$port" ||
		return 1
	wait_for 5 grep -qx "$(stat -c %s "$T/blob-$port") $(sha256sum <"$T/blob-$port" | cut -d" " -f1)" \
		"$T/sink-$port.out"
}
check "TCP a -> b: a 5 MB file arrives whole (length and SHA-256)" \
	send_file a b 10.99.0.2 5001 5M
check "TCP over IPv6 b -> a: a 3 MB file arrives whole (length and SHA-256)" \
	send_file b a fd99::1 5002 3M

# --- MSS clamping: only b's gate has -mss_clamp 1200, so a connection from
# a to b gets 1200 at b's end from a's SYN (clamped on its way into b's
# tun0) and at a's end from b's SYN-ACK (clamped on its way out of it).
# Without the clamp both would be 1420 - 40 (IPv4) or - 60 (IPv6).
# tcp_mss FROM TO ADDR PORT : connect from FROM to TO's ADDR:PORT; true when
# the TCP_MAXSEG of both ends (in $T/mss-PORT.client and .server) is <= 1200.
tcp_mss() {
	local from=$1 to=$2 addr=$3 port=$4 fam=AF_INET c s
	case $addr in *:*) fam=AF_INET6 ;; esac
	PROC_STDOUT=$T/mss-$port.server start_proc "$to" "mss$port" python3 -c '
import socket, sys
s = socket.create_server((sys.argv[1], int(sys.argv[2])), family=getattr(socket, sys.argv[3]))
c, _ = s.accept()
print(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG), flush=True)
c.recv(1)' "$addr" "$port" "$fam"
	wait_for 15 listens "$to" "$port" || { note "mss server on $to:$port never listened"; return 1; }
	in_ns "$from" timeout 10 python3 -c '
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
print(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))' "$addr" "$port" \
		>"$T/mss-$port.client" || return 1
	wait_for 5 test -s "$T/mss-$port.server" || return 1
	c=$(cat "$T/mss-$port.client") s=$(cat "$T/mss-$port.server")
	note "MSS to $addr: client $c, server $s" >&2
	[ "$c" -gt 0 ] && [ "$c" -le 1200 ] && [ "$s" -gt 0 ] && [ "$s" -le 1200 ]
}
check "mss_clamp 1200: TCP a -> b (10.99.0.2) gets MSS <= 1200 at both ends" \
	tcp_mss a b 10.99.0.2 5003
check "mss_clamp 1200: TCP a -> b (fd99::2) gets MSS <= 1200 at both ends" \
	tcp_mss a b fd99::2 5004
# with the TUN handed to cloud (gate_handoff, the default), cloud clamps
# and counts; otherwise the gate does, and logs the count when it stops
if [ "$(gate_get b ip .device)" != null ]; then
	check "b's cloud counted clamped SYNs of the handed-over TUN" \
		gate_get b ip '.device.mss_clamped >= 4'
	B_CLAMP_BY=cloud
fi

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
[ "${B_CLAMP_BY:-}" = cloud ] ||
	check "b's gate counted clamped SYNs" log_has b-ip "mss clamped [1-9]"

# --- b announces what must not be routed (ip-gate.8, ROUTES)
{ in_ns a ip route add 172.31.0.0/16 via 10.77.0.254 metric 1024 &&
	in_ns a ip route add 172.30.0.0/16 via 10.77.0.254; } || bail "a's own routes to 172.30-31/16"
log_mark a-ip
start_gate b ip ip-gate -iface_dev tun0 -address 10.99.0.2/24 -route 192.168.50.0/24 \
	-route 172.16.0.0/16 -route 172.30.0.0/16 -route 172.31.0.0/16 -route 10.77.0.0/24 \
	-route fd77::/64 \
	-route 0.0.0.0/1 -route 128.0.0.0/1
check "b's ip-gate is back, announcing the underlay and 0.0.0.0/1" wait_gate b ip
for p in 10.77.0.0/24 0.0.0.0/1 172.30.0.0/16 172.31.0.0/16 172.16.0.0/16; do
	check "a's routes list ipv4:$p from b" wait_route a "ipv4:$p" b
done
check "a's routes list ipv6:fd77::/64 from b" wait_route a ipv6:fd77::/64 b
# proto_route NODE PREFIX : NODE's kernel routes PREFIX into tun0 with
# ip-gate's protocol (207).
proto_route() { in_ns "$1" ip route show "$2" proto 207 | grep -q "dev tun0"; }
check "a's kernel routes 172.16.0.0/16 into tun0, proto 207" wait_for 3 proto_route a 172.16.0.0/16
check "a's kernel routes 192.168.50.0/24 into tun0 again" wait_for 3 kernel_route a 192.168.50.0/24
check_not "a's kernel has no route 0.0.0.0/1" eval 'in_ns a ip route show 0.0.0.0/1 | grep -q .'
check_not "a's kernel has no route 128.0.0.0/1" eval 'in_ns a ip route show 128.0.0.0/1 | grep -q .'
check "a's only route to 10.77.0.0/24 is eth0's" \
	eval '[ "$(in_ns a ip route show 10.77.0.0/24 | grep -c .)" = 1 ] &&
		in_ns a ip route show 10.77.0.0/24 | grep -q "dev eth0"'
check_not "a's kernel routes no 10.77.0.0/24 into tun0" kernel_route a 10.77.0.0/24
check_not "a's kernel routes no fd77::/64 into tun0" \
	eval 'in_ns a ip -6 route show fd77::/64 | grep -q tun0'
check "a's route to 10.77.0.2 (b's underlay) goes out eth0" \
	eval 'in_ns a ip route get 10.77.0.2 | grep -q "dev eth0"'
check "a's own route to 172.31.0.0/16 is untouched" \
	eval 'in_ns a ip route show 172.31.0.0/16 | grep -q "via 10.77.0.254 dev eth0"'
check_not "a's kernel routes no 172.31.0.0/16 into tun0" kernel_route a 172.31.0.0/16
check "a's own route to 172.30.0.0/16 (metric 0) keeps precedence" \
	eval 'in_ns a ip route get 172.30.0.1 | grep -q "via 10.77.0.254 dev eth0"'
check "a's link to b stays up (3 s)" always_for 3 up_is a 1
check "a pings 192.168.50.10 behind b" wait_ping a 192.168.50.10 3
check "a logs why not 10.77.0.0/24: it overlaps eth0's subnet" \
	log_new a-ip "not routing ipv4:10.77.0.0/24 .*overlaps 10.77.0.0/24"
check "a logs why not fd77::/64: it overlaps eth0's subnet" \
	log_new a-ip "not routing ipv6:fd77::/64 .*overlaps fd77::/64"
check "a logs why not 0.0.0.0/1: shorter than /8" \
	log_new a-ip "not routing ipv4:0.0.0.0/1 .*shorter than /8"
check "a logs why not 172.31.0.0/16: a route it did not add" \
	log_new a-ip "not routing ipv4:172.31.0.0/16 .*did not add"
check "a logs the refusal of 0.0.0.0/1 once" test "$(log_count a-ip "not routing ipv4:0.0.0.0/1")" = 1

# --- a's gate exits: only its own routes go
stop_gate a ip
check "a's gate exit: no route of proto 207 is left" \
	eval '[ -z "$(in_ns a ip route show proto 207)" ]'
check "a's gate exit: a's own routes to 172.30-31/16 stay" \
	eval 'in_ns a ip route show 172.31.0.0/16 | grep -q "via 10.77.0.254" &&
		in_ns a ip route show 172.30.0.0/16 | grep -q "via 10.77.0.254"'

# --- accept_route: the strict setting
log_mark a-ip
start_gate a ip ip-gate -iface_dev tun0 -address 10.99.0.1/24 -accept_route 192.168.50.0/24
check "a's ip-gate (accept_route 192.168.50.0/24) attaches" wait_gate a ip
check "accept_route: a's kernel routes 192.168.50.0/24 into tun0" \
	wait_for 3 proto_route a 192.168.50.0/24
check "accept_route: a pings 192.168.50.10" wait_ping a 192.168.50.10 3
check "accept_route: a logs that 172.16.0.0/16 is outside it" \
	wait_for 3 log_new a-ip "not routing ipv4:172.16.0.0/16 .*outside every accept_route"
check_not "accept_route: a's kernel routes no 172.16.0.0/16" \
	eval 'in_ns a ip route show 172.16.0.0/16 | grep -q .'

# --- an address appears on another interface: what overlaps it is not
# routed any more, and is again once it is gone
log_mark a-ip
in_ns a ip addr add 192.168.50.129/25 dev lo || bail "add 192.168.50.129/25 to a's lo"
check "192.168.50.129/25 on a's lo: a's route to 192.168.50.0/24 goes" \
	wait_for 3 eval '! proto_route a 192.168.50.0/24'
check "a logs why: 192.168.50.0/24 overlaps 192.168.50.128/25" \
	log_new a-ip "not routing ipv4:192.168.50.0/24 .*overlaps 192.168.50.128/25"
in_ns a ip addr del 192.168.50.129/25 dev lo
check "192.168.50.129/25 gone: a routes 192.168.50.0/24 into tun0 again" \
	wait_for 3 proto_route a 192.168.50.0/24

# --- the TUN goes away under the gate: it stops (status 1), no busy loop
in_ns a ip link del tun0 || bail "delete a's tun0"
check "a's ip-gate exits once tun0 is gone" wait_for 3 eval '! gate_alive a ip'
stop_gate a ip
rc=$?
check "a's ip-gate exit status is 1 (got $rc)" test "$rc" = 1
check "a's ip-gate logs the read error" log_new a-ip "tun0: read: .*stopping"

finish
