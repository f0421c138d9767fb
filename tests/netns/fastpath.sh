#!/usr/bin/env bash
# fastpath.sh - the data path's fast paths, each on and off.  Nodes a and b:
# the TLS link runs over the hub, UDP over one direct veth pair p1; ip-gates
# tun0 10.99.0.1/24 on a and .2 on b.  A 20 MB file a -> b over TCP through
# the TUNs must arrive whole (length and SHA-256) whatever is on or off.
#   a. defaults: both clouds take their gate's TUN (.device, the gates and
#      clouds say so); the file arrives whole; b writes joined TCP runs into
#      its tun0 (joined_segments > joined_writes > 0), a sends segmented
#      UDP runs (tx_gso) and b reads coalesced ones (rx_gro); the counters
#      agree with each other and with the kernel's tun0 counters;
#   b. the slow path of a handed-over TUN: with a's tun0 at MTU 1500 in the
#      kernel but 1420 in ip-gate (at 1420 the kernel refuses a bigger DF
#      packet itself), a 1428-byte DF ping reaches cloud, which leaves it to
#      the gate (to_gate), which answers "Frag needed (mtu = 1420)";
#      multicast written into the TUN is left to the gate too and never
#      forwarded; a's gate, stopping, counts what it was handed back;
#   c. cloud on b restarts: b's ip-gate reattaches and hands tun0 over again,
#      a pings b; b's ip-gate is killed: b lists no gate, tun0 goes away,
#      and cloud holds as many fds as before the gate came;
#   d. a hostile gate on b's socket: a DEVICE with /dev/null attached, one
#      with no fd, one with two fds, are refused (DEVICE_ACK 0) and it stays
#      attached; fds on HELLO and KEEPALIVE (one or two) are closed: cloud's
#      fd count does not grow, it holds none of them, also after the gate
#      left; cloud keeps running;
#   e. each fast path off alone (cloud's gate_handoff, ip-gate's -handoff,
#      tun_gro, udp_gso, udp_gro; nodes and gates restarted), then all off
#      together: the file arrives whole and the counters show the path off.
# The test sets the fast paths itself: with FASTPATH=off it is skipped.
. "$(dirname "$0")/lib.sh"
[ "${FASTPATH:-on}" = off ] && skip "FASTPATH=off: this test turns the fast paths on and off itself"
e2e_begin
need_gates ip-gate
need_cmd python3 python3-minimal
need_cmd ping iputils-ping
make_hub
make_ca
for n in a b; do make_node "$n"; make_cert "$n"; done
make_paths a b 1
mapfile -t UDP_A < <(udp_listen_paths a 1)
mapfile -t UDP_B < <(udp_listen_paths b 1)
GATE_OPTS=()

# need DESC CMD... : a set-up step the rest needs: ok, or not ok and stop.
need() {
	local desc=$1; shift
	if "$@" >/dev/null; then ok "$desc"; else bail "$desc"; fi
}

# up LABEL [CONF_LINE...] : stop what runs, then start a and b with these
# extra config lines, their ip-gates with GATE_OPTS, and wait until the link,
# the gates, the UDP path and a ping a -> b work.
up() {
	local label=$1 n; shift
	for n in a b; do gate_alive "$n" ip && stop_gate "$n" ip; done
	for n in a b; do node_alive "$n" && stop_node "$n"; done
	node_conf a "connect $(addr4 b) $PORT" "${UDP_A[@]}" "$@"
	node_conf b "${UDP_B[@]}" "$@"
	start_node a
	start_node b
	need "$label: a and b link up" wait_links a 1 5
	start_gate a ip ip-gate -iface_dev tun0 -address 10.99.0.1/24 "${GATE_OPTS[@]}"
	start_gate b ip ip-gate -iface_dev tun0 -address 10.99.0.2/24 "${GATE_OPTS[@]}"
	need "$label: a's ip-gate attaches" wait_gate a ip
	need "$label: b's ip-gate attaches" wait_gate b ip
	need "$label: the UDP path over p1 is live both ways" \
		eval 'wait_live_paths a b 1 5 && wait_live_paths b a 1 5'
	need "$label: ping a -> b (10.99.0.2) through the ip-gates" wait_ping a 10.99.0.2 5
}

