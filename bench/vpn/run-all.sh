#!/usr/bin/env bash
# run-all.sh -- VPN anchor benchmark driver.
#
#   ./run-all.sh [-r REPS] [-C] [-n] [ENTRY...]
#     ENTRY   names of vpns/<ENTRY>.sh plugins (default: $ENTRIES below)
#     -r N    repetitions of the whole entry list (default 2; interleaved:
#             rep1: all entries, rep2: all entries ... so slow drifts in the
#             shared machine's load hit every entry alike)
#     -C      skip the crypto ceiling (crypto-bench.sh)
#     -n      do not rewrite the report (just collect raw data)
#
# Per (rep, entry): fresh netns pair -> plugin up -> wait for overlay ping ->
# iperf3 server in B -> tests from A to B over the overlay -> everything torn
# down again.  Tests ($TESTS, default all of them; knobs overridable from
# the environment, see lib.sh):
#   ping   : ping -c $PING_COUNT -i $PING_INTERVAL (idle tunnel), min/avg/max
#   tcp1   : iperf3 TCP, 1 stream, $TCP_SECS s, A -> B
#   tcp4   : iperf3 TCP, 4 parallel streams (-P 4), A -> B
#   tcpR   : iperf3 TCP, 1 stream, reverse (-R: B -> A)
#   tcp4R  : iperf3 TCP, 4 parallel streams, reverse (-P 4 -R: B -> A)
#   udp    : iperf3 UDP, offered load R (each of $UDP_RATES), $UDP_LEN-byte
#            datagrams, $UDP_SECS s; receiver goodput + loss % (tests udp<R>)
# For every iperf3 test the driver samples utime+stime of the plugin's daemon
# PIDs (/proc/<pid>/stat) and machine-wide busy time (/proc/stat) before and
# after, giving daemon CPU-seconds and Mbit per daemon CPU-second.
#
# Raw data: results/raw-<stamp>.tsv ; report: $REPORT (default
# results/results.md; aggregate.py, medians over reps).  Refuses to start
# when $NS_A/$NS_B are in use by another run (see ns_guard in lib.sh).
# Ctrl-C tears down the current entry and the namespaces.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

ENTRIES_DEFAULT="raw raw-nooffload wireguard-go tinc-default tinc-chacha20poly1305 openvpn-aes256gcm openvpn-chacha20poly1305 fastd-salsa2012umac fastd-aes128gcm nebula-aes nebula-chacha20poly1305 quicktun"
ENTRIES=${ENTRIES:-$ENTRIES_DEFAULT}
REPS=${REPS:-2}
UDP_RATES=${UDP_RATES:-"200M 1G"}
TESTS=${TESTS:-"ping tcp1 tcp4 tcpR tcp4R udp"}
REPORT=${REPORT:-$RESULTS_DIR/results.md}
DO_CRYPTO=1; DO_REPORT=1

while getopts "r:Cnh" o; do
    case $o in
        r) REPS=$OPTARG ;;
        C) DO_CRYPTO=0 ;;
        n) DO_REPORT=0 ;;
        *) usage "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] && ENTRIES="$*"

ns_guard
mkdir -p "$RESULTS_DIR" "$STATE_ROOT"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/raw-$STAMP.tsv

trap entry_down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

has_test() { case " $TESTS " in *" $1 "*) return 0 ;; esac; return 1; }

run_entry() {
    local e=$1 rep=$2 r
    log "== rep $rep: $e"
    entry_up "$e" "$rep" "$HERE/vpns/$e.sh" || return
    has_test ping && run_ping "$e" "$rep"
    has_test tcp1 && run_iperf "$e" "$rep" tcp1 -t "$TCP_SECS"
    has_test tcp4 && run_iperf "$e" "$rep" tcp4 -t "$TCP_SECS" -P 4
    has_test tcpR && run_iperf "$e" "$rep" tcpR -t "$TCP_SECS" -R
    has_test tcp4R && run_iperf "$e" "$rep" tcp4R -t "$TCP_SECS" -P 4 -R
    if has_test udp; then
        for r in $UDP_RATES; do
            run_iperf "$e" "$rep" "udp$r" -u -b "$r" -l "$UDP_LEN" -t "$UDP_SECS"
        done
    fi
    rec "$e" "$rep" all status ok
    entry_down
}

raw_header "UDP_RATES=$UDP_RATES TESTS=$TESTS" >"$RAW"
log "raw data -> $RAW"
for rep in $(seq "$REPS"); do
    for e in $ENTRIES; do run_entry "$e" "$rep"; done
done

if [ "$DO_CRYPTO" = 1 ]; then
    "$HERE/crypto-bench.sh" -r "$REPS" >"$RESULTS_DIR/crypto-$STAMP.tsv"
fi
if [ "$DO_REPORT" = 1 ]; then
    # the newest crypto ceiling (this run's, or an earlier one with -C)
    crypto=$(ls -t "$RESULTS_DIR"/crypto-*.tsv 2>/dev/null | head -1)
    "$PY" "$HERE/aggregate.py" --out "$REPORT" ${crypto:+--crypto "$crypto"} "$RAW" >&2
    log "report -> $REPORT"
fi
