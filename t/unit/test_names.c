/*
 * Unit tests of the direct reading of names and certificates in
 * src/names.c: for every name, reading it directly must give exactly what
 * OpenSSL's d2i_X509_NAME and X509_NAME_print_ex give (the values rules
 * match, the RFC 4514 string mod_ssl shows as SSL_CLIENT_S_DN, the issuer
 * key CRLs are scoped by); names it does not read directly go to OpenSSL.
 * And the PEM mod_ssl hands over decodes as OpenSSL's PEM reader decodes it.
 */
#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/pem.h>

#include "src/certinfo.h"
#include "src/pem.h"
#include "t/unit/certgen.h"
#include "t/unit/names_check.h"
#include "t/unit/rng.h"
#include "t/unit/tap.h"

/* The DER of a name OpenSSL built.  OpenSSL will not encode every name
 * (not one holding malformed UTF-8, say): those are built with dnb_*
 * below. */
static unsigned char *name_der(X509_NAME *n, apr_size_t *len)
{
    unsigned char *der = NULL;
    int l = i2d_X509_NAME(n, &der);

    if (l <= 0) {
        printf("# i2d_X509_NAME refused a test name\n");
        exit(1);
    }
    *len = (apr_size_t)l;
    return der;
}

/* A DER element around content c. */
static unsigned char *tlv(apr_pool_t *p, int tag, const unsigned char *c,
                          apr_size_t len, apr_size_t *out)
{
    unsigned char *b = apr_palloc(p, len + 4), *q = b;

    *q++ = (unsigned char)tag;
    if (len >= 256) {
        *q++ = 0x82;
        *q++ = (unsigned char)(len >> 8);
    }
    else if (len >= 128) {
        *q++ = 0x81;
    }
    *q++ = (unsigned char)len;
    memcpy(q, c, len);
    *out = (apr_size_t)(q - b) + len;
    return b;
}

/* Names encoded here, byte for byte as the test says, whatever is in them:
 * RDNs of one AVA, or more with join. */
typedef struct {
    apr_pool_t *p;
    unsigned char *rdn[16];
    apr_size_t rdn_len[16];
    int n;
} dnb_t;

static void dnb_add(dnb_t *b, const char *attr, int type, const char *v,
                    int vl, int join)
{
    ASN1_OBJECT *o = OBJ_txt2obj(attr, 0);
    unsigned char *od = NULL, *val, *ava, *both;
    int ol = i2d_ASN1_OBJECT(o, &od);
    apr_size_t val_len, ava_len;

    val = tlv(b->p, type, (const unsigned char *)v, (apr_size_t)vl, &val_len);
    both = apr_palloc(b->p, (apr_size_t)ol + val_len);
    memcpy(both, od, (size_t)ol);
    memcpy(both + ol, val, val_len);
    ava = tlv(b->p, 0x30, both, (apr_size_t)ol + val_len, &ava_len);
    OPENSSL_free(od);
    ASN1_OBJECT_free(o);
    if (join && b->n > 0) {
        unsigned char *r = apr_palloc(b->p, b->rdn_len[b->n - 1] + ava_len);

        memcpy(r, b->rdn[b->n - 1], b->rdn_len[b->n - 1]);
        memcpy(r + b->rdn_len[b->n - 1], ava, ava_len);
        b->rdn[b->n - 1] = r;
        b->rdn_len[b->n - 1] += ava_len;
    }
    else if (b->n < 16) {
        b->rdn[b->n] = ava;
        b->rdn_len[b->n++] = ava_len;
    }
}

static unsigned char *dnb_der(dnb_t *b, apr_size_t *len)
{
    apr_size_t total = 0, l;
    unsigned char *all = apr_palloc(b->p, 1), *set;
    int i;

    for (i = 0; i < b->n; i++) {
        unsigned char *grown;

        set = tlv(b->p, 0x31, b->rdn[i], b->rdn_len[i], &l);
        grown = apr_palloc(b->p, total + l);
        memcpy(grown, all, total);
        memcpy(grown + total, set, l);
        all = grown;
        total += l;
    }
    return tlv(b->p, 0x30, all, total, len);
}

/* pem is decoded directly (not by OpenSSL's reader) to der. */
static int direct_is(apr_pool_t *p, const char *pem, const unsigned char *der,
                     int dlen)
{
    unsigned char *d = NULL;
    apr_size_t l = 0;

    return certauthz_pem_read_direct(p, pem, strlen(pem), &d, &l)
           && l == (apr_size_t)dlen && memcmp(d, der, l) == 0;
}

