#!/usr/bin/env bash
# Builds the Debian packages, runs lintian (no errors allowed) and checks their file lists against
# the install layout. Usage: debian_package.sh SOURCE_DIR
set -euo pipefail
source="$1"
out="$(mktemp -d /tmp/keel-package-test.XXXXXX)"
trap 'rm -rf "$out"' EXIT
KEEL_SKIP_DEPS=1 "$source/scripts/package" "$out" >/dev/null
runtime="$(ls "$out"/keel_*_amd64.deb)"
sdk="$(ls "$out"/keel-dev_*_amd64.deb)"
lintian --fail-on error "$runtime" "$sdk"

expect() {
    local package="$1"
    shift
    local listing
    listing="$(dpkg-deb -c "$package" | awk '{print $6}')"
    for path in "$@"; do
        grep -qx "$path" <<<"$listing" || { echo "$(basename "$package") lacks $path" >&2; exit 1; }
    done
}
expect "$runtime" ./usr/bin/keel ./usr/lib/libkeel-sdk.so.6 ./etc/keel/keel.ini ./etc/keel/conf.d/ \
    ./usr/lib/keel/plugins/health.so ./usr/lib/keel/plugins/metrics.so ./usr/lib/keel/plugins/resilience.so \
    ./usr/lib/keel/plugins/orders.so ./usr/lib/keel/plugins/hello.so \
    ./usr/lib/systemd/system/keel.service ./usr/lib/systemd/system/keel.socket \
    ./usr/share/doc/keel/copyright ./usr/share/doc/keel/changelog.gz ./usr/share/doc/keel/operations.md
expect "$sdk" ./usr/include/keel/plugin.h ./usr/include/keel/testing/plugin_harness.h ./usr/lib/libkeel-sdk.so \
    ./usr/lib/libkeel-testing.a ./usr/lib/cmake/KeelSDK/KeelSDKConfig.cmake ./usr/lib/cmake/KeelSDK/KeelPlugin.cmake
# Nothing of the tests ships.
if dpkg-deb -c "$runtime" | grep -qE 'probe|wrong_abi|consumer'; then
    echo "a test plugin is in the package" >&2
    exit 1
fi
dpkg-deb -f "$runtime" Depends | grep -q libpocofoundation80
echo "packages OK: $(basename "$runtime") $(basename "$sdk")"
