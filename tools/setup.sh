#!/usr/bin/env bash
# Install what smolnet's tests need, idempotently and quickly when it is all
# there already. Called by `make setup` (and so by `make test`).
#
#   tools/setup.sh [apt] [venv] [npm]      (no argument: all three)
#
#   apt   Debian packages: installs only those `dpkg -s` reports missing, and
#         runs `apt-get update` only when something is missing. Extra packages
#         come from $APT_EXTRA (space separated; mk/*.mk fragments add to it).
#   venv  .venv from requirements-dev.txt; reinstalled only when that file's
#         content changes (hash kept in .venv/.requirements.sha256) or when the
#         venv's python no longer runs.
#   npm   node_modules from package-lock.json with `npm ci`, only when the lock
#         file's content changed or the installed package is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_PACKAGES=(
    iproute2 iputils-ping iputils-arping tshark socat curl iperf3 dnsmasq
    netcat-openbsd valgrind mosquitto mosquitto-clients bind9-dnsutils
)
PYTHON="${PYTHON:-python3}"
WASM_PKG="node_modules/@micropython/micropython-webassembly-pyscript/micropython.mjs"

say() { echo "setup: $*"; }

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo "$@"
    else
        return 1
    fi
}

sha_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

setup_apt() {
    local wanted=("${APT_PACKAGES[@]}")
    # shellcheck disable=SC2206  # word splitting of the extra list is wanted
    wanted+=(${APT_EXTRA:-})
    command -v node >/dev/null || wanted+=(nodejs)
    command -v npm >/dev/null || wanted+=(npm)
    "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || wanted+=(python3-venv)

    local missing=() p
    for p in "${wanted[@]}"; do
        [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
            missing+=("$p")
    done
    if [ ${#missing[@]} = 0 ]; then
        return 0
    fi
    if ! command -v apt-get >/dev/null; then
        say "WARNING: no apt-get; install these yourself: ${missing[*]}"
        return 0
    fi
    say "installing Debian packages: ${missing[*]}"
    # Package scripts must not start system-wide services (dnsmasq, mosquitto):
    # tests start their own copies inside network namespaces. policy-rc.d
    # answering 101 tells invoke-rc.d "not allowed"; we only add it if absent.
    local policy=/usr/sbin/policy-rc.d added_policy=
    if [ ! -e "$policy" ] && as_root true 2>/dev/null; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
        as_root chmod 755 "$policy"
        added_policy=1
    fi
    local rc=0
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
    if [ -n "$added_policy" ]; then
        as_root rm -f "$policy"
    fi
    if [ $rc != 0 ]; then
        if [ "$(id -u)" != 0 ]; then
            say "WARNING: not root and no sudo; these are missing: ${missing[*]}"
            say "WARNING: tests that need them will fail"
            return 0
        fi
        say "apt-get failed ($rc)"
        return $rc
    fi
}

setup_venv() {
    local want have=
    want="$(sha_of requirements-dev.txt requirements-mplib.txt)"
    if [ -f .venv/.requirements.sha256 ]; then
        have="$(cat .venv/.requirements.sha256)"
    fi
    if [ "$want" = "$have" ] && .venv/bin/python -c '' 2>/dev/null; then
        return 0
    fi
    if ! .venv/bin/python -c '' 2>/dev/null; then
        say "creating .venv"
        rm -rf .venv
        "$PYTHON" -m venv .venv
    fi
    say "installing requirements-dev.txt into .venv"
    # pip warns about local index folders some machines configure but lack:
    # harmless, so keep them out of the log
    local log rc=0
    log="$(mktemp)"
    .venv/bin/python -m pip install -q --disable-pip-version-check \
        -r requirements-dev.txt >"$log" 2>&1 || rc=$?
    grep -v 'is ignored: it is neither a file nor a directory' "$log" || true
    rm -f "$log"
    if [ $rc == 0 ]; then
        # MicroPython libraries for the application tests: not CPython
        # packages, so they go to their own folder on MICROPYPATH
        say "installing requirements-mplib.txt into .venv/mplib"
        rm -rf .venv/mplib
        log="$(mktemp)"
        .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps \
            --target .venv/mplib -r requirements-mplib.txt >"$log" 2>&1 || rc=$?
        grep -v 'is ignored: it is neither a file nor a directory' "$log" || true
        rm -f "$log"
    fi
    if [ $rc != 0 ]; then
        say "pip install failed ($rc)"
        return $rc
    fi
    echo "$want" > .venv/.requirements.sha256
}

setup_npm() {
    local want have=
    want="$(sha_of package.json package-lock.json)"
    if [ -f node_modules/.smolnet.sha256 ]; then
        have="$(cat node_modules/.smolnet.sha256)"
    fi
    if [ "$want" = "$have" ] && [ -f "$WASM_PKG" ]; then
        return 0
    fi
    if ! command -v npm >/dev/null; then
        say "ERROR: npm not found (the webassembly MicroPython comes from npm)"
        return 1
    fi
    say "npm ci (MicroPython webassembly port)"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" > node_modules/.smolnet.sha256
}

steps=("$@")
[ ${#steps[@]} = 0 ] && steps=(apt venv npm)
for step in "${steps[@]}"; do
    case "$step" in
        apt) setup_apt ;;
        venv) setup_venv ;;
        npm) setup_npm ;;
        *) say "unknown step '$step' (apt, venv, npm)"; exit 2 ;;
    esac
done
