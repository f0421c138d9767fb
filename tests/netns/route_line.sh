#!/usr/bin/env bash
# route_line.sh - five nodes in a line, n1 - n2 - n3 - n4 - n5 (each
# connects to the next), ip-gates on n1, n3 and n5 (tun0: 10.99.0.N/24).
# n1 pings n5 through four hops and n3 through two; n2, n3 and n4 relay
# (pkt_relayed), nobody drops a packet for its TTL or sees it loop.  n1's
# `cloudctl nodes' lists all five nodes, each reached through n2; its
# `routes' give n5's prefix with origin n5 and a metric of at least four
# hop costs; its `dot' is a Graphviz graph naming every node.  Then n3 is
# killed (SIGKILL): within 3 s no other node lists n3 or its prefix (the
# worst node's time is reported), n1 no longer lists n4 and n5, and a ping
# from n1 to n5 is answered at once by n1's ip-gate with "unreachable".
# n3 comes back: n1 reaches n5 again.
. "$(dirname "$0")/lib.sh"
e2e_begin
need_gates ip-gate
NODES=(n1 n2 n3 n4 n5)
make_hub
make_ca
for n in "${NODES[@]}"; do make_node "$n"; make_cert "$n"; done
for i in 1 2 3 4; do
	node_conf "n$i" "${ROUTE_TIMERS[@]}" "connect $(addr4 "n$((i + 1))") $PORT"
done
node_conf n5 "${ROUTE_TIMERS[@]}"
for n in "${NODES[@]}"; do start_node "$n"; done
for n in n2 n3 n4; do check "$n has its two neighbours' links up" wait_links "$n" 2 10; done
check "n1 links only to n2" has_peers n1 n2
check "n5 links only to n4" has_peers n5 n4
for i in 1 3 5; do
	start_gate "n$i" ip ip-gate -iface_dev tun0 -address "10.99.0.$i/24"
	check "n$i's ip-gate attaches" wait_gate "n$i" ip
done

# note_drops NODE... : a note of every NODE's non-zero drop counters (why
# packets were lost), or that there are none.
note_drops() {
	local n out all=
	for n in "$@"; do
		out=$(status_get "$n" '.counters | [to_entries[] | select((.key | IN("pkt_unroutable",
			"pkt_queue_full", "pkt_too_big", "pkt_spoofed", "pkt_ttl_expired",
			"pkt_looped")) and .value > 0) | "\(.key)=\(.value)"] | join(" ")' 2>/dev/null)
		[ -n "$out" ] && all="$all $n: $out;"
	done
	note "drop counters:${all:- none}"
}

# --- four hops
check "n1 learns n5's prefix from n5" wait_route n1 ipv4:10.99.0.5 n5
check "n5 learns n1's prefix from n1" wait_route n5 ipv4:10.99.0.1 n1
check "ping n1 -> n5 (10.99.0.5) through 4 hops" wait_ping n1 10.99.0.5 5
check "ping n1 -> n3 (10.99.0.3) through 2 hops" wait_ping n1 10.99.0.3 3
check "ping n5 -> n1 (10.99.0.1)" wait_ping n5 10.99.0.1 3
in_ns n1 ping -n -q -c 20 -i 0.01 -w 5 10.99.0.5 >"$T/ping-n5.out" 2>&1
note "20 pings n1 -> n5: $(grep "packets transmitted" "$T/ping-n5.out")"
grep -q " 0% packet loss" "$T/ping-n5.out" || note_drops "${NODES[@]}"
check "20 pings n1 -> n5: none lost" grep -q " 0% packet loss" "$T/ping-n5.out"
for n in n2 n3 n4; do
	check "relay $n counts pkt_relayed > 0 ($(counter "$n" pkt_relayed))" \
		counter "$n" 'pkt_relayed > 0'
done
check "the end nodes n1 and n5 relay nothing" counters_all 'pkt_relayed == 0' n1 n5
check "pkt_ttl_expired is 0 on every node" counters_all 'pkt_ttl_expired == 0' "${NODES[@]}"
check "pkt_looped is 0 on every node" counters_all 'pkt_looped == 0' "${NODES[@]}"

# --- n1's view of the mesh
ctl n1 nodes >"$T/n1-nodes.txt"
# names_all FILE FORMAT : FILE has a line matching FORMAT (printf) for each node
names_all() {
	local n
	for n in "${NODES[@]}"; do
		grep -Eq -- "$(printf "$2" "$n")" "$1" || { echo "# no $n in $1" >&2; return 1; }
	done
}
check "cloudctl nodes on n1 names all five nodes" names_all "$T/n1-nodes.txt" '^%s '

check "cloudctl -json nodes on n1: five nodes, n1 itself" \
	jq_ctl n1 nodes '(.nodes | length == 5) and any(.nodes[]; .name == "n1" and .self)'
check "... every other node through n2, and only n2" \
	jq_ctl n1 nodes 'all(.nodes[] | select(.self | not);
		.via == "n2" and ([.next_hops[].peer] == ["n2"]))'
check "cloudctl routes on n1 lists ipv4:10.99.0.5 with node n5" \
	eval 'ctl n1 routes | grep -Eq "^ipv4:10\.99\.0\.5 +n5 +[0-9]+\.[0-9]+ "'
m5=$(jq_ctl n1 routes 'first(.routes[] | select(.prefix == "ipv4:10.99.0.5")) | .metric_ms')
m3=$(jq_ctl n1 routes 'first(.routes[] | select(.prefix == "ipv4:10.99.0.3")) | .metric_ms')
note "n1's metrics: n3's prefix ${m3} ms, n5's ${m5} ms (route_hop_cost 2ms)"
check "n5's prefix: origin n5, via n2, metric >= 4 hop costs (${m5} ms)" \
	jq_ctl n1 routes 'any(.routes[]; .prefix == "ipv4:10.99.0.5" and .node == "n5" and
		.local == false and .via == "n2" and .metric_ms >= 8)'
