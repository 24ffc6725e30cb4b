#!/bin/sh
# Generate the seed corpora of the fuzz targets into DIR (default
# build/fuzz/seeds), one directory per target, from openssl and printf:
# nothing binary is committed, and every seed's origin is this file.
#
#   cert         certificates (DER and PEM): string types, multi-valued RDNs, SANs
#   attr         attribute names and OIDs
#   rule         Require arguments (first byte: provider; then one word a line)
#   hexid        serials and fingerprints as administrators write them
#   revocation   plain lists, index.txt of `openssl ca`, PEM and DER CRLs
#   json         certificates for the log encoder (same as cert)
#   name         names: first byte odd, then [attribute][type][length][value]
#   revindex     compiled indexes: first byte odd, then (offset, byte)
#                mutations of a real index; even, a file as it comes
set -eu
OUT=${1:-build/fuzz/seeds}
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
for t in cert attr rule hexid revocation json name revindex; do
    mkdir -p "$OUT/$t"
done
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
cd "$WORK"

key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$1" 2>/dev/null
}

# A small CA run by `openssl ca`, so that index.txt and the CRLs are the
# real thing.
key ca.key
openssl req -x509 -new -key ca.key -subj "/C=US/O=Fuzz PKI/CN=Fuzz CA" \
    -days 30 -out ca.crt 2>/dev/null
mkdir -p db/new
: > db/index.txt
echo 1000 > db/serial
echo 1000 > db/crlnumber
cat > ca.cnf <<CNF
[ca]
default_ca = fuzz
[fuzz]
dir = $WORK/db
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = $WORK/ca.crt
private_key = $WORK/ca.key
default_md = sha256
default_days = 30
default_crl_days = 7
policy = any
unique_subject = no
copy_extensions = copy
[any]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional
emailAddress = optional
CNF

