#!/usr/bin/env bash
# udp_mtu.sh - path MTU on the UDP data plane.  Nodes a and b: the TLS link
# runs over the hub, UDP over one direct veth pair p1 (MTU 1500; each node
# binds its UDP to its p1 address).  Each node has an ether-gate (tap0,
# MTU 1500, 10.98.0.1/24 on a, .2 on b) and an ip-gate (tun0, MTU 1420,
# 10.99.0.1/24, .2).  The path's MTU is found to be 1500.  A full-size
# Ethernet frame (ping -M do -s 1472 over the TAPs) does not fit one
# datagram: cloud splits it (tx_fragments, rx_reassembled), IP never does.
# Over the TUNs, a 1392-byte DF ping (1420 bytes) gets through and a
# 1393-byte one is refused with "mtu 1420".  Then p1's MTU drops to 1280 at
# both ends: within a few seconds both nodes report the path's MTU as 1280
# (the time is printed, and the gap in DF pings whose datagrams fit 1500
# but not 1280), and nothing is black-holed then: a 5 MB file over TCP
# through the TUNs arrives whole, 1300- and 1392-byte DF pings over the
# TUNs and 1472-byte DF pings over the TAPs get through.  When p1's MTU is back to
# 1500, the path's MTU is found again only at the next upward search (every
# 60 s): that step runs with UDP_MTU_LONG=1 only (it takes about 70 s).
. "$(dirname "$0")/lib.sh"
e2e_begin
need_gates ip-gate ether-gate
need_cmd python3 python3-minimal
need_cmd ping iputils-ping
make_hub
make_ca
for n in a b; do make_node "$n"; make_cert "$n"; done
make_paths a b 1
mapfile -t UDP_A < <(udp_listen_paths a 1)
mapfile -t UDP_B < <(udp_listen_paths b 1)
node_conf a "connect $(addr4 b) $PORT" "${UDP_A[@]}"
node_conf b "${UDP_B[@]}"
start_node a
start_node b
check "a and b link up" wait_links a 1 5
MAC_A=02:00:00:00:0a:01
MAC_B=02:00:00:00:0b:01
start_gate a eth ether-gate -iface_dev tap0 -mac $MAC_A
start_gate b eth ether-gate -iface_dev tap0 -mac $MAC_B
start_gate a ip ip-gate -iface_dev tun0 -address 10.99.0.1/24
start_gate b ip ip-gate -iface_dev tun0 -address 10.99.0.2/24
for n in a b; do
	check "$n's ether-gate attaches" wait_gate "$n" eth
	check "$n's ip-gate attaches" wait_gate "$n" ip
done
in_ns a ip addr add 10.98.0.1/24 dev tap0 && in_ns b ip addr add 10.98.0.2/24 dev tap0 ||
	bail "address the TAPs"
check "a's tap0 has MTU 1500" eval 'in_ns a ip link show tap0 | grep -q "mtu 1500 "'
check "a's tun0 has MTU 1420" eval 'in_ns a ip link show tun0 | grep -q "mtu 1420 "'
check "ping a -> b over the TAPs (10.98.0.2)" wait_ping a 10.98.0.2 5
check "ping a -> b over the TUNs (10.99.0.2)" wait_ping a 10.99.0.2 5

# path_mtu NODE PEER : the MTU NODE reports for its (only) live path to PEER
path_mtu() { link_udp "$1" "$2" '[.paths[] | select(.state == "live") | .mtu] | first'; }
mtu_is() { [ "$(path_mtu "$1" "$2")" = "$3" ]; }
# ip_stat NODE FIELD : a field of the Ip: line of NODE's /proc/net/snmp
ip_stat() {
	in_ns "$1" awk -v f="$2" '/^Ip:/ { if (!n) { for (i = 1; i <= NF; i++) k[i] = $i; n = 1 }
		else for (i = 1; i <= NF; i++) if (k[i] == f) print $i }' /proc/net/snmp
}
# frag_of NODE PEER : "tx_fragments rx_reassembled" of NODE's link to PEER
frag_of() { link_udp "$1" "$2" '"\(.tx_fragments) \(.rx_reassembled)"'; }
# ping_df NODE ADDR SIZE COUNT OUT : COUNT DF pings of SIZE bytes of data,
# output to $T/OUT; true when all are answered
ping_df() {
	in_ns "$1" ping -n -M do -s "$3" -c "$4" -i 0.2 -W 2 "$2" >"$T/$5" 2>&1
	grep -q " $4 received" "$T/$5"
}

