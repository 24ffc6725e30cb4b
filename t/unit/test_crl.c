/*
 * CRLs read strictly (src/crl.c, RFC 5280 §5): unhandled critical
 * extensions, delta CRLs, issuingDistributionPoint, indirect CRLs and
 * their certificateIssuer scoping, entry reason codes, and the issuer
 * scope matching X509_NAME_cmp, so that a CRL that verifies applies.
 */
#include <apr_general.h>
#include <apr_strings.h>
#include <stdlib.h>
#include <unistd.h>

#include "src/revocation.h"
#include "t/unit/revgen.h"
#include "t/unit/tap.h"

static apr_pool_t *p;
static char dir[64];
static revgen_ca_t ca1, ca2, ca3;
static certauthz_revopts_t plain = {NULL}, verified = {NULL};

#define REVOKED CERTAUTHZ_REASON_REVOKED
#define OK_ CERTAUTHZ_REASON_OK
#define STALE CERTAUTHZ_REASON_CRL_STALE

static int contains(const char *s, const char *needle)
{
    return s != NULL && strstr(s, needle) != NULL;
}

/* Sign crl with key, write it as PEM and load it: NULL with *l, or the
 * error (and *l NULL). */
static const char *load(X509_CRL *crl, EVP_PKEY *key, const char *name,
                        const certauthz_revopts_t *o, certauthz_revlist_t **l)
{
    size_t n;
    char *pem;
    const char *path, *err;

    X509_CRL_sign(crl, key, EVP_sha256());
    pem = revgen_pem(p, crl, &n);
    path = revgen_put(p, dir, name, pem, n, 10);
    *l = NULL;
    err = certauthz_revlist_load(p, path, o, l);
    X509_CRL_free(crl);
    if (err != NULL) {
        printf("# %s\n", err);
    }
    return err;
}

static certauthz_reason_e verdict(const certauthz_revlist_t *l,
                                  const X509_NAME *issuer, long serial,
                                  int deny)
{
    return l == NULL ? CERTAUTHZ_REASON_NONE
                     : certauthz_revlist_check(l, revgen_cert(p, issuer, serial),
                                               apr_time_now(), deny);
}

/* An unknown extension's value: NULL. */
static const unsigned char null_der[] = {0x05, 0x00};
#define UNKNOWN_OID "1.3.6.1.4.1.99999.7"

static void unknown_extensions(void)
{
    X509_CRL *crl;
    certauthz_revlist_t *l;
    const char *err;

    crl = revgen_crl(ca1.name, 0);
    revgen_revoke(crl, 0x10);
    revgen_crl_ext(crl, UNKNOWN_OID, 1, null_der, 2);
    err = load(crl, ca1.key, "crit-crl.pem", &plain, &l);
    ok(contains(err, "crit-crl.pem") && contains(err, UNKNOWN_OID)
           && contains(err, "critical"),
       "an unknown critical CRL extension is a load error naming it and the "
       "file");

    crl = revgen_crl(ca1.name, 0);
    revgen_revoke(crl, 0x10);
    revgen_crl_ext(crl, UNKNOWN_OID, 0, null_der, 2);
    ok(load(crl, ca1.key, "noncrit-crl.pem", &plain, &l) == NULL
           && verdict(l, ca1.name, 0x10, 0) == REVOKED,
       "an unknown non-critical CRL extension is ignored");
    certauthz_revlist_release(l);

    crl = revgen_crl(ca1.name, 0);
    revgen_revoke(crl, 0x10);
    revgen_entry_ext(revgen_revoke(crl, 0x1234), UNKNOWN_OID, 1, null_der, 2);
    err = load(crl, ca1.key, "crit-entry.pem", &plain, &l);
    ok(contains(err, "crit-entry.pem") && contains(err, UNKNOWN_OID)
           && contains(err, "0x1234"),
       "an unknown critical entry extension is a load error naming it, the "
       "entry's serial and the file");

    crl = revgen_crl(ca1.name, 0);
    revgen_entry_ext(revgen_revoke(crl, 0x1234), UNKNOWN_OID, 0, null_der, 2);
    ok(load(crl, ca1.key, "noncrit-entry.pem", &plain, &l) == NULL
           && verdict(l, ca1.name, 0x1234, 0) == REVOKED,
       "an unknown non-critical entry extension is ignored, the entry "
       "revokes");
    certauthz_revlist_release(l);

    /* Known extensions, even marked critical, that change nothing. */
    crl = revgen_crl(ca1.name, 0);
    {
        static const unsigned char crlnum[] = {0x02, 0x01, 0x05};
        static const unsigned char inval[] = {
            0x18, 0x0f, '2', '0', '2', '4', '0', '1', '0', '1', '0', '0',
            '0', '0', '0', '0', 'Z'};

        revgen_crl_ext(crl, "2.5.29.20", 1, crlnum, sizeof(crlnum));
        revgen_entry_ext(revgen_revoke(crl, 0x77), "2.5.29.24", 1, inval,
                         sizeof(inval));
    }
    ok(load(crl, ca1.key, "known-crit.pem", &plain, &l) == NULL
           && verdict(l, ca1.name, 0x77, 0) == REVOKED,
       "critical cRLNumber and invalidityDate are handled");
    certauthz_revlist_release(l);

    crl = revgen_crl(ca1.name, 0);
    {
        static const unsigned char crlnum[] = {0x02, 0x01, 0x05};

        revgen_crl_ext(crl, "2.5.29.20", 0, crlnum, sizeof(crlnum));
        revgen_crl_ext(crl, "2.5.29.20", 0, crlnum, sizeof(crlnum));
    }
    err = load(crl, ca1.key, "twice.pem", &plain, &l);
    ok(contains(err, "twice") && contains(err, "2.5.29.20"),
       "an extension present twice is a load error");

    crl = revgen_crl(ca1.name, 0);
    X509_CRL_set_version(crl, 2);
    err = load(crl, ca1.key, "v3.pem", &plain, &l);
    ok(contains(err, "version"), "a CRL of version 3 is refused");
}

