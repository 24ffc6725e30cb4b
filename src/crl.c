/*
 * crl: certificate revocation lists (RFC 5280 §5), read strictly.
 *
 * The revoked list is walked with src/der.c rather than d2i_X509_CRL:
 * OpenSSL builds several allocations per entry and sorts them, which for
 * a million entries takes seconds and hundreds of megabytes.  Signature
 * verification (CertAuthzCRLVerifyCA, src/crl_verify.c) still hands the
 * whole CRL to OpenSSL.
 *
 * Whatever this reading cannot honour is a load error, never skipped:
 * skipping would fail open (a revoked certificate let in).  So:
 *
 * - every extension of the CRL and of each entry is read; a critical one
 *   mod_certauthz does not handle is refused, naming its OID;
 * - a delta CRL (deltaCRLIndicator) is refused: its entries only make
 *   sense on top of a base CRL, which this reading does not combine;
 * - issuingDistributionPoint: onlyContainsAttributeCerts is refused (not
 *   a CRL of certificates); a distributionPoint, onlyContainsUserCerts,
 *   onlyContainsCACerts and onlySomeReasons are accepted, and the listed
 *   entries revoke as listed (a partial CRL still revokes what it lists;
 *   what it does not cover is not inferred to be covered elsewhere);
 *   indirectCRL makes entries apply to the issuers their
 *   certificateIssuer extension names, which carries over to the entries
 *   that follow until the next one, the first entries being the CRL
 *   issuer's (§5.3.3);
 * - certificateIssuer outside an indirect CRL is refused (§5.3.3 allows it
 *   only there), as is one naming no directoryName;
 * - reasonCode removeFromCRL (only meaningful in a delta CRL) is refused;
 *   certificateHold revokes, like every other reason;
 * - an entry's serial longer than CERTAUTHZ_SERIAL_MAX is refused (no
 *   list could hold it, and dropping it would let its certificate in).
 */
#include "revparse.h"
#include "der.h"
#include "hexid.h"
#include "names.h"
#include "pem.h"

#include <string.h>

#include <apr_strings.h>

/* The last arc of the id-ce extensions (2.5.29.x) read here. */
enum {
    CE_CRL_NUMBER = 20,
    CE_REASON = 21,
    CE_INVALIDITY_DATE = 24,
    CE_DELTA_CRL = 27,
    CE_IDP = 28,
    CE_CERT_ISSUER = 29,
    CE_AKID = 35
};

/* reasonCode values of RFC 5280 §5.3.1 given their own handling. */
#define REASON_REMOVE_FROM_CRL 8

/* One Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE,
 * extnValue OCTET STRING }. */
typedef struct {
    certauthz_tlv_t oid;
    int critical;
    certauthz_tlv_t value;      /* the OCTET STRING's content is the value */
    int ce;                     /* x of 2.5.29.x, or -1 */
} ext_t;

static int ext_next(certauthz_der_t *list, ext_t *x)
{
    certauthz_der_t d;
    certauthz_tlv_t t;

    if (certauthz_der_expect(list, 0x30, &t) != 0) {
        return -1;
    }
    certauthz_der_enter(&d, &t);
    if (certauthz_der_expect(&d, V_ASN1_OBJECT, &x->oid) != 0) {
        return -1;
    }
    x->critical = 0;
    if (certauthz_der_peek(&d) == V_ASN1_BOOLEAN) {
        if (certauthz_der_next(&d, &t) != 0 || t.len != 1) {
            return -1;
        }
        x->critical = t.val[0] != 0;
    }
    if (certauthz_der_expect(&d, V_ASN1_OCTET_STRING, &x->value) != 0
        || !certauthz_der_done(&d)) {
        return -1;
    }
    x->ce = x->oid.len == 3 && x->oid.val[0] == 0x55 && x->oid.val[1] == 0x1d
                ? x->oid.val[2] : -1;
    return 0;
}

/* One CRL being read. */
typedef struct {
    apr_pool_t *p;
    const char *what;           /* names the CRL in messages */
    certauthz_revbuild_t *b;
    int64_t next_update;
    int indirect;
    /* The issuers the current entry applies to: the CRL issuer, or in an
     * indirect CRL those of the last certificateIssuer. */
    uint32_t *scopes;
    int nscopes, cap_scopes;
} crl_t;

#define BAD(c, ...) \
    apr_pstrcat((c)->p, (c)->what, ": ", apr_psprintf((c)->p, __VA_ARGS__), \
                NULL)

