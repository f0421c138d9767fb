#!/usr/bin/env bash
# reconnect.sh - a keeps its link to b through crashes: b killed and
# restarted, a killed and restarted, b frozen (a declares it dead after
# conn_timeout) and thawed.  Nobody restarts a to make it reconnect.
. "$(dirname "$0")/lib.sh"
e2e_begin
make_hub
make_ca
for n in a b; do make_node "$n"; make_cert "$n"; done
node_conf a "connect $(addr4 b) $PORT"
node_conf b
start_node a
start_node b
check "a-b link up" wait_links a 1 5
a_pid=$(node_pid a)

# --- b crashes, then comes back
kill_node b
check "b killed: a's link goes down" wait_links a 0 3
check "a's connect to b is retrying (connecting, handshake or waiting)" \
	wait_for 2 status_get a 'all(.connect[]; .state | IN("resolving", "connecting", "handshake", "waiting"))'
hs=$(counter a handshake_failures)
check "a keeps retrying while b is away (3 s)" \
	always_for 3 status_get a 'all(.connect[]; .state != "up")'
check "a counts the refused TCP connects as connect_failures" counter a "connect_failures >= 2"
check "... and not as handshake failures (still $hs)" counter a "handshake_failures == $hs"
# after 3 s of failures the backoff is at conn_retry_max (1 s): a finds b
# again within about that
start_node b
check "b back: a reconnects by itself" wait_links a 1 5
# from b's start to a's "link up", by the daemons' own clocks
dt=$(( $(log_time a "link up: peer b") - $(log_time b "node b started") ))
check "... within conn_retry_max + jitter (${dt} ms, want <= 1700)" test "$dt" -le 1700
check "b back: b sees a" wait_links b 1 2
check "a was not restarted" test "$(node_pid a)" = "$a_pid"

# --- a (the connecting side) crashes, then comes back
b_pid=$(node_pid b)
kill_node a
check "a killed: b's link goes down" wait_links b 0 3
start_node a
check "a back: a links to b again" wait_links a 1 5
check "a back: b sees a" wait_links b 1 2
check "b was not restarted" test "$(node_pid b)" = "$b_pid"

# --- b freezes: no FIN, no RST, just silence
t0=$(now_ms)
signal_node b STOP
check "b frozen: a declares the link dead (conn_timeout 2s)" wait_links a 0 5
# from the SIGSTOP to a's "link down ... timed out", by a's own clock
dt=$(( $(log_time a "link down: peer b.*timed out") - t0 ))
check "... after about conn_timeout (${dt} ms, want 1000..4000)" \
	test "$dt" -ge 1000 -a "$dt" -le 4000
signal_node b CONT
check "b thawed: link back" wait_links a 1 6
check "b thawed: b has exactly one link" wait_links b 1 3

finish