check "a's path to b over p1 is live" wait_live_paths a b 1 5
check "b's path to a over p1 is live" wait_live_paths b a 1 5
check "a finds the path's MTU: 1500" wait_for 5 mtu_is a b 1500
check "b finds the path's MTU: 1500" wait_for 5 mtu_is b a 1500
FRAG_CREATES=$(ip_stat a FragCreates) REASM_B=$(ip_stat b ReasmReqds)

# --- a. a full Ethernet frame (1514 bytes) does not fit a 1500 path
read -r frag_a0 reasm_a0 <<<"$(frag_of a b)"
read -r frag_b0 reasm_b0 <<<"$(frag_of b a)"
check "TAPs: ping -M do -s 1472 a -> b: 3 of 3 answered" ping_df a 10.98.0.2 1472 3 ping-tap-1472.out
read -r frag_a reasm_a <<<"$(frag_of a b)"
read -r frag_b reasm_b <<<"$(frag_of b a)"
note "1472-byte pings over the TAPs: a tx_fragments $frag_a0 -> $frag_a, b rx_reassembled $reasm_b0 -> $reasm_b"
check "a split the frames: its tx_fragments grew by 6 or more ($frag_a0 -> $frag_a)" \
	test $(( frag_a - frag_a0 )) -ge 6
check "b put them together: its rx_reassembled grew by 3 or more ($reasm_b0 -> $reasm_b)" \
	test $(( reasm_b - reasm_b0 )) -ge 3
check "b split its replies: its tx_fragments grew by 6 or more ($frag_b0 -> $frag_b)" \
	test $(( frag_b - frag_b0 )) -ge 6

# --- b. the TUN's MTU is 1420
read -r frag_a0 reasm_a0 <<<"$(frag_of a b)"
check "TUNs: ping -M do -s 1392 a -> b: 3 of 3 answered" ping_df a 10.99.0.2 1392 3 ping-tun-1392.out
read -r frag_a reasm_a <<<"$(frag_of a b)"
note "three 1420-byte IP packets over the TUNs on a 1500 path: a's tx_fragments $frag_a0 -> $frag_a"
ping_df a 10.99.0.2 1393 3 ping-tun-1393.out
check "TUNs: ping -M do -s 1393 a -> b: none answered" grep -q " 0 received" "$T/ping-tun-1393.out"
note "ping -s 1393: $(grep -iE 'mtu|frag|too long' "$T/ping-tun-1393.out" | sort | uniq -c | head -n 3 | tr -s ' ' | tr '\n' ';')"
check "TUNs: ping -s 1393 is refused with mtu 1420 (Frag needed / message too long)" \
	grep -qiE '(frag needed.*mtu ?= ?1420|message too long, mtu ?= ?1420)' "$T/ping-tun-1393.out"
check "no IP fragmentation on a, none reassembled on b" \
	eval '[ "$(ip_stat a FragCreates)" = "$FRAG_CREATES" ] && [ "$(ip_stat b ReasmReqds)" = "$REASM_B" ]'

# --- c. p1's MTU drops to 1280 at both ends
log_mark a
log_mark b
# (1328-byte IP packets: one datagram at 1500, too big for one at 1280)
in_ns a ping -n -D -M do -s 1300 -i 0.1 -c 80 -W 1 10.99.0.2 >"$T/ping-drop.out" 2>&1 &
PING=$!
sleep 0.5
DROP_MS=$(now_ms)
in_ns a ip link set p1 mtu 1280 && in_ns b ip link set p1 mtu 1280 || bail "set p1's MTU to 1280"
check "p1 at 1280: a's path MTU drops to 1280 within 10 s" wait_for 10 mtu_is a b 1280
t_a=$(( $(now_ms) - DROP_MS ))
check "p1 at 1280: b's path MTU drops to 1280 within 10 s" wait_for 10 mtu_is b a 1280
t_b=$(( $(now_ms) - DROP_MS ))
note "path MTU 1280 seen by cloudctl after: a $t_a ms, b $t_b ms"
for n in a b; do
	t=$(log_time "$n" "probing its MTU again") &&
		note "$n logs 'probing its MTU again' $(( t - DROP_MS )) ms after the drop"
done
check "p1 at 1280: a logs that big datagrams are lost and probes again" \
	log_new a "datagrams lost, probing its MTU again"
check "p1 at 1280: both paths stay live" \
	eval '[ "$(live_paths a b)" = 1 ] && [ "$(live_paths b a)" = 1 ]'
wait "$PING"
read -r gap _ < <(ping_gap "$T/ping-drop.out")
note "1300-byte DF pings (10/s) over the TUNs across the drop: $(grep -oE '[0-9]+ received' "$T/ping-drop.out") of 80, largest gap $gap ms"

