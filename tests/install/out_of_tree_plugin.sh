#!/usr/bin/env bash
# Installs Keel into a temporary prefix, builds sdk/examples/greeter against that prefix alone,
# starts the installed keel with it and calls its route. Usage: out_of_tree_plugin.sh BUILD_DIR SOURCE_DIR
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

cmake --install "$build" --prefix "$work/prefix" >/dev/null
# Only the prefix: no path into Keel's source or build tree.
cmake -S "$source/sdk/examples/greeter" -B "$work/greeter" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$work/greeter" >/dev/null
test -f "$work/greeter/greeter.so"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
admin="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$work/prefix/bin/keel" --config "$work/prefix/etc/keel/keel.ini" \
    --define server.host=127.0.0.1 --define server.port="$port" --define admin.port="$admin" \
    --define plugins.list="health, $work/greeter/greeter.so" --define plugins.required=greeter \
    --define greeter.salutation=Howdy >"$work/keel.log" 2>&1 &
keel_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/live" >/dev/null 2>&1 && break
    sleep 0.1
done
reply="$(curl -fsS "http://127.0.0.1:$port/greet/Ada")" || { cat "$work/keel.log" >&2; exit 1; }
if [[ "$reply" != "Howdy, Ada!" ]]; then
    echo "unexpected reply: $reply" >&2
    cat "$work/keel.log" >&2
    exit 1
fi
"$work/prefix/bin/keel" --inspect-plugin "$work/greeter/greeter.so" | grep -q "accepted:       yes"
echo "out-of-tree plugin served: $reply"
