#!/bin/sh
#
# cloud_ca.sh - tests tools/cloud-ca against certtool itself: every
# certificate it makes is checked with `certtool --verify', every CRL with
# `certtool --crl-info', every pin with `certtool --pubkey-info'.  Needs no
# root and no namespaces; skips (77) without certtool.
#
# Prints "ok - ..." / "not ok - ..." per check and "N passed, N failed".

# The sh -c '...' snippets take their arguments as "$1"...: SC2016 is
# what they mean; ls -l is read for the mode only.
# shellcheck disable=SC2016,SC2012
set -u

if ! command -v certtool >/dev/null 2>&1; then
	echo "SKIP: certtool not found (gnutls-bin)"
	exit 77
fi

here=$(cd "$(dirname "$0")" && pwd)
CA=${top_srcdir:-$here/../..}/tools/cloud-ca
[ -f "$CA" ] || { echo "not ok - cannot find $CA"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cloud_ca.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM
d=$work/ca
out=$work/out

npass=0
nfail=0

pass() { npass=$((npass + 1)); echo "ok - $*"; }
fail() { nfail=$((nfail + 1)); echo "not ok - $*"; }

# ca ARGS...: run cloud-ca; stdout+stderr in $out, status in $rc.
ca() {
	sh "$CA" "$@" >"$out" 2>&1
	rc=$?
}

# expect STATUS WHAT: $rc must be STATUS.
expect() {
	if [ "$rc" -eq "$1" ]; then
		pass "$2"
	else
		fail "$2 (exit $rc, wanted $1)"
		sed 's/^/#   /' "$out"
	fi
}

# check WHAT CMD...: CMD must succeed.
check() {
	what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

verify() { # CA-CERT CERT [CRL]
	if [ $# -ge 3 ]; then
		certtool --verify --load-ca-certificate "$1" --load-crl "$3" \
			--infile "$2" >"$work/verify" 2>&1
	else
		certtool --verify --load-ca-certificate "$1" --infile "$2" >"$work/verify" 2>&1
	fi
}

mode_of() {
	ls -l "$1" | cut -c1-10
}

certtool_pin() { # --load-privkey|--load-certificate FILE
	certtool --pubkey-info "$1" "$2" 2>/dev/null |
		sed -n 's/^[[:space:]]*\(pin-sha256:.*\)$/\1/p'
}

serial_of() {
	certtool -i --infile "$1" | sed -n 's/^[[:space:]]*Serial Number (hex): //p'
}

# ---------------------------------------------------------------- usage
ca
expect 2 "no command is a usage error (exit 2)"
ca -h
expect 0 "-h prints usage"
check "usage names every command" grep -q 'revoke NAME' "$out"
ca -d "$d" frobnicate
expect 2 "unknown command is a usage error"

# ---------------------------------------------------------------- init
ca -d "$d" init -name "Test Net CA"
expect 0 "init creates a CA"
check "ca.key, ca.crt, crl.pem exist" test -f "$d/ca.key" -a -f "$d/ca.crt" -a -f "$d/crl.pem"
check "ca.key has mode 0600" test "$(mode_of "$d/ca.key")" = "-rw-------"
certtool -i --infile "$d/ca.crt" >"$work/info" 2>&1
check "ca.crt is a CA (basicConstraints CA:TRUE)" grep -q 'Certificate Authority (CA): TRUE' "$work/info"
check "ca.crt may sign certificates and CRLs" \
	sh -c 'grep -q "Certificate signing" "$1" && grep -q "CRL signing" "$1"' sh "$work/info"
check "ca.crt subject is the -name given" grep -q 'Subject: CN=Test Net CA' "$work/info"
check "ca.crt is Ed25519 by default" grep -q 'Ed25519' "$work/info"
certtool --crl-info --infile "$d/crl.pem" >"$work/crl" 2>&1
check "init's crl.pem is a valid, empty CRL" grep -q 'No revoked certificates' "$work/crl"
certtool --verify-crl --load-ca-certificate "$d/ca.crt" --infile "$d/crl.pem" >/dev/null 2>&1
check "crl.pem verifies against ca.crt" test $? -eq 0
cp "$d/ca.crt" "$work/ca.crt.first"
ca -d "$d" init
expect 1 "init twice fails without -force"
check "the failed init left ca.crt alone" cmp -s "$d/ca.crt" "$work/ca.crt.first"

d2=$work/ca-force
ca -d "$d2" init -algo ecdsa -days 100
cp "$d2/ca.crt" "$work/ca2.crt.first"
ca -d "$d2" init -force
expect 0 "init -force replaces a CA"
check "init -force wrote a new ca.crt" sh -c '! cmp -s "$1" "$2"' sh "$d2/ca.crt" "$work/ca2.crt.first"

# ---------------------------------------------------------------- node
ca -d "$d" node alpha
expect 0 "node alpha (ed25519)"
check "alpha.key has mode 0600" test "$(mode_of "$d/alpha.key")" = "-rw-------"
certtool -i --infile "$d/alpha.crt" >"$work/info" 2>&1
check "alpha.crt has CN=alpha" grep -q 'Subject: CN=alpha$' "$work/info"
check "alpha.crt is for TLS client and server" \
	sh -c 'grep -q "TLS WWW Client" "$1" && grep -q "TLS WWW Server" "$1"' sh "$work/info"
check "alpha.crt is not a CA" grep -q 'Certificate Authority (CA): FALSE' "$work/info"
check "node prints its config lines" \
	sh -c 'grep -q "^cert .*/alpha.crt$" "$1" && grep -q "^ca .*/ca.crt$" "$1" && grep -q "^crl .*/crl.pem$" "$1"' sh "$out"
verify "$d/ca.crt" "$d/alpha.crt"
check "alpha.crt verifies against ca.crt" test $? -eq 0

ca -d "$d" node beta -algo ecdsa -days 30
expect 0 "node beta -algo ecdsa -days 30"
check "beta.key is ECDSA" sh -c 'certtool -k --infile "$1" 2>&1 | grep -q "EC/ECDSA"' sh "$d/beta.key"
check "beta.key has mode 0600" test "$(mode_of "$d/beta.key")" = "-rw-------"
verify "$d/ca.crt" "$d/beta.crt"
check "beta.crt verifies against ca.crt" test $? -eq 0
check "beta.crt has CN=beta" sh -c 'certtool -i --infile "$1" | grep -q "Subject: CN=beta$"' sh "$d/beta.crt"
check "alpha and beta have different serials" \
	test "$(serial_of "$d/alpha.crt")" != "$(serial_of "$d/beta.crt")"

ca -d "$d" node alpha
expect 1 "node alpha again fails without -force"
for bad in "bad/name" "a b" "" "ca" "$(printf '%065d' 0)" "x;rm"; do
	ca -d "$d" node "$bad"
	expect 2 "bad node name \"$bad\" is rejected"
done
check "no file was made for a bad name" test ! -e "$d/bad" -a ! -e "$d/a b.key"
ca -d "$d" node gamma -days 10 -not-after "2030-01-01 00:00:00"
expect 2 "-days with -not-after is a usage error"
ca -d "$d" node gamma -not-before "2021-02-30 00:00:00"
expect 2 "-not-before with an impossible date is a usage error"

# ---------------------------------------------------------------- dates
ca -d "$d" node old -not-before "2020-01-01 00:00:00" -not-after "2021-01-01 00:00:00"
expect 0 "node old with -not-after in the past"
verify "$d/ca.crt" "$d/old.crt"
check "old.crt does not verify" test $? -ne 0
check "certtool says old.crt is expired" grep -q 'expired' "$work/verify"

ca -d "$d" node future -not-before "2090-06-01 12:00:00" -not-after "2091-06-01 12:00:00"
expect 0 "node future with -not-before in the future"
verify "$d/ca.crt" "$d/future.crt"
check "future.crt does not verify (not yet valid)" test $? -ne 0
check "future.crt starts at -not-before (UTC)" \
	sh -c 'certtool -i --infile "$1" | grep -q "Not Before: .* 12:00:00 UTC 2090"' sh "$d/future.crt"

# ---------------------------------------------------------------- revoke
alpha_serial=$(serial_of "$d/alpha.crt")
ca -d "$d" revoke alpha
expect 0 "revoke alpha"
certtool --crl-info --infile "$d/crl.pem" >"$work/crl" 2>&1
check "crl.pem lists alpha's serial ($alpha_serial)" \
	grep -q "Serial Number (hex): $alpha_serial\$" "$work/crl"
check "crl.pem does not list beta's serial" \
	sh -c '! grep -q "Serial Number (hex): $1\$" "$2"' sh "$(serial_of "$d/beta.crt")" "$work/crl"
verify "$d/ca.crt" "$d/alpha.crt" "$d/crl.pem"
check "alpha.crt no longer verifies with the CRL" test $? -ne 0
check "certtool says alpha.crt is revoked" grep -q 'revoked' "$work/verify"
verify "$d/ca.crt" "$d/beta.crt" "$d/crl.pem"
check "beta.crt still verifies with the same CRL" test $? -eq 0
ca -d "$d" revoke alpha
expect 0 "revoking alpha twice is fine"
ca -d "$d" revoke nobody
expect 1 "revoking an unknown name fails"

ca -d "$d" list
expect 0 "list"
check "list shows alpha revoked" grep -q "^alpha .*$alpha_serial .*revoked" "$out"
check "list shows beta valid" grep -q '^beta .* valid$' "$out"
check "list shows old expired" grep -q '^old .* expired$' "$out"

n1=$(certtool --crl-info --infile "$d/crl.pem" | sed -n 's/.*CRL Number (not critical): //p')
ca -d "$d" crl
expect 0 "crl re-signs crl.pem"
n2=$(certtool --crl-info --infile "$d/crl.pem" | sed -n 's/.*CRL Number (not critical): //p')
check "the new CRL has a new number ($n1 -> $n2)" test "$n1" != "$n2"
verify "$d/ca.crt" "$d/alpha.crt" "$d/crl.pem"
check "alpha.crt is still revoked after crl" test $? -ne 0

ca -d "$d" node alpha -force
expect 0 "node alpha -force issues a new certificate"
check "the new alpha.crt has a new serial" test "$(serial_of "$d/alpha.crt")" != "$alpha_serial"
verify "$d/ca.crt" "$d/alpha.crt" "$d/crl.pem"
check "the new alpha.crt verifies with the CRL" test $? -eq 0

# ---------------------------------------------------------------- pins
ca pin "$d/beta.key"
expect 0 "pin beta.key"
want=$(certtool_pin --load-privkey "$d/beta.key")
check "pin prints certtool's pin ($want)" test -n "$want" -a "$(cat "$out")" = "$want"
ca pin "$d/beta.crt"
check "pin of beta.crt is the pin of beta.key" test "$(cat "$out")" = "$want"
ca pin "$d/crl.pem"
expect 1 "pin of a non-key fails"

ca -d "$d" key delta -algo ecdsa
expect 0 "key delta makes a bare key"
check "delta.key has mode 0600" test "$(mode_of "$d/delta.key")" = "-rw-------"
want=$(certtool_pin --load-privkey "$d/delta.key")
check "key prints the key's pin" grep -q "^pin delta $want\$" "$out"
check "key makes no certificate" test ! -e "$d/delta.crt"
ca -d "$d" key delta
expect 1 "key delta again fails without -force"

# ---------------------------------------------------------------- second CA
o=$work/other
ca -d "$o" init -name "Other CA"
expect 0 "a second CA"
ca -d "$o" node alpha
expect 0 "the second CA issues its own alpha"
verify "$d/ca.crt" "$o/alpha.crt"
check "the second CA's alpha.crt does not verify against the first CA" test $? -ne 0
verify "$o/ca.crt" "$d/beta.crt"
check "the first CA's beta.crt does not verify against the second CA" test $? -ne 0

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
