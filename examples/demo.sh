#!/usr/bin/env bash
# demo.sh - a three-node cloudvpn mesh on one machine, in network namespaces.
#
#   sudo ./examples/demo.sh
#
# It builds cloudvpn (tools/setup-debian.sh), makes a certificate authority
# and three nodes a, b and c, each in its own network namespace plugged into
# one bridge (10.77.0.1-3), links them in a line a-b-c (a reaches c only
# through b), shows `cloudctl links' and `cloudctl status' of each node;
# then it starts an ip-gate on each node (a TUN with 10.99.0.1-3/24), shows
# what a's routing table learned (`cloudctl nodes', `routes') and pings
# every pair across the mesh, a and c over two hops, and shows b's UDP
# paths that carried them (`cloudctl paths'); starts a chat-gate on each
# node and sends a line from a to b and c; and removes it all.  Nothing outside the namespaces and a temp
# dir is touched.
#
# setup-debian.sh builds in build/ (or $BUILD_DIR).  To use binaries of
# your own instead, skipping the build:
#   sudo CLOUD=path/to/cloud CLOUDCTL=path/to/cloudctl ./examples/demo.sh

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$repo/build}
case $build in /*) ;; *) build=$repo/$build ;; esac

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: network namespaces need root: sudo $0" >&2
	exit 1
fi

# heading TEXT : a section title (bold on a terminal).
if [ -t 1 ]; then
	heading() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	heading() { printf '\n== %s\n' "$*"; }
fi

# ---- 1. build (skipped when CLOUD points at a build already)
if [ -z "${CLOUD:-}" ]; then
	heading "building cloudvpn (tools/setup-debian.sh)"
	"$repo/tools/setup-debian.sh" || { echo "demo.sh: the build failed" >&2; exit 1; }
fi

# The test library makes namespaces, certificates and configs, starts
# nodes, and cleans everything up when this script exits.
top_srcdir=$repo
top_builddir=$build
. "$repo/tests/netns/lib.sh"
after_cleanup() { heading "cleaned up: nodes stopped, namespaces and temp files removed"; }
e2e_begin

# Timers of a small, fast demo (the defaults suit real networks).
NODE_TIMERS=("conn_retry 200ms" "conn_retry_max 2s" "conn_keepalive 1s")

# ---- 2. the network: a bridge and three hosts
heading "making the network: namespaces ${PFX}a, ${PFX}b, ${PFX}c on one bridge"
make_hub
for n in a b c; do make_node "$n"; done
for n in a b c; do echo "  node $n: $(addr4 "$n") and $(addr6 "$n")"; done

# ---- 3. a CA, and a key and certificate per node
heading "making a certificate authority and a certificate per node (tools/cloud-ca)"
make_ca
for n in a b c; do make_cert "$n"; done
echo "  CA certificate: $(ca_file)"
echo "  node certificates: CN=a, CN=b, CN=c (the CN is the node's name)"

# ---- 4. configs: each node listens on its address and connects to the next
# node_conf writes one file per node; node a's reads (paths shortened):
#   listen 10.77.0.1 7000     accept links on this address and port
#   key  a/key.pem            the node's private key
#   cert a/cert.pem           its certificate (CN=a: the node's name)
#   ca   ca/ca.crt            trust the peers whose certificates this CA signed
#   ctl  a/ctl.sock           control socket, for cloudctl -s a/ctl.sock
#   conn_retry 200ms ...      timers (see `cloud --help')
#   connect 10.77.0.2 7000    keep a link to b, reconnecting when it drops
# (node-a.cfg and common.cfg beside this script are commented examples.)
# A line: a-b and b-c.  a and c have no link to each other: b relays.
node_conf a "connect $(addr4 b) $PORT"
node_conf b "connect $(addr4 c) $PORT"
node_conf c
heading "node a's configuration ($(conf_file a))"
grep -v '^#' "$(conf_file a)" | sed 's/^/  /'

# ---- 5. start the nodes and wait for the mesh
heading "starting cloud on a, b and c"
for n in a b c; do
	start_node "$n"
	echo "  $n: pid $(node_pid "$n"), log $(logf "$n")"
done
check "node a has its link to b" wait_links a 1 15
check "node b has its links to a and c" wait_links b 2 15
check "node c has its link to b" wait_links c 1 15
# give each link a keepalive, so RTTs are measured
wait_for 5 eval '! ctl a links | awk "NR > 1 && \$5 == \"-\"" | grep -q .'

for n in a b c; do
	heading "cloudctl links on node $n"
	ctl "$n" links
done
for n in a b c; do
	heading "cloudctl status on node $n"
	ctl "$n" status
done

# ---- 6. IP across the mesh: an ip-gate on each node
# `ip-gate SOCKET -iface_dev tun0 -address 10.99.0.1/24' makes tun0, gives
# it the address and attaches to cloud's gate socket (the `gate' line of the
# config); cloud tells every other node that it owns 10.99.0.1.
heading "starting an ip-gate on each node: tun0 with 10.99.0.N/24"
for n in a b c; do
	start_gate "$n" ip ip-gate -iface_dev tun0 -address "10.99.0.${NODE_IDX[$n]}/24"
	echo "  $n: ip-gate pid $(gate_pid "$n" ip), log $(logf "$n-ip")"
done
for n in a b c; do
	check "$n's ip-gate is attached" wait_gate "$n" ip
done
for n in a b c; do
	for m in a b c; do
		[ "$n" = "$m" ] || wait_route "$n" "ipv4:10.99.0.${NODE_IDX[$m]}" "$m"
	done
done
heading "cloudctl gates on node a"
ctl a gates
heading "cloudctl nodes on node a: c is reached through b"
ctl a nodes
heading "cloudctl routes on node a"
ctl a routes

heading "ping every pair over the mesh (3 pings each; a <-> c through b)"
for n in a b c; do
	for m in a b c; do
		[ "$n" = "$m" ] && continue
		dst=10.99.0.${NODE_IDX[$m]}
		out=$(in_ns "$n" ping -n -c 3 -i 0.2 -W 1 "$dst" 2>&1)
		got=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' <<<"$out")
		rtt=$(sed -nE 's|^rtt .* = [0-9.]+/([0-9.]+)/.*|\1|p' <<<"$out")
		check "$n -> $m ($dst): ${got:-0} of 3 answered, ${rtt:-no} ms on average" \
			test "${got:-0}" = 3
	done
done

heading "cloudctl paths on node b: the pings went over encrypted UDP, not the TLS links"
ctl b paths

# ---- 7. chat: a chat-gate on each node
# chat-gate reads lines from its terminal (here: a FIFO) and prints the
# room; the sender is shown with the node name the mesh authenticated.
heading "chat: alice on a, bob on b, carol on c (chat-gate)"
start_chat a chat alice
start_chat b chat bob
start_chat c chat carol
for n in a b c; do
	check "$n's chat-gate is attached" wait_gate "$n" chat
done
wait_route a chat:bob b
wait_route a chat:carol c
echo "  alice types: hello from alice"
chat_say a chat "hello from alice"
check "bob reads alice's line" wait_for 3 chat_saw b chat "alice@a: hello from alice"
check "carol reads alice's line" wait_for 3 chat_saw c chat "alice@a: hello from alice"
for n in b c; do
	echo "  what $n's chat-gate printed:"
	chat_out "$n" chat | sed 's/^/    /'
done

heading "result"
finish
