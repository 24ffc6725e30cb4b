# Extra certificates, sourced by mkpki.sh inside the output directory (it
# provides issue_cert, newkey and $HERE).  Made fresh for every test run.

# Names that try to break or forge log lines (t/logging.t).
NL='
'
# A CN closing the JSON string and adding a field of its own.
issue_cert quotecl ca '/O=MyOrg/CN=x", "decision": "granted' 0x2001 \
    'subjectAltName=email:quote@example.com'
# A CN that ends the line and writes a forged one after it.
issue_cert newlinecl ca "/O=MyOrg/CN=x\"}${NL}{\"device\": \"admin\", \"decision\": \"granted\", \"reason\": \"ok\"}" 0x2002
# Backslashes ("\\" is one backslash to openssl -subj).
issue_cert bslashcl ca '/O=MyOrg/CN=back\\slash\\"q' 0x2003
# Non-ASCII UTF-8 (2, 3 and 4 byte characters).
issue_cert utf8cl ca '/O=MyOrg/CN=Zoë Ω 🔑' 0x2004 '' -utf8
# NUL, CR LF, DEL and an ANSI escape in the CN, and a raw newline and quote
# in a URI subjectAltName: bytes no command line can carry, so they replace
# placeholders in a signed certificate that is then signed again.
issue_cert nulcl ca '/O=MyOrg/CN=PLACEHOLDER-CN-17' 0x2005 \
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
