#!/usr/bin/env bash
# gate_abuse.sh - cloud survives bad gates: while a ping flows between the
# ip-gates of a and b, processes that write random bytes (before and after a
# proper hello) or an oversized message to a's gate socket are disconnected
# and counted (gate_errors), and the ping and the real gate carry on
# untouched.  With `gate_mode 0666' (and `gate_owner daemon'), a gate run as
# user nobody can open the socket but cloud refuses it (gates_refused) until
# `gate_allow_user nobody' is added and reloaded.
. "$(dirname "$0")/lib.sh"
e2e_begin
need_gates ip-gate chat-gate
need_cmd python3 python3
need_cmd setpriv util-linux
id nobody >/dev/null 2>&1 || skip "no user nobody"
make_hub
make_ca
for n in a b; do make_node "$n"; make_cert "$n"; done
node_conf a "connect $(addr4 b) $PORT" "gate_mode 0666" "gate_owner daemon"
node_conf b
start_node a
start_node b
check "a and b link up" wait_links a 1 5
start_gate a ip ip-gate -iface_dev tun0 -address 10.99.0.1/24
start_gate b ip ip-gate -iface_dev tun0 -address 10.99.0.2/24
check "a's ip-gate attaches" wait_gate a ip
check "b's ip-gate attaches" wait_gate b ip
check "ping a -> b (10.99.0.2) works" wait_ping a 10.99.0.2 5
gate_id=$(gate_get a ip .id)

# abuse.py SOCKET : connections that misbehave, one line each; exit 1 if
# cloud left one of them open (3 s).
cat >"$T/abuse.py" <<'EOF'
import os, random, socket, sys

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(3)
    s.connect(sys.argv[1])
    return s

def until_closed(s, what):
    """Read until cloud closes; report its ERROR text."""
    err = "no ERROR"
    try:
        while True:
            m = s.recv(1 << 17)
            if not m:
                break
            if m[0] == 7 and len(m) >= 5:
                err = "ERROR %d: %s" % (m[2] << 8 | m[3], m[5:5 + m[4]].decode(errors="replace"))
    except ConnectionResetError:
        pass
    except socket.timeout:
        print("%s: still open after 3 s" % what)
        return False
    print("%s: disconnected (%s)" % (what, err))
    return True

good = True
for i in range(100):
    s = connect()
    s.send(os.urandom(random.randint(1, 1500)))
    good &= until_closed(s, "random bytes #%d" % i)
s = connect()
s.send(b"\x01\x00\x00\x01\x05abuse")        # HELLO, version 1, "abuse"
m = s.recv(1 << 17)
print("hello: cloud answered type %d" % m[0])
s.send(os.urandom(300))
good &= until_closed(s, "random bytes after hello")
s = connect()
s.send(b"\x04\x00" + os.urandom(70000))      # longer than any message
good &= until_closed(s, "70 kB message")
sys.exit(0 if good else 1)
EOF

# --- abuse while a ping flows
start_proc a ping ping -n -i 0.1 -w 60 10.99.0.2
errors=$(counter a gate_errors)
log_mark a
in_ns a python3 "$T/abuse.py" "$(gate_sock a)" >"$T/abuse.out" 2>&1
check "every bad connection is disconnected by cloud" test $? = 0
note "$(grep -c disconnected "$T/abuse.out") bad connections disconnected," \
	"e.g. $(head -n 1 "$T/abuse.out")"
check "a logs 'malformed message ... disconnecting it'" \
	log_new a "malformed message.*disconnecting it"
check "a logs the 70 kB message as too long" log_new a "longer than the protocol allows"
check "a's counters.gate_errors grows by 102 (was $errors)" \
	wait_for 2 counter a "gate_errors == $errors + 102"
check "a's cloud is still running" node_alive a
check "a's link to b stays up" up_is a 1
check "a's ip-gate is still attached (same id $gate_id)" \
	test "$(gate_get a ip .id)" = "$gate_id"
check "only the ip-gate is attached" test "$(gate_count a)" = 1
check "a's ip-gate never reconnected" test "$(log_count a-ip "connected as")" = 1
sleep 1
stop_proc a-ping INT
stats=$(grep -E 'packets transmitted' "$T/a-ping.log")
note "ping during the abuse: $stats"
sent=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' <<<"$stats")
got=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' <<<"$stats")
check "ping kept flowing: $got of $sent answered (at most 2 lost)" \
	test -n "$sent" -a "${got:-0}" -ge $((sent - 2)) -a "${sent:-0}" -ge 10