check "n3's prefix costs less than n5's (${m3} < ${m5} ms)" \
	awk -v a="$m3" -v b="$m5" 'BEGIN { exit !(a >= 4 && a < b) }'
ctl n1 dot >"$T/n1.dot"
check "cloudctl dot on n1 is a graph named n1" \
	eval 'head -n 1 "$T/n1.dot" | grep -qx "graph \"n1\" {" && tail -n 1 "$T/n1.dot" | grep -qx "}"'
check "cloudctl dot on n1 names all five nodes" names_all "$T/n1.dot" '"%s"'
check "cloudctl dot on n1 draws its link to n2" grep -q '"n1" -- "n2"' "$T/n1.dot"
if command -v dot >/dev/null; then
	check "Graphviz dot parses it" dot -Tcanon "$T/n1.dot"
else
	note "graphviz not installed: dot's output checked with grep only"
fi

# --- n3 dies
# n3_gone NODE : NODE's routes name no prefix of n3 and its nodes not n3
# (matched without jq: a poll must cost little, the box is small and busy)
n3_gone() {
	local routes nodes
	routes=$(ctl "$1" -json routes) && nodes=$(ctl "$1" -json nodes) &&
		[[ $routes == '{"routes":'* && $routes != *'"node":"n3"'* &&
			$nodes == '{"nodes":'* && $nodes != *'"name":"n3"'* ]]
}
# poll_gone NODE : poll NODE (for 8 s at most) until n3_gone; write to
# $T/gone-NODE the time (epoch ms) when that poll returned: an upper bound
poll_gone() {
	local end=$(( $(now_ms) + 8000 ))
	while [ "$(now_ms)" -lt "$end" ]; do
		n3_gone "$1" && { now_ms >"$T/gone-$1"; return; }
	done
}
others=(n1 n2 n4 n5)
pollers=()
for n in "${others[@]}"; do	# one poller per node, so that none waits for another
	poll_gone "$n" &
	pollers+=($!)
	PID_STIME[$!]=$(pid_stime $!)
	STARTED_PIDS+=($!)
done
sleep 0.3
t0=$(now_ms)
kill_node n3
wait "${pollers[@]}"
declare -A gone_ms=()
worst=0
for n in "${others[@]}"; do
	[ -s "$T/gone-$n" ] && gone_ms[$n]=$(( $(cat "$T/gone-$n") - t0 ))
	check "n3 killed: $n forgets n3 and ipv4:10.99.0.3 (after ${gone_ms[$n]:-never} ms)" \
		test -n "${gone_ms[$n]:-}"
	[ "${gone_ms[$n]:-99999}" -gt "$worst" ] && worst=${gone_ms[$n]:-99999}
done
note "n3 killed: n2 saw its link down after $(( $(log_time n2 "link down: peer n3") - t0 )) ms," \
	"n4 after $(( $(log_time n4 "link down: peer n3") - t0 )) ms (their logs)"
note "n3's prefixes gone from every other node's table after ${worst} ms at worst" \
	"(n1 ${gone_ms[n1]:-?}, n2 ${gone_ms[n2]:-?}, n4 ${gone_ms[n4]:-?}, n5 ${gone_ms[n5]:-?})"
check "... within 3 s everywhere (worst ${worst} ms)" test "$worst" -le 3000
check "n1's node table no longer lists n4 nor n5" \
	wait_for 3 eval '! node_listed n1 n4 && ! node_listed n1 n5'
check "n1's node table still lists n2" node_listed n1 n2
check "n1 has no route to ipv4:10.99.0.5" eval '! has_route n1 ipv4:10.99.0.5'
unroutable=$(counter n1 pkt_unroutable)
t1=$(now_ms)
in_ns n1 ping -n -c 1 -W 3 10.99.0.5 >"$T/ping-cut.out" 2>&1
dt=$(( $(now_ms) - t1 ))
note "ping n1 -> n5 with n3 dead: $(grep -m1 -E 'Unreachable|packet loss' "$T/ping-cut.out")"
check "ping n1 -> n5 fails: Destination Host Unreachable" \
	grep -q "Destination Host Unreachable" "$T/ping-cut.out"
check "... quickly, not by its 3 s timeout (${dt} ms)" test "$dt" -lt 1500
check "n1 counts it unroutable (was $unroutable)" counter n1 "pkt_unroutable > $unroutable"

# --- n3 comes back (its ip-gate reconnects by itself)
t1=$(now_ms)
start_node n3
check "n3 back: it links to n2 and n4 again" wait_links n3 2 5
check "n3 back: n1 pings n5 again" wait_ping n1 10.99.0.5 10
note "n1 -> n5 answered again $(( $(now_ms) - t1 )) ms after n3 was restarted (polled)"
check "n3 back: n1 lists n3, n4 and n5 again" \
	wait_for 3 eval 'node_listed n1 n3 && node_listed n1 n4 && node_listed n1 n5'
check "n3 back: n1 pings n3's gate (10.99.0.3)" wait_ping n1 10.99.0.3 5
check "pkt_ttl_expired is still 0 on every node" counters_all 'pkt_ttl_expired == 0' "${NODES[@]}"
check "pkt_looped is still 0 on every node" counters_all 'pkt_looped == 0' "${NODES[@]}"

finish
