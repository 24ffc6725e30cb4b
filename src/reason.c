#include "reason.h"

#include <stddef.h>

const char *certauthz_reason_name(certauthz_reason_e reason)
{
    static const char *const names[CERTAUTHZ_REASON_COUNT] = {
        NULL, "ok", "no-cert", "unverified", "no-match", "crl-stale",
        "store-unavailable", "revoked"
    };

    if ((int)reason < 0 || reason >= CERTAUTHZ_REASON_COUNT) {
        return NULL;
    }
    return names[reason];
}

certauthz_decision_e certauthz_decision_resolve(certauthz_decision_e d,
                                                certauthz_reason_e reason)
{
    if (d != CERTAUTHZ_DECISION_AUTO) {
        return d;
    }
    if (reason == CERTAUTHZ_REASON_NONE) {
        return CERTAUTHZ_DECISION_NONE;
    }
    return reason == CERTAUTHZ_REASON_OK ? CERTAUTHZ_DECISION_GRANTED
                                         : CERTAUTHZ_DECISION_DENIED;
}

const char *certauthz_decision_name(certauthz_decision_e d)
{
    switch (d) {
    case CERTAUTHZ_DECISION_GRANTED:
        return "granted";
    case CERTAUTHZ_DECISION_DENIED:
        return "denied";
    case CERTAUTHZ_DECISION_WOULD_GRANT:
        return "would-grant";
    case CERTAUTHZ_DECISION_WOULD_DENY:
        return "would-deny";
    default:
        return NULL;
    }
}
