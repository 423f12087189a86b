#!/usr/bin/env bash
# make bench: groupied against nginx, on this machine, in one run.
#
# Machines here are shared and noisy, so absolute figures mean little; every
# groupied figure is shown next to nginx serving a static file of the same
# size as groupied's answer, measured with the same wrk settings minutes
# apart. The ratio is the number to watch.
#
# Environment: BENCH_DURATION (seconds per run, default 10),
# BENCH_CONNECTIONS (default 64), BENCH_THREADS (wrk threads, default 2),
# BENCH_IDLE (idle connections for the memory check, default 10000),
# BENCH_WORKLOADS (default "add get reject list add-pg add-pg4"),
# BENCH_GROUPIED (the server binary, default build/groupied; several,
# separated by spaces, are measured one after the other in the same run,
# each from the same world, to compare builds), BENCH_WORLD (a directory
# where the SQLite world is kept and reused across runs; default: made
# afresh in the run's temporary directory).
#
# add-pg and add-pg4 run the add workload on PostgreSQL (a throwaway
# cluster, scripts/pg-test.sh) with one groupied process and with four
# sharing the database, wrk's connections spread evenly over them
# (add-multi.lua). Both use BENCH_PG_THREADS wrk threads (default 4) and so
# does their nginx run.
set -euo pipefail
# The whole script is one compound command, read before any of it runs: an
# edit to this file during a run cannot change the run.
{
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

DUR=${BENCH_DURATION:-10}
CONN=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
IDLE=${BENCH_IDLE:-10000}
WORKLOADS=${BENCH_WORKLOADS:-add get reject list add-pg add-pg4}
read -r -a BUILDS <<<"${BENCH_GROUPIED:-build/groupied}"
GROUPIED=${BUILDS[0]}
PG_THREADS=${BENCH_PG_THREADS:-4}
LIFTED=(--rate-limit 100000000 --daily-limit 100000000 --capacity 1000000)

tmp=$(mktemp -d /tmp/groupie-bench.XXXXXX)
KEY=bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
pid=
pids=()
nginx_conf=
pg_dir=
cleanup() {
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    [ -n "$nginx_conf" ] && nginx -p "$tmp/nginx" -c "$nginx_conf" -s stop 2>/dev/null
    [ -n "$pg_dir" ] && scripts/pg-test.sh stop "$pg_dir" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

say() { printf '%s\n' "$*" >&2; }

free_port() {
    local p
    for p in $(seq 20000 20999); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    say "bench: no free port in 20000-20999"
    exit 1
}

wait_listening() { # log file; sets port
    for _ in $(seq 1 1200); do
        port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1")
        [ -n "$port" ] && return
        sleep 0.05
    done
    say "bench: groupied did not start:"
    cat "$1" >&2
    exit 1
}

# Starts $GROUPIED on DB (default: the SQLite copy of the world) with the
# given flags; sets pid and port.
DB=
start_groupied() {
    : >"$tmp/groupied.log"
    "$GROUPIED" --listen 127.0.0.1:0 --db "${DB:-sqlite:$tmp/bench.db}" --admin-key "$KEY" \
        --quiet "$@" 2>"$tmp/groupied.log" &
    pid=$!
    wait_listening "$tmp/groupied.log"
}

# A fresh copy of the SQLite world for the next start: the file and its
# WAL, which may hold the last commits.
fresh_world() {
    rm -f "$tmp"/bench.db*
    local f
    for f in "$world"/bench.db*; do
        cp "$f" "$tmp/${f##*/}"
    done
}

stop_groupied() {
    kill -TERM "$pid"
    wait "$pid" || true
    pid=
}

peak_rss_mb() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }

# wrk's --latency lines ("50%  1.23ms") in milliseconds.
pct() {
    awk -v p="$1" '$1 == p {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000;
        printf "%.2f", v }' "$2"
}
rps() { awk '/Requests\/sec/ {printf "%.0f", $2}' "$1"; }

run_wrk() { # out_file script url
    local out=$1 script=$2 url=$3
    wrk -t"$THREADS" -c"$CONN" -d"${DUR}s" --latency ${script:+-s "$script"} "$url" >"$out" 2>&1
}

say "bench: building"
scripts/deps.sh bench
make -s all build/bench-setup build/bench-idle >/dev/null

world=${BENCH_WORLD:-$tmp/world}
if [ ! -f "$world/world.env" ]; then
    say "bench: setting up 1,000,000 directory users and 10,000 groups (not timed)"
    mkdir -p "$world"
    rm -f "$world"/bench.db*
    DB=sqlite:$world/bench.db start_groupied "${LIFTED[@]}"
    t0=$(date +%s)
    build/bench-setup "http://127.0.0.1:$port" "$KEY" "$world/world.env.tmp"
    say "bench: set-up took $(($(date +%s) - t0)) s"
    stop_groupied
    mv "$world/world.env.tmp" "$world/world.env"
else
    say "bench: reusing the world in $world"
fi
# shellcheck disable=SC1091
. "$world/world.env"

