#!/usr/bin/env bash
# perf.sh - issue 6's performance benchmark: cloudvpn against other VPNs on
# this machine, in one command.
#
#   bench/perf.sh [-r REPS] [-c] [ENTRY...]        (as root, Debian 12)
#     -r N    repetitions (default 2; medians are reported)
#     -c      also measure the crypto ceiling (openssl/gnutls single-core
#             AEAD speed; adds ~4 min)
#     ENTRY   bench/vpn/vpns/<ENTRY>.sh plugins; default: cloudvpn cloudvpn-nofast wireguard-go
#             tinc-default fastd-aes128gcm fastd-salsa2012umac raw-nooffload
#   Knobs from the environment go through to bench/vpn/run-all.sh and
#   lib.sh: TCP_SECS (10), UDP_SECS (5), UDP_RATES ("200M 1G"), UDP_LEN,
#   PING_COUNT, TESTS, NS_A/NS_B/STATE_ROOT (other namespace names), and
#   CLOUDVPN_CONF / CLOUDVPN_GATE for the cloudvpn entry.
#
# What it does: installs the missing Debian packages (apt-get; `apt-get
# update` only when something is missing), builds cloudvpn with
# tools/setup-debian.sh into build/ when neither build/ nor the source tree
# holds a built src/cloud, then runs the VPN anchor harness (bench/vpn,
# README there): per repetition and entry, two fresh network namespaces,
# the VPN between them, and over the overlay
#   ping   idle RTT (50 x 20 ms)
#   tcp1   iperf3 TCP 1 stream A->B      tcp4   4 streams A->B
#   tcpR   1 stream B->A (-R)            tcp4R  4 streams B->A (-P 4 -R)
#   udp    iperf3 UDP at 200M and 1G offered: goodput and loss
# each with the daemons' CPU time (Mbit per daemon CPU-second).
# Output: bench/vpn/results/raw-<stamp>.tsv and results/results.md (both
# git-ignored), and the report on stdout: a summary (cloudvpn* vs the best
# other VPN per test: Mbit/s, Mbit per CPU-s, ping RTT, ratios), then
# throughput, CPU, spread and configuration tables.
#
# Time: about 55 s per entry and repetition with the defaults (50 s of
# tests): 7 entries x 2 reps ~13 min, plus ~1 min to build on a fresh clone
# and ~4 min with -c.  The report goes to stdout; progress to stderr.
# Cleans up (namespaces, veths, its own processes) on exit and Ctrl-C;
# refuses to start while vpnA/vpnB are in use by another run.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
VPN=$TOP/bench/vpn
. "$VPN/lib.sh"
REPS=2
CRYPTO=0
while getopts "r:ch" o; do
    case $o in
        r) REPS=$OPTARG ;;
        c) CRYPTO=1 ;;
        *) usage "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
ENTRIES="cloudvpn cloudvpn-nofast wireguard-go tinc-default fastd-aes128gcm fastd-salsa2012umac raw-nooffload"
[ $# -gt 0 ] && ENTRIES="$*"

[ "$(id -u)" = 0 ] || { log "run as root (network namespaces, apt-get)"; exit 1; }

# ---- packages
PKGS="iperf3 wireguard-go wireguard-tools tinc fastd jq bc ethtool iputils-ping python3 iproute2"
[ "$CRYPTO" = 1 ] && PKGS="$PKGS openssl gnutls-bin"
missing=()
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- cloudvpn binaries (vpns/cloudvpn.sh looks in build/, then the tree)
built() { [ -x "$1/src/cloud" ] && [ -x "$1/gates/ip-gate" ] && [ -x "$1/tools/cloudctl" ]; }
if [ -n "${CLOUDVPN_BUILD:-}" ]; then
    built "$CLOUDVPN_BUILD" || { log "CLOUDVPN_BUILD=$CLOUDVPN_BUILD has no built cloud, ip-gate, cloudctl"; exit 1; }
elif ! built "$TOP/build" && ! built "$TOP"; then
    log "no cloudvpn build: building into $TOP/build (tools/setup-debian.sh)"
    if [ -x "$TOP/tools/setup-debian.sh" ]; then
        BUILD_DIR=$TOP/build "$TOP/tools/setup-debian.sh" >&2
    else    # the README's commands
        (cd "$TOP" && ./autogen.sh && mkdir -p build && cd build && ../configure && make -j"$(nproc)") >&2
    fi
    built "$TOP/build" || { log "the build did not produce build/src/cloud, gates/ip-gate, tools/cloudctl"; exit 1; }
fi

# ---- run
export RESULTS_DIR=${RESULTS_DIR:-$VPN/results}
export REPORT=${REPORT:-$RESULTS_DIR/results.md}
args=(-r "$REPS")
[ "$CRYPTO" = 1 ] || args+=(-C)
log "entries: $ENTRIES; $REPS rep(s); results in $RESULTS_DIR"
# shellcheck disable=SC2086
"$VPN/run-all.sh" "${args[@]}" $ENTRIES
echo
sed '/^## Notes and caveats/,$d' "$REPORT"
