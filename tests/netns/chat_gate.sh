#!/usr/bin/env bash
# chat_gate.sh - three nodes a, b, c in a triangle, a chat-gate on each
# (alice, bob, carol): a line alice types reaches bob and carol as
# "[lobby] alice@a: ..." (the node name is the one the mesh authenticated);
# "/msg bob ..." reaches bob only, as "[private] alice@a: ..."; rooms joined
# with /join keep their talk to themselves; /who lists who is where; /quit
# and end of input leave.  Bidirectional controls in a message are shown as
# '?'; a packet whose source is not a valid nick ("ev@l", which would print
# as ev@l@b) is dropped.
. "$(dirname "$0")/lib.sh"
e2e_begin
need_gates chat-gate
make_hub
make_ca
for n in a b c; do make_node "$n"; make_cert "$n"; done
node_conf a "connect $(addr4 b) $PORT"
node_conf b "connect $(addr4 c) $PORT"
node_conf c "connect $(addr4 a) $PORT"
for n in a b c; do start_node "$n"; done
for n in a b c; do check "$n links up with both others" wait_links "$n" 2 5; done

start_chat a chat alice
start_chat b chat bob
start_chat c chat carol
for n in a b c; do check "$n's chat-gate attaches" wait_gate "$n" chat; done
check "a's routes list chat:bob from b" wait_route a chat:bob b
check "a's routes list chat:carol from c" wait_route a chat:carol c
check "b's routes list chat:alice from a" wait_route b chat:alice a
check "c's routes list chat:alice from a" wait_route c chat:alice a

# --- the lobby: everybody hears it
chat_say a chat "hello from alice"
check "bob reads '[lobby] alice@a: hello from alice'" \
	wait_for 3 chat_saw b chat "[lobby] alice@a: hello from alice"
check "carol reads '[lobby] alice@a: hello from alice'" \
	wait_for 3 chat_saw c chat "[lobby] alice@a: hello from alice"
chat_say c chat "hi, carol here"
check "alice reads '[lobby] carol@c: hi, carol here'" \
	wait_for 3 chat_saw a chat "[lobby] carol@c: hi, carol here"
check "bob reads '[lobby] carol@c: hi, carol here'" \
	wait_for 3 chat_saw b chat "[lobby] carol@c: hi, carol here"

# --- bidirectional controls (U+200E, U+200F, U+061C, U+202E, U+2067) print as '?'
chat_say a chat "$(printf 'bidi x\342\200\216y\342\200\217z\330\234w\342\200\256v\342\201\247u')"
check "bob reads '[lobby] alice@a: bidi x?y?z?w?v?u'" \
	wait_for 3 chat_saw b chat "[lobby] alice@a: bidi x?y?z?w?v?u"

# --- a gate on b that owns the nicks "ev@l" and "mallory" writes to the lobby
# fake.py SOCKET : announce both, send a broadcast and a direct message to
# alice as ev@l, then a broadcast as mallory.
cat >"$T/fake.py" <<'EOF'
import socket, struct, sys, time
CHAT = 16 << 16
def s8(b): return bytes([len(b)]) + b
def pfx(b): return struct.pack(">IHB", CHAT, 8 * len(b), len(b)) + b
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"\x01\x00" + struct.pack(">H", 1) + s8(b"fake"))
assert s.recv(1 << 17)[0] == 1
s.send(b"\x02\x00\x00" + struct.pack(">H", 2) + pfx(b"ev@l") + pfx(b"mallory"))
time.sleep(1)                   # the other nodes learn that b owns them
def packet(dst, src, payload):
    s.send(b"\x04\x00" + struct.pack(">I", CHAT) + s8(dst) + s8(src) + s8(b"") + payload)
packet(b"", b"ev@l", b"M lobby\nspoofed broadcast")
packet(b"alice", b"ev@l", b"D\nspoofed direct message")
packet(b"", b"mallory", b"M lobby\nhello from mallory")
time.sleep(1)
EOF
in_ns b python3 "$T/fake.py" "$(gate_sock b)" >"$T/fake.out" 2>&1
check "the fake chat gate on b ran" test $? = 0
check "alice reads '[lobby] mallory@b: hello from mallory'" \
	wait_for 3 chat_saw a chat "[lobby] mallory@b: hello from mallory"
check_not "alice never reads what 'ev@l' sent" chat_saw a chat "spoofed"
check_not "carol never reads what 'ev@l' sent" chat_saw c chat "spoofed"

# --- a direct message: bob only
chat_say a chat "/msg bob psst, bob only"
check "bob reads '[private] alice@a: psst, bob only'" \
	wait_for 3 chat_saw b chat "[private] alice@a: psst, bob only"
check "carol never reads it (1 s)" never_for 1 chat_saw c chat "psst"
check "a's cloud forwarded packets" counter a 'pkt_forwarded > 0'

# --- rooms: bob and carol move to "ops"
chat_say b chat "/join ops"
chat_say c chat "/join ops"
sleep 0.3			# /join has no answer to wait for
chat_say c chat "ops only"
check "bob (in ops) reads '[ops] carol@c: ops only'" \
	wait_for 3 chat_saw b chat "[ops] carol@c: ops only"
check "alice (in the lobby) never reads it (1 s)" never_for 1 chat_saw a chat "ops only"

# --- who is there?
chat_say c chat "/who"
check "/who: carol reads '* alice@a in lobby'" wait_for 3 chat_saw c chat "* alice@a in lobby"
check "/who: carol reads '* bob@b in ops'" wait_for 3 chat_saw c chat "* bob@b in ops"

# --- leaving: /quit, and the end of input
chat_say a chat "/quit"
check "/quit: alice's chat-gate exits" wait_for 3 eval '! gate_alive a chat'
check "/quit: a has no gate left" wait_for 3 eval '[ "$(gate_count a)" = 0 ]'
check "/quit: b forgets chat:alice" wait_for 3 eval '! has_route b chat:alice'
chat_end b chat
check "EOF: bob's chat-gate exits" wait_for 3 eval '! gate_alive b chat'
check "carol's chat-gate is still attached" gate_listed c chat

finish
