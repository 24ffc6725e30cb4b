#!/bin/sh
# `make demo`: a demo CA and a device certificate (.p12 for a browser) made
# by the certauthz command, and an httpd on 127.0.0.1 where a page answers
# 403 without a client certificate (with a page saying why) and 200 with
# one; it prints the certauthz revoke command to try.  Runs until Ctrl-C, then stops its httpd.  Nothing
# outside the demo directory is touched; the system Apache is left alone.
#
#   scripts/demo.sh          run until Ctrl-C
#   scripts/demo.sh --check  start, check the printed curl lines and the
#                            revocation, stop
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

CERTAUTHZ="$TOP/build/certauthz"
[ -x "$CERTAUTHZ" ] || { echo "demo: $CERTAUTHZ missing (make first)" >&2; exit 1; }

# The device CA and a device, made by the certauthz command.  The demo CA
# key is left unencrypted so that the printed commands run as they are;
# drop --no-passphrase for a real CA.
"$CERTAUTHZ" ca init "$D/ca" --org "Demo Org" --cn "Demo Device CA" \
    --no-passphrase >/dev/null
ISSUED=$("$CERTAUTHZ" issue "$D/ca" demo-laptop --ou Laptops)
P12PASS=$(printf '%s\n' "$ISSUED" | sed -n 's/^  p12 password: //p')

# The server's own certificate (certauthz issues device certificates
# only): signed by the same demo CA with openssl, so that one ca.crt is
# all a browser needs to trust.
cd "$D/pki"
umask 077
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key 2>/dev/null
openssl req -new -key server.key -subj "/CN=localhost" -out server.csr 2>/dev/null
printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA "$D/ca/ca.crt" -CAkey "$D/ca/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 30 -sha256 -extfile server.ext \
    -out server.crt 2>/dev/null
rm -f server.csr server.ext
umask 022
chmod 644 server.crt
mkdir -p "$D/htdocs/errors" "$D/htdocs/admin"
cp "$TOP/conf/error-403.shtml" "$D/htdocs/errors/403.shtml"
cp "$D/ca/ca.crt" "$D/htdocs/ca.crt"

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
LoadModule alias_module "$LIBEXEC/mod_alias.so"
LoadModule include_module "$LIBEXEC/mod_include.so"
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
    SSLCACertificateFile "$D/ca/ca.crt"
    # Ask for a certificate but let the request reach authorization, so a
    # device without one gets a 403 page rather than a failed handshake.
    SSLVerifyClient optional
    SSLVerifyDepth 1
    # The CA's CRL, re-read every second: certauthz revoke takes effect
    # without a restart.
    CertAuthzRevocationFile "$D/ca/crl.pem"
    CertAuthzRevocationCheckInterval 1
    # The 403 page tells the user why (CERTAUTHZ_REASON).
    CertAuthzExportVars On
    <Directory "$D/htdocs/errors">
        Options +Includes
        AddOutputFilter INCLUDES .shtml
    </Directory>
    ErrorDocument 403 /errors/403.shtml
    <Location />
        Require cert-valid
    </Location>
    <Location /errors/>
        Require all granted
    </Location>
    <Location /ca.crt>
        Require all granted
    </Location>
    <Location /admin>
        Require cert-subject OU=Admins
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
until curl -s -o /dev/null --cacert "$D/ca/ca.crt" "https://localhost:$PORT/"; do
    i=$((i + 1))
    if [ $i -gt 50 ]; then
        echo "demo: httpd did not start; see $D/logs/error_log" >&2
        cat "$D/logs/error_log" >&2 || true
        exit 1
    fi
    sleep 0.1
done

DEV="$D/ca/devices/demo-laptop"
NOCERT="curl -s -o /dev/null -w '%{http_code}\\n' --cacert $D/ca/ca.crt https://localhost:$PORT/"
WITHCERT="curl -s -o /dev/null -w '%{http_code}\\n' --cacert $D/ca/ca.crt --cert $DEV.crt --key $DEV.key https://localhost:$PORT/"
ADMIN="curl -s --cacert $D/ca/ca.crt --cert $DEV.crt --key $DEV.key https://localhost:$PORT/admin/"
PAGE="curl -s --cacert $D/ca/ca.crt https://localhost:$PORT/"
REVOKE="$CERTAUTHZ revoke $D/ca demo-laptop"
got403=$(eval "$NOCERT")
got200=$(eval "$WITHCERT")
page403=$(eval "$PAGE")
pageadmin=$(eval "$ADMIN")

cat <<TXT

mod_certauthz demo: https://localhost:$PORT/  (files in $D)

The CA and the device were made with:
  $CERTAUTHZ ca init $D/ca --org "Demo Org" --cn "Demo Device CA" --no-passphrase
  $CERTAUTHZ issue $D/ca demo-laptop --ou Laptops

Without a client certificate (prints $got403):
  $NOCERT
  (the page says why: $PAGE)

With the demo device certificate (prints $got200):
  $WITHCERT

A rule the device does not satisfy (Require cert-subject OU=Admins: 403,
"not allowed here"):
  $ADMIN

In a browser: trust $D/ca/ca.crt as a CA (it also signed the server's
certificate), then import
  $DEV.p12   password: $P12PASS
and open https://localhost:$PORT/ (macOS before 11 and older Windows want
a legacy .p12: $CERTAUTHZ issue $D/ca NAME --legacy).

Revoke the device; within about two seconds the server refuses it with
"this device was revoked" (no restart):
  $REVOKE
  $WITHCERT

Would a device pass a rule?  $CERTAUTHZ check $DEV.crt 'cert-subject OU=Laptops'
What does the server see?    $CERTAUTHZ inspect $DEV.crt

Logs: $D/logs/error_log (denials at info, with their reason)
TXT

if [ "$got403" != 403 ] || [ "$got200" != 200 ]; then
    echo "demo: unexpected status codes ($got403, $got200)" >&2
    exit 1
fi
if [ "$MODE" = "--check" ]; then
    case $page403 in
    *"No certificate was presented"*) ;;
    *) echo "demo: the 403 page does not explain a missing certificate" >&2; exit 1 ;;
    esac
    case $pageadmin in
    *"is not allowed here"*) ;;
    *) echo "demo: the 403 page does not say the device is not allowed: $pageadmin" >&2; exit 1 ;;
    esac
    eval "$REVOKE" >/dev/null
    i=0
    while [ "$(eval "$WITHCERT")" != 403 ]; do
        i=$((i + 1))
        if [ $i -gt 60 ]; then
            echo "demo: the revoked device still gets in after 6 s" >&2
            exit 1
        fi
        sleep 0.1
    done
    case $(curl -s --cacert "$D/ca/ca.crt" --cert "$DEV.crt" --key "$DEV.key" "https://localhost:$PORT/") in
    *"This device was revoked"*) echo "demo: revoked: 403, the page says the device was revoked" ;;
    *) echo "demo: the 403 page does not say the device was revoked" >&2; exit 1 ;;
    esac
    echo "demo: check passed"
    cleanup
    rm -rf "$D"
    exit 0
fi
echo "Press Ctrl-C to stop."
wait "$HPID"
