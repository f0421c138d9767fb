#!/usr/bin/env bash
# udp_paths.sh - the UDP data plane between two nodes a and b.  The TLS link
# runs over the hub; two direct veth pairs p1 and p2 carry the UDP paths
# (both nodes udp_listen on both, so a has four paths to b, two of them
# "cross", e.g. 10.102.0.1 -> 10.101.0.2, which leaves through p1); ip-gates
# tun0 10.99.0.1/24 on a and .2 on b; udp_policy duplicate on both.
#   a. pings and an iperf3 burst a -> b go on UDP: a's tx_udp and b's
#      rx_udp grow by at least what was sent, tx_tls does not grow;
#   b. nothing crosses the underlay in clear: while a pings b with a known
#      pattern (ping -p) and sends UDP messages with a distinctive string,
#      captures on b's p1 and p2 hold UDP port 7000 traffic but neither the
#      string nor the pattern (as bytes or as hex text); the control, a
#      capture on b's tun0, holds both;
#   c. duplicate: nftables on b drops 30% of the UDP datagrams arriving on
#      p1 and, independently, 30% of those on p2; 300 pings at 10 ms lose
#      far fewer than 30% (each goes four ways), ping sees no DUP!, and the
#      receivers' per-path duplicates counters grow (dedup did its job);
#   d. primary, set live by cloudctl on both: under an 8 s iperf3 TCP
#      stream, a's primary path's underlay link goes down 2 s in: iperf3
#      completes, and the largest gap between replies of a ping every 50 ms
#      stays under 2 s (udp_path_timeout 1s); the link comes back and its
#      paths go live again;
#   e. all UDP on port 7000 dropped both ways on both nodes: every path
#      goes dead, pings still get through on the TLS link (tx_tls grows,
#      tx_udp does not); the rule goes: paths live again, data back on UDP
#      (tx_udp grows, tx_tls stops);
#   f. replay: data datagrams a -> b captured on b's p1/p2 are sent again,
#      byte for byte from a's addresses and port, seconds later (raw
#      socket in a's namespace): they reach b's input (nft counter), b
#      counts them replayed (or too old), none reaches b's gate or tun0, and
#      none counts as a bad tag (they are authentic, only old); a forged
#      one (its counter moved far ahead, so its tag fails) counts as a bad
#      tag, is not delivered, and does not move b's window: a's next pings
#      are delivered on UDP.
. "$(dirname "$0")/lib.sh"
e2e_begin
need_gates ip-gate
need_cmd iperf3 iperf3
need_cmd tcpdump tcpdump
need_cmd nft nftables
need_cmd python3 python3-minimal
make_hub
make_ca
for n in a b; do make_node "$n"; make_cert "$n"; done
make_paths a b 2
UDP_OPTS=("udp_policy duplicate" "udp_keepalive 250ms" "udp_path_timeout 1s")
mapfile -t LISTEN_A < <(udp_listen_paths a 2)
mapfile -t LISTEN_B < <(udp_listen_paths b 2)
node_conf a "connect $(addr4 b) $PORT" "${LISTEN_A[@]}" "${UDP_OPTS[@]}"
node_conf b "${LISTEN_B[@]}" "${UDP_OPTS[@]}"
start_node a
start_node b
check "a and b link up" wait_links a 1 5
tun_pair a b
check "a has 4 live paths to b (2 sockets x 2 endpoints)" wait_live_paths a b 4 10
check "b has 4 live paths to a" wait_live_paths b a 4 10
check "a's link to b: policy duplicate, ciphers agreed" \
	link_udp a b '.policy == "duplicate" and .cipher_tx == .cipher_rx and .cipher_rx != "none"'
check "a has two UDP sockets" status_get a '.udp.sockets == 2'

