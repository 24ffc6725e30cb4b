/*
 * names_check.h: compare the two readings of a DER name in src/certinfo.c
 * (direct and OpenSSL's), for t/unit/test_names.c and fuzz/fuzz_name.c.
 * Test code only.
 */
#ifndef CERTAUTHZ_NAMES_CHECK_H
#define CERTAUTHZ_NAMES_CHECK_H

#include <string.h>

#include <apr_strings.h>

#include "src/certinfo.h"

/* The two readings of der agree in every field; *direct says whether the
 * direct reading took it.  Describes the first difference in why. */
static inline int same_reading(apr_pool_t *p, const unsigned char *der,
                        apr_size_t len, int *direct, const char **why)
{
    certauthz_dn_t a, b;
    const char *sa = NULL, *sb = NULL, *ea, *eb;
    unsigned char ka[32], kb[32];
    int i;

    ea = certauthz_name_parse(p, der, len, CERTAUTHZ_NAME_ANY, &a, &sa, ka);
    eb = certauthz_name_parse(p, der, len, CERTAUTHZ_NAME_OPENSSL, &b, &sb,
                              kb);
    *direct = certauthz_name_parse(p, der, len, CERTAUTHZ_NAME_DIRECT, &a,
                                   &sa, ka) == NULL;
    *why = "";
    if ((ea == NULL) != (eb == NULL)) {
        *why = "one reading failed";
        return 0;
    }
    if (ea != NULL) {
        *why = "both refuse the name";
        return 1;
    }
    if (strcmp(sa, sb) != 0) {
        *why = apr_psprintf(p, "string '%s' vs OpenSSL '%s'", sa, sb);
        return 0;
    }
    if (memcmp(ka, kb, 32) != 0) {
        *why = "issuer keys differ";
        return 0;
    }
    if (a.n != b.n) {
        *why = apr_psprintf(p, "%d values vs OpenSSL %d", a.n, b.n);
        return 0;
    }
    for (i = 0; i < a.n; i++) {
        const certauthz_ava_t *x = &a.avas[i], *y = &b.avas[i];

        if (x->nid != y->nid || strcmp(x->oid, y->oid) != 0
            || x->oid_der_len != y->oid_der_len
            || memcmp(x->oid_der, y->oid_der, x->oid_der_len) != 0
            || x->len != y->len || memcmp(x->value, y->value, x->len) != 0
            || x->value[x->len] != '\0' || x->set != y->set
            || x->undecodable != y->undecodable) {
            *why = apr_psprintf(p, "value %d differs ('%s' vs '%s')", i,
                                x->value, y->value);
            return 0;
        }
    }
    return 1;
}

#endif
