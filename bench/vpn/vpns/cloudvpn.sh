#!/usr/bin/env bash
# vpns/cloudvpn.sh -- our VPN: one `cloud` per namespace, an `ip-gate` on
# each (TUN, MTU $OVERLAY_MTU), one TLS link A -> B carrying the keys and
# UDP paths carrying the data.
#   A: cloud listens on 192.0.2.1:$VPN_PORT, connects to B; tun 10.99.0.1/24
#   B: cloud listens on 192.0.2.2:$VPN_PORT;                 tun 10.99.0.2/24
# Binaries: $CLOUDVPN_BUILD (default: the build/ directory next to bench/,
# else the source tree, else $PATH).  Environment:
#   CLOUDVPN_CONF   extra config lines for both nodes (newline-separated),
#                   e.g. "udp_policy spray"
#   CLOUDVPN_GATE   extra ip-gate options
#   CLOUDVPN_ENTRY  the entry's name (state dir $STATE_ROOT/<name>)
#   CLOUDVPN_PATHS  K: K underlay links (link 1 = the main veth, links 2..K
#                   made here, see paths_up in lib.sh: 192.0.3.x, 192.0.4.x..)
#                   and both nodes `udp_listen` on their address on each:
#                   K live UDP paths (K x K with PATHS_CROSS=1).  Unset: no
#                   udp_listen line, UDP where `listen` is (one path).
# `up` waits (CLOUDVPN_LIVE_WAIT s, default 15) until both nodes have that
# many live paths; it only warns (in the up log) if they never do.
# Extra verb:  ctl A|B [cloudctl args...]  (e.g. `ctl A -json paths`).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
NAME=${CLOUDVPN_ENTRY:-cloudvpn}
ST=$STATE_ROOT/$NAME
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
K=${CLOUDVPN_PATHS:-}
if [ -z "${CLOUDVPN_BUILD:-}" ]; then
    if [ -x "$TOP/build/src/cloud" ]; then CLOUDVPN_BUILD=$TOP/build
    elif [ -x "$TOP/src/cloud" ]; then CLOUDVPN_BUILD=$TOP
    fi
fi
bin() { # bin DIR PROG : the program from the build, else from $PATH
    if [ -n "${CLOUDVPN_BUILD:-}" ] && [ -x "$CLOUDVPN_BUILD/$1/$2" ]; then
        echo "$CLOUDVPN_BUILD/$1/$2"
    else
        command -v "$2" || die "$2 not found (build cloudvpn first, or set CLOUDVPN_BUILD)"
    fi
}
CA=$TOP/tools/cloud-ca; [ -x "$CA" ] || CA=$(command -v cloud-ca)

conf() { # conf SIDE UNDERLAY [LINE...]
    local s=$1 addr=$2 i; shift 2
    {
        echo "listen $addr $VPN_PORT"
        echo "key $ST/ca/$s.key"
        echo "cert $ST/ca/$s.crt"
        echo "ca $ST/ca/ca.crt"
        echo "ctl $ST/$s.ctl"
        echo "gate $ST/$s.gate"
        echo "log_level warning"
        if [ -n "$K" ]; then
            for i in $(seq 1 "$K"); do echo "udp_listen $(under_addr "$s" "$i") $VPN_PORT"; done
        fi
        if [ $# -gt 0 ]; then printf '%s\n' "$@"; fi
        if [ -n "${CLOUDVPN_CONF:-}" ]; then printf '%s\n' "$CLOUDVPN_CONF"; fi
    } >"$ST/$s.cfg"
}

ctl() { local s=$1; shift; timeout 5 "$(bin tools cloudctl)" -s "$ST/$s.ctl" "$@"; }

# live SIDE : number of live UDP paths of SIDE's link to the other node
live() { ctl "$1" -json paths 2>/dev/null | jq '[.links[].paths[] | select(.state == "live")] | length' 2>/dev/null || echo 0; }

want_live() {
    if [ -z "$K" ]; then echo 1
    elif [ "${PATHS_CROSS:-0}" = 1 ]; then echo $((K * K))
    else echo "$K"; fi
}

case "${1:-}" in
up)
    "$0" down
    mkdir -p "$ST"; umask 077
    if [ -n "$K" ]; then
        [ "$K" -ge 1 ] 2>/dev/null || die "CLOUDVPN_PATHS must be a number >= 1"
        paths_up "$K" || die "could not make $K underlay links"
    fi
    "$CA" -d "$ST/ca" init -name bench >/dev/null
    "$CA" -d "$ST/ca" node A >/dev/null
    "$CA" -d "$ST/ca" node B >/dev/null
    conf A "$UNDER_A" "connect $UNDER_B $VPN_PORT"
    conf B "$UNDER_B"
    start_bg "$ST/B.pid" "$ST/B.log" "$NS_B" "$(bin src cloud)" -@include "$ST/B.cfg"
    start_bg "$ST/A.pid" "$ST/A.log" "$NS_A" "$(bin src cloud)" -@include "$ST/A.cfg"
    for i in $(seq 50); do [ -S "$ST/A.gate" ] && [ -S "$ST/B.gate" ] && break; sleep 0.1; done
    # shellcheck disable=SC2086
    start_bg "$ST/gA.pid" "$ST/gA.log" "$NS_A" "$(bin gates ip-gate)" "$ST/A.gate" \
        -iface_dev cvpnA -address "$OVER_A/$OVER_PREFIX" -mtu "$OVERLAY_MTU" ${CLOUDVPN_GATE:-}
    # shellcheck disable=SC2086
    start_bg "$ST/gB.pid" "$ST/gB.log" "$NS_B" "$(bin gates ip-gate)" "$ST/B.gate" \
        -iface_dev cvpnB -address "$OVER_B/$OVER_PREFIX" -mtu "$OVERLAY_MTU" ${CLOUDVPN_GATE:-}
    # data goes on UDP only once paths are probed live: wait for them
    want=$(want_live)
    for i in $(seq $((${CLOUDVPN_LIVE_WAIT:-15} * 10))); do
        [ "$(live A)" -ge "$want" ] && [ "$(live B)" -ge "$want" ] && break
        sleep 0.1
    done
    a=$(live A); b=$(live B)
    if [ "$a" -lt "$want" ] || [ "$b" -lt "$want" ]; then
        log "WARNING: live UDP paths A->B $a, B->A $b, want $want after ${CLOUDVPN_LIVE_WAIT:-15} s"
        ctl A paths >&2 || true
        ctl B paths >&2 || true
    fi ;;
down)
    kill_pidfile "$ST/gA.pid" "$ST/gB.pid" "$ST/A.pid" "$ST/B.pid"
    [ -n "$K" ] && paths_down
    rm -rf "$ST" ;;
pids) cat "$ST"/A.pid "$ST"/B.pid "$ST"/gA.pid "$ST"/gB.pid 2>/dev/null || true ;;
ctl) shift; ctl "$@" ;;
version) echo "cloudvpn $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)" ;;
describe) echo "cloud + ip-gate each end, TLS link, ${K:-1} UDP path(s)${K:+ (udp_listen on $K underlay links)}, udp_cipher ${CLOUDVPN_CIPHER:-auto}, MTU $OVERLAY_MTU${CLOUDVPN_CONF:+, $(echo "$CLOUDVPN_CONF" | tr '\n' ',' | sed 's/,$//')}" ;;
*) echo "usage: $0 up|down|pids|version|describe|ctl A|B ARGS" >&2; exit 2 ;;
esac
