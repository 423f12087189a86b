#!/usr/bin/env bash
# Runs every test binary under BUILD (default build/san) and prints, as its
# last line, "N passed, N failed" summed over the cmocka summaries.
# A binary that dies without a summary (a crash, a sanitizer abort) counts as
# one failure, so nothing that stopped early can pass silently.
set -uo pipefail
build=${1:-build/san}
here=$(cd "$(dirname "$0")/.." && pwd)
export GROUPIED="$here/$build/groupied"
export GROUPIE_CLI="$here/$build/groupie"
export GROUPIE_TEST_TMP=${GROUPIE_TEST_TMP:-$(mktemp -d /tmp/groupie-test.XXXXXX)}
# Sanitizer reports abort the process; leaks are reported at exit and make
# the exit status non-zero, which the integration harness checks for groupied.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
failed_names=()
run_one() {
    local bin=$1 log out p f
    log="$GROUPIE_TEST_TMP/$(basename "$bin").log"
    echo "== $bin"
    "$bin" >"$log" 2>&1
    local rc=$?
    cat "$log"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "!! $bin exited with status $rc without a failure summary; counted as one failure"
        f=1
    fi
    if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log"; then
        echo "!! $bin: sanitizer report above; counted as one failure"
        f=$((f + 1))
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$f" -gt 0 ] && failed_names+=("$(basename "$bin")")
}

for bin in "$here/$build"/tests/unit/test_*; do
    [ -x "$bin" ] && run_one "$bin"
done
for bin in "$here/$build"/tests/integration/test_*; do
    [ -x "$bin" ] && run_one "$bin"
done

[ ${#failed_names[@]} -gt 0 ] && echo "failing: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
