#!/usr/bin/env bash
# Runs every test binary under BUILD (default build/san) and prints, as its
# last line, "N passed, N failed" summed over the cmocka summaries.
# A binary that dies without a summary (a crash, a sanitizer abort) counts as
# one failure, so nothing that stopped early can pass silently.
#
# The tests run once per storage backend (GROUPIE_TEST_BACKENDS, default
# "sqlite postgres"):
#   sqlite    every unit test and every integration suite but test_pg_*;
#   postgres  a throwaway PostgreSQL cluster (scripts/pg-test.sh) is started
#             under $GROUPIE_TEST_TMP, then the store suite (tests/unit/
#             test_store*) runs against one database in it, every
#             integration suite runs with GROUPIE_TEST_BACKEND=postgres (the
#             harness gives each server a fresh database), and so do the
#             PostgreSQL-only suites test_pg_* (several processes, crashes).
#             The cluster is stopped at the end, whatever happened.
# Which binary runs in which pass follows from its file name: see
# tests/README.md.
#
# Once, after the backends, the console's suites run under node's test
# runner: tests/console (its JavaScript modules, plain node) and
# tests/browser (the console in headless chromium through playwright-core,
# against a groupied of its own). Their TAP summaries ("# pass N",
# "# fail N") are counted like cmocka's; a suite that ends without one,
# or cannot start (no node, no chromium, no node_modules), is a failure.
#
# Last, `make fuzz` runs every libFuzzer harness for GROUPIE_TEST_FUZZ_SECONDS
# (default 2) each: not to find anything in that time, but so that a harness
# that no longer builds or starts fails here rather than on the day someone
# fuzzes (0 skips it). One harness, one test.
set -uo pipefail
build=${1:-build/san}
here=$(cd "$(dirname "$0")/.." && pwd)
export GROUPIED="$here/$build/groupied"
export GROUPIE_CLI="$here/$build/groupie"
export GROUPIE_TEST_SOURCE_DIR="$here"
# A directory of our own is removed after a run with no failure (a run
# leaves gigabytes there: a PostgreSQL cluster, a database per server);
# after a failure it is kept, and named, for its logs.
own_tmp=${GROUPIE_TEST_TMP:+given}
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
    log="$GROUPIE_TEST_TMP/$(basename "$bin")${backend:+.$backend}.log"
    echo "== $bin${backend:+ [$backend]}"
    local t0=$SECONDS
    "$bin" >"$log" 2>&1
    local rc=$?
    cat "$log"
    echo "-- $(basename "$bin")${backend:+ [$backend]}: $((SECONDS - t0)) s"
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
    [ "$f" -gt 0 ] && failed_names+=("$(basename "$bin")${backend:+[$backend]}")
}

# One node:test suite: its TAP summary, or one failure without it.
run_node() {
    local name=$1 log p f rc
    shift
    log="$GROUPIE_TEST_TMP/$name.log"
    echo "== $name"
    local t0=$SECONDS
    if ! command -v node >/dev/null; then
        echo "node is not installed (scripts/deps.sh test installs it)" >"$log"
        rc=127
    else
        node --test --test-reporter=tap "$@" >"$log" 2>&1
        rc=$?
    fi
    grep -v -E '^ *(duration_ms:|\.\.\.$|---$)' "$log"
    echo "-- $name: $((SECONDS - t0)) s"
    p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -1)
    if [ -z "$p" ] || [ -z "$f" ]; then
        echo "!! $name ended (status $rc) without a test summary; counted as one failure"
        p=${p:-0}
        f=1
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "!! $name exited with status $rc and no failing test; counted as one failure"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$f" -gt 0 ] && failed_names+=("$name")
}

