# Extra certificates, sourced by t/pki/mkpki.sh inside the output directory
# (issue_cert and the base PKI are available).  One section per feature.

# ---- rules (t/rules.t, t/conf/features/rules.conf.in) ----------------------
# Serials 0x2001... are explicit: mkpki.sh's automatic sequence starts at the
# base certificates' serials (0x1001...), and a CA never reuses a serial.

# Subject DNs that a flattened-string parser would get wrong: no real O, and
# three CNs that look like they carry one.
issue_cert rules-evil ca \
    '/C=US/OU=Devices/CN=x,O=MyOrg/CN=y\/O=MyOrg/CN=z\+O=MyOrg' 0x2001
# A multi-valued RDN OU=a+OU=b and a second OU RDN.
issue_cert rules-multi ca '/O=MyOrg/OU=a+OU=b/OU=c/CN=multi' 0x2002
# The same text in three ASN.1 string types, chosen by string_mask: default
# (PrintableString, and T61String for the non-ASCII O), UTF8String, BMPString.
rules_serial=2003
for rules_t in default:print utf8only:utf8 MASK:0x800:bmp; do
    rules_mask=${rules_t%:*}
    printf '[req]\ndistinguished_name=dn\nstring_mask=%s\n[dn]\n' \
        "$rules_mask" > "rules-mask-${rules_t##*:}.cnf"
    issue_cert "rules-t${rules_t##*:}" ca '/O=Société/OU=Devices/CN=types' \
        "0x$rules_serial" '' -utf8 -config "rules-mask-${rules_t##*:}.cnf"
    rules_serial=$((rules_serial + 1))
done
# A 20-byte serial.
issue_cert rules-long ca '/O=MyOrg/CN=long' 0x7F0102030405060708090A0B0C0D0E0F101112FF
# subjectAltNames of every type, with an upper-case DNS name, a name two
# labels below example.org, an IPv6 and an IPv4-mapped IPv6 address.
issue_cert rules-san ca '/O=MyOrg/CN=san' 0x2006 \
    'subjectAltName=DNS:Host.Example.COM,DNS:a.b.example.org,email:Alice@Example.COM,URI:spiffe://example.org/ns/prod/sa/web,IP:10.1.2.3,IP:2001:db8::5,IP:::ffff:192.168.0.1'
# The client certificate's twin from the untrusted CA: same subject, issuer
# name, serial and SAN.
issue_cert rules-rogue rogue '/C=US/O=MyOrg/OU=Devices/CN=client1' 0x1001 \
    'subjectAltName=email:client1@example.com'

# Fingerprints are only known now: hand them to the configuration as Defines.
rules_fp() {
    openssl x509 -in "$1.crt" -noout -fingerprint -sha256 | sed 's/^.*=//'
}
{
    echo "Define RULES_FP_CLIENT $(rules_fp client | tr -d : | tr 'A-F' 'a-f')"
    echo "Define RULES_FP_CLIENT_COLONS $(rules_fp client)"
    echo "Define RULES_FP_ROGUE $(rules_fp rules-rogue)"
} > rules-defines.conf

# ---- logging (t/logging.t, t/conf/features/logging.conf.in) ----------------
# Serials 0x3001...

# Names that try to break or forge log lines (t/logging.t).
NL='
'
# A CN closing the JSON string and adding a field of its own.
issue_cert quotecl ca '/O=MyOrg/CN=x", "decision": "granted' 0x3001 \
    'subjectAltName=email:quote@example.com'
# A CN that ends the line and writes a forged one after it.
issue_cert newlinecl ca "/O=MyOrg/CN=x\"}${NL}{\"device\": \"admin\", \"decision\": \"granted\", \"reason\": \"ok\"}" 0x3002
# Backslashes ("\\" is one backslash to openssl -subj).
issue_cert bslashcl ca '/O=MyOrg/CN=back\\slash\\"q' 0x3003
# Non-ASCII UTF-8 (2, 3 and 4 byte characters).
issue_cert utf8cl ca '/O=MyOrg/CN=Zoë Ω 🔑' 0x3004 '' -utf8
# NUL, CR LF, DEL and an ANSI escape in the CN, and a raw newline and quote
# in a URI subjectAltName: bytes no command line can carry, so they replace
# placeholders in a signed certificate that is then signed again.
issue_cert nulcl ca '/O=MyOrg/CN=PLACEHOLDER-CN-17' 0x3005 \
    'subjectAltName=URI:http://x/PLACEHOLDER-URI'
openssl x509 -in nulcl.crt -outform DER -out nulcl.der
perl "$HERE/resign.pl" nulcl.der nulcl.resigned ca.key \
    PLACEHOLDER-CN-17 "$(printf 'nul\000cr\r\n\177\033[31mEND' | od -An -tx1 | tr -d ' \n')" \
    PLACEHOLDER-URI "$(printf 'a\n"b"}\\{"x":11}' | od -An -tx1 | tr -d ' \n')"