# udp NODE PEER FIELD : a counter of NODE's UDP view of its link to PEER
udp() { link_udp "$1" "$2" ".$3"; }
# paths_sum NODE PEER FIELD : FIELD summed over NODE's paths to PEER
paths_sum() { link_udp "$1" "$2" "[.paths[].$3] | add // 0"; }
# tun_stat NODE rx|tx : packets through NODE's tun0 (rx: into the kernel)
tun_stat() { in_ns "$1" ip -j -s link show tun0 | jq -er ".[0].stats64.$2.packets"; }
# ping_stat FILE : "TRANSMITTED RECEIVED" from ping's summary
ping_stat() {
	sed -nE 's/^([0-9]+) packets transmitted, ([0-9]+) received.*/\1 \2/p' "$1"
}
# tls_bound N : how many of N data packets may go on TLS while paths are
# live.  None should: a packet takes TLS only while no path is live, and
# a path dies after udp_path_timeout (1s) without an answer.  1% leaves room
# for a stall of this shared machine long enough to kill every path at
# once; a data plane stuck on TLS would put ~100% there.
tls_bound() { echo $(( $1 / 100 )); }
# listens NODE PORT : something accepts TCP on PORT in NODE's namespace
listens() { in_ns "$1" ss -Hltn "sport = :$2" | grep -q .; }
# iperf3_server TAG : a one-test iperf3 server on b's 10.99.0.2, its JSON
# report (0.2 s intervals) in $T/TAG.json
iperf3_server() {
	PROC_STDOUT=$T/$1.json start_proc b "$1" iperf3 -s -1 -J -i 0.2 -B 10.99.0.2
	wait_for 5 listens b 5201 || bail "b: iperf3 server $1 listens"
}

# --- a. data on UDP, not TLS
a_udp0=$(udp a b tx_udp) a_tls0=$(udp a b tx_tls) b_udp0=$(udp b a rx_udp)
in_ns a ping -n -q -c 200 -i 0.01 -W 1 10.99.0.2 >"$T/a-ping.out" 2>&1
read -r sent got < <(ping_stat "$T/a-ping.out")
a_udp1=$(udp a b tx_udp) a_tls1=$(udp a b tx_tls) b_udp1=$(udp b a rx_udp)
note "a. 200 pings: $got replies; a tx_udp +$((a_udp1 - a_udp0)), tx_tls +$((a_tls1 - a_tls0));" \
	"b rx_udp +$((b_udp1 - b_udp0))"
check "a. ping: $got of ${sent:-?} replies" test "${got:-0}" -ge 190
check "a. a's tx_udp grew by at least the 200 requests (+$((a_udp1 - a_udp0)))" \
	test $((a_udp1 - a_udp0)) -ge 200
check "a. b's rx_udp grew by at least the $got requests answered (+$((b_udp1 - b_udp0)))" \
	test $((b_udp1 - b_udp0)) -ge "${got:-1}"
check "a. a's tx_tls grew by at most $(tls_bound 200) (+$((a_tls1 - a_tls0)))" \
	test $((a_tls1 - a_tls0)) -le "$(tls_bound 200)"
iperf3_server a-server
gate_rx0=$(gate_get a ip .rx_packets) b_tun0=$(tun_stat b rx)
in_ns a timeout 20 iperf3 -c 10.99.0.2 -t 2 -J >"$T/iperf3-a.json" 2>&1
rc=$?
gate_rx1=$(gate_get a ip .rx_packets) b_tun1=$(tun_stat b rx)
a_udp2=$(udp a b tx_udp) a_tls2=$(udp a b tx_tls) b_udp2=$(udp b a rx_udp)
fwd=$((gate_rx1 - gate_rx0)) tx=$((a_udp2 - a_udp1)) rx=$((b_udp2 - b_udp1)) tls=$((a_tls2 - a_tls1))
note "a. iperf3 2 s: $(jq -r '.end.sum_received.bits_per_second / 1e6 | floor' "$T/iperf3-a.json" \
	2>/dev/null) Mbit/s; a's gate handed a's cloud $fwd packets; a tx_udp +$tx, tx_tls +$tls;" \
	"b rx_udp +$rx, b's tun0 rx +$((b_tun1 - b_tun0))"
check "a. iperf3 a -> b exits 0 (got $rc)" test "$rc" = 0
check "a. a's tx_udp grew by the packets a's gate sent ($tx >= $fwd)" test "$tx" -ge "$fwd"
check "a. b's rx_udp grew by the packets b's tun0 took in ($rx >= $((b_tun1 - b_tun0)))" \
	test "$rx" -ge $((b_tun1 - b_tun0))
check "a. a's tx_tls grew by at most $(tls_bound "$fwd") of $fwd (+$tls)" \
	test "$tls" -le "$(tls_bound "$fwd")"
check "a. a's link to b is on UDP" link_udp a b '.on_udp'

