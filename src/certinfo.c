/*
 * certinfo: extract the fields rules and logs need from an X.509
 * certificate, once, into immutable pool memory.
 */
#include "certinfo.h"

#include <arpa/inet.h>
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

int certauthz_name_key(const X509_NAME *name, unsigned char key[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int i, n = X509_NAME_entry_count(name), ok = 0;

    if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        goto done;
    }
    for (i = 0; i < n; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        const ASN1_STRING *data = X509_NAME_ENTRY_get_data(e);
        unsigned char hdr[8], *utf8 = NULL;
        char oid[128];
        int len, set = X509_NAME_ENTRY_set(e);
        int olen = OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(e),
                               1);

        len = ASN1_STRING_to_UTF8(&utf8, data);
        if (len < 0) {
            /* Undecodable: hash the raw bytes, tagged so that they can
             * never collide with a decoded value. */
            len = ASN1_STRING_length(data);
            hdr[0] = 0xff;
        }
        else {
            hdr[0] = 0;
        }
        hdr[1] = (unsigned char)(set >> 16);
        hdr[2] = (unsigned char)(set >> 8);
        hdr[3] = (unsigned char)set;
        hdr[4] = (unsigned char)((unsigned)len >> 24);
        hdr[5] = (unsigned char)((unsigned)len >> 16);
        hdr[6] = (unsigned char)((unsigned)len >> 8);
        hdr[7] = (unsigned char)len;
        if (olen < 0 || (size_t)olen >= sizeof(oid)) {
            olen = 0;
        }
        EVP_DigestUpdate(ctx, hdr, sizeof(hdr));
        EVP_DigestUpdate(ctx, oid, (size_t)olen + 1);
        EVP_DigestUpdate(ctx, utf8 ? utf8 : ASN1_STRING_get0_data(data),
                         (size_t)len);
        OPENSSL_free(utf8);
    }
    ok = EVP_DigestFinal_ex(ctx, key, NULL);
done:
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
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

/* Everything but the fingerprint, from the decoded parts. */
static const char *fill(apr_pool_t *p, certauthz_cert_t *c,
                        const X509_NAME *subject, const X509_NAME *issuer,
                        const ASN1_INTEGER *sn, const ASN1_TIME *nb,
                        const ASN1_TIME *na, const GENERAL_NAMES *gens)
{
    const unsigned char *sd = ASN1_STRING_get0_data(sn);
    int sl = ASN1_STRING_length(sn);

    extract_dn(p, subject, &c->subject);
    extract_dn(p, issuer, &c->issuer);
    c->subject_dn = dn_string(p, subject);
    c->issuer_dn = dn_string(p, issuer);

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

    if (certauthz_name_key(issuer, c->issuer_key) != 0) {
        return "cannot hash the issuer name";
    }
    if (gens != NULL) {
        extract_sans(p, gens, c);
    }
    c->not_before = asn1_time_to_epoch(nb);
    c->not_after = asn1_time_to_epoch(na);
    return NULL;
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
    err = fill(p, c, X509_get_subject_name(x), X509_get_issuer_name(x),
               X509_get0_serialNumber(x), X509_get0_notBefore(x),
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
    long clen;
    int ident;
    ASN1_INTEGER *sn = NULL;
    X509_NAME *issuer = NULL, *subject = NULL;
    ASN1_TIME *nb = NULL, *na = NULL;
    STACK_OF(X509_EXTENSION) *exts = NULL;
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
    issuer = d2i_X509_NAME(NULL, &q, tbs_end - q);
    if (issuer == NULL) {
        goto done;
    }
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
    subject = d2i_X509_NAME(NULL, &q, tbs_end - q);
    if (subject == NULL) {
        goto done;
    }
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
            e = v + clen;
            exts = d2i_X509_EXTENSIONS(NULL, &v, clen);
            if (exts == NULL || v != e) {
                goto done;
            }
        }
        else if ((ident & 0x1f) != 1 && (ident & 0x1f) != 2) {
            goto done;
        }
    }
    if (exts != NULL) {
        int i, n = sk_X509_EXTENSION_num(exts);

        for (i = 0; i < n; i++) {
            X509_EXTENSION *x = sk_X509_EXTENSION_value(exts, i);

            if (OBJ_obj2nid(X509_EXTENSION_get_object(x))
                != NID_subject_alt_name) {
                continue;
            }
            if (gens != NULL) {
                err = "more than one subjectAltName extension";
                goto done;
            }
            gens = X509V3_EXT_d2i(x);
            if (gens == NULL) {
                err = "malformed subjectAltName extension";
                goto done;
            }
        }
    }
    c = apr_pcalloc(p, sizeof(*c));
    if (!EVP_Digest(der, len, c->sha256, NULL, EVP_sha256(), NULL)) {
        err = "cannot compute the SHA-256 fingerprint";
        goto done;
    }
    c->fingerprint = hex_encode(p, c->sha256, 32, hex_lower);
    err = fill(p, c, subject, issuer, sn, nb, na, gens);
    if (err == NULL) {
        *out = c;
    }
done:
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_NAME_free(subject);
    X509_NAME_free(issuer);
    ASN1_TIME_free(nb);
    ASN1_TIME_free(na);
    ASN1_INTEGER_free(sn);
    return err;
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
