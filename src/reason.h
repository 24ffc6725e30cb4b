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
    /* The revocation store (CertAuthzRevocationStore) could not answer and
     * CertAuthzStoreUnavailable is deny: it might have said revoked. */
    CERTAUTHZ_REASON_STORE_UNAVAILABLE,
    CERTAUTHZ_REASON_REVOKED,
    CERTAUTHZ_REASON_COUNT
} certauthz_reason_e;

/* "ok", "no-cert", ...; NULL for CERTAUTHZ_REASON_NONE. */
const char *certauthz_reason_name(certauthz_reason_e reason);

/* What happened to a request, as the decision field tells it. */
typedef enum {
    /* Derived from the reason: none for NONE, granted for OK, else
     * denied (what a zeroed record means). */
    CERTAUTHZ_DECISION_AUTO = 0,
    CERTAUTHZ_DECISION_NONE,        /* no cert-* provider ran */
    CERTAUTHZ_DECISION_GRANTED,
    CERTAUTHZ_DECISION_DENIED,
    /* CertAuthzReportOnly: what the lines would have decided. */
    CERTAUTHZ_DECISION_WOULD_GRANT,
    CERTAUTHZ_DECISION_WOULD_DENY,
    CERTAUTHZ_DECISION_COUNT
} certauthz_decision_e;

/* The decision with AUTO resolved against reason. */
certauthz_decision_e certauthz_decision_resolve(certauthz_decision_e d,
                                                certauthz_reason_e reason);

/* "granted", "denied", "would-grant", "would-deny"; NULL for NONE (and
 * AUTO, which callers resolve first). */
const char *certauthz_decision_name(certauthz_decision_e d);

#endif
