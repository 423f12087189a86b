#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: Debian's postgresql package,
# initdb into a directory, a free loopback port, trust authentication on
# 127.0.0.1 only, fsync on (durability is what the crash tests check).
#
#   scripts/pg-test.sh start DIR     initdb DIR (once) and start it; prints its URL
#   scripts/pg-test.sh url DIR       prints the URL of the cluster in DIR
#   scripts/pg-test.sh stop DIR      stops it (fast shutdown); no error if not running
#   scripts/pg-test.sh crash DIR     stops it the way a power cut would (-m immediate)
#   scripts/pg-test.sh restart DIR   starts it again on the same port (after crash or stop)
#   scripts/pg-test.sh createdb DIR NAME   creates database NAME; prints its URL
#
# PostgreSQL refuses to run as root. When the tests run as root, DIR is
# given to the unprivileged 'postgres' user of the Debian package (created
# if missing) and every server command runs as that user; the parent
# directories get the search (x) bit so that user can reach DIR.
#
# The URL names the superuser 'groupie' and the database 'postgres':
#   postgres://groupie@127.0.0.1:PORT/postgres
set -euo pipefail

die() {
    echo "pg-test: $*" >&2
    exit 1
}

bindir() {
    local d
    for d in "$(pg_config --bindir 2>/dev/null || true)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    die "no PostgreSQL server binaries (initdb, pg_ctl) found; install Debian's 'postgresql' package (make deps-test)"
}

# Runs a server command as the cluster's owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

ensure_user() {
    [ "$(id -u)" -eq 0 ] || return 0
    id postgres >/dev/null 2>&1 ||
        useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres ||
        die "cannot create the 'postgres' user to run the test cluster as"
}

# Lets the owner reach DIR: search permission on every parent directory.
open_path() {
    local d
    d=$(dirname "$1")
    while [ "$d" != "/" ]; do
        chmod o+x "$d" 2>/dev/null || true
        d=$(dirname "$d")
    done
}

port_free() {
    # A connection that succeeds means something listens there.
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

url_of() {
    echo "postgres://groupie@127.0.0.1:$(cat "$1/port")/postgres"
}

pg_start() {
    local dir=$1 port=$2 bin
    bin=$(bindir)
    echo "$port" >"$dir/port"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start >/dev/null
}

cmd_start() {
    local dir=$1 bin
    bin=$(bindir)
    ensure_user
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" -eq 0 ]; then
        open_path "$dir"
        chown postgres: "$dir"
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$dir/data" -U groupie -A trust -E UTF8 --locale=C --no-sync \
            >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
        # Enough connections for four servers with their pools and the
        # integration suites' servers; fsync and synchronous_commit stay on.
        cat >>"$dir/data/postgresql.conf" <<'EOF'
max_connections = 300
fsync = on
synchronous_commit = on
full_page_writes = on
# After a crash, flush the data directory with one syncfs() rather than an
# fsync() of each of the many files the suites' databases leave behind.
recovery_init_sync_method = syncfs
log_min_messages = warning
log_line_prefix = '%m [%p] '
EOF
    fi
    local attempt port
    for attempt in $(seq 1 30); do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        port_free "$port" || continue
        if pg_start "$dir" "$port" 2>>"$dir/start.log"; then
            url_of "$dir"
            return 0
        fi
        # Lost a race for the port, most likely: try another.
        grep -q -i 'could not bind\|address already in use' "$dir/log" 2>/dev/null || break
    done
    cat "$dir/log" "$dir/start.log" >&2 2>/dev/null || true
    die "cannot start PostgreSQL in $dir"
}

cmd_stop() {
    local dir=$1 mode=${2:-fast}
    [ -f "$dir/data/postmaster.pid" ] || return 0
    as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop >/dev/null 2>&1 || true
}

cmd_restart() {
    local dir=$1
    [ -f "$dir/port" ] || die "no cluster in $dir"
    as_owner "$(bindir)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 && return 0
    pg_start "$dir" "$(cat "$dir/port")" || { tail -n 20 "$dir/log" >&2; die "cannot restart PostgreSQL in $dir"; }
}

cmd_createdb() {
    local dir=$1 name=$2 base
    base=$(url_of "$dir")
    psql -X -q -v ON_ERROR_STOP=1 "$base" -c "CREATE DATABASE \"$name\"" >/dev/null
    echo "${base%/postgres}/$name"
}

[ $# -ge 2 ] || die "usage: $0 start|url|stop|crash|restart DIR | createdb DIR NAME"
case "$1" in
start) cmd_start "$2" ;;
url) url_of "$2" ;;
stop) cmd_stop "$2" fast ;;
crash) cmd_stop "$2" immediate ;;
restart) cmd_restart "$2" ;;
createdb)
    [ $# -eq 3 ] || die "usage: $0 createdb DIR NAME"
    cmd_createdb "$2" "$3"
    ;;
*) die "unknown command '$1'" ;;
esac
