/*
 * Issuer keys (src/names.c): two names have the same key exactly when
 * OpenSSL's X509_NAME_cmp says they are equal, so that a CRL which
 * CertAuthzCRLVerifyCA accepts for an issuer (X509_NAME_cmp) applies to that
 * issuer's certificates (the key).  Checked on names that differ in string
 * type, case, spaces, multi-valued RDN order and more, through every way a
 * key is computed (OpenSSL's structure, the direct DER reading, OpenSSL's
 * DER reading); and the canonical encoding itself against OpenSSL's
 * X509_NAME_hash_ex (a SHA-1 of OpenSSL's own canonical encoding).
 */
#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/sha.h>

#include "src/names.h"
#include "t/unit/certgen.h"
#include "t/unit/names_check.h"
#include "t/unit/rng.h"
#include "t/unit/tap.h"

static apr_pool_t *p;

/* A name of one RDN per "ATTR=VALUE" in its type (V_ASN1_*; BMP and
 * Universal values are given as ASCII and widened here). */
static X509_NAME *name1(const char *attr, int type, const char *value)
{
    X509_NAME *n = X509_NAME_new();
    size_t l = strlen(value), i, w = type == V_ASN1_BMPSTRING        ? 2
                                     : type == V_ASN1_UNIVERSALSTRING ? 4
                                                                      : 1;
    char *v = apr_pcalloc(p, l * w + 1);

    for (i = 0; i < l; i++) {
        v[i * w + w - 1] = value[i];
    }
    certgen_add(n, attr, type, v, (int)(l * w), 0);
    return n;
}

static void pair(X509_NAME *a, X509_NAME *b, int want, const char *what)
{
    int same = -1, agree = keys_agree(p, a, b, &same);

    ok(agree && same == want, "%s: %s by X509_NAME_cmp, and by the key",
       what, want ? "equal" : "different");
    X509_NAME_free(a);
    X509_NAME_free(b);
}

