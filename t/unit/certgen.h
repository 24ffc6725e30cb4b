/*
 * certgen.h: build certificates in memory for the unit tests, with exactly
 * the ASN.1 the test wants (string types, multi-valued RDNs, odd serials,
 * SANs).  Test code only.
 */
#ifndef CERTAUTHZ_CERTGEN_H
#define CERTAUTHZ_CERTGEN_H

#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* A fresh P-256 key, shared by every generated certificate. */
static inline EVP_PKEY *certgen_key(void)
{
    static EVP_PKEY *key;  /* test process only */

    if (key == NULL) {
        key = EVP_EC_gen("P-256");
    }
    return key;
}

/* Append an attribute to name. type is a V_ASN1_* string type (or
 * MBSTRING_UTF8 to let OpenSSL pick); join is 0 for a new RDN, 1 to join the
 * previous RDN (multi-valued). len may be -1 for strlen. */
static inline void certgen_add(X509_NAME *name, const char *field, int type,
                               const char *value, int len, int join)
{
    int set = join ? -1 : 0;

    if (type == MBSTRING_UTF8 || type == MBSTRING_ASC) {
        X509_NAME_add_entry_by_txt(name, field, type,
                                   (const unsigned char *)value, len, -1, set);
    }
    else {
        ASN1_OBJECT *obj = OBJ_txt2obj(field, 0);
        X509_NAME_ENTRY *e = X509_NAME_ENTRY_create_by_OBJ(
            NULL, obj, type, (const unsigned char *)value,
            len < 0 ? (int)strlen(value) : len);

        X509_NAME_add_entry(name, e, -1, set);
        X509_NAME_ENTRY_free(e);
        ASN1_OBJECT_free(obj);
    }
}

/* A certificate with the given subject, issuer "CN=Unit CA", serial bytes
 * (big-endian, as given, so leading zeros can be tested) and an optional
 * subjectAltName in openssl's config syntax ("DNS:a,IP:1.2.3.4"). */
static inline X509 *certgen_cert(X509_NAME *subject, const unsigned char *serial,
                          int serial_len, const char *san)
{
    X509 *x = X509_new();
    X509_NAME *issuer = X509_NAME_new();
    ASN1_INTEGER *sn = ASN1_INTEGER_new();

    X509_set_version(x, 2);
    ASN1_STRING_set(sn, serial, serial_len);
    X509_set_serialNumber(x, sn);
    ASN1_INTEGER_free(sn);
    certgen_add(issuer, "CN", MBSTRING_UTF8, "Unit CA", -1, 0);
    X509_set_issuer_name(x, issuer);
    X509_NAME_free(issuer);
    X509_set_subject_name(x, subject);
    ASN1_TIME_set(X509_getm_notBefore(x), 1700000000);
    ASN1_TIME_set(X509_getm_notAfter(x), 1800000000);
    X509_set_pubkey(x, certgen_key());
    if (san != NULL) {
        X509V3_CTX ctx;
        X509_EXTENSION *ext;

        X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
        if (ext != NULL) {
            X509_add_ext(x, ext, -1);
            X509_EXTENSION_free(ext);
        }
    }
    X509_sign(x, certgen_key(), EVP_sha256());
    return x;
}

#endif
