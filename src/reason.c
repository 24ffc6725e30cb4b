#include "reason.h"

#include <stddef.h>

const char *certauthz_reason_name(certauthz_reason_e reason)
{
    static const char *const names[CERTAUTHZ_REASON_COUNT] = {
        NULL, "ok", "no-cert", "unverified", "no-match", "crl-stale",
        "revoked"
    };

    if ((int)reason < 0 || reason >= CERTAUTHZ_REASON_COUNT) {
        return NULL;
    }
    return names[reason];
}
