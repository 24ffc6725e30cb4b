/*
 * names: distinguished names read from DER (directly or through OpenSSL),
 * their RFC 4514 strings, and their issuer keys.
 */
#include "names.h"
#include "der.h"
#include "sha256.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/objects.h>

static const char *obj_dotted(apr_pool_t *p, const ASN1_OBJECT *obj)
{
    char buf[128];
    int n = OBJ_obj2txt(buf, sizeof(buf), obj, 1);

    if (n <= 0) {
        return "";
    }
    if ((apr_size_t)n >= sizeof(buf)) {
        /* An absurdly long OID: ask for the exact size. */
        char *big = apr_palloc(p, (apr_size_t)n + 1);
        OBJ_obj2txt(big, n + 1, obj, 1);
        return big;
    }
    return apr_pstrmemdup(p, buf, (apr_size_t)n);
}

/* Decode any ASN.1 string type to UTF-8.  BMPString, UniversalString and
 * T61String are converted; an invalid encoding is reported as undecodable and
 * the raw bytes are kept for logging only. */
static void decode_value(apr_pool_t *p, const ASN1_STRING *data,
                         const char **value, apr_size_t *len, int *bad)
{
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, data);

    if (n >= 0) {
        *value = apr_pstrmemdup(p, (const char *)utf8, (apr_size_t)n);
        *len = (apr_size_t)n;
        *bad = 0;
    }
    else {
        int raw = ASN1_STRING_length(data);
        *value = apr_pstrmemdup(p, (const char *)ASN1_STRING_get0_data(data),
                                raw > 0 ? (apr_size_t)raw : 0);
        *len = raw > 0 ? (apr_size_t)raw : 0;
        *bad = 1;
    }
    OPENSSL_free(utf8);
}

void certauthz_name_values(apr_pool_t *p, const X509_NAME *name,
                           certauthz_dn_t *dn)
{
    int i, n = X509_NAME_entry_count(name);
    certauthz_ava_t *avas;

    dn->n = 0;
    dn->avas = NULL;
    if (n <= 0) {
        return;
    }
    avas = apr_pcalloc(p, sizeof(*avas) * (apr_size_t)n);
    for (i = 0; i < n; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
        certauthz_ava_t *a = &avas[i];

        a->nid = OBJ_obj2nid(obj);
        a->oid = obj_dotted(p, obj);
        a->oid_der_len = OBJ_length(obj);
        a->oid_der = apr_pmemdup(p, OBJ_get0_data(obj),
                                 a->oid_der_len ? a->oid_der_len : 1);
        a->set = X509_NAME_ENTRY_set(e);
        decode_value(p, X509_NAME_ENTRY_get_data(e), &a->value, &a->len,
                     &a->undecodable);
    }
    dn->avas = avas;
    dn->n = n;
}

