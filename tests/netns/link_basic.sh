#!/usr/bin/env bash
# link_basic.sh - nodes link up over X.509: a pair, then a triangle with
# one link over IPv6 and one `connect' given as a hostname; a node that
# connects to itself or to a name that does not resolve never links.
. "$(dirname "$0")/lib.sh"
e2e_begin
make_hub
make_ca
for n in a b c d; do make_node "$n"; make_cert "$n"; done

# rtt_shown NAME PEER : `cloudctl links' (text) shows PEER up with an RTT.
rtt_shown() {
	ctl "$1" links | awk -v p="$2" '
		$1 == p && $4 == "up" && $5 ~ /^[0-9]+(\.[0-9]+)?ms$/ { found = 1 }
		END { exit !found }'
}

# --- two nodes: a connects to b
node_conf a "connect $(addr4 b) $PORT"
node_conf b
start_node a
start_node b

check "a has one link up" wait_links a 1 5
check "b has one link up" wait_links b 1 5
check "a's link is to b" has_peers a b
check "b's link is to a" has_peers b a
check "a's links table shows b up with an RTT in ms" wait_for 3 rtt_shown a b
check "b's links table shows a up with an RTT in ms" wait_for 3 rtt_shown b a
check "a: JSON rtt_ms > 0" wait_for 3 link_get a b 'rtt_ms > 0'
check "b: JSON rtt_ms > 0" wait_for 3 link_get b a 'rtt_ms > 0'
check "a: link to b authenticated by x509" link_get a b 'auth == "x509"'
check "a: link to b is outgoing" link_get a b 'direction == "out"'
check "b: link to a is incoming" link_get b a 'direction == "in"'
check "a: log says link up with b" log_has a "link up.*\bb\b"
check "a: status counts 1 link up" status_get a '.links_up == 1'
check "a: status shows the connect target up" \
	status_get a "any(.connect[]; .peer == \"b\" and .state == \"up\")"
check "a's control socket is mode 0600" test "$(stat -c %a "$T/a/ctl.sock")" = 600

stop_node a; stop_node b

# --- triangle: a -> b by hostname, b -> c, c -> a over IPv6
node_hosts a "$(addr4 b) bravo"
node_conf a "connect bravo $PORT" "listen $(addr6 a) $PORT"
node_conf b "connect $(addr4 c) $PORT"
node_conf c "connect $(addr6 a) $PORT"
start_node a
start_node b
start_node c

check "triangle: a has two links up" wait_links a 2 8
check "triangle: b has two links up" wait_links b 2 8
check "triangle: c has two links up" wait_links c 2 8
check "triangle: a is linked to b and c" has_peers a b c
check "triangle: b is linked to a and c" has_peers b a c
check "triangle: c is linked to a and b" has_peers c a b
check "a reached b through the hostname bravo" \
	status_get a 'any(.connect[]; (.target | startswith("bravo")) and .peer == "b" and .state == "up")'
check "c's link to a runs over IPv6 (fd77::1)" link_get c a 'address | contains("fd77::1")'
check "a sees c's link come from fd77::3" link_get a c 'address | contains("fd77::3")'
check "a listens on IPv4 and IPv6" \
	status_get a '(.listen | length) == 2 and any(.listen[]; contains("fd77::1"))'
check "triangle links stay up (no flapping)" \
	always_for 2 eval 'up_is a 2 && up_is b 2 && up_is c 2'

# --- a node that connects to itself, and to a name that does not
# resolve, keeps trying but never links
node_hosts d
node_conf d "connect $(addr4 d) $PORT" "connect nowhere.invalid $PORT"
start_node d
check "d, connected to itself, never shows a link up (2 s)" never_for 2 eval '! up_is d 0'
check "d keeps retrying itself" \
	status_get d "any(.connect[]; .target == \"$(addr4 d) $PORT\" and .state != \"up\")"
check "d keeps retrying nowhere.invalid (resolving or waiting)" \
	status_get d 'any(.connect[]; (.target | startswith("nowhere.invalid")) and (.state | IN("resolving", "waiting")))'
check "d is still running" node_alive d

finish
