/*
 * certinfo: extract the fields rules and logs need from an X.509
 * certificate, once, into immutable pool memory.
 */
#include "certinfo.h"
#include "utf8.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <apr_strings.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

/* OpenSSL 3 looks up the implementation behind EVP_sha256() on every use
 * (a few thousand instructions, more than hashing a certificate's name);
 * it is fetched once per process instead.  Written once under
 * pthread_once, read-only afterwards, so threads share it safely. */
static EVP_MD *sha256_fetched;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_fetched = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

static const EVP_MD *sha256_md(void)
{
    pthread_once(&sha256_once, sha256_fetch);
    return sha256_fetched != NULL ? sha256_fetched : EVP_sha256();
}

static char *hex_encode(apr_pool_t *p, const unsigned char *b, apr_size_t n,
                        const char *digits)
{
    char *s = apr_palloc(p, n * 2 + 1);
    apr_size_t i;

    for (i = 0; i < n; i++) {
        s[2 * i] = digits[b[i] >> 4];
        s[2 * i + 1] = digits[b[i] & 0xf];
    }
    s[2 * n] = '\0';
    return s;
}

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

static void extract_dn(apr_pool_t *p, const X509_NAME *name,
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

/* The RFC 4514 form mod_ssl gives SSL_CLIENT_S_DN (without
 * SSLOptions +LegacyDNStringFormat): UTF-8 kept, specials escaped. */
static const char *dn_string(apr_pool_t *p, const X509_NAME *name)
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

/* The key of a parsed name (see certauthz_name_key): every AVA as its RDN
 * index, whether its value decoded, its OID and its value, each with its
 * length, so that no two different names hash the same input. */
static int dn_key(const certauthz_dn_t *dn, unsigned char key[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int i, ok = 0;

    if (ctx == NULL || !EVP_DigestInit_ex(ctx, sha256_md(), NULL)) {
        goto done;
    }
    for (i = 0; i < dn->n; i++) {
        const certauthz_ava_t *a = &dn->avas[i];
        unsigned char hdr[12];
        apr_uint32_t set = (apr_uint32_t)a->set;
        apr_uint32_t olen = (apr_uint32_t)a->oid_der_len;
        apr_uint32_t vlen = (apr_uint32_t)a->len;
        int k;

        for (k = 0; k < 4; k++) {
            hdr[k] = (unsigned char)(set >> (24 - 8 * k));
            hdr[4 + k] = (unsigned char)(olen >> (24 - 8 * k));
            hdr[8 + k] = (unsigned char)(vlen >> (24 - 8 * k));
        }
        /* Undecodable values are hashed as their raw bytes, tagged so
         * that they can never collide with a decoded value. */
        hdr[0] |= a->undecodable ? 0x80 : 0;
        if (!EVP_DigestUpdate(ctx, hdr, sizeof(hdr))
            || !EVP_DigestUpdate(ctx, a->oid_der, a->oid_der_len)
            || !EVP_DigestUpdate(ctx, a->value, a->len)) {
            goto done;
        }
    }
    ok = EVP_DigestFinal_ex(ctx, key, NULL);
done:
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

int certauthz_name_key(const X509_NAME *name, unsigned char key[32])
{
    apr_pool_t *tmp;
    certauthz_dn_t dn;
    int rv;

    if (apr_pool_create(&tmp, NULL) != APR_SUCCESS) {
        return -1;
    }
    extract_dn(tmp, name, &dn);
    rv = dn_key(&dn, key);
    apr_pool_destroy(tmp);
    return rv;
}

/* ------------------------------------------------------------------ */
/* Names read directly from DER                                        */

/* One DER element read strictly: definite, minimal lengths only.  On
 * success *pp is past the element. */
typedef struct {
    int tag;                        /* the identifier octet */
    const unsigned char *val;       /* content */
    apr_size_t len;
} tlv_t;

static int tlv_next(const unsigned char **pp, const unsigned char *end,
                    tlv_t *t)
{
    const unsigned char *q = *pp;
    apr_size_t len;

    if (end - q < 2 || (q[0] & 0x1f) == 0x1f) {
        return -1;      /* truncated, or a multi-octet tag */
    }
    t->tag = q[0];
    len = q[1];
    q += 2;
    if (len == 0x81) {
        if (end - q < 1 || q[0] < 0x80) {
            return -1;
        }
        len = q[0];
        q += 1;
    }
    else if (len == 0x82) {
        if (end - q < 2 || q[0] == 0) {
            return -1;
        }
        len = ((apr_size_t)q[0] << 8) | q[1];
        q += 2;
    }
    else if (len >= 0x80) {
        return -1;      /* indefinite, or longer than a name can be */
    }
    if ((apr_size_t)(end - q) < len) {
        return -1;
    }
    t->val = q;
    t->len = len;
    *pp = q + len;
    return 0;
}

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

/*
 * The direct reading of certauthz_name_parse: 1 when the name (content
 * octets of its SEQUENCE) was read, 0 when it is not of the shapes read
 * here and OpenSSL must read it.  Never fails otherwise.
 */
static int fast_name(apr_pool_t *p, const unsigned char *c, apr_size_t clen,
                     certauthz_dn_t *dn, const char **str)
{
    const unsigned char *q = c, *end = c + clen;
    certauthz_ava_t *avas;
    apr_size_t slen = 0;
    int n = 0, i;
    char *out, *o;

    /* First pass: check the shape, count, and size the string. */
    while (q < end) {
        tlv_t rdn, ava, oid, val;
        const unsigned char *r;
        const known_attr_t *k;
        apr_size_t j;

        if (tlv_next(&q, end, &rdn) != 0 || rdn.tag != 0x31) {
            return 0;
        }
        r = rdn.val;
        /* Exactly one AVA: multi-valued RDNs go to OpenSSL. */
        if (tlv_next(&r, rdn.val + rdn.len, &ava) != 0 || ava.tag != 0x30
            || r != rdn.val + rdn.len) {
            return 0;
        }
        r = ava.val;
        if (tlv_next(&r, ava.val + ava.len, &oid) != 0 || oid.tag != 0x06
            || tlv_next(&r, ava.val + ava.len, &val) != 0
            || r != ava.val + ava.len
            || (val.tag != V_ASN1_UTF8STRING
                && val.tag != V_ASN1_PRINTABLESTRING
                && val.tag != V_ASN1_IA5STRING)) {
            return 0;
        }
        k = known_attr(oid.val, oid.len);
        if (k == NULL || OBJ_nid2sn(k->nid) == NULL) {
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
    q = c;
    for (i = 0; i < n; i++) {
        tlv_t rdn, ava, oid, val;
        const unsigned char *r;
        const known_attr_t *k;

        tlv_next(&q, end, &rdn);
        r = rdn.val;
        tlv_next(&r, rdn.val + rdn.len, &ava);
        r = ava.val;
        tlv_next(&r, ava.val + ava.len, &oid);
        tlv_next(&r, ava.val + ava.len, &val);
        k = known_attr(oid.val, oid.len);
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
    X509_NAME *name;
    tlv_t t;

    if (len > 0x7fffffff) {
        return "name too large";
    }
    if (how != CERTAUTHZ_NAME_OPENSSL && tlv_next(&q, der + len, &t) == 0
        && t.tag == 0x30 && q == der + len
        && fast_name(p, t.val, t.len, dn, str)) {
        return key != NULL && dn_key(dn, key) != 0 ? "cannot hash a name"
                                                   : NULL;
    }
    if (how == CERTAUTHZ_NAME_DIRECT) {
        return "not a name read directly";
    }
    q = der;
    name = d2i_X509_NAME(NULL, &q, (long)len);
    if (name == NULL || q != der + len) {
        X509_NAME_free(name);
        return "malformed name";
    }
    extract_dn(p, name, dn);
    if (str != NULL) {
        *str = dn_string(p, name);
    }
    X509_NAME_free(name);
    return key != NULL && dn_key(dn, key) != 0 ? "cannot hash a name" : NULL;
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

static apr_int64_t asn1_time_to_epoch(const ASN1_TIME *t)
{
    struct tm tm;

    if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) {
        return 0;
    }
    return (apr_int64_t)timegm(&tm);
}

static void extract_sans(apr_pool_t *p, const GENERAL_NAMES *gens,
                         certauthz_cert_t *c)
{
    certauthz_san_t *sans;
    int i, n, k = 0;

    c->sans = NULL;
    c->n_sans = 0;
    if (gens == NULL) {
        return;
    }
    n = sk_GENERAL_NAME_num(gens);
    sans = apr_pcalloc(p, sizeof(*sans) * (apr_size_t)(n > 0 ? n : 1));
    for (i = 0; i < n; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        certauthz_san_t *s = &sans[k];
        const ASN1_STRING *str;

        switch (g->type) {
        case GEN_EMAIL:
            s->type = CERTAUTHZ_SAN_EMAIL;
            str = g->d.rfc822Name;
            break;
        case GEN_DNS:
            s->type = CERTAUTHZ_SAN_DNS;
            str = g->d.dNSName;
            break;
        case GEN_URI:
            s->type = CERTAUTHZ_SAN_URI;
            str = g->d.uniformResourceIdentifier;
            break;
        case GEN_IPADD: {
            char buf[INET6_ADDRSTRLEN];
            int len = ASN1_STRING_length(g->d.iPAddress);

            if (len != 4 && len != 16) {
                continue;       /* not an address; ignored, never matched */
            }
            s->type = CERTAUTHZ_SAN_IP;
            s->iplen = len;
            memcpy(s->ip, ASN1_STRING_get0_data(g->d.iPAddress),
                   (size_t)len);
            inet_ntop(len == 4 ? AF_INET : AF_INET6, s->ip, buf, sizeof(buf));
            s->value = apr_pstrdup(p, buf);
            s->len = strlen(s->value);
            k++;
            continue;
        }
        default:
            continue;
        }
        s->len = (apr_size_t)ASN1_STRING_length(str);
        s->value = apr_pstrmemdup(p, (const char *)ASN1_STRING_get0_data(str),
                                  s->len);
        k++;
    }
    c->sans = sans;
    c->n_sans = k;
}

/* Everything but the names and the fingerprint, from the decoded parts. */
static void fill(apr_pool_t *p, certauthz_cert_t *c, const ASN1_INTEGER *sn,
                 const ASN1_TIME *nb, const ASN1_TIME *na,
                 const GENERAL_NAMES *gens)
{
    const unsigned char *sd = ASN1_STRING_get0_data(sn);
    int sl = ASN1_STRING_length(sn);

    c->serial_negative = ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER;
    /* mod_ssl prints the stored bytes (i2a_ASN1_INTEGER), "00" for zero. */
    if (sl <= 0) {
        c->serial_hex = "00";
    }
    else {
        c->serial_hex = hex_encode(p, sd, (apr_size_t)sl, hex_upper);
    }
    if (c->serial_negative) {
        c->serial_hex = apr_pstrcat(p, "-", c->serial_hex, NULL);
    }
    while (sl > 0 && *sd == 0) {
        sd++;
        sl--;
    }
    c->serial = (const unsigned char *)apr_pmemdup(p, sd,
                                                   sl > 0 ? (apr_size_t)sl : 1);
    c->serial_len = sl > 0 ? (apr_size_t)sl : 0;

    if (gens != NULL) {
        extract_sans(p, gens, c);
    }
    c->not_before = asn1_time_to_epoch(nb);
    c->not_after = asn1_time_to_epoch(na);
}

const char *certauthz_cert_from_x509(apr_pool_t *p, X509 *x,
                                     certauthz_cert_t **out)
{
    certauthz_cert_t *c;
    GENERAL_NAMES *gens;
    unsigned int mdlen = 0;
    const char *err;
    int crit = 0;

    if (x == NULL) {
        return "no certificate";
    }
    c = apr_pcalloc(p, sizeof(*c));
    if (!X509_digest(x, EVP_sha256(), c->sha256, &mdlen) || mdlen != 32) {
        return "cannot compute the SHA-256 fingerprint";
    }
    c->fingerprint = hex_encode(p, c->sha256, 32, hex_lower);
    gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    if (gens == NULL && crit == -2) {
        return "more than one subjectAltName extension";
    }
    /* OpenSSL's own reading of the names: the reference the direct
     * reading of certauthz_cert_from_der is tested against. */
    extract_dn(p, X509_get_subject_name(x), &c->subject);
    extract_dn(p, X509_get_issuer_name(x), &c->issuer);
    c->subject_dn = dn_string(p, X509_get_subject_name(x));
    c->issuer_dn = dn_string(p, X509_get_issuer_name(x));
    err = dn_key(&c->issuer, c->issuer_key) != 0
              ? "cannot hash the issuer name" : NULL;
    fill(p, c, X509_get0_serialNumber(x), X509_get0_notBefore(x),
         X509_get0_notAfter(x), gens);
    GENERAL_NAMES_free(gens);
    if (err == NULL) {
        *out = c;
    }
    return err;
}

/* Step over one DER element; returns its content in *content and *clen,
 * its identifier octet in *ident.  -1 on malformed or overlong input. */
static int der_next(const unsigned char **pp, const unsigned char *end,
                    const unsigned char **content, long *clen, int *ident)
{
    const unsigned char *q = *pp;
    long len;
    int tag, xclass, r;

    if (q >= end) {
        return -1;
    }
    *ident = *q;
    r = ASN1_get_object(&q, &len, &tag, &xclass, end - q);
    if ((r & 0x80) || (r & 1) || len < 0 || len > end - q) {
        return -1;      /* error, indefinite length, or beyond the end */
    }
    *content = q;
    *clen = len;
    *pp = q + len;
    return 0;
}

/*
 * The certificate's fields straight from its DER, without d2i_X509: that
 * also decodes the public key, which under OpenSSL 3 is nine tenths of
 * the cost of a parse, for a key no rule looks at.  mod_ssl has verified
 * the certificate (with OpenSSL's full parser) before it reaches a rule;
 * here every length is still checked, since the bytes come from a client.
 */
const char *certauthz_cert_from_der(apr_pool_t *p, const unsigned char *der,
                                    apr_size_t len, certauthz_cert_t **out)
{
    const unsigned char *end, *q, *tbs, *tbs_end, *v, *e;
    const unsigned char *issuer, *subject;
    apr_size_t issuer_len, subject_len;
    long clen;
    int ident;
    ASN1_INTEGER *sn = NULL;
    ASN1_TIME *nb = NULL, *na = NULL;
    GENERAL_NAMES *gens = NULL;
    certauthz_cert_t *c;
    const char *err = "not a DER certificate";

    if (len > (apr_size_t)0x7fffffff) {
        return "certificate too large";
    }
    end = der + len;
    q = der;
    /* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, sig } */
    if (der_next(&q, end, &tbs, &clen, &ident) != 0 || ident != 0x30
        || q != end) {
        return err;
    }
    end = tbs + clen;
    q = tbs;
    if (der_next(&q, end, &tbs, &clen, &ident) != 0 || ident != 0x30) {
        return err;
    }
    tbs_end = tbs + clen;
    q = tbs;
    /* version [0] EXPLICIT, optional */
    if (q < tbs_end && *q == 0xa0
        && der_next(&q, tbs_end, &v, &clen, &ident) != 0) {
        return err;
    }
    v = q;
    sn = d2i_ASN1_INTEGER(NULL, &q, tbs_end - q);
    if (sn == NULL) {
        goto done;
    }
    /* signature AlgorithmIdentifier */
    if (der_next(&q, tbs_end, &v, &clen, &ident) != 0 || ident != 0x30) {
        goto done;
    }
    /* issuer Name: read below */
    issuer = q;
    if (der_next(&q, tbs_end, &v, &clen, &ident) != 0 || ident != 0x30) {
        goto done;
    }
    issuer_len = (apr_size_t)(q - issuer);
    /* Validity ::= SEQUENCE { notBefore Time, notAfter Time } */
    if (der_next(&q, tbs_end, &v, &clen, &ident) != 0 || ident != 0x30) {
        goto done;
    }
    e = v + clen;
    nb = d2i_ASN1_TIME(NULL, &v, e - v);
    na = nb ? d2i_ASN1_TIME(NULL, &v, e - v) : NULL;
    if (na == NULL || v != e) {
        goto done;
    }
    subject = q;
    if (der_next(&q, tbs_end, &v, &clen, &ident) != 0 || ident != 0x30) {
        goto done;
    }
    subject_len = (apr_size_t)(q - subject);
    /* subjectPublicKeyInfo: skipped, see above */
    if (der_next(&q, tbs_end, &v, &clen, &ident) != 0 || ident != 0x30) {
        goto done;
    }
    /* issuerUniqueID [1], subjectUniqueID [2], extensions [3] */
    while (q < tbs_end) {
        if (der_next(&q, tbs_end, &v, &clen, &ident) != 0) {
            goto done;
        }
        if (ident == 0xa3) {
            /* Extensions ::= SEQUENCE OF Extension; Extension ::= SEQUENCE
             * { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue
             * OCTET STRING }.  Only subjectAltName is decoded. */
            const unsigned char *x = v, *xend = v + clen, *f, *fend, *oid;
            long flen, olen;

            if (der_next(&x, xend, &f, &flen, &ident) != 0 || ident != 0x30
                || x != xend) {
                goto done;
            }
            x = f;
            xend = f + flen;
            while (x < xend) {
                if (der_next(&x, xend, &f, &flen, &ident) != 0
                    || ident != 0x30) {
                    goto done;
                }
                fend = f + flen;
                if (der_next(&f, fend, &oid, &olen, &ident) != 0
                    || ident != 0x06
                    || (f < fend && *f == 0x01
                        && der_next(&f, fend, &e, &clen, &ident) != 0)
                    || der_next(&f, fend, &e, &clen, &ident) != 0
                    || ident != 0x04 || f != fend) {
                    goto done;
                }
                if (olen == 3 && memcmp(oid, "\x55\x1d\x11", 3) == 0) {
                    if (gens != NULL) {
                        err = "more than one subjectAltName extension";
                        goto done;
                    }
                    gens = d2i_GENERAL_NAMES(NULL, &e, clen);
                    if (gens == NULL) {
                        err = "malformed subjectAltName extension";
                        goto done;
                    }
                }
            }
        }
        else if ((ident & 0x1f) != 1 && (ident & 0x1f) != 2) {
            goto done;
        }
    }
    c = apr_pcalloc(p, sizeof(*c));
    if (!EVP_Digest(der, len, c->sha256, NULL, sha256_md(), NULL)) {
        err = "cannot compute the SHA-256 fingerprint";
        goto done;
    }
    c->fingerprint = hex_encode(p, c->sha256, 32, hex_lower);
    if (certauthz_name_parse(p, issuer, issuer_len, CERTAUTHZ_NAME_ANY,
                             &c->issuer, &c->issuer_dn, c->issuer_key) != NULL
        || certauthz_name_parse(p, subject, subject_len, CERTAUTHZ_NAME_ANY,
                                &c->subject, &c->subject_dn, NULL) != NULL) {
        goto done;
    }
    fill(p, c, sn, nb, na, gens);
    *out = c;
    err = NULL;
done:
    GENERAL_NAMES_free(gens);
    ASN1_TIME_free(nb);
    ASN1_TIME_free(na);
    ASN1_INTEGER_free(sn);
    return err;
}

/* The base64 alphabet's values; 64 for '=', 0xff for anything else. */
static const unsigned char b64_value[256] = {
#define X 0xff
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, 64, X, X,
    X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
    X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
#undef X
};

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END "-----END CERTIFICATE-----"

/*
 * The DER of a PEM certificate as mod_ssl writes SSL_CLIENT_CERT
 * (PEM_write_bio_X509): the BEGIN line, base64 in lines of 64 characters
 * but the last, the END line; LF or CRLF line ends.  1 with *der and *dlen
 * set; 0 when the text has any other shape (headers, stray characters,
 * other line lengths, bad padding), which OpenSSL's PEM reader then judges:
 * this reading takes nothing that one refuses (fuzz/fuzz_cert.c).
 */
int certauthz_pem_read_direct(apr_pool_t *p, const char *pem, apr_size_t len,
                              unsigned char **der, apr_size_t *dlen)
{
    const unsigned char *s = (const unsigned char *)pem, *end = s + len;
    unsigned char *out, *o;
    apr_uint32_t acc = 0;
    int nq = 0, pad = 0, line = 0, last = 0;

    if (len < sizeof(PEM_BEGIN) + sizeof(PEM_END)
        || memcmp(s, PEM_BEGIN, sizeof(PEM_BEGIN) - 1) != 0) {
        return 0;
    }
    s += sizeof(PEM_BEGIN) - 1;
    if (*s == '\r') {
        s++;
    }
    if (*s != '\n') {
        return 0;
    }
    s++;
    o = out = apr_palloc(p, len / 4 * 3 + 3);
    for (; s < end && *s != '-'; s++) {
        unsigned char v;

        /* Four characters at a time while they are plain base64. */
        while (nq == 0 && !pad && line <= 60 && end - s >= 4
               && (b64_value[s[0]] | b64_value[s[1]] | b64_value[s[2]]
                   | b64_value[s[3]]) < 64) {
            apr_uint32_t q4 = ((apr_uint32_t)b64_value[s[0]] << 18)
                              | ((apr_uint32_t)b64_value[s[1]] << 12)
                              | ((apr_uint32_t)b64_value[s[2]] << 6)
                              | b64_value[s[3]];

            *o++ = (unsigned char)(q4 >> 16);
            *o++ = (unsigned char)(q4 >> 8);
            *o++ = (unsigned char)q4;
            s += 4;
            line += 4;
        }
        if (s >= end || *s == '-') {
            break;
        }
        if (*s == '\r') {
            if (end - s < 2 || s[1] != '\n') {
                return 0;
            }
            continue;           /* the '\n' ends the line */
        }
        if (*s == '\n') {
            /* No empty line; only the last line may be shorter. */
            if (line == 0 || last) {
                return 0;
            }
            last = line != 64;
            line = 0;
            continue;
        }
        v = b64_value[*s];
        if (last || ++line > 64 || v == 0xff || (pad && v != 64)) {
            return 0;
        }
        if (v == 64) {
            /* '=' only as the last one or two characters of a quantum */
            if (++pad > 2 || nq < 2) {
                return 0;
            }
            v = 0;
        }
        acc = (acc << 6) | v;
        if (++nq == 4) {
            *o++ = (unsigned char)(acc >> 16);
            if (pad < 2) {
                *o++ = (unsigned char)(acc >> 8);
            }
            if (pad < 1) {
                *o++ = (unsigned char)acc;
            }
            acc = 0;
            nq = 0;
        }
    }
    /* The END line starts a line of its own. */
    if (line != 0) {
        return 0;
    }
    if (nq != 0 || (apr_size_t)(end - s) < sizeof(PEM_END) - 1
        || memcmp(s, PEM_END, sizeof(PEM_END) - 1) != 0) {
        return 0;
    }
    for (s += sizeof(PEM_END) - 1; s < end; s++) {
        if (*s != '\n' && *s != '\r') {
            return 0;
        }
    }
    *der = out;
    *dlen = (apr_size_t)(o - out);
    return 1;
}

const char *certauthz_cert_from_pem(apr_pool_t *p, const char *pem,
                                    apr_size_t len, certauthz_cert_t **out)
{
    BIO *bio;
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long dlen = 0;
    const char *err;

    if (len > (apr_size_t)0x7fffffff) {
        return "certificate too large";
    }
    {
        unsigned char *fder;
        apr_size_t flen;

        if (certauthz_pem_read_direct(p, pem, len, &fder, &flen)) {
            return certauthz_cert_from_der(p, fder, flen, out);
        }
    }
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        return "out of memory";
    }
    /* Only the base64 is decoded here; the DER is read by the above. */
    if (!PEM_read_bio(bio, &name, &header, &data, &dlen)
        || strcmp(name, PEM_STRING_X509) != 0) {
        err = "not a PEM certificate";
    }
    else {
        err = certauthz_cert_from_der(p, data, (apr_size_t)dlen, out);
    }
    BIO_free(bio);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    return err;
}

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

void certauthz_iso8601(apr_int64_t t, char buf[21])
{
    struct tm tm;
    time_t tt = (time_t)t;

    if (gmtime_r(&tt, &tm) == NULL
        || strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        apr_cpystrn(buf, "1970-01-01T00:00:00Z", 21);
    }
}
