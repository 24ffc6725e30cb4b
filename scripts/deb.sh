#!/bin/sh
# `make deb`: build libapache2-mod-certauthz_VERSION_ARCH.deb (debian/) from
# a clean copy of the tree, with debhelper and dh_apache2; the package is
# left in the top directory.
#
# `make deb-test` (scripts/deb.sh test): build it, check its contents with
# dpkg-deb, run lintian (any error fails), then install it in a throwaway
# root -- an overlay of this machine's / in a private mount namespace, so
# nothing on the machine changes -- with apt, as a user would:
#   apt-get install ./libapache2-mod-certauthz_*.deb
#   a2enmod ssl certauthz && apachectl configtest
# with a policy-rc.d that keeps apt from starting an Apache there.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
MODE=${1:-build}
cd "$TOP"
VERSION=$(dpkg-parsechangelog -l debian/changelog -S Version)
ARCH=$(dpkg --print-architecture)
PKG=libapache2-mod-certauthz
DEB=${PKG}_${VERSION}_${ARCH}.deb

build() {
    W=$TOP/build/deb
    SRC=$W/$PKG-$VERSION
    rm -rf "$W"
    mkdir -p "$SRC"
    # The committed tree as it is in the work tree, without build output.
    tar --exclude=.git --exclude=./build --exclude=./.libs --exclude='*.deb' \
        --exclude=./t/pki/out --exclude=./t/logs --exclude=./t/logs.last \
        --exclude=./t/logs.asan --exclude='*.o' --exclude='*.lo' \
        --exclude='*.slo' --exclude='*.la' -cf - . | (cd "$SRC" && tar -xf -)
    echo "deb: dpkg-buildpackage in $SRC (log: build/deb/build.log)"
    if ! (cd "$SRC" && dpkg-buildpackage -b -us -uc) >"$W/build.log" 2>&1; then
        tail -n 40 "$W/build.log" >&2
        echo "deb: dpkg-buildpackage failed" >&2
        exit 1
    fi
    cp "$W/$DEB" "$TOP/$DEB"
    echo "deb: $TOP/$DEB"
}

fail() {
    echo "deb-test: $*" >&2
    exit 1
}

contents() {
    echo "deb-test: contents"
    LIST=$(dpkg-deb -c "$DEB" | awk '{print $NF}')
    for f in ./usr/lib/apache2/modules/mod_certauthz.so \
        ./etc/apache2/mods-available/certauthz.load \
        ./etc/apache2/mods-available/certauthz.conf \
        ./usr/bin/certauthz \
        ./usr/share/man/man1/certauthz.1.gz \
        ./usr/share/doc/$PKG/mod_certauthz.md.gz \
        ./usr/share/doc/$PKG/howto.md.gz \
        ./usr/share/doc/$PKG/copyright \
        ./usr/share/doc/$PKG/examples/error-403.shtml; do
        printf '%s\n' "$LIST" | grep -qx "$f" || fail "$DEB lacks $f"
    done
    DEPENDS=$(dpkg-deb -f "$DEB" Depends)
    case $DEPENDS in
    *apache2-api-20120211*) ;;
    *) fail "Depends lacks the Apache module ABI (dh_apache2): $DEPENDS" ;;
    esac
    # a2enmod is in apache2: apt installs it with the package (Recommends).
    case $(dpkg-deb -f "$DEB" Recommends) in
    *apache2*) ;;
    *) fail "Recommends lacks apache2 (a2enmod)" ;;
    esac
    echo "deb-test:   Depends: $DEPENDS"
    echo "deb-test:   Recommends: $(dpkg-deb -f "$DEB" Recommends)"
}

run_lintian() {
    echo "deb-test: lintian"
    lintian --tag-display-limit 0 "$DEB" >build/deb/lintian.txt 2>&1 || true
    grep -v 'running with root privileges' build/deb/lintian.txt \
        | sed 's/^/deb-test:   /' || true
    echo "deb-test:   $(grep -c '^[EWIP]:' build/deb/lintian.txt || true) tags"
    if grep -q '^E:' build/deb/lintian.txt; then
        fail "lintian reports errors"
    fi
}

# apt-get install, a2enmod, configtest, the command and its man page, in
# an overlay of / that vanishes with its mount namespace.
install_test() {
    echo "deb-test: apt install + a2enmod ssl certauthz + apachectl configtest (throwaway root)"
    R=$(mktemp -d /tmp/certauthz-debroot.XXXXXX)
    trap 'rm -rf "$R"' EXIT
    cat > build/deb/inside.sh <<'INSIDE'
set -eu
export DEBIAN_FRONTEND=noninteractive
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
# A fresh machine has neither the package nor the module enabled.
dpkg -r libapache2-mod-certauthz >/dev/null 2>&1 || true
# apt must know apache2 (a2enmod) to install it with the package.
apt-cache show apache2 >/dev/null 2>&1 || apt-get update -qq
apt-get install -y -q "/root/$1" 2>&1 | tail -n 3
a2enmod ssl certauthz
apachectl configtest
apache2ctl -M 2>/dev/null | grep -q certauthz_module
certauthz help | grep -q 'ca init'
certauthz ca init /root/ca --no-passphrase >/dev/null
certauthz issue /root/ca laptop-1 >/dev/null
certauthz check /root/ca/devices/laptop-1.crt cert-valid --revocation /root/ca/crl.pem >/dev/null
man -w certauthz >/dev/null
echo "deb-test:   installed: $(dpkg-query -W -f='${Package} ${Version}' libapache2-mod-certauthz), module loaded, certauthz works"
INSIDE
    unshare -m sh -eu -c '
        R=$1 DEB=$2
        mount -t tmpfs tmpfs "$R"
        mkdir "$R/upper" "$R/work" "$R/root"
        mount -t overlay overlay -o "lowerdir=/,upperdir=$R/upper,workdir=$R/work" "$R/root"
        mount --rbind /dev "$R/root/dev"
        mount -t proc proc "$R/root/proc"
        mount --rbind /sys "$R/root/sys"
        cp /etc/resolv.conf "$R/root/etc/resolv.conf" 2>/dev/null || true
        cp "$DEB" "$R/root/root/"
        cp "$3" "$R/root/root/inside.sh"
        chroot "$R/root" sh /root/inside.sh "$(basename "$DEB")"
    ' sh "$R" "$TOP/$DEB" "$TOP/build/deb/inside.sh" 2>&1 || fail "install test failed"
}

case $MODE in
build)
    build
    ;;
test)
    START=$(date +%s)
    build
    contents
    run_lintian
    install_test
    echo "deb-test: passed in $(($(date +%s) - START)) s"
    ;;
*)
    echo "usage: scripts/deb.sh [build|test]" >&2
    exit 2
    ;;
esac
