#!/usr/bin/env bash
# multipath.sh - what multipath costs cloudvpn: throughput and daemon CPU with
# 1, 2 and 3 UDP paths, policies duplicate and spray (primary, 1 path: the
# baseline).
#
#   bench/multipath.sh [-r REPS] [-p "1 2 3"] [-P "duplicate spray"]   (as root)
#
# Runs on the VPN anchor harness (bench/vpn, see its README): two network
# namespaces vpnA/vpnB, cloud + ip-gate in each (vpns/cloudvpn.sh).  For K
# paths, CLOUDVPN_PATHS=K makes K underlay links between the namespaces (the
# main veth 192.0.2.x plus veth pairs 192.0.3.x, 192.0.4.x ...) and both
# nodes `udp_listen` on their address on each; strict rp_filter drops the
# "cross" address pairs, so exactly K paths go live (PATHS_CROSS=1 keeps all
# K x K).  It waits until both nodes see K live paths, then measures, A -> B
# over the overlay:
#   TCP  iperf3, 1 stream, $TCP_SECS s (default 10)
#   UDP  iperf3 at $MP_UDP_RATE offered (default 300M), $UDP_LEN-byte
#        datagrams, $UDP_SECS s (default 5): goodput and loss
# and for each: utime+stime of both clouds and both ip-gates (daemon
# CPU-seconds, Mbit per daemon CPU-second), and A's data datagrams per path
# (tx_packets of `cloudctl -json paths`, grown during the test) with
# "copies" = datagrams on all paths / packets sent on UDP (tx_udp): ~1 for
# primary and spray, ~K for duplicate.
#
# One row per (paths, policy), medians over the reps, printed as a
# markdown table and written to bench/vpn/results/multipath.md (raw data:
# results/raw-mp-<stamp>.tsv, both git-ignored).  Takes about 20 s per
# configuration and rep: 7 configurations x 2 reps (default) ~5 min.
# Everything it made (namespaces, veths, processes by their PIDs) is removed
# on exit and on Ctrl-C.  Refuses to start while vpnA/vpnB are in use by
# another run (NS_A, NS_B, STATE_ROOT pick other names; FORCE=1 overrides).
# Needs cloudvpn built (bench/perf.sh builds it) and iperf3, jq, bc.
set -uo pipefail
VPN=$(cd "$(dirname "$0")/vpn" && pwd)
. "$VPN/lib.sh"

REPS=${REPS:-2}
MP_PATHS=${MP_PATHS:-"1 2 3"}
MP_POLICIES=${MP_POLICIES:-"duplicate spray"}
MP_UDP_RATE=${MP_UDP_RATE:-300M}
REPORT=${REPORT:-$RESULTS_DIR/multipath.md}
while getopts "r:p:P:h" o; do
    case $o in
        r) REPS=$OPTARG ;;
        p) MP_PATHS=$OPTARG ;;
        P) MP_POLICIES=$OPTARG ;;
        *) usage "$0"; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || die "run as root (network namespaces)"
for c in iperf3 jq bc; do command -v "$c" >/dev/null || die "$c missing (bench/perf.sh installs it)"; done
PLUGIN_FILE=$VPN/vpns/cloudvpn.sh
BASE_CONF=${CLOUDVPN_CONF:-}     # the caller's extra config lines, kept
NL=$'\n'

ns_guard
mkdir -p "$RESULTS_DIR" "$STATE_ROOT"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/raw-mp-$STAMP.tsv
trap entry_down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# snap SIDE FILE : SIDE's `cloudctl -json paths` into FILE
snap() { "$PLUGIN" ctl "$1" -json paths >"$2" 2>/dev/null || echo '{"links":[]}' >"$2"; }