# dev_taken NODE : NODE's cloud reads and writes its ip-gate's TUN.
dev_taken() { gate_get "$1" ip '.device != null' >/dev/null; }
# sock NODE FILTER : FILTER on NODE's (only) UDP socket in status.
sock() { status_get "$1" ".udp.socks[0] | $2"; }
# listens NODE PORT : something accepts TCP on PORT in NODE's namespace.
listens() { in_ns "$1" ss -Hltn "sport = :$2" | grep -q .; }
# fd_count NODE : how many fds NODE's cloud holds.
fd_count() { find "/proc/$(node_pid "$1")/fd/" -mindepth 1 -maxdepth 1 | wc -l; }

# snap NODE TAG : the counters of NODE's ip-gate entry (rx_packets, ...,
# dev_FIELD of .device), UDP socket (udp_FIELD) and tun0 (tun_rx, tun_tx:
# packets into and out of the kernel) in C[NODE.NAME.TAG].
declare -A C=()
snap() {
	local node=$1 tag=$2 k v
	for k in "${!C[@]}"; do [[ $k == "$node".*."$tag" ]] && unset "C[$k]"; done
	while read -r k v; do C[$node.$k.$tag]=$v; done < <(
		gate_get "$node" ip '(to_entries[] | select(.value | type == "number") |
			"\(.key) \(.value)"), (.device // {} | to_entries[] | "dev_\(.key) \(.value)")'
		sock "$node" 'to_entries[] | "udp_\(.key) \(.value)"'
		in_ns "$node" ip -j -s link show tun0 |
			jq -r '.[0].stats64 | "tun_rx \(.rx.packets)", "tun_tx \(.tx.packets)"'
	)
}
# grow NODE NAME [FROM [TO]] : how much counter NAME grew from snap FROM (0)
# to snap TO (1).
grow() {
	local f=${C[$1.$2.${3:-0}]:-0} t=${C[$1.$2.${4:-1}]:-0}
	[[ $f =~ ^[0-9]+$ && $t =~ ^[0-9]+$ ]] || { echo "?"; return; }
	echo $(( t - f ))
}

# xfer : the 20 MB file a -> b (10.99.0.2) over TCP through the TUNs, with
# snaps 0 before and 1 after; true when it arrives whole (length and
# SHA-256).  XFER_MS: how long it took.
BLOB=$T/blob
head -c 20M /dev/urandom >"$BLOB" || bail "make a 20 MB file"
BLOB_SUM="$(stat -c %s "$BLOB") $(sha256sum <"$BLOB" | cut -d' ' -f1)"
SEGS=$(( $(stat -c %s "$BLOB") / 1380 ))	# TCP segments it takes, at least
SINK_PORT=5000
xfer() {
	local port=$((++SINK_PORT)) rc=0 t0
	PROC_STDOUT=$T/sink-$port.out start_proc b "sink$port" python3 -c '
import hashlib, socket, sys
s = socket.create_server((sys.argv[1], int(sys.argv[2])))
c, _ = s.accept()
h, n = hashlib.sha256(), 0
while (d := c.recv(1 << 18)):
    h.update(d)
    n += len(d)
print(n, h.hexdigest(), flush=True)' 10.99.0.2 "$port"
	wait_for 15 listens b "$port" || { note "the sink on b:$port never listened"; return 1; }
	snap a 0; snap b 0
	t0=$(now_ms)
	in_ns a timeout 30 bash -c 'cat "$1" >"/dev/tcp/$2/$3"' - "$BLOB" 10.99.0.2 "$port" || rc=1
	wait_for 10 grep -qx "$BLOB_SUM" "$T/sink-$port.out" || rc=1
	XFER_MS=$(( $(now_ms) - t0 ))
	[ "$rc" = 0 ] || note "the sink got: $(cat "$T/sink-$port.out")"
	sleep 0.3	# the connection's last ACKs and FINs
	snap a 1; snap b 1
	return "$rc"
}
# xfer_note LABEL : one line of numbers about the last xfer.
xfer_note() {
	note "$1: 20 MB in $XFER_MS ms; b device tx +$(grow b dev_tx), joined writes" \
		"+$(grow b dev_joined_writes) of +$(grow b dev_joined_segments) segments;" \
		"a UDP tx +$(grow a udp_tx_dgrams) in +$(grow a udp_tx_gso) segmented sends;" \
		"b UDP rx +$(grow b udp_rx_dgrams) in +$(grow b udp_rx_gro) coalesced reads;" \
		"b gate tx_packets +$(grow b tx_packets)"
}