static void fixed_pairs(void)
{
    X509_NAME *a, *b;

    pair(name1("CN", V_ASN1_UTF8STRING, "Unit CA"),
         name1("CN", V_ASN1_PRINTABLESTRING, "Unit CA"), 1,
         "UTF8String and PrintableString");
    pair(name1("CN", V_ASN1_UTF8STRING, "Unit CA"),
         name1("CN", V_ASN1_UTF8STRING, "uNIT ca"), 1, "ASCII case");
    pair(name1("CN", V_ASN1_UTF8STRING, "Unit CA"),
         name1("CN", V_ASN1_PRINTABLESTRING, "  Unit    CA  "), 1,
         "leading, trailing and inner spaces");
    pair(name1("CN", V_ASN1_UTF8STRING, "Unit CA"),
         name1("CN", V_ASN1_IA5STRING, "\tUnit\r\n CA\v"), 1,
         "other ASCII whitespace");
    pair(name1("CN", V_ASN1_BMPSTRING, "Unit CA"),
         name1("CN", V_ASN1_UTF8STRING, "UNIT CA"), 1,
         "BMPString and UTF8String");
    pair(name1("CN", V_ASN1_UNIVERSALSTRING, "Unit CA"),
         name1("CN", V_ASN1_T61STRING, "unit ca"), 1,
         "UniversalString and T61String");
    pair(name1("CN", V_ASN1_UTF8STRING, "\xc3\x9cnit CA"),
         name1("CN", V_ASN1_UTF8STRING, "\xc3\xbcnit CA"), 0,
         "non-ASCII case is not folded");
    pair(name1("CN", V_ASN1_UTF8STRING, "\xc3\x9cnit CA"),
         name1("CN", V_ASN1_T61STRING, "\xdcnit ca"), 1,
         "T61String (Latin-1) and UTF-8 of the same characters");
    pair(name1("CN", V_ASN1_NUMERICSTRING, "123"),
         name1("CN", V_ASN1_PRINTABLESTRING, "123"), 0,
         "NumericString is compared as encoded, not canonicalised");
    pair(name1("CN", V_ASN1_NUMERICSTRING, "123"),
         name1("CN", V_ASN1_NUMERICSTRING, "123"), 1,
         "equal NumericStrings");
    pair(name1("CN", V_ASN1_UTF8STRING, "Unit CA"),
         name1("CN", V_ASN1_UTF8STRING, "Unit CA2"), 0, "another value");
    pair(name1("CN", V_ASN1_UTF8STRING, "Unit CA"),
         name1("O", V_ASN1_UTF8STRING, "Unit CA"), 0, "another attribute");
    pair(name1("1.2.3.4.5", V_ASN1_UTF8STRING, "Unit CA"),
         name1("1.2.3.4.5", V_ASN1_PRINTABLESTRING, "UNIT  CA"), 1,
         "an attribute OpenSSL has no name for");
    pair(name1("emailAddress", V_ASN1_IA5STRING, "CA@Example.COM"),
         name1("emailAddress", V_ASN1_IA5STRING, "ca@example.com"), 1,
         "emailAddress");
    pair(name1("CN", V_ASN1_UTF8STRING, ""),
         name1("CN", V_ASN1_PRINTABLESTRING, "   "), 1,
         "empty and all-space values");
    pair(X509_NAME_new(), X509_NAME_new(), 1, "two empty names");
    pair(X509_NAME_new(), name1("CN", V_ASN1_UTF8STRING, ""), 0,
         "the empty name and an empty CN");
    /* OpenSSL reads a BIT STRING in a name (not VisibleString, nor an
     * OCTET STRING), and compares it as encoded. */
    pair(name1("CN", V_ASN1_BIT_STRING, "Unit CA"),
         name1("CN", V_ASN1_UTF8STRING, "Unit CA"), 0,
         "a value that is no string type");
    pair(name1("CN", V_ASN1_BIT_STRING, "Unit CA"),
         name1("CN", V_ASN1_BIT_STRING, "Unit CA"), 1,
         "equal values that are no string type");
    pair(name1("CN", V_ASN1_BIT_STRING, "Unit CA"),
         name1("CN", V_ASN1_BIT_STRING, "unit ca"), 0,
         "values that are no string type are not case-folded");

    /* Multi-valued RDNs: their values in any order are one RDN. */
    a = X509_NAME_new();
    certgen_add(a, "O", MBSTRING_UTF8, "Unit PKI", -1, 0);
    certgen_add(a, "OU", V_ASN1_UTF8STRING, "b", -1, 0);
    certgen_add(a, "OU", V_ASN1_UTF8STRING, "a", -1, 1);
    b = X509_NAME_new();
    certgen_add(b, "O", MBSTRING_UTF8, "unit pki", -1, 0);
    certgen_add(b, "OU", V_ASN1_PRINTABLESTRING, "A", -1, 0);
    certgen_add(b, "OU", V_ASN1_BMPSTRING, "\0B", 2, 1);
    pair(a, b, 1, "a multi-valued RDN in another order, types and case");
    a = X509_NAME_new();
    certgen_add(a, "OU", V_ASN1_UTF8STRING, "a", -1, 0);
    certgen_add(a, "OU", V_ASN1_UTF8STRING, "b", -1, 1);
    b = X509_NAME_new();
    certgen_add(b, "OU", V_ASN1_UTF8STRING, "a", -1, 0);
    certgen_add(b, "OU", V_ASN1_UTF8STRING, "b", -1, 0);
    pair(a, b, 0, "a multi-valued RDN and the same values as two RDNs");
    a = X509_NAME_new();
    certgen_add(a, "O", V_ASN1_UTF8STRING, "x", -1, 0);
    certgen_add(a, "CN", V_ASN1_UTF8STRING, "y", -1, 0);
    b = X509_NAME_new();
    certgen_add(b, "CN", V_ASN1_UTF8STRING, "y", -1, 0);
    certgen_add(b, "O", V_ASN1_UTF8STRING, "x", -1, 0);
    pair(a, b, 0, "the same RDNs in another order");
    a = X509_NAME_new();
    certgen_add(a, "CN", V_ASN1_UTF8STRING, "x", -1, 0);
    certgen_add(a, "CN", V_ASN1_UTF8STRING, "X ", -1, 1);
    b = X509_NAME_new();
    certgen_add(b, "CN", V_ASN1_UTF8STRING, "x", -1, 0);
    certgen_add(b, "CN", V_ASN1_UTF8STRING, "x", -1, 1);
    pair(a, b, 1, "a multi-valued RDN of two equal values");
}

/* ------------------------------------------------------------------ */
/* Many names: variants of a few bases                                 */

