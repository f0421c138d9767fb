#!/usr/bin/env bash
# cert_refused.sh - node a refuses peers whose certificate comes from
# another CA, has expired, is revoked, or names a node not in its `allow'
# list; each refusal is logged with its reason and counted.  A good node
# still links with a.
. "$(dirname "$0")/lib.sh"
e2e_begin
make_hub
make_ca ca
make_ca other_ca

make_node a; make_cert a
make_node good; make_cert good
# a certificate from a CA that a does not trust (the node itself trusts
# both CAs, so it is a that must refuse it)
make_node foreign; make_cert foreign other_ca
make_node old
make_cert old ca -not-before "2020-01-01 00:00:00" -not-after "2021-01-01 00:00:00"
make_node revoked; make_cert revoked
make_node stranger; make_cert stranger
revoke_cert revoked

BAD="foreign old revoked stranger"

node_conf a "crl $(crl_file)" "allow good" "allow foreign" "allow old" "allow revoked"
node_conf good "connect $(addr4 a) $PORT"
node_conf foreign "connect $(addr4 a) $PORT" "ca $(ca_file other_ca)"
for n in old revoked stranger; do node_conf "$n" "connect $(addr4 a) $PORT"; done

start_node a
for n in $BAD; do start_node "$n"; done

# only_good_or_none : a's up links are to good at most.
only_good_or_none() {
	local p
	p=$(link_peers a) || return 1
	[ -z "$p" ] || [ "$p" = good ]
}
# any_bad_up : some refused node shows a link up.
any_bad_up() {
	local n
	for n in $BAD; do ! up_is "$n" 0 && return 0; done
	! only_good_or_none
}

check "no refused node shows a link up for 3 s (on a or on itself)" never_for 3 any_bad_up

# refused NAME REASON : a's log has a rejection line for NAME's address
# that gives REASON.
refused() {
	grep -Ei "certificate.*rejected|rejected.*certificate|not allowed" "$(logf a)" |
		grep -E "$(addr4 "$1")\b" | grep -Eiq -- "$2"
}
check "a: foreign's certificate rejected, unknown issuer" wait_for 3 refused foreign issuer
check "a: old's certificate rejected, expired" wait_for 3 refused old expired
check "a: revoked's certificate rejected, revoked" wait_for 3 refused revoked revoked
check "a: stranger rejected, not allowed" wait_for 3 refused stranger "not allowed"
for n in $BAD; do
	check_not "a's log never says link up with $n" log_has a "link up.*\b$n\b"
done

r1=$(counter a cert_rejected)
check "a: cert_rejected counts the refusals (>= 4, got ${r1:-none})" \
	test "${r1:-0}" -ge 4
check "a: cert_rejected keeps growing while they retry" \
	wait_for 4 eval '[ "$(counter a cert_rejected)" -gt "${r1:-0}" ]'
check "refused nodes keep retrying (connect state is not up)" \
	status_get stranger 'all(.connect[]; .state != "up")'

start_node good
check "a good node still links with a" wait_links good 1 5
check "a's only link is to good" wait_for 2 has_peers a good

finish