# ================================================================ a. defaults
up defaults
for n in a b; do
	check "defaults: $n's cloud took $n's tun0 (.device: mtu 1420, TCP runs on)" \
		wait_for 3 gate_get "$n" ip '.device.mtu == 1420 and .device.tcp_runs'
	check "defaults: $n's ip-gate logs that cloud reads and writes tun0 now" \
		log_has "$n-ip" "cloud reads and writes tun0 now"
	check "defaults: $n's cloud logs that it took over tun0, TCP runs joined" \
		log_has "$n" "took over device tun0 .*TCP runs joined"
	check "defaults: $n has one UDP socket, with gso and gro on" \
		status_get "$n" '.udp.sockets == 1 and .udp.socks[0].gso and .udp.socks[0].gro'
done
xfer
check "defaults: 20 MB a -> b over TCP through the TUNs arrives whole (length and SHA-256)" \
	test $? = 0
xfer_note defaults
check "defaults: b's cloud wrote every segment into tun0 itself (device tx +$(grow b dev_tx) >= $SEGS)" \
	test "$(grow b dev_tx)" -ge "$SEGS"
w=$(grow b dev_joined_writes) s=$(grow b dev_joined_segments)
check "defaults: b joined TCP runs: joined segments (+$s) > joined writes (+$w) > 0" \
	eval '[ "$w" -gt 0 ] && [ "$s" -gt "$w" ]'
check "defaults: a sent segmented UDP runs (tx_gso +$(grow a udp_tx_gso))" \
	test "$(grow a udp_tx_gso)" -gt 0
check "defaults: b read coalesced UDP runs (rx_gro +$(grow b udp_rx_gro))" \
	test "$(grow b udp_rx_gro)" -gt 0
check "defaults: b's device tx and its gate's tx_packets grew alike (+$(grow b dev_tx), +$(grow b tx_packets))" \
	test "$(grow b dev_tx)" = "$(grow b tx_packets)"
check "defaults: a's device rx = packets forwarded + left to the gate (+$(grow a dev_rx) = +$(grow a rx_packets) + +$(grow a dev_to_gate))" \
	test "$(grow a dev_rx)" = $(( $(grow a rx_packets) + $(grow a dev_to_gate) ))
check "defaults: a's cloud alone read a's tun0: kernel tx +$(grow a tun_tx) = device rx +$(grow a dev_rx)" \
	test "$(grow a tun_tx)" = "$(grow a dev_rx)"
writes=$(( $(grow b dev_tx) - $(grow b dev_joined_segments) + $(grow b dev_joined_writes) ))
check "defaults: b's kernel took one packet per write of cloud: tun0 rx +$(grow b tun_rx) = $writes" \
	test "$(grow b tun_rx)" = "$writes"
check "defaults: no device write failed, nothing from the mesh refused (a and b)" \
	eval 'gate_get a ip ".device.tx_failed == 0 and .device.refused == 0" &&
		gate_get b ip ".device.tx_failed == 0 and .device.refused == 0"'
check "defaults: no UDP send error on a or b" \
	eval 'sock a ".tx_errors == 0" && sock b ".tx_errors == 0"'