const char *certauthz_name_string(apr_pool_t *p, const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    const char *s = "";
    char *data;
    long n;

    if (bio == NULL) {
        return s;
    }
    if (X509_NAME_print_ex(bio, name, 0,
                           XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        n = BIO_get_mem_data(bio, &data);
        if (n > 0) {
            s = apr_pstrmemdup(p, data, (apr_size_t)n);
        }
    }
    BIO_free(bio);
    return s;
}

/* ------------------------------------------------------------------ */
/* The canonical encoding (the issuer key)                             */

/* One AVA of the canonical encoding: its DER, SEQUENCE { OID, value }. */
typedef struct {
    const unsigned char *der;
    apr_size_t len;
    int set;
} canon_ava_t;

/* The string types OpenSSL canonicalises (ASN1_MASK_CANON). */
#define CANON_TYPES                                                       \
    (B_ASN1_UTF8STRING | B_ASN1_BMPSTRING | B_ASN1_UNIVERSALSTRING        \
     | B_ASN1_PRINTABLESTRING | B_ASN1_T61STRING | B_ASN1_IA5STRING       \
     | B_ASN1_VISIBLESTRING)

/* Whitespace as OpenSSL's ossl_isspace sees it: ASCII only. */
static int canon_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static apr_size_t hdr_len(apr_size_t n)
{
    return n < 0x80 ? 2 : n < 0x100 ? 3 : n < 0x10000 ? 4
                                        : n < 0x1000000 ? 5 : 6;
}

static unsigned char *put_hdr(unsigned char *o, unsigned tag, apr_size_t n)
{
    int k;

    *o++ = (unsigned char)tag;
    if (n < 0x80) {
        *o++ = (unsigned char)n;
        return o;
    }
    k = (int)hdr_len(n) - 2;
    *o++ = (unsigned char)(0x80 | k);
    while (k-- > 0) {
        *o++ = (unsigned char)(n >> (8 * k));
    }
    return o;
}

/* An AVA whose value (UTF-8) is canonicalised: leading and trailing
 * whitespace dropped, inner runs of it made one space, ASCII letters
 * lower-cased, anything else (bytes of multi-byte characters) kept. */
static void canon_text(apr_pool_t *p, canon_ava_t *e, int set,
                       const unsigned char *oid, apr_size_t oidlen,
                       const unsigned char *v, apr_size_t n)
{
    unsigned char *c = apr_palloc(p, n + 1), *der, *o;
    apr_size_t i = 0, cl = 0, olen, vlen;

    while (n > 0 && canon_space(v[0])) {
        v++;
        n--;
    }
    while (n > 0 && canon_space(v[n - 1])) {
        n--;
    }
    while (i < n) {
        unsigned char ch = v[i];

        if (canon_space(ch)) {
            /* The last character is no space: the run ends before n. */
            c[cl++] = ' ';
            while (canon_space(v[i])) {
                i++;
            }
            continue;
        }
        c[cl++] = ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch + 32) : ch;
        i++;
    }
    olen = hdr_len(oidlen) + oidlen;
    vlen = hdr_len(cl) + cl;
    o = der = apr_palloc(p, hdr_len(olen + vlen) + olen + vlen);
    o = put_hdr(o, 0x30, olen + vlen);
    o = put_hdr(o, V_ASN1_OBJECT, oidlen);
    memcpy(o, oid, oidlen);
    o = put_hdr(o + oidlen, V_ASN1_UTF8STRING, cl);
    memcpy(o, c, cl);
    e->der = der;
    e->len = (apr_size_t)(o + cl - der);
    e->set = set;
}

