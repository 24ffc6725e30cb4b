/*
 * certinfo: extract the fields rules and logs need from an X.509
 * certificate, once, into immutable pool memory.
 */
#include "certinfo.h"
#include "der.h"
#include "hexid.h"
#include "pem.h"
#include "sha256.h"

#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include <apr_strings.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static char *hex_dup(apr_pool_t *p, const unsigned char *b, apr_size_t n,
                     int upper)
{
    char *s = apr_palloc(p, n * 2 + 1);

    certauthz_hex_encode(s, b, n, upper);
    return s;
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

/* The serial from the content octets of its INTEGER.  shown: the bytes
 * mod_ssl prints for SSL_CLIENT_M_SERIAL (i2a_ASN1_INTEGER prints the
 * magnitude OpenSSL stores, "00" for zero). */
static void set_serial(apr_pool_t *p, certauthz_cert_t *c,
                       const unsigned char *v, apr_size_t n,
                       const unsigned char *shown, apr_size_t shown_len)
{
    unsigned char *mag = apr_palloc(p, n ? n : 1);
    const unsigned char *m;
    apr_size_t len = 0;
    int neg = 0;

    /* Kept in p: v is the caller's buffer. */
    m = certauthz_der_integer(v, n, mag, &len, &neg);
    if (m == NULL) {
        len = 0;
    }
    else if (m != mag) {
        /* A negative serial's magnitude is made in mag itself, past its
         * leading zero bytes: the ranges may overlap. */
        memmove(mag, m, len);
    }
    c->serial = mag;
    c->serial_len = len;
    c->serial_negative = neg;
    if (shown == NULL) {
        shown = mag;
        shown_len = len;
    }
    c->serial_hex = shown_len ? hex_dup(p, shown, shown_len, 1) : "00";
    if (neg) {
        c->serial_hex = apr_pstrcat(p, "-", c->serial_hex, NULL);
    }
}

const char *certauthz_cert_from_x509(apr_pool_t *p, X509 *x,
                                     certauthz_cert_t **out)
{
    certauthz_cert_t *c;
    GENERAL_NAMES *gens;
    const ASN1_INTEGER *sn;
    unsigned char *snder = NULL;
    unsigned int mdlen = 0;
    const char *err = NULL;
    certauthz_der_t d;
    certauthz_tlv_t t;
    int crit = 0, l;

    if (x == NULL) {
        return "no certificate";
    }
    c = apr_pcalloc(p, sizeof(*c));
    if (!X509_digest(x, EVP_sha256(), c->sha256, &mdlen) || mdlen != 32) {
        return "cannot compute the SHA-256 fingerprint";
    }
    c->fingerprint = hex_dup(p, c->sha256, 32, 0);
    sn = X509_get0_serialNumber(x);
    l = i2d_ASN1_INTEGER(sn, &snder);
    certauthz_der_init(&d, snder, l > 0 ? (apr_size_t)l : 0);
    if (l <= 0 || certauthz_der_expect(&d, V_ASN1_INTEGER, &t) != 0
        || t.len == 0) {
        OPENSSL_free(snder);
        return "cannot read the serial number";
    }
    set_serial(p, c, t.val, t.len, ASN1_STRING_get0_data(sn),
               (apr_size_t)ASN1_STRING_length(sn));
    OPENSSL_free(snder);
    gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    if (gens == NULL && crit == -2) {
        return "more than one subjectAltName extension";
    }
    /* OpenSSL's own reading of the names: the reference the direct
     * reading of certauthz_cert_from_der is tested against. */
    certauthz_name_values(p, X509_get_subject_name(x), &c->subject);
    certauthz_name_values(p, X509_get_issuer_name(x), &c->issuer);
    c->subject_dn = certauthz_name_string(p, X509_get_subject_name(x));
    c->issuer_dn = certauthz_name_string(p, X509_get_issuer_name(x));
    if (certauthz_name_key(X509_get_issuer_name(x), c->issuer_key) != 0) {
        err = "cannot hash the issuer name";
    }
    extract_sans(p, gens, c);
    GENERAL_NAMES_free(gens);
    if (certauthz_asn1_time(X509_get0_notBefore(x), &c->not_before) != 0) {
        c->not_before = 0;
    }
    if (certauthz_asn1_time(X509_get0_notAfter(x), &c->not_after) != 0) {
        c->not_after = 0;
    }
    if (err == NULL) {
        *out = c;
    }
    return err;
}

/* The extensions of a certificate ([3] EXPLICIT SEQUENCE OF Extension):
 * only subjectAltName is decoded.  NULL, or why the certificate is
 * refused. */
static const char *read_extensions(const certauthz_tlv_t *x3,
                                   GENERAL_NAMES **gens)
{
    certauthz_der_t d, list, ext;
    certauthz_tlv_t t, oid, val;

    certauthz_der_enter(&d, x3);
    if (certauthz_der_expect(&d, 0x30, &t) != 0 || !certauthz_der_done(&d)) {
        return "";
    }
    certauthz_der_enter(&list, &t);
    while (!certauthz_der_done(&list)) {
        /* Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT
         * FALSE, extnValue OCTET STRING } */
        if (certauthz_der_expect(&list, 0x30, &t) != 0) {
            return "";
        }
        certauthz_der_enter(&ext, &t);
        if (certauthz_der_expect(&ext, V_ASN1_OBJECT, &oid) != 0
            || (certauthz_der_peek(&ext) == V_ASN1_BOOLEAN
                && certauthz_der_next(&ext, &t) != 0)
            || certauthz_der_expect(&ext, V_ASN1_OCTET_STRING, &val) != 0
            || !certauthz_der_done(&ext)) {
            return "";
        }
        if (oid.len == 3 && memcmp(oid.val, "\x55\x1d\x11", 3) == 0) {
            const unsigned char *q = val.val;

            if (*gens != NULL) {
                return "more than one subjectAltName extension";
            }
            *gens = d2i_GENERAL_NAMES(NULL, &q, (long)val.len);
            if (*gens == NULL) {
                return "malformed subjectAltName extension";
            }
        }
    }
    return NULL;
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
    certauthz_der_t top, tbs, validity;
    certauthz_tlv_t t, sn, issuer, subject, nb, na;
    GENERAL_NAMES *gens = NULL;
    certauthz_cert_t *c;
    const char *err = "not a DER certificate", *why;

    if (len > (apr_size_t)0x7fffffff) {
        return "certificate too large";
    }
    /* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, sig } */
    certauthz_der_init(&top, der, len);
    if (certauthz_der_expect(&top, 0x30, &t) != 0
        || !certauthz_der_done(&top)) {
        return err;
    }
    certauthz_der_enter(&top, &t);
    if (certauthz_der_expect(&top, 0x30, &t) != 0) {
        return err;
    }
    certauthz_der_enter(&tbs, &t);
    /* version [0] EXPLICIT, optional; serialNumber; signature;
     * issuer; validity; subject; subjectPublicKeyInfo (skipped, see
     * above) */
    if ((certauthz_der_peek(&tbs) == 0xa0 && certauthz_der_next(&tbs, &t) != 0)
        || certauthz_der_expect(&tbs, V_ASN1_INTEGER, &sn) != 0 || sn.len == 0
        || certauthz_der_expect(&tbs, 0x30, &t) != 0
        || certauthz_der_expect(&tbs, 0x30, &issuer) != 0
        || certauthz_der_expect(&tbs, 0x30, &t) != 0) {
        return err;
    }
    certauthz_der_enter(&validity, &t);
    if (certauthz_der_next(&validity, &nb) != 0
        || certauthz_der_next(&validity, &na) != 0
        || !certauthz_der_done(&validity)
        || certauthz_der_expect(&tbs, 0x30, &subject) != 0
        || certauthz_der_expect(&tbs, 0x30, &t) != 0) {
        return err;
    }
    c = apr_pcalloc(p, sizeof(*c));
    if (certauthz_der_time(&nb, &c->not_before) != 0
        || certauthz_der_time(&na, &c->not_after) != 0) {
        return err;
    }
    /* issuerUniqueID [1], subjectUniqueID [2], extensions [3] */
    while (!certauthz_der_done(&tbs)) {
        if (certauthz_der_next(&tbs, &t) != 0) {
            goto done;
        }
        if (t.tag == 0xa3) {
            if ((why = read_extensions(&t, &gens)) != NULL) {
                err = *why ? why : err;
                goto done;
            }
        }
        else if ((t.tag & 0x1f) != 1 && (t.tag & 0x1f) != 2) {
            goto done;
        }
    }
    if (!EVP_Digest(der, len, c->sha256, NULL, certauthz_sha256(), NULL)) {
        err = "cannot compute the SHA-256 fingerprint";
        goto done;
    }
    c->fingerprint = hex_dup(p, c->sha256, 32, 0);
    if (certauthz_name_parse(p, issuer.tlv, issuer.tlv_len,
                             CERTAUTHZ_NAME_ANY, &c->issuer, &c->issuer_dn,
                             c->issuer_key) != NULL
        || certauthz_name_parse(p, subject.tlv, subject.tlv_len,
                                CERTAUTHZ_NAME_ANY, &c->subject,
                                &c->subject_dn, NULL) != NULL) {
        goto done;
    }
    set_serial(p, c, sn.val, sn.len, NULL, 0);
    extract_sans(p, gens, c);
    *out = c;
    err = NULL;
done:
    GENERAL_NAMES_free(gens);
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
    {
        unsigned char *fder;
        apr_size_t flen;

        /* The shape mod_ssl gives, decoded without OpenSSL's BIO layers;
         * anything else goes to OpenSSL's PEM reader. */
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

void certauthz_iso8601(apr_int64_t t, char buf[21])
{
    struct tm tm;
    time_t tt = (time_t)t;

    if (gmtime_r(&tt, &tm) == NULL
        || strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        apr_cpystrn(buf, "1970-01-01T00:00:00Z", 21);
    }
}

const char *certauthz_san_type_name(certauthz_san_type_e type)
{
    switch (type) {
    case CERTAUTHZ_SAN_EMAIL:
        return "email";
    case CERTAUTHZ_SAN_DNS:
        return "dns";
    case CERTAUTHZ_SAN_URI:
        return "uri";
    case CERTAUTHZ_SAN_IP:
        return "ip";
    }
    return "?";
}