static const char *const bases[] = {
    "Unit CA", "unit ca", "Unit  CA", "Issuing CA 2", "Example Org",
    "\xc3\x89" "cole", "a", "A B C", "x.y-z", "", "Ca", "CA ", "C A"
};
static const char *const vattrs[] = {"CN", "O", "OU", "C", "DC", "1.2.3.4"};
static const int vtypes[] = {
    V_ASN1_UTF8STRING, V_ASN1_PRINTABLESTRING, V_ASN1_IA5STRING,
    V_ASN1_T61STRING, V_ASN1_BMPSTRING, V_ASN1_UNIVERSALSTRING,
    V_ASN1_NUMERICSTRING, V_ASN1_UTF8STRING
};

/* A variant of s: letters' case flipped, spaces added or doubled. */
static const char *vary(const char *s)
{
    char *o = apr_palloc(p, strlen(s) * 3 + 4), *q = o;

    if (rnd(3) == 0) {
        *q++ = ' ';
    }
    for (; *s; s++) {
        char c = *s;

        if (rnd(3) == 0 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            c ^= 0x20;
        }
        *q++ = c;
        if (c == ' ' && rnd(2) == 0) {
            *q++ = rnd(2) ? ' ' : '\t';
        }
    }
    if (rnd(3) == 0) {
        *q++ = ' ';
    }
    *q = '\0';
    return o;
}

/* One value in a type that can hold it: UTF-8 non-ASCII only in UTF8String,
 * or widened to BMP/Universal (Latin-1 text here is 2-byte UTF-8 "É"). */
static void add_value(X509_NAME *n, const char *attr, const char *v, int join)
{
    int type = vtypes[rnd(8)], ascii = 1;
    const char *q;

    for (q = v; *q; q++) {
        ascii &= (unsigned char)*q < 0x80;
    }
    if (!ascii && type != V_ASN1_UTF8STRING) {
        type = V_ASN1_UTF8STRING;
    }
    if (type == V_ASN1_BMPSTRING || type == V_ASN1_UNIVERSALSTRING) {
        size_t l = strlen(v), i, w = type == V_ASN1_BMPSTRING ? 2 : 4;
        char *wide = apr_pcalloc(p, l * w + 1);

        for (i = 0; i < l; i++) {
            wide[i * w + w - 1] = v[i];
        }
        certgen_add(n, attr, type, wide, (int)(l * w), join);
        return;
    }
    certgen_add(n, attr, type, v, -1, join);
}

/* A name of up to three RDNs chosen by `pick` (deterministic), each a
 * variant of its base value. */
static X509_NAME *variant(unsigned pick)
{
    X509_NAME *n = X509_NAME_new();
    int k, rdns = 1 + (int)(pick % 3);

    for (k = 0; k < rdns; k++) {
        unsigned b = (pick >> (4 + 4 * k)) % 13, a = (pick >> (16 + k)) % 6;

        add_value(n, vattrs[a], vary(bases[b]), 0);
        if ((pick >> (24 + k)) & 1) {
            add_value(n, "OU", vary(bases[(b + 1) % 13]), 1);
        }
    }
    return n;
}

static void many_pairs(void)
{
    int i, j, all = 1, equal = 0, pairs = 0;

    for (i = 0; i < tap_scale(400); i++) {
        unsigned pick = (unsigned)rnd(1U << 27);
        X509_NAME *a = variant(pick), *b;

        for (j = 0; j < 6; j++) {
            int same;

            /* The same choices (often equal names) or a neighbour. */
            b = variant(j < 4 ? pick : pick ^ (1U << rnd(27)));
            if (!keys_agree(p, a, b, &same)) {
                all = 0;
                printf("# disagreement on pick %u/%d\n", pick, j);
            }
            equal += same;
            pairs++;
            X509_NAME_free(b);
        }
        X509_NAME_free(a);
    }
    ok(all, "%d pairs of generated names (%d equal by X509_NAME_cmp): the "
       "keys agree with X509_NAME_cmp on every one", pairs, equal);
    ok(equal > pairs / 10 && equal < pairs,
       "...and the generated pairs hold both equal and different names");
}

int main(void)
{
    rng_state = 0x2545f4914f6cdd1dULL;
    apr_initialize();
    apr_pool_create(&p, NULL);
    fixed_pairs();
    many_pairs();
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
