#!/usr/bin/env bash
# Makes sure the Debian packages a target needs are installed.
#   scripts/deps.sh build   what building groupied, libgroupie and groupie needs
#   scripts/deps.sh test    build + what the test suite needs (cmocka, linters, PostgreSQL,
#                           nginx for the deployment test, chromium and Node.js for the
#                           console's browser tests, whose npm packages it installs with
#                           npm ci from tests/browser/package-lock.json)
#   scripts/deps.sh bench   build + wrk and nginx for `make bench`
#   scripts/deps.sh fuzz    build + clang and its libFuzzer runtime for `make fuzz`
# As root it installs what is missing with apt-get; otherwise it names the
# missing packages and the command to install them, and fails.
set -euo pipefail

build=(gcc make pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev
       libcurl4-openssl-dev libcsv-dev libssl-dev)
test=(libcmocka-dev clang-format cppcheck postgresql nginx-light sqlite3 procps openssl curl
      chromium fonts-dejavu-core clang libclang-rt-dev)
bench=(wrk nginx-light)
# clang's libFuzzer and sanitizer runtimes (make fuzz; the test run builds
# and starts every harness too); openssl makes the TLS test's certificate.
fuzz=(clang libclang-rt-dev)

want=("${build[@]}")
case "${1:-build}" in
build) ;;
test) want+=("${test[@]}") ;;
bench) want+=("${bench[@]}") ;;
fuzz) want+=("${fuzz[@]}") ;;
*) echo "usage: $0 build|test|bench|fuzz" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
# Node.js and npm are asked for by command, not by package: a machine may
# have them from elsewhere (NodeSource's nodejs bundles npm, and Debian's
# npm package would conflict with it).
if [ "${1:-build}" = test ]; then
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
fi

# The browser tests' npm packages, exactly as locked (playwright-core: a
# driver only; the browser is Debian's chromium, nothing is downloaded).
browser_modules() {
    [ "${1:-build}" = test ] || return 0
    local dir
    dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
    if [ -f "$dir/node_modules/.package-lock.json" ] &&
        cmp -s <(sed -n '/"node_modules\//,$p' "$dir/package-lock.json") \
               <(sed -n '/"node_modules\//,$p' "$dir/node_modules/.package-lock.json"); then
        return 0
    fi
    echo "groupie: installing the browser tests' npm packages (npm ci in tests/browser)" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

if [ ${#missing[@]} -eq 0 ]; then
    browser_modules "${1:-build}"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "groupie: missing Debian packages: ${missing[*]}" >&2
    echo "groupie: install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "groupie: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; a failed install is retried once
# after refreshing them, in case the lists were stale.
if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then
    apt-get update -qq
fi
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
browser_modules "${1:-build}"
