# lib.sh -- shared settings and helpers for the VPN anchor benchmark.
# Sourced by netns-pair.sh, run-all.sh, every vpns/*.sh plugin, and
# bench/perf.sh and bench/multipath.sh.  Sections: settings; process
# helpers; ns_guard; the extra underlay links of multipath (paths_up,
# paths_down, under_addr); the drivers' measurement steps (entry_up,
# run_ping, run_iperf, entry_down, rec).
#
# Everything here can be overridden from the environment, e.g.
#   NS_A=foo NS_B=bar OVERLAY_MTU=1380 ./run-all.sh
#
# Topology (created by netns-pair.sh):
#
#   netns $NS_A                                   netns $NS_B
#   veth $VETH_A 192.0.2.1/24  <---- veth ---->   veth $VETH_B 192.0.2.2/24   (underlay, MTU 1500)
#   tunnel dev    10.99.0.1/24                    tunnel dev    10.99.0.2/24   (overlay, set up by a plugin)
#
# No address is configured in the root namespace, so no test traffic can leave
# the two namespaces.

ANCHORS_DIR=${ANCHORS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

NS_A=${NS_A:-vpnA}
NS_B=${NS_B:-vpnB}
VETH_A=${VETH_A:-veth-vpnA}
VETH_B=${VETH_B:-veth-vpnB}
UNDER_A=${UNDER_A:-192.0.2.1}
UNDER_B=${UNDER_B:-192.0.2.2}
UNDER_PREFIX=${UNDER_PREFIX:-24}
UNDER_MTU=${UNDER_MTU:-1500}
OVER_A=${OVER_A:-10.99.0.1}
OVER_B=${OVER_B:-10.99.0.2}
OVER_PREFIX=${OVER_PREFIX:-24}
# Overlay (tunnel interface) MTU used by every VPN plugin that lets us set it.
# 1420 = WireGuard's default; fits every tested VPN's overhead inside a 1500
# underlay without IP fragmentation, and gives all VPNs the same TCP MSS.
OVERLAY_MTU=${OVERLAY_MTU:-1420}
# UDP port every VPN listens on (inside the namespaces).
VPN_PORT=${VPN_PORT:-51820}

# Scratch area for keys, configs, pid files, logs (per plugin: $STATE_ROOT/<name>).
STATE_ROOT=${STATE_ROOT:-/tmp/vpnbench}

# Extra underlay links for multipath (vpns/cloudvpn.sh with CLOUDVPN_PATHS=K,
# multipath.sh): link 1 is the veth above; links 2..K are veth pairs named
# $PATH_IF<I> (the same name in both namespaces), addressed
# $PATH_NET.<I+1>.1/24 (A) and .2/24 (B): 192.0.3.x, 192.0.4.x, ...
PATH_IF=${PATH_IF:-upath}
PATH_NET=${PATH_NET:-192.0}

nsa() { ip netns exec "$NS_A" "$@"; }
nsb() { ip netns exec "$NS_B" "$@"; }

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# usage FILE : print FILE's leading comment block (its documentation)
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$1"; }
die() { log "ERROR: $*"; exit 1; }

# kill_pidfile FILE... : SIGTERM the pid recorded in each file (only if it is
# still alive), all at once, wait up to 3 s for all of them, then SIGKILL
# what is left; remove the files.  Only PIDs we recorded ourselves are ever
# signalled.  (All at once: cloud and ip-gate each take 1-2 s to exit.)
kill_pidfile() {
    local f pid i live=()
    for f in "$@"; do
        [ -s "$f" ] || { rm -f "$f"; continue; }
        pid=$(tr -dc '0-9' <"$f")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null && live+=("$pid")
        fi
        rm -f "$f"
    done
    [ ${#live[@]} -eq 0 ] && return 0
    for i in $(seq 30); do
        for pid in "${live[@]}"; do kill -0 "$pid" 2>/dev/null && break; pid=""; done
        [ -z "$pid" ] && return 0
        sleep 0.1
    done
    for pid in "${live[@]}"; do kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null; done
    return 0
}

# start_bg PIDFILE LOGFILE NS CMD... : start CMD in namespace NS in the
# background (not daemonised by itself) and record its PID.  `ip netns exec`
# execs the command, so $! is the daemon's own PID.
start_bg() {
    local pidfile=$1 logfile=$2 ns=$3; shift 3
    setsid ip netns exec "$ns" "$@" </dev/null >>"$logfile" 2>&1 &
    echo $! >"$pidfile"
}

# fg_run CMD... : run CMD as a child in the background and wait for it;
# returns its exit status.  Why: iperf3 and ping catch SIGINT and exit
# normally, and bash then skips the driver's INT trap (it assumes the child
# dealt with Ctrl-C), so the run would go on.  A background child ignores
# Ctrl-C, and the `wait' builtin returns at once on a trapped signal: the
# driver's trap runs, and entry_down stops the child by its PID ($FG_PID).
FG_PID=""
fg_run() {
    local rc
    "$@" &
    FG_PID=$!
    wait "$FG_PID"; rc=$?
    FG_PID=""
    return $rc
}

# wait_ping NS DST [TIMEOUT_S] : wait until DST answers a ping from NS.
wait_ping() {
    local ns=$1 dst=$2 t=${3:-20} i
    for i in $(seq $((t * 5))); do
        fg_run ip netns exec "$ns" ping -c1 -W1 -q "$dst" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}

# cpu_ticks PID... : sum of utime+stime (all threads) in clock ticks.
cpu_ticks() {
    local pid sum=0 v
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        # strip "pid (comm) " first: comm may contain spaces
        v=$(sed -E 's/^[0-9]+ \(.*\) //' "/proc/$pid/stat" | awk '{print $12 + $13}')
        sum=$((sum + v))
    done
    echo "$sum"
}

# sys_busy_ticks : machine-wide non-idle CPU ticks (all cores) from /proc/stat.
sys_busy_ticks() {
    awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat
}

CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- guard

# ns_guard : refuse (exit 1) when $NS_A or $NS_B already exists with
# processes in it, or a pid file under $STATE_ROOT names a live process:
# somebody else (a profiling session, another run) is using the names, and
# `netns-pair.sh up` / a plugin's `down` would destroy their set-up.
# FORCE=1 skips the check (stale leftovers of a killed run).
ns_guard() {
    [ "${FORCE:-0}" = 1 ] && return 0
    local ns f pid busy=""
    for ns in "$NS_A" "$NS_B"; do
        ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF "$ns" || continue
        [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] && busy="$busy netns $ns ($(ip netns pids "$ns" | tr '\n' ' ' | sed 's/ $//'))"
    done
    for f in "$STATE_ROOT"/*.pid "$STATE_ROOT"/*/*.pid; do
        [ -s "$f" ] || continue
        pid=$(tr -dc '0-9' <"$f")
        [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && busy="$busy $f ($pid)"
    done
    [ -z "$busy" ] && return 0
    log "in use by another run:$busy"
    log "set NS_A=.. NS_B=.. STATE_ROOT=.. to run beside it, or stop it (FORCE=1 tears it down)"
    exit 1
}

# ---------------------------------------------------------------- multipath underlay

# under_addr A|B I : that side's address on underlay link I (1 = the main veth).
under_addr() {
    if [ "$2" -eq 1 ]; then
        if [ "$1" = A ]; then echo "$UNDER_A"; else echo "$UNDER_B"; fi
    else
        echo "$PATH_NET.$(($2 + 1)).$([ "$1" = A ] && echo 1 || echo 2)"
    fi
}

# under_link ADDR[:PORT] K : the number (1..K) of the underlay link ADDR is
# on (either side), or "?"
under_link() {
    local a=${1%:*} i
    for i in $(seq 1 "$2"); do
        if [ "$a" = "$(under_addr A "$i")" ] || [ "$a" = "$(under_addr B "$i")" ]; then
            echo "$i"; return 0
        fi
    done
    echo "?"
}

# paths_up K : veth pairs $PATH_IF2..$PATH_IF<K> between $NS_A and $NS_B,
# addressed and up (link 1, the main veth, exists already).  Unless
# PATHS_CROSS=1, strict reverse-path filtering (rp_filter 1) on every
# underlay interface: a datagram from link I's address arriving on link J
# is dropped, so of the K x K local/remote address pairs a cloud node with
# K `udp_listen` lines tries, only the K "straight" ones (both ends on the
# same link) ever answer and go live.  With PATHS_CROSS=1 all K x K do.
paths_up() {
    local k=$1 i rp=1
    [ "${PATHS_CROSS:-0}" = 1 ] && rp=0
    for i in $(seq 2 "$k"); do
        ip link add "$PATH_IF$i" netns "$NS_A" mtu "$UNDER_MTU" type veth \
            peer name "$PATH_IF$i" netns "$NS_B" mtu "$UNDER_MTU" || return 1
        nsa ip addr add "$(under_addr A "$i")/24" dev "$PATH_IF$i" &&
            nsb ip addr add "$(under_addr B "$i")/24" dev "$PATH_IF$i" &&
            nsa ip link set "$PATH_IF$i" up && nsb ip link set "$PATH_IF$i" up || return 1
    done
    for i in $(seq 1 "$k"); do
        local ifa=$PATH_IF$i ifb=$PATH_IF$i
        [ "$i" = 1 ] && ifa=$VETH_A ifb=$VETH_B
        nsa sysctl -qw "net.ipv4.conf.$ifa.rp_filter=$rp" >/dev/null &&
            nsb sysctl -qw "net.ipv4.conf.$ifb.rp_filter=$rp" >/dev/null || return 1
    done
    for i in $(seq 2 "$k"); do
        wait_ping "$NS_A" "$(under_addr B "$i")" 5 || { log "underlay link $i does not ping"; return 1; }
    done
}

# paths_down : remove the extra underlay links (any number) and put the
# main veth's rp_filter back to the namespace default; ignores what is missing.
paths_down() {
    local ns ifs i
    for ns in "$NS_A" "$NS_B"; do
        ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF "$ns" || continue
        ifs=$(ip -n "$ns" -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^${PATH_IF}[0-9]+$" || true)
        for i in $ifs; do ip -n "$ns" link del "$i" 2>/dev/null || true; done
    done
    nsa sysctl -qw "net.ipv4.conf.$VETH_A.rp_filter=$(nsa sysctl -n net.ipv4.conf.default.rp_filter 2>/dev/null || echo 0)" >/dev/null 2>&1 || true
    nsb sysctl -qw "net.ipv4.conf.$VETH_B.rp_filter=$(nsb sysctl -n net.ipv4.conf.default.rp_filter 2>/dev/null || echo 0)" >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------- drivers
#
# What run-all.sh and multipath.sh share.  One measurement "entry" is one
# plugin (PLUGIN=path of its vpns/*.sh, plus whatever environment it reads)
# brought up in a fresh namespace pair; results go to $RAW as TSV rows
#   entry  rep  test  key  value
# (aggregate.py reads them).  Test knobs, all overridable from the environment:
TCP_SECS=${TCP_SECS:-10}         # length of each iperf3 TCP test
UDP_SECS=${UDP_SECS:-5}          # length of each iperf3 UDP test
UDP_LEN=${UDP_LEN:-1200}         # UDP datagram size (fits every tunnel's MTU)
PING_COUNT=${PING_COUNT:-50}
PING_INTERVAL=${PING_INTERVAL:-0.02}
RESULTS_DIR=${RESULTS_DIR:-$ANCHORS_DIR/results}
PY=${PY:-/usr/bin/python3}
RAW=${RAW:-}
PLUGIN=""                        # set by the driver before entry_up
IPERF_PID=$STATE_ROOT/iperf3-server.pid

rec() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$RAW"; }  # entry rep test key value

# raw_header [TEXT...] : the '#' header lines of a raw file (machine, tools, knobs).
raw_header() {
    echo "# run $STAMP"
    echo "# kernel $(uname -r); cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); nproc $(nproc)"
    echo "# iperf3 $(iperf3 --version | head -1 | awk '{print $2}'); TCP_SECS=$TCP_SECS UDP_SECS=$UDP_SECS UDP_LEN=$UDP_LEN PING=${PING_COUNT}x${PING_INTERVAL}s OVERLAY_MTU=$OVERLAY_MTU $*"
}

# entry_down : stop the iperf3 server and the current plugin (by their pid
# files), delete the namespace pair.  Idempotent; drivers call it from
# their EXIT trap.
entry_down() {
    if [ -n "$FG_PID" ]; then     # a test or `up` interrupted by Ctrl-C
        kill -TERM "$FG_PID" 2>/dev/null; wait "$FG_PID" 2>/dev/null; FG_PID=""
    fi
    kill_pidfile "$IPERF_PID"
    [ -n "$PLUGIN" ] && "$PLUGIN" down >/dev/null 2>&1
    "$ANCHORS_DIR/netns-pair.sh" down
    PLUGIN=""
}

# entry_up ENTRY REP PLUGIN : fresh namespace pair, PLUGIN up, wait for the
# overlay to answer ping, iperf3 server in B.  On failure records the
# status, tears down and returns 1.
entry_up() {
    local e=$1 rep=$2 p
    [ -x "$3" ] || { log "no plugin $3"; rec "$e" "$rep" all status missing; return 1; }
    rec "$e" "$rep" meta version "$("$3" version 2>/dev/null | head -1)"
    rec "$e" "$rep" meta describe "$("$3" describe 2>/dev/null | head -1)"
    "$ANCHORS_DIR/netns-pair.sh" up || { rec "$e" "$rep" all status netns-fail; return 1; }
    PLUGIN=$3
    if ! fg_run timeout -k 5 120 "$PLUGIN" up >"$STATE_ROOT/$e.up.log" 2>&1; then
        log "  up FAILED: $(tail -3 "$STATE_ROOT/$e.up.log")"; rec "$e" "$rep" all status up-fail; entry_down; return 1
    fi
    if ! wait_ping "$NS_A" "$OVER_B" 30; then
        log "  overlay never answered ping"; rec "$e" "$rep" all status noping; entry_down; return 1
    fi
    rec "$e" "$rep" meta daemons "$("$PLUGIN" pids | wc -l)"
    start_bg "$IPERF_PID" "$STATE_ROOT/iperf3-server.log" "$NS_B" iperf3 -s
    for p in $(seq 30); do nsb ss -ltn 2>/dev/null | grep -q ':5201 ' && break; sleep 0.1; done
}

# run_ping ENTRY REP : ping -c $PING_COUNT on the idle tunnel: loss, RTT min/avg/max.
run_ping() {
    local e=$1 rep=$2 p pmin pavg pmax
    fg_run ip netns exec "$NS_A" ping -q -c "$PING_COUNT" -i "$PING_INTERVAL" "$OVER_B" >"$STATE_ROOT/ping.out" 2>&1
    p=$(cat "$STATE_ROOT/ping.out")
    rec "$e" "$rep" ping loss_pct "$(echo "$p" | sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p')"
    read -r pmin pavg pmax _ < <(echo "$p" | sed -nE 's/^rtt .* = ([0-9.]+)\/([0-9.]+)\/([0-9.]+)\/([0-9.]+) ms/\1 \2 \3 \4/p')
    rec "$e" "$rep" ping rtt_min_ms "${pmin:-NA}"; rec "$e" "$rep" ping rtt_avg_ms "${pavg:-NA}"; rec "$e" "$rep" ping rtt_max_ms "${pmax:-NA}"
    log "  ping: min/avg/max ${pmin:-?}/${pavg:-?}/${pmax:-?} ms"
}

# run_iperf ENTRY REP TEST iperf3-args... : iperf3 client in A against B's
# overlay address; records throughput (what B received), retransmits or
# UDP loss/jitter, and utime+stime of the plugin's daemon PIDs and
# machine-wide busy CPU time (/proc/stat) before/after: daemon CPU-seconds.
run_iperf() {
    local e=$1 rep=$2 t=$3; shift 3
    local pids c0 c1 s0 s1 w0 w1 rc j=$STATE_ROOT/$t.json
    pids=$("$PLUGIN" pids | tr '\n' ' ')
    # shellcheck disable=SC2086  # a list of PIDs
    c0=$(cpu_ticks $pids); s0=$(sys_busy_ticks); w0=$(date +%s.%N)
    fg_run timeout -k 5 $((TCP_SECS + UDP_SECS + 30)) ip netns exec "$NS_A" iperf3 -c "$OVER_B" -J "$@" >"$j" 2>&1
    rc=$?
    # shellcheck disable=SC2086
    c1=$(cpu_ticks $pids); s1=$(sys_busy_ticks); w1=$(date +%s.%N)
    if [ $rc -ne 0 ] || ! jq -e '.end.sum_received' "$j" >/dev/null 2>&1; then
        log "  $t FAILED (rc=$rc): $(jq -r '.error? // empty' "$j" 2>/dev/null | head -1)"
        rec "$e" "$rep" "$t" status fail; return 1
    fi
    rec "$e" "$rep" "$t" wall_s "$(echo "$w1 - $w0" | bc -l)"
    rec "$e" "$rep" "$t" daemon_cpu_s "$(echo "($c1 - $c0) / $CLK_TCK" | bc -l)"
    rec "$e" "$rep" "$t" sys_cpu_s "$(echo "($s1 - $s0) / $CLK_TCK" | bc -l)"
    rec "$e" "$rep" "$t" mbps "$(jq '.end.sum_received.bits_per_second / 1e6' "$j")"
    rec "$e" "$rep" "$t" bytes "$(jq '.end.sum_received.bytes' "$j")"
    if jq -e '.start.test_start.protocol == "UDP"' "$j" >/dev/null; then
        # sum_received: what the receiver (B) actually got; lost_percent from B's report
        rec "$e" "$rep" "$t" offered_mbps "$(jq '.end.sum_sent.bits_per_second / 1e6' "$j")"
        rec "$e" "$rep" "$t" loss_pct "$(jq '.end.sum.lost_percent' "$j")"
        rec "$e" "$rep" "$t" jitter_ms "$(jq '.end.sum.jitter_ms' "$j")"
        log "  $t: $(jq -r '.end.sum_received.bits_per_second / 1e6 | floor' "$j") Mbit/s, loss $(jq -r '.end.sum.lost_percent * 100 | floor / 100' "$j") %, daemon CPU $(echo "scale=2; ($c1 - $c0) / $CLK_TCK" | bc) s"
    else
        rec "$e" "$rep" "$t" retrans "$(jq '.end.sum_sent.retransmits // 0' "$j")"
        log "  $t: $(jq -r '.end.sum_received.bits_per_second / 1e6 | floor' "$j") Mbit/s, daemon CPU $(echo "scale=2; ($c1 - $c0) / $CLK_TCK" | bc) s"
    fi
}
