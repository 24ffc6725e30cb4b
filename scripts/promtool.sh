#!/bin/sh
# promtool for t/metrics.t (`promtool check metrics`), from Debian's
# prometheus package, unpacked into build/deps rather than installed: the
# package would also install and start a Prometheus server.  Prints the
# path of promtool; nothing when it cannot be had (no network: the test
# then says it skipped).
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$TOP/build/deps/prometheus
BIN=$OUT/usr/bin/promtool
if command -v promtool >/dev/null 2>&1; then
    command -v promtool
    exit 0
fi
if [ ! -x "$BIN" ]; then
    mkdir -p "$OUT"
    tmp=$(mktemp -d)
    # apt-get download needs no root; an index older than the archive is
    # refreshed once (root only) and the download tried again.
    if ! (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1); then
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq >/dev/null 2>&1 || true
        fi
        (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1) || true
    fi
    for deb in "$tmp"/prometheus_*.deb; do
        [ -f "$deb" ] || continue
        dpkg-deb -x "$deb" "$tmp/x"
        mkdir -p "$OUT/usr/bin"
        cp "$tmp/x/usr/bin/promtool" "$BIN"
    done
    rm -rf "$tmp"
fi
[ -x "$BIN" ] && echo "$BIN"
exit 0
