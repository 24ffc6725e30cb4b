#!/bin/sh
# `make test`: the C unit tests (plain and under ASan/UBSan) and the
# Apache::Test suite against a real httpd with mod_ssl, in one harness.
#
# As root, httpd's children run as an unprivileged user that must be able to
# read the test tree; a checkout under a private directory (a 0700 /root)
# would make every request fail with 403 for the wrong reason.  So as root
# the tree is staged in a fresh world-readable directory first.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
APXS=${APXS:-$(command -v apxs || command -v apxs2)}
HTTPD=${HTTPD:-$("$APXS" -q SBINDIR)/$("$APXS" -q TARGET)}
MPM=${CERTAUTHZ_MPM:-event}

if [ "$(id -u)" = 0 ] && [ -z "${CERTAUTHZ_STAGED:-}" ]; then
    STAGE=$(mktemp -d /tmp/certauthz-test.XXXXXX)
    chmod 755 "$STAGE"
    trap 'rm -rf "$STAGE"' EXIT INT TERM
    (cd "$TOP" && tar --exclude=.git -cf - .) | (cd "$STAGE" && tar -xf -)
    chmod -R u+rwX,go+rX "$STAGE"
    # Every parent of the stage must be searchable by the children's user.
    d=$STAGE
    while [ "$d" != / ]; do
        d=$(dirname "$d")
        if [ -n "$(find "$d" -maxdepth 0 ! -perm -o+x)" ]; then
            echo "run-tests: $d is not world-searchable; httpd's children could not read the tests" >&2
            exit 1
        fi
    done
    status=0
    (cd "$STAGE" && CERTAUTHZ_STAGED=1 sh scripts/run-tests.sh) || status=$?
    # Keep the logs for a look after a failure.
    rm -rf "$TOP/t/logs.last" && cp -r "$STAGE/t/logs" "$TOP/t/logs.last" 2>/dev/null || true
    exit $status
fi

cd "$TOP"
rm -rf t/pki/out
sh t/pki/mkpki.sh t/pki/out
sed -e "s|@LIBEXECDIR@|$("$APXS" -q LIBEXECDIR)|g" -e "s|@MPM@|$MPM|g" \
    t/modules.conf.in > t/modules.conf

perl t/TEST.PL -clean >/dev/null 2>&1 || true
stop() { perl t/TEST.PL -stop-httpd >/dev/null 2>&1 || true; }
trap stop EXIT INT TERM
# A random base port with a free range above it (one port per vhost), so
# that runs beside other servers (or other test runs) do not collide.
PORT=$(perl -MIO::Socket::INET -e '
    srand($$ ^ time);
    TRY: for (1 .. 50) {
        my $base = 20000 + 40 * int(rand(1000));
        for my $p ($base .. $base + 39) {
            my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
                LocalPort => $p, Proto => "tcp", Listen => 1, ReuseAddr => 0)
                or next TRY;
            close $s;
        }
        print $base;
        exit 0;
    }
    exit 1;')
APACHE_TEST_PORT=$PORT perl t/TEST.PL -apxs "$APXS" -httpd "$HTTPD" \
    -start-httpd

UNIT=$(ls build/unit/test_* build/unit-san/test_* 2>/dev/null || true)
perl scripts/harness.pl $UNIT t/*.t
