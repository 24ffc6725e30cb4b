/*
 * Certificate field extraction from arbitrary DER (what a client sends is
 * what mod_ssl hands us): every field must be extracted without a crash, a
 * leak or an out-of-bounds read, and stay internally consistent.
 */
#include "fuzz/fuzz_common.h"

#include <openssl/pem.h>

#include <openssl/x509.h>

#include "src/certinfo.h"

static void check_dn(const certauthz_dn_t *dn)
{
    int i;

    for (i = 0; i < dn->n; i++) {
        const certauthz_ava_t *a = &dn->avas[i];
        certauthz_attr_t attr;

        /* The value is NUL-terminated after len bytes, as documented. */
        if (a->value == NULL || a->value[a->len] != '\0' || a->oid == NULL) {
            abort();
        }
        attr.nid = a->nid;
        attr.oid = a->oid;
        if (!certauthz_ava_is(a, &attr)) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    certauthz_cert_t *c = NULL;
    char t[21];
    int i;

    if (certauthz_cert_from_der(p, data, size, &c) == NULL) {
        check_dn(&c->subject);
        check_dn(&c->issuer);
        if (c->subject_dn == NULL || c->issuer_dn == NULL
            || c->serial_hex == NULL || strlen(c->fingerprint) != 64) {
            abort();
        }
        for (i = 0; i < c->n_sans; i++) {
            const certauthz_san_t *s = &c->sans[i];

            if (s->value == NULL || s->value[s->len] != '\0'
                || (s->type == CERTAUTHZ_SAN_IP) != (s->iplen != 0)) {
                abort();
            }
        }
        certauthz_iso8601(c->not_before, t);
        certauthz_iso8601(c->not_after, t);
        if (strlen(t) != 20) {
            abort();
        }
    }
    if (c != NULL) {
        /* The certificate as PEM reads as the same certificate. */
        certauthz_cert_t *c2 = NULL;
        BIO *bio = BIO_new(BIO_s_mem());
        char *pem;
        long n;

        PEM_write_bio(bio, PEM_STRING_X509, "", data, (long)size);
        n = BIO_get_mem_data(bio, &pem);
        if (certauthz_cert_from_pem(p, pem, (apr_size_t)n, &c2) != NULL
            || strcmp(c2->fingerprint, c->fingerprint) != 0) {
            abort();
        }
        BIO_free(bio);
    }
    /* Any text the PEM path takes, OpenSSL's PEM reader takes too, and
     * reads as the same certificate. */
    c = NULL;
    if (certauthz_cert_from_pem(p, (const char *)data, size, &c) == NULL) {
        BIO *bio = BIO_new_mem_buf(data, (int)size);
        char *name = NULL, *header = NULL;
        unsigned char *der = NULL;
        long dlen = 0;
        certauthz_cert_t *c2 = NULL;

        if (!PEM_read_bio(bio, &name, &header, &der, &dlen)
            || certauthz_cert_from_der(p, der, (apr_size_t)dlen, &c2) != NULL
            || strcmp(c2->fingerprint, c->fingerprint) != 0) {
            abort();
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
        BIO_free(bio);
    }
    apr_pool_destroy(p);
    return 0;
}
