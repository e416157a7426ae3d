#!/usr/bin/env bash
# Installs Keel into a temporary prefix and builds the SDK examples greeter and notes against that
# prefix alone, as a third party would, and runs their tests. Then starts the installed keel with
# greeter, calls its route, hot-loads notes into the running host over the admin API, uses it,
# reloads it and uses it again. Usage: out_of_tree_plugin.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"
source="$2"
work="$(mktemp -d /tmp/keel-install-test.XXXXXX)"
keel_pid=""
cleanup() {
    [[ -n "$keel_pid" ]] && kill "$keel_pid" 2>/dev/null && wait "$keel_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "$*" >&2
    [[ -f "$work/keel.log" ]] && cat "$work/keel.log" >&2
    exit 1
}

cmake --install "$build" --prefix "$work/prefix" >/dev/null
# Each example is copied out of the source tree first: only the prefix is known to its build.
build_example() {
    local name="$1"
    cp -r "$source/sdk/examples/$name" "$work/$name-src"
    cmake -S "$work/$name-src" -B "$work/$name" -DCMAKE_PREFIX_PATH="$work/prefix" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$work/$name" -j2 >/dev/null
    test -f "$work/$name/$name.so"
    ctest --test-dir "$work/$name" --output-on-failure >"$work/$name-ctest.log" 2>&1 ||
        fail "the $name example's own tests failed: $(cat "$work/$name-ctest.log")"
}
build_example greeter
build_example notes

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
admin="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$work/prefix/bin/keel" --config "$work/prefix/etc/keel/keel.ini" \
    --define server.host=127.0.0.1 --define server.port="$port" --define admin.port="$admin" \
    --define plugins.list="health, resilience, $work/greeter/greeter.so" --define plugins.required=greeter \
    --define plugins.allowed_dirs="$work/notes" --define database.url="sqlite:$work/notes.db" \
    --define greeter.salutation=Howdy >"$work/keel.log" 2>&1 &
keel_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/live" >/dev/null 2>&1 && break
    sleep 0.1
done
reply="$(curl -fsS "http://127.0.0.1:$port/greet/Ada")" || fail "GET /greet/Ada failed"
[[ "$reply" == "Howdy, Ada!" ]] || fail "unexpected reply: $reply"
"$work/prefix/bin/keel" --inspect-plugin "$work/greeter/greeter.so" | grep -q "accepted:       yes"
echo "out-of-tree plugin served: $reply"

# notes into the running host, as docs/writing-plugins.md shows (no token: loopback admin).
admin_post() { curl -sS -o "$work/admin.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' "$@"; }
status="$(admin_post --data "{\"path\":\"$work/notes/notes.so\"}" "http://127.0.0.1:$admin/admin/plugins")"
[[ "$status" == 201 ]] || fail "loading notes answered $status: $(cat "$work/admin.out")"
status="$(curl -sS -o /dev/null -w '%{http_code}' -X PUT --data 'buy milk' "http://127.0.0.1:$port/notes/shopping")"
[[ "$status" == 204 ]] || fail "PUT /notes/shopping answered $status"
status="$(admin_post "http://127.0.0.1:$admin/admin/plugins/notes/reload")"
[[ "$status" == 200 ]] || fail "reloading notes answered $status: $(cat "$work/admin.out")"
reply="$(curl -fsS "http://127.0.0.1:$port/notes/shopping")" || fail "GET /notes/shopping failed after the reload"
[[ "$reply" == "buy milk" ]] || fail "unexpected note after the reload: $reply"
echo "notes hot-loaded, used, reloaded: $reply"