mkdir -p "$tmp/nginx/www" "$tmp/nginx/logs"
nginx_port=$(free_port)
nginx_conf="$tmp/nginx/nginx.conf"
cat >"$nginx_conf" <<EOF
worker_processes auto;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events { worker_connections 20000; }
http {
    access_log off;
    keepalive_requests 1000000;
    types { application/json json; }
    server {
        listen 127.0.0.1:$nginx_port;
        root $tmp/nginx/www;
    }
}
EOF
nginx -p "$tmp/nginx" -c "$nginx_conf"

# A static file of n bytes, for nginx to serve in groupied's place.
same_size_file() { # name bytes
    head -c "$2" /dev/zero | tr '\0' ' ' >"$tmp/nginx/www/$1.json"
}

rows=()
label() {
    if [ "${#BUILDS[@]}" -gt 1 ]; then printf ' (%s)' "$(basename "$GROUPIED")"; fi
}

# Runs wrk against groupied for workload w; the nginx figures come after
# all builds (nginx_row).
measure() { # workload url wrk-script sample-command...
    local w=$1 url=$2 script=$3
    shift 3
    run_wrk "$tmp/$w.groupied" "$script" "http://127.0.0.1:$port$url"
    # The answer's size once the workload is running (a 429 for reject).
    size=$("$@" | wc -c)
    local g_rps g50 g99 peak
    g_rps=$(rps "$tmp/$w.groupied")
    g50=$(pct 50% "$tmp/$w.groupied")
    g99=$(pct 99% "$tmp/$w.groupied")
    peak=$(peak_rss_mb)
    grep -q "Non-2xx" "$tmp/$w.groupied" && [ "$w" != reject ] &&
        say "bench: $w$(label): groupied answered errors: $(grep Non-2xx "$tmp/$w.groupied")"
    pending+=("$w$(label)|$g_rps|$g50|$g99|$peak")
    say "bench: $w$(label): groupied $g_rps req/s (p50 $g50 ms, p99 $g99 ms)"
}

# nginx serving a static file of groupied's answer size, then one row per
# build measured since the last call.
nginx_row() { # workload
    local w=$1
    same_size_file "$w" "$size"
    run_wrk "$tmp/$w.nginx" "" "http://127.0.0.1:$nginx_port/$w.json"
    local n_rps n50 n99 ratio name g_rps g50 g99 peak
    n_rps=$(rps "$tmp/$w.nginx")
    n50=$(pct 50% "$tmp/$w.nginx")
    n99=$(pct 99% "$tmp/$w.nginx")
    for r in "${pending[@]}"; do
        IFS='|' read -r name g_rps g50 g99 peak <<<"$r"
        ratio=$(awk -v a="$g_rps" -v b="$n_rps" 'BEGIN { printf "%.0f%%", (b > 0 ? 100 * a / b : 0) }')
        rows+=("| $name | $size | $g_rps | $g50 | $g99 | $n_rps | $n50 | $n99 | $ratio | $peak |")
        say "bench: $name: nginx $n_rps req/s: $ratio"
    done
    pending=()
}
pending=()

# --- PostgreSQL: a throwaway cluster, the world made once in database
# bench_world, each run on a copy of it.
pg_url=
pg_admin=
psql_admin() { psql -q -X -v ON_ERROR_STOP=1 "$pg_admin" -c "$1" >/dev/null; }
pg_world() {
    [ -n "$pg_url" ] && return
    # Kept with the SQLite world when BENCH_WORLD is set: filling it takes
    # minutes (a million directory entries, one statement each).
    pg_dir=$world/pg
    pg_admin=$(scripts/pg-test.sh start "$pg_dir")
    pg_url=${pg_admin%/postgres}
    if [ -f "$pg_dir/world.env" ]; then
        say "bench: reusing the PostgreSQL world in $pg_dir"
        return
    fi
    psql_admin "DROP DATABASE IF EXISTS bench_world"
    psql_admin "CREATE DATABASE bench_world"
    say "bench: setting up the world in PostgreSQL (not timed)"
    DB=$pg_url/bench_world start_groupied "${LIFTED[@]}"
    t0=$(date +%s)
    build/bench-setup "http://127.0.0.1:$port" "$KEY" "$tmp/pg-world.env"
    say "bench: PostgreSQL set-up took $(($(date +%s) - t0)) s"
    stop_groupied
    mv "$tmp/pg-world.env" "$pg_dir/world.env"
}
pg_fresh() { # a new database copied from the world
    psql_admin "DROP DATABASE IF EXISTS bench_run"
    psql_admin "CREATE DATABASE bench_run TEMPLATE bench_world"
}

