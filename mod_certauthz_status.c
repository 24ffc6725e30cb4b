/*
 * mod_certauthz: the decision counters and the certauthz-status handler
 * (INTERFACE §4).
 */
#include "mod_certauthz.h"

#include "http_protocol.h"

#include "apr_atomic.h"

#include <unistd.h>

#include "src/status.h"

/* This process's decisions by reason (index certauthz_reason_e).
 * Process-global on purpose: the page reports what this process decided.
 * Updated with atomic increments, so threads need no lock. */
static volatile apr_uint64_t decision_counts[CERTAUTHZ_REASON_COUNT];
/* What report-only lines would have decided, apart: they decide nothing. */
static volatile apr_uint64_t would_counts[CERTAUTHZ_REASON_COUNT];

void certauthz_count_decision(certauthz_decision_e decision,
                              certauthz_reason_e reason)
{
    volatile apr_uint64_t *counts = decision_counts;

    if (decision == CERTAUTHZ_DECISION_WOULD_GRANT
        || decision == CERTAUTHZ_DECISION_WOULD_DENY) {
        counts = would_counts;
    }
    if (decision == CERTAUTHZ_DECISION_GRANTED
        || decision == CERTAUTHZ_DECISION_WOULD_GRANT) {
        reason = CERTAUTHZ_REASON_OK;
    }
    if ((int)reason >= 0 && reason < CERTAUTHZ_REASON_COUNT) {
        apr_atomic_inc64(&counts[reason]);
    }
}

static int status_handler(request_rec *r)
{
    apr_uint64_t counts[CERTAUTHZ_REASON_COUNT];
    apr_uint64_t would[CERTAUTHZ_REASON_COUNT];
    int i;

    if (r->handler == NULL || strcmp(r->handler, "certauthz-status") != 0) {
        return DECLINED;
    }
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    for (i = 0; i < CERTAUTHZ_REASON_COUNT; i++) {
        counts[i] = apr_atomic_read64(&decision_counts[i]);
        would[i] = apr_atomic_read64(&would_counts[i]);
    }
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) {
        ap_rputs(certauthz_status_json_ex(r->pool,
                                          certauthz_revocation_status(r),
                                          counts, would, (long)getpid()),
                 r);
        ap_rputs("\n", r);
    }
    return OK;
}

void certauthz_register_status_hooks(void)
{
    ap_hook_handler(status_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
