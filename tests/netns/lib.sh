# lib.sh - the shell library of cloudvpn's end-to-end tests (and of the demo).
#
# A test sources this file and then reads as its scenario:
#
#   . "$(dirname "$0")/lib.sh"
#   e2e_begin                     # skip (77) unless root, ip netns, certtool
#   make_hub; make_ca
#   make_node a; make_cert a
#   make_node b; make_cert b
#   node_conf a "connect $(addr4 b) $PORT"
#   node_conf b
#   start_node a; start_node b
#   check "a and b link up" wait_links a 1 5
#   start_gate a ip ip-gate -iface_dev tun0 -address 10.99.0.1/24
#   check "a's gate attaches" wait_gate a ip
#   finish                        # "N passed, N failed", exit 0 or 1
#
# Topology: one "hub" namespace holds a Linux bridge; each node gets its own
# namespace with lo up and a veth (eth0) into the bridge, addressed
# 10.77.0.N/24 and fd77::N/64 (DAD off).  Every namespace name starts with a
# per-run prefix ($PFX), so two tests may run at once.
#
# Files live in one temp dir $T: $T/ca*/ (CAs), $T/NAME/ (key.pem,
# cert.pem, cloud.conf, ctl.sock, gate.sock) and $T/NAME.log (the node's
# stderr and stdout).  Gates and other processes started in a node's
# namespace (start_gate, start_proc) log to $T/NODE-TAG.log; a chat-gate's
# stdout goes to $T/NODE-TAG.out.  A trap on EXIT (also reached on Ctrl-C)
# kills the processes this run started (and only those), deletes the
# namespaces and /etc/netns/NS directories it made and the temp dir (kept
# when KEEP=1), and on failure prints the tail of every log.
#
# Environment: top_srcdir, top_builddir (automake's harness sets them; they
# default to the repository around this file); CLOUD, CLOUDCTL, CLOUD_CA,
# ETHER_GATE, IP_GATE, CHAT_GATE override the programs; KEEP=1 keeps $T;
# VERBOSE=1 traces the test; FASTPATH=off turns every data-path fast path
# off (cloud's gate_handoff, tun_gro, udp_gso and udp_gro, ip-gate's
# handoff), so that the fallbacks pass the same tests (tests/run.sh makes
# one such pass).
#
# Exit codes: 0 pass, 1 fail, 77 skip.

export LC_ALL=C

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
CLOUD=${CLOUD:-$top_builddir/src/cloud}
CLOUDCTL=${CLOUDCTL:-$top_builddir/tools/cloudctl}
CLOUD_CA=${CLOUD_CA:-$top_srcdir/tools/cloud-ca}
ETHER_GATE=${ETHER_GATE:-$top_builddir/gates/ether-gate}
IP_GATE=${IP_GATE:-$top_builddir/gates/ip-gate}
CHAT_GATE=${CHAT_GATE:-$top_builddir/gates/chat-gate}

PORT=7000			# every node listens on this TCP port
PFX="cvt$$-"			# namespace prefix, unique per run
HUB="${PFX}hub"
SUBNET4=10.77.0
SUBNET6=fd77:
T=				# the run's temp dir (e2e_begin)

# Timers written into every node's config: short, so a test runs in seconds.
NODE_TIMERS=(
	"conn_keepalive 300ms"
	"conn_timeout 2s"
	"conn_retry 100ms"
	"conn_retry_max 1s"
	"comm_close_timeout 1s"
)

# Written into every node's config after the timers: FASTPATH=off.
NODE_FASTPATH=()
if [ "${FASTPATH:-on}" = off ]; then
	NODE_FASTPATH=("gate_handoff no" "tun_gro no" "udp_gso no" "udp_gro no")
fi

declare -A NODE_IDX=()		# node name -> N (addresses 10.77.0.N, fd77::N)
declare -A NODE_PID=()		# node name -> PID of its running cloud
declare -A LOG_MARK=()		# node name -> log line count at log_mark
declare -A PROC_PID=()		# "NODE-TAG" -> PID of a gate or process
declare -A PID_STIME=()		# PID -> its start time (/proc/PID/stat field 22)
declare -A CHAT_FD=()		# "NODE-TAG" -> fd writing to a chat-gate's stdin
NAMESPACES=()			# created here, deleted on exit
ETC_NETNS=()			# /etc/netns/NS dirs created here
STARTED_PIDS=()			# every process started here
NEXT_IDX=1
PASSED=0
FAILED=0
FINISHED=

# ---------------------------------------------------------------- results