openssl x509 -in nulcl.resigned -inform DER -out nulcl.crt
rm -f nulcl.der nulcl.resigned

# Every CertAuthzDeviceId source: two CNs (the first is the device), every
# SAN type, a serial whose top bit is set (DER adds a zero byte).
issue_cert devcl ca '/C=US/O=MyOrg/OU=Devices/CN=first/CN=second' 0xABCDEF \
    'subjectAltName=DNS:dev.example.com,URI:spiffe://example.org/dev/1,email:dev@example.com,DNS:second.example.com'

# ---- revocation (t/revocation.t, t/conf/features/revocation.conf.in) --------
# Serials 0x4001...
#   rv_crl     ca,  0x4001  revoked by ca's CRL (rev-crl.pem, rev-stale.pem)
#   rv_ca2same ca2, 0x4001  same serial, other CA: never revoked
#   rv_der     ca2, 0x4006  revoked by ca2's DER CRL (rev-ca2.der)
#   rv_idx     ca,  0x4003  revoked in a real `openssl ca` database
#   rv_list    ca,  0x4002  revoked in the plain list
#   rv_fp      ca,  0x4004  revoked by fingerprint in the plain list
#   rv_reload  ca,  0x4005  revoked only by the files the test writes

issue_cert rv_crl ca "/O=MyOrg/CN=rv-crl" 0x4001
issue_cert rv_ca2same ca2 "/O=MyOrg/CN=rv-ca2same" 0x4001
issue_cert rv_der ca2 "/O=MyOrg/CN=rv-der" 0x4006
issue_cert rv_idx ca "/O=MyOrg/CN=rv-idx" 0x4003
issue_cert rv_list ca "/O=MyOrg/CN=rv-list" 0x4002
issue_cert rv_fp ca "/O=MyOrg/CN=rv-fp" 0x4004
issue_cert rv_reload ca "/O=MyOrg/CN=rv-reload" 0x4005

# rev_ca_db NAME: an `openssl ca` configuration with an empty database.
rev_ca_db() {
    mkdir -p "db-$1"
    : > "db-$1/index.txt"
    echo 1000 > "db-$1/crlnumber"
    cat > "db-$1/ca.cnf" <<CNF
[ca]
default_ca = ca_default
[ca_default]
database = db-$1/index.txt
crlnumber = db-$1/crlnumber
default_md = sha256
default_crl_days = 30
CNF
}

# rev_revoke DB CA CERT: record CERT as revoked in DB (as an administrator
# would, with `openssl ca -revoke`).
rev_revoke() {
    openssl ca -config "db-$1/ca.cnf" -keyfile "$2.key" -cert "$2.crt" \
        -revoke "$3.crt" -crl_reason keyCompromise 2>/dev/null
}

# rev_gencrl DB CA OUT [openssl ca options]
rev_gencrl() {
    rev_db=$1 rev_ca=$2 rev_out=$3
    shift 3
    openssl ca -config "db-$rev_db/ca.cnf" -keyfile "$rev_ca.key" \
        -cert "$rev_ca.crt" -gencrl -out "$rev_out" "$@" 2>/dev/null
}

rev_ca_db crl
rev_revoke crl ca rv_crl
rev_gencrl crl ca rev-crl.pem
rev_gencrl crl ca rev-stale.pem -crl_lastupdate 20200101000000Z \
    -crl_nextupdate 20200201000000Z
# Same names as ca, another key: the signature does not verify.
rev_gencrl crl rogue rev-rogue-crl.pem

rev_ca_db ca2
rev_revoke ca2 ca2 rv_der
rev_gencrl ca2 ca2 rev-ca2.pem
openssl crl -in rev-ca2.pem -outform DER -out rev-ca2.der

# A real database: a valid certificate and a revoked one.
rev_ca_db idx
openssl ca -config db-idx/ca.cnf -keyfile ca.key -cert ca.crt \
    -valid client.crt 2>/dev/null
rev_revoke idx ca rv_idx
cp db-idx/index.txt rev-index.txt

rev_fingerprint=$(openssl x509 -in rv_fp.crt -outform DER | openssl dgst -sha256 -r | cut -c1-64)
cat > rev-list.txt <<LIST
# Revoked devices: one serial or sha256: fingerprint per line.

0x00:40:02     # rv_list, spelled with a prefix, colons and leading zeros
sha256:$rev_fingerprint
LIST

# Files the test rewrites; httpd's children (nobody) must read them.
mkdir -p rev
chmod 755 rev
printf '# nothing revoked yet\n' > rev/reload.txt
printf '# nothing revoked yet\n' > rev/restart.txt
cp rev-crl.pem rev/verify.pem

