#!/usr/bin/env bash
# tiebreak.sh - a connects to b and b connects to a, both started at once:
# they settle on exactly one link, the same one for many keepalive
# intervals (no flapping).  Three rounds, to meet the race more than once.
. "$(dirname "$0")/lib.sh"
e2e_begin
make_hub
make_ca
for n in a b; do make_node "$n"; make_cert "$n"; done
node_conf a "connect $(addr4 b) $PORT"
node_conf b "connect $(addr4 a) $PORT"

# one_link NAME : NAME has exactly one link in all (none in handshake).
one_link() { jq_ctl "$1" links '(.links | length) == 1 and .links[0].state == "up"'; }

for round in 1 2 3; do
	start_node_nowait a
	start_node_nowait b
	check "round $round: a and b running" wait_for 5 eval 'node_ready a && node_ready b'
	check "round $round: a has exactly one link, up" wait_for 5 one_link a
	check "round $round: b has exactly one link, up" wait_for 5 one_link b
	sleep 1	# a few keepalives; a late duplicate would show by now
	id_a=$(link_id a b)
	id_b=$(link_id b a)
	closed_a=$(counter a links_closed)
	closed_b=$(counter b links_closed)
	# 2.5 s = 8 keepalive intervals of 300 ms
	check "round $round: the same single link for 2.5 s (a#$id_a, b#$id_b)" \
		always_for 2.5 eval 'one_link a && one_link b &&
			[ "$(link_id a b)" = "$id_a" ] && [ "$(link_id b a)" = "$id_b" ]'
	check "round $round: no link closed meanwhile" \
		eval '[ "$(counter a links_closed)" = "$closed_a" ] &&
			[ "$(counter b links_closed)" = "$closed_b" ]'
	check "round $round: both connect entries report the link up" \
		eval "status_get a 'all(.connect[]; .state == \"up\" and .peer == \"b\")' &&
			status_get b 'all(.connect[]; .state == \"up\" and .peer == \"a\")'"
	stop_node a; stop_node b
done
if log_has a duplicate || log_has b duplicate; then
	note "a duplicate link was made and closed by the tie-break"
else
	note "no duplicate was made in these rounds (the race was not met)"
fi

finish
