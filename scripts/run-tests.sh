#!/bin/sh
# `make test`: the C unit tests (plain and under ASan/UBSan) and the
# Apache::Test suite against a real httpd with mod_ssl, in one harness.
#
# CERTAUTHZ_SOAK=1 runs only the long tests of t/soak/ (`make soak`).
# CERTAUTHZ_MEMCHECK=1 runs the plain unit tests under valgrind as well.
# CERTAUTHZ_ASAN=1 adds a second pass of the server suite with the module
# built with ASan/UBSan (build/asan/mod_certauthz.so, `make asan`) and the
# sanitizer runtime preloaded into httpd; a sanitizer report in its error
# log fails the run.  The passes add up into the one final summary line.
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
    rm -rf "$TOP/t/logs.asan" && cp -r "$STAGE/t/logs.asan" "$TOP/t/logs.asan" 2>/dev/null || true
    exit $status
fi

cd "$TOP"
rm -rf t/pki/out
sh t/pki/mkpki.sh t/pki/out
sed -e "s|@LIBEXECDIR@|$("$APXS" -q LIBEXECDIR)|g" -e "s|@MPM@|$MPM|g" \
    t/modules.conf.in > t/modules.conf

mkdir -p build
COUNTS=$(pwd)/build/test-counts
rm -f "$COUNTS"
export CERTAUTHZ_COUNTS="$COUNTS"
status=0

stop() { perl t/TEST.PL -stop-httpd >/dev/null 2>&1 || true; }
trap stop EXIT INT TERM
# A random base port with a free range above it (one port per vhost), so
# that runs beside other servers (or other test runs) do not collide.
free_port() {
    perl -MIO::Socket::INET -e '
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
    exit 1;'
}

perl t/TEST.PL -clean >/dev/null 2>&1 || true
PORT=$(free_port)
APACHE_TEST_PORT=$PORT perl t/TEST.PL -apxs "$APXS" -httpd "$HTTPD" \
    -start-httpd

UNIT=$(ls build/unit/test_* build/unit-san/test_* 2>/dev/null || true)
MEMCHECK=""
if [ "${CERTAUTHZ_MEMCHECK:-0}" = 1 ]; then
    MEMCHECK=$(ls build/unit/test_* 2>/dev/null | sed 's/^/memcheck:/')
fi
if [ "${CERTAUTHZ_SOAK:-0}" = 1 ]; then
    TEST_VERBOSE=1 perl scripts/harness.pl t/soak/*.t || status=1
else
    # CERTAUTHZ_TESTS="t/x.t ..." runs only those (while working on them).
    # shellcheck disable=SC2086
    perl scripts/harness.pl ${CERTAUTHZ_TESTS:-$UNIT $MEMCHECK t/*.t} || status=1
fi
stop

if [ "${CERTAUTHZ_ASAN:-0}" = 1 ]; then
    echo "run-tests: the server suite again, module built with ASan/UBSan, mpm_${CERTAUTHZ_ASAN_MPM:-prefork}"
    ASAN_SO=$(${CC:-cc} -print-file-name=libasan.so)
    if [ ! -f build/asan/mod_certauthz.so ] || [ ! -e "$ASAN_SO" ]; then
        echo "run-tests: build/asan/mod_certauthz.so or $ASAN_SO missing (make asan)" >&2
        exit 1
    fi
    # httpd itself is not instrumented: the runtime must be loaded before
    # anything else, so a wrapper preloads it.  httpd's pools are released
    # wholesale at exit, which LeakSanitizer would misreport, so leak
    # detection is off; every other error aborts the child, and its report
    # lands in the error log (the children's stderr).
    mkdir -p build/asan
    cat > build/asan/httpd <<WRAP
#!/bin/sh
LD_PRELOAD=$(readlink -f "$ASAN_SO") \
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
exec "$HTTPD" "\$@"
WRAP
    chmod 755 build/asan/httpd
    rm -rf t/logs.plain
    mv t/logs t/logs.plain
    # The first pass rewrites revocation files as it tests reloads: start
    # the second from a fresh PKI, as the first did.
    rm -rf t/pki/out
    sh t/pki/mkpki.sh t/pki/out
    # This pass also runs under the other process model: the first pass
    # covers threads (mpm_event), this one forked children (prefork).
    MPM=${CERTAUTHZ_ASAN_MPM:-prefork}
    export CERTAUTHZ_MPM=$MPM
    sed -e "s|@LIBEXECDIR@|$("$APXS" -q LIBEXECDIR)|g" -e "s|@MPM@|$MPM|g" \
        t/modules.conf.in > t/modules.conf
    perl t/TEST.PL -clean >/dev/null 2>&1 || true
    PORT=$(free_port)
    APACHE_TEST_PORT=$PORT perl t/TEST.PL -apxs "$APXS" \
        -httpd "$(pwd)/build/asan/httpd" -defines CERTAUTHZ_ASAN -start-httpd
    # The certauthz command's tests run its sanitizer build in this pass.
    if [ -x build/asan/certauthz ]; then
        export CERTAUTHZ_BIN="$(pwd)/build/asan/certauthz"
    fi
    # shellcheck disable=SC2086
    perl scripts/harness.pl ${CERTAUTHZ_TESTS:-t/*.t} || status=1
    stop
    if grep -E 'ERROR: AddressSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer' \
        t/logs/error_log >/dev/null 2>&1; then
        echo "run-tests: sanitizer report in the ASan server's error log:" >&2
        grep -E -A 30 'ERROR: AddressSanitizer|runtime error:' t/logs/error_log | head -n 60 >&2
        echo "0 1" >> "$COUNTS"
        status=1
    fi
    if ! grep -q 'build/asan/mod_certauthz.so' t/conf/httpd.conf t/conf/extra.conf 2>/dev/null; then
        echo "run-tests: the ASan pass did not load build/asan/mod_certauthz.so" >&2
        echo "0 1" >> "$COUNTS"
        status=1
    fi
    rm -rf t/logs.asan
    mv t/logs t/logs.asan
    mv t/logs.plain t/logs
fi

awk '{ p += $1; f += $2 } END { printf "\ncertauthz: %d passed, %d failed\n", p, f }' "$COUNTS"
exit $status
