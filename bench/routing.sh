#!/usr/bin/env bash
# routing.sh - how fast N cloud nodes agree on routes, and what it costs.
#
#   sudo [SEED=S] bench/routing.sh [N...]        (default: 25 50 100)
#
# Starts N `cloud` processes on loopback (127.0.0.1, ports from 18100) in a
# random connected graph: a random spanning tree plus 3N/4 random chords,
# about 3.5 links per node (SEED makes the graphs reproducible).  Columns:
#  converge  from start until a node lists all N nodes (`cloudctl nodes',
#            polled through the same count in `status');
#  forget    from `kill -9' of a random node that is not a cut vertex until
#            a survivor no longer lists it;
#  repair    from the kill until a survivor lists all N-1 others again
#            (routes through the dead node may need seqno requests);
#  lost      (node, destination) pairs, the dead one aside, missing from
#            some output polled between the kill and the repair;
#  holes     walks (below) that end at a node without a route, at
#            convergence and after the repair: churn in a quiet mesh;
#  loop-free every node's selected next hop (`via') toward every other node
#            is followed from node to node: each walk must stay on links of
#            the graph and reach its destination without revisiting a node.
#            Checked at convergence, after the repair, and on every polling
#            round in between (a snapshot stitched from outputs up to a
#            round apart).  Snapshots are taken node by node, so a loop in
#            one may be next hops that never held at the same time: the
#            nodes on it are polled again back to back, up to three times,
#            and it counts only if it is still there.  A loop prints its
#            walk and makes the exit status 1;
#  KiB       routing.bytes_tx summed over the nodes: at convergence; per
#            second over the IDLE_S (10) seconds after it (the RTT windows
#            still fill then: links settle their costs); and from just
#            before the kill until after the repair (that window in
#            brackets: compare with the idle rate);
#  CPU, RSS  of all daemons together (CPU, handshakes included), per node.
# Times are per node, "median / last".  Nodes are polled by POLLERS (1)
# loops, one cloudctl call at a time: a node is timed at the first poll
# that sees it done, late by up to one round of its poller (`poll', the
# longest round), and the polling takes CPU from the daemons.  KEEP=DIR
# keeps each run's graph, logs and polled outputs in DIR/nN.
# Run it by hand; it is not part of make check.
# shellcheck disable=SC2317  # cleanup and the probes are called indirectly
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
B=${top_builddir:-$repo/build}
CLOUD=$B/src/cloud CLOUDCTL=$B/tools/cloudctl CA=$repo/tools/cloud-ca
[ -x "$CLOUD" ] || { echo "build first: tools/setup-debian.sh" >&2; exit 1; }
command -v jq >/dev/null || { echo "routing.sh needs jq" >&2; exit 1; }
SEED=${SEED:-$((RANDOM * 32768 + RANDOM))}
TIMEOUT_S=${TIMEOUT_S:-60} POLLERS=${POLLERS:-1} IDLE_S=${IDLE_S:-10}
T=$(mktemp -d); PIDS=(); POLLER_PIDS=(); FAILED=0
cleanup() {
	for p in "${POLLER_PIDS[@]}" "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null; rm -rf "$T"
}
trap cleanup EXIT
"$CA" -d "$T" init >/dev/null
. "$repo/bench/lib.sh"

ctl() { "$CLOUDCTL" -s "$T/n$1.ctl" -t 5 -json "$2" 2>/dev/null; }

# edge A B : A's config connects to B; false if it is a loop or a duplicate.
edge() {
	[ "$1" -ne "$2" ] && [ -z "${ADJ[$1,$2]:-}" ] || return 1
	ADJ[$1,$2]=1; ADJ[$2,$1]=1; NEIGH[$1]+=" $2"; NEIGH[$2]+=" $1"
	echo "n$1 n$2" >>"$T/edges"
	echo "connect 127.0.0.1 $((18100 + $2))" >>"$T/n$1.cfg"
}

# A random spanning tree over a random permutation, then 3n/4 chords.
graph() {
	local n=$1 i j k perm=()
	for ((i = 0; i < n; i++)); do perm[i]=$i; done
	for ((i = n - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1))); k=${perm[i]}; perm[i]=${perm[j]}; perm[j]=$k
	done
	for ((i = 1; i < n; i++)); do edge "${perm[i]}" "${perm[RANDOM % i]}"; done
	for ((k = 0; k < n * 3 / 4;)); do
		if edge $((RANDOM % n)) $((RANDOM % n)); then k=$((k + 1)); fi
	done
}