/* DER SET OF order, as OpenSSL sorts a multi-valued RDN. */
static int canon_cmp(const void *a, const void *b)
{
    const canon_ava_t *x = a, *y = b;
    int c = memcmp(x->der, y->der, x->len < y->len ? x->len : y->len);

    if (c != 0) {
        return c;
    }
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Each RDN as a SET of its sorted AVAs, one after the other, without the
 * outer SEQUENCE (as OpenSSL's canon_enc); hashed into key when not NULL. */
static int canon_finish(apr_pool_t *p, canon_ava_t *e, int n,
                        unsigned char key[32], unsigned char **canon,
                        apr_size_t *canon_len)
{
    apr_size_t total = 0, setlen;
    unsigned char *buf, *o;
    int i, j, k;

    for (i = 0; i < n; i = j) {
        for (setlen = 0, j = i; j < n && e[j].set == e[i].set; j++) {
            setlen += e[j].len;
        }
        total += hdr_len(setlen) + setlen;
    }
    o = buf = apr_palloc(p, total ? total : 1);
    for (i = 0; i < n; i = j) {
        for (setlen = 0, j = i; j < n && e[j].set == e[i].set; j++) {
            setlen += e[j].len;
        }
        if (j - i > 1) {
            qsort(e + i, (size_t)(j - i), sizeof(*e), canon_cmp);
        }
        o = put_hdr(o, V_ASN1_SET | V_ASN1_CONSTRUCTED, setlen);
        for (k = i; k < j; k++) {
            memcpy(o, e[k].der, e[k].len);
            o += e[k].len;
        }
    }
    if (canon != NULL) {
        *canon = buf;
        *canon_len = total;
    }
    if (key != NULL
        && !EVP_Digest(buf, total, key, NULL, certauthz_sha256(), NULL)) {
        return -1;
    }
    return 0;
}

/* The canonical encoding of a name OpenSSL holds. */
static int canon_x509(apr_pool_t *p, const X509_NAME *name,
                      unsigned char key[32], unsigned char **canon,
                      apr_size_t *canon_len)
{
    int i, n = X509_NAME_entry_count(name);
    canon_ava_t *e = apr_pcalloc(p, sizeof(*e) * (apr_size_t)(n > 0 ? n : 1));

    for (i = 0; i < n; i++) {
        const X509_NAME_ENTRY *ne = X509_NAME_get_entry(name, i);
        const ASN1_STRING *v = X509_NAME_ENTRY_get_data(ne);
        const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(ne);

        if (ASN1_tag2bit(ASN1_STRING_type(v)) & CANON_TYPES) {
            unsigned char *utf8 = NULL;
            int l = ASN1_STRING_to_UTF8(&utf8, v);

            if (l < 0) {
                return -1;  /* X509_NAME_cmp cannot compare it either */
            }
            canon_text(p, &e[i], X509_NAME_ENTRY_set(ne), OBJ_get0_data(obj),
                       OBJ_length(obj), utf8, (apr_size_t)l);
            OPENSSL_free(utf8);
        }
        else {
            /* Other types are compared as they are encoded. */
            unsigned char *der = NULL;
            int l = i2d_X509_NAME_ENTRY(ne, &der);

            if (l <= 0) {
                return -1;
            }
            e[i].der = apr_pmemdup(p, der, (apr_size_t)l);
            e[i].len = (apr_size_t)l;
            e[i].set = X509_NAME_ENTRY_set(ne);
            OPENSSL_free(der);
        }
    }
    return canon_finish(p, e, n, key, canon, canon_len);
}

/* The canonical encoding of a name read directly: its values are all of
 * canonicalised types and already UTF-8. */
static int canon_direct(apr_pool_t *p, const certauthz_dn_t *dn,
                        unsigned char key[32])
{
    canon_ava_t *e = apr_palloc(p, sizeof(*e) * (apr_size_t)(dn->n ? dn->n
                                                                 : 1));
    int i;

    for (i = 0; i < dn->n; i++) {
        const certauthz_ava_t *a = &dn->avas[i];

        canon_text(p, &e[i], a->set, a->oid_der, a->oid_der_len,
                   (const unsigned char *)a->value, a->len);
    }
    return canon_finish(p, e, dn->n, key, NULL, NULL);
}

int certauthz_name_canon(apr_pool_t *p, const X509_NAME *name,
                         unsigned char **canon, apr_size_t *len)
{
    return canon_x509(p, name, NULL, canon, len);
}

int certauthz_name_key(const X509_NAME *name, unsigned char key[32])
{
    apr_pool_t *tmp;
    int rv;

    if (apr_pool_create(&tmp, NULL) != APR_SUCCESS) {
        return -1;
    }
    rv = canon_x509(tmp, name, key, NULL, NULL);
    apr_pool_destroy(tmp);
    return rv;
}

/* ------------------------------------------------------------------ */
/* Names read directly from DER                                        */

/* The attribute types names commonly carry, by the content octets of
 * their OID.  t/unit/test_certinfo.c checks each against OpenSSL's own
 * object table. */
typedef struct {
    unsigned char der[10];
    unsigned char len;
    int nid;
    const char *dotted;
} known_attr_t;

#define X520(n, nid) {{0x55, 0x04, n}, 3, nid, "2.5.4." #n}
static const known_attr_t known_attrs[] = {
    X520(3, NID_commonName),
    X520(4, NID_surname),
    X520(5, NID_serialNumber),
    X520(6, NID_countryName),
    X520(7, NID_localityName),
    X520(8, NID_stateOrProvinceName),
    X520(9, NID_streetAddress),
    X520(10, NID_organizationName),
    X520(11, NID_organizationalUnitName),
    X520(12, NID_title),
    X520(13, NID_description),
    X520(17, NID_postalCode),
    X520(41, NID_name),
    X520(42, NID_givenName),
    X520(43, NID_initials),
    X520(44, NID_generationQualifier),
    X520(46, NID_dnQualifier),
    X520(65, NID_pseudonym),
    X520(72, NID_role),
    X520(97, NID_organizationIdentifier),
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01}, 9,
     NID_pkcs9_emailAddress, "1.2.840.113549.1.9.1"},
    {{0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}, 10,
     NID_domainComponent, "0.9.2342.19200300.100.1.25"},
    {{0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01}, 10,
     NID_userId, "0.9.2342.19200300.100.1.1"},
};
#undef X520

static const known_attr_t *known_attr(const unsigned char *der,
                                      apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < sizeof(known_attrs) / sizeof(known_attrs[0]); i++) {
        if (known_attrs[i].len == len
            && memcmp(known_attrs[i].der, der, len) == 0) {
            return &known_attrs[i];
        }
    }
    return NULL;
}

/* What X509_NAME_print_ex with mod_ssl's flags (XN_FLAG_RFC2253 without
 * ASN1_STRFLGS_ESC_MSB) writes for printable ASCII character i of a value
 * of n characters: a backslash before ",+\"\\<>;", before '#' when it
 * comes first, and before a space that comes first or last, where a value
 * of one character counts as last only (OpenSSL's do_buf). */
