#!/usr/bin/env bash
# udp_roam.sh - a roams on its UDP underlay and keeps its link.  Nodes a
# and b: the TLS link runs over the hub, UDP only over one direct veth pair
# p1 (10.101.0.1 on a, 10.101.0.2 on b; UDP on the hub is dropped in both
# namespaces).  b binds its UDP to its p1 address (udp_listen); a has a
# wildcard socket on a random port (`udp_listen * 0', what a roaming node
# uses), which offers the address of its TCP connection (10.77.0.1, which
# b cannot reach over UDP): b knows a's p1 address only by learning it
# from the source of a's authenticated packets (a learned path, challenged
# before use).  Over ip-gates (tun0 10.99.0.1/24 on a, .2 on b), a pings b
# 20 times a second while its p1 address changes (10.101.0.1 ->
# 10.101.0.101): the ping goes on with a short gap, b challenges the new
# address and its learned path to it goes live, data stays on UDP, and
# neither side opens a new link (same link ids, links_opened unchanged).
# While the roam is going on, b never sends data to the new address before
# its path is live.  Then a roams again (-> 10.101.0.102) while dropping
# everything b sends over UDP, so that b's challenge is never answered: b's
# path to the new address receives but stays unused (no data sent there)
# until the drop ends and it goes live.
. "$(dirname "$0")/lib.sh"
e2e_begin
need_gates ip-gate
need_cmd nft nftables
need_cmd ping iputils-ping
make_hub
make_ca
for n in a b; do make_node "$n"; make_cert "$n"; done
make_paths a b 1
OLD=$(path_addr a 1)		# 10.101.0.1
NEW=10.101.0.$(( ${NODE_IDX[a]} + 100 ))
NEW2=10.101.0.$(( ${NODE_IDX[a]} + 101 ))
B1=$(path_addr b 1)
# the hub carries TLS only: no UDP on eth0, either way, in either node
for n in a b; do
	in_ns "$n" nft -f - <<-EOT || bail "drop UDP on $n's eth0 (nft)"
	table inet hub_no_udp {
		chain in { type filter hook input priority 0; iifname "eth0" meta l4proto udp drop; }
		chain out { type filter hook output priority 0; oifname "eth0" meta l4proto udp drop; }
	}
	EOT
done
node_conf a "connect $(addr4 b) $PORT" "udp_listen * 0"
check "cloud accepts 'udp_listen * 0' (wildcard sockets, any port)" \
	"$CLOUD" --check-config -@include "$(conf_file a)"
node_conf b "udp_listen $B1 $PORT"
start_node a
start_node b
check "a and b link up" wait_links a 1 5
check "a's UDP: wildcard sockets, IPv4 and IPv6, on a random port" \
	eval 'log_has a "data paths on 0\.0\.0\.0:[1-9][0-9]*\$" && log_has a "data paths on \[::\]:[1-9][0-9]*\$"'
start_gate a ip ip-gate -iface_dev tun0 -address 10.99.0.1/24
start_gate b ip ip-gate -iface_dev tun0 -address 10.99.0.2/24
check "a's ip-gate attaches" wait_gate a ip
check "b's ip-gate attaches" wait_gate b ip
check "ping a -> b (10.99.0.2) over the gates" wait_ping a 10.99.0.2 5

# remote_is ADDR : jq condition: a path's remote is ADDR (IPv4, any port)
remote_is() { echo "(.remote | startswith(\"$1:\"))"; }
# learned_live NODE PEER ADDR : NODE has a live learned path to PEER at ADDR
learned_live() {
	link_udp "$1" "$2" "any(.paths[]; .learned and .state == \"live\" and $(remote_is "$3"))"
}
check "a's wildcard socket reaches b's p1 address: a has a live path to $B1" \
	wait_for 5 eval "link_udp a b 'any(.paths[]; .state == \"live\" and $(remote_is "$B1"))'"
check "b learns a's p1 address $OLD: a live learned path" wait_for 5 learned_live b a "$OLD"
check "a's wildcard socket offers its TCP address: b has an offered path to $(addr4 a)" \
	link_udp b a "any(.paths[]; (.learned | not) and $(remote_is "$(addr4 a)"))"
check_not "b has no live path to a's hub address (UDP on the hub is dropped)" \
	link_udp b a "any(.paths[]; .state == \"live\" and $(remote_is "$(addr4 a)"))"
in_ns a ping -n -c 20 -i 0.05 -W 1 -q 10.99.0.2 >/dev/null
check "data goes over UDP both ways before the roam" \
	eval 'link_udp a b ".on_udp and .tx_udp > 0" && link_udp b a ".on_udp and .tx_udp > 0"'
note "b's paths before the roam:"
ctl b paths | sed 's/^/#   /'

