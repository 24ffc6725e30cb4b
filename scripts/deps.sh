#!/bin/sh
# Install what the build, the tests and the demo need, when it is missing.
# Root uses apt-get directly, anyone else sudo; nothing happens when every
# package is already there.  Usage: scripts/deps.sh [extra-package ...]
set -e

PKGS="apache2-bin apache2-dev libapache2-mod-perl2 libwww-perl
liblwp-protocol-https-perl libio-socket-ssl-perl libjson-pp-perl libssl-dev
libssl3 openssl libpcre2-dev libapr1-dev libaprutil1-dev libcurl4-openssl-dev curl
make gcc libc6-dev valgrind $*"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "deps: missing packages:$missing; run as root or install sudo" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# libssl3 is upgraded with libssl-dev: Debian's mod_ssl may be built against a
# newer OpenSSL than the image carries (AH01882 otherwise).
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing libssl3 >/dev/null
