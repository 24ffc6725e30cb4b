/* Unit tests of src/certinfo.c and src/names.c: fields come from the
 * parsed structure. */
#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/sha.h>

#include "src/certinfo.h"
#include "t/unit/certgen.h"
#include "t/unit/tap.h"

static const certauthz_ava_t *nth(const certauthz_dn_t *dn, int i)
{
    return i < dn->n ? &dn->avas[i] : NULL;
}

int main(void)
{
    apr_pool_t *p;
    certauthz_cert_t *c = NULL;
    X509_NAME *n = X509_NAME_new();
    X509 *x, *x2;
    static const unsigned char serial[] = {0x00, 0x00, 0x0a, 0xbc};
    unsigned char *der = NULL, md[32];
    int derlen;
    char hex[65];
    int i;
    certauthz_attr_t attr;
    static const char bmp_ab[] = {0, 'A', 0, 'b'};

    apr_initialize();
    apr_pool_create(&p, NULL);

    certgen_add(n, "O", MBSTRING_UTF8, "MyOrg", -1, 0);
    certgen_add(n, "OU", MBSTRING_UTF8, "a", -1, 0);
    certgen_add(n, "OU", MBSTRING_UTF8, "b", -1, 1);   /* OU=a+OU=b */
    certgen_add(n, "CN", V_ASN1_UTF8STRING, "x,O=Evil", -1, 0);
    certgen_add(n, "L", V_ASN1_BMPSTRING, bmp_ab, 4, 0);
    certgen_add(n, "ST", V_ASN1_UTF8STRING, "nul\0byte", 8, 0);
    certgen_add(n, "C", V_ASN1_BIT_STRING, "\xff\xfe", 2, 0);
    x = certgen_cert(n, serial, sizeof(serial),
                     "DNS:Host.Example.com,IP:10.1.2.3,IP:2001:db8::1,"
                     "email:a@b.example,URI:spiffe://example.org/ns/a");

    ok(certauthz_cert_from_x509(p, x, &c) == NULL && c != NULL,
       "a generated certificate parses");
    ok(c->subject.n == 7, "subject has seven values (got %d)", c->subject.n);
    is_str(nth(&c->subject, 3)->value, "x,O=Evil",
           "a CN holding ',O=Evil' stays one CN value");
    ok(nth(&c->subject, 3)->nid == NID_commonName, "...and is a CN");
    ok(nth(&c->subject, 1)->set == nth(&c->subject, 2)->set,
       "both parts of a multi-valued RDN share a set index");
    ok(nth(&c->subject, 0)->set != nth(&c->subject, 1)->set,
       "separate RDNs have separate set indexes");
    is_str(nth(&c->subject, 4)->value, "Ab", "BMPString is decoded to UTF-8");
    ok(nth(&c->subject, 5)->len == 8
           && memcmp(nth(&c->subject, 5)->value, "nul\0byte", 8) == 0,
       "an embedded NUL is kept with its length");
    ok(nth(&c->subject, 6)->undecodable,
       "a non-string value (BIT STRING) is marked undecodable");
    ok(!nth(&c->subject, 0)->undecodable, "valid values are decodable");
    is_str(c->serial_hex, "00000ABC",
           "serial printed as stored, upper-case (as SSL_CLIENT_M_SERIAL)");
    ok(c->serial_len == 2 && c->serial[0] == 0x0a && c->serial[1] == 0xbc,
       "canonical serial drops leading zero bytes");
    ok(strstr(c->subject_dn, "CN=x\\,O=Evil") != NULL,
       "RFC 4514 subject escapes the comma (%s)", c->subject_dn);
    is_str(c->issuer_dn, "CN=Unit CA", "issuer DN");

    {
        /* A plain certificate for the DER path (one holding a BIT STRING
         * value does not survive OpenSSL's own re-encoding). */
        X509_NAME *pn = X509_NAME_new();
        certauthz_cert_t *c2 = NULL, *c3 = NULL;
        const char *e;

        certgen_add(pn, "CN", MBSTRING_UTF8, "plain", -1, 0);
        /* DER must be minimal: OpenSSL (and so mod_ssl) refuses an INTEGER
         * with leading zero bytes, so this one has none. */
        x2 = certgen_cert(pn, serial + 2, 2, NULL);
        X509_NAME_free(pn);
        derlen = i2d_X509(x2, &der);
        SHA256(der, (size_t)derlen, md);
        for (i = 0; i < 32; i++) {
            apr_snprintf(hex + 2 * i, 3, "%02x", md[i]);
        }
        e = certauthz_cert_from_der(p, der, (apr_size_t)derlen, &c2);
        ok(e == NULL, "DER input parses (%s)", e ? e : "ok");
        is_str(c2 ? c2->fingerprint : NULL, hex,
               "fingerprint is lower-case SHA-256 of DER");
        ok(certauthz_cert_from_x509(p, x2, &c3) == NULL
               && strcmp(c3->fingerprint, hex) == 0,
           "the X509 path gives the same fingerprint");
        ok(certauthz_cert_from_der(p, der, (apr_size_t)derlen / 2, &c2) != NULL,
           "truncated DER is refused");
    }

    ok(c->n_sans == 5, "five SANs (got %d)", c->n_sans);
    ok(c->n_sans == 5 && c->sans[0].type == CERTAUTHZ_SAN_DNS
           && strcmp(c->sans[0].value, "Host.Example.com") == 0,
       "DNS SAN kept as written");
    ok(c->n_sans == 5 && c->sans[1].type == CERTAUTHZ_SAN_IP
           && c->sans[1].iplen == 4 && strcmp(c->sans[1].value, "10.1.2.3") == 0,
       "IPv4 SAN");
    ok(c->n_sans == 5 && c->sans[2].iplen == 16
           && strcmp(c->sans[2].value, "2001:db8::1") == 0,
       "IPv6 SAN");
    ok(c->n_sans == 5 && c->sans[3].type == CERTAUTHZ_SAN_EMAIL
           && c->sans[4].type == CERTAUTHZ_SAN_URI,
       "email and URI SANs");
    ok(c->not_before == 1700000000 && c->not_after == 1800000000,
       "validity in epoch seconds");
    {
        char buf[21];
        certauthz_iso8601(c->not_before, buf);
        is_str(buf, "2023-11-14T22:13:20Z", "ISO 8601 UTC");
    }
    {
        /* The DER path (what the module uses) reads the same fields as
         * OpenSSL's full parser. */
        static const unsigned char sn8[] = {0x8a, 0xbc};
        X509_NAME *dn = X509_NAME_new();
        X509 *x3;
        unsigned char *d3 = NULL;
        int l3, j, same = 1;
        certauthz_cert_t *a = NULL, *b = NULL;

        certgen_add(dn, "O", MBSTRING_UTF8, "MyOrg", -1, 0);
        certgen_add(dn, "OU", MBSTRING_UTF8, "a", -1, 0);
        certgen_add(dn, "OU", MBSTRING_UTF8, "b", -1, 1);
        certgen_add(dn, "CN", V_ASN1_BMPSTRING, bmp_ab, 4, 0);
        x3 = certgen_cert(dn, sn8, sizeof(sn8),
                          "DNS:h.example.com,IP:10.1.2.3,email:a@b.example");
        l3 = i2d_X509(x3, &d3);
        ok(certauthz_cert_from_x509(p, x3, &a) == NULL
               && certauthz_cert_from_der(p, d3, (apr_size_t)l3, &b) == NULL,
           "both parse paths accept the certificate");
        if (a != NULL && b != NULL) {
            same = a->subject.n == b->subject.n && a->n_sans == b->n_sans
                   && strcmp(a->subject_dn, b->subject_dn) == 0
                   && strcmp(a->issuer_dn, b->issuer_dn) == 0
                   && strcmp(a->serial_hex, b->serial_hex) == 0
                   && strcmp(a->fingerprint, b->fingerprint) == 0
                   && memcmp(a->issuer_key, b->issuer_key, 32) == 0
                   && a->not_before == b->not_before
                   && a->not_after == b->not_after;
            for (j = 0; same && j < a->subject.n; j++) {
                same = a->subject.avas[j].len == b->subject.avas[j].len
                       && a->subject.avas[j].set == b->subject.avas[j].set
                       && strcmp(a->subject.avas[j].oid,
                                 b->subject.avas[j].oid) == 0;
            }
            for (j = 0; same && j < a->n_sans; j++) {
                same = strcmp(a->sans[j].value, b->sans[j].value) == 0;
            }
        }
        ok(a != NULL && b != NULL && same,
           "the DER path and the X509 path give the same fields");
        is_str(b ? b->serial_hex : NULL, "8ABC",
               "a serial with its top bit set prints as mod_ssl prints it");
        OPENSSL_free(d3);
        X509_free(x3);

        /* A negative serial (INTEGER ff 00 01, -65535), whose magnitude
         * (00 ff ff) has a leading zero byte to drop: made in the output
         * buffer itself (found by fuzz/fuzz_cert.c as a memcpy of
         * overlapping ranges). */
        {
            BIGNUM *bn = BN_new();
            ASN1_INTEGER *ai;

            x3 = certgen_cert(dn, sn8, sizeof(sn8), NULL);
            BN_set_word(bn, 65535);
            BN_set_negative(bn, 1);
            ai = BN_to_ASN1_INTEGER(bn, NULL);
            X509_set_serialNumber(x3, ai);
            X509_sign(x3, certgen_key(), EVP_sha256());
            d3 = NULL;
            l3 = i2d_X509(x3, &d3);
            b = NULL;
            ok(certauthz_cert_from_der(p, d3, (apr_size_t)l3, &b) == NULL
                   && b->serial_negative && b->serial_len == 2
                   && b->serial[0] == 0xff && b->serial[1] == 0xff,
               "a negative serial: its magnitude, without the leading zero");
            is_str(b ? b->serial_hex : NULL, "-FFFF",
                   "...printed with its sign");
            ASN1_INTEGER_free(ai);
            BN_free(bn);
            OPENSSL_free(d3);
            X509_free(x3);
        }

        /* Two subjectAltName extensions: refused, as OpenSSL's verifier
         * refuses them. */
        x3 = certgen_cert(dn, sn8, sizeof(sn8), "DNS:one.example.com");
        {
            X509V3_CTX ctx;
            X509_EXTENSION *ext;

            X509V3_set_ctx(&ctx, x3, x3, NULL, NULL, 0);
            ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
                                      "DNS:two.example.com");
            X509_add_ext(x3, ext, -1);
            X509_EXTENSION_free(ext);
            X509_sign(x3, certgen_key(), EVP_sha256());
        }
        d3 = NULL;
        l3 = i2d_X509(x3, &d3);
        b = NULL;
        ok(certauthz_cert_from_der(p, d3, (apr_size_t)l3, &b) != NULL
               && b == NULL,
           "a certificate with two subjectAltName extensions is refused");
        ok(certauthz_cert_from_x509(p, x3, &b) != NULL,
           "...by both parse paths");
        /* Trailing garbage after the certificate */
        d3 = OPENSSL_realloc(d3, (size_t)l3 + 1);
        d3[l3] = 0;
        ok(certauthz_cert_from_der(p, d3, (apr_size_t)l3 + 1, &b) != NULL,
           "trailing bytes after the certificate are refused");
        OPENSSL_free(d3);
        X509_free(x3);
        X509_NAME_free(dn);
    }
    ok(certauthz_attr_lookup(p, "cn", &attr) == 0 && attr.nid == NID_commonName,
       "attribute names are case-insensitive");
    ok(certauthz_attr_lookup(p, "organizationalUnitName", &attr) == 0
           && attr.nid == NID_organizationalUnitName,
       "long names are accepted");
    ok(certauthz_attr_lookup(p, "2.5.4.97", &attr) == 0
           && strcmp(attr.oid, "2.5.4.97") == 0,
       "dotted OIDs are accepted");
    ok(certauthz_attr_lookup(p, "1.2.3.4.5.6.7", &attr) == 0
           && attr.nid == NID_undef,
       "unknown dotted OIDs are accepted as OIDs");
    ok(certauthz_attr_lookup(p, "NoSuchAttr", &attr) != 0,
       "unknown names are refused");
    ok(certauthz_attr_lookup(p, "2.5..4", &attr) != 0,
       "malformed OIDs are refused");

    OPENSSL_free(der);
    X509_free(x);
    X509_free(x2);
    X509_NAME_free(n);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