static const char *const attrs[] = {
    "CN", "SN", "serialNumber", "C", "L", "ST", "street", "O", "OU", "title",
    "description", "postalCode", "name", "GN", "initials",
    "generationQualifier", "dnQualifier", "pseudonym", "role",
    "organizationIdentifier", "emailAddress", "DC", "UID",
    /* not read directly: */
    "1.2.3.4.5", "businessCategory", "jurisdictionC"
};
#define N_DIRECT_ATTRS 23

static const int types[] = {
    V_ASN1_UTF8STRING, V_ASN1_PRINTABLESTRING, V_ASN1_IA5STRING,
    /* not read directly: */
    V_ASN1_BMPSTRING, V_ASN1_T61STRING, V_ASN1_UNIVERSALSTRING,
    V_ASN1_OCTET_STRING
};

/* UTF-8: well-formed characters of 2, 3 and 4 bytes, then an overlong
 * form, a surrogate, a code point above U+10FFFF, a cut sequence, a lone
 * continuation byte, a 5-byte form. */
static const char *const utf8_samples[] = {
    "\xc3\xab", "\xce\xa9", "\xe2\x82\xac", "\xf0\x9f\x94\x91",
    "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf", "\xc2\x80",
    "\xc0\xab", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
    "\xe2\x82", "\x80", "\xf8\x88\x80\x80\x80"
};
#define N_UTF8_SAMPLES (sizeof(utf8_samples) / sizeof(utf8_samples[0]))

/* Characters that RFC 4514 escaping treats specially, and some that it
 * does not, weighted toward the first and last positions. */
static const char specials[] = " #,+\"\\<>;=()*'/-.:?@[]^_`{|}~!$%&a0Z";

