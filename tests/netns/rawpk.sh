#!/usr/bin/env bash
# rawpk.sh - raw public keys (RFC 7250): nodes that pin each other's key
# link up without any certificate; a node whose key a did not pin is
# refused.
. "$(dirname "$0")/lib.sh"
e2e_begin
make_hub
for n in a b c; do make_node "$n"; make_key "$n"; done

# node_conf writes `name NAME' and no cert/ca for a node without a cert.
node_conf a "pin b $(key_pin b)"
node_conf b "pin a $(key_pin a)" "connect $(addr4 a) $PORT"
node_conf c "pin a $(key_pin a)" "connect $(addr4 a) $PORT"
start_node a
start_node b

check "a has one link up" wait_links a 1 5
check "b has one link up" wait_links b 1 5
check "a's link is to b" has_peers a b
check "b's link is to a" has_peers b a
check "a: link to b authenticated by rawpk" link_get a b 'auth == "rawpk"'
check "b: link to a authenticated by rawpk" link_get b a 'auth == "rawpk"'
check "a: JSON rtt_ms > 0" wait_for 3 link_get a b 'rtt_ms > 0'

start_node c
check "a: c's key refused as not pinned" \
	wait_for 3 eval "grep -Ei 'not pinned' '$(logf a)' | grep -q '$(addr4 c)'"
check "c never gets a link up (3 s)" never_for 3 eval '! up_is c 0'
check "a still has only b" has_peers a b
check_not "a's log never says link up with c" log_has a "link up.*\bc\b"
check "a: cert_rejected counts c" status_get a '.counters.cert_rejected >= 1'

finish
