#!/usr/bin/env bash
# vpns/cloudvpn-nofast.sh -- cloudvpn with every data-path fast path off
# (gate_handoff, tun_gro, udp_gso, udp_gro; ip-gate -handoff no): what the
# fast paths are worth, measured in the same run.
CLOUDVPN_ENTRY=cloudvpn-nofast \
CLOUDVPN_CONF=$'gate_handoff no\ntun_gro no\nudp_gso no\nudp_gro no' \
CLOUDVPN_GATE="-handoff no" \
	exec "$(dirname "$0")/cloudvpn.sh" "$@"