static int esc_2253(unsigned char ch, apr_size_t i, apr_size_t n)
{
    switch (ch) {
    case ',': case '+': case '"': case '\\': case '<': case '>': case ';':
        return 1;
    case '#':
        return i == 0 && n > 1;
    case ' ':
        return i == 0 || i + 1 == n;
    default:
        return 0;
    }
}

/* One RDN of the direct reading: a SET of exactly one AVA of a known
 * attribute with a UTF8String, PrintableString or IA5String value.  0 with
 * oid and val set, or -1 (multi-valued RDNs and the rest go to OpenSSL). */
static int fast_rdn(certauthz_der_t *d, certauthz_tlv_t *oid,
                    certauthz_tlv_t *val, const known_attr_t **k)
{
    certauthz_der_t r, a;
    certauthz_tlv_t rdn, ava;

    if (certauthz_der_expect(d, 0x31, &rdn) != 0) {
        return -1;
    }
    certauthz_der_enter(&r, &rdn);
    if (certauthz_der_expect(&r, 0x30, &ava) != 0 || !certauthz_der_done(&r)) {
        return -1;
    }
    certauthz_der_enter(&a, &ava);
    if (certauthz_der_expect(&a, V_ASN1_OBJECT, oid) != 0
        || certauthz_der_next(&a, val) != 0 || !certauthz_der_done(&a)
        || (val->tag != V_ASN1_UTF8STRING
            && val->tag != V_ASN1_PRINTABLESTRING
            && val->tag != V_ASN1_IA5STRING)) {
        return -1;
    }
    *k = known_attr(oid->val, oid->len);
    return *k != NULL && OBJ_nid2sn((*k)->nid) != NULL ? 0 : -1;
}

/*
 * The direct reading of certauthz_name_parse: 1 when the name (content
 * octets of its SEQUENCE) was read, 0 when it is not of the shapes read
 * here and OpenSSL must read it.  Never fails otherwise.
 */
static int fast_name(apr_pool_t *p, const unsigned char *c, apr_size_t clen,
                     certauthz_dn_t *dn, const char **str)
{
    certauthz_der_t d;
    certauthz_tlv_t oid, val;
    const known_attr_t *k;
    certauthz_ava_t *avas;
    apr_size_t slen = 0;
    int n = 0, i;
    char *out, *o;

    /* First pass: check the shape, count, and size the string. */
    certauthz_der_init(&d, c, clen);
    while (!certauthz_der_done(&d)) {
        apr_size_t j;

        if (fast_rdn(&d, &oid, &val, &k) != 0) {
            return 0;
        }
        for (j = 0; j < val.len;) {
            unsigned char ch = val.val[j];
            unsigned long cp;
            apr_size_t u;

            if (ch >= 0x20 && ch <= 0x7e) {
                slen += 1 + (apr_size_t)esc_2253(ch, j, val.len);
                j++;
            }
            else if (ch >= 0x80 && val.tag == V_ASN1_UTF8STRING
                     && (u = certauthz_utf8_char(val.val + j, val.len - j,
                                                 &cp)) != 0) {
                /* Well-formed UTF-8, as ASN1_STRING_to_UTF8 requires: kept
                 * as it is, in the value and in the string. */
                slen += u;
                j += u;
            }
            else {
                return 0;       /* controls; non-ASCII outside UTF-8 */
            }
        }
        slen += strlen(OBJ_nid2sn(k->nid)) + 2;     /* "SN=" and "," */
        n++;
    }

    avas = apr_pcalloc(p, sizeof(*avas) * (apr_size_t)(n ? n : 1));
    certauthz_der_init(&d, c, clen);
    for (i = 0; i < n; i++) {
        fast_rdn(&d, &oid, &val, &k);
        avas[i].nid = k->nid;
        avas[i].oid = k->dotted;
        avas[i].oid_der = k->der;
        avas[i].oid_der_len = k->len;
        avas[i].value = apr_pstrmemdup(p, (const char *)val.val, val.len);
        avas[i].len = val.len;
        avas[i].set = i;
    }
    dn->avas = n ? avas : NULL;
    dn->n = n;

    if (str != NULL) {
        /* Last RDN first, as RFC 4514 (and XN_FLAG_DN_REV) writes them. */
        o = out = apr_palloc(p, slen + 1);
        for (i = n - 1; i >= 0; i--) {
            const char *sn = OBJ_nid2sn(avas[i].nid);
            apr_size_t j, snl = strlen(sn);

            if (i != n - 1) {
                *o++ = ',';
            }
            memcpy(o, sn, snl);
            o += snl;
            *o++ = '=';
            for (j = 0; j < avas[i].len; j++) {
                unsigned char ch = (unsigned char)avas[i].value[j];

                if (esc_2253(ch, j, avas[i].len)) {
                    *o++ = '\\';
                }
                *o++ = (char)ch;
            }
        }
        *o = '\0';
        *str = out;
    }
    return 1;
}