# --- the roam, during a 20/s ping
ID_A=$(link_id a b) ID_B=$(link_id b a)
OPENED_A=$(counter a links_opened) OPENED_B=$(counter b links_opened)
LEARNED_B=$(link_udp b a .paths_learned)
RX_UDP_B=$(link_udp b a .rx_udp)
TLS_A=$(link_udp a b .tx_tls) TLS_B=$(link_udp b a .tx_tls)
log_mark b
# b's view of its paths, sampled as fast as cloudctl answers, for 8 s
(
	end=$(( $(now_ms) + 8000 ))
	while [ "$(now_ms)" -lt "$end" ]; do
		ctl b -json paths | jq -c --arg t "$(now_ms)" '{t: ($t | tonumber)} + .'
	done >"$T/b-paths.jsonl" 2>/dev/null
) &
SAMPLER=$!
PROC_STDOUT=$T/ping-roam.out start_proc a ping ping -n -D -i 0.05 -c 200 -W 1 10.99.0.2 ||
	bail "start the ping"
PING=$(proc_pid a-ping)
sleep 3
ROAM_MS=$(now_ms)
in_ns a ip addr del "$OLD/24" dev p1 && in_ns a ip addr add "$NEW/24" dev p1 ||
	bail "change a's p1 address $OLD -> $NEW"
wait "$PING"
wait "$SAMPLER"

sent=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' "$T/ping-roam.out")
got=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' "$T/ping-roam.out")
read -r gap _ < <(ping_gap "$T/ping-roam.out")
note "roam: ping $got/$sent answered, largest gap between replies ${gap} ms"
check "the ping went on: 200 sent, replies received (got ${got:-none})" \
	eval '[ "${sent:-0}" = 200 ] && [ "${got:-0}" -gt 0 ]'
check "the largest gap in the ping is under 3 s (got $gap ms)" test "${gap:-99999}" -lt 3000
check "the ping lost at most 20% (got $(( ${sent:-0} - ${got:-0} )) of ${sent:-0})" \
	test $(( (${sent:-0} - ${got:-0}) * 5 )) -le "${sent:-0}"
check "b logs that it challenges a's new address $NEW" \
	log_new b "packets from a new address ${NEW//./\\.}:[0-9]+: challenging"
check "b's path to a's new address $NEW is live and learned" wait_for 3 learned_live b a "$NEW"
check "b's paths_learned grew (was $LEARNED_B)" link_udp b a ".paths_learned > $LEARNED_B"
check "b sends data to $NEW after the roam (its path's tx_packets > 0)" \
	link_udp b a "any(.paths[]; $(remote_is "$NEW") and .tx_packets > 0)"
check "a's link id is unchanged ($ID_A)" test "$(link_id a b)" = "$ID_A"
check "b's link id is unchanged ($ID_B)" test "$(link_id b a)" = "$ID_B"
check "the paths view names the same link ids" \
	eval '[ "$(link_udp a b .link)" = "$ID_A" ] && [ "$(link_udp b a .link)" = "$ID_B" ]'
check "a opened no new link (links_opened $OPENED_A)" counter a "links_opened == $OPENED_A"
check "b opened no new link (links_opened $OPENED_B)" counter b "links_opened == $OPENED_B"
# b's rx_udp after the roam: what arrived over UDP since the last sample
# taken before it
rx_at_roam=$(jq -s --argjson r "$ROAM_MS" \
	'[.[] | select(.t <= $r) | .links[] | select(.peer == "a") | .rx_udp] | last // 0' \
	"$T/b-paths.jsonl")
rx_now=$(link_udp b a .rx_udp)
note "b's rx_udp: $RX_UDP_B before the ping, $rx_at_roam at the roam, $rx_now now"
check "b keeps receiving data over UDP after the roam (rx_udp $rx_at_roam -> $rx_now)" \
	test "$(( rx_now - rx_at_roam ))" -ge 100
tls_a=$(( $(link_udp a b .tx_tls) - TLS_A )) tls_b=$(( $(link_udp b a .tx_tls) - TLS_B ))
note "data sent on the TLS link during the roam: a $tls_a, b $tls_b packets"
check "a sent at most 20 data packets on TLS during the roam (got $tls_a)" test "$tls_a" -le 20
check "b sent at most 20 data packets on TLS during the roam (got $tls_b)" test "$tls_b" -le 20
check "a's link to b is on UDP" link_udp a b .on_udp
check "b's link to a is on UDP" link_udp b a .on_udp
# loss_sample N : N samples (every 0.2 s) of every path's loss_pct on a and
# b; prints those out of 0..100
loss_sample() {
	local i n
	for i in $(seq 1 "$1"); do
		for n in a b; do
			ctl "$n" -json paths | jq -r --arg n "$n" \
				'.links[].paths[] | select(.loss_pct > 100) | "\($n) \(.remote) \(.state) loss_pct \(.loss_pct)"'
		done
		sleep 0.2
	done | sort | uniq -c | head -n 4 | tr -s ' ' | tr '\n' ';'
}
bad_loss=$(loss_sample 10)
check "a's and b's paths report loss_pct 0..100 (10 samples; bad: ${bad_loss:-none})" test -z "$bad_loss"
note "b's paths after the roam:"
ctl b paths | sed 's/^/#   /'

