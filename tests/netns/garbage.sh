#!/usr/bin/env bash
# garbage.sh - node a shrugs off what arrives on its listen port instead of
# a peer: random bytes, a connection that says nothing, a TLS client with a
# valid certificate that then sends garbage frames, and one whose HELLO
# claims another node's name.  Its link to b stays up throughout, the same
# link, and a keeps running.
. "$(dirname "$0")/lib.sh"
e2e_begin
command -v gnutls-cli >/dev/null || skip "gnutls-cli not installed (Debian: gnutls-bin)"
make_hub
make_ca
for n in a b m; do make_node "$n"; make_cert "$n"; done
A=$(addr4 a)
node_conf a
node_conf b "connect $A $PORT"
start_node a
start_node b
check "a-b link up" wait_links a 1 5
id_a=$(link_id a b)
id_b=$(link_id b a)

# still_same : a and b still have their one link, the same as at first.
still_same() {
	node_alive a && [ "$(link_id a b)" = "$id_a" ] && [ "$(link_id b a)" = "$id_b" ]
}

# --- 1. random bytes instead of a TLS ClientHello (m is 10.77.0.3)
in_ns m timeout 5 bash -c "exec 3<>/dev/tcp/$A/$PORT || exit 1
	{ printf '\377'; head -c 4096 /dev/urandom; } >&3 2>/dev/null
	sleep 0.5" 2>/dev/null
check "random bytes: a logs handshake failed (naming m's address)" \
	wait_for 3 eval "grep -i 'handshake failed' '$(logf a)' | grep -q '$(addr4 m)'"
check "random bytes: counted in handshake_failures" \
	status_get a '.counters.handshake_failures >= 1'
check "random bytes: a alive, same link to b" still_same

# --- 2. a TCP connection that sends nothing is dropped after conn_timeout
t0=$(now_ms)
in_ns m timeout 8 bash -c "exec 3<>/dev/tcp/$A/$PORT || exit 1; cat <&3 >/dev/null" 2>/dev/null &
silent=$!
check "silent connection: listed by a in state handshake" \
	wait_for 1 jq_ctl a links 'any(.links[]; .state == "handshake")'
wait "$silent"
rc=$?
# from the connect to a's "handshake timed out", by a's own clock
dt=$(( $(log_time a "handshake timed out") - t0 ))
check "silent connection: dropped by a (rc $rc, not a timeout of the test)" test "$rc" -ne 124
check "silent connection: after about conn_timeout 2s (${dt} ms, want 1500..3500)" \
	test "$dt" -ge 1500 -a "$dt" -le 3500
check "silent connection: gone from a's links" wait_for 2 jq_ctl a links '.links | length == 1'
check "silent connection: a alive, same link to b" still_same

# tls_send CMD... : from m, with m's valid certificate, complete a TLS
# handshake with a, send what CMD prints, and keep the connection open (6 s
# at most) until a closes it.  Sets dt: how long it stayed open (ms).
tls_send() {
	rm -f "$T/cli.done"
	{
		"$@"
		for _ in $(seq 60); do [ -e "$T/cli.done" ] && break; sleep 0.1; done
	} | {
		t0=$(now_ms)
		in_ns m timeout 8 gnutls-cli --x509cafile "$(ca_file)" \
			--x509certfile "$T/m/cert.pem" --x509keyfile "$T/m/key.pem" \
			--verify-hostname a -p "$PORT" "$A" >"$T/gnutls-cli.out" 2>&1
		echo $(( $(now_ms) - t0 )) >"$T/cli.done"
	}
	dt=$(cat "$T/cli.done")
}
# an invalid frame header (type 255), then random bytes
garbage_frames() { printf '\377\377\377\377'; head -c 2048 /dev/urandom; }
# a well-formed HELLO frame (lib/frame.h) claiming the node name $1
hello_as() { printf '\001\000\000\016\000\001\000\000\021\042\063\104\125\146\167\210\001%s' "$1"; }

# --- 3. a TLS client with a valid certificate that sends garbage frames
tls_send garbage_frames
check "TLS client: handshake with a completed" \
	grep -qi "handshake was completed" "$T/gnutls-cli.out"
check "TLS garbage: a logs malformed (naming m's address)" \
	wait_for 3 eval "grep -i malformed '$(logf a)' | grep -q '$(addr4 m)'"
check "TLS garbage: a closed the connection itself (${dt} ms, want < 5000)" test "$dt" -lt 5000
check "TLS garbage: counted in protocol_errors" status_get a '.counters.protocol_errors >= 1'
check_not "TLS garbage: a never says link up with m" log_has a "link up.*\bm\b"
check "TLS garbage: gone from a's links" wait_for 2 jq_ctl a links '.links | length == 1'
check "TLS garbage: a alive, same link to b" still_same

# --- 4. m's valid certificate, but a HELLO that claims to be b
log_mark a
tls_send hello_as b
check "impostor: a closed the connection itself (${dt} ms, want < 5000)" test "$dt" -lt 5000
check "impostor: a logs the mismatch (naming m's address)" \
	wait_for 2 log_new a "(warning|error) .*$(addr4 m)\b"
check_not "impostor: a never says link up with m's address" log_has a "link up.*$(addr4 m)\b"
check "impostor: gone from a's links" wait_for 2 jq_ctl a links '.links | length == 1'

check "after it all: a alive, same link to b, for 1 s more" always_for 1 still_same

finish