# --- b. no plaintext on the underlay
CANARY=cloudvpn-canary-7f3a9c1e-plaintext	# 35 bytes, sent in UDP messages
PATTERN=cloudvpn-pingpad			# 16 bytes, ping -p fills with it
PATTERN_HEX=$(printf %s "$PATTERN" | od -An -tx1 | tr -d ' \n')
for i in p1 p2 tun0; do
	start_proc b "cap-$i" tcpdump --immediate-mode -n -U -Z root -i "$i" -w "$T/plain-$i.pcap"
done
for i in p1 p2 tun0; do
	check "b. tcpdump listens on b's $i" wait_for 5 grep -q "listening on $i" "$T/b-cap-$i.log"
done
in_ns a ping -n -q -c 20 -i 0.02 -p "$PATTERN_HEX" 10.99.0.2 >"$T/b-ping.out" 2>&1
in_ns a python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    s.sendto(("%s %d\n" % (sys.argv[1], i)).encode(), ("10.99.0.2", 9999))
    time.sleep(0.01)' "$CANARY"
sleep 0.3
for i in p1 p2 tun0; do stop_proc "b-cap-$i" INT; done
# occurs FILE STRING : how many times STRING occurs in FILE
occurs() { grep -aoF -- "$2" "$1" | wc -l; }
for i in p1 p2; do
	f=$T/plain-$i.pcap
	n=$(tcpdump -n -r "$f" "udp port $PORT" 2>/dev/null | wc -l)
	note "b's $i: $n datagrams of UDP port $PORT; canary $(occurs "$f" "$CANARY")," \
		"ping pattern $(occurs "$f" "$PATTERN"), as hex $(occurs "$f" "$PATTERN_HEX")"
	check "b. b's $i carried UDP port $PORT traffic ($n datagrams)" test "$n" -ge 20
	check "b. b's $i: the canary string is nowhere in the capture" test "$(occurs "$f" "$CANARY")" = 0
	check "b. b's $i: the ping pattern is nowhere in the capture" test "$(occurs "$f" "$PATTERN")" = 0
	check "b. b's $i: the ping pattern's hex is nowhere in the capture" \
		test "$(occurs "$f" "$PATTERN_HEX")" = 0
done
f=$T/plain-tun0.pcap
note "b's tun0 (control): canary $(occurs "$f" "$CANARY"), ping pattern $(occurs "$f" "$PATTERN")"
check "b. control: the canary string is in the capture on b's tun0" test "$(occurs "$f" "$CANARY")" -ge 1
check "b. control: the ping pattern is in the capture on b's tun0" test "$(occurs "$f" "$PATTERN")" -ge 1

# --- c. duplicate: 30% loss on each of b's underlay links
in_ns b nft -f - <<-EOT || bail "c. nftables: drop 30% of UDP $PORT on b's p1 and p2"
table inet lossy {
	chain in {
		type filter hook input priority 0;
		iifname "p1" udp dport $PORT counter numgen random mod 100 < 30 counter drop
		iifname "p2" udp dport $PORT counter numgen random mod 100 < 30 counter drop
	}
}
EOT
b_dup0=$(paths_sum b a duplicates) a_dup0=$(paths_sum a b duplicates)
in_ns a ping -n -c 300 -i 0.01 -W 1 10.99.0.2 >"$T/c-ping.out" 2>&1
b_dup1=$(paths_sum b a duplicates) a_dup1=$(paths_sum a b duplicates)
# the rules' counters: "seen dropped" per link
drops=$(in_ns b nft list table inet lossy | sed -nE 's/.*iifname "(p[12])".* counter packets ([0-9]+) .* counter packets ([0-9]+) .*/\1: \3 of \2/p' |
	paste -sd, - | sed 's/,/, /g')
in_ns b nft delete table inet lossy
read -r sent got < <(ping_stat "$T/c-ping.out")
loss=$(( sent ? 100 * (sent - got) / sent : 100 ))
dupl=$(grep -c 'DUP!' "$T/c-ping.out")
note "c. duplicate under 30% drops per link ($drops dropped): $got of $sent replies," \
	"loss $loss% ($(grep -oE '[0-9.]+% packet loss' "$T/c-ping.out")); DUP! lines: $dupl;" \
	"duplicates dropped: b +$((b_dup1 - b_dup0)), a +$((a_dup1 - a_dup0))"