# connected_without V N : is the graph still connected without node V?
connected_without() {
	local v=$1 n=$2 u w count=1 seen=() queue=()
	u=$(((v + 1) % n)); seen[u]=1; queue=("$u")
	while [ ${#queue[@]} -gt 0 ]; do
		u=${queue[0]}; queue=("${queue[@]:1}")
		for w in ${NEIGH[u]}; do
			if [ "$w" -ne "$v" ] && [ -z "${seen[w]:-}" ]; then
				seen[w]=1; queue+=("$w"); count=$((count + 1))
			fi
		done
	done
	[ "$count" -eq $((n - 1)) ]
}

# walks LABEL QUIET DIR : follow every via chain in the `nodes' outputs in
# DIR (one file per node); prints the number of walks that loop and of
# those that reach a node without a route (details on stderr: of loops
# always, of holes unless QUIET).
walks() {
	local label=$1 quiet=$2 dir=$3
	{
		jq -r '(.nodes[] | select(.self) | "a \(.name)"),
			((.nodes[] | select(.self) | .name) as $me | .nodes[] |
			 select(.self | not) | "v \($me) \(.name) \(.via)")' "$dir"/* 2>/dev/null
		sed 's/^/e /' "$T/edges"
	} | awk -v label="$label" -v quiet="$quiet" '
	$1 == "a" { alive[$2] = 1; na++ }
	$1 == "e" { adj[$2, $3] = 1; adj[$3, $2] = 1 }
	$1 == "v" { via[$2, $3] = $4 }
	END {
		for (s in alive) for (d in alive) {
			if (s == d) continue
			walk = s; cur = s; bad = ""; delete seen; seen[s] = 1
			for (h = 0; cur != d; h++) {
				if (!((cur, d) in via)) { bad = "no route at " cur; break }
				nx = via[cur, d]
				if (!((cur, nx) in adj)) { bad = "via " nx ", no neighbour of " cur; break }
				walk = walk " " nx
				if (nx in seen || h >= na) { bad = "loop"; break }
				seen[nx] = 1; cur = nx
			}
			if (cur == d) continue
			if (bad == "loop") loops++; else holes++
			if ((bad == "loop" || !quiet) && shown++ < 10)
				printf "%s: %s -> %s: %s: %s\n", label, s, d, bad, walk > "/dev/stderr"
		}
		if (holes && !quiet)
			printf "%s: %d walks end without a route\n", label, holes > "/dev/stderr"
		print loops + 0, holes + 0
	}'
}

# snapshot DIR NODE... : their `nodes' outputs, one file each
snapshot() {
	local dir=$1 i; shift
	rm -rf "$dir"; mkdir -p "$dir"
	for i in "$@"; do ctl "$i" nodes >"$dir/n$i" || rm -f "$dir/n$i"; done
}

# Sum of routing.bytes_tx over these nodes.
bytes_tx() {
	local i sum=0 out
	for i in "$@"; do
		if out=$(ctl "$i" status) && [[ $out =~ \"bytes_tx\":([0-9]+) ]]; then
			sum=$((sum + BASH_REMATCH[1]))
		fi
	done
	echo "$sum"
}

# Probes for watch, of node $1 in polling round $2; true when it is done.
# converged: it lists all N_WANT nodes.
converged() {
	local out
	out=$(ctl "$1" status) && [[ $out =~ \"routing\":\{\"nodes\":([0-9]+) ]] &&
		[ "${BASH_REMATCH[1]}" -eq "$N_WANT" ]
}
# repaired: it lists all N_WANT nodes and not VICTIM; the time it first
# did not list VICTIM goes to $T/forgot, its output to $T/rounds/ROUND/.
repaired() {
	local out rest
	out=$(ctl "$1" nodes) || return 1
	echo "$out" >"$T/rounds/$2/n$1"
	if [[ $out == *"\"name\":\"n$VICTIM\""* ]]; then
		unset 'FORGOT[$1]'
		return 1
	fi
	if [ -z "${FORGOT[$1]:-}" ]; then
		FORGOT[$1]=$EPOCHREALTIME
		echo "$1 ${FORGOT[$1]}" >>"$T/forgot"
	fi
	rest=${out//\"self\":/}
	[ $(((${#out} - ${#rest}) / 7)) -eq "$N_WANT" ]
}

# stats START FILE : "MEDIAN LAST" of the latest time of each node in FILE
# (lines "NODE TIME"), in seconds from START
stats() {
	awk -v s="$1" '{ t[$1] = $2 } END { for (i in t) print t[i] - s }' "$2" | sort -g |
		awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)], t[NR] }'
}

# poller PROBE START ID NODE... : poll the nodes not done yet, round after
# round from ROUNDS on, until all are; a node's time goes to $T/first.
# Then writes "ROUNDS LONGEST-ROUND" to $T/poller.ID.  Run in a subshell.
poller() {
	local probe=$1 start=$2 id=$3 i t0 left cand worst=0; shift 3
	left="$*"
	while [ -n "$left" ]; do
		t0=$EPOCHREALTIME; cand=
		mkdir -p "$T/rounds/$ROUNDS"
		for i in $left; do
			if "$probe" "$i" "$ROUNDS"; then
				echo "$i $EPOCHREALTIME" >>"$T/first"
			else
				cand+=" $i"
			fi
		done
		left=$cand; ROUNDS=$((ROUNDS + 1))
		worst=$(echo "p = $EPOCHREALTIME - $t0; if (p > $worst) p else $worst" | bc)
		if [ -n "$left" ] && (($(echo "$EPOCHREALTIME - $start > $TIMEOUT_S" | bc))); then
			echo "not $probe after ${TIMEOUT_S}s: n${left// / n}" >&2
			return 1
		fi
	done
	echo "$ROUNDS $worst" >"$T/poller.$id"
}

# watch PROBE START NODE... : POLLERS pollers share the nodes; when all
# are done, all are probed once more (and polled again if one fell back).
# Sets ROUNDS and raises POLL to the longest round of a poller (seconds).
watch() {
	local probe=$1 start=$2 i k fail lists pending=("${@:3}") cand rounds worst
	: >"$T/first"; : >"$T/forgot"; ROUNDS=0
	while [ ${#pending[@]} -gt 0 ]; do
		lists=(); k=0; POLLER_PIDS=(); fail=0
		for i in "${pending[@]}"; do lists[k % POLLERS]+=" $i"; k=$((k + 1)); done
		for k in "${!lists[@]}"; do
			# shellcheck disable=SC2086
			poller "$probe" "$start" "$k" ${lists[k]} & POLLER_PIDS+=($!)
		done
		for i in "${POLLER_PIDS[@]}"; do wait "$i" || fail=1; done
		POLLER_PIDS=()
		[ "$fail" -eq 0 ] || return 1
		for k in "${!lists[@]}"; do
			read -r rounds worst <"$T/poller.$k"
			[ "$rounds" -le "$ROUNDS" ] || ROUNDS=$rounds
			POLL=$(echo "if ($worst > $POLL) $worst else $POLL" | bc)
		done
		while read -r i k; do FORGOT[i]=$k; done <"$T/forgot"
		mkdir -p "$T/rounds/$ROUNDS"; cand=()
		for i in "${@:3}"; do
			"$probe" "$i" "$ROUNDS" || { echo "n$i: no longer $probe" >&2; cand+=("$i"); }
		done
		ROUNDS=$((ROUNDS + 1)); pending=("${cand[@]}")
		if [ ${#cand[@]} -gt 0 ] && (($(echo "$EPOCHREALTIME - $start > $TIMEOUT_S" | bc))); then
			echo "not $probe for good after ${TIMEOUT_S}s:$(printf ' n%s' "${cand[@]}")" >&2
			return 1
		fi
	done
}

# transient_walks N : walks over the snapshots stitched from each polling
# round's outputs and the latest earlier ones; a loop is polled again.
# Prints the number of loops confirmed.
transient_walks() {
	local n=$1 r l h loops=0
	rm -rf "$T/stitched"; mkdir -p "$T/stitched"
	for ((r = 0; r < ROUNDS; r++)); do
		cp "$T/rounds/$r"/* "$T/stitched/"
		read -r l h < <(walks "n=$n round $r after the kill" 1 "$T/stitched")
		if [ "$l" -gt 0 ]; then
			snapshot "$T/recheck" "${SURVIVORS[@]}"
			read -r l h < <(walks "n=$n round $r, polled again" 0 "$T/recheck")
			loops=$((loops + l))
		fi
	done
	echo "$loops"
}

# checked_walks LABEL NODE... : walks over a fresh snapshot of the NODEs.
# A snapshot is taken node by node, so a "loop" in it may be next hops
# that never held at the same time: the nodes on a loop are polled again
# at once, back to back (milliseconds apart), three times; a loop counts
# only if it is still there.  Prints "loops holes".
checked_walks() {
	local label=$1 l h try i; shift
	snapshot "$T/snap" "$@"
	read -r l h < <(walks "$label" 1 "$T/snap" 2>"$T/loops")
	for ((try = 1; l > 0 && try <= 3; try++)); do
		sed 's/^/(snapshot) /' "$T/loops" >&2
		# "LABEL: nA -> nB: loop: nA nC nD nC": re-poll the walk's nodes
		for i in $(sed -n 's/.*: loop: //p' "$T/loops" | tr ' ' '\n' | sort -u); do
			ctl "${i#n}" nodes >"$T/snap/$i" || rm -f "$T/snap/$i"
		done
		read -r l h < <(walks "$label, its nodes polled again ($try)" 1 "$T/snap" 2>"$T/loops")
	done
	[ "$l" -gt 0 ] && cat "$T/loops" >&2
	[ "$h" -gt 0 ] && walks "$label" 0 "$T/snap" >/dev/null	# show the holes
	echo "$l $h"
}

# lost_routes : how many (node, destination) pairs, the dead one aside,
# were missing from some output polled after the kill
lost_routes() {
	{
		printf 'a n%s\n' "${SURVIVORS[@]}"
		jq -r '(.nodes[] | select(.self) | .name) as $me |
			"f \(input_filename) \($me)", (.nodes[] | "l \(input_filename) \(.name)")' \
			"$T"/rounds/*/*
	} | awk '
	$1 == "a" { alive[$2] = 1 }
	$1 == "f" { me[$2] = $3 }
	$1 == "l" { listed[$2, $3] = 1 }
	END {
		for (f in me) for (d in alive)
			if (!((f, d) in listed) && !((me[f], d) in lost)) { lost[me[f], d] = 1; n++ }
		print n + 0
	}'
}

# mesh N : configure N nodes in a random graph
mesh() {
	local n=$1 i
	declare -gA ADJ=(); declare -ga NEIGH=()
	RANDOM=$((SEED + n))
	rm -rf "$T/rounds" "$T/snap"; : >"$T/edges"
	for ((i = 0; i < n; i++)); do
		node_cfg "$i" $((18100 + i)) "conn_keepalive 1s" "conn_timeout 3s"
		: >"$T/n$i.log"
	done
	graph "$n"
}

run() {
	local n=$1 i p start cpu=0 rss=0 l h loops holes lost conv forget repair
	local b_conv b_idle t_idle b_pre t_pre b_post t_post all=()
	declare -ga FORGOT=() SURVIVORS=()
	POLL=0 N=$n N_WANT=$n VICTIM=-1 ROUNDS=0
	mapfile -t all < <(seq 0 $((n - 1)))
	mesh "$n"
	start=$EPOCHREALTIME; PIDS=()
	for i in "${all[@]}"; do
		"$CLOUD" -@include "$T/n$i.cfg" 2>>"$T/n$i.log" & PIDS+=($!)
	done
	if ! watch converged "$start" "${all[@]}"; then
		printf '| %4d | %4d | timeout |\n' "$n" "$(wc -l <"$T/edges")"
		stop
		return 1
	fi
	conv=$(stats "$start" "$T/first")
	b_conv=$(bytes_tx "${all[@]}")
	read -r loops holes < <(checked_walks "n=$n converged" "${all[@]}")
	# what the mesh sends when nothing happens
	t_idle=$EPOCHREALTIME; b_idle=$(bytes_tx "${all[@]}")
	sleep "$IDLE_S"
	b_idle=$(echo "($(bytes_tx "${all[@]}") - $b_idle) / ($EPOCHREALTIME - $t_idle)" | bc -l)

	while VICTIM=$((RANDOM % n)); ! connected_without "$VICTIM" "$n"; do :; done
	for i in "${all[@]}"; do [ "$i" -eq "$VICTIM" ] || SURVIVORS+=("$i"); done
	t_pre=$EPOCHREALTIME; b_pre=$(bytes_tx "${SURVIVORS[@]}")
	p=${PIDS[VICTIM]}
	cpu=$(awk '{ print $14 + $15 }' "/proc/$p/stat")
	rm -rf "$T/rounds"
	start=$EPOCHREALTIME
	{ kill -9 "$p"; wait "$p"; } 2>/dev/null || true
	N_WANT=$((n - 1))
	if ! watch repaired "$start" "${SURVIVORS[@]}"; then
		# shellcheck disable=SC2086
		printf '| %4d | %4d | %5.2f / %5.2f | timeout | timeout | %5d | %4d | %4.2f | | %7.1f / %4.1f | %6.1f |\n' \
			"$n" "$(wc -l <"$T/edges")" $conv "$(lost_routes)" "$holes" "$POLL" \
			"$(echo "$b_conv / 1024" | bc -l)" "$(echo "$b_conv / 1024 / $n" | bc -l)" \
			"$(echo "$b_idle / 1024" | bc -l)"
		stop
		return 1
	fi
	forget=$(stats "$start" "$T/forgot")
	repair=$(stats "$start" "$T/first")
	t_post=$EPOCHREALTIME; b_post=$(bytes_tx "${SURVIVORS[@]}")
	read -r l h < <(checked_walks "n=$n repaired after the kill of n$VICTIM" "${SURVIVORS[@]}")
	loops=$((loops + l + $(transient_walks "$n"))); holes=$((holes + h))
	lost=$(lost_routes)

	for i in "${SURVIVORS[@]}"; do
		p=${PIDS[i]}
		kill -0 "$p" 2>/dev/null || { echo "n=$n: n$i died" >&2; FAILED=1; continue; }
		cpu=$((cpu + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
		rss=$((rss + $(awk '/VmRSS/ { print $2 }' "/proc/$p/status")))
	done
	[ "$loops" -eq 0 ] || FAILED=1
	# shellcheck disable=SC2086
	printf '| %4d | %4d | %5.2f / %5.2f | %5.2f / %5.2f | %5.2f / %5.2f | %5d | %4d | %4.2f | %3s | %7.1f / %4.1f | %6.1f | %6.1f / %4.1f (%4.1f s) | %6.2f | %4.1f |\n' \
		"$n" "$(wc -l <"$T/edges")" $conv $forget $repair "$lost" "$holes" "$POLL" \
		"$([ "$loops" -eq 0 ] && echo yes || echo no)" \
		"$(echo "$b_conv / 1024" | bc -l)" "$(echo "$b_conv / 1024 / $n" | bc -l)" \
		"$(echo "$b_idle / 1024" | bc -l)" \
		"$(echo "($b_post - $b_pre) / 1024" | bc -l)" \
		"$(echo "($b_post - $b_pre) / 1024 / ($n - 1)" | bc -l)" \
		"$(echo "$t_post - $t_pre" | bc -l)" \
		"$(echo "$cpu / $(getconf CLK_TCK)" | bc -l)" "$(echo "$rss / ($n - 1) / 1024" | bc -l)"
	stop
}

# Show what this run's daemons logged; stop them.
stop() {
	local p
	grep -H . "$T"/n*.log | sed "s|^$T/|  n=$N: |" >&2 || true
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	PIDS=()
	if [ -n "${KEEP:-}" ]; then
		mkdir -p "$KEEP/n$N"
		cp -r "$T/edges" "$T"/n*.log "$T/rounds" "$T/snap" "$KEEP/n$N/" 2>/dev/null || true
		echo "victim n$VICTIM" >"$KEEP/n$N/victim"
	fi
	rm -f "$T"/*.ctl
}

echo "seed $SEED"
echo "| nodes | links | converge (s) | forget (s) | repair (s) | lost | holes | poll (s) | loop-free | KiB at convergence: all / node | idle KiB/s | KiB for the kill: all / node (window) | daemon CPU (s) | RSS/node (MiB) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
# shellcheck disable=SC2048
for n in ${*:-25 50 100}; do run "$n" || FAILED=1; done
exit "$FAILED"