/* issuingDistributionPoint ::= SEQUENCE { distributionPoint [0],
 * onlyContainsUserCerts [1], onlyContainsCACerts [2], onlySomeReasons [3],
 * indirectCRL [4], onlyContainsAttributeCerts [5] }, all optional, the
 * booleans DEFAULT FALSE. */
static const char *read_idp(crl_t *c, const ext_t *x)
{
    certauthz_der_t d;
    certauthz_tlv_t t;
    int last = -1, only[6] = {0};

    certauthz_der_enter(&d, &x->value);
    if (certauthz_der_expect(&d, 0x30, &t) != 0 || !certauthz_der_done(&d)) {
        return BAD(c, "malformed issuingDistributionPoint extension");
    }
    certauthz_der_enter(&d, &t);
    while (!certauthz_der_done(&d)) {
        int n;

        if (certauthz_der_next(&d, &t) != 0 || (t.tag & 0xc0) != 0x80
            || (n = (int)(t.tag & 0x1f)) <= last || n > 5
            || (n == 0) != ((t.tag & 0x20) != 0)
            || (n != 0 && n != 3 && t.len != 1)) {
            return BAD(c, "malformed issuingDistributionPoint extension");
        }
        last = n;
        only[n] = n == 0 || n == 3 || t.val[0] != 0;
    }
    if (only[5]) {
        return BAD(c, "issuingDistributionPoint says "
                   "onlyContainsAttributeCerts: a CRL of attribute "
                   "certificates, not of client certificates");
    }
    if (only[1] + only[2] > 1) {
        return BAD(c, "malformed issuingDistributionPoint extension (both "
                   "onlyContainsUserCerts and onlyContainsCACerts)");
    }
    c->indirect = only[4];
    return NULL;
}

/* crlExtensions [0] EXPLICIT Extensions. */
static const char *read_crl_extensions(crl_t *c, const certauthz_tlv_t *a0)
{
    certauthz_der_t d, list;
    certauthz_tlv_t t;
    apr_array_header_t *seen = apr_array_make(c->p, 8, sizeof(ext_t));
    const char *err;
    ext_t x;
    int i;

    certauthz_der_enter(&d, a0);
    if (certauthz_der_expect(&d, 0x30, &t) != 0 || !certauthz_der_done(&d)) {
        return BAD(c, "malformed CRL: bad extensions");
    }
    certauthz_der_enter(&list, &t);
    while (!certauthz_der_done(&list)) {
        if (ext_next(&list, &x) != 0) {
            return BAD(c, "malformed CRL: bad extensions");
        }
        for (i = 0; i < seen->nelts; i++) {
            const ext_t *y = &APR_ARRAY_IDX(seen, i, ext_t);

            if (y->oid.len == x.oid.len
                && memcmp(y->oid.val, x.oid.val, x.oid.len) == 0) {
                return BAD(c, "the CRL has extension %s twice",
                           certauthz_der_oid_text(c->p, &x.oid));
            }
        }
        APR_ARRAY_PUSH(seen, ext_t) = x;
        switch (x.ce) {
        case CE_DELTA_CRL:
            return BAD(c, "a delta CRL (deltaCRLIndicator): delta CRLs are "
                       "not supported; give the full CRL");
        case CE_IDP:
            if ((err = read_idp(c, &x)) != NULL) {
                return err;
            }
            break;
        case CE_CRL_NUMBER:
        case CE_AKID:
            /* Neither changes which certificates are revoked. */
            break;
        default:
            if (x.critical) {
                return BAD(c, "the CRL has a critical extension mod_certauthz "
                           "does not handle: %s",
                           certauthz_der_oid_text(c->p, &x.oid));
            }
        }
    }
    return NULL;
}

/* certificateIssuer ::= GeneralNames: the directoryName ([4] EXPLICIT
 * Name) entries become the current scopes. */