check "c. ping completes ($sent sent)" test "${sent:-0}" = 300
check "c. loss is well below the links' 30% (${loss}%, want < 10%)" test "$loss" -lt 10
check "c. ping saw no DUP! ($dupl)" test "$dupl" = 0
check "c. b's paths dropped duplicates of a's copies (+$((b_dup1 - b_dup0)))" \
	test $((b_dup1 - b_dup0)) -gt 0
check "c. a's paths dropped duplicates of b's copies (+$((a_dup1 - a_dup0)))" \
	test $((a_dup1 - a_dup0)) -gt 0
check "c. a has 4 live paths again" wait_live_paths a b 4 5

# --- d. primary: the primary path's link fails under a TCP stream
check "d. cloudctl policy b primary (on a)" ctl a policy b primary
check "d. cloudctl policy a primary (on b)" ctl b policy a primary
check "d. a's link to b has policy primary" link_udp a b '.policy == "primary"'
check "d. b's link to a has policy primary" link_udp b a '.policy == "primary"'
check "d. a has 4 live paths" wait_live_paths a b 4 5
iperf3_server d-server
PROC_STDOUT=$T/d-ping.out start_proc a dping ping -D -n -i 0.05 -W 1 10.99.0.2
in_ns a timeout 25 iperf3 -c 10.99.0.2 -t 8 -J >"$T/d-iperf3.json" 2>&1 &
iperf_pid=$!
# 2 s in, sampling a's path in use every 0.25 s
in_use=()
for _ in 1 2 3 4 5 6 7 8; do
	sleep 0.25
	in_use+=("$(link_udp a b '[.paths[] | select(.in_use) | .id] | map(tostring) | join("+")')")
done
read -r pid_id plocal premote < <(link_udp a b \
	'first(.paths[] | select(.in_use)) | "\(.id) \(.local) \(.remote)"')
# the underlay link the primary path leaves a on: the one of its remote
# address (10.10K.0.2 is on pK)
k=$(sed -nE 's/^10\.10([0-9])\.0\.[0-9]+:[0-9]+$/\1/p' <<<"${premote:-}")
[ -n "$k" ] || { kill "$iperf_pid"; bail "d. find a's primary path to b (got '${premote:-}')"; }
note "d. a's path in use every 0.25 s: ${in_use[*]}; at the cut: $pid_id $plocal -> $premote:" \
	"taking p$k down"
a_tls0=$(udp a b tx_tls) gate_rx0=$(gate_get a ip .rx_packets)
t_cut=$(now_ms)
in_ns a ip link set "p$k" down || bail "d. take a's p$k down"
wait "$iperf_pid"
rc=$?
sleep 0.3
stop_proc a-dping INT
a_tls1=$(udp a b tx_tls) gate_rx1=$(gate_get a ip .rx_packets)
read -r np_id np_local np_remote np_state < <(link_udp a b \
	'first(.paths[] | select(.in_use)) | "\(.id) \(.local) \(.remote) \(.state)"')
read -r gap gap_at < <(ping_gap "$T/d-ping.out" "$t_cut")
# stall FILE : the longest run of 0.2 s intervals in which iperf3's server
# (its JSON report FILE) received (almost) nothing (< 1% of the median
# interval), in ms
stall() {
	jq -r '[.intervals[].sum.bytes] as $b |
		($b | sort | .[length / 2 | floor]) as $med |
		reduce $b[] as $x ({run: 0, max: 0};
			if $x < $med / 100 then .run += 1 else .run = 0 end |
			.max = ([.max, .run] | max)) | .max * 200' "$1"
}
t_dead=$(log_time a "path .* -> 10\\.10$k\\.0\\.2:$PORT dead")
note "d. largest gap between replies after the cut: ${gap} ms (last reply before it" \
	"$((gap_at - t_cut)) ms after the cut); a logged the path dead" \
	"$(( ${t_dead:-0} - t_cut )) ms after the cut; iperf3's server stalled" \
	"$(stall "$T/d-server.json" 2>/dev/null) ms;" \
	"$(jq -r '.end.sum_received.bits_per_second / 1e6 | floor' "$T/d-iperf3.json" 2>/dev/null)" \
	"Mbit/s; now on path $np_id $np_local -> $np_remote; tx_tls +$((a_tls1 - a_tls0))"
