# lib.sh - what the benchmarks share: the configuration of one node on
# loopback, signed by the run's CA in $T.
#
# node_cfg I PORT [LINE...] : write $T/nI.cfg: listen on 127.0.0.1 PORT,
# nI's key and certificate, the CA, a control socket, quick reconnects,
# warnings only; then the extra LINEs.  Makes nI's certificate if missing.
node_cfg() {
	local i=$1 port=$2; shift 2
	[ -f "$T/n$i.crt" ] || "$CA" -d "$T" node "n$i" >/dev/null
	{
		echo "listen 127.0.0.1 $port"
		echo "key $T/n$i.key"
		echo "cert $T/n$i.crt"
		echo "ca $T/ca.crt"
		echo "ctl $T/n$i.ctl"
		echo "conn_retry 50ms"
		echo "conn_retry_max 1s"
		echo "log_level warning"
		if [ $# -gt 0 ]; then printf '%s\n' "$@"; fi
	} >"$T/n$i.cfg"
}
