#!/usr/bin/env bash
# run.sh - the whole test suite, exactly as the README and CI run it.
#
#   sudo ./tests/run.sh
#
# 1. installs what is missing and builds (tools/setup-debian.sh);
# 2. `make check`: unit tests (check), fuzz-corpus replays and end-to-end
#    tests in network namespaces (these need root; without it they SKIP);
# 3. the end-to-end tests again with every data-path fast path forced off
#    (FASTPATH=off; skip with FASTPATH_OFF_PASS=0);
# 4. the same suite built with ASan+UBSan (skip with SANITIZE=0);
# 5. each libFuzzer target for FUZZ_SECONDS (default 20; 0 skips).
# Prints the check summary lines and each end-to-end test's tally.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
SANITIZE=${SANITIZE:-1}
JOBS=${JOBS:-$(nproc)}
status=0

# e2e_tallies DIR LABEL: each end-to-end test's tally in DIR (or why it
# was skipped), its name followed by LABEL.
e2e_tallies() {
    local f t
    for f in "$1"/tests/netns/*.log; do
        [ -f "$f" ] || continue
        t=$(grep -hE '^[0-9]+ passed, [0-9]+ failed|^SKIP:' "$f" | tail -1)
        printf '%-28s %s\n' "$(basename "$f" .log)$2:" "$t"
    done
}

# run_suite DIR CONFIGURE_FLAGS: build in DIR and run make check there.
run_suite() {
    local dir=$1 flags=$2
    echo "=== build $(basename "$dir") ${flags:+($flags)}"
    BUILD_DIR=$dir CONFIGURE_FLAGS=$flags "$repo/tools/setup-debian.sh" || return 1
    echo "=== make check in $(basename "$dir")"
    local rc=0
    # programs first, in parallel; then the tests one at a time: the
    # end-to-end ones measure timeouts and share the machine's CPU
    make -C "$dir" -s -j"$JOBS" check TESTS= >/dev/null 2>&1
    make -C "$dir" -s check >"$dir/check.out" 2>&1 || rc=1
    grep -E '^(PASS|FAIL|SKIP|XFAIL|XPASS|ERROR):' "$dir/check.out"
    echo "--- check summaries"
    for f in "$dir"/tests/unit/*.log "$dir"/tests/fuzz/*.log; do
        [ -f "$f" ] || continue
        echo "# $(basename "$f" .log)"
        grep -hE '^[0-9]+%: Checks:|^replay:' "$f" | tail -1
    done
    e2e_tallies "$dir" ""
    sed -n '/^# TOTAL/,/^# ERROR/p' "$dir/check.out"
    if [ $rc -ne 0 ]; then
        echo "--- failures ($dir/test-suite.log):"
        cat "$dir/test-suite.log"
    fi
    return $rc
}

run_suite "$repo/build" "" || status=1

# the end-to-end tests again with every data-path fast path off, so that
# the fallbacks stay tested (tests/netns/lib.sh: FASTPATH)
if [ "${FASTPATH_OFF_PASS:-1}" != 0 ] && [ -x "$repo/build/src/cloud" ]; then
    echo "=== end-to-end tests in build with FASTPATH=off"
    e2e=$(make -C "$repo/build" -s print-e2e-tests 2>/dev/null)
    rc=0
    FASTPATH=off make -C "$repo/build" -s check TESTS="$e2e" \
        TEST_SUITE_LOG=test-suite-fastpath-off.log >"$repo/build/check-fastpath-off.out" 2>&1 || rc=1
    grep -E '^(PASS|FAIL|SKIP|XFAIL|XPASS|ERROR):' "$repo/build/check-fastpath-off.out"
    e2e_tallies "$repo/build" " (fast paths off)"
    sed -n '/^# TOTAL/,/^# ERROR/p' "$repo/build/check-fastpath-off.out"
    if [ $rc -ne 0 ]; then
        echo "--- failures ($repo/build/test-suite-fastpath-off.log):"
        cat "$repo/build/test-suite-fastpath-off.log"
        status=1
    fi
fi

if [ "$SANITIZE" != 0 ]; then
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        run_suite "$repo/build-asan" "--enable-sanitizers" || status=1
fi

if [ "$FUZZ_SECONDS" != 0 ]; then
    echo "=== libFuzzer, ${FUZZ_SECONDS}s per target"
    if BUILD_DIR=$repo/build-fuzz CONFIGURE_FLAGS="CC=clang --enable-fuzz" \
            "$repo/tools/setup-debian.sh" >/dev/null; then
        for bin in "$repo"/build-fuzz/tests/fuzz/fuzz_*; do
            [ -x "$bin" ] || continue
            t=${bin##*/fuzz_}
            work=$(mktemp -d)
            cp "$repo/tests/fuzz/corpus/$t/"* "$work/" 2>/dev/null
            if "$bin" -max_total_time="$FUZZ_SECONDS" \
                    -artifact_prefix="$repo/build-fuzz/crash-$t-" "$work" \
                    >"$repo/build-fuzz/fuzz_$t.out" 2>&1; then
                echo "fuzz_$t: $(grep -E '^Done [0-9]+ runs' "$repo/build-fuzz/fuzz_$t.out")"
            else
                echo "fuzz_$t: FAILED"; tail -40 "$repo/build-fuzz/fuzz_$t.out"; status=1
            fi
            rm -rf "$work"
        done
    else
        echo "fuzz build failed"; status=1
    fi
fi

[ $status -eq 0 ] && echo "=== all tests passed" || echo "=== SOME TESTS FAILED"
exit $status
