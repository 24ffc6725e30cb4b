#!/bin/sh
# `make demo`: a demo CA, a client certificate (.p12 for a browser), and an
# httpd on 127.0.0.1 where one page answers 403 without a client certificate
# and 200 with one.  Runs until Ctrl-C, then stops its httpd.  Nothing
# outside the demo directory is touched; the system Apache is left alone.
#
#   scripts/demo.sh          run until Ctrl-C
#   scripts/demo.sh --check  start, check the printed curl lines, stop
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
APXS=${APXS:-$(command -v apxs || command -v apxs2)}
HTTPD=${HTTPD:-$("$APXS" -q SBINDIR)/$("$APXS" -q TARGET)}
LIBEXEC=$("$APXS" -q LIBEXECDIR)
MODE=${1:-run}

# A fresh world-readable directory: httpd's children (nobody, when started
# as root) must read the page.
D=$(mktemp -d /tmp/certauthz-demo.XXXXXX)
chmod 755 "$D"
mkdir -p "$D/htdocs" "$D/logs" "$D/pki"

# A free port on loopback, from 8443 up.
PORT=8443
while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
    PORT=$((PORT + 1))
done

cd "$D/pki"
umask 077
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -subj "/O=Demo Org/CN=Demo Device CA" \
    -days 30 -sha256 -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt 2>/dev/null
issue() { # NAME SUBJECT SERIAL EXT
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\n%s\n' "$4" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -set_serial "$3" \
        -days 30 -sha256 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}
issue server "/CN=localhost" 0x10 \
    "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
issue client "/O=Demo Org/OU=Laptops/CN=demo-laptop" 0x1001 \
    "extendedKeyUsage=clientAuth"
P12PASS=$(openssl rand -hex 6)
openssl pkcs12 -export -in client.crt -inkey client.key -certfile ca.crt \
    -name "demo-laptop" -passout "pass:$P12PASS" -out client.p12
umask 022
chmod 644 ca.crt client.crt client.p12

cat > "$D/htdocs/index.html" <<'HTML'
<!DOCTYPE html>
<html><head><title>mod_certauthz demo</title></head>
<body><h1>Welcome, device</h1>
<p>Your client certificate was verified and authorized by mod_certauthz.</p>
</body></html>
HTML

USERCONF=""
if [ "$(id -u)" = 0 ]; then
    USERCONF="User nobody
Group nogroup"
fi

cat > "$D/httpd.conf" <<CONF
ServerRoot "$D"
ServerName localhost
PidFile "$D/logs/httpd.pid"
Listen 127.0.0.1:$PORT
$USERCONF
LoadModule mpm_event_module "$LIBEXEC/mod_mpm_event.so"
LoadModule authn_core_module "$LIBEXEC/mod_authn_core.so"
LoadModule authz_core_module "$LIBEXEC/mod_authz_core.so"
LoadModule mime_module "$LIBEXEC/mod_mime.so"
LoadModule dir_module "$LIBEXEC/mod_dir.so"
LoadModule socache_shmcb_module "$LIBEXEC/mod_socache_shmcb.so"
LoadModule ssl_module "$LIBEXEC/mod_ssl.so"
LoadModule certauthz_module "$TOP/.libs/mod_certauthz.so"
TypesConfig /dev/null
AddType text/html .html
DirectoryIndex index.html
ErrorLog "$D/logs/error_log"
LogLevel warn certauthz:info
LogFormat "%h %u %t \"%r\" %>s" demo
CustomLog "$D/logs/access_log" demo
SSLSessionCache "shmcb:$D/logs/ssl_scache(512000)"
DocumentRoot "$D/htdocs"
<Directory "$D/htdocs">
    Require all granted
</Directory>
<VirtualHost 127.0.0.1:$PORT>
    SSLEngine on
    SSLCertificateFile "$D/pki/server.crt"
    SSLCertificateKeyFile "$D/pki/server.key"
    SSLCACertificateFile "$D/pki/ca.crt"
    # Ask for a certificate but let the request reach authorization, so a
    # device without one gets a 403 page rather than a failed handshake.
    SSLVerifyClient optional
    SSLVerifyDepth 1
    <Location />
        Require cert-valid
    </Location>
</VirtualHost>
CONF

"$HTTPD" -t -f "$D/httpd.conf" >/dev/null 2>&1 || "$HTTPD" -t -f "$D/httpd.conf"
"$HTTPD" -f "$D/httpd.conf" -DFOREGROUND &
HPID=$!
cleanup() {
    kill "$HPID" 2>/dev/null || true
    wait "$HPID" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM

i=0
until curl -s -o /dev/null --cacert "$D/pki/ca.crt" "https://localhost:$PORT/"; do
    i=$((i + 1))
    if [ $i -gt 50 ]; then
        echo "demo: httpd did not start; see $D/logs/error_log" >&2
        cat "$D/logs/error_log" >&2 || true
        exit 1
    fi
    sleep 0.1
done

NOCERT="curl -s -o /dev/null -w '%{http_code}\\n' --cacert $D/pki/ca.crt https://localhost:$PORT/"
WITHCERT="curl -s -o /dev/null -w '%{http_code}\\n' --cacert $D/pki/ca.crt --cert $D/pki/client.crt --key $D/pki/client.key https://localhost:$PORT/"
got403=$(eval "$NOCERT")
got200=$(eval "$WITHCERT")

cat <<TXT

mod_certauthz demo: https://localhost:$PORT/  (files in $D)

Without a client certificate (prints $got403):
  $NOCERT

With the demo device certificate (prints $got200):
  $WITHCERT

In a browser: trust $D/pki/ca.crt as a CA, then import
  $D/pki/client.p12   password: $P12PASS
and open https://localhost:$PORT/ (macOS and older Windows want a -legacy
.p12: openssl pkcs12 -export -legacy ...).

Logs: $D/logs/error_log (denials at info, with their reason)
TXT

if [ "$got403" != 403 ] || [ "$got200" != 200 ]; then
    echo "demo: unexpected status codes ($got403, $got200)" >&2
    exit 1
fi
if [ "$MODE" = "--check" ]; then
    echo "demo: check passed"
    cleanup
    rm -rf "$D"
    exit 0
fi
echo "Press Ctrl-C to stop."
wait "$HPID"