# n groupied processes on PostgreSQL; the add workload spread over them.
measure_pg() { # workload processes
    local w=$1 n=$2 i ports=()
    pg_fresh
    pids=()
    for ((i = 0; i < n; i++)); do
        : >"$tmp/groupied.$i.log"
        "$GROUPIED" --listen 127.0.0.1:0 --db "$pg_url/bench_run" --admin-key "$KEY" \
            --quiet "${LIFTED[@]}" 2>"$tmp/groupied.$i.log" &
        pids+=($!)
        wait_listening "$tmp/groupied.$i.log"
        ports+=("$port")
    done
    pid=${pids[0]}
    # shellcheck disable=SC1091
    (. "$pg_dir/world.env" && export BENCH_TOKEN=$TOKEN_A BENCH_GROUPS=$GROUP_COUNT \
        BENCH_PORTS="${ports[*]}" BENCH_DIR="$here/bench" &&
        THREADS=$PG_THREADS run_wrk "$tmp/$w.groupied" bench/add-multi.lua \
            "http://127.0.0.1:${ports[0]}/api/groups/1/members/add")
    size=$(TOKEN_A=$(. "$pg_dir/world.env" && echo "$TOKEN_A") sample_add | wc -c)
    local g_rps g50 g99 peak=0
    g_rps=$(rps "$tmp/$w.groupied")
    g50=$(pct 50% "$tmp/$w.groupied")
    g99=$(pct 99% "$tmp/$w.groupied")
    for p in "${pids[@]}"; do
        peak=$(awk -v a="$peak" '/VmHWM/ { v = $2 / 1024; if (v > a) a = v } END { printf "%.1f", a }' \
            "/proc/$p/status")
    done
    grep -q "Non-2xx" "$tmp/$w.groupied" &&
        say "bench: $w$(label): groupied answered errors: $(grep Non-2xx "$tmp/$w.groupied")"
    for p in "${pids[@]}"; do kill -TERM "$p" && wait "$p" || true; done
    pids=()
    pid=
    pending+=("$w$(label)|$g_rps|$g50|$g99|$peak")
    say "bench: $w$(label): $n processes, $g_rps req/s (p50 $g50 ms, p99 $g99 ms)"
}

sample_add() {
    local body='{"participants":["6281100000010","6281100000020","6281100000030","6281100000040",
"6281100000050","6281100000060","6281100000070","6281100000080","6281100000090","6281100000100",
"6281100000100","6281100000101","6281299999991","6281299999992","6281100000009","6281100000019",
"6281100000008","6281100000018","+6281100000001","+6281100000002"]}'
    curl -s -X POST -H "Authorization: Bearer $TOKEN_A" -H 'Content-Type: application/json' \
        --data-raw "$body" "http://127.0.0.1:$port/api/groups/1/members/add"
}
sample_get() { curl -s -H "Authorization: Bearer $BENCH_TOKEN" "http://127.0.0.1:$port$1"; }

for w in $WORKLOADS; do
    for GROUPIED in "${BUILDS[@]}"; do
        fresh_world
        case $w in
        add)
            start_groupied "${LIFTED[@]}"
            export BENCH_TOKEN=$TOKEN_A BENCH_GROUPS=$GROUP_COUNT
            measure add /api/groups/1/members/add bench/add.lua sample_add
            ;;
        get)
            start_groupied "${LIFTED[@]}"
            export BENCH_TOKEN=$TOKEN_A
            measure get "/groups/$BIG_GROUP" bench/get.lua sample_get "/groups/$BIG_GROUP"
            ;;
        reject)
            start_groupied
            export BENCH_TOKEN=$TOKEN_A
            measure reject /api/groups/1/members/add bench/reject.lua \
                curl -s -X POST -H "Authorization: Bearer $TOKEN_A" \
                --data-raw '{"participants":["6281100000010"]}' \
                "http://127.0.0.1:$port/api/groups/1/members/add"
            ;;
        list)
            start_groupied "${LIFTED[@]}"
            export BENCH_TOKEN=$TOKEN_B
            measure list /groups bench/get.lua sample_get /groups
            ;;
        add-pg | add-pg4)
            pg_world
            measure_pg "$w" "$([ "$w" = add-pg4 ] && echo 4 || echo 1)"
            continue
            ;;
        *)
            say "bench: unknown workload $w"
            exit 2
            ;;
        esac
        stop_groupied
    done
    case $w in
    add-pg*) THREADS=$PG_THREADS nginx_row "$w" ;;
    *) nginx_row "$w" ;;
    esac
done

GROUPIED=${BUILDS[0]}
fresh_world
say "bench: $IDLE idle keep-alive connections"
start_groupied --timeout 600 --max-per-address 0
before=$(rss_mb)
exec 4> >(build/bench-idle 127.0.0.1 "$port" "$IDLE" >"$tmp/idle.out")
for _ in $(seq 1 600); do
    grep -q ready "$tmp/idle.out" 2>/dev/null && break
    sleep 0.1
done
idle_rss=$(rss_mb)
exec 4>&-
sleep 0.5
stop_groupied

stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
mkdir -p bench/results
out="bench/results/$(date -u +%Y-%m-%d)-nproc$(nproc).md"
{
    echo "## $stamp, nproc $(nproc), wrk -t$THREADS -c$CONN -d${DUR}s (PostgreSQL rows -t$PG_THREADS), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), ${BUILDS[*]}, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| workload | answer bytes | groupied req/s | p50 ms | p99 ms | nginx req/s | nginx p50 ms | nginx p99 ms | groupied/nginx | groupied peak RSS MB |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Idle keep-alive connections: $IDLE; groupied RSS ${before} MB before, ${idle_rss} MB with them open."
    echo
} | tee -a "$out"
say "bench: appended to $out"
exit
}