# listens NODE PORT : something accepts TCP on PORT in NODE's namespace.
listens() { in_ns "$1" ss -Hltn "sport = :$2" | grep -q .; }
# send_file FROM TO ADDR PORT SIZE : a SIZE file from FROM to a server on TO
# listening on ADDR:PORT; true when it arrives whole (length and SHA-256).
send_file() {
	local from=$1 to=$2 addr=$3 port=$4 size=$5
	head -c "$size" /dev/urandom >"$T/blob-$port"
	PROC_STDOUT=$T/sink-$port.out start_proc "$to" "sink$port" python3 -c '
import hashlib, socket, sys
s = socket.create_server((sys.argv[1], int(sys.argv[2])))
c, _ = s.accept()
h, n = hashlib.sha256(), 0
while (d := c.recv(65536)):
    h.update(d)
    n += len(d)
print(n, h.hexdigest())' "$addr" "$port"
	wait_for 15 listens "$to" "$port" || { note "sink on $to:$port never listened"; return 1; }
	in_ns "$from" timeout 20 bash -c 'cat "$1" >"/dev/tcp/$2/$3"' - "$T/blob-$port" "$addr" "$port" ||
		return 1
	wait_for 5 grep -qx "$(stat -c %s "$T/blob-$port") $(sha256sum <"$T/blob-$port" | cut -d" " -f1)" \
		"$T/sink-$port.out"
}
read -r frag_a0 reasm_a0 <<<"$(frag_of a b)"
read -r frag_b0 reasm_b0 <<<"$(frag_of b a)"
t0=$(now_ms)
check "p1 at 1280: a 5 MB file over TCP a -> b through the TUNs arrives whole (SHA-256)" \
	send_file a b 10.99.0.2 5001 5M
note "5 MB through the TUNs in $(( $(now_ms) - t0 )) ms (with the sink's start)"
check "p1 at 1280: TUNs: ping -M do -s 1392 a -> b: 3 of 3 answered" \
	ping_df a 10.99.0.2 1392 3 ping-tun-1392-1280.out
check "p1 at 1280: TUNs: ping -M do -s 1300 a -> b: 3 of 3 answered" \
	ping_df a 10.99.0.2 1300 3 ping-tun-1300-1280.out
check "p1 at 1280: TAPs: ping -M do -s 1472 a -> b: 3 of 3 answered" \
	ping_df a 10.98.0.2 1472 3 ping-tap-1472-1280.out
read -r frag_a reasm_a <<<"$(frag_of a b)"
read -r frag_b reasm_b <<<"$(frag_of b a)"
note "p1 at 1280: a tx_fragments $frag_a0 -> $frag_a, b rx_reassembled $reasm_b0 -> $reasm_b"
check "p1 at 1280: a splits 1420-byte IP packets (tx_fragments grew by 3000 or more)" \
	test $(( frag_a - frag_a0 )) -ge 3000
check "p1 at 1280: b reassembles them (rx_reassembled grew by 1500 or more)" \
	test $(( reasm_b - reasm_b0 )) -ge 1500
check "p1 at 1280: still no IP fragmentation on a, none reassembled on b" \
	eval '[ "$(ip_stat a FragCreates)" = "$FRAG_CREATES" ] && [ "$(ip_stat b ReasmReqds)" = "$REASM_B" ]'
check "p1 at 1280: the path's MTU stays 1280 on a and b" \
	eval 'mtu_is a b 1280 && mtu_is b a 1280'
check "p1 at 1280: data is still on UDP" eval 'link_udp a b .on_udp && link_udp b a .on_udp'

# --- p1 back at 1500: found again by the next upward search
in_ns a ip link set p1 mtu 1500 && in_ns b ip link set p1 mtu 1500 || bail "set p1's MTU to 1500"
if [ -n "${UDP_MTU_LONG:-}" ]; then
	UP_MS=$(now_ms)
	check "p1 back at 1500: a's path MTU is 1500 again within 75 s" wait_for 75 mtu_is a b 1500
	note "a's path MTU back at 1500 after $(( $(now_ms) - UP_MS )) ms"
	check "p1 back at 1500: b's path MTU is 1500 again within 10 s more" wait_for 10 mtu_is b a 1500
	note "b's path MTU back at 1500 after $(( $(now_ms) - UP_MS )) ms"
else
	note "skipped: the path's MTU back at 1500 (the next upward search is 60 s away; UDP_MTU_LONG=1 runs it)"
fi
check "p1 back at 1500: TAPs: ping -M do -s 1472 a -> b: 3 of 3 answered" \
	ping_df a 10.98.0.2 1472 3 ping-tap-1472-1500.out

finish
