#!/usr/bin/env bash
# setup-debian.sh - make a fresh Debian 12 ready for cloudvpn and build it.
#
# Installs the packages that are missing (apt-get, as root), then builds
# out of tree in $BUILD_DIR (default: build/ in the source tree) with
# autotools.  Prints where the binaries are.  Safe to run again: it only
# installs what is missing and only rebuilds what changed.
#
#   tools/setup-debian.sh            build
#   CONFIGURE_FLAGS=--enable-sanitizers BUILD_DIR=build-asan tools/setup-debian.sh
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$repo/build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$repo/$BUILD_DIR ;; esac

# build: compiler, autotools, libraries; run: certtool for keys, iproute2
# for the demo and tests, jq to read cloudctl's JSON; clang for libFuzzer;
# traffic in the tests: ping, iperf3, dnsmasq (DHCP server), busybox
# (udhcpc), python3 (a misbehaving gate), nftables (cutting links), tcpdump
# (counting broadcasts on the TAPs).
PACKAGES="build-essential autoconf automake pkg-config libgnutls28-dev libev-dev
libcap-ng-dev check gnutls-bin iproute2 jq clang libclang-rt-14-dev
iputils-ping iperf3 dnsmasq-base busybox python3 nftables tcpdump"

missing=()
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "setup-debian: missing packages: ${missing[*]}" >&2
        echo "setup-debian: run as root (sudo) so that they can be installed" >&2
        exit 1
    fi
    echo "setup-debian: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cd "$repo"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    echo "setup-debian: autogen.sh"
    ./autogen.sh >/dev/null 2>&1 || ./autogen.sh
fi
mkdir -p "$BUILD_DIR"
cd "$BUILD_DIR"
if [ ! -f Makefile ] || [ "$repo/configure" -nt config.status ]; then
    echo "setup-debian: configure ${CONFIGURE_FLAGS:-} (in $BUILD_DIR)"
    # shellcheck disable=SC2086
    "$repo/configure" -q ${CONFIGURE_FLAGS:-}
fi
echo "setup-debian: make"
make -s -j"$(nproc)" >/dev/null
echo "setup-debian: built cloud, cloudctl, ether-gate, ip-gate, chat-gate in $BUILD_DIR"