# b's path to NEW, in every sample: was data ever sent there while it was
# not live?
jq -c --arg pfx "$NEW:" '.t as $t | .links[] | select(.peer == "a") |
	.paths[] | select(.remote | startswith($pfx)) | {t: $t, state, tx_packets, rx_packets}' \
	"$T/b-paths.jsonl" >"$T/b-new-path.jsonl"
samples=$(wc -l <"$T/b-paths.jsonl")
seen_probing=$(jq -s '[.[] | select(.state != "live")] | length' "$T/b-new-path.jsonl")
note "b's paths sampled $samples times in 8 s; $seen_probing samples caught the path to $NEW not live yet"
check "b sent no data to $NEW while its path was not live (sampled)" \
	jq -se 'all(.[]; .state == "live" or .tx_packets == 0)' "$T/b-new-path.jsonl"
first_tx=$(jq -s --argjson r "$ROAM_MS" '[.[] | select(.tx_packets > 0) | .t - $r] | first // "never"' \
	"$T/b-new-path.jsonl")
note "b's first sample with data sent to $NEW: $first_tx ms after the roam"
bad_loss=$(jq -c '.links[].paths[] | select(.loss_pct > 100) | {remote, state, loss_pct}' \
	"$T/b-paths.jsonl" | sort | uniq -c | head -n 3 | tr -s ' ' | tr '\n' ';')
check "b's paths report loss_pct 0..100 in all $samples samples (bad: ${bad_loss:-none})" \
	test -z "$bad_loss"

# --- roam again, while a drops all UDP from b: b's challenge of the new
# address goes unanswered, so b must not send data there
LEARNED_B=$(link_udp b a .paths_learned)
in_ns a nft -f - <<-EOT || bail "drop UDP from b on a's p1 (nft)"
table inet deaf {
	chain in { type filter hook input priority 0; iifname "p1" meta l4proto udp drop; }
}
EOT
log_mark b
in_ns a ip addr del "$NEW/24" dev p1 && in_ns a ip addr add "$NEW2/24" dev p1 ||
	bail "change a's p1 address $NEW -> $NEW2"
in_ns a ping -n -i 0.05 -c 40 -W 1 -q 10.99.0.2 >"$T/ping-deaf.out" 2>&1
check "a unanswered: b challenges its new address $NEW2" \
	wait_for 2 log_new b "packets from a new address ${NEW2//./\\.}:[0-9]+: challenging"
check "a unanswered: b's path to $NEW2 receives packets (rx_packets > 0)" \
	link_udp b a "any(.paths[]; $(remote_is "$NEW2") and .rx_packets > 0)"
check "a unanswered: b's path to $NEW2 is not live" \
	link_udp b a "any(.paths[]; $(remote_is "$NEW2") and .state != \"live\")"
check "a unanswered: b sent no data to $NEW2 (tx_packets 0)" \
	link_udp b a "any(.paths[]; $(remote_is "$NEW2") and .tx_packets == 0)"
check "a unanswered: the ping still gets through (over TLS)" \
	grep -qE ' [1-9][0-9]* received' "$T/ping-deaf.out"
note "b's paths while a drops UDP from b:"
ctl b paths | sed 's/^/#   /'
in_ns a nft delete table inet deaf || bail "stop dropping UDP on a"
check "a answers again: b's learned path to $NEW2 goes live" wait_for 5 learned_live b a "$NEW2"
in_ns a ping -n -c 20 -i 0.05 -W 1 -q 10.99.0.2 >/dev/null
check "a answers again: b sends data to $NEW2" \
	wait_for 3 link_udp b a "any(.paths[]; $(remote_is "$NEW2") and .tx_packets > 0)"
check "a answers again: both sides back on UDP" \
	eval 'link_udp a b .on_udp && link_udp b a .on_udp'
check "after two roams: same link ids" \
	eval '[ "$(link_id a b)" = "$ID_A" ] && [ "$(link_id b a)" = "$ID_B" ]'
check "after two roams: no new link opened" \
	eval 'counter a "links_opened == $OPENED_A" && counter b "links_opened == $OPENED_B"'

finish
