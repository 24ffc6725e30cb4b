/*
 * names: distinguished names as rules, log fields and revocation scopes
 * see them, read from DER directly when they have the common shapes and
 * through OpenSSL otherwise, with the same results either way.
 */
#ifndef CERTAUTHZ_NAMES_H
#define CERTAUTHZ_NAMES_H

#include <apr_pools.h>
#include <openssl/x509.h>

/* One attribute value of a distinguished name. */
typedef struct {
    int nid;            /* OpenSSL NID, NID_undef for an unknown OID */
    const char *oid;    /* dotted OID, always set */
    const unsigned char *oid_der;   /* the OID's content octets */
    apr_size_t oid_der_len;
    const char *value;  /* UTF-8, NUL-terminated; may hold embedded NULs */
    apr_size_t len;     /* length of value in bytes */
    int set;            /* RDN index: equal for the parts of a multi-valued RDN */
    int undecodable;    /* 1 when the ASN.1 string could not be turned into
                         * UTF-8; value then holds the raw bytes and no rule
                         * ever matches it */
} certauthz_ava_t;

typedef struct {
    const certauthz_ava_t *avas;
    int n;
} certauthz_dn_t;

/*
 * The issuer key: a name's identity as OpenSSL compares names.  It is the
 * SHA-256 of the name's canonical encoding, byte for byte the one
 * X509_NAME_cmp compares (OpenSSL's x509_name_canon): every value of the
 * string types OpenSSL canonicalises (UTF8String, BMPString,
 * UniversalString, PrintableString, T61String, IA5String, VisibleString)
 * turned into a UTF8String, ASCII upper case folded, leading and trailing
 * whitespace dropped and inner runs of it collapsed to one space; other
 * values kept as they are; the values of a multi-valued RDN in DER SET OF
 * order.  So two names have the same key exactly when X509_NAME_cmp says
 * they are equal, and a CRL that CertAuthzCRLVerifyCA accepts for an
 * issuer applies to that issuer's certificates (t/unit/test_namekey.c,
 * fuzz/fuzz_name.c).
 */
int certauthz_name_key(const X509_NAME *name, unsigned char key[32]);

/* The same key from a DER Name (tag and length included). */
int certauthz_name_key_der(const unsigned char *der, apr_size_t len,
                           unsigned char key[32]);

/* The canonical encoding itself (test code checks it against OpenSSL's
 * X509_NAME_hash_ex, a SHA-1 of OpenSSL's own): 0 with *canon and *len
 * from p, or -1. */
int certauthz_name_canon(apr_pool_t *p, const X509_NAME *name,
                         unsigned char **canon, apr_size_t *len);

/* How certauthz_name_parse reads a name. */
typedef enum {
    CERTAUTHZ_NAME_ANY,         /* directly when it can, else OpenSSL */
    CERTAUTHZ_NAME_OPENSSL,     /* OpenSSL only (tests compare the two) */
    CERTAUTHZ_NAME_DIRECT       /* directly only: fails when it cannot */
} certauthz_name_how_e;

/*
 * Read a DER Name (tag and length included) into dn, its RFC 4514 string
 * (*str, may be NULL) and its key (key, may be NULL).  Names made only of
 * single-valued RDNs of common attributes with printable ASCII values (or
 * well-formed UTF-8 in a UTF8String) are read directly; any other name
 * goes through OpenSSL's d2i_X509_NAME and X509_NAME_print_ex, whose
 * results the direct reading reproduces exactly (t/unit/test_names.c,
 * fuzz/fuzz_name.c).  Returns NULL, or a message when the name is
 * malformed.
 */
const char *certauthz_name_parse(apr_pool_t *p, const unsigned char *der,
                                 apr_size_t len, certauthz_name_how_e how,
                                 certauthz_dn_t *dn, const char **str,
                                 unsigned char key[32]);

/* OpenSSL's reading of a name it holds: values, and the RFC 4514 string
 * mod_ssl gives SSL_CLIENT_S_DN (without SSLOptions
 * +LegacyDNStringFormat). */
void certauthz_name_values(apr_pool_t *p, const X509_NAME *name,
                           certauthz_dn_t *dn);
const char *certauthz_name_string(apr_pool_t *p, const X509_NAME *name);

/* An attribute type as rules name it. */
typedef struct {
    int nid;            /* NID_undef for an OID OpenSSL has no name for */
    const char *oid;    /* dotted OID */
} certauthz_attr_t;

/* Look up an attribute name: an OpenSSL short or long name (compared
 * case-insensitively, exact spellings first) or a dotted OID.  Returns 0 and
 * fills *attr, or -1 when the name is unknown or the OID malformed. */
int certauthz_attr_lookup(apr_pool_t *p, const char *name,
                          certauthz_attr_t *attr);

/* Whether an AVA is of the given attribute type. */
int certauthz_ava_is(const certauthz_ava_t *ava, const certauthz_attr_t *attr);

#endif
