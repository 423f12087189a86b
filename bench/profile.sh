#!/usr/bin/env bash
# bench/profile.sh -- where one request's instructions go.
#
#   bench/profile.sh [WORKLOAD [GROUPIED]]     WORKLOAD: add (default), get, list, reject
#
# Runs groupied under callgrind against the benchmark's world (setup.c),
# drives it with wrk for BENCH_DURATION seconds (default 20) after a warm-up,
# with the counters zeroed in between, and prints instructions per answered
# request: in all, on the store's writer thread (what runs under SQLite's one
# writer), and the functions that take the most. Instruction counts do not
# depend on how busy the machine is, so two builds or two levers can be
# compared on a shared machine where wall-clock figures cannot.
#
# The world takes a while to make; it is made once and kept in BENCH_WORLD
# (default /tmp/groupie-bench-world); delete that directory to make it anew.
# Environment: BENCH_CONNECTIONS (default 16), BENCH_DURATION, BENCH_TOP (rows
# shown), BENCH_PROFILE_OUT (a path to keep the callgrind file at, for
# callgrind_annotate --tree=calling or kcachegrind).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

WORKLOAD=${1:-add}
GROUPIED=${2:-build/groupied}
WORLD=${BENCH_WORLD:-/tmp/groupie-bench-world}
CONN=${BENCH_CONNECTIONS:-16}
DUR=${BENCH_DURATION:-20}
LIFTED=(--rate-limit 100000000 --daily-limit 100000000 --capacity 1000000)

say() { printf '%s\n' "$*" >&2; }
command -v valgrind >/dev/null || { say "profile: valgrind is needed (apt-get install valgrind)"; exit 1; }
make -s all build/bench-setup >/dev/null

tmp=$(mktemp -d /tmp/groupie-profile.XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

wait_port() { # log file
    for _ in $(seq 1 600); do
        port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1")
        [ -n "$port" ] && return
        sleep 0.1
    done
    say "profile: groupied did not start:"
    cat "$1" >&2
    exit 1
}

KEY=profile-admin-key-0123456789abcdef
if [ ! -f "$WORLD/world.env" ]; then
    say "profile: making the benchmark's world in $WORLD (once)"
    mkdir -p "$WORLD"
    "$GROUPIED" --listen 127.0.0.1:0 --db "sqlite:$WORLD/bench.db" --admin-key "$KEY" --quiet \
        "${LIFTED[@]}" 2>"$tmp/setup.log" &
    pid=$!
    wait_port "$tmp/setup.log"
    build/bench-setup "http://127.0.0.1:$port" "$KEY" "$WORLD/world.env.tmp"
    kill -TERM "$pid"
    wait "$pid" || true
    pid=
    mv "$WORLD/world.env.tmp" "$WORLD/world.env"
fi
# shellcheck disable=SC1091
. "$WORLD/world.env"
cp "$WORLD"/bench.db* "$tmp/"

args=("${LIFTED[@]}")
case $WORKLOAD in
add) script=bench/add.lua path=/api/groups/1/members/add token=$TOKEN_A ;;
get) script=bench/get.lua path=/groups/$BIG_GROUP token=$TOKEN_A ;;
list) script=bench/get.lua path=/groups token=$TOKEN_B ;;
reject) script=bench/reject.lua path=/api/groups/1/members/add token=$TOKEN_A args=() ;;
*)
    say "profile: unknown workload $WORKLOAD"
    exit 2
    ;;
esac

# Opened once natively first: a migration of the world's million rows would
# take minutes under callgrind.
"$GROUPIED" --listen 127.0.0.1:0 --db "sqlite:$tmp/bench.db" --admin-key "$KEY" --quiet \
    2>"$tmp/migrate.log" &
pid=$!
wait_port "$tmp/migrate.log"
kill -TERM "$pid"
wait "$pid" || true
pid=

valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
    "$GROUPIED" --listen 127.0.0.1:0 --db "sqlite:$tmp/bench.db" --admin-key "$KEY" --quiet \
    "${args[@]}" 2>"$tmp/groupied.log" &
pid=$!
wait_port "$tmp/groupied.log"
export BENCH_TOKEN=$token BENCH_GROUPS=$GROUP_COUNT
url="http://127.0.0.1:$port$path"
wrk -t1 -c"$CONN" -d5s -s "$script" "$url" >/dev/null 2>&1 # warm-up: caches, statements
callgrind_control -z "$pid" >/dev/null
wrk -t1 -c"$CONN" -d"${DUR}s" -s "$script" "$url" >"$tmp/wrk.out" 2>&1
callgrind_control -d "$pid" >/dev/null
requests=$(awk '/requests in/ {print $1}' "$tmp/wrk.out")
kill -TERM "$pid"
wait "$pid" || true
pid=
[ "${requests:-0}" -gt 0 ] || { say "profile: no request was answered"; cat "$tmp/wrk.out" >&2; exit 1; }

# The dump taken right after the measured run (not the one at exit).
profile=$(ls "$tmp"/cg.out.* | head -1)
callgrind_annotate --inclusive=yes "$profile" >"$tmp/annotate.txt" 2>/dev/null
[ -n "${BENCH_PROFILE_OUT:-}" ] && cp "$profile" "$BENCH_PROFILE_OUT"
per() { awk -v n="$requests" -v f="$1" 'index($0, f) && /^ *[0-9,]+ / {
    gsub(",", "", $1); printf "%d", $1 / n; exit }' "$tmp/annotate.txt"; }
echo "workload $WORKLOAD, $GROUPIED: $requests requests answered in ${DUR}s under callgrind"
echo "instructions per request: $(per 'PROGRAM TOTALS') in all, $(per ':writer_main ') on the writer thread"
echo
echo "the functions that take the most, inclusive, per request:"
awk -v n="$requests" '/^ *[0-9,]+ \(/ { c = $1; gsub(",", "", c); $1 = ""; $2 = "";
    sub(/^ +/, ""); sub(/ \[.*/, ""); printf "%10d  %s\n", c / n, $0 }' "$tmp/annotate.txt" |
    head -"${BENCH_TOP:-45}"
