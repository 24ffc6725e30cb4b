#!/bin/sh
# Revocation at scale: load time, lookup time and private memory per httpd
# child for N entries (default 1,000,000), beside mod_ssl with an N-entry
# CRL (SSLCARevocationFile + SSLCARevocationCheck chain) on the same machine.
#
#   sh bench/revocation.sh [N]
#
# Everything is made in a fresh directory under /tmp: a CA, a list, an
# index.txt and a CRL of N entries, and three prefork httpds with four
# children each (no revocation, mod_certauthz with the list, mod_ssl with
# the CRL).  Memory is read from /proc/PID/smaps_rollup of the children
# after 40 TLS handshakes with a client certificate.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-1000000}
APXS=${APXS:-$(command -v apxs || command -v apxs2)}
HTTPD=${HTTPD:-$("$APXS" -q SBINDIR)/$("$APXS" -q TARGET)}
LIBEXEC=$("$APXS" -q LIBEXECDIR)
W=$(mktemp -d /tmp/certauthz-bench.XXXXXX)
chmod 755 "$W"
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    rm -rf "$W"
}
trap cleanup EXIT INT TERM

make -s -C "$TOP" all
# The library the module is built from: every src/*.c (the Makefile's SRC_C).
SRC_C=$(cd "$TOP" && echo src/*.c)
dt() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
cc -O2 -o "$W/gencrl" "$TOP/bench/gencrl.c" -lcrypto
(cd "$TOP" && cc -O2 $(apr-1-config --cflags --cppflags --includes) -I. \
    -o "$W/revbench" bench/revbench.c $SRC_C $(apr-1-config --link-ld) \
    -lcrypto -lpcre2-8)

cd "$W"
umask 022
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.crt -subj "/O=Bench/CN=Bench CA" -days 30 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
cert() {
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
    printf '%s\n' "$3" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -set_serial "$4" \
        -days 30 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
cert server "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1" 0x5000
cert client "/CN=bench-client" "extendedKeyUsage=clientAuth" 0x5001
chmod 644 ./*.key

t0=$(date +%s.%N)
awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++) printf "%x\n", 268435456 + i }' > list.txt
awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++)
    printf "R\t301231000000Z\t240101000000Z,keyCompromise\t%X\tunknown\t/O=Bench/CN=d%d\n",
        268435456 + i, i }' > index.txt
"$W/gencrl" ca.crt ca.key "$N" crl.pem crl.der
t1=$(date +%s.%N)
echo "generated $N-entry list, index.txt and CRL in $(dt "$t0" "$t1") s"
ls -l list.txt index.txt crl.pem crl.der | awk '{ printf "  %-10s %6.1f MB\n", $9, $5 / 1048576 }'

echo
echo "== mod_certauthz: load and lookup (bench/revbench.c, src/revocation.h)"
for f in list.txt index.txt crl.der crl.pem; do
    mkdir -p "cache-$f"
    "$W/revbench" "$f" "cache-$f" ca.crt
done
echo "-- with CertAuthzCRLVerifyCA (OpenSSL parses the whole CRL to verify it):"
mkdir -p cache-verify
"$W/revbench" crl.der cache-verify ca.crt ca.crt

echo 'ok' > index.html
PORT=$((20000 + $$ % 20000))

# run_httpd NAME CONFIG-LINES: start a prefork httpd with 4 children, time
# its start, make 40 handshakes, print the children's memory, stop it.
run_httpd() {
    name=$1 lines=$2
    PORT=$((PORT + 1))
    mkdir -p "$name/logs" "$name/run"
    chown -R nobody "$name" 2>/dev/null || true
    cat > "$name/httpd.conf" <<CONF
ServerRoot "$W/$name"
DefaultRuntimeDir "$W/$name/run"
ServerName localhost
Listen 127.0.0.1:$PORT
PidFile logs/httpd.pid
ErrorLog logs/error_log
LogLevel warn
User nobody
Group nogroup
LoadModule mpm_prefork_module $LIBEXEC/mod_mpm_prefork.so
LoadModule authn_core_module $LIBEXEC/mod_authn_core.so
LoadModule authz_core_module $LIBEXEC/mod_authz_core.so
LoadModule socache_shmcb_module $LIBEXEC/mod_socache_shmcb.so
LoadModule ssl_module $LIBEXEC/mod_ssl.so
LoadModule certauthz_module $TOP/.libs/mod_certauthz.so
StartServers 4
MinSpareServers 4
MaxSpareServers 4
ServerLimit 4
MaxRequestWorkers 4
KeepAlive Off
DocumentRoot "$W"
SSLEngine on
SSLCertificateFile "$W/server.crt"
SSLCertificateKeyFile "$W/server.key"
SSLCACertificateFile "$W/ca.crt"
SSLVerifyClient optional
SSLSessionCache none
SSLSessionTickets off
$lines
<Location />
    Require cert-valid
</Location>
CONF
    t0=$(date +%s.%N)
    "$HTTPD" -f "$W/$name/httpd.conf" -k start
    while ! curl -sk -o /dev/null "https://127.0.0.1:$PORT/index.html" 2>/dev/null; do
        sleep 0.05
    done
    t1=$(date +%s.%N)
    ppid=$(cat "$name/logs/httpd.pid")
    PIDS="$PIDS $ppid"
    t2=$(date +%s.%N)
    codes=""
    for i in $(seq 40); do
        codes="$codes $(curl -sk --cacert ca.crt --cert client.crt --key client.key \
            -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/index.html")"
    done
    t3=$(date +%s.%N)
    ok=$(echo "$codes" | tr ' ' '\n' | grep -c '^200$' || true)
    echo "== $name"
    echo "  start-up (until the first answer): $(dt "$t0" "$t1") s"
    echo "  40 new TLS connections with a client certificate: $(dt "$t2" "$t3") s ($ok answered 200)"
    awk '/^Rss:/ { printf "  parent: Rss %.1f MB", $2 / 1024 } /^Pss:/ { printf ", Pss %.1f MB\n", $2 / 1024 }' \
        "/proc/$ppid/smaps_rollup"
    for c in $(ps -o pid= --ppid "$ppid"); do
        awk -v pid="$c" '/^Rss:/ { rss = $2 } /^Pss:/ { pss = $2 }
            /^Private_Clean:/ { pc = $2 } /^Private_Dirty:/ { pd = $2 }
            END { printf "  child %-7s Rss %6.1f MB  Pss %6.1f MB  Private %6.1f MB\n",
                  pid, rss / 1024, pss / 1024, (pc + pd) / 1024 }' "/proc/$c/smaps_rollup"
    done
    "$HTTPD" -f "$W/$name/httpd.conf" -k stop
    while kill -0 "$ppid" 2>/dev/null; do sleep 0.05; done
}

echo
run_httpd baseline ""
run_httpd certauthz-list "CertAuthzRevocationFile \"$W/list.txt\""
run_httpd certauthz-crl "CertAuthzRevocationFile \"$W/crl.der\""
run_httpd modssl-crl "SSLCARevocationFile \"$W/crl.pem\"
SSLCARevocationCheck chain"
