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

#include "names.h"

typedef enum {
    CERTAUTHZ_SAN_EMAIL,
    CERTAUTHZ_SAN_DNS,
    CERTAUTHZ_SAN_URI,
    CERTAUTHZ_SAN_IP
} certauthz_san_type_e;

/* "email", "dns", "uri" or "ip", as rules, logs and the command spell them. */
const char *certauthz_san_type_name(certauthz_san_type_e type);

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

    /* The issuer key (certauthz_name_key): the scope of CRL entries. */
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

/* Format an ISO 8601 UTC time ("2026-11-24T06:27:59Z") into buf[21]. */
void certauthz_iso8601(apr_int64_t t, char buf[21]);

#endif