check "d. iperf3 through the failure exits 0 (got $rc)" test "$rc" = 0
check "d. iperf3's server received data" \
	jq -e '.error == null and .end.sum_received.bytes > 0' "$T/d-iperf3.json"
check "d. the largest gap between ping replies is under 2 s (${gap} ms)" test "$gap" -lt 2000
check "d. a's primary path to b moved off p$k (to $np_local -> $np_remote, $np_state)" \
	test "${np_remote%%:*}" != "10.10$k.0.2" -a "$np_state" = live
fwd=$((gate_rx1 - gate_rx0))
check "d. a's data to b stayed on UDP (a path stayed live): tx_tls +$((a_tls1 - a_tls0)), at most $(tls_bound "$fwd") of $fwd" \
	test $((a_tls1 - a_tls0)) -le "$(tls_bound "$fwd")"
in_ns a ip link set "p$k" up || bail "d. bring a's p$k up again"
check "d. p$k up again: a has 4 live paths to b" wait_live_paths a b 4 10
check "d. p$k up again: b has 4 live paths to a" wait_live_paths b a 4 10

# --- e. UDP blocked: the TLS link carries the data, then UDP again
for n in a b; do
	in_ns "$n" nft -f - <<-EOT || bail "e. nftables: drop UDP $PORT on $n"
	table inet noudp {
		chain in { type filter hook input priority 0; udp dport $PORT drop; udp sport $PORT drop; }
		chain out { type filter hook output priority 0; udp dport $PORT drop; udp sport $PORT drop; }
	}
	EOT
done
t_block=$(now_ms)
no_live() { [ "$(live_paths "$1" "$2")" = 0 ]; }
check "e. UDP blocked: every path of a's to b goes dead" wait_for 5 no_live a b
check "e. UDP blocked: every path of b's to a goes dead" wait_for 5 no_live b a
note "e. no path live $(( $(now_ms) - t_block )) ms after the block (polled)"
check "e. all of a's paths are dead (not probing)" link_udp a b 'all(.paths[]; .state == "dead")'
a_udp0=$(udp a b tx_udp) a_tls0=$(udp a b tx_tls) b_tls0=$(udp b a rx_tls)
in_ns a ping -n -q -c 20 -i 0.05 -W 2 10.99.0.2 >"$T/e-ping.out" 2>&1
read -r sent got < <(ping_stat "$T/e-ping.out")
a_udp1=$(udp a b tx_udp) a_tls1=$(udp a b tx_tls) b_tls1=$(udp b a rx_tls)
note "e. UDP blocked: $got of $sent replies; a tx_tls +$((a_tls1 - a_tls0)), tx_udp" \
	"+$((a_udp1 - a_udp0)); b rx_tls +$((b_tls1 - b_tls0))"
check "e. UDP blocked: every ping answered ($got of $sent)" test "${got:-0}" = 20
check "e. UDP blocked: a's tx_tls grew by the 20 requests (+$((a_tls1 - a_tls0)))" \
	test $((a_tls1 - a_tls0)) -ge 20
check "e. UDP blocked: b's rx_tls grew by the 20 requests (+$((b_tls1 - b_tls0)))" \
	test $((b_tls1 - b_tls0)) -ge 20
check "e. UDP blocked: a's tx_udp did not grow (+$((a_udp1 - a_udp0)))" test "$a_udp1" = "$a_udp0"
check "e. UDP blocked: a's link to b is not on UDP" link_udp a b '.on_udp == false'
for n in a b; do in_ns "$n" nft delete table inet noudp; done
t_open=$(now_ms)
check "e. UDP open again: a's 4 paths to b go live" wait_live_paths a b 4 10
check "e. UDP open again: b's 4 paths to a go live" wait_live_paths b a 4 10
note "e. all paths live again $(( $(now_ms) - t_open )) ms after the rule went (polled)"
a_udp0=$(udp a b tx_udp) a_tls0=$(udp a b tx_tls)
in_ns a ping -n -q -c 50 -i 0.02 -W 1 10.99.0.2 >"$T/e2-ping.out" 2>&1
read -r sent got < <(ping_stat "$T/e2-ping.out")
a_udp1=$(udp a b tx_udp) a_tls1=$(udp a b tx_tls)
note "e. UDP open: $got of $sent replies; a tx_udp +$((a_udp1 - a_udp0)), tx_tls +$((a_tls1 - a_tls0))"
check "e. UDP open: a's tx_udp grew by the 50 requests (+$((a_udp1 - a_udp0)))" \
	test $((a_udp1 - a_udp0)) -ge 50
