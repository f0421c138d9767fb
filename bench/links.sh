#!/usr/bin/env bash
# links.sh - how fast N cloud nodes link up, and what it costs.
#
#   sudo bench/links.sh [N...]        (default: 10 25 50)
#
# Starts N `cloud` processes on loopback (127.0.0.1, ports from 17100), each
# connecting to the next one in a ring and to one random other node, and
# measures: the time from start until every node reports all its links up
# (cloudctl), the handshake CPU of all daemons together, and their memory.
# Prints one table row per N.  Run it by hand; it is not part of make check.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
B=${top_builddir:-$repo/build}
CLOUD=$B/src/cloud CLOUDCTL=$B/tools/cloudctl CA=$repo/tools/cloud-ca
[ -x "$CLOUD" ] || { echo "build first: tools/setup-debian.sh" >&2; exit 1; }
T=$(mktemp -d); PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
"$CA" -d "$T" init >/dev/null
. "$repo/bench/lib.sh"

# connect FROM TO : FROM's config connects to TO; both count a neighbour.
connect() {
	[ "$1" -eq "$2" ] && return
	[ -n "${ADJ[$1,$2]:-}" ] && return
	ADJ[$1,$2]=1; ADJ[$2,$1]=1
	WANT[$1]=$((WANT[$1] + 1)); WANT[$2]=$((WANT[$2] + 1))
	echo "connect 127.0.0.1 $((17100 + $2))" >>"$T/n$1.cfg"
}

run() {
	local n=$1 i start end cpu=0 rss=0 links
	declare -gA ADJ=(); declare -ga WANT=(); PIDS=()
	for i in $(seq 0 $((n - 1))); do
		WANT[i]=0
		node_cfg "$i" $((17100 + i))
	done
	for i in $(seq 0 $((n - 1))); do
		connect "$i" $(((i + 1) % n))		# a ring
		connect "$i" $((RANDOM % n))		# and a random chord
	done
	start=$(date +%s.%N)
	for i in $(seq 0 $((n - 1))); do
		"$CLOUD" -@include "$T/n$i.cfg" 2>>"$T/n$i.log" & PIDS+=($!)
	done
	for i in $(seq 0 $((n - 1))); do
		until links=$("$CLOUDCTL" -s "$T/n$i.ctl" -json status 2>/dev/null | jq .links_up) &&
			[ "$links" -ge "${WANT[i]}" ]; do sleep 0.05; done
	done
	end=$(date +%s.%N)
	for p in "${PIDS[@]}"; do
		cpu=$((cpu + $(awk '{print $14 + $15}' "/proc/$p/stat")))
		rss=$((rss + $(awk '/VmRSS/{print $2}' "/proc/$p/status")))
	done
	printf '| %5d | %16.2f | %14.2f | %18.1f |\n' "$n" "$(echo "$end - $start" | bc)" \
		"$(echo "$cpu / $(getconf CLK_TCK)" | bc -l)" "$(echo "$rss / $n / 1024" | bc -l)"
	for p in "${PIDS[@]}"; do kill "$p"; done
	wait 2>/dev/null || true
	PIDS=()
	rm -f "$T"/*.ctl
}

echo "| nodes | all links up (s) | daemon CPU (s) | RSS per node (MiB) |"
echo "|---|---|---|---|"
# shellcheck disable=SC2048
for n in ${*:-10 25 50}; do run "$n"; done
