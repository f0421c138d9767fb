#!/usr/bin/env bash
# privdrop.sh - a node configured with `user nobody' runs as nobody, with no
# capabilities and no supplementary groups, and still links and answers
# cloudctl; with `chroot' too, its root directory is the jail.
. "$(dirname "$0")/lib.sh"
e2e_begin
uid=$(id -u nobody 2>/dev/null) || skip "no user nobody"
gid=$(id -g nobody)
make_hub
make_ca
for n in a b; do make_node "$n"; make_cert "$n"; done
node_conf a "user nobody" "connect $(addr4 b) $PORT"
node_conf b "connect $(addr4 a) $PORT"
start_node a
start_node b
check "a links up with b" wait_links a 1 5
check "b links up with a" wait_links b 1 5

st=/proc/$(node_pid a)/status
# status_ids FIELD ID : the four ids of /proc/PID/status FIELD are all ID.
status_ids() { awk -v f="$1:" -v id="$2" '$1 == f { ok = ($2 == id && $3 == id && $4 == id && $5 == id) } END { exit !ok }' "$st"; }
check "a's Uid line is nobody's ($uid) x4" status_ids Uid "$uid"
check "a's Gid line is nobody's ($gid) x4" status_ids Gid "$gid"
check "a has no supplementary groups but nobody's" \
	awk -v g="$gid" '$1 == "Groups:" { ok = (NF == 1 || (NF == 2 && $2 == g)) } END { exit !ok }' "$st"
for cap in CapEff CapPrm CapInh CapAmb; do
	check "a's $cap is 0" grep -Eq "^$cap:[[:space:]]+0+$" "$st"
done
check "a answers cloudctl status" status_get a '.name == "a"'
check "a answers cloudctl links" has_peers a b
check "a's link stays up (1 s)" always_for 1 up_is a 1
note "$(grep -E '^(Uid|Gid|Groups|CapEff|CapPrm):' "$st" | tr '\t\n' '  ')"

# chroot: c runs inside an empty directory, as nobody, and still links
mkdir -p "$T/jail"
make_node c; make_cert c
node_conf c "chroot $T/jail" "user nobody" "connect $(addr4 b) $PORT"
start_node c
check "c (chrooted) links up with b" wait_links c 1 5
check "c's root directory is the jail" test "$(readlink "/proc/$(node_pid c)/root")" = "$T/jail"
check "c's CapEff is 0" grep -Eq "^CapEff:[[:space:]]+0+$" "/proc/$(node_pid c)/status"
check "c answers cloudctl status" status_get c '.name == "c"'

finish
