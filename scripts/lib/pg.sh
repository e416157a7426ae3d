# shellcheck shell=bash
# Sourced helper behind scripts/pg-start and scripts/pg-stop: a throwaway PostgreSQL cluster in a
# temp directory, listening only on 127.0.0.1, for tests. Sets no shell options (see deps.sh).

# A file that marks a directory as one of ours, so pg-stop never `rm -rf`s anything else.
KEEL_PG_MARKER=".keel-test-pg"

keel_pg_log() { printf 'keel-pg: %s\n' "$*" >&2; }

# Prints the bin directory of the newest installed PostgreSQL (Debian keeps them versioned).
keel_pg_bindir() {
    local dir
    dir="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/pg_ctl' 2>/dev/null \
        | sort -V | tail -n 1)"
    if [[ -z "$dir" ]]; then
        keel_pg_log "error: no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)"
        return 1
    fi
    dirname "$dir"
}

# Runs a command as USER. The server refuses to run as root, so root switches to the owner of the
# cluster; anyone else can only run it as themselves. cd / first: postgres cannot enter /root and
# would warn about it.
keel_pg_run_as() {
    local user="$1"
    shift
    if [[ "$(id -un)" == "$user" ]]; then
        (cd / && "$@")
    elif ((EUID == 0)); then
        (cd / && runuser -u "$user" -- "$@")
    else
        keel_pg_log "error: cannot run as '$user' (not root)"
        return 1
    fi
}

# Prints a free TCP port on 127.0.0.1: the preferred one if free, otherwise one the kernel picks.
keel_pg_free_port() {
    local want="$1" port
    if command -v python3 >/dev/null 2>&1; then
        # SO_REUSEADDR as PostgreSQL sets it: a port in TIME_WAIT is usable, a listening one is not.
        python3 - "$want" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
        return
    fi
    # Fallback without python: a port nobody accepts connections on is taken as free.
    for ((port = want; port < want + 200; port++)); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    keel_pg_log "error: no free port in $want..$((want + 199))"
    return 1
}

# keel_pg_start: creates and starts the cluster; sets KEELTEST_PG_DIR, KEELTEST_PG_PORT and
# KEELTEST_DATABASE_URL in the calling shell. On failure it removes what it created.
keel_pg_start() {
    local bindir user dir
    bindir="$(keel_pg_bindir)" || return 1
    if ((EUID == 0)); then
        user=postgres
        if ! id -u "$user" >/dev/null 2>&1; then
            keel_pg_log "error: running as root but there is no 'postgres' user to run the server as"
            return 1
        fi
    else
        user="$(id -un)"
    fi

    # Under /tmp, not $TMPDIR: the postgres user must be able to reach it (root's TMPDIR may not be).
    dir="$(mktemp -d /tmp/keel-pg.XXXXXX)"
    touch "$dir/$KEEL_PG_MARKER"
    chmod 700 "$dir"
    [[ "$(id -un)" == "$user" ]] || chown -R "$user:" "$dir"

    if ! keel_pg_start_in "$bindir" "$user" "$dir"; then
        keel_pg_log "error: PostgreSQL did not start; server log follows"
        tail -n 30 "$dir/server.log" >&2 2>/dev/null || true
        keel_pg_stop "$dir" || true
        return 1
    fi
}

# shellcheck disable=SC2034 # the KEELTEST_* variables it sets are for the caller
keel_pg_start_in() {
    local bindir="$1" user="$2" dir="$3" port
    port="$(keel_pg_free_port "${KEELTEST_PG_PORT:-55432}")" || return 1

    keel_pg_log "initdb in $dir/data (PostgreSQL $(basename "$(dirname "$bindir")"), run as $user)"
    # trust on the socket (only the owner can reach the 0700 dir); passwords over TCP, as an app uses.
    keel_pg_run_as "$user" "$bindir/initdb" -D "$dir/data" -U postgres -E UTF8 --no-locale \
        --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        return 1
    }
    # In the config file (not pg_ctl -o) so any later pg_ctl restart keeps the same settings.
    # fsync & co. off: the data is thrown away, and tests run several times faster. Benchmarks
    # (KEEL_PG_DURABLE=1) keep PostgreSQL's durable defaults, as production runs it.
    # Every step has its own `|| return 1`: the caller runs this under `if !`, where set -e is off.
    local durability="fsync = off
synchronous_commit = off
full_page_writes = off"
    [[ "${KEEL_PG_DURABLE:-0}" == 1 ]] && durability="# durable: fsync, synchronous_commit, full_page_writes on"
    keel_pg_run_as "$user" tee -a "$dir/data/postgresql.conf" >/dev/null <<CONF || return 1
# --- keel throwaway test cluster ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
$durability
max_connections = 200
CONF

    keel_pg_log "starting on 127.0.0.1:$port"
    keel_pg_run_as "$user" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null || return 1

    keel_pg_run_as "$user" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres \
        -d postgres -c "CREATE ROLE keel LOGIN PASSWORD 'keel' CREATEDB CREATEROLE" \
        -c "CREATE DATABASE keel OWNER keel" >&2 || return 1

    KEELTEST_PG_DIR="$dir"
    KEELTEST_PG_PORT="$port"
    KEELTEST_DATABASE_URL="postgresql://keel:keel@127.0.0.1:$port/keel"
    keel_pg_log "ready: $KEELTEST_DATABASE_URL"
}

# True while PID is a live (not zombie) postgres process. /proc rather than kill -0: a non-root caller
# may not signal the owner's process, and an exited postmaster whose parent has not reaped it yet
# (seen here: PID 1 reaps orphans late) is a zombie that kill -0 still reports.
keel_pg_postmaster_alive() {
    local pid="$1" stat
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == postgres ]] || return 1
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }" # the state letter follows the parenthesised command name
    [[ "${stat%% *}" != Z ]]
}

# keel_pg_stop DIR: stops the server (fast, then immediate if that fails) and removes DIR.
keel_pg_stop() {
    local dir="$1" bindir owner pid
    if [[ ! -d "$dir" ]]; then
        keel_pg_log "nothing to stop: $dir does not exist"
        return 0
    fi
    if [[ ! -e "$dir/$KEEL_PG_MARKER" ]]; then
        keel_pg_log "error: $dir was not made by pg-start (no $KEEL_PG_MARKER): not touching it"
        return 1
    fi
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        bindir="$(keel_pg_bindir)" || return 1
        owner="$(stat -c %U "$dir/data")"
        pid="$(head -n 1 "$dir/data/postmaster.pid")"
        keel_pg_log "stopping server (pid $pid) in $dir"
        if ! keel_pg_run_as "$owner" "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null; then
            keel_pg_log "fast shutdown failed; trying immediate"
            keel_pg_run_as "$owner" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null || true
        fi
        if keel_pg_postmaster_alive "$pid"; then
            keel_pg_log "error: postmaster $pid is still running; leaving $dir in place"
            return 1
        fi
    fi
    rm -rf -- "$dir"
    keel_pg_log "removed $dir"
}
