#!/usr/bin/env bash
# route_ring.sh - six nodes in a ring, n1 - n2 - ... - n6 - n1 (each
# connects to the next), route_hop_cost 50ms so that hop counts, not noisy
# RTTs, decide.  ip-gates on n1 and n3: two hops apart through n2, four
# through n6, n5, n4.  n1 reaches n3 through n2 only (the long way is not
# within multipath_stretch).  Under a ping every 50 ms from n1 to n3, the
# link n1 - n2 is cut (nftables on n1): n1 declares it dead after
# conn_timeout (1s), routes through n6 and the replies resume; the largest
# gap between two replies stays under 2 s (reported, with the part that
# was dead-link detection).  The link is restored: n1 and n3 route through
# n2 again, n2 relays again and n6 stops.  No packet ever expires its TTL
# or comes back to its origin.
# Then broadcast: ether-gates on all six nodes make one Ethernet segment;
# an ARP request from n1's TAP (for an address nobody has) reaches every
# other node's TAP exactly once, though the ring delivers copies that the
# nodes drop (bcast_duplicates > 0).  Digests run every second all along
# and never find a neighbour's copy of a table drifted.
. "$(dirname "$0")/lib.sh"
e2e_begin
need_gates ip-gate ether-gate
need_cmd nft nftables
need_cmd tcpdump tcpdump
NODES=(n1 n2 n3 n4 n5 n6)
make_hub
make_ca
for n in "${NODES[@]}"; do make_node "$n"; make_cert "$n"; done
for i in 1 2 3 4 5 6; do
	node_conf "n$i" "${ROUTE_TIMERS[@]}" "route_hop_cost 50ms" "route_digest_interval 1s" \
		"connect $(addr4 "n$((i % 6 + 1))") $PORT"
done
for n in "${NODES[@]}"; do start_node "$n"; done
for n in "${NODES[@]}"; do check "$n has its two ring links up" wait_links "$n" 2 10; done
for i in 1 3; do
	start_gate "n$i" ip ip-gate -iface_dev tun0 -address "10.99.0.$i/24"
	check "n$i's ip-gate attaches" wait_gate "n$i" ip
done

# via_is NODE OTHER HOP : NODE reaches node OTHER through HOP, and only HOP.
via_is() { node_get "$1" "$2" ".via == \"$3\" and [.next_hops[].peer] == [\"$3\"]" >/dev/null; }

check "n1 learns n3's prefix" wait_route n1 ipv4:10.99.0.3 n3
check "ping n1 -> n3 (10.99.0.3)" wait_ping n1 10.99.0.3 5
check "n1 reaches n3 through n2 only (2 hops of 50 ms)" wait_for 3 via_is n1 n3 n2
check "n3 reaches n1 through n2 only" wait_for 3 via_is n3 n1 n2
check "n1 reaches n5 through n6 only (2 hops the other way)" wait_for 3 via_is n1 n5 n6
check "n1 reaches n4, 3 hops both ways, through n2 or n6" \
	node_get n1 n4 '.via == "n2" or .via == "n6"'
note "n1's metric to n3: $(node_get n1 n3 .metric_ms) ms, to n4: $(node_get n1 n4 .metric_ms) ms"

# --- the link n1 - n2 breaks under a ping every 50 ms
PROC_STDOUT=$T/ping.out start_proc n1 ping ping -D -n -i 0.05 -W 1 10.99.0.3
check "the ping n1 -> n3 gets answers" wait_for 3 grep -q "bytes from 10.99.0.3" "$T/ping.out"
relay_mark n2 n4 n5 n6
sleep 0.5
relay_grew
check "before the cut, n2 relays the ping (+${GREW[n2]})" test "${GREW[n2]}" -gt 0
check "before the cut, n6 relays nothing (+${GREW[n6]})" test "${GREW[n6]}" = 0
t_cut=$(now_ms)
cut_link n1 n2
check "cut: n1 declares its link to n2 dead" wait_for 4 log_has n1 "link down: peer n2"
check "cut: n1 reaches n3 through n6" wait_for 4 via_is n1 n3 n6
check "cut: n3 reaches n1 through n4" wait_for 4 via_is n3 n1 n4
replies=$(grep -c "bytes from" "$T/ping.out")
check "cut: the replies resume" wait_for 3 eval '[ "$(grep -c "bytes from" "$T/ping.out")" -gt $((replies + 5)) ]'
relay_mark n2 n4 n5 n6
sleep 0.5
relay_grew
for n in n4 n5 n6; do
	check "cut: $n relays the ping (+${GREW[$n]})" test "${GREW[$n]}" -gt 0
done
check "cut: n2 relays nothing (+${GREW[n2]})" test "${GREW[n2]}" = 0

read -r gap gap_at < <(ping_gap "$T/ping.out" "$t_cut")
t_down=$(log_time n1 "link down: peer n2")
note "cut: n1 logged the link dead $((t_down - t_cut)) ms after the cut (conn_timeout 1s);" \
	"the last reply before the gap came at $((gap_at - t_cut)) ms, the first after it at" \
	"$((gap_at + gap - t_cut)) ms: $((gap_at + gap - t_down)) ms after the link was declared dead"
