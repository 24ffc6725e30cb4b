#!/bin/sh
# `make test`: the C unit tests (plain and under ASan/UBSan) and the
# Apache::Test suite against a real httpd with mod_ssl, in one harness.
#
# CERTAUTHZ_SOAK=1 runs only the long tests of t/soak/ (`make soak`).
# CERTAUTHZ_MEMCHECK=1 runs the plain unit tests under valgrind as well.
# The server suite runs under mpm_event without a session cache; with
# CERTAUTHZ_ASAN=1 it runs again under mpm_prefork with one, and a third
# time under mpm_worker with the module built with ASan/UBSan
# (build/asan/mod_certauthz.so, `make asan`) and the sanitizer runtime
# preloaded into httpd.  A crashed child or a sanitizer report in a pass's
# error log fails the run.  The passes add up into one summary line.
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
    (cd "$TOP" && tar --exclude=.git --exclude=./build/deps -cf - .) | (cd "$STAGE" && tar -xf -)
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
    for d in "$STAGE"/t/logs.*; do
        [ -d "$d" ] || continue
        rm -rf "$TOP/t/$(basename "$d")" && cp -r "$d" "$TOP/t/" 2>/dev/null || true
    done
    exit $status
fi

cd "$TOP"
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
        my $base = 20000 + 60 * int(rand(700));
        for my $p ($base .. $base + 59) {
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

# httpd with the ASan runtime preloaded (the module built with ASan needs
# it first in the process, httpd itself is not instrumented).  httpd's
# pools are released wholesale at exit, which LeakSanitizer would
# misreport, so leak detection is off; every other error aborts the child,
# and its report lands in the error log (the children's stderr).
asan_httpd() {
    ASAN_SO=$(${CC:-cc} -print-file-name=libasan.so)
    if [ ! -f build/asan/mod_certauthz.so ] || [ ! -e "$ASAN_SO" ]; then
        echo "run-tests: build/asan/mod_certauthz.so or $ASAN_SO missing (make asan)" >&2
        exit 1
    fi
    cat > build/asan/httpd <<WRAP
#!/bin/sh
LD_PRELOAD=$(readlink -f "$ASAN_SO") \
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
exec "$HTTPD" "\$@"
WRAP
    chmod 755 build/asan/httpd
}

# pass NAME MPM HTTPD DEFINES TESTS: the server suite against a fresh PKI
# and a fresh server.  Each pass keeps
# its logs in t/logs.NAME; a child that died on a signal fails the pass.
pass() {
    name=$1 mpm=$2 httpd=$3 defines=$4
    echo "run-tests: pass $name: mpm_$mpm, $(basename "$httpd"), defines: ${defines:-none}"
    # Tests rewrite revocation files: every pass starts from a fresh PKI.
    rm -rf t/pki/out
    sh t/pki/mkpki.sh t/pki/out
    export CERTAUTHZ_MPM=$mpm
    sed -e "s|@LIBEXECDIR@|$("$APXS" -q LIBEXECDIR)|g" -e "s|@MPM@|$mpm|g" \
        t/modules.conf.in > t/modules.conf
    perl t/TEST.PL -clean >/dev/null 2>&1 || true
    rm -rf t/logs
    PORT=$(free_port)
    # shellcheck disable=SC2086
    APACHE_TEST_PORT=$PORT perl t/TEST.PL -apxs "$APXS" -httpd "$httpd" \
        $(for d in $defines; do printf -- '-defines %s ' "$d"; done) -start-httpd
    if [ "$name" = asan ] && ! grep -q build/asan/mod_certauthz.so \
        "/proc/$(cat t/logs/httpd.pid)/maps" 2>/dev/null; then
        echo "run-tests: the ASan pass did not load build/asan/mod_certauthz.so" >&2
        echo "0 1" >> "$COUNTS"
        status=1
    fi
    # shellcheck disable=SC2086
    perl scripts/harness.pl $5 || status=1
    stop
    if grep -E 'exit signal|ERROR: AddressSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer' \
        t/logs/error_log >/dev/null 2>&1; then
        echo "run-tests: pass $name: a child crashed or a sanitizer reported:" >&2
        grep -E -A 30 'exit signal|ERROR: AddressSanitizer|runtime error:' t/logs/error_log | head -n 60 >&2
        echo "0 1" >> "$COUNTS"
        status=1
    fi
    rm -rf "t/logs.$name"
    cp -r t/logs "t/logs.$name"
}

UNIT=$(ls build/unit/test_* build/unit-san/test_* 2>/dev/null || true)
MEMCHECK=""
if [ "${CERTAUTHZ_MEMCHECK:-0}" = 1 ]; then
    MEMCHECK=$(ls build/unit/test_* 2>/dev/null | sed 's/^/memcheck:/')
fi
SERVER_TESTS=$(ls t/*.t)
# The soak joins the first pass with fewer requests (make soak: 100,000).
SOAK_TEST=t/soak/keepalive.t

if [ "${CERTAUTHZ_SOAK:-0}" = 1 ]; then
    TEST_VERBOSE=1 pass soak "$MPM" "$HTTPD" "" "$(ls t/soak/*.t)"
else
    # CERTAUTHZ_TESTS="t/x.t ..." runs only those (while working on them).
    # The first pass: mpm_event (threads; HTTP/2 streams on several of
    # them), no SSLSessionCache (empty TLS session ids).
    CERTAUTHZ_SOAK_REQUESTS=${CERTAUTHZ_SOAK_REQUESTS:-40000}
    export CERTAUTHZ_SOAK_REQUESTS
    if [ -z "${CERTAUTHZ_TESTS:-}" ]; then
        # The unit tests need no server: two at a time.
        # shellcheck disable=SC2086
        CERTAUTHZ_JOBS=$(nproc 2>/dev/null || echo 2) perl scripts/harness.pl \
            $UNIT $MEMCHECK || status=1
    fi
    pass event "$MPM" "$HTTPD" "CERTAUTHZ_NO_SCACHE" \
        "${CERTAUTHZ_TESTS:-$SERVER_TESTS $SOAK_TEST}"
    if [ "${CERTAUTHZ_ASAN:-0}" = 1 ]; then
        # Forked children (mpm_prefork, HTTP/1.1 only), with a session cache.
        pass prefork prefork "$HTTPD" "" "${CERTAUTHZ_TESTS:-$SERVER_TESTS}"
        # mpm_worker (threads, HTTP/2), the module built with ASan/UBSan,
        # and MaxMemFree 1 so that freed pool memory goes back to malloc at
        # once, where ASan sees a use after free by the module.
        asan_httpd
        # The certauthz command's tests run its sanitizer build here.
        if [ -x build/asan/certauthz ]; then
            export CERTAUTHZ_BIN="$(pwd)/build/asan/certauthz"
        fi
        pass asan worker "$(pwd)/build/asan/httpd" "CERTAUTHZ_ASAN" \
            "${CERTAUTHZ_TESTS:-$SERVER_TESTS}"
    fi
fi

awk '{ p += $1; f += $2 } END { printf "\ncertauthz: %d passed, %d failed\n", p, f }' "$COUNTS"
exit $status
