/*
 * Names read directly (src/certinfo.c): whatever the bytes, the direct
 * reading and OpenSSL's d2i_X509_NAME + X509_NAME_print_ex agree on every
 * value, the RFC 4514 string and the issuer key, or both refuse the name.
 * First byte even: the rest is a DER name as it comes.  Odd: the rest
 * describes a name built with OpenSSL (attribute, string type, value), so
 * that well-formed names with hostile values are reached at once.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const unsigned char *der = data + 1;
    unsigned char *built = NULL;
    apr_size_t len = size > 0 ? size - 1 : 0;
    const char *why;
    int direct;

    if (size == 0) {
        apr_pool_destroy(p);
        return 0;
    }
    if (data[0] & 1) {
        X509_NAME *n = X509_NAME_new();
        size_t i = 1;
        int l;

        /* [attr+join][type][len][value...] repeated */
        while (i + 3 <= size) {
            unsigned a = data[i], t = data[i + 1], vl = data[i + 2] % 40;

            i += 3;
            if (vl > size - i) {
                vl = (unsigned)(size - i);
            }
            certgen_add(n, attrs[a % 16], types[t % 8],
                        (const char *)data + i, (int)vl,
                        (a & 0x80) && X509_NAME_entry_count(n) > 0);
            i += vl;
        }
        l = i2d_X509_NAME(n, &built);
        X509_NAME_free(n);
        if (l <= 0) {
            apr_pool_destroy(p);
            return 0;
        }
        der = built;
        len = (apr_size_t)l;
    }
    if (!same_reading(p, der, len, &direct, &why)) {
        abort();
    }
    OPENSSL_free(built);
    apr_pool_destroy(p);
    return 0;
}
