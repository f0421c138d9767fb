#!/usr/bin/env bash
# gate_restart.sh - gates outlive a restart of cloud: a and b each run an
# ip-gate (10.99.0.1-2) and an ether-gate (10.98.0.1-2), a ping flows; cloud
# on a is stopped (SIGTERM, and later SIGKILL) and started again: the same
# gate processes reconnect by themselves, announce again, and traffic flows
# again within a few seconds, over IP and Ethernet.
. "$(dirname "$0")/lib.sh"
e2e_begin
need_gates ip-gate ether-gate
make_hub
make_ca
for n in a b; do make_node "$n"; make_cert "$n"; done
node_conf a "connect $(addr4 b) $PORT"
node_conf b
start_node a
start_node b
check "a and b link up" wait_links a 1 5
for n in a b; do
	i=${NODE_IDX[$n]}
	start_gate "$n" ip ip-gate -iface_dev tun0 -address "10.99.0.$i/24"
	start_gate "$n" eth ether-gate -iface_dev tap0
	check "$n's ip-gate attaches" wait_gate "$n" ip
	check "$n's ether-gate attaches" wait_gate "$n" eth
	in_ns "$n" ip addr add "10.98.0.$i/24" dev tap0 || bail "address $n's tap0"
done
check "IP: a pings b (10.99.0.2)" wait_ping a 10.99.0.2 5
check "Ethernet: a pings b (10.98.0.2)" wait_ping a 10.98.0.2 5
ip_pid=$(gate_pid a ip)
eth_pid=$(gate_pid a eth)

# restarted HOW : after cloud on a went down HOW and was started again, its
# gates (the same processes) are back and traffic flows again.
restarted() {
	local how=$1
	check "$how: a's gates keep running while cloud is down (1 s)" \
		always_for 1 eval 'gate_alive a ip && gate_alive a eth'
	check "$how: b forgets a's prefixes" wait_for 5 eval '! has_route b ipv4:10.99.0.1'
	start_node a
	check "$how: a and b link up again" wait_links a 1 5
	check "$how: a's ip-gate (same pid $ip_pid) reconnects by itself" wait_gate a ip 5
	check "$how: a's ether-gate (same pid $eth_pid) reconnects by itself" wait_gate a eth 5
	check "$how: b learns a's prefixes again" wait_route b ipv4:10.99.0.1 a
	check "$how: IP: a pings b again" wait_ping a 10.99.0.2 5
	check "$how: IP: b pings a again" wait_ping b 10.99.0.1 3
	check "$how: Ethernet: a pings b again" wait_ping a 10.98.0.2 5
	# from cloud's start to the later of the two gates' reconnection, by
	# their own clocks (the pings above show traffic flows again)
	local t0 ms
	t0=$(log_time a "node a started")
	ms=$(( $(printf '%s\n' "$(log_time a-ip "connected as")" \
		"$(log_time a-eth "connected as")" | sort -n | tail -n 1) - t0 ))
	check "$how: both gates are back within 5 s of cloud's start ($ms ms)" test "$ms" -le 5000
	check "$how: the gates are the same processes" \
		test "$(gate_pid a ip)" = "$ip_pid" -a "$(gate_pid a eth)" = "$eth_pid"
}

# --- SIGTERM: cloud tells its gates it is stopping
start_proc a ping ping -n -i 0.2 -w 60 10.99.0.2
check "a ping flows (10.99.0.2)" wait_for 3 grep -q "icmp_seq=3 " "$T/a-ping.log"
log_mark a-ip
stop_node a TERM
check "SIGTERM: cloud on a exits 0" test $? = 0
check "SIGTERM: a's ip-gate logs that cloud went away" \
	wait_for 2 log_new a-ip "cloud .*(stopping|closed)"
restarted SIGTERM
check "SIGTERM: the background ping is answered again" \
	wait_for 3 eval 'tail -n 1 "$T/a-ping.log" | grep -q "bytes from 10.99.0.2"'
stop_proc a-ping INT
note "ping across the SIGTERM restart: $(grep 'packets transmitted' "$T/a-ping.log")"

# --- SIGKILL: no goodbye, the socket file stays behind
kill_node a
check "SIGKILL: the stale gate socket is left behind" test -S "$(gate_sock a)"
restarted SIGKILL
check "a's ip-gate connected three times" test "$(log_count a-ip "connected as")" = 3
check "a's ether-gate connected three times" test "$(log_count a-eth "connected as")" = 3

finish