# ================================================================ b. slow path
# The kernel refuses itself what does not fit tun0's MTU (ping: local
# error), so a's tun0 goes to MTU 1500 while ip-gate (and cloud) keep 1420.
in_ns a ip link set tun0 mtu 1500 || bail "set a's tun0 MTU to 1500"
snap a c0; snap b c0
in_ns a ping -n -M do -s 1400 -c 2 -i 0.3 -W 1 10.99.0.2 >"$T/ping-df.out" 2>&1
snap a c1; snap b c1
note "ping -M do -s 1400: $(grep -iE 'frag|too long' "$T/ping-df.out" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
check "slow path: a 1428-byte DF ping gets 'Frag needed (mtu = 1420)' from a's ip-gate" \
	grep -qE '^From 10\.99\.0\.1 icmp_seq=1 Frag needed and DF set \(mtu = 1420\)' "$T/ping-df.out"
check "slow path: a's kernel learned the MTU from it: the next ping fails locally, mtu=1420" \
	grep -qx "ping: local error: message too long, mtu=1420" "$T/ping-df.out"
check "slow path: a's cloud left it to the gate (to_gate +$(grow a dev_to_gate c0 c1))" \
	test "$(grow a dev_to_gate c0 c1)" -ge 1
check "slow path: a's cloud forwarded none of it (rx_packets +$(grow a rx_packets c0 c1))" \
	test "$(grow a rx_packets c0 c1)" = 0
check "slow path: b's cloud wrote nothing into b's tun0 (device tx +$(grow b dev_tx c0 c1))" \
	test "$(grow b dev_tx c0 c1)" = 0
in_ns a ip link set tun0 mtu 1420 && in_ns a ip route flush cache || bail "a's tun0 back to MTU 1420"

snap a m0; snap b m0
in_ns a python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.99.0.1"))
for i in range(20):
    s.sendto(b"fastpath multicast %d" % i, ("239.1.2.3", 9999))' || bail "send multicast into a's tun0"
sleep 0.3
snap a m1; snap b m1
check "slow path: 20 multicast datagrams into a's tun0 are left to the gate (to_gate +$(grow a dev_to_gate m0 m1))" \
	test "$(grow a dev_to_gate m0 m1)" -ge 20
check "slow path: none of them is forwarded (a's rx_packets +$(grow a rx_packets m0 m1))" \
	test "$(grow a rx_packets m0 m1)" = 0
check "slow path: none reaches b's tun0 (b's device tx +$(grow b dev_tx m0 m1))" \
	test "$(grow b dev_tx m0 m1)" = 0
A_TO_GATE=$(gate_get a ip .device.to_gate)

# ================================================================ c. restarts
stop_node b
start_node b
check "b restarted: a and b link up again" wait_links a 1 5
check "b restarted: b's ip-gate (the same process) reattaches" wait_gate b ip 5
check "b restarted: b's cloud takes tun0 again" wait_for 3 dev_taken b
check "b restarted: b's ip-gate logged the handover twice" \
	test "$(log_count b-ip "cloud reads and writes tun0 now")" = 2
check "b restarted: ping a -> b (10.99.0.2)" wait_ping a 10.99.0.2 5

stop_gate b ip KILL 2>/dev/null	# (no "Killed" from bash)
check "b's ip-gate killed: b's cloud lists no gate" wait_for 3 eval '[ "$(gate_count b)" = 0 ]'
check "b's ip-gate killed: b's tun0 is gone (nobody holds it)" \
	wait_for 3 eval '! in_ns b ip link show tun0'