static const char *read_cert_issuer(crl_t *c, const ext_t *x,
                                    const char *serial)
{
    certauthz_der_t d, names;
    certauthz_tlv_t t, gn;

    certauthz_der_enter(&d, &x->value);
    if (certauthz_der_expect(&d, 0x30, &t) != 0 || !certauthz_der_done(&d)) {
        return BAD(c, "the entry for serial %s: malformed certificateIssuer",
                   serial);
    }
    c->nscopes = 0;
    certauthz_der_enter(&names, &t);
    while (!certauthz_der_done(&names)) {
        unsigned char key[32];
        certauthz_der_t dn;
        certauthz_tlv_t name;

        if (certauthz_der_next(&names, &gn) != 0) {
            return BAD(c, "the entry for serial %s: malformed "
                       "certificateIssuer", serial);
        }
        if (gn.tag != 0xa4) {
            continue;   /* not a directoryName: names no certificate issuer */
        }
        certauthz_der_enter(&dn, &gn);
        if (certauthz_der_expect(&dn, 0x30, &name) != 0
            || !certauthz_der_done(&dn)
            || certauthz_name_key_der(name.tlv, name.tlv_len, key) != 0) {
            return BAD(c, "the entry for serial %s: malformed name in "
                       "certificateIssuer", serial);
        }
        if (c->nscopes == c->cap_scopes) {
            int cap = c->cap_scopes * 2 + 4;
            uint32_t *n = apr_palloc(c->p, sizeof(*n) * (apr_size_t)cap);

            memcpy(n, c->scopes, sizeof(*n) * (apr_size_t)c->nscopes);
            c->scopes = n;
            c->cap_scopes = cap;
        }
        if (certauthz_revbuild_issuer(c->b, key, c->next_update,
                                      &c->scopes[c->nscopes])
            != 0) {
            return certauthz_rev_oom;
        }
        c->nscopes++;
    }
    if (c->nscopes == 0) {
        return BAD(c, "the entry for serial %s: certificateIssuer names no "
                   "directoryName, so no certificate it could revoke",
                   serial);
    }
    return NULL;
}

/* crlEntryExtensions of one entry. */
static const char *read_entry_extensions(crl_t *c, const certauthz_tlv_t *t,
                                         const char *serial)
{
    certauthz_der_t list;
    const char *err;
    int have[64] = {0};
    ext_t x;

    certauthz_der_enter(&list, t);
    while (!certauthz_der_done(&list)) {
        if (ext_next(&list, &x) != 0) {
            return BAD(c, "the entry for serial %s: malformed extensions",
                       serial);
        }
        if (x.ce >= 0 && x.ce < 64 && have[x.ce]++) {
            return BAD(c, "the entry for serial %s has extension %s twice",
                       serial, certauthz_der_oid_text(c->p, &x.oid));
        }
        switch (x.ce) {
        case CE_REASON: {
            certauthz_der_t d;
            certauthz_tlv_t r;

            certauthz_der_enter(&d, &x.value);
            if (certauthz_der_expect(&d, V_ASN1_ENUMERATED, &r) != 0
                || r.len != 1 || !certauthz_der_done(&d)) {
                return BAD(c, "the entry for serial %s: malformed reasonCode",
                           serial);
            }
            if (r.val[0] == REASON_REMOVE_FROM_CRL) {
                return BAD(c, "the entry for serial %s has reasonCode "
                           "removeFromCRL, which only a delta CRL may hold",
                           serial);
            }
            /* Any other reason, certificateHold included, revokes. */
            break;
        }
        case CE_CERT_ISSUER:
            if (!c->indirect) {
                return BAD(c, "the entry for serial %s has a "
                           "certificateIssuer extension, but the CRL is not "
                           "an indirect CRL (issuingDistributionPoint "
                           "indirectCRL)", serial);
            }
            if ((err = read_cert_issuer(c, &x, serial)) != NULL) {
                return err;
            }
            break;
        case CE_INVALIDITY_DATE:
            /* The date the key became suspect: an entry revokes anyway. */
            break;
        default:
            if (x.critical) {
                return BAD(c, "the entry for serial %s has a critical "
                           "extension mod_certauthz does not handle: %s",
                           serial, certauthz_der_oid_text(c->p, &x.oid));
            }
        }
    }
    return NULL;
}

/* One revokedCertificates entry: SEQUENCE { userCertificate
 * CertificateSerialNumber, revocationDate Time, crlEntryExtensions
 * OPTIONAL }. */