static void delta_and_reasons(void)
{
    X509_CRL *crl;
    X509_REVOKED *rev;
    certauthz_revlist_t *l;
    ASN1_INTEGER *base = ASN1_INTEGER_new();
    const char *err;

    crl = revgen_crl(ca1.name, 0);
    revgen_revoke(crl, 0x20);
    ASN1_INTEGER_set(base, 4);
    X509_CRL_add1_ext_i2d(crl, NID_delta_crl, base, 1, 0);
    ASN1_INTEGER_free(base);
    err = load(crl, ca1.key, "delta.pem", &plain, &l);
    ok(contains(err, "delta.pem") && contains(err, "delta CRLs are not "
                                                  "supported"),
       "a delta CRL is a load error saying delta CRLs are unsupported");

    crl = revgen_crl(ca1.name, 0);
    revgen_reason(revgen_revoke(crl, 0x21), CRL_REASON_REMOVE_FROM_CRL);
    err = load(crl, ca1.key, "remove.pem", &plain, &l);
    ok(contains(err, "removeFromCRL") && contains(err, "0x21"),
       "reasonCode removeFromCRL in a full CRL is a load error");

    crl = revgen_crl(ca1.name, 0);
    revgen_reason(revgen_revoke(crl, 0x22), CRL_REASON_CERTIFICATE_HOLD);
    revgen_reason(revgen_revoke(crl, 0x23), CRL_REASON_KEY_COMPROMISE);
    revgen_revoke(crl, 0x24);
    ok(load(crl, ca1.key, "reasons.pem", &verified, &l) == NULL
           && verdict(l, ca1.name, 0x22, 0) == REVOKED
           && verdict(l, ca1.name, 0x23, 0) == REVOKED
           && verdict(l, ca1.name, 0x24, 0) == REVOKED
           && verdict(l, ca1.name, 0x25, 0) == OK_,
       "certificateHold revokes, as keyCompromise and no reason do");
    certauthz_revlist_release(l);

    crl = revgen_crl(ca1.name, 0);
    rev = revgen_revoke(crl, 0x26);
    {
        static const unsigned char notenum[] = {0x02, 0x01, 0x01};

        revgen_entry_ext(rev, "2.5.29.21", 0, notenum, sizeof(notenum));
    }
    err = load(crl, ca1.key, "badreason.pem", &plain, &l);
    ok(contains(err, "reasonCode") && contains(err, "0x26"),
       "a malformed reasonCode is a load error");

    {
        unsigned char big[300];

        memset(big, 0x5a, sizeof(big));
        crl = revgen_crl(ca1.name, 0);
        revgen_revoke_bytes(crl, big, sizeof(big));
        err = load(crl, ca1.key, "longserial.pem", &plain, &l);
        ok(contains(err, "longer than 255 bytes"),
           "an entry with a serial longer than 255 bytes is refused, not "
           "dropped");
    }
}

