/*
 * revgen.h: what the revocation unit tests build at test time: CAs, CRLs
 * with whatever extensions a test needs, certificates of a CA, and files
 * old enough for the one-second stability rule.  No key is committed.
 * Test code only.
 */
#ifndef CERTAUTHZ_REVGEN_H
#define CERTAUTHZ_REVGEN_H

#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include <apr_strings.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "src/certinfo.h"
#include "t/unit/certgen.h"

typedef struct {
    EVP_PKEY *key;
    X509_NAME *name;
    X509 *cert;
} revgen_ca_t;

/* A self-signed CA "O=Unit PKI, CN=cn" with its own P-256 key. */
static inline revgen_ca_t revgen_ca(const char *cn)
{
    revgen_ca_t ca;

    ca.key = EVP_EC_gen("P-256");
    ca.name = X509_NAME_new();
    certgen_add(ca.name, "O", MBSTRING_UTF8, "Unit PKI", -1, 0);
    certgen_add(ca.name, "CN", MBSTRING_UTF8, cn, -1, 0);
    ca.cert = X509_new();
    X509_set_version(ca.cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(ca.cert), 1);
    X509_set_issuer_name(ca.cert, ca.name);
    X509_set_subject_name(ca.cert, ca.name);
    ASN1_TIME_set(X509_getm_notBefore(ca.cert), 1700000000);
    ASN1_TIME_set(X509_getm_notAfter(ca.cert), 2000000000);
    X509_set_pubkey(ca.cert, ca.key);
    X509_sign(ca.cert, ca.key, EVP_sha256());
    return ca;
}

static inline void revgen_ca_free(revgen_ca_t *ca)
{
    EVP_PKEY_free(ca->key);
    X509_NAME_free(ca->name);
    X509_free(ca->cert);
}

/* An unsigned v2 CRL of `issuer`, issued an hour ago, with its nextUpdate
 * at `next` (epoch seconds; 0 for none). */
static inline X509_CRL *revgen_crl(const X509_NAME *issuer, time_t next)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *t = ASN1_TIME_new();

    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, issuer);
    ASN1_TIME_set(t, time(NULL) - 3600);
    X509_CRL_set1_lastUpdate(crl, t);
    if (next) {
        ASN1_TIME_set(t, next);
        X509_CRL_set1_nextUpdate(crl, t);
    }
    ASN1_TIME_free(t);
    return crl;
}

/* Append an entry revoking the serial of len bytes (big-endian, as
 * given); it is returned so that extensions can be added to it.  Entries
 * stay in the order they are added (no X509_CRL_sort), which indirect
 * CRLs need. */
static inline X509_REVOKED *revgen_revoke_bytes(X509_CRL *crl,
                                                const unsigned char *s,
                                                int len)
{
    X509_REVOKED *rev = X509_REVOKED_new();
    ASN1_INTEGER *sn = ASN1_INTEGER_new();
    ASN1_TIME *t = ASN1_TIME_new();

    ASN1_STRING_set(sn, s, len);
    X509_REVOKED_set_serialNumber(rev, sn);
    ASN1_TIME_set(t, time(NULL) - 60);
    X509_REVOKED_set_revocationDate(rev, t);
    X509_CRL_add0_revoked(crl, rev);
    ASN1_INTEGER_free(sn);
    ASN1_TIME_free(t);
    return rev;
}

/* A non-negative serial as the big-endian bytes of a DER INTEGER's
 * magnitude: its length. */
static inline int revgen_serial(long serial, unsigned char sb[9])
{
    int n = 0, i;

    for (i = 7; i >= 0; i--) {
        unsigned char byte = (unsigned char)(serial >> (8 * i));

        if (n || byte || i == 0) {
            sb[n++] = byte;
        }
    }
    return n;
}

static inline X509_REVOKED *revgen_revoke(X509_CRL *crl, long serial)
{
    unsigned char sb[9];

    return revgen_revoke_bytes(crl, sb, revgen_serial(serial, sb));
}

/* An extension of any OID whose value is the DER given, for the
 * extensions OpenSSL has no builder for (unknown ones, malformed ones). */