check "e. UDP open: a's tx_tls stopped growing (+$((a_tls1 - a_tls0)))" \
	test $((a_tls1 - a_tls0)) -le "$(tls_bound 50)"
check "e. UDP open: a's link to b is on UDP" link_udp a b '.on_udp'

# --- f. replay: authentic datagrams sent again are dropped
for i in p1 p2; do
	start_proc b "rcap-$i" tcpdump --immediate-mode -n -U -Z root -i "$i" -Q in -w "$T/replay-$i.pcap" \
		"udp dst port $PORT and dst host $(path_addr b "${i#p}")"
done
for i in p1 p2; do
	check "f. tcpdump listens on b's $i" wait_for 5 grep -q "listening on $i" "$T/b-rcap-$i.log"
done
in_ns a ping -n -q -c 5 -i 0.1 -W 1 10.99.0.2 >/dev/null 2>&1
sleep 0.3
for i in p1 p2; do stop_proc "b-rcap-$i" INT; done
# the data datagrams a -> b (type 1 at offset 0 of the UDP payload), as IP
# packets with their UDP checksum computed (a veth capture may hold a
# partial one), one per line in hex; the forged one: the first with its
# counter moved 1000000 ahead
python3 - "$(path_addr b 1),$(path_addr b 2)" "$T/replay-p1.pcap" "$T/replay-p2.pcap" \
	>"$T/replay.hex" 3>"$T/forged.hex" <<-'EOT'
import os, socket, struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def udp_fixed(ip):
    ihl = (ip[0] & 15) * 4
    udp = bytearray(ip[ihl:])
    udp[6:8] = b"\0\0"
    c = csum(ip[12:20] + struct.pack("!BBH", 0, 17, len(udp)) + bytes(udp)) or 0xffff
    udp[6:8] = struct.pack("!H", c)
    return ip[:ihl] + bytes(udp)

to_b = [socket.inet_aton(a) for a in sys.argv[1].split(",")]
pkts = []
for name in sys.argv[2:]:
    d = open(name, "rb").read()
    if len(d) < 24:
        continue
    magic, = struct.unpack("<I", d[:4])
    assert magic in (0xa1b2c3d4, 0xa1b23c4d), "not a little-endian pcap"
    linktype, = struct.unpack("<I", d[20:24])
    assert linktype == 1, "link type %d, want Ethernet" % linktype
    off = 24
    while off + 16 <= len(d):
        sec, frac, incl, orig = struct.unpack("<IIII", d[off:off + 16])
        frame = d[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        tot, = struct.unpack("!H", ip[2:4])
        ip = ip[:tot]
        if ip[9] != 17 or len(ip) < ihl + 8 + 16:
            continue
        dport, = struct.unpack("!H", ip[ihl + 2:ihl + 4])
        pl = ip[ihl + 8:]
        if dport != 7000 or ip[16:20] not in to_b or pl[0] != 1:
            continue
        pkts.append((sec + frac / 1e9, ip))
pkts.sort(key=lambda p: p[0])
for _, ip in pkts:
    print(udp_fixed(ip).hex())
if pkts:
    ip = bytearray(pkts[0][1])
    ihl = (ip[0] & 15) * 4
    ctr, = struct.unpack("!Q", ip[ihl + 16:ihl + 24])
    ip[ihl + 16:ihl + 24] = struct.pack("!Q", ctr + 1000000)
    os.write(3, (udp_fixed(bytes(ip)).hex() + "\n").encode())
EOT
nrep=$(grep -c . "$T/replay.hex")
note "f. captured $nrep data datagrams a -> b on b's p1/p2"
check "f. captured at least the 5 ping requests as data datagrams ($nrep)" test "$nrep" -ge 5
# send_raw FILE : from a's namespace, send each IP packet of FILE (hex, one
# a line) as it is, through a raw socket
send_raw() {
	in_ns a python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
n = 0
for line in open(sys.argv[1]):
    ip = bytes.fromhex(line.strip())
    s.sendto(ip, (socket.inet_ntoa(ip[16:20]), 0))
    n += 1
print(n)' "$1"
}
# b counts the data datagrams reaching its input
in_ns b nft -f - <<-EOT || bail "f. nftables: count data datagrams into b"
table inet seen {
	chain in { type filter hook input priority -10; udp dport $PORT @th,64,8 1 counter; }
}
EOT
seen() { in_ns b nft list chain inet seen in | sed -nE 's/.*counter packets ([0-9]+).*/\1/p'; }
sleep 2		# "a few seconds later"
# snap : the counters the replay may move, on one line
snap() {
	echo "$(status_get b '.udp.rx_replayed + .udp.rx_too_old') $(udp b a 'replayed + .too_old')" \
		"$(status_get b .udp.rx_bad_tag) $(gate_get b ip '.tx_packets') $(tun_stat b rx)" \
		"$(udp b a rx_udp) $(seen)"
}
read -r g_rep0 l_rep0 bad0 gtx0 tun0 rxu0 seen0 < <(snap)
sent=$(send_raw "$T/replay.hex")
sleep 0.5
read -r g_rep1 l_rep1 bad1 gtx1 tun1 rxu1 seen1 < <(snap)
note "f. replayed $sent: b's input saw $((seen1 - seen0)); udp rx_replayed+rx_too_old" \
	"+$((g_rep1 - g_rep0)), link replayed+too_old +$((l_rep1 - l_rep0)); rx_bad_tag $bad0 -> $bad1;" \
	"gate tx +$((gtx1 - gtx0)), tun0 rx +$((tun1 - tun0)), rx_udp +$((rxu1 - rxu0))"
check "f. the $nrep replayed datagrams reached b's input (+$((seen1 - seen0)))" \
	test $((seen1 - seen0)) -ge "$nrep"
check "f. b's udp counts them replayed or too old (+$((g_rep1 - g_rep0)), want $nrep)" \
	test $((g_rep1 - g_rep0)) = "$nrep"
check "f. b's link to a counts them replayed or too old (+$((l_rep1 - l_rep0)), want $nrep)" \
	test $((l_rep1 - l_rep0)) = "$nrep"
check "f. none reached b's gate (tx_packets +$((gtx1 - gtx0)))" test "$gtx1" = "$gtx0"
check "f. none reached b's tun0 (rx +$((tun1 - tun0)))" test "$tun1" = "$tun0"
check "f. b's rx_udp did not grow (+$((rxu1 - rxu0)))" test "$rxu1" = "$rxu0"
check "f. no bad tag at b, ever (rx_bad_tag $bad1): the replayed packets are authentic" \
	test "$bad1" = 0
check "f. no bad tag at a, ever" status_get a '.udp.rx_bad_tag == 0'
# a forgery: its counter is new (far ahead), its tag does not match
send_raw "$T/forged.hex" >/dev/null
sleep 0.5
read -r g_rep2 l_rep2 bad2 gtx2 tun2 rxu2 seen2 < <(snap)
check "f. forged (counter +1000000): it reached b's input (+$((seen2 - seen1)))" \
	test $((seen2 - seen1)) -ge 1
check "f. forged: b counts a bad tag ($bad1 -> $bad2)" test "$bad2" = $((bad1 + 1))
check "f. forged: b does not count it replayed or too old (+$((g_rep2 - g_rep1)), link +$((l_rep2 - l_rep1)))" \
	test "$g_rep2" = "$g_rep1" -a "$l_rep2" = "$l_rep1"
check "f. forged: not delivered (gate tx +$((gtx2 - gtx1)), tun0 rx +$((tun2 - tun1)))" \
	test "$gtx2" = "$gtx1" -a "$tun2" = "$tun1"
in_ns a ping -n -q -c 5 -i 0.1 -W 1 10.99.0.2 >"$T/f-ping.out" 2>&1
read -r sent got < <(ping_stat "$T/f-ping.out")
read -r _ _ _ _ _ rxu3 _ < <(snap)
check "f. forged: b's window did not move: a's next 5 pings delivered on UDP" \
	test "${got:-0}" = 5 -a $((rxu3 - rxu2)) -ge 5
check "f. b's link to a is still on UDP with 4 live paths" wait_live_paths b a 4 3

finish