/* issuingDistributionPoint with the given fields. */
static void add_idp(X509_CRL *crl, int user, int ca, int attr, int indirect,
                    int reasons, int dp)
{
    ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();

    idp->onlyuser = user;
    idp->onlyCA = ca;
    idp->onlyattr = attr;
    idp->indirectCRL = indirect;
    if (reasons) {
        idp->onlysomereasons = ASN1_BIT_STRING_new();
        ASN1_BIT_STRING_set_bit(idp->onlysomereasons, 1, 1);
    }
    if (dp) {
        GENERAL_NAME *uri = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();

        ASN1_STRING_set(s, "http://crl.example/unit.crl", -1);
        GENERAL_NAME_set0_value(uri, GEN_URI, s);
        idp->distpoint = DIST_POINT_NAME_new();
        idp->distpoint->type = 0;
        idp->distpoint->name.fullname = sk_GENERAL_NAME_new_null();
        sk_GENERAL_NAME_push(idp->distpoint->name.fullname, uri);
    }
    X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1, 0);
    ISSUING_DIST_POINT_free(idp);
}

static void idp_variants(void)
{
    static const struct {
        int user, ca, attr, reasons, dp;
        int loads;
        const char *what;
    } v[] = {
        {1, 0, 0, 0, 0, 1, "onlyContainsUserCerts"},
        {0, 1, 0, 0, 0, 1, "onlyContainsCACerts"},
        {0, 0, 0, 1, 0, 1, "onlySomeReasons"},
        {0, 0, 0, 0, 1, 1, "a distributionPoint"},
        {0, 0, 1, 0, 0, 0, "onlyContainsAttributeCerts"},
        {1, 1, 0, 0, 0, 0, "both onlyContainsUserCerts and CACerts"},
    };
    size_t i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        X509_CRL *crl = revgen_crl(ca1.name, 0);
        certauthz_revlist_t *l;
        const char *err;

        revgen_revoke(crl, 0x30);
        add_idp(crl, v[i].user, v[i].ca, v[i].attr, 0, v[i].reasons,
                v[i].dp);
        err = load(crl, ca1.key, "idp.pem", &verified, &l);
        if (v[i].loads) {
            ok(err == NULL && verdict(l, ca1.name, 0x30, 0) == REVOKED
                   && verdict(l, ca1.name, 0x31, 0) == OK_,
               "issuingDistributionPoint with %s: accepted, its entries "
               "revoke", v[i].what);
        }
        else {
            ok(contains(err, "issuingDistributionPoint")
                   && contains(err, "idp.pem"),
               "issuingDistributionPoint with %s: a load error", v[i].what);
        }
        certauthz_revlist_release(l);
    }
}

static void indirect(void)
{
    X509_CRL *crl;
    X509_REVOKED *rev;
    certauthz_revlist_t *l;
    const char *err;

    /* CA one's indirect CRL: its own entries first, then CA two's (the
     * certificateIssuer carries over), then its own again. */
    crl = revgen_crl(ca1.name, time(NULL) - 60);
    add_idp(crl, 0, 0, 0, 1, 0, 0);
    revgen_revoke(crl, 0x41);
    rev = revgen_revoke(crl, 0x42);
    revgen_cert_issuer(rev, ca2.name);
    revgen_revoke(crl, 0x43);
    rev = revgen_revoke(crl, 0x44);
    revgen_cert_issuer(rev, ca1.name);
    revgen_revoke(crl, 0x45);
    err = load(crl, ca1.key, "indirect.pem", &verified, &l);
    ok(err == NULL, "an indirect CRL loads (and verifies) (%s)",
       err ? err : "ok");
    ok(verdict(l, ca1.name, 0x41, 0) == REVOKED
           && verdict(l, ca2.name, 0x41, 0) == OK_,
       "indirect CRL: entries before any certificateIssuer are the CRL "
       "issuer's");
    ok(verdict(l, ca2.name, 0x42, 0) == REVOKED
           && verdict(l, ca1.name, 0x42, 0) == OK_,
       "indirect CRL: an entry with certificateIssuer revokes that issuer's "
       "serial, not the CRL issuer's");
    ok(verdict(l, ca2.name, 0x43, 0) == REVOKED
           && verdict(l, ca1.name, 0x43, 0) == OK_,
       "indirect CRL: certificateIssuer carries over to the next entries");
    ok(verdict(l, ca1.name, 0x44, 0) == REVOKED
           && verdict(l, ca1.name, 0x45, 0) == REVOKED
           && verdict(l, ca2.name, 0x45, 0) == OK_,
       "indirect CRL: a later certificateIssuer switches back");
    ok(verdict(l, ca3.name, 0x42, 0) == OK_
           && verdict(l, ca3.name, 0x46, 1) == OK_,
       "indirect CRL: an issuer it never names is untouched");
    ok(verdict(l, ca2.name, 0x46, 1) == STALE
           && verdict(l, ca1.name, 0x46, 1) == STALE,
       "indirect CRL past its nextUpdate: with deny, certificates of the "
       "issuers it covers are crl-stale");
    certauthz_revlist_release(l);

    crl = revgen_crl(ca1.name, 0);
    rev = revgen_revoke(crl, 0x47);
    revgen_cert_issuer(rev, ca2.name);
    err = load(crl, ca1.key, "notindirect.pem", &plain, &l);
    ok(contains(err, "certificateIssuer") && contains(err, "indirect")
           && contains(err, "0x47"),
       "certificateIssuer in a CRL that is not indirect is a load error");

    crl = revgen_crl(ca1.name, 0);
    add_idp(crl, 0, 0, 0, 1, 0, 0);
    rev = revgen_revoke(crl, 0x48);
    {
        GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
        GENERAL_NAME *uri = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();

        ASN1_STRING_set(s, "http://ca.example/", -1);
        GENERAL_NAME_set0_value(uri, GEN_URI, s);
        sk_GENERAL_NAME_push(gens, uri);
        X509_REVOKED_add1_ext_i2d(rev, NID_certificate_issuer, gens, 1, 0);
        GENERAL_NAMES_free(gens);
    }
    err = load(crl, ca1.key, "nodirname.pem", &plain, &l);
    ok(contains(err, "directoryName"),
       "a certificateIssuer naming no directoryName is a load error");
}