# ---- identity (t/reneg.t, t/h2.t, t/conf/features/identity.conf.in) --------
# Serials 0x5001...: a device revoked in id-revoked.txt, and one revoked by
# the CRL of id-crl.pem.
issue_cert id_revoked ca "/C=US/O=MyOrg/OU=Devices/CN=id-revoked" 0x5001
issue_cert id_crl ca "/C=US/O=MyOrg/OU=Devices/CN=id-crl" 0x5002
issue_cert id_other ca "/C=US/O=MyOrg/OU=Guests/CN=id-other" 0x5003 \
    'subjectAltName=DNS:guest.example.org,URI:spiffe://example.org/ns/dev/x'
printf '# revoked for the identity tests\n5001\n' > id-revoked.txt
rev_ca_db id
rev_revoke id ca id_crl
rev_gencrl id ca id-crl.pem
# A password file for the AuthType Basic beside CertAuthzUser (t/decision.t):
# user "admin", password "secret" (apr1 hash made by openssl).
printf 'admin:%s\n' "$(openssl passwd -apr1 secret)" > decision.htpasswd

# ---- the certauthz command (t/cli*.t, t/browser.t, features/cli.conf.in) ---
# CAs made by the command itself, as an administrator would; the server
# trusts them on the cli_* virtual hosts and reads their index.txt and
# crl.pem as revocation files.  Nothing in them is revoked yet: the tests
# revoke while the server runs.
CERTAUTHZ_BIN=$HERE/../../build/certauthz
if [ ! -x "$CERTAUTHZ_BIN" ]; then
    echo "mkpki: $CERTAUTHZ_BIN missing (make first)" >&2
    exit 1
fi
"$CERTAUTHZ_BIN" ca init cli-ca --org "CLI Org" --cn "CLI Test CA" \
    --no-passphrase >/dev/null
for cli_dev in dev-idx dev-crl dev-keep; do
    "$CERTAUTHZ_BIN" issue cli-ca "$cli_dev" --ou Devices \
        --email "$cli_dev@example.com" >/dev/null
done
# The browser's CA and device, with a .p12 password the test knows.
printf 'browser-p12-pass\n' > cli-p12-pass
"$CERTAUTHZ_BIN" ca init cli-browser --org "Browser Org" \
    --cn "Browser Test CA" --no-passphrase >/dev/null
"$CERTAUTHZ_BIN" issue cli-browser laptop-1 \
    --p12-passphrase-file cli-p12-pass >/dev/null

# ---- forwarding (t/forward.t, t/conf/features/forward.conf.in) -------------
# Serials 0x6001...: an intermediate CA under ca that the server does not
# hold (the client sends it), and a device under it; fw-leaf-chain.crt is
# what the client presents: the device's certificate, then the
# intermediate's.
newkey fw_inter
openssl req -new -key fw_inter.key -subj "/C=US/O=Test PKI/CN=Forward Intermediate CA" \
    -out fw_inter.csr 2>/dev/null
printf '[ext]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' \
    > fw_inter.ext
openssl x509 -req -in fw_inter.csr -CA ca.crt -CAkey ca.key -set_serial 0x6001 \
    -days 825 -sha256 -extfile fw_inter.ext -extensions ext -out fw_inter.crt 2>/dev/null
rm -f fw_inter.csr
issue_cert fw_leaf fw_inter "/C=US/O=MyOrg/OU=Devices/CN=fw-leaf" 0x6002
cat fw_leaf.crt fw_inter.crt > fw_leaf-chain.crt
cp fw_leaf.key fw_leaf-chain.key
# A CA, not a device: without its key no test presents it as a client
# certificate (t/cli_agree.t tries every certificate with a key).
rm -f fw_inter.key

# ---- report-only rules (t/reportonly.t, features/reportonly.conf.in) -------
# Serials 0x7001...: a device the old rule (O=MyOrg) refuses and the new
# one (OU=Devices) would let in.
issue_cert ro_new ca "/C=US/O=NewOrg/OU=Devices/CN=ro-new" 0x7001

# ---- revocation for a fleet (t/fleet.t, t/crlurl.t, features/fleet.conf.in)
# A CA of the command's: the tests revoke its devices in a Redis store and
# in CRLs a distribution point serves, while the servers run.  fleet-local
# is revoked by a local list only (what CertAuthzStoreUnavailable allow
# still enforces).
"$CERTAUTHZ_BIN" ca init fleet-ca --org "Fleet Org" --cn "Fleet Test CA" \
    --no-passphrase >/dev/null
for fleet_dev in fleet-a fleet-b fleet-c fleet-local fleet-url fleet-keep; do
    "$CERTAUTHZ_BIN" issue fleet-ca "$fleet_dev" --ou Devices >/dev/null
done
printf '# revoked on this host only\n%s\n' "$(openssl x509 -noout -serial \
    -in fleet-ca/devices/fleet-local.crt | cut -d= -f2)" > fleet-local.txt
