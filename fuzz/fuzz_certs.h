/*
 * fuzz_certs.h: a few parsed certificates with the shapes rules, revocation
 * lists and log encoders look at (several values of one attribute, a
 * multi-valued RDN, non-UTF-8 string types, every SAN type, a zero and a
 * 20-byte serial), built once per fuzzing process.  Fuzzing code only.
 */
#ifndef CERTAUTHZ_FUZZ_CERTS_H
#define CERTAUTHZ_FUZZ_CERTS_H

#include "fuzz/fuzz_common.h"
#include "src/certinfo.h"
#include "t/unit/certgen.h"

#define N_CERTS 3

static const certauthz_cert_t *certs[N_CERTS];

static void fuzz_make_certs(void)
{
    static apr_pool_t *keep;    /* lives as long as the fuzzing process */

    static const unsigned char s1[] = {0x10, 0x01}, s2[] = {0x00};
    static const unsigned char s3[] = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff};
    static const char bmp[] = {0, 'B', 0, 'm', 0, 'p'};
    X509_NAME *n[N_CERTS];
    X509 *x;
    certauthz_cert_t *c;
    int i;

    if (certs[0] != NULL) {
        return;
    }
    /* Call after fuzz_pool(), which creates fuzz_root. */
    apr_pool_create(&keep, fuzz_root);
    for (i = 0; i < N_CERTS; i++) {
        n[i] = X509_NAME_new();
    }
    certgen_add(n[0], "C", MBSTRING_UTF8, "US", -1, 0);
    certgen_add(n[0], "O", MBSTRING_UTF8, "MyOrg", -1, 0);
    certgen_add(n[0], "OU", MBSTRING_UTF8, "Devices", -1, 0);
    certgen_add(n[0], "CN", MBSTRING_UTF8, "client1", -1, 0);
    certgen_add(n[1], "OU", MBSTRING_UTF8, "a", -1, 0);
    certgen_add(n[1], "OU", MBSTRING_UTF8, "b", -1, 1);
    certgen_add(n[1], "L", V_ASN1_BMPSTRING, bmp, sizeof(bmp), 0);
    certgen_add(n[1], "CN", V_ASN1_UTF8STRING, "x,O=MyOrg\0", 10, 0);
    certgen_add(n[1], "2.5.4.97", V_ASN1_UTF8STRING, "VATDE-1", -1, 0);
    certgen_add(n[2], "CN", V_ASN1_UTF8STRING, "\xc3\xa9t\xc3\xa9", -1, 0);
    certgen_add(n[2], "DC", V_ASN1_IA5STRING, "example", -1, 0);

    x = certgen_cert(n[0], s1, sizeof(s1),
                     "email:client1@example.com,DNS:host.example.com,"
                     "URI:spiffe://example.org/ns/prod/sa/x,IP:10.1.2.3");
    certauthz_cert_from_x509(keep, x, &c);
    certs[0] = c;
    X509_free(x);
    x = certgen_cert(n[1], s2, sizeof(s2), "IP:2001:db8::1,DNS:*.example.com");
    certauthz_cert_from_x509(keep, x, &c);
    certs[1] = c;
    X509_free(x);
    x = certgen_cert(n[2], s3, sizeof(s3), NULL);
    certauthz_cert_from_x509(keep, x, &c);
    certs[2] = c;
    X509_free(x);
    for (i = 0; i < N_CERTS; i++) {
        X509_NAME_free(n[i]);
    }
}

#endif