/* The CRL's issuer is the CA's name in other string types, case and
 * spacing: X509_NAME_cmp calls them equal, so it verifies, and it must
 * apply to the CA's certificates. */
static void issuer_encoding(void)
{
    X509_NAME *other = X509_NAME_new();
    X509_CRL *crl;
    certauthz_revlist_t *l;
    static const char bmp[] = {0, 'U', 0, 'N', 0, 'I', 0, 'T', 0, ' ',
                               0, ' ', 0, 'c', 0, 'a', 0, ' ', 0, 'o',
                               0, 'n', 0, 'e'};
    const char *err;

    certgen_add(other, "O", V_ASN1_PRINTABLESTRING, "unit   PKI ", -1, 0);
    certgen_add(other, "CN", V_ASN1_BMPSTRING, bmp, sizeof(bmp), 0);
    ok(X509_NAME_cmp(other, ca1.name) == 0,
       "(the CRL issuer's spelling is equal to the CA's for OpenSSL)");
    crl = revgen_crl(other, time(NULL) - 60);
    revgen_revoke(crl, 0x51);
    err = load(crl, ca1.key, "spelling.pem", &verified, &l);
    ok(err == NULL, "a CRL whose issuer differs from the CA's name only in "
       "encoding, case and spaces verifies against the CA (%s)",
       err ? err : "ok");
    ok(verdict(l, ca1.name, 0x51, 0) == REVOKED,
       "...and applies to the CA's certificates");
    ok(verdict(l, ca1.name, 0x52, 1) == STALE,
       "...and its staleness too");
    ok(verdict(l, ca2.name, 0x51, 1) == OK_, "...and to no other CA's");
    certauthz_revlist_release(l);
    X509_NAME_free(other);
}

int main(void)
{
    BIO *b;
    char cmd[128];

    apr_initialize();
    apr_pool_create(&p, NULL);
    apr_cpystrn(dir, "/tmp/certauthz-crl.XXXXXX", sizeof(dir));
    if (mkdtemp(dir) == NULL) {
        return 1;
    }
    ca1 = revgen_ca("Unit CA One");
    ca2 = revgen_ca("Unit CA Two");
    ca3 = revgen_ca("Unit CA Three");
    verified.verify_ca = apr_pstrcat(p, dir, "/cas.pem", NULL);
    b = BIO_new_file(verified.verify_ca, "w");
    PEM_write_bio_X509(b, ca1.cert);
    PEM_write_bio_X509(b, ca2.cert);
    BIO_free(b);

    unknown_extensions();
    delta_and_reasons();
    idp_variants();
    indirect();
    issuer_encoding();

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
        printf("# could not remove %s\n", dir);
    }
    revgen_ca_free(&ca1);
    revgen_ca_free(&ca2);
    revgen_ca_free(&ca3);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