static const char *read_entry(crl_t *c, const certauthz_tlv_t *e)
{
    unsigned char scratch[CERTAUTHZ_SERIAL_MAX + 1];
    const unsigned char *bytes;
    certauthz_der_t d;
    certauthz_tlv_t sn, t;
    apr_size_t blen;
    int neg, i;

    certauthz_der_enter(&d, e);
    if (certauthz_der_expect(&d, V_ASN1_INTEGER, &sn) != 0 || sn.len == 0) {
        return BAD(c, "malformed CRL: bad serial in a revoked entry");
    }
    /* The content of a serial of 255 bytes has 256 at the most. */
    if (sn.len > sizeof(scratch)
        || (bytes = certauthz_der_integer(sn.val, sn.len, scratch, &blen,
                                          &neg)) == NULL
        || blen > CERTAUTHZ_SERIAL_MAX) {
        return BAD(c, "a revoked entry's serial is longer than %d bytes, "
                   "more than mod_certauthz can match",
                   CERTAUTHZ_SERIAL_MAX);
    }
    /* The revocation date is not used: an entry revokes from the moment
     * the list is loaded. */
    if (certauthz_der_next(&d, &t) != 0
        || (t.tag != V_ASN1_UTCTIME && t.tag != V_ASN1_GENERALIZEDTIME)) {
        return BAD(c, "malformed CRL: bad revocationDate in a revoked entry");
    }
    if (!certauthz_der_done(&d)) {
        char *hex = apr_palloc(c->p, blen * 2 + 3);
        const char *err;

        if (certauthz_der_expect(&d, 0x30, &t) != 0
            || !certauthz_der_done(&d)) {
            return BAD(c, "malformed CRL: bad revoked entry");
        }
        hex[0] = '0';
        hex[1] = 'x';
        certauthz_hex_encode(hex + 2, bytes, blen, 1);
        if ((err = read_entry_extensions(c, &t, blen ? hex : "0")) != NULL) {
            return err;
        }
    }
    for (i = 0; i < c->nscopes; i++) {
        if (certauthz_revbuild_add(c->b, CERTAUTHZ_REC_SCOPED, c->scopes[i],
                                   bytes, blen)
            != 0) {
            return certauthz_rev_oom;
        }
    }
    return NULL;
}

const char *certauthz_crl_add(apr_pool_t *p, const char *what,
                              const unsigned char *der, apr_size_t len,
                              certauthz_revbuild_t *b)
{
    certauthz_der_t top, tbs, list;
    certauthz_tlv_t t, issuer, revoked = {0}, exts = {0};
    unsigned char key[32];
    int64_t this_update;
    uint32_t scope;
    crl_t c;
    const char *err;

    memset(&c, 0, sizeof(c));
    c.p = p;
    c.what = what;
    c.b = b;
    certauthz_der_init(&top, der, len);
    if (certauthz_der_expect(&top, 0x30, &t) != 0
        || !certauthz_der_done(&top)) {
        return BAD(&c, "not a DER CRL (truncated, or trailing data)");
    }
    certauthz_der_enter(&top, &t);
    if (certauthz_der_expect(&top, 0x30, &t) != 0) {
        return BAD(&c, "malformed CRL: no tbsCertList");
    }
    certauthz_der_enter(&tbs, &t);
    if (certauthz_der_expect(&top, 0x30, &t) != 0
        || certauthz_der_expect(&top, V_ASN1_BIT_STRING, &t) != 0
        || !certauthz_der_done(&top)) {
        return BAD(&c, "malformed CRL: bad signature fields");
    }
    if (certauthz_der_peek(&tbs) == V_ASN1_INTEGER) {
        if (certauthz_der_next(&tbs, &t) != 0) {
            return BAD(&c, "malformed CRL: bad version");
        }
        /* Present only as v2 (1): a later version could mean what this
         * reading does not know. */
        if (t.len != 1 || t.val[0] != 1) {
            return BAD(&c, "unsupported CRL version (only v1 and v2 CRLs "
                       "are read)");
        }
    }
    if (certauthz_der_expect(&tbs, 0x30, &t) != 0
        || certauthz_der_expect(&tbs, 0x30, &issuer) != 0) {
        return BAD(&c, "malformed CRL: bad signature algorithm or issuer");
    }
    if (certauthz_der_next(&tbs, &t) != 0
        || certauthz_der_time(&t, &this_update) != 0) {
        return BAD(&c, "malformed CRL: bad thisUpdate");
    }
    if (this_update > b->this_update_max) {
        b->this_update_max = this_update;
    }
    if (certauthz_der_peek(&tbs) == V_ASN1_UTCTIME
        || certauthz_der_peek(&tbs) == V_ASN1_GENERALIZEDTIME) {
        if (certauthz_der_next(&tbs, &t) != 0
            || certauthz_der_time(&t, &c.next_update) != 0) {
            return BAD(&c, "malformed CRL: bad nextUpdate");
        }
    }
    if (certauthz_der_peek(&tbs) == 0x30
        && certauthz_der_next(&tbs, &revoked) != 0) {
        return BAD(&c, "malformed CRL: bad revokedCertificates");
    }
    if (certauthz_der_peek(&tbs) == 0xa0
        && certauthz_der_next(&tbs, &exts) != 0) {
        return BAD(&c, "malformed CRL: bad extensions");
    }
    if (!certauthz_der_done(&tbs)) {
        return BAD(&c, "malformed CRL: unexpected data in tbsCertList");
    }
    /* The CRL's extensions come after its entries but say how to read
     * them (indirectCRL). */
    if (exts.tlv != NULL && (err = read_crl_extensions(&c, &exts)) != NULL) {
        return err;
    }
    if (certauthz_name_key_der(issuer.tlv, issuer.tlv_len, key) != 0) {
        return BAD(&c, "malformed CRL: bad issuer name");
    }
    if (certauthz_revbuild_issuer(b, key, c.next_update, &scope) != 0) {
        return certauthz_rev_oom;
    }
    if (c.next_update != 0
        && (b->next_update_min == 0 || c.next_update < b->next_update_min)) {
        b->next_update_min = c.next_update;
    }
    c.scopes = &scope;
    c.nscopes = 1;
    if (revoked.tlv == NULL) {
        return NULL;
    }
    certauthz_der_enter(&list, &revoked);
    while (!certauthz_der_done(&list)) {
        if (certauthz_der_expect(&list, 0x30, &t) != 0) {
            return BAD(&c, "malformed CRL: bad revoked entry");
        }
        if ((err = read_entry(&c, &t)) != NULL) {
            return err;
        }
    }
    return NULL;
}

