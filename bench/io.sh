#!/usr/bin/env bash
# bench/io.sh [GROUPIED]: bytes and write calls per add request.
#
# Starts the given groupied (default build/groupied) on a fresh SQLite
# database, fills it as `make bench` does, runs the add workload for 3 s to
# warm it, then 8 s measured, and reads the process's write counters from
# /proc. Not a test: a measurement for docs/PERFORMANCE.md.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/groupied}
d=$(mktemp -d /tmp/groupie-io.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$d"' EXIT
"$bin" --listen 127.0.0.1:0 --db "sqlite:$d/b.db" --admin-key io-key --quiet \
    --rate-limit 100000000 --daily-limit 100000000 --capacity 1000000 2>"$d/log" &
pid=$!
port=
for _ in $(seq 1 200); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$d/log")
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { cat "$d/log" >&2; exit 1; }
"$here/build/bench-setup" "http://127.0.0.1:$port" io-key "$d/world.env"
# shellcheck disable=SC1091
. "$d/world.env"
export BENCH_TOKEN=$TOKEN_A BENCH_GROUPS=$GROUP_COUNT
url="http://127.0.0.1:$port/"
wrk -t2 -c64 -d3s -s "$here/bench/add.lua" "$url" >/dev/null
counter() { awk -v k="$1" '$1 == k ":" {print $2}' "/proc/$pid/io"; }
w0=$(counter wchar)
s0=$(counter syscw)
n=$(wrk -t2 -c64 -d8s -s "$here/bench/add.lua" "$url" | awk '/requests in/ {print $1}')
w1=$(counter wchar)
s1=$(counter syscw)
echo "$bin: $n add requests in 8 s; per request $(((w1 - w0) / n / 1024)) KiB written in $(((s1 - s0) / n)) write calls"
