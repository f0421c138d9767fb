#!/usr/bin/env bash
# revoke_reload.sh - revocation and trust changes reach links that are
# already up: after `cloud-ca revoke b' and a reload of a's CRL, a closes
# its link to b and refuses b from then on, while c stays linked; in raw
# public key mode, removing a pin and reloading closes that peer's link.
. "$(dirname "$0")/lib.sh"
e2e_begin
make_hub
make_ca ca
for n in a b c; do make_node "$n" && make_cert "$n" || exit 1; done

node_conf a "crl $(crl_file)"
node_conf b "connect $(addr4 a) $PORT"
node_conf c "connect $(addr4 a) $PORT"
for n in a b c; do start_node "$n" || fail "$n starts"; done
check "a links with b and c" wait_for 5 has_peers a b c

revoke_cert b || fail "cloud-ca revoke b"
log_mark a
signal_node a HUP
check "a reloads" wait_for 3 log_new a "reloaded configuration"
check "a closes its link to b: revoked" \
	wait_for 3 log_new a "link.*b.*no longer allowed.*revoked"
check "a keeps only c" wait_for 3 has_peers a c
check "b stays out (3 s): a refuses it on every retry" never_for 3 eval '! has_peers a c'
check "a counts b's refusals" eval '[ "$(counter a cert_rejected)" -ge 2 ]'
check "a's link to c was not touched" eval '[ "$(counter a links_closed)" = 1 ]'

# raw public keys: drop b's pin from a, reload, b's link goes
for n in ra rb; do make_node "$n" && make_key "$n" || exit 1; done
node_conf ra "pin rb $(key_pin rb)"
node_conf rb "pin ra $(key_pin ra)" "connect $(addr4 ra) $PORT"
for n in ra rb; do start_node "$n" || fail "$n starts"; done
check "ra and rb link up (raw keys)" wait_links ra 1 5
conf_del ra "^pin rb"
conf_add ra "pin rc $(key_pin rb)"
log_mark ra
signal_node ra HUP
check "ra closes rb's link when rb's key is pinned under another name" \
	wait_for 3 log_new ra "no longer allowed.*no longer pinned"
check "ra has no link after that (3 s)" never_for 3 eval '! up_is ra 0'

finish