note "largest gap between replies after the cut: ${gap} ms"
check "cut: the largest gap between replies is under 2 s (${gap} ms)" test "$gap" -lt 2000

# --- the link comes back: the short way again
t_restore=$(now_ms)
restore_link n1 n2
check "restored: n1 links to n2 again" wait_for 5 has_peers n1 n2 n6
check "restored: n1 reaches n3 through n2 again" wait_for 4 via_is n1 n3 n2
check "restored: n3 reaches n1 through n2 again" wait_for 4 via_is n3 n1 n2
note "restored: n1 routes through n2 again $(( $(now_ms) - t_restore )) ms after the restore (polled)"
sleep 0.2	# packets already on the long way drain
relay_mark n2 n4 n5 n6
sleep 0.5
relay_grew
check "restored: n2 relays the ping again (+${GREW[n2]})" test "${GREW[n2]}" -gt 0
for n in n4 n5 n6; do
	check "restored: $n stops relaying (+${GREW[$n]})" test "${GREW[$n]}" = 0
done
stop_proc n1-ping INT
read -r gap2 _ < <(ping_gap "$T/ping.out" "$t_restore")
note "largest gap between replies after the restore: ${gap2} ms"
check "restored: the switch back costs no outage (largest gap ${gap2} ms, want < 2 s)" test "$gap2" -lt 2000
note "ping: $(grep -E 'packets transmitted' "$T/ping.out")"
check "pkt_ttl_expired stayed 0 on every node" counters_all 'pkt_ttl_expired == 0' "${NODES[@]}"
check "pkt_looped stayed 0 on every node" counters_all 'pkt_looped == 0' "${NODES[@]}"

# --- broadcast: one Ethernet segment over the ring
for i in 1 2 3 4 5 6; do
	start_gate "n$i" eth ether-gate -iface_dev tap0 -mac "02:00:00:00:0$i:01"
done
for n in "${NODES[@]}"; do check "$n's ether-gate attaches" wait_gate "$n" eth; done
check "n1's routes list n4's MAC from n4" wait_route n1 ether:02:00:00:00:04:01 n4
{ in_ns n1 ip addr add 10.98.0.1/24 dev tap0 &&
	in_ns n1 sysctl -qw net.ipv4.neigh.tap0.mcast_solicit=1; } || bail "address n1's tap0"
# what n1's TAP sends and what the others' receive, ARP only
for n in "${NODES[@]}"; do
	dir=in
	[ "$n" = n1 ] && dir=out
	PROC_STDOUT=$T/$n-arp.out start_proc "$n" tcpdump tcpdump -i tap0 -Q "$dir" -n -l arp
done
for n in "${NODES[@]}"; do
	check "tcpdump listens on $n's tap0" wait_for 5 grep -q "listening on tap0" "$T/$n-tcpdump.log"
done
dups=$(jq -n "[$(for n in "${NODES[@]}"; do counter "$n" bcast_duplicates; done | paste -sd,)] | add")
in_ns n1 ping -n -c 1 -W 1 10.98.0.200 >/dev/null 2>&1	# nobody: an ARP request, no reply
# who_has NODE : how many ARP requests for 10.98.0.200 NODE's tcpdump saw
who_has() { grep -c "Request who-has 10.98.0.200" "$T/$1-arp.out"; }
check "n1's TAP sent the ARP request" wait_for 3 eval '[ "$(who_has n1)" -ge 1 ]'
# all_got : every other node's TAP got it at least once
all_got() {
	local n
	for n in "${NODES[@]:1}"; do [ "$(who_has "$n")" -ge 1 ] || return 1; done
}
wait_for 3 all_got
sleep 1		# a duplicate would come within milliseconds
for n in "${NODES[@]}"; do stop_proc "$n-tcpdump" INT; done
sent=$(who_has n1)
note "ARP requests: n1 sent $sent; received: $(for n in "${NODES[@]:1}"; do
	printf '%s=%s ' "$n" "$(who_has "$n")"; done)"
check "n1 sent exactly one ARP request (mcast_solicit 1)" test "$sent" = 1
for n in "${NODES[@]:1}"; do
	check "$n's TAP got the ARP request exactly once ($(who_has "$n"))" test "$(who_has "$n")" = 1
done
dups2=$(jq -n "[$(for n in "${NODES[@]}"; do counter "$n" bcast_duplicates; done | paste -sd,)] | add")
note "bcast_duplicates over all nodes: $dups before the ARP request, $dups2 after"
check "the ring's extra copies were dropped (bcast_duplicates $dups -> $dups2)" \
	test "$dups2" -gt "$dups"
check "pkt_ttl_expired is still 0 on every node" counters_all 'pkt_ttl_expired == 0' "${NODES[@]}"
check "pkt_looped is still 0 on every node" counters_all 'pkt_looped == 0' "${NODES[@]}"
# digests every second all along: every neighbour's copy of every table
# matched what was advertised, through the cut, the restore and the gates
digest_ok() { status_get "$1" '.routing.digest_rx >= 4 and .routing.digest_mismatch == 0' >/dev/null; }
for n in "${NODES[@]}"; do
	check "$n: digests received, no mismatch (its neighbours' copies never drifted)" digest_ok "$n"
done

finish