fds0=$(fd_count b)
start_gate b ip ip-gate -iface_dev tun0 -address 10.99.0.2/24
check "a new ip-gate on b attaches" wait_gate b ip
check "b's cloud takes the new gate's tun0" wait_for 3 dev_taken b
check "ping a -> b (10.99.0.2) through the new gate" wait_ping a 10.99.0.2 5
fds1=$(fd_count b)
stop_gate b ip KILL 2>/dev/null
check "the new gate killed: b's cloud lists no gate" wait_for 3 eval '[ "$(gate_count b)" = 0 ]'
check "the new gate killed: b's tun0 is gone" wait_for 3 eval '! in_ns b ip link show tun0'
fds2=$(fd_count b)
note "b's cloud fds: $fds0 before the gate, $fds1 with it, $fds2 after"
check "b's cloud holds as many fds as before the gate came ($fds2 = $fds0)" test "$fds2" = "$fds0"
check "b's cloud held the gate socket and tun0 while the gate ran ($fds1 = $fds0 + 2)" \
	test "$fds1" = $((fds0 + 2))

# ================================================================ d. hostile gate
# hostile.py SOCKET CLOUD_PID MARKER GO : a gate that attaches, then sends
# fds where none belong (MARKER's, /dev/null's) and DEVICEs that must be
# refused; prints what cloud answered and cloud's fd count (from /proc);
# stays attached (keepalives) until the file GO exists.
cat >"$T/hostile.py" <<'EOF'
import os, socket, struct, sys, time

sock_path, pid, marker, go = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def fds():
    return len(os.listdir("/proc/%d/fd" % pid))

def holds_marker():
    for f in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, f)) == marker:
                return True
        except OSError:
            pass
    return False

s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(3)
s.connect(sock_path)
mfd = os.open(marker, os.O_RDONLY)
null = os.open("/dev/null", os.O_RDWR)

def send(msg, fd=None):
    if fd is None:
        s.send(msg)
    else:
        s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", fd))])

def send2(msg, fd1, fd2):
    s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("ii", fd1, fd2))])

def recv_type(t):
    while True:
        m = s.recv(1 << 17)
        if not m:
            raise SystemExit("cloud closed the connection")
        if m[0] == t:
            return m

def device_ack():
    m = recv_type(9)
    return m[2], m[4:4 + m[3]].decode(errors="replace")

DEVICE = bytes([8, 0x01, 1]) + struct.pack(">HHHH", 0, 1420, 0, 0)
send(b"\x01\x00\x00\x01\x07hostile", mfd)      # HELLO, version 1, fd attached
recv_type(1)
print("hello ok", flush=True)
n0 = fds()
send(DEVICE, null)
print("devnull_ack %d %s" % device_ack(), flush=True)
for i in range(50):
    send(b"\x06\x00", mfd)                     # KEEPALIVE, fd attached
send(DEVICE)
print("nofd_ack %d %s" % device_ack(), flush=True)   # all of the above handled
print("fds %d %d" % (n0, fds()), flush=True)
print("marker_held %s" % ("yes" if holds_marker() else "no"), flush=True)
for i in range(20):
    send2(b"\x06\x00", mfd, mfd)               # KEEPALIVE, two fds attached
send2(DEVICE, null, null)
print("twofd_ack %d %s" % device_ack(), flush=True)
print("fds2 %d %d" % (n0, fds()), flush=True)
print("marker_held2 %s" % ("yes" if holds_marker() else "no"), flush=True)
print("attached", flush=True)
end = time.time() + 10
while not os.path.exists(go) and time.time() < end:
    send(b"\x06\x00")
    time.sleep(0.2)
print("bye", flush=True)
EOF
: >"$T/hostile.marker"
fds0=$(fd_count b)
errors0=$(counter b gate_errors)
PROC_STDOUT=$T/hostile.out start_proc b hostile python3 "$T/hostile.py" "$(gate_sock b)" \
	"$(node_pid b)" "$T/hostile.marker" "$T/hostile.go"
check "hostile gate: attached (cloud answered its HELLO)" wait_for 5 grep -qx "hello ok" "$T/hostile.out"
check "hostile gate: DEVICE with /dev/null attached: DEVICE_ACK 0, not a TUN device" \
	wait_for 5 grep -qx "devnull_ack 0 not a TUN device" "$T/hostile.out"