ok()   { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
note() { echo "# $*"; }

# check DESC CMD... : ok when CMD succeeds, not ok otherwise (CMD's
# output is discarded, its errors are not).
check() {
	local desc=$1; shift
	if "$@" >/dev/null; then ok "$desc"; else fail "$desc"; fi
}

# check_not DESC CMD... : ok when CMD fails.
check_not() {
	local desc=$1; shift
	if "$@" >/dev/null; then fail "$desc"; else ok "$desc"; fi
}

skip() { echo "SKIP: $*"; exit 77; }

# bail DESC : a step the rest of the test needs failed: not ok, and stop.
bail() { fail "$*"; finish; }

# Stop every node still running (SIGTERM, so that a sanitizer build writes
# its leak report), check that no node log holds a sanitizer report, print
# the summary line and exit 0 (all passed) or 1.
finish() {
	local name f
	FINISHED=1
	for name in "${!PROC_PID[@]}"; do
		proc_alive "$name" && stop_proc "$name" TERM 3 >/dev/null
	done
	for name in "${!NODE_PID[@]}"; do
		node_alive "$name" && stop_node "$name" TERM 3 >/dev/null
	done
	for f in "$T"/*.log; do
		[ -e "$f" ] || continue
		if grep -Eq 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$f"; then
			fail "sanitizer report in $(basename "$f")"
		fi
	done
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
	exit $?
}

# ---------------------------------------------------------------- time

now_ms() {
	local t=$EPOCHREALTIME
	echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 ))
}

# seconds (maybe fractional) -> milliseconds
secs_ms() { awk -v s="$1" 'BEGIN { printf "%d\n", s * 1000 }'; }

# wait_for TIMEOUT CMD... : run CMD every 0.1 s until it succeeds (0) or
# TIMEOUT seconds have passed (1).  CMD's output is discarded.
wait_for() {
	local end=$(( $(now_ms) + $(secs_ms "$1") )); shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(now_ms)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# never_for SECS CMD... : CMD fails at every try (every 0.2 s) for SECS.
never_for() {
	local end=$(( $(now_ms) + $(secs_ms "$1") )); shift
	while [ "$(now_ms)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 1
		sleep 0.2
	done
	return 0
}

# always_for SECS CMD... : CMD succeeds at every try (every 0.2 s) for SECS.
always_for() {
	local end=$(( $(now_ms) + $(secs_ms "$1") )); shift
	while [ "$(now_ms)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 || return 1
		sleep 0.2
	done
	return 0
}

# ---------------------------------------------------------------- set-up

# e2e_begin [--no-netns] : skip unless the test can run, then make $T and
# install the cleanup trap.  --no-netns: no root or namespaces needed.
e2e_begin() {
	local need_netns=1
	[ "${1:-}" = --no-netns ] && need_netns=

	[ -x "$CLOUD" ] || skip "$CLOUD not built"
	[ -x "$CLOUDCTL" ] || skip "$CLOUDCTL not built"
	[ -x "$CLOUD_CA" ] || skip "$CLOUD_CA missing"
	command -v certtool >/dev/null || skip "certtool not installed (Debian: gnutls-bin)"
	command -v jq >/dev/null || skip "jq not installed"
	if [ -n "$need_netns" ]; then
		[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
		command -v ip >/dev/null || skip "ip (iproute2) not installed"
		ip netns add "${PFX}probe" 2>/dev/null || skip "ip netns does not work here"
		ip netns del "${PFX}probe"
	fi

	T=$(mktemp -d "${TMPDIR:-/tmp}/cloudvpn-e2e.XXXXXX") || exit 1
	# the cleanup writes here, even when a signal arrives while a check
	# has stdout redirected
	exec 8>&1 9>&2
	trap e2e_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 141' PIPE
	trap 'exit 143' TERM
	[ -n "${VERBOSE:-}" ] && set -x
	return 0
}

# True when PID runs and is not a zombie.
pid_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed -E 's/^[0-9]+ \(.*\) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# True when PID is one of ours: its command line mentions our temp dir, or
# it still has the start time recorded when we started it (a recycled PID
# would have neither).
pid_ours() {
	[ -n "$T" ] && pid_alive "$1" || return 1
	if [ -n "${PID_STIME[$1]:-}" ]; then
		[ "$(pid_stime "$1")" = "${PID_STIME[$1]}" ]
	else
		tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qF "$T/"
	fi
}

# pid_stime PID : the process's start time (clock ticks since boot).
pid_stime() {
	sed -E 's/^[0-9]+ \(.*\) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

# True while any process started by this run is alive.
any_started_alive() {
	local pid
	for pid in "${STARTED_PIDS[@]}"; do
		pid_ours "$pid" && return 0
	done
	return 1
}

e2e_cleanup() {
	local rc=$? pid ns d
	set +x
	# finish the cleanup whatever happens to our output or terminal
	trap - EXIT
	trap '' INT TERM HUP PIPE
	exec 1>&8 2>&9
	for pid in "${STARTED_PIDS[@]}"; do
		pid_ours "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	wait_for 2 eval '! any_started_alive'
	for pid in "${STARTED_PIDS[@]}"; do
		pid_ours "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	for ns in "${NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for d in "${ETC_NETNS[@]}"; do
		rm -rf "$d"
	done
	rmdir /etc/netns 2>/dev/null
	if [ -z "$FINISHED" ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		FAILED=$((FAILED + 1))
		echo "not ok - the test stopped early (exit $rc)"
		echo "$PASSED passed, $FAILED failed"
	fi
	[ "$FAILED" -gt 0 ] && dump_logs
	if [ -n "$T" ]; then
		if [ -n "${KEEP:-}" ]; then
			echo "# kept $T"
		else
			rm -rf "$T"
		fi
	fi
	if declare -F after_cleanup >/dev/null; then
		after_cleanup
	fi
	exit "$rc"
}

# Print the last lines of every log (nodes, gates, chat output).
dump_logs() {
	local f
	for f in "$T"/*.log "$T"/*-*.out; do
		[ -e "$f" ] || continue
		echo "# ---- last 40 lines of $(basename "$f")"
		tail -n 40 "$f" | sed 's/^/# /'
	done
}

# ---------------------------------------------------------------- network
#
# Set-up steps stop the test (bail) when they fail: nothing after them
# could pass.

# ns NAME : the namespace of node NAME.
ns() { echo "${PFX}$1"; }

# in_ns NAME CMD... : run CMD inside node NAME's namespace.
in_ns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

addr4() { echo "$SUBNET4.${NODE_IDX[$1]}"; }
addr6() { echo "${SUBNET6}:${NODE_IDX[$1]}"; }

# make_hub : the namespace with the bridge every node plugs into.
make_hub() {
	ip netns add "$HUB" || bail "make the hub namespace $HUB"
	NAMESPACES+=("$HUB")
	{ ip -n "$HUB" link set lo up &&
		ip -n "$HUB" link add br0 type bridge &&
		ip -n "$HUB" link set br0 up; } || bail "make the hub's bridge"
}

# make_node NAME [N] : a namespace for node NAME, plugged into the hub, with
# addresses 10.77.0.N/24 and fd77::N/64 (N: next free number by default).
make_node() {
	local name=$1 idx=${2:-$NEXT_IDX} nsn
	nsn=$(ns "$name")
	[ "$idx" -ge "$NEXT_IDX" ] && NEXT_IDX=$((idx + 1))
	NODE_IDX[$name]=$idx
	mkdir -p "$T/$name"
	ip netns add "$nsn" || bail "make namespace $nsn"
	NAMESPACES+=("$nsn")
	{ ip -n "$nsn" link set lo up &&
		in_ns "$name" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 >/dev/null &&
		ip -n "$HUB" link add "v$idx" type veth peer name eth0 netns "$nsn" &&
		ip -n "$HUB" link set "v$idx" master br0 up &&
		ip -n "$nsn" addr add "$(addr4 "$name")/24" dev eth0 &&
		ip -n "$nsn" addr add "$(addr6 "$name")/64" dev eth0 nodad &&
		ip -n "$nsn" link set eth0 up; } || bail "plug node $name into the hub"
}

# make_ns NAME : a bare namespace (lo up) for a host that is not a node,
# e.g. one behind a node's gate; in_ns NAME runs commands in it.
make_ns() {
	ip netns add "$(ns "$1")" || bail "make namespace $(ns "$1")"
	NAMESPACES+=("$(ns "$1")")
	ip -n "$(ns "$1")" link set lo up || bail "bring up lo in $(ns "$1")"
}

# veth NAME1 IF1 NAME2 IF2 : a veth pair IF1 (in NAME1's namespace) - IF2
# (in NAME2's), both up.
veth() {
	{ ip -n "$(ns "$1")" link add "$2" type veth peer name "$4" netns "$(ns "$3")" &&
		ip -n "$(ns "$1")" link set "$2" up &&
		ip -n "$(ns "$3")" link set "$4" up; } || bail "a veth $1:$2 - $3:$4"
}

# node_hosts NAME "ADDR HOSTNAME..." ... : give node NAME's namespace its own
# /etc/hosts (`ip netns exec' bind-mounts the files of /etc/netns/NS over
# /etc), and a resolv.conf that keeps other lookups inside the namespace
# (they fail at once).
node_hosts() {
	local name=$1 d; shift
	d=/etc/netns/$(ns "$name")
	mkdir -p "$d" || bail "make $d"
	ETC_NETNS+=("$d")
	{
		echo "127.0.0.1 localhost"
		echo "::1 localhost"
		printf '%s\n' "$@"
	} >"$d/hosts"
	echo "nameserver 127.0.0.1" >"$d/resolv.conf"
}

# ---------------------------------------------------------------- PKI
#
# Thin wrappers over tools/cloud-ca (its output goes to $T/*.out).

# run_ca OUT DESC ARGS... : cloud-ca ARGS, output appended to $T/OUT.out;
# bail with DESC (and cloud-ca's words) if it fails.
run_ca() {
	local out=$T/$1.out desc=$2; shift 2
	"$CLOUD_CA" "$@" >>"$out" 2>&1 || { tail -n 5 "$out" | sed 's/^/# /'; bail "$desc"; }
}

# make_ca [CA] : a certificate authority in $T/CA (default "ca"), with
# ca.crt and an (empty) crl.pem.
make_ca() {
	local ca=${1:-ca}
	run_ca "$ca" "make CA $ca" -d "$T/$ca" init -name "$ca"
}

# make_cert NAME [CA [cloud-ca node options...]] : key and certificate for
# node NAME (CN=NAME) from CA, copied to $T/NAME/key.pem and cert.pem.
make_cert() {
	local name=$1 ca=${2:-ca}
	shift; [ $# -gt 0 ] && shift
	mkdir -p "$T/$name"
	run_ca "$ca" "issue a certificate for $name" -d "$T/$ca" node "$name" "$@"
	cp "$T/$ca/$name.key" "$T/$name/key.pem" &&
		cp "$T/$ca/$name.crt" "$T/$name/cert.pem" || bail "copy $name's key and certificate"
}

# revoke_cert NAME [CA] : revoke NAME's certificate and re-sign CA's CRL.
revoke_cert() {
	local ca=${2:-ca}
	run_ca "$ca" "revoke $1's certificate" -d "$T/$ca" revoke "$1"
}

# ca_file [CA], crl_file [CA] : paths of a CA's certificate and CRL.
ca_file() { echo "$T/${1:-ca}/ca.crt"; }
crl_file() { echo "$T/${1:-ca}/crl.pem"; }

# make_key NAME : only a private key (raw public key mode), $T/NAME/key.pem.
make_key() {
	mkdir -p "$T/keys" "$T/$1"
	run_ca keys "make a key for $1" -d "$T/keys" key "$1"
	cp "$T/keys/$1.key" "$T/$1/key.pem" || bail "copy $1's key"
}

# key_pin NAME : the "pin-sha256:..." of node NAME's key.
key_pin() { "$CLOUD_CA" pin "$T/$1/key.pem"; }

# ---------------------------------------------------------------- config

# node_conf NAME [LINE...] : write $T/NAME/cloud.conf: listen on the node's
# IPv4 address, its key, its certificate and the CA (when it has a
# certificate; otherwise `name NAME', for raw public keys), control socket,
# gate socket ($T/NAME/gate.sock), short timers; then the extra LINEs (they
# may add to or override these).
node_conf() {
	local name=$1 f; shift
	f=$T/$name/cloud.conf
	{
		echo "# node $name (written by tests/netns/lib.sh)"
		echo "listen $(addr4 "$name") $PORT"
		echo "key $T/$name/key.pem"
		if [ -e "$T/$name/cert.pem" ]; then
			echo "cert $T/$name/cert.pem"
			echo "ca $(ca_file)"
		else
			echo "name $name"
		fi
		echo "ctl $T/$name/ctl.sock"
		echo "gate $(gate_sock "$name")"
		printf '%s\n' "${NODE_TIMERS[@]}"
		[ ${#NODE_FASTPATH[@]} -eq 0 ] || printf '%s\n' "${NODE_FASTPATH[@]}"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$f"
}

# conf_add NAME LINE... : append lines to NAME's config.
conf_add() { local n=$1; shift; printf '%s\n' "$@" >>"$T/$n/cloud.conf"; }

# conf_del NAME REGEX : remove the lines of NAME's config that match.
conf_del() {
	local f=$T/$1/cloud.conf
	grep -Ev -- "$2" "$f" >"$f.new"; mv "$f.new" "$f"
}

conf_file() { echo "$T/$1/cloud.conf"; }

# gate_sock NAME : the gate socket node_conf gives node NAME.
gate_sock() { echo "$T/$1/gate.sock"; }

# ---------------------------------------------------------------- processes

# start_node NAME [ARGS...] : run cloud for NAME in its namespace, in the
# background, output to $T/NAME.log; wait (5 s at most) until its control
# socket answers.  If it died or never answered, the test stops there
# (bail): nothing after it could pass.
start_node() {
	local name=$1; shift
	start_node_nowait "$name" "$@" || bail "node $name starts"
	wait_for 5 eval "node_ready $name || ! node_alive $name"
	node_ready "$name" || bail "node $name starts and answers cloudctl (see $name.log)"
}

# start_node_nowait NAME [ARGS...] : start_node without waiting.
start_node_nowait() {
	local name=$1; shift
	if [ -n "${NODE_PID[$name]:-}" ] && pid_alive "${NODE_PID[$name]}"; then
		echo "# node $name is already running" >&2
		return 1
	fi
	rm -f "$T/$name/ctl.sock"
	echo "# ---- $(date -u +%H:%M:%S.%N) start_node $name" >>"$T/$name.log"
	(
		close_chat_fds
		exec ip netns exec "$(ns "$name")" "$CLOUD" -@include "$T/$name/cloud.conf" "$@" \
			</dev/null >>"$T/$name.log" 2>&1 8>&- 9>&-
	) &
	NODE_PID[$name]=$!
	STARTED_PIDS+=($!)
}

# node_ready NAME : the node runs and its control socket answers.
node_ready() {
	pid_alive "${NODE_PID[$1]}" && ctl "$1" status >/dev/null 2>&1
}

node_pid() { echo "${NODE_PID[$1]}"; }
node_alive() { [ -n "${NODE_PID[$1]:-}" ] && pid_alive "${NODE_PID[$1]}"; }

# signal_node NAME SIG : send a signal to NAME's cloud.
signal_node() { kill -s "$2" "${NODE_PID[$1]}"; }

# stop_node NAME [SIG [TIMEOUT]] : send SIG (TERM), wait TIMEOUT (5) seconds
# for the exit, then SIGKILL.  Returns cloud's exit status (or 124 after
# SIGKILL).
stop_node() {
	local name=$1 sig=${2:-TERM} t=${3:-5} pid rc
	pid=${NODE_PID[$name]}
	[ -n "$pid" ] || return 1
	kill -s "$sig" "$pid" 2>/dev/null
	if ! wait_for "$t" eval "! pid_alive $pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		NODE_PID[$name]=
		return 124
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	NODE_PID[$name]=
	return "$rc"
}

# kill_node NAME : SIGKILL, no goodbye.
kill_node() {
	local pid=${NODE_PID[$1]}
	[ -n "$pid" ] || return 1
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	NODE_PID[$1]=
	return 0
}

# ---------------------------------------------------------------- control

# ctl NAME ARGS... : cloudctl against NAME's control socket (5 s at most).
ctl() {
	local name=$1; shift
	timeout 5 "$CLOUDCTL" -s "$T/$name/ctl.sock" "$@"
}

# jq_ctl NAME COMMAND FILTER : the JSON reply to COMMAND through jq -r FILTER.
jq_ctl() {
	local out
	out=$(ctl "$1" -json "$2") || return 1
	jq -er "$3" <<<"$out"
}

# links_up NAME : number of NAME's links in state "up".
links_up() { jq_ctl "$1" links '[.links[] | select(.state == "up")] | length'; }

# up_is NAME N : NAME has exactly N links up.
up_is() { [ "$(links_up "$1")" = "$2" ]; }

# wait_links NAME N [TIMEOUT] : wait (5 s) until NAME has exactly N up links
# (fails at once if NAME's cloud is not running).
wait_links() {
	wait_for "${3:-5}" eval "! node_alive $1 || up_is $1 $2"
	node_alive "$1" && up_is "$1" "$2"
}

# link_peers NAME : the sorted peer names of NAME's up links, on one line.
link_peers() {
	jq_ctl "$1" links '[.links[] | select(.state == "up") | .peer] | sort | join(" ")'
}

# has_peers NAME [PEER...] : NAME's up links are exactly to these peers.
has_peers() {
	local name=$1 want; shift
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$(link_peers "$name")" = "${want% }" ]
}

# link_id NAME PEER : id of NAME's up link to PEER.
link_id() {
	jq_ctl "$1" links "[.links[] | select(.state == \"up\" and .peer == \"$2\") | .id] | first"
}

# link_get NAME PEER EXPR : jq's ".EXPR" on NAME's up link to PEER, e.g.
# link_get a b rtt_ms, or (as a check) link_get a b 'auth == "x509"'.
link_get() {
	jq_ctl "$1" links "[.links[] | select(.state == \"up\" and .peer == \"$2\") | .$3] | first"
}

# status_get NAME FILTER : from `cloudctl -json status'.
status_get() { jq_ctl "$1" status "$2"; }

# counter NAME COUNTER : one of status's counters.
counter() { status_get "$1" ".counters.$2"; }

# ping_gap FILE [FROM_MS] : "GAP_MS AT_MS": the largest gap between
# consecutive replies in ping -D output FILE ([epoch.usec] leads each
# line), among those after FROM_MS (epoch ms; default all), and when it
# began.
ping_gap() {
	awk -v from="${2:-0}" '/bytes from/ {
		t = substr($1, 2, length($1) - 2) * 1000
		if (t < from) { prev = t; next }
		if (prev && t - prev > max) { max = t - prev; at = prev }
		prev = t
	} END { printf "%.0f %.0f\n", max, at }' "$1"
}

# ---------------------------------------------------------------- logs

logf() { echo "$T/$1.log"; }

# log_has NAME REGEX : NAME's log has a line matching REGEX (ERE, any case).
log_has() { grep -Eiq -- "$2" "$T/$1.log" 2>/dev/null; }

# log_count NAME REGEX : how many lines match.
log_count() { grep -Eic -- "$2" "$T/$1.log" 2>/dev/null; true; }

# log_time NAME REGEX : the time (ms since the epoch) of the last line of
# NAME's log matching REGEX, from the daemon's own timestamp.  Durations
# between daemon events are measured with it rather than with polling
# loops, which lag on a busy machine.
log_time() {
	local ts
	ts=$(grep -Ei -- "$2" "$T/$1.log" 2>/dev/null | tail -n 1 | cut -d' ' -f1)
	[ -n "$ts" ] || return 1
	date -u -d "$ts" +%s%3N
}

# log_mark NAME, then log_new NAME REGEX : a line matching REGEX was logged
# after the mark.
log_mark() { LOG_MARK[$1]=$(wc -l <"$T/$1.log" 2>/dev/null || echo 0); }
log_new() {
	tail -n +"$(( ${LOG_MARK[$1]:-0} + 1 ))" "$T/$1.log" 2>/dev/null |
		grep -Eiq -- "$2"
}

# ---------------------------------------------------------------- gates
#
# A gate (or any helper process) runs in a node's namespace and is known
# by "NODE-TAG" (e.g. a-ip): its PID, its log $T/NODE-TAG.log.  The exit
# trap stops it like the nodes; finish stops it first (SIGTERM) so that a
# sanitizer build writes its report in time.

# need_cmd CMD PACKAGE : skip the test unless CMD is installed.
need_cmd() {
	command -v "$1" >/dev/null || skip "$1 not installed (Debian: $2)"
}

# need_gates PROG... : skip unless these gates (ip-gate, ether-gate,
# chat-gate) are built and /dev/net/tun exists.
need_gates() {
	local g
	for g in "$@"; do
		[ -x "$(gate_prog "$g")" ] || skip "$(gate_prog "$g") not built"
	done
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
}

# gate_prog PROG : path of gate PROG (ip-gate, ether-gate, chat-gate);
# anything else is returned as it is.
gate_prog() {
	case $1 in
	ip-gate) echo "$IP_GATE" ;;
	ether-gate) echo "$ETHER_GATE" ;;
	chat-gate) echo "$CHAT_GATE" ;;
	*) echo "$1" ;;
	esac
}

# start_proc NODE TAG CMD... : run CMD in NODE's namespace in the
# background, stdin from $PROC_STDIN (default /dev/null), stdout to
# $PROC_STDOUT (default the log), stderr to $T/NODE-TAG.log.
start_proc() {
	local node=$1 key=$1-$2 pid; shift 2
	if proc_alive "$key"; then
		echo "# $key is already running" >&2
		return 1
	fi
	echo "# ---- $(date -u +%H:%M:%S.%N) start $key: $*" >>"$T/$key.log"
	(
		close_chat_fds
		exec ip netns exec "$(ns "$node")" "$@" <"${PROC_STDIN:-/dev/null}" \
			>>"${PROC_STDOUT:-$T/$key.log}" 2>>"$T/$key.log" 8>&- 9>&-
	) &
	pid=$!
	PROC_PID[$key]=$pid
	PID_STIME[$pid]=$(pid_stime "$pid")
	STARTED_PIDS+=("$pid")
}

# start_gate NODE TAG PROG [-name value ...] : run gate PROG (ip-gate,
# ether-gate, chat-gate) in NODE's namespace, attached to NODE's gate
# socket, e.g.  start_gate a ip ip-gate -iface_dev tun0 -address 10.99.0.1/24
# With GATE_USER=USER set, the gate runs as USER (its primary group, no
# supplementary groups).
start_gate() {
	local node=$1 tag=$2 prog wrap=() extra=()
	if [ "$3" = ip-gate ] && [ "${FASTPATH:-on}" = off ]; then
		extra=(-handoff no)
	fi
	prog=$(gate_prog "$3"); shift 3
	[ -x "$prog" ] || bail "gate $prog is built"
	if [ -n "${GATE_USER:-}" ]; then
		wrap=(setpriv --reuid="$(id -u "$GATE_USER")" --regid="$(id -g "$GATE_USER")"
		      --clear-groups --)
	fi
	start_proc "$node" "$tag" "${wrap[@]}" "$prog" "$(gate_sock "$node")" "$@" "${extra[@]}" ||
		bail "start gate $node-$tag"
}

proc_pid() { echo "${PROC_PID[$1]}"; }
proc_alive() { [ -n "${PROC_PID[$1]:-}" ] && pid_ours "${PROC_PID[$1]}"; }
gate_pid() { proc_pid "$1-$2"; }
gate_alive() { proc_alive "$1-$2"; }

# stop_proc KEY [SIG [TIMEOUT]] : send SIG (TERM) to "NODE-TAG", wait
# TIMEOUT (5) seconds, then SIGKILL.  Returns its exit status (124 after
# SIGKILL).
stop_proc() {
	local key=$1 sig=${2:-TERM} t=${3:-5} pid rc
	pid=${PROC_PID[$key]:-}
	[ -n "$pid" ] || return 1
	pid_ours "$pid" && kill -s "$sig" "$pid" 2>/dev/null
	if ! wait_for "$t" eval "! pid_alive $pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		PROC_PID[$key]=
		return 124
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	PROC_PID[$key]=
	return "$rc"
}

# stop_gate NODE TAG [SIG [TIMEOUT]] : stop_proc for a gate.
stop_gate() { local k=$1-$2; shift 2; stop_proc "$k" "$@"; }

# gate_get NODE TAG FILTER : jq -r FILTER on the entry of `cloudctl -json
# gates' (on NODE) of the gate NODE-TAG (found by its PID); fails when
# cloud does not list it.
gate_get() {
	local pid=${PROC_PID[$1-$2]:-0}
	jq_ctl "$1" gates "first(.gates[] | select(.pid == $pid)) | $3"
}

# gate_listed NODE TAG : cloud on NODE lists the gate NODE-TAG.
gate_listed() { gate_get "$1" "$2" .id >/dev/null; }

# gate_owns NODE TAG PREFIX : NODE-TAG is attached and announced PREFIX.
gate_owns() { gate_get "$1" "$2" "any(.prefixes[]; . == \"$3\")" >/dev/null; }

# wait_gate NODE TAG [TIMEOUT] : wait (5 s) until NODE's cloud lists the
# gate NODE-TAG with at least one prefix (fails at once if the gate died).
wait_gate() {
	wait_for "${3:-5}" eval "! gate_alive $1 $2 || gate_get $1 $2 '.prefixes | length > 0'"
	gate_alive "$1" "$2" && gate_get "$1" "$2" '.prefixes | length > 0' >/dev/null
}

# gate_count NODE : number of gates attached to NODE's cloud.
gate_count() { status_get "$1" .gates; }

# has_route NODE PREFIX [OWNER] : `cloudctl routes' on NODE lists PREFIX
# (owned by node OWNER, when given).
has_route() {
	local sel=".prefix == \"$2\""
	[ -n "${3:-}" ] && sel="$sel and .node == \"$3\""
	jq_ctl "$1" routes "any(.routes[]; $sel)" >/dev/null
}

# wait_route NODE PREFIX [OWNER [TIMEOUT]] : wait (5 s) for has_route.
wait_route() { wait_for "${4:-5}" has_route "$1" "$2" "${3:-}"; }

# ping_ok NODE ADDR : one ping from NODE's namespace to ADDR is answered
# within a second.
ping_ok() { in_ns "$1" ping -n -c 1 -W 1 "$2" >/dev/null 2>&1; }

# wait_ping NODE ADDR [TIMEOUT] : wait (5 s) until ping_ok.
wait_ping() { wait_for "${3:-5}" ping_ok "$1" "$2"; }

# ---------------------------------------------------------------- chat
#
# A chat-gate reads lines from its stdin and prints the chat on stdout.
# start_chat gives it a FIFO as stdin, held open by this shell (so it does
# not see EOF), and its stdout goes to $T/NODE-TAG.out.

# close_chat_fds : (in a child, before exec) close this shell's ends of the
# chat FIFOs, so that a chat-gate sees EOF when chat_end closes ours.
close_chat_fds() {
	local fd
	for fd in "${CHAT_FD[@]}"; do
		[ -n "$fd" ] && eval "exec $fd>&-"
	done
	return 0
}

# start_chat NODE TAG NICK [-name value ...] : a chat-gate with nickname
# NICK on NODE.
start_chat() {
	local node=$1 tag=$2 nick=$3 key=$1-$2 fd; shift 3
	mkfifo "$T/$key.in" || bail "make the FIFO $T/$key.in"
	# read-write: the open does not wait for a reader
	exec {fd}<>"$T/$key.in"
	CHAT_FD[$key]=$fd
	: >"$T/$key.out"
	PROC_STDIN=$T/$key.in PROC_STDOUT=$T/$key.out \
		start_gate "$node" "$tag" chat-gate -nick "$nick" "$@"
}

# chat_say NODE TAG LINE : type LINE into chat-gate NODE-TAG.
chat_say() { printf '%s\n' "$3" >&"${CHAT_FD[$1-$2]}"; }

# chat_end NODE TAG : close chat-gate NODE-TAG's stdin (EOF: it leaves).
chat_end() {
	local key=$1-$2
	local fd=${CHAT_FD[$key]:-}
	[ -n "$fd" ] && exec {fd}>&-
	CHAT_FD[$key]=
}

# chat_saw NODE TAG TEXT : chat-gate NODE-TAG printed a line holding TEXT
# (a fixed string).
chat_saw() { grep -qF -- "$3" "$T/$1-$2.out" 2>/dev/null; }

# chat_out NODE TAG : what chat-gate NODE-TAG printed.
chat_out() { cat "$T/$1-$2.out"; }

# ---------------------------------------------------------------- routing
#
# Multi-hop tests (route_*.sh).  Every node sits on the hub, so the mesh's
# topology is made by the nodes' `connect' lines; a link is cut with
# nftables in one node's namespace.

# Timers for node_conf in routing tests: a silent link dies within ~1 s.
ROUTE_TIMERS=("conn_keepalive 200ms" "conn_timeout 1s")

# cut_link A B : in A's namespace, drop all TCP to and from B's address:
# the link between A and B dies by conn_timeout and cannot come back.
cut_link() {
	in_ns "$1" nft -f - <<-EOT || bail "cut the link $1 - $2 (nft)"
	table inet cut_$2 {
		chain in { type filter hook input priority 0; ip saddr $(addr4 "$2") meta l4proto tcp drop; }
		chain out { type filter hook output priority 0; ip daddr $(addr4 "$2") meta l4proto tcp drop; }
	}
	EOT
}

# restore_link A B : undo cut_link A B.
restore_link() { in_ns "$1" nft delete table inet "cut_$2" || bail "restore the link $1 - $2"; }

# node_get NODE OTHER FILTER : jq -r FILTER on OTHER's entry in `cloudctl
# -json nodes' on NODE; fails when NODE does not list OTHER.
node_get() {
	jq_ctl "$1" nodes "first(.nodes[] | select(.name == \"$2\")) | $3"
}

# node_listed NODE OTHER : NODE's node table lists OTHER (reachable).
node_listed() { node_get "$1" "$2" .name >/dev/null; }

# counters_all FILTER NODE... : every NODE's status counters pass the jq
# FILTER (e.g. 'pkt_ttl_expired == 0'); names the first that does not.
counters_all() {
	local filter=$1 n; shift
	for n in "$@"; do
		counter "$n" "$filter" >/dev/null || { echo "# $n: $filter is false" >&2; return 1; }
	done
}

# relay_mark NODE..., then relay_grew : how much each marked node's
# pkt_relayed counter grew since the mark, in GREW[NODE].
declare -A RELAY_MARK=() GREW=()
relay_mark() {
	local n
	RELAY_MARK=()
	for n in "$@"; do RELAY_MARK[$n]=$(counter "$n" pkt_relayed) || bail "read $n's counters"; done
}
relay_grew() {
	local n now
	GREW=()
	for n in "${!RELAY_MARK[@]}"; do
		now=$(counter "$n" pkt_relayed) || bail "read $n's counters"
		GREW[$n]=$((now - RELAY_MARK[$n]))
	done
}

# ---------------------------------------------------------------- UDP paths
#
# The data plane's tests join two nodes A and B by K direct veth pairs
# (underlay links p1..pK, 10.10K.0.N/24 with N the node's number) besides
# the hub: the TLS link runs over the hub (eth0), UDP paths over p1..pK, so
# that cutting a path never cuts the control channel.

# path_addr NODE K : NODE's address on underlay link pK.
path_addr() { echo "10.10$2.0.${NODE_IDX[$1]}"; }

# make_paths A B K : veth pairs pI (I = 1..K) between A and B, addressed.
make_paths() {
	local a=$1 b=$2 k=$3 i
	for i in $(seq 1 "$k"); do
		veth "$a" "p$i" "$b" "p$i"
		{ in_ns "$a" ip addr add "$(path_addr "$a" "$i")/24" dev "p$i" &&
			in_ns "$b" ip addr add "$(path_addr "$b" "$i")/24" dev "p$i"; } ||
			bail "address underlay link p$i"
	done
}

# udp_listen_paths NODE K : config lines binding NODE's UDP to its p1..pK
# addresses (port $PORT), one socket (a local address) per link.
udp_listen_paths() {
	local n=$1 k=$2 i
	for i in $(seq 1 "$k"); do echo "udp_listen $(path_addr "$n" "$i") $PORT"; done
}

# link_udp NODE PEER FILTER : jq FILTER over NODE's UDP view of its link to
# PEER (fields of `cloudctl -json paths': tx_udp, rx_udp, tx_tls, paths...).
link_udp() { jq_ctl "$1" paths ".links[] | select(.peer == \"$2\") | $3"; }

# live_paths NODE PEER : how many of NODE's paths to PEER are live.
live_paths() { link_udp "$1" "$2" '[.paths[] | select(.state == "live")] | length'; }
wait_live_paths() { wait_for "${4:-10}" eval "[ \"\$(live_paths $1 $2)\" = $3 ]"; }

# tun_pair A B : ip-gates on A (tun0 10.99.0.1/24) and B (10.99.0.2/24),
# both attached, and A pinging B through them.
tun_pair() {
	start_gate "$1" ip ip-gate -iface_dev tun0 -address 10.99.0.1/24
	start_gate "$2" ip ip-gate -iface_dev tun0 -address 10.99.0.2/24
	check "$1's ip-gate attaches" wait_gate "$1" ip
	check "$2's ip-gate attaches" wait_gate "$2" ip
	check "ping $1 -> $2 (10.99.0.2) through the ip-gates" wait_ping "$1" 10.99.0.2 5
}
