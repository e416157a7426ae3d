# shellcheck shell=bash
# Sourced helper: installs Keel's Debian 12 packages and configures/builds the tree with CMake.
# It sets no shell options itself: the scripts that source it run with `set -euo pipefail`, and an
# interactive shell that sources it should not be made to exit on the first failing command.

KEEL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# The single list of Debian 12 packages the project needs to build, test and run.
KEEL_DEB_PACKAGES=(
    build-essential cmake make ccache pkg-config git  # toolchain
    libpoco-dev libpq-dev                              # Poco (Net, Util, JSON, Data) + libpq headers Poco's PostgreSQL connector includes
    libelf-dev                                         # libelf: plugin descriptor sections read before dlopen
    libspdlog-dev libfmt-dev                           # Debian's spdlog is the shared build with external fmt
    prometheus-cpp-dev                                 # prometheus-cpp 1.0.1 (core only; we render it ourselves)
    libgtest-dev libgmock-dev                          # GoogleTest/GoogleMock
    libsystemd-dev                                     # sd_notify / watchdog
    libboost1.81-dev libssl-dev openssl                # the Beast/Asio front door, TLS; openssl makes test certificates
    postgresql postgresql-client                       # server binaries for the throwaway test cluster, psql
    curl ca-certificates python3                       # integration tests and scripts (free-port probe)
    prometheus                                         # promtool and a real Prometheus for the metrics tests
    systemd                                            # systemd-analyze, to verify the unit
    lintian dpkg-dev fakeroot                          # build and check the Debian packages
    clang libclang-rt-14-dev clang-tidy                # libFuzzer and its sanitizer runtimes (scripts/test --fuzz); scripts/lint
    nginx-light redis-server sqlite3                   # the fleet: a balancer, a shared rate limit, SQLite backups
    chromium chromium-driver python3-selenium          # the admin console's browser test
)

keel_log() { printf 'keel: %s\n' "$*" >&2; }

# Prints the packages of KEEL_DEB_PACKAGES that are not fully installed, one per line.
keel_missing_deps() {
    local pkg status
    for pkg in "${KEEL_DEB_PACKAGES[@]}"; do
        status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
        [[ "$status" == "install ok installed" ]] || printf '%s\n' "$pkg"
    done
}

# Installs whatever is missing; touches apt only when something is, so a warm machine needs no root.
# KEEL_SKIP_DEPS=1 skips this (for a machine managed some other way).
keel_install_deps() {
    if [[ "${KEEL_SKIP_DEPS:-0}" == 1 ]]; then
        keel_log "KEEL_SKIP_DEPS=1: not checking Debian packages"
        # KEEL_* variables configure keel: the ones it starts must not see this one.
        unset KEEL_SKIP_DEPS
        return 0
    fi
    command -v dpkg-query >/dev/null 2>&1 || { keel_log "error: dpkg-query not found: this needs Debian 12"; return 1; }

    local -a missing
    mapfile -t missing < <(keel_missing_deps)
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    keel_log "installing missing Debian packages: ${missing[*]}"

    local -a as_root=()
    if ((EUID != 0)); then
        if ! command -v sudo >/dev/null 2>&1; then
            keel_log "error: not root and sudo is not installed; as root run: apt-get install ${missing[*]}"
            return 1
        fi
        as_root=(sudo)
    fi
    # env inside sudo: sudo drops DEBIAN_FRONTEND, and a debconf prompt would hang CI (no stdin).
    # The lock timeout waits for a concurrent apt (e.g. unattended-upgrades) instead of failing.
    # Packages such as prometheus and postgresql ship services that would start at install (the
    # Prometheus one on :9090, Keel's admin port). Tests start their own servers, so deny service
    # starts during the install unless the machine already has a policy.
    local policy=/usr/sbin/policy-rc.d added_policy=0
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\n# added by keel scripts/lib/deps.sh during package installation\nexit 101\n' |
            "${as_root[@]}" tee "$policy" >/dev/null
        "${as_root[@]}" chmod 755 "$policy"
        added_policy=1
    fi
    local rc=0
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update || rc=$?
    if ((rc == 0)); then
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
            install -y --no-install-recommends "${missing[@]}" || rc=$?
    fi
    if ((added_policy)); then
        "${as_root[@]}" rm -f "$policy"
    fi
    ((rc == 0)) || return "$rc"

    mapfile -t missing < <(keel_missing_deps)
    if ((${#missing[@]} != 0)); then
        keel_log "error: still not installed after apt-get: ${missing[*]}"
        return 1
    fi
}

# keel_build BUILD_DIR BUILD_TYPE [extra cmake args...]
# BUILD_DIR is relative to the repo root unless absolute. Parallelism: KEEL_JOBS (default 2, the
# machine has 2 cores and more jobs only adds memory pressure).
keel_build() {
    if (($# < 2)); then
        keel_log "usage: keel_build BUILD_DIR BUILD_TYPE [cmake args...]"
        return 2
    fi
    local dir="$1" type="$2"
    shift 2
    [[ "$dir" == /* ]] || dir="$KEEL_ROOT/$dir"
    local jobs="${KEEL_JOBS:-2}"
    if ! [[ "$jobs" =~ ^[1-9][0-9]*$ ]]; then
        keel_log "error: KEEL_JOBS must be a positive integer, got '$jobs'"
        return 2
    fi

    local -a launcher=()
    if command -v ccache >/dev/null 2>&1; then
        launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    fi

    keel_log "configuring $dir ($type)"
    # compile_commands.json lets clang-tidy/clangd see the exact flags of each build.
    cmake -S "$KEEL_ROOT" -B "$dir" \
        -DCMAKE_BUILD_TYPE="$type" \
        -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
        "${launcher[@]}" "$@"
    keel_log "building $dir with $jobs jobs"
    cmake --build "$dir" -j "$jobs"
}