const char *certauthz_name_parse(apr_pool_t *p, const unsigned char *der,
                                 apr_size_t len, certauthz_name_how_e how,
                                 certauthz_dn_t *dn, const char **str,
                                 unsigned char key[32])
{
    const unsigned char *q = der;
    certauthz_der_t d;
    certauthz_tlv_t t;
    X509_NAME *name;
    int bad;

    if (len > 0x7fffffff) {
        return "name too large";
    }
    certauthz_der_init(&d, der, len);
    if (how != CERTAUTHZ_NAME_OPENSSL && certauthz_der_expect(&d, 0x30, &t) == 0
        && certauthz_der_done(&d) && fast_name(p, t.val, t.len, dn, str)) {
        return key != NULL && canon_direct(p, dn, key) != 0
                   ? "cannot hash a name" : NULL;
    }
    if (how == CERTAUTHZ_NAME_DIRECT) {
        return "not a name read directly";
    }
    name = d2i_X509_NAME(NULL, &q, (long)len);
    if (name == NULL || q != der + len) {
        X509_NAME_free(name);
        return "malformed name";
    }
    certauthz_name_values(p, name, dn);
    if (str != NULL) {
        *str = certauthz_name_string(p, name);
    }
    bad = key != NULL && canon_x509(p, name, key, NULL, NULL) != 0;
    X509_NAME_free(name);
    return bad ? "cannot hash a name" : NULL;
}

int certauthz_name_key_der(const unsigned char *der, apr_size_t len,
                           unsigned char key[32])
{
    apr_pool_t *tmp;
    certauthz_dn_t dn;
    const char *err;

    if (apr_pool_create(&tmp, NULL) != APR_SUCCESS) {
        return -1;
    }
    err = certauthz_name_parse(tmp, der, len, CERTAUTHZ_NAME_ANY, &dn, NULL,
                               key);
    apr_pool_destroy(tmp);
    return err == NULL ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Attribute types                                                     */

static int valid_dotted_oid(const char *s)
{
    int arcs = 0, digits = 0;

    for (; *s; s++) {
        if (*s >= '0' && *s <= '9') {
            digits++;
        }
        else if (*s == '.' && digits > 0) {
            arcs++;
            digits = 0;
        }
        else {
            return 0;
        }
    }
    return digits > 0 && arcs >= 1;
}

int certauthz_attr_lookup(apr_pool_t *p, const char *name,
                          certauthz_attr_t *attr)
{
    int nid = NID_undef;

    if (name == NULL || *name == '\0') {
        return -1;
    }
    if (valid_dotted_oid(name)) {
        ASN1_OBJECT *obj = OBJ_txt2obj(name, 1);

        if (obj == NULL) {
            return -1;
        }
        attr->nid = OBJ_obj2nid(obj);
        attr->oid = obj_dotted(p, obj);
        ASN1_OBJECT_free(obj);
        return 0;
    }
    nid = OBJ_sn2nid(name);
    if (nid == NID_undef) {
        nid = OBJ_ln2nid(name);
    }
    if (nid == NID_undef) {
        /* Case-insensitive: short names first, then long names.  Runs at
         * configuration time only. */
        int i, max = OBJ_new_nid(0);

        for (i = 1; i < max && nid == NID_undef; i++) {
            const char *sn = OBJ_nid2sn(i);
            if (sn != NULL && strcasecmp(sn, name) == 0) {
                nid = i;
            }
        }
        for (i = 1; i < max && nid == NID_undef; i++) {
            const char *ln = OBJ_nid2ln(i);
            if (ln != NULL && strcasecmp(ln, name) == 0) {
                nid = i;
            }
        }
    }
    if (nid == NID_undef || OBJ_nid2obj(nid) == NULL
        || OBJ_length(OBJ_nid2obj(nid)) == 0) {
        return -1;
    }
    attr->nid = nid;
    attr->oid = obj_dotted(p, OBJ_nid2obj(nid));
    return 0;
}

int certauthz_ava_is(const certauthz_ava_t *ava, const certauthz_attr_t *attr)
{
    if (attr->nid != NID_undef) {
        return ava->nid == attr->nid;
    }
    return strcmp(ava->oid, attr->oid) == 0;
}
