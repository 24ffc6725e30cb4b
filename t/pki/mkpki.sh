#!/bin/sh
# Generate the test PKI into DIR (default t/pki/out).  Nothing here is
# committed: every key is made fresh for each test run.
#
#   ca       trusted CA "Test Root CA"
#   ca2      second trusted CA "Second Root CA"
#   rogue    CA the server does not trust ("Rogue CA", same names as ca)
#   server   localhost (DNS:localhost, IP:127.0.0.1), issued by ca
#   client   CN=client1, O=MyOrg, OU=Devices, issued by ca
#   client2  CN=client2, O=OtherOrg, issued by ca2
#   roguecl  CN=client1, O=MyOrg, OU=Devices, issued by rogue
#
# Further certificates are added with issue_cert (see below); a test's
# extra certificates live in t/pki/certs.sh so this file stays the base.
set -eu
OUT=${1:-t/pki/out}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
cd "$OUT"
umask 022

SERIAL_SEQ=61440  # 0xF000: automatic serials stay clear of the explicit ones

newkey() {
    [ -f "$1.key" ] || openssl genpkey -algorithm EC \
        -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
}

# make_ca NAME SUBJECT
make_ca() {
    newkey "$1"
    openssl req -x509 -new -key "$1.key" -subj "$2" -days 3650 -sha256 \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$1.crt" 2>/dev/null
}

# issue_cert NAME ISSUER SUBJECT [SERIAL] [EXTENSIONS] [REQ-OPTIONS...]
#   SUBJECT is an openssl -subj string (use -multivalue-rdn style '+').
#   EXTENSIONS is the body of an extensions section (newline separated).
#   Extra req options (e.g. -utf8, or "-config FILE") follow.
issue_cert() {
    name=$1 issuer=$2 subj=$3
    serial=${4:-}
    ext=${5:-}
    shift 3
    [ $# -gt 0 ] && shift
    [ $# -gt 0 ] && shift
    if [ -z "$serial" ]; then
        SERIAL_SEQ=$((SERIAL_SEQ + 1))
        serial=$(printf '0x%X' "$SERIAL_SEQ")
    fi
    newkey "$name"
    openssl req -new -key "$name.key" -subj "$subj" -multivalue-rdn "$@" \
        -out "$name.csr" 2>/dev/null
    {
        echo "[ext]"
        echo "basicConstraints=CA:FALSE"
        echo "keyUsage=critical,digitalSignature"
        echo "extendedKeyUsage=clientAuth,serverAuth"
        [ -n "$ext" ] && printf '%s\n' "$ext"
    } > "$name.ext"
    openssl x509 -req -in "$name.csr" -CA "$issuer.crt" -CAkey "$issuer.key" \
        -set_serial "$serial" -days 825 -sha256 -extfile "$name.ext" \
        -extensions ext -out "$name.crt" 2>/dev/null
    rm -f "$name.csr"
}

make_ca ca "/C=US/O=Test PKI/CN=Test Root CA"
make_ca ca2 "/C=US/O=Test PKI/CN=Second Root CA"
make_ca rogue "/C=US/O=Test PKI/CN=Test Root CA"
cat ca.crt ca2.crt > trusted.pem

issue_cert server ca "/CN=localhost" 0x1000 \
    "subjectAltName=DNS:localhost,IP:127.0.0.1"
issue_cert client ca "/C=US/O=MyOrg/OU=Devices/CN=client1" 0x1001 \
    "subjectAltName=email:client1@example.com"
issue_cert client2 ca2 "/O=OtherOrg/CN=client2" 0x1002
issue_cert roguecl rogue "/C=US/O=MyOrg/OU=Devices/CN=client1" 0x1001

if [ -f "$HERE/certs.sh" ]; then
    . "$HERE/certs.sh"
fi
touch .done