static inline X509_EXTENSION *revgen_ext(const char *oid, int critical,
                                         const unsigned char *der, int len)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
    X509_EXTENSION *x;

    ASN1_OCTET_STRING_set(v, der, len);
    x = X509_EXTENSION_create_by_OBJ(NULL, obj, critical, v);
    ASN1_OBJECT_free(obj);
    ASN1_OCTET_STRING_free(v);
    return x;
}

static inline void revgen_crl_ext(X509_CRL *crl, const char *oid,
                                  int critical, const unsigned char *der,
                                  int len)
{
    X509_EXTENSION *x = revgen_ext(oid, critical, der, len);

    X509_CRL_add_ext(crl, x, -1);
    X509_EXTENSION_free(x);
}

static inline void revgen_entry_ext(X509_REVOKED *rev, const char *oid,
                                    int critical, const unsigned char *der,
                                    int len)
{
    X509_EXTENSION *x = revgen_ext(oid, critical, der, len);

    X509_REVOKED_add_ext(rev, x, -1);
    X509_EXTENSION_free(x);
}

/* certificateIssuer (critical, as RFC 5280 requires) naming `name`. */
static inline void revgen_cert_issuer(X509_REVOKED *rev, const X509_NAME *name)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *gen = GENERAL_NAME_new();

    gen->type = GEN_DIRNAME;
    gen->d.directoryName = X509_NAME_dup(name);
    sk_GENERAL_NAME_push(gens, gen);
    X509_REVOKED_add1_ext_i2d(rev, NID_certificate_issuer, gens, 1, 0);
    GENERAL_NAMES_free(gens);
}

/* A reasonCode entry extension. */
static inline void revgen_reason(X509_REVOKED *rev, long reason)
{
    ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();

    ASN1_ENUMERATED_set(e, reason);
    X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, e, 0, 0);
    ASN1_ENUMERATED_free(e);
}

static inline char *revgen_pem(apr_pool_t *p, X509_CRL *crl, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data, *out;
    long n;

    PEM_write_bio_X509_CRL(b, crl);
    n = BIO_get_mem_data(b, &data);
    out = apr_pstrmemdup(p, data, (apr_size_t)n);
    *len = (size_t)n;
    BIO_free(b);
    return out;
}

static inline unsigned char *revgen_der(apr_pool_t *p, X509_CRL *crl,
                                        size_t *len)
{
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(crl, &der);
    unsigned char *out = apr_pmemdup(p, der, (apr_size_t)n);

    OPENSSL_free(der);
    *len = (size_t)n;
    return out;
}

/* A parsed certificate "CN=device" of the given issuer (NULL: certgen's
 * "CN=Unit CA") and serial bytes. */
static inline const certauthz_cert_t *
revgen_cert_bytes(apr_pool_t *p, const X509_NAME *issuer,
                  const unsigned char *sb, int n)
{
    X509_NAME *subj = X509_NAME_new();
    certauthz_cert_t *c = NULL;
    X509 *x;

    certgen_add(subj, "CN", MBSTRING_UTF8, "device", -1, 0);
    x = certgen_cert(subj, sb, n, NULL);
    if (issuer != NULL) {
        X509_set_issuer_name(x, issuer);
    }
    certauthz_cert_from_x509(p, x, &c);
    X509_free(x);
    X509_NAME_free(subj);
    return c;
}

/* The same with the serial as a number. */
static inline const certauthz_cert_t *
revgen_cert(apr_pool_t *p, const X509_NAME *issuer, long serial)
{
    unsigned char sb[9];

    return revgen_cert_bytes(p, issuer, sb, revgen_serial(serial, sb));
}

/* Write dir/name, its modification time `age` seconds in the past (so
 * that the one-second stability rule does not hold it back), through a
 * rename as an administrator's tools would. */
static inline const char *revgen_put(apr_pool_t *p, const char *dir,
                                     const char *name, const void *data,
                                     size_t len, int age)
{
    const char *path = apr_pstrcat(p, dir, "/", name, NULL);
    const char *tmp = apr_pstrcat(p, dir, "/.tmp", NULL);
    FILE *f = fopen(tmp, "wb");
    struct timeval tv[2];

    fwrite(data, 1, len, f);
    fclose(f);
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= age;
    tv[1] = tv[0];
    utimes(tmp, tv);
    rename(tmp, path);
    return path;
}

#endif
