#!/usr/bin/env bash
# flood.sh - strangers cannot take a node's link slots: one host opening
# many idle TCP connections to a gets at most 8 handshakes in progress (the
# rest refused at once and logged), and max_handshakes caps them in all;
# meanwhile a real peer links up with a, and a stays responsive.
. "$(dirname "$0")/lib.sh"
e2e_begin
make_hub
make_ca
for n in a b; do make_node "$n" && make_cert "$n" || exit 1; done
make_node x || exit 1		# the stranger: no certificate, no cloud

node_conf a "conn_timeout 10s" "max_handshakes 12"
node_conf b "connect $(addr4 a) $PORT"
start_node a || fail "a starts"

# x opens 20 TCP connections to a and holds them open, saying nothing
cat >"$T/flood.sh" <<FLOOD
for i in \$(seq 20); do exec {fd}<>/dev/tcp/$(addr4 a)/$PORT || exit 1; done
sleep 8
FLOOD
in_ns x bash "$T/flood.sh" & STARTED_PIDS+=($!)

handshakes() { jq_ctl a links '[.links[] | select(.state == "handshake")] | length'; }
check "a refuses the stranger beyond 8 handshakes from one address" \
	wait_for 3 log_has a "refusing link from $(addr4 x).*from this address"
check "at most 8 of the stranger's connections are kept" \
	eval '[ "$(handshakes)" -le 8 ] && [ "$(handshakes)" -ge 1 ]'

start_node b || fail "b starts"
check "a real peer links up with a during the flood" wait_links b 1 5
check "a answers cloudctl during the flood" ctl a status
check "a and b stay linked while the flood lasts" always_for 2 up_is a 1

# a second stranger address is capped by max_handshakes (12) in all
make_node y || exit 1
sed "s/seq 20/seq 10/" "$T/flood.sh" >"$T/flood2.sh"
in_ns y bash "$T/flood2.sh" & STARTED_PIDS+=($!)
check "max_handshakes caps all strangers together" \
	wait_for 3 log_has a "refusing link from $(addr4 y).*max_handshakes"
check "no more than 12 handshakes at once" eval '[ "$(handshakes)" -le 12 ]'
check "a's process is alive" node_alive a

finish