check "hostile gate: DEVICE without an fd: DEVICE_ACK 0, no file descriptor came with it" \
	wait_for 5 grep -qx "nofd_ack 0 no file descriptor came with it" "$T/hostile.out"
wait_for 5 grep -qx attached "$T/hostile.out"
read -r _ h0 h1 < <(grep '^fds ' "$T/hostile.out")
note "hostile gate: b's cloud fds $h0 after its HELLO, $h1 after 50 KEEPALIVEs with an fd"
check "hostile gate: 50 KEEPALIVEs with an fd attached: cloud's fd count stays ($h0 -> $h1)" \
	test "${h0:-x}" = "${h1:-y}"
check "hostile gate: cloud holds none of the fds it was sent" grep -qx "marker_held no" "$T/hostile.out"
read -r _ h0 h2 < <(grep '^fds2 ' "$T/hostile.out")
note "hostile gate: b's cloud fds $h2 after 20 KEEPALIVEs and a DEVICE with two fds each"
check "hostile gate: DEVICE with two fds attached: DEVICE_ACK 0" \
	grep -qx "twofd_ack 0 .*" "$T/hostile.out"
check "hostile gate: 20 KEEPALIVEs and a DEVICE with two fds each: cloud's fd count stays ($h0 -> $h2)" \
	test "${h0:-x}" = "${h2:-y}"
check "hostile gate: cloud still holds none of the fds it was sent" \
	grep -qx "marker_held2 no" "$T/hostile.out"
hostile_pid=$(proc_pid b-hostile)
check "hostile gate: b's cloud lists it, with no device" \
	jq_ctl b gates "any(.gates[]; .name == \"hostile\" and .device == null)"
check "hostile gate: b's cloud logs why it refused the device" \
	log_has b "gate [0-9]+ \(hostile\): device refused: not a TUN device"
check "hostile gate: not counted as a gate error" test "$(counter b gate_errors)" = "$errors0"
touch "$T/hostile.go"
check "hostile gate: it leaves on its own" wait_for 5 eval '! proc_alive b-hostile'
check "hostile gate gone: b's cloud lists no gate" wait_for 3 eval '[ "$(gate_count b)" = 0 ]'
check "hostile gate gone: b's cloud holds as many fds as before ($(fd_count b) = $fds0)" \
	test "$(fd_count b)" = "$fds0"
check "b's cloud is still running" node_ready b

# ================================================================ e. each off
# (a's gate stops first: it says how many packets cloud handed back)
stop_gate a ip
stats=$(grep "handed back" "$T/a-ip.log" | tail -n 1)
# gate_stat NAME : the number after NAME in a's ip-gate's last counters line
gate_stat() { sed -nE "s/.*[(, ]$1 ([0-9]+).*/\\1/p" <<<"$stats"; }
note "a's ip-gate: handed back $(gate_stat "handed back"), too big $(gate_stat "too big")," \
	"multicast $(gate_stat multicast), icmp sent $(gate_stat "icmp sent")"
check "slow path: a's ip-gate, stopping, counts the ${A_TO_GATE:-?} packets cloud left to it (handed back $(gate_stat "handed back"))" \
	test "$(gate_stat "handed back")" -ge "${A_TO_GATE:-1}"
check "slow path: a's ip-gate counts the too-big ping and answered it (too big $(gate_stat "too big"), icmp sent $(gate_stat "icmp sent"))" \
	test "$(gate_stat "too big")" -ge 1 -a "$(gate_stat "icmp sent")" -ge 1
check "slow path: a's ip-gate counts the 20 multicast datagrams (multicast $(gate_stat multicast))" \
	test "$(gate_stat multicast)" -ge 20

# off LABEL : after xfer, the file arrived whole.
off_xfer() {
	xfer
	check "$1: 20 MB a -> b through the TUNs arrives whole (length and SHA-256)" test $? = 0
	xfer_note "$1"
}