int main(void)
{
    apr_pool_t *p;
    int i, k, agree = 0, direct_n = 0, total = 0, refused = 0;
    const char *why = "", *first_bad = NULL;

    apr_initialize();
    apr_pool_create(&p, NULL);

    /* The table of attributes read directly is OpenSSL's own. */
    for (i = 0; i < N_DIRECT_ATTRS; i++) {
        X509_NAME *n = X509_NAME_new();
        unsigned char *der;
        apr_size_t len;
        int direct;

        certgen_add(n, attrs[i], V_ASN1_UTF8STRING, "v", -1, 0);
        der = name_der(n, &len);
        ok(same_reading(p, der, len, &direct, &why) && direct,
           "%s is read directly, as OpenSSL reads it %s", attrs[i], why);
        OPENSSL_free(der);
        X509_NAME_free(n);
    }

    /* Escaping at the edges of a value, one character at a time. */
    for (i = 0; specials[i] != '\0'; i++) {
        static const char *const shapes[] = {"%c", "%c%c", "%cx", "x%c",
                                             "x%cx", "%cx%c", ""};
        for (k = 0; k < (int)(sizeof(shapes) / sizeof(shapes[0])); k++) {
            X509_NAME *n = X509_NAME_new();
            char *v = apr_psprintf(p, shapes[k], specials[i], specials[i]);
            unsigned char *der;
            apr_size_t len;
            int direct;

            certgen_add(n, "O", V_ASN1_PRINTABLESTRING, "Org", -1, 0);
            certgen_add(n, "CN", V_ASN1_UTF8STRING, v, -1, 0);
            der = name_der(n, &len);
            total++;
            if (same_reading(p, der, len, &direct, &why) && direct) {
                agree++;
            }
            else if (first_bad == NULL) {
                first_bad = apr_psprintf(p, "CN='%s': %s%s", v, why,
                                         direct ? "" : " (not direct)");
            }
            OPENSSL_free(der);
            X509_NAME_free(n);
        }
    }
    ok(agree == total,
       "%d of %d values with RFC 4514 specials at every position read "
       "directly as OpenSSL reads them%s%s", agree, total,
       first_bad ? ": " : "", first_bad ? first_bad : "");

    /* Hostile shapes: a CN holding ",O=MyOrg", "/O=MyOrg", "+OU=x". */
    {
        static const char *const evil[] = {",O=MyOrg", "/O=MyOrg", "+OU=x",
                                           "x\\,O=MyOrg", "\"O=MyOrg\""};
        for (i = 0; i < (int)(sizeof(evil) / sizeof(evil[0])); i++) {
            X509_NAME *n = X509_NAME_new();
            certauthz_dn_t dn = {NULL, 0};
            const char *s = "";
            unsigned char *der;
            apr_size_t len;
            int direct;

            certgen_add(n, "CN", V_ASN1_UTF8STRING, evil[i], -1, 0);
            der = name_der(n, &len);
            ok(same_reading(p, der, len, &direct, &why) && direct
                   && certauthz_name_parse(p, der, len, CERTAUTHZ_NAME_ANY,
                                           &dn, &s, NULL) == NULL
                   && dn.n == 1 && strcmp(dn.avas[0].value, evil[i]) == 0,
               "CN '%s' stays one CN value, string %s", evil[i],
               dn.n == 1 ? s : why);
            OPENSSL_free(der);
            X509_NAME_free(n);
        }
    }

    /* Well-formed UTF-8 in a UTF8String is read directly; anything else
     * that is not ASCII is left to OpenSSL, which agrees either way. */
    for (i = 0; i < (int)N_UTF8_SAMPLES; i++) {
        dnb_t b = {p, {NULL}, {0}, 0};
        char *v = apr_pstrcat(p, "a", utf8_samples[i], "b", NULL);
        unsigned char *der;
        apr_size_t len;
        int direct, same;

        dnb_add(&b, "CN", V_ASN1_UTF8STRING, v, (int)strlen(v), 0);
        der = dnb_der(&b, &len);
        same = same_reading(p, der, len, &direct, &why);
        ok(same && direct == (i < 7),
           "UTF-8 sample %d %s, as OpenSSL reads it %s", i,
           i < 7 ? "read directly" : "left to OpenSSL", why);
    }

    /* Random names: every reading agrees, whichever path took it. */
    agree = direct_n = 0;
    total = 3000;
    first_bad = NULL;
    for (i = 0; i < total; i++) {
        dnb_t b = {p, {NULL}, {0}, 0};
        int rdns = (int)rnd(7), j, direct;
        unsigned char *der;
        apr_size_t len;

        for (j = 0; j < rdns; j++) {
            int weird = rnd(8) == 0;
            const char *attr = attrs[weird ? rnd(sizeof(attrs) / sizeof(attrs[0]))
                                           : rnd(N_DIRECT_ATTRS)];
            int type = types[weird ? rnd(sizeof(types) / sizeof(types[0]))
                                   : rnd(3)];
            char v[24];
            int vl = (int)rnd(sizeof(v)), m;

            for (m = 0; m < vl; m++) {
                v[m] = rnd(4) == 0 ? specials[rnd(sizeof(specials) - 1)]
                                   : (char)(0x20 + rnd(0x5f));
                if (weird && rnd(3) == 0) {
                    v[m] = (char)rnd(256);      /* controls, NUL, high */
                }
                else if (rnd(6) == 0) {
                    /* UTF-8, well-formed or not */
                    /* malformed ones only among the weird values */
                    const char *u = utf8_samples[rnd(weird ? N_UTF8_SAMPLES
                                                           : 7)];
                    int ul = (int)strlen(u);

                    if (m + ul <= vl) {
                        memcpy(v + m, u, (size_t)ul);
                        m += ul - 1;
                    }
                }
            }
            if (type == V_ASN1_BMPSTRING) {
                vl &= ~1;
            }
            if (type == V_ASN1_UNIVERSALSTRING) {
                vl &= ~3;
            }
            dnb_add(&b, attr, type, v, vl, j > 0 && rnd(10) == 0);
        }
        der = dnb_der(&b, &len);
        if (same_reading(p, der, len, &direct, &why)) {
            agree++;
            direct_n += direct;
            refused += *why != '\0';
        }
        else if (first_bad == NULL) {
            first_bad = apr_psprintf(p, "name %d: %s", i, why);
        }
    }
    ok(agree == total, "%d of %d random names read as OpenSSL reads them%s%s",
       agree, total, first_bad ? ": " : "", first_bad ? first_bad : "");
    ok(direct_n > total / 8 && direct_n < total,
       "both readings were exercised (%d of %d direct)", direct_n, total);
    ok(refused > 0 && refused < total / 4,
       "some names were refused by both readings, most were read (%d of %d "
       "refused)", refused, total);

    /* Malformed names: refused by both, never read directly. */
    {
        static const unsigned char bad[][12] = {
            {0x30, 0x05, 0x31, 0x03, 0x30, 0x01, 0x06},
            {0x30, 0x08, 0x31, 0x06, 0x30, 0x04},
            {0x30, 0x06, 0x31, 0x04, 0x30, 0x02, 0x06, 0x00},
        };
        static const apr_size_t bad_len[] = {7, 6, 8};
        /* Indefinite lengths are BER, which OpenSSL reads: not directly. */
        static const unsigned char indef[] = {0x30, 0x80, 0x00, 0x00};
        certauthz_dn_t dn0;
        const char *s0;

        ok(certauthz_name_parse(p, indef, sizeof(indef),
                                CERTAUTHZ_NAME_DIRECT, &dn0, &s0, NULL) != NULL,
           "an indefinite length is not read directly");
        for (i = 0; i < 3; i++) {
            certauthz_dn_t dn;
            const char *s;

            ok(certauthz_name_parse(p, bad[i], bad_len[i], CERTAUTHZ_NAME_ANY,
                                    &dn, &s, NULL) != NULL,
               "malformed name %d is refused", i);
        }
    }
    {
        /* A value with a non-minimal length: BER, not DER, but OpenSSL
         * reads it, and so does src/der.c (one reader of lengths): both
         * readings give the same name. */
        static const unsigned char ber[] = {0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09,
                                            0x06, 0x03, 0x55, 0x04, 0x03,
                                            0x0c, 0x81, 0x01, 'x'};
        const char *why = "";
        int direct = 0, same = same_reading(p, ber, sizeof(ber), &direct,
                                            &why);

        ok(same && direct,
           "a non-minimal length reads directly as OpenSSL reads it (%s)",
           why);
    }

    /* PEM as mod_ssl writes it, and variations: the direct decoding gives
     * OpenSSL's bytes or leaves the text to OpenSSL. */
    {
        X509_NAME *n = X509_NAME_new();
        X509 *x;
        BIO *bio = BIO_new(BIO_s_mem());
        char *pem, *data;
        long plen;
        unsigned char *der = NULL;
        int dlen;
        certauthz_cert_t *a = NULL, *b = NULL;
        static const unsigned char sn[] = {0x01, 0x02};

        certgen_add(n, "CN", V_ASN1_UTF8STRING, "pem", -1, 0);
        x = certgen_cert(n, sn, sizeof(sn), "DNS:a.example");
        PEM_write_bio_X509(bio, x);
        plen = BIO_get_mem_data(bio, &data);
        pem = apr_pstrmemdup(p, data, (apr_size_t)plen);
        dlen = i2d_X509(x, &der);
        ok(certauthz_cert_from_pem(p, pem, strlen(pem), &a) == NULL
               && certauthz_cert_from_der(p, der, (apr_size_t)dlen, &b)
                      == NULL
               && strcmp(a->fingerprint, b->fingerprint) == 0,
           "the PEM decodes to the certificate's DER");
        ok(direct_is(p, pem, der, dlen),
           "PEM as OpenSSL writes it is decoded directly, to the DER");
        {
            /* CRLF line ends, no final newline */
            char *crlf = apr_pstrdup(p, ""), *s;
            for (s = pem; *s; s++) {
                crlf = *s == '\n' ? apr_pstrcat(p, crlf, "\r\n", NULL)
                                  : apr_pstrcat(p, crlf,
                                                apr_pstrndup(p, s, 1), NULL);
            }
            a = NULL;
            ok(certauthz_cert_from_pem(p, crlf, strlen(crlf), &a) == NULL
                   && strcmp(a->fingerprint, b->fingerprint) == 0,
               "CRLF line ends decode the same");
            ok(direct_is(p, crlf, der, dlen), "...directly");
            a = NULL;
            ok(certauthz_cert_from_pem(p, pem, strlen(pem) - 1, &a) == NULL
                   && strcmp(a->fingerprint, b->fingerprint) == 0,
               "no final newline decodes the same");
        }
        {
            /* Damage: a stray character, a cut, a changed byte.  Whatever
             * the reading, the fingerprint is never the original's. */
            char *cut = apr_pstrndup(p, pem, strlen(pem) / 2);
            char *stray = apr_pstrdup(p, pem);
            char *flip = apr_pstrdup(p, pem);

            stray[40] = '!';
            flip[100] = flip[100] == 'A' ? 'B' : 'A';
            a = NULL;
            ok(certauthz_cert_from_pem(p, cut, strlen(cut), &a) != NULL,
               "a cut PEM is refused");
            a = NULL;
            ok(certauthz_cert_from_pem(p, stray, strlen(stray), &a) != NULL,
               "a PEM with a stray character is refused");
            a = NULL;
            ok(certauthz_cert_from_pem(p, flip, strlen(flip), &a) != NULL
                   || strcmp(a->fingerprint, b->fingerprint) != 0,
               "a changed base64 character changes the certificate");
        }
        OPENSSL_free(der);
        BIO_free(bio);
        X509_free(x);
        X509_NAME_free(n);
    }

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
