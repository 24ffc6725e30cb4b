/*
 * names_check.h: compare the two readings of a DER name in src/names.c
 * (direct and OpenSSL's), and issuer keys with X509_NAME_cmp, for
 * t/unit/test_names.c, t/unit/test_namekey.c and fuzz/fuzz_name.c.  Test
 * code only.
 */
#ifndef CERTAUTHZ_NAMES_CHECK_H
#define CERTAUTHZ_NAMES_CHECK_H

#include <string.h>

#include <apr_strings.h>
#include <openssl/sha.h>

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

/* The key of a name by every path; 0 when all agree (*key set), -1 when
 * none can compute it, -2 when they disagree. */
static inline int key_of(apr_pool_t *p, X509_NAME *n, unsigned char key[32])
{
    unsigned char k1[32], k2[32], k3[32], *der = NULL;
    certauthz_dn_t dn;
    int l = i2d_X509_NAME(n, &der), r1, r2, r3;

    r1 = certauthz_name_key(n, k1);
    if (l <= 0) {
        return r1 == 0 ? -2 : -1;
    }
    r2 = certauthz_name_parse(p, der, (apr_size_t)l, CERTAUTHZ_NAME_ANY, &dn,
                              NULL, k2) == NULL ? 0 : -1;
    r3 = certauthz_name_parse(p, der, (apr_size_t)l, CERTAUTHZ_NAME_OPENSSL,
                              &dn, NULL, k3) == NULL ? 0 : -1;
    OPENSSL_free(der);
    if (r1 != 0 && r2 != 0 && r3 != 0) {
        return -1;
    }
    if (r1 != 0 || r2 != 0 || r3 != 0 || memcmp(k1, k2, 32) != 0
        || memcmp(k1, k3, 32) != 0) {
        return -2;
    }
    memcpy(key, k1, 32);
    return 0;
}

/* The canonical encoding is OpenSSL's, byte for byte (to 32 bits of
 * SHA-1: X509_NAME_hash_ex is the first four bytes of it). */
static inline int canon_is_openssl(apr_pool_t *p, X509_NAME *n)
{
    unsigned char *c, md[20];
    apr_size_t len;
    unsigned long h, mine;
    int okh = 0;

    h = X509_NAME_hash_ex(n, NULL, NULL, &okh);
    if (certauthz_name_canon(p, n, &c, &len) != 0) {
        return !okh;
    }
    SHA1(c, len, md);
    mine = (unsigned long)md[0] | (unsigned long)md[1] << 8
           | (unsigned long)md[2] << 16 | (unsigned long)md[3] << 24;
    return okh && mine == h;
}

/* Whether keys agree with X509_NAME_cmp on a and b; *same says what
 * X509_NAME_cmp said.  A name holding a value OpenSSL cannot turn into
 * UTF-8 (possible only in memory: d2i_X509_NAME refuses such a name) has
 * no key, and OpenSSL's comparison of it depends on what was done to it
 * before (a failed encoding leaves it looking empty): nothing is asserted
 * of such names but that they have no key by any path. */
static inline int keys_agree(apr_pool_t *p, X509_NAME *a, X509_NAME *b,
                             int *same)
{
    unsigned char ka[32], kb[32];
    int ra = key_of(p, a, ka), rb = key_of(p, b, kb);

    *same = X509_NAME_cmp(a, b) == 0;
    if (ra == -2 || rb == -2) {
        return 0;
    }
    if (ra != 0 || rb != 0) {
        return 1;
    }
    if (!canon_is_openssl(p, a) || !canon_is_openssl(p, b)) {
        return 0;
    }
    return (memcmp(ka, kb, 32) == 0) == *same;
}

#endif