# cert NAME SUBJECT [SAN] [extra req options]
cert() {
    name=$1 subj=$2 san=${3:-}
    shift 2
    [ $# -gt 0 ] && shift
    key "$name.key"
    if [ -n "$san" ]; then
        set -- "$@" -addext "subjectAltName=$san"
    fi
    openssl req -new -key "$name.key" -subj "$subj" -multivalue-rdn "$@" \
        -out "$name.csr" 2>/dev/null
    openssl ca -batch -config ca.cnf -preserveDN -in "$name.csr" \
        -out "$name.crt" -notext 2>/dev/null
    openssl x509 -in "$name.crt" -outform DER -out "$OUT/cert/$name.der"
    openssl x509 -in "$name.crt" -out "$OUT/cert/$name.pem"
    cp "$OUT/cert/$name.der" "$OUT/json/$name.der"
}

cert plain "/C=US/O=MyOrg/OU=Devices/CN=client1" \
    "email:client1@example.com,DNS:host.example.com,IP:10.1.2.3"
cert multi "/O=MyOrg/OU=a+OU=b/CN=x\\,O=Evil" \
    "URI:spiffe://example.org/ns/prod/sa/x,IP:2001:db8::1"
cert utf8 "$(printf '/CN=\303\251t\303\251/O=Soci\303\251t\303\251')" \
    "DNS:*.example.com" -utf8
# string_mask=default: a non-Latin-1 value becomes a BMPString, a Latin-1
# one a T61String.
printf '[req]\ndistinguished_name=dn\nstring_mask=default\n[dn]\n' > bmp.cnf
cert bmp "$(printf '/CN=\316\251mega/L=M\303\274nchen')" "" -utf8 -config bmp.cnf
cert oid "/2.5.4.97=VATDE-123/serialNumber=42/DC=example/DC=org/UID=u1"
cert many "/OU=1/OU=2/OU=3/OU=4/OU=5/OU=6/OU=7/OU=8/CN=many" \
    "DNS:a.example,DNS:b.example,DNS:c.example,email:a@b.example,URI:x:y"
openssl x509 -in ca.crt -outform DER -out "$OUT/cert/ca.der"

# Revoke two of them so that index.txt has R lines and the CRL entries.
openssl ca -batch -config ca.cnf -revoke plain.crt -crl_reason keyCompromise \
    2>/dev/null
openssl ca -batch -config ca.cnf -revoke multi.crt 2>/dev/null
openssl ca -batch -config ca.cnf -gencrl -out crl.pem 2>/dev/null
cp crl.pem "$OUT/revocation/crl.pem"
openssl crl -in crl.pem -outform DER -out "$OUT/revocation/crl.der"
cp db/index.txt "$OUT/revocation/index.txt"
# An empty CRL and two CRLs in one file.
: > db/index.txt
openssl ca -batch -config ca.cnf -gencrl -out empty.pem 2>/dev/null
cat crl.pem empty.pem > "$OUT/revocation/two.pem"
printf '# revoked devices\n1001\n0x1002\n00:10:03\n\nsha256:%s\n' \
    "$(openssl x509 -in plain.crt -outform DER | openssl dgst -sha256 -r \
        | cut -c1-64)" > "$OUT/revocation/plain.txt"
printf 'DEADBEEF  # trailing comment\r\nsha256:%s\r\n' \
    "$(openssl x509 -in multi.crt -noout -fingerprint -sha256 | cut -d= -f2)" \
    > "$OUT/revocation/crlf.txt"

# Serials and fingerprints.
i=0
for s in 1 01 0x01 00:01 0X1a:2B DEADBEEF 0 00 "" 0x "1::2" ":1" "1:" \
    7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF g1 " 1" \
    "sha256:$(printf a | openssl dgst -sha256 -r | cut -c1-64)" \
    "$(openssl x509 -in plain.crt -noout -fingerprint -sha256 | cut -d= -f2)" \
    "SHA256:$(printf b | openssl dgst -sha256 -r | cut -c1-64)" \
    "sha1:$(printf c | openssl dgst -sha1 -r | cut -c1-40)"; do
    printf '%s' "$s" > "$OUT/hexid/$i"
    i=$((i + 1))
done

# Attribute names and OIDs.
i=0
for a in CN cn commonName COMMONNAME emailAddress OU organizationalUnitName \
    2.5.4.3 2.5.4.97 1.2.840.113549.1.9.1 0.0 2.999.1 \
    99999999999999999999999.1 1. .1 1..2 DC UID serialNumber title x; do
    printf '%s' "$a" > "$OUT/attr/$i"
    i=$((i + 1))
done

# Require arguments: the first byte is the provider, in the order of
# certauthz_rule_kind_e (valid, subject, issuer, serial, fingerprint, san).
rule() {
    printf "$1" > "$OUT/rule/$2"
}
rule '\000' valid
rule '\000extra' valid-arg
rule '\001O=MyOrg\nCN~^client[0-9]+$' subject
rule '\001OU=a\nou=b\n2.5.4.97=VATDE-1' subject-multi
rule '\001CN~(' subject-badre
rule '\001nosuch=1' subject-badattr
rule '\001CN=x,O=MyOrg' subject-comma
rule '\002CN=Unit CA\nO~.' issuer
rule '\0031001\n0x01\n00:01\nDEADBEEF' serial
rule '\003zz' serial-bad
rule '\004sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' fp
rule '\004AB:CD' fp-short
rule '\005dns:*.example.com\nemail:*@example.com\nuri:spiffe://example.org/ns/prod/*\nip:10.0.0.0/8\nip:2001:db8::/32' san
rule '\005ip:10.1.2.3\nip:::1/128\nemail:client1@example.com\ndns:host.example.com' san-exact
rule '\005ip:10.0.0.0/33\nfoo:bar\ndns:' san-bad

# Names described for fuzz_name: CN=client1,O=MyOrg; a CN holding ",O=MyOrg";
# OU=a+OU=b; a BMPString; leading '#' and trailing space.
printf '\001\000\000\007client1\001\001\005MyOrg' > "$OUT/name/plain"
printf '\001\000\000\010,O=MyOrg' > "$OUT/name/comma"
printf '\001\002\001\001a\202\001\001b' > "$OUT/name/multi"
printf '\001\000\005\004\000Z\000o' > "$OUT/name/bmp"
printf '\001\000\000\003#a \001\003\001 ' > "$OUT/name/edges"
# The same names again with variations for the second name (type byte
# bits: 0x10 spaces, 0x20 another string type, 0x40 ASCII case).
printf '\001\000\140\007Client1\001\061\005MyOrg' > "$OUT/name/vary"
printf '\001\002\121\001a\202\041\001B' > "$OUT/name/vary-multi"

# Indexes: untouched, the length cut, a slot and a header byte changed.
printf '\001' > "$OUT/revindex/good"
printf '\003\000\100' > "$OUT/revindex/short"
printf '\001\000\000\000\000\020\377\001\000\007' > "$OUT/revindex/bytes"
printf 'CAZRIDX1' > "$OUT/revindex/magic"
