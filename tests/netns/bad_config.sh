#!/usr/bin/env bash
# bad_config.sh - cloud refuses a broken configuration, with `--check-config'
# and when asked to run, and says where the error is (file:line, or the
# option's name when a required one is missing).  A good configuration
# passes.  No namespaces: runs without root.
. "$(dirname "$0")/lib.sh"
e2e_begin --no-netns
make_ca
make_cert a
C=$T/cfg
mkdir -p "$C"
KEY=$T/a/key.pem
CERT=$T/a/cert.pem
CA=$(ca_file)

# conf FILE LINE... : write FILE (under $C) with these lines.
conf() { local f=$C/$1; shift; printf '%s\n' "$@" >"$f"; }

conf good.conf "# a good config" "key $KEY" "cert $CERT" "ca $CA" \
	"listen 127.0.0.1 7000" "ctl $T/a.sock" "conn_keepalive 500ms" "conn_timeout 2s"
# keepalive 5s (the default) against a 2s timeout: healthy links would die
conf deadlinks.conf "key $KEY" "cert $CERT" "ca $CA" "conn_timeout 2s"
conf unknown.conf "# line 1" "key $KEY" "frobnicate 1" "cert $CERT" "ca $CA"
conf baddur.conf "key $KEY" "cert $CERT" "ca $CA" "conn_timeout 5 parsecs"
conf noinc.conf "key $KEY" "@include $C/nowhere.conf" "cert $CERT" "ca $CA"
conf cycle1.conf "# includes cycle2" "@include cycle2.conf" "key $KEY"
conf cycle2.conf "@include cycle1.conf"
conf nokey.conf "# no key" "cert $CERT" "ca $CA" "listen 127.0.0.1 7000"
conf keygone.conf "key $C/no-such-key.pem" "cert $CERT" "ca $CA"
printf 'not a certificate\n' >"$C/junk.pem"
conf junkcert.conf "key $KEY" "cert $C/junk.pem" "ca $CA"
conf badname.conf "key $KEY" "cert $CERT" "ca $CA" "name zed"
conf pinnoname.conf "key $KEY" "pin b pin-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
conf badpin.conf "name a" "key $KEY" "pin b sha1:deadbeef"
conf badlisten.conf "key $KEY" "cert $CERT" "ca $CA" "listen 10.77.0.300 7000"
conf baduser.conf "key $KEY" "cert $CERT" "ca $CA" "user no-such-user-here"
conf badmp.conf "key $KEY" "cert $CERT" "ca $CA" "multipath flow" "multipath sideways ipv4"
conf badmpinst.conf "key $KEY" "cert $CERT" "ca $CA" "multipath spray nosuchproto.1"
conf badhyst.conf "key $KEY" "cert $CERT" "ca $CA" "route_hysteresis 95"
conf badudppol.conf "key $KEY" "cert $CERT" "ca $CA" "udp_policy spray b" "udp_policy scatter"
conf badudpcip.conf "key $KEY" "cert $CERT" "ca $CA" "udp_cipher rot13"
conf badudplis.conf "key $KEY" "cert $CERT" "ca $CA" "udp_listen 10.0.0.1"
conf badudpwin.conf "key $KEY" "cert $CERT" "ca $CA" "udp_window 10"

# says REGEX... : $T/err matches every REGEX.
says() {
	local re
	for re in "$@"; do grep -Eq -- "$re" "$T/err" || return 1; done
}

# refused FILE WHAT REGEX... : both `cloud --check-config' and `cloud'
# reject FILE, quickly and with exit status != 0, and their stderr matches
# every REGEX.
refused() {
	local f=$C/$1 what=$2 rc; shift 2
	timeout 5 "$CLOUD" --check-config -@include "$f" >"$T/out" 2>"$T/err"
	rc=$?
	check "$what: --check-config exits non-zero (got $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
	if says "$@"; then
		ok "$what: --check-config says $*"
	else
		fail "$what: --check-config says $*; it said: $(head -c 300 "$T/err")"
	fi
	timeout 5 "$CLOUD" -@include "$f" >"$T/out" 2>"$T/err"
	rc=$?
	check "$what: cloud refuses to start (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
	check "$what: cloud says it too" says "$@"
}

refused unknown.conf "unknown option on line 3" "unknown\.conf:3\b" frobnicate
refused baddur.conf "bad duration on line 4" "baddur\.conf:4\b" parsecs
refused badmp.conf "unknown multipath policy on line 5" "badmp\.conf:5\b" "multipath" sideways
refused badmpinst.conf "multipath for an unknown instance on line 4" "badmpinst\.conf:4\b" \
	nosuchproto
refused badhyst.conf "route_hysteresis out of range on line 4" "badhyst\.conf:4\b" \
	route_hysteresis
refused badudppol.conf "unknown udp_policy on line 5" "badudppol\.conf:5\b" udp_policy scatter
refused badudpcip.conf "unknown udp_cipher on line 4" "badudpcip\.conf:4\b" udp_cipher rot13
refused badudplis.conf "udp_listen without a port on line 4" "badudplis\.conf:4\b" udp_listen
refused badudpwin.conf "udp_window below 64 on line 4" "badudpwin\.conf:4\b" udp_window
refused noinc.conf "@include of a missing file on line 2" "noinc\.conf:2\b" "nowhere\.conf"
refused cycle1.conf "@include cycle" "cycle[12]\.conf:[12]\b"
refused nokey.conf "missing key" "missing required option .?key"
refused deadlinks.conf "timeout shorter than two keepalives" "deadlinks\.conf:4\b" \
	"conn_timeout.*twice.*conn_keepalive"
refused keygone.conf "key file missing" "no-such-key\.pem"
refused junkcert.conf "certificate file not PEM" "junk\.pem"
refused badname.conf "name differs from the certificate's CN" "badname\.conf:4\b" zed
refused pinnoname.conf "raw public key without name" "\bname\b"
refused badpin.conf "malformed pin on line 3" "badpin\.conf:3\b" "sha1:deadbeef"
refused badlisten.conf "bad listen address on line 4" "badlisten\.conf:4\b" "10\.77\.0\.300"
refused baduser.conf "unknown user" "no-such-user-here"

timeout 5 "$CLOUD" --check-config -@include "$C/good.conf" >"$T/out" 2>"$T/err"
rc=$?
check "good config: --check-config exits 0 (got $rc; $(head -c 200 "$T/err"))" test "$rc" = 0
check "good config with a bad value on the command line is refused" \
	eval '! timeout 5 "$CLOUD" --check-config -@include "$C/good.conf" -conn_timeout soon 2>"$T/err" >/dev/null'
check "... and the error says command line" grep -qi "command line" "$T/err"

timeout 5 "$CLOUD" -nonsense 1 >"$T/out" 2>"$T/err"
rc=$?
check "cloud -nonsense 1: exits non-zero (got $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "cloud -nonsense 1: names the option" grep -q nonsense "$T/err"

check "cloud --help exits 0" eval 'timeout 5 "$CLOUD" --help >"$T/out" 2>&1'
check "cloud --help lists the options" eval 'grep -q conn_keepalive "$T/out" && grep -q comm_close_timeout "$T/out"'
check "cloud --version prints 0.1.0" eval 'timeout 5 "$CLOUD" --version 2>&1 | grep -q "0\.1\.0"'

finish