# --- a gate cannot speak for another: it may not withdraw the ip-gate's
# address, nor send packets from it
cat >"$T/liar.py" <<'EOF'
import socket, struct, sys, time
IPV4 = 4 << 16
def s8(b): return bytes([len(b)]) + b
def pfx(b): return struct.pack(">IHB", IPV4, 8 * len(b), len(b)) + b
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"\x01\x00" + struct.pack(">H", 1) + s8(b"liar"))
assert s.recv(1 << 17)[0] == 1
own, victim, peer = bytes([10, 99, 0, 66]), bytes([10, 99, 0, 1]), bytes([10, 99, 0, 2])
s.send(b"\x02\x00\x00" + struct.pack(">H", 1) + pfx(own))       # REPLACE: owns .66
s.send(b"\x02\x00\x02" + struct.pack(">H", 1) + pfx(victim))    # REMOVE .1: not its own
s.send(b"\x04\x00" + struct.pack(">I", IPV4) + s8(peer) + s8(victim) + s8(b"")
       + b"\x45" + bytes(19))                                     # PACKET from .1
time.sleep(1)
EOF
spoofed=$(counter a pkt_spoofed)
in_ns a python3 "$T/liar.py" "$(gate_sock a)" >"$T/liar.out" 2>&1
check "the liar gate ran (it owned ipv4:10.99.0.66)" test $? = 0
check "a's counters.pkt_spoofed grows by 1 (was $spoofed)" counter a "pkt_spoofed == $spoofed + 1"
check "b still routes ipv4:10.99.0.1 to a after the liar's withdrawal" \
	always_for 1 has_route b ipv4:10.99.0.1 a
check "ping a -> b still works" wait_ping a 10.99.0.2 3

# --- protocol 0 is the routing table's (the route to each node): a gate
# that announces the node prefix "p0:*" is refused and changes nothing
cat >"$T/nodeclaim.py" <<'EOF'
import socket, struct, sys
def s8(b): return bytes([len(b)]) + b
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"\x01\x00" + struct.pack(">H", 1) + s8(b"claim"))
assert s.recv(1 << 17)[0] == 1
s.send(b"\x02\x00\x00" + struct.pack(">H", 1) + struct.pack(">IHB", 0, 0, 0))
s.settimeout(3)
while True:
    m = s.recv(1 << 17)
    if not m:
        sys.exit(1)                   # closed without an ERROR
    if m[0] == 7:                     # ERROR
        print("ERROR", m[2:].decode(errors="replace"))
        sys.exit(0)
EOF
in_ns a python3 "$T/nodeclaim.py" "$(gate_sock a)" >"$T/nodeclaim.out" 2>&1
check "a gate announcing the node prefix p0:* gets an ERROR" \
	grep -q "reserved for routes to nodes" "$T/nodeclaim.out"
check "b still reaches node a" jq_ctl b nodes 'any(.nodes[]; .name == "a")'
check "ping a -> b still works after it" wait_ping a 10.99.0.2 3

# --- a gate that says hello and announces nothing, while a link comes up
cat >"$T/quiet.py" <<'EOF'
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"\x01\x00" + struct.pack(">H", 1) + bytes([5]) + b"quiet")
for i in range(40):
    s.send(b"\x06\x00")                  # KEEPALIVE, nothing announced
    time.sleep(0.25)
EOF
start_proc a quiet python3 "$T/quiet.py" "$(gate_sock a)"
check "a quiet gate attaches (owns nothing)" wait_for 3 gate_listed a quiet
kill_node b
start_node b
check "a's link to b comes back with the quiet gate attached" wait_links a 1 5
check "a's cloud is still running" node_alive a
check "ping a -> b works again" wait_ping a 10.99.0.2 5

# --- a gate run as nobody: the socket is 0666, cloud refuses it anyway
check "a's gate socket has mode 0666" test "$(stat -c %a "$(gate_sock a)")" = 666
check "a's gate socket is owned by gate_owner (daemon)" test "$(stat -c %U "$(gate_sock a)")" = daemon
chmod 711 "$T" "$T/a"		# nobody may reach the socket
refused=$(counter a gates_refused)
GATE_USER=nobody start_chat a nobody eve
pid=$(gate_pid a nobody)
check "a refuses the gate of nobody: 'not allowed' (pid $pid, uid $(id -u nobody))" \
	wait_for 5 log_has a "refusing a gate from pid $pid \(uid $(id -u nobody),.*not allowed"
check "a's counters.gates_refused grows (was $refused)" counter a "gates_refused > $refused"
check "nobody's gate never appears in cloudctl gates (3 s)" never_for 3 gate_listed a nobody
check "nobody's gate keeps trying (refused again)" counter a "gates_refused > $refused + 1"
check "the ip-gate is untouched (same id $gate_id)" test "$(gate_get a ip .id)" = "$gate_id"

# --- allowed by name: the same gate process attaches
conf_add a "gate_allow_user nobody"
check "cloudctl reload with gate_allow_user nobody" ctl a reload
check "nobody's gate (same pid $pid) attaches once allowed" wait_gate a nobody 5
check "nobody's gate runs as uid $(id -u nobody)" gate_get a nobody ".uid == $(id -u nobody)"

finish
