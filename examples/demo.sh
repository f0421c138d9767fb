#!/usr/bin/env bash
# demo.sh - a three-node cloudvpn mesh on one machine, in network namespaces.
#
#   sudo ./examples/demo.sh
#
# It builds cloudvpn (tools/setup-debian.sh), makes a certificate authority
# and three nodes a, b and c, each in its own network namespace plugged into
# one bridge (10.77.0.1-3), links them in a triangle a->b, b->c, c->a, shows
# `cloudctl links' and `cloudctl status' of each node, and removes it all.
# Nothing outside the namespaces and a temp dir is touched.
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
node_conf a "connect $(addr4 b) $PORT"
node_conf b "connect $(addr4 c) $PORT"
node_conf c "connect $(addr4 a) $PORT"
heading "node a's configuration ($(conf_file a))"
grep -v '^#' "$(conf_file a)" | sed 's/^/  /'

# ---- 5. start the nodes and wait for the mesh
heading "starting cloud on a, b and c"
for n in a b c; do
	start_node "$n"
	echo "  $n: pid $(node_pid "$n"), log $(logf "$n")"
done
for n in a b c; do
	check "node $n has links to both others" wait_links "$n" 2 15
done
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

heading "result"
finish
