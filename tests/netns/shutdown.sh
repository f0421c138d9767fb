#!/usr/bin/env bash
# shutdown.sh - SIGTERM (and SIGINT) close every link cleanly: the node
# says bye, exits 0 within comm_close_timeout (1 s) + 1 s, even when a peer
# is frozen, and its peers log "closed by peer" with the reason "shutdown",
# not a timeout.
. "$(dirname "$0")/lib.sh"
e2e_begin
make_hub
make_ca
for n in a b c; do make_node "$n"; make_cert "$n"; done
node_conf a
node_conf b "connect $(addr4 a) $PORT"
node_conf c "connect $(addr4 a) $PORT"
for n in a b c; do start_node "$n"; done
check "a has links up with b and c" wait_links a 2 5

# stop_and_time NAME SIG : stop NAME with SIG; sets rc (its exit status)
# and ms (how long it took).
stop_and_time() {
	local t0
	t0=$(now_ms)
	stop_node "$1" "$2" 5
	rc=$?
	ms=$(( $(now_ms) - t0 ))
}

# --- SIGTERM a: b and c are told
log_mark b; log_mark c
stop_and_time a TERM
check "SIGTERM: a exits with status 0 (got $rc)" test "$rc" = 0
check "SIGTERM: a exits within 2000 ms (took $ms ms)" test "$ms" -le 2000
for n in b c; do
	check "SIGTERM: $n logs closed by peer ... shutdown" \
		wait_for 2 log_new "$n" "closed by peer.*shutdown"
	check_not "SIGTERM: $n does not log a timeout" log_new "$n" "time(d )?out"
	check "SIGTERM: $n's link is down" wait_links "$n" 0 1
done

# --- SIGINT does the same
start_node a
check "a is back with b and c" wait_links a 2 5
log_mark b
stop_and_time a INT
check "SIGINT: a exits with status 0 (got $rc)" test "$rc" = 0
check "SIGINT: a exits within 2000 ms (took $ms ms)" test "$ms" -le 2000
check "SIGINT: b logs closed by peer ... shutdown" \
	wait_for 2 log_new b "closed by peer.*shutdown"

check "after exit: cloudctl cannot connect (exit 2)" eval 'ctl a status 2>/dev/null; [ $? = 2 ]'

# --- a frozen peer (never answers the bye) delays the exit by at most
# comm_close_timeout
start_node a
check "a is back with b and c" wait_links a 2 5
signal_node b STOP
stop_and_time a TERM
signal_node b CONT
check "frozen peer: a exits with status 0 (got $rc)" test "$rc" = 0
check "frozen peer: a exits within 2000 ms (took $ms ms)" test "$ms" -le 2000

# --- a node with no links at all stops at once
stop_node b; stop_node c
start_node a
stop_and_time a TERM
check "alone: SIGTERM exits 0 (got $rc) within 1000 ms (took $ms ms)" \
	test "$rc" = 0 -a "$ms" -le 1000

finish