# path_deltas OLD NEW : "LOCAL REMOTE TX_GROWN" per path of the link
path_deltas() {
    jq -r --slurpfile o "$1" '
        (($o[0].links[0].paths // []) | map({key: (.id | tostring), value: .tx_packets}) | from_entries) as $p0
        | (.links[0].paths // [])[] | "\(.local) \(.remote) \(.tx_packets - ($p0[.id | tostring] // 0))"' "$2"
}

# link_delta OLD NEW JQ : how much the number JQ (over the link) grew
link_delta() {
    jq -r --slurpfile o "$1" "((.links[0] | $3) // 0) - ((\$o[0].links[0] | $3) // 0)" "$2"
}

# measure ENTRY REP K TEST iperf3-args... : run_iperf between snapshots of
# both nodes' paths; records A's datagrams per path (tx_u<I>, or
# tx_u<I>x<J> for a cross pair), tx_udp, tx_tls, B's duplicates dropped
# and reorder_given_up, all grown during the test
measure() {
    local e=$1 rep=$2 k=$3 t=$4 d=$STATE_ROOT/mp; shift 4
    mkdir -p "$d"
    snap A "$d/a0"; snap B "$d/b0"
    run_iperf "$e" "$rep" "$t" "$@" || return 1
    snap A "$d/a1"; snap B "$d/b1"
    local l r n i j
    while read -r l r n; do
        i=$(under_link "$l" "$k"); j=$(under_link "$r" "$k")
        if [ "$i" = "$j" ]; then rec "$e" "$rep" "$t" "tx_u$i" "$n"; else rec "$e" "$rep" "$t" "tx_u${i}x$j" "$n"; fi
    done < <(path_deltas "$d/a0" "$d/a1")
    rec "$e" "$rep" "$t" tx_udp "$(link_delta "$d/a0" "$d/a1" .tx_udp)"
    rec "$e" "$rep" "$t" tx_tls "$(link_delta "$d/a0" "$d/a1" .tx_tls)"
    rec "$e" "$rep" "$t" b_dups "$(link_delta "$d/b0" "$d/b1" '[.paths[].duplicates] | add')"
    rec "$e" "$rep" "$t" b_given_up "$(link_delta "$d/b0" "$d/b1" .reorder_given_up)"
}

run_config() {
    local k=$1 pol=$2 rep=$3 e="cloudvpn-${1}p-$2" want=$1 la lb
    [ "${PATHS_CROSS:-0}" = 1 ] && want=$((k * k))
    export CLOUDVPN_ENTRY=$e CLOUDVPN_PATHS=$k CLOUDVPN_CONF="${BASE_CONF:+$BASE_CONF$NL}udp_policy $pol"
    log "== rep $rep: $k path(s), $pol"
    rec "$e" "$rep" meta paths "$k"
    rec "$e" "$rep" meta policy "$pol"
    entry_up "$e" "$rep" "$PLUGIN_FILE" || return
    la=$("$PLUGIN" ctl A -json paths | jq '[.links[].paths[] | select(.state == "live")] | length')
    lb=$("$PLUGIN" ctl B -json paths | jq '[.links[].paths[] | select(.state == "live")] | length')
    rec "$e" "$rep" meta live "$la/$lb"
    if [ "$la" != "$want" ] || [ "$lb" != "$want" ]; then
        log "  WARNING: live paths A $la, B $lb, want $want:"
        "$PLUGIN" ctl A paths >&2
    fi
    measure "$e" "$rep" "$k" tcp1 -t "$TCP_SECS"
    measure "$e" "$rep" "$k" "udp$MP_UDP_RATE" -u -b "$MP_UDP_RATE" -l "$UDP_LEN" -t "$UDP_SECS"
    rec "$e" "$rep" all status ok
    entry_down
}

raw_header "MP_UDP_RATE=$MP_UDP_RATE PATHS_CROSS=${PATHS_CROSS:-0}" >"$RAW"
log "raw data -> $RAW"
for rep in $(seq "$REPS"); do
    run_config 1 primary "$rep"
    for k in $MP_PATHS; do
        for pol in $MP_POLICIES; do run_config "$k" "$pol" "$rep"; done
    done
done
"$PY" "$VPN/aggregate.py" --multipath --out "$REPORT" "$RAW" >/dev/null
log "report -> $REPORT"
cat "$REPORT"
