#!/usr/bin/env bash
# udp_keys.sh - the keys of the UDP data paths.  Two nodes a and b on one
# direct underlay link p1, ip-gates at both ends.  a forces
# ChaCha20-Poly1305 for what it sends, b keeps `auto' (TLS negotiated
# AES-GCM, so AES-256-GCM): each direction uses its sender's cipher and
# both deliver.  Both rekey every second: under a 50/s ping for 6 s the
# epochs move on both sides, no packet is lost and none fails its tag.
# Then b restarts with `udp no': the link carries data on its TLS stream
# only, and a says so.
. "$(dirname "$0")/lib.sh"
e2e_begin
need_gates ip-gate
make_hub
make_ca
for n in a b; do make_node "$n"; make_cert "$n"; done
make_paths a b 1
node_conf a "connect $(addr4 b) $PORT" "udp_listen $(path_addr a 1) $PORT" \
	"udp_cipher chacha20-poly1305" "udp_rekey_interval 1s"
node_conf b "udp_listen $(path_addr b 1) $PORT" "udp_rekey_interval 1s"
start_node a
start_node b
check "a and b link up" wait_links a 1 5
tun_pair a b
check "a's path to b goes live" wait_live_paths a b 1
check "b's path to a goes live" wait_live_paths b a 1

check "a seals with chacha20-poly1305" \
	eval '[ "$(link_udp a b .cipher_tx)" = chacha20-poly1305 ]'
check "b opens a's packets with chacha20-poly1305" \
	eval '[ "$(link_udp b a .cipher_rx)" = chacha20-poly1305 ]'
check "b seals with aes-256-gcm (TLS chose AES-GCM)" \
	eval '[ "$(link_udp b a .cipher_tx)" = aes-256-gcm ]'
check "a opens b's packets with aes-256-gcm" \
	eval '[ "$(link_udp a b .cipher_rx)" = aes-256-gcm ]'

rx0=$(link_udp b a .rx_udp)
out=$(in_ns a ping -n -c 300 -i 0.02 -q 10.99.0.2 2>&1)
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' <<<"$out")
note "300 pings across 6 s of rekeying: ${loss:-?}% lost"
check "no ping lost across the key switches (${loss:-?}%)" [ "${loss:-1}" = 0 ]
for pair in "a b" "b a"; do
	set -- $pair
	e_tx=$(link_udp "$1" "$2" .epoch_tx)
	e_rx=$(link_udp "$1" "$2" .epoch_rx)
	note "$1: send epoch $e_tx, receive epoch $e_rx"
	check "$1 moved its send key at least 3 epochs on (epoch $e_tx)" [ "$e_tx" -ge 3 ]
	check "$1 followed $2's key to epoch $e_rx (>= 3)" [ "$e_rx" -ge 3 ]
	check "$1: no packet failed its tag" eval "[ \"\$(link_udp $1 $2 .bad_tag)\" = 0 ]"
done
rx1=$(link_udp b a .rx_udp)
check "the pings went over UDP ($((rx1 - rx0)) data packets, >= 300)" [ $((rx1 - rx0)) -ge 300 ]

# --- b without UDP: the link's TLS stream carries data
stop_node b
conf_add b "udp no"
start_node b
check "a and b link up again" wait_links a 1 5
check "b's ip-gate reattaches" wait_gate b ip 10
check "a pings b with b's UDP off" wait_ping a 10.99.0.2 10
tls0=$(link_udp a b .tx_tls)
in_ns a ping -n -c 20 -i 0.05 -q 10.99.0.2 >/dev/null 2>&1
tls1=$(link_udp a b .tx_tls)
check "a's data to b rides TLS ($((tls1 - tls0)) packets, >= 20)" [ $((tls1 - tls0)) -ge 20 ]
check "a has no path to b (b offered none)" eval '[ "$(link_udp a b ".paths | length")" = 0 ]'
check "b opened no UDP socket" eval '[ "$(status_get b .udp.sockets)" = 0 ]'
finish
