/*
 * Certificate field extraction from arbitrary DER (what a client sends is
 * what mod_ssl hands us): every field must be extracted without a crash, a
 * leak or an out-of-bounds read, and stay internally consistent.
 */
#include "fuzz/fuzz_common.h"

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
    /* The same bytes as a PEM body reach the PEM path's error handling. */
    certauthz_cert_from_pem(p, (const char *)data, size, &c);
    apr_pool_destroy(p);
    return 0;
}