const char *certauthz_crl_parse_pem(apr_pool_t *p, const char *path,
                                    const char *buf, apr_size_t len,
                                    certauthz_revbuild_t *b,
                                    const certauthz_crl_verifier_t *v)
{
    static const char begin_crl[] = "-----BEGIN X509 CRL-----";
    apr_size_t pos = 0, counted = 0, at;
    unsigned lineno = 1, ncrl = 0;

    b->format = CERTAUTHZ_FMT_CRL_PEM;
    while ((at = certauthz_pem_find(buf, len, pos)) < len) {
        certauthz_bigbuf_t der = {0};
        certauthz_pem_block_t blk;
        const char *what, *err;

        for (; counted < at; counted++) {
            lineno += buf[counted] == '\n';
        }
        ncrl++;
        if (len - at < sizeof(begin_crl) - 1
            || memcmp(buf + at, begin_crl, sizeof(begin_crl) - 1) != 0) {
            const char *le = memchr(buf + at, '\n', len - at);

            return apr_psprintf(p, "%s: line %u: '%s' does not begin a CRL "
                                "(%s)", path, lineno,
                                certauthz_revtoken(p, buf + at,
                                                   le ? (apr_size_t)(le - buf
                                                                     - at)
                                                      : len - at),
                                begin_crl);
        }
        err = certauthz_pem_block(buf + at, buf + len, "X509 CRL",
                                  CERTAUTHZ_PEM_LENIENT, &blk);
        if (err != NULL) {
            return apr_psprintf(p, "%s: line %u: the PEM CRL is cut short or "
                                "malformed: %s", path, lineno, err);
        }
        if (certauthz_bigbuf_reserve(&der, blk.body_len / 4 * 3 + 3) != 0) {
            return certauthz_rev_oom;
        }
        if (certauthz_base64_decode(&blk, CERTAUTHZ_PEM_LENIENT, der.p,
                                    &der.len) != 0) {
            certauthz_bigbuf_free(&der);
            return apr_psprintf(p, "%s: line %u: bad base64 in the PEM CRL",
                                path, lineno);
        }
        what = apr_psprintf(p, "%s: line %u", path, lineno);
        err = certauthz_crl_add(p, what, der.p, der.len, b);
        if (err == NULL && v != NULL) {
            err = certauthz_crl_verify(p, what, der.p, der.len, v);
        }
        certauthz_bigbuf_free(&der);
        if (err != NULL) {
            return err;
        }
        pos = (apr_size_t)(blk.next - buf);
    }
    if (ncrl == 0) {
        return apr_psprintf(p, "%s: no PEM CRL in the file", path);
    }
    return NULL;
}