up "gate_handoff no" "gate_handoff no"
for n in a b; do
	check "gate_handoff no: $n's cloud did not take tun0 (.device null)" \
		gate_get "$n" ip '.device == null'
	check "gate_handoff no: $n's ip-gate logs that cloud did not take tun0: gate_handoff is off" \
		wait_for 3 log_has "$n-ip" "cloud did not take tun0: gate_handoff is off"
done
off_xfer "gate_handoff no"
check "gate_handoff no: the segments went over b's gate socket (tx_packets +$(grow b tx_packets) >= $SEGS)" \
	test "$(grow b tx_packets)" -ge "$SEGS"

GATE_OPTS=(-handoff no)
log_mark a-ip
log_mark b-ip
up "ip-gate -handoff no"
for n in a b; do
	check "-handoff no: $n's cloud has no device (.device null)" gate_get "$n" ip '.device == null'
	check_not "-handoff no: $n's ip-gate does not log a handover" \
		log_new "$n-ip" "cloud (reads and writes|did not take) tun0"
done
off_xfer "-handoff no"
check "-handoff no: the segments went over b's gate socket (tx_packets +$(grow b tx_packets) >= $SEGS)" \
	test "$(grow b tx_packets)" -ge "$SEGS"
GATE_OPTS=()

up "tun_gro no" "tun_gro no"
check "tun_gro no: b's cloud takes tun0, TCP runs off" \
	wait_for 3 gate_get b ip '.device.tcp_runs == false'
check "tun_gro no: b's cloud logs TCP runs written one by one" \
	log_has b "took over device tun0 .*TCP runs written one by one"
off_xfer "tun_gro no"
check "tun_gro no: b wrote every segment itself (device tx +$(grow b dev_tx) >= $SEGS)" \
	test "$(grow b dev_tx)" -ge "$SEGS"
check "tun_gro no: b joined nothing (joined_writes $(gate_get b ip .device.joined_writes))" \
	gate_get b ip '.device.joined_writes == 0 and .device.joined_segments == 0'
check "tun_gro no: b's kernel took one packet per segment: tun0 rx +$(grow b tun_rx) = device tx +$(grow b dev_tx)" \
	test "$(grow b tun_rx)" = "$(grow b dev_tx)"

up "udp_gso no" "udp_gso no"
check "udp_gso no: a's and b's UDP sockets have gso off, gro on" \
	eval 'sock a ".gso == false and .gro" && sock b ".gso == false and .gro"'
off_xfer "udp_gso no"
check "udp_gso no: a sent no segmented run (tx_gso $(sock a .tx_gso))" sock a '.tx_gso == 0'
check "udp_gso no: a sent at least a datagram per segment (tx_dgrams +$(grow a udp_tx_dgrams))" \
	test "$(grow a udp_tx_dgrams)" -ge "$SEGS"

up "udp_gro no" "udp_gro no"
check "udp_gro no: a's and b's UDP sockets have gro off, gso on" \
	eval 'sock a ".gro == false and .gso" && sock b ".gro == false and .gso"'
off_xfer "udp_gro no"
check "udp_gro no: b read no coalesced run (rx_gro $(sock b .rx_gro))" sock b '.rx_gro == 0'
check "udp_gro no: a still sent segmented runs (tx_gso +$(grow a udp_tx_gso))" \
	test "$(grow a udp_tx_gso)" -gt 0
check "udp_gro no: b read at least a datagram per segment (rx_dgrams +$(grow b udp_rx_dgrams))" \
	test "$(grow b udp_rx_dgrams)" -ge "$SEGS"

GATE_OPTS=(-handoff no)
up "all off" "gate_handoff no" "tun_gro no" "udp_gso no" "udp_gro no"
check "all off: no device on a or b" \
	eval 'gate_get a ip ".device == null" && gate_get b ip ".device == null"'
check "all off: gso and gro off on a and b" \
	eval 'sock a ".gso == false and .gro == false" && sock b ".gso == false and .gro == false"'
off_xfer "all off"
check "all off: no segmented send, no coalesced read" \
	eval 'sock a ".tx_gso == 0" && sock b ".rx_gro == 0"'

finish
