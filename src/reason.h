/*
 * reason: why a cert-* provider decided as it did.  The numeric order is the
 * strength order of INTERFACE §4: when several providers deny, the strongest
 * reason is reported.
 */
#ifndef CERTAUTHZ_REASON_H
#define CERTAUTHZ_REASON_H

typedef enum {
    CERTAUTHZ_REASON_NONE = 0,  /* no cert-* provider ran */
    CERTAUTHZ_REASON_OK,        /* granted */
    CERTAUTHZ_REASON_NO_CERT,
    CERTAUTHZ_REASON_UNVERIFIED,
    CERTAUTHZ_REASON_NO_MATCH,
    CERTAUTHZ_REASON_CRL_STALE,
    CERTAUTHZ_REASON_REVOKED,
    CERTAUTHZ_REASON_COUNT
} certauthz_reason_e;

/* "ok", "no-cert", ...; NULL for CERTAUTHZ_REASON_NONE. */
const char *certauthz_reason_name(certauthz_reason_e reason);

#endif
