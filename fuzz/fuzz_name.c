/*
 * Names read directly (src/names.c): whatever the bytes, the direct
 * reading and OpenSSL's d2i_X509_NAME + X509_NAME_print_ex agree on every
 * value, the RFC 4514 string and the issuer key, or both refuse the name;
 * and issuer keys are equal exactly when X509_NAME_cmp says the names are
 * (the canonical encoding being OpenSSL's, to X509_NAME_hash_ex).
 * First byte even: the rest is a DER name as it comes.  Odd: the rest
 * describes a name built with OpenSSL (attribute, string type, value), so
 * that well-formed names with hostile values are reached at once; a second
 * name is built from the same description with the variations its type
 * bytes ask for (another string type, ASCII case, spaces), often equal to
 * the first for X509_NAME_cmp, and the keys must say the same.
 */
#include "fuzz/fuzz_common.h"

#include "t/unit/certgen.h"
#include "t/unit/names_check.h"

static const char *const attrs[] = {
    "CN", "O", "OU", "C", "L", "ST", "emailAddress", "DC", "UID",
    "serialNumber", "title", "GN", "SN", "pseudonym", "1.2.3.4",
    "businessCategory"
};
static const int types[] = {
    V_ASN1_UTF8STRING, V_ASN1_PRINTABLESTRING, V_ASN1_IA5STRING,
    V_ASN1_UTF8STRING, V_ASN1_PRINTABLESTRING, V_ASN1_BMPSTRING,
    V_ASN1_T61STRING, V_ASN1_UNIVERSALSTRING
};
/* The type a variant takes instead (bit 0x20 of the type byte). */
static const int other_types[] = {
    V_ASN1_PRINTABLESTRING, V_ASN1_IA5STRING, V_ASN1_UTF8STRING,
    V_ASN1_T61STRING, V_ASN1_UTF8STRING, V_ASN1_BMPSTRING,
    V_ASN1_UTF8STRING, V_ASN1_UNIVERSALSTRING
};

/* [attr+join][type][len][value...] repeated. */
static X509_NAME *build(apr_pool_t *p, const uint8_t *data, size_t size,
                        int variant)
{
    X509_NAME *n = X509_NAME_new();
    size_t i = 1;

    while (i + 3 <= size) {
        unsigned a = data[i], t = data[i + 1], vl = data[i + 2] % 40, k;
        int type = types[t % 8];
        char *v;
        size_t l = 0;

        i += 3;
        if (vl > size - i) {
            vl = (unsigned)(size - i);
        }
        v = apr_palloc(p, (size_t)vl * 2 + 3);
        if (variant && (t & 0x10)) {
            v[l++] = ' ';
        }
        for (k = 0; k < vl; k++) {
            char c = (char)data[i + k];

            if (variant && (t & 0x40)
                && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
                c ^= 0x20;
            }
            v[l++] = c;
            if (variant && (t & 0x10) && c == ' ') {
                v[l++] = ' ';
            }
        }
        if (variant && (t & 0x10)) {
            v[l++] = '\t';
        }
        if (variant && (t & 0x20)) {
            type = other_types[t % 8];
        }
        certgen_add(n, attrs[a % 16], type, v, (int)l,
                    (a & 0x80) && X509_NAME_entry_count(n) > 0);
        i += vl;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const unsigned char *der = data + 1;
    unsigned char *built = NULL;
    apr_size_t len = size > 0 ? size - 1 : 0;
    const char *why;
    int direct, same;

    if (size == 0) {
        apr_pool_destroy(p);
        return 0;
    }
    if (data[0] & 1) {
        X509_NAME *a = build(p, data, size, 0), *b = build(p, data, size, 1);
        int l = i2d_X509_NAME(a, &built);

        if (!keys_agree(p, a, b, &same)) {
            abort();
        }
        X509_NAME_free(a);
        X509_NAME_free(b);
        if (l <= 0) {
            apr_pool_destroy(p);
            return 0;
        }
        der = built;
        len = (apr_size_t)l;
    }
    else {
        const unsigned char *q = der;
        X509_NAME *n = d2i_X509_NAME(NULL, &q, (long)len);

        if (n != NULL && !keys_agree(p, n, n, &same)) {
            abort();
        }
        X509_NAME_free(n);
    }
    if (!same_reading(p, der, len, &direct, &why)) {
        abort();
    }
    OPENSSL_free(built);
    apr_pool_destroy(p);
    return 0;
}
