/*
 * certinfo: the parsed view of a client certificate.
 *
 * Every field a rule or a log line may look at is extracted once from the
 * X.509 structure (never from a flattened DN string) into pool memory and
 * never changes afterwards, so one parse serves every request of a
 * connection and can be read by any thread.
 */
#ifndef CERTAUTHZ_CERTINFO_H
#define CERTAUTHZ_CERTINFO_H

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

typedef enum {
    CERTAUTHZ_SAN_EMAIL,
    CERTAUTHZ_SAN_DNS,
    CERTAUTHZ_SAN_URI,
    CERTAUTHZ_SAN_IP
} certauthz_san_type_e;

typedef struct {
    certauthz_san_type_e type;
    const char *value;  /* text; an IP address in its usual notation */
    apr_size_t len;
    unsigned char ip[16];
    int iplen;          /* 4 or 16 for CERTAUTHZ_SAN_IP, else 0 */
} certauthz_san_t;

typedef struct {
    certauthz_dn_t subject;
    certauthz_dn_t issuer;
    const char *subject_dn;   /* RFC 4514, as mod_ssl's SSL_CLIENT_S_DN */
    const char *issuer_dn;    /* RFC 4514, as mod_ssl's SSL_CLIENT_I_DN */

    /* Serial magnitude, big-endian, without leading zero bytes (zero is the
     * empty string), as used for matching and revocation lookups. */
    const unsigned char *serial;
    apr_size_t serial_len;
    int serial_negative;
    const char *serial_hex;   /* upper-case, as SSL_CLIENT_M_SERIAL */

    unsigned char sha256[32]; /* SHA-256 of the DER */
    const char *fingerprint;  /* lower-case hex, no colons */

    /* SHA-256 of the canonical form of the issuer name (certauthz_name_key),
     * the scope of CRL entries. */
    unsigned char issuer_key[32];

    const certauthz_san_t *sans;
    int n_sans;

    apr_int64_t not_before;   /* seconds since the epoch, UTC */
    apr_int64_t not_after;
} certauthz_cert_t;

/* Parse a certificate. On failure *out is untouched and a message is
 * returned; on success NULL. */
const char *certauthz_cert_from_x509(apr_pool_t *p, X509 *x,
                                     certauthz_cert_t **out);
const char *certauthz_cert_from_der(apr_pool_t *p, const unsigned char *der,
                                    apr_size_t len, certauthz_cert_t **out);
const char *certauthz_cert_from_pem(apr_pool_t *p, const char *pem,
                                    apr_size_t len, certauthz_cert_t **out);

/* The DER of a PEM certificate in the shape PEM writers give it (lines of
 * 64 characters), decoded directly: 1 with *der (in p) and *dlen set, or 0
 * for any other text, which certauthz_cert_from_pem leaves to OpenSSL's PEM
 * reader. */
int certauthz_pem_read_direct(apr_pool_t *p, const char *pem, apr_size_t len,
                              unsigned char **der, apr_size_t *dlen);

/* A key identifying a name independently of its ASN.1 string types: the
 * SHA-256 of its RDN sequence with every value decoded to UTF-8.  A CRL's
 * issuer and a certificate's issuer are the same CA when the keys are. */
int certauthz_name_key(const X509_NAME *name, unsigned char key[32]);

/* The same key from a DER Name (tag and length included). */
int certauthz_name_key_der(const unsigned char *der, apr_size_t len,
                           unsigned char key[32]);

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
 * well-formed UTF-8 in a UTF8String) are read directly; any other name goes through OpenSSL's d2i_X509_NAME and
 * X509_NAME_print_ex, whose results the direct reading reproduces exactly
 * (t/unit/test_names.c, fuzz/fuzz_name.c).  Returns NULL, or a message when
 * the name is malformed.
 */
const char *certauthz_name_parse(apr_pool_t *p, const unsigned char *der,
                                 apr_size_t len, certauthz_name_how_e how,
                                 certauthz_dn_t *dn, const char **str,
                                 unsigned char key[32]);

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

/* Format an ISO 8601 UTC time ("2026-11-24T06:27:59Z") into buf[21]. */
void certauthz_iso8601(apr_int64_t t, char buf[21]);

#endif
