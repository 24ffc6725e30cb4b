/*
 * gencrl: a CRL with N revoked serials (1..N, offset by 0x10000000), signed
 * by a CA key, for the revocation benchmark.  `openssl ca -gencrl` needs a
 * million-line database and minutes; the OpenSSL API takes seconds.
 *
 *   gencrl CA.crt CA.key N OUT.pem OUT.der
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

int main(int argc, char **argv)
{
    X509 *ca;
    EVP_PKEY *key;
    X509_CRL *crl;
    ASN1_TIME *t;
    FILE *f;
    long i, n;

    if (argc != 6) {
        fprintf(stderr, "usage: gencrl CA.crt CA.key N OUT.pem OUT.der\n");
        return 2;
    }
    n = atol(argv[3]);
    f = fopen(argv[1], "r");
    ca = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f) {
        fclose(f);
    }
    f = fopen(argv[2], "r");
    key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f) {
        fclose(f);
    }
    if (ca == NULL || key == NULL) {
        fprintf(stderr, "gencrl: cannot read the CA\n");
        return 1;
    }
    crl = X509_CRL_new();
    t = ASN1_TIME_new();
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
    ASN1_TIME_set(t, time(NULL) - 60);
    X509_CRL_set1_lastUpdate(crl, t);
    ASN1_TIME_set(t, time(NULL) + 30 * 86400);
    X509_CRL_set1_nextUpdate(crl, t);
    ASN1_TIME_set(t, time(NULL) - 120);
    for (i = 1; i <= n; i++) {
        X509_REVOKED *rev = X509_REVOKED_new();
        ASN1_INTEGER *sn = ASN1_INTEGER_new();

        ASN1_INTEGER_set(sn, 0x10000000L + i);
        X509_REVOKED_set_serialNumber(rev, sn);
        X509_REVOKED_set_revocationDate(rev, t);
        X509_CRL_add0_revoked(crl, rev);
        ASN1_INTEGER_free(sn);
    }
    X509_CRL_sort(crl);
    if (!X509_CRL_sign(crl, key, EVP_sha256())) {
        fprintf(stderr, "gencrl: cannot sign\n");
        return 1;
    }
    f = fopen(argv[4], "w");
    PEM_write_X509_CRL(f, crl);
    fclose(f);
    f = fopen(argv[5], "wb");
    i2d_X509_CRL_fp(f, crl);
    fclose(f);
    return 0;
}