pass_console() {
    run_node console-modules "$here"/tests/console/*.test.mjs
    if [ ! -d "$here/tests/browser/node_modules/playwright-core" ]; then
        echo "!! tests/browser/node_modules is missing (scripts/deps.sh test runs npm ci there); counted as one failure"
        failed=$((failed + 1))
        failed_names+=("browser")
        return
    fi
    run_node browser "$here/tests/browser/console.test.mjs"
}

pass_sqlite() {
    local bin
    for bin in "$here/$build"/tests/unit/test_*; do
        [ -x "$bin" ] && GROUPIE_TEST_BACKEND=sqlite run_one "$bin"
    done
    for bin in "$here/$build"/tests/integration/test_*; do
        case "$(basename "$bin")" in test_pg_*) continue ;; esac
        [ -x "$bin" ] && GROUPIE_TEST_BACKEND=sqlite run_one "$bin"
    done
}

pg_script="$here/scripts/pg-test.sh"
pg_dir="$GROUPIE_TEST_TMP/pg"
pg_stop() {
    [ -d "$pg_dir" ] && "$pg_script" stop "$pg_dir" >/dev/null 2>&1
    return 0
}

pass_postgres() {
    local url store_url bin
    echo "== starting PostgreSQL in $pg_dir"
    if ! url=$("$pg_script" start "$pg_dir"); then
        echo "!! PostgreSQL could not be started; counted as one failure"
        failed=$((failed + 1))
        failed_names+=("postgres-cluster")
        return
    fi
    trap pg_stop EXIT
    trap 'pg_stop; exit 130' INT TERM
    # What the PostgreSQL-aware tests read: the cluster's superuser URL (the
    # harness creates a database per server with it), its directory and the
    # script that crashes and restarts it.
    export GROUPIE_TEST_PG_URL=$url GROUPIE_TEST_PG_DIR=$pg_dir GROUPIE_PG_TEST=$pg_script
    if store_url=$("$pg_script" createdb "$pg_dir" store_suite); then
        for bin in "$here/$build"/tests/unit/test_store*; do
            [ -x "$bin" ] && GROUPIE_TEST_STORE_URL=$store_url run_one "$bin"
        done
    else
        echo "!! cannot create the store suite's database; counted as one failure"
        failed=$((failed + 1))
    fi
    for bin in "$here/$build"/tests/integration/test_*; do
        [ -x "$bin" ] && GROUPIE_TEST_BACKEND=postgres run_one "$bin"
    done
    pg_stop
}

for backend in ${GROUPIE_TEST_BACKENDS:-sqlite postgres}; do
    start=$SECONDS
    case "$backend" in
    sqlite) pass_sqlite ;;
    postgres) pass_postgres ;;
    *) echo "!! unknown backend '$backend' in GROUPIE_TEST_BACKENDS"; failed=$((failed + 1)) ;;
    esac
    echo "== $backend: $((SECONDS - start)) s"
done
backend=
if [ "${GROUPIE_TEST_CONSOLE:-1}" != 0 ]; then
    start=$SECONDS
    pass_console
    echo "== console: $((SECONDS - start)) s"
fi

pass_fuzz() {
    local secs=$1 log="$GROUPIE_TEST_TMP/fuzz.log" n ran
    n=$(find "$here/tests/fuzz" -name 'fuzz_*.c' | wc -l)
    if make -C "$here" --no-print-directory fuzz FUZZ_SECONDS="$secs" >"$log" 2>&1; then
        passed=$((passed + n))
    else
        ran=$(grep -c '^stat::number_of_executed_units' "$log")
        tail -n 20 "$log"
        echo "!! make fuzz failed (log: $log)"
        # The harnesses that did not run fail; at least one, when make
        # stopped before any (the build).
        local missing=$((n - ran > 0 ? n - ran : 1))
        passed=$((passed + ran))
        failed=$((failed + missing))
        failed_names+=("fuzz")
    fi
}
fuzz_secs=${GROUPIE_TEST_FUZZ_SECONDS:-2}
if [ "$fuzz_secs" != 0 ]; then
    start=$SECONDS
    pass_fuzz "$fuzz_secs"
    echo "== fuzz: $((SECONDS - start)) s"
fi

[ ${#failed_names[@]} -gt 0 ] && echo "failing: ${failed_names[*]}"
if [ "$failed" -eq 0 ] && [ -z "$own_tmp" ]; then
    pg_stop
    rm -rf "$GROUPIE_TEST_TMP"
else
    echo "the logs: $GROUPIE_TEST_TMP"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
