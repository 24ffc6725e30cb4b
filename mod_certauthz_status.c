/*
 * mod_certauthz: the decision counters and what reads them: the
 * certauthz-status handler (JSON, INTERFACE §4) and the certauthz-metrics
 * handler (Prometheus text, §10).
 */
#include "mod_certauthz.h"

#include "http_core.h"
#include "http_protocol.h"

#include <errno.h>
#include <unistd.h>

#include "src/metrics.h"
#include "src/status.h"

/*
 * The counters of every process of the server: shared memory mapped by
 * the parent on its first real start, before any child exists, and kept
 * for the parent's lifetime (a graceful restart does not reset them, as
 * it does not reset the scoreboard).  Until then (and in a process that
 * never got them, such as `httpd -t`) a private block stands in.
 */
static certauthz_counters_t *counters;
static certauthz_counters_t private_counters;

certauthz_counters_t *certauthz_counters(void)
{
    return counters != NULL ? counters : &private_counters;
}

void certauthz_count_decision(certauthz_decision_e decision,
                              certauthz_reason_e reason)
{
    if (decision == CERTAUTHZ_DECISION_GRANTED
        || decision == CERTAUTHZ_DECISION_WOULD_GRANT) {
        reason = CERTAUTHZ_REASON_OK;
    }
    if ((int)decision >= 0 && decision < CERTAUTHZ_DECISION_COUNT
        && (int)reason >= 0 && reason < CERTAUTHZ_REASON_COUNT) {
        certauthz_count(&certauthz_counters()->decisions[decision][reason]);
    }
}

static int status_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    if (counters == NULL
        && ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        counters = certauthz_counters_create();
        if (counters == NULL) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, errno, s,
                         CERTAUTHZ_LOGNO(0120) "cannot map the shared "
                         "decision counters; each process counts its own");
        }
    }
    return OK;
}

static int status_handler(request_rec *r)
{
    apr_uint64_t counts[CERTAUTHZ_REASON_COUNT];
    apr_uint64_t would[CERTAUTHZ_REASON_COUNT], store_counts[2];
    certauthz_counters_t *c = certauthz_counters();
    int d, i;

    if (r->handler == NULL || strcmp(r->handler, "certauthz-status") != 0) {
        return DECLINED;
    }
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    /* Requests decided by enforcing cert-* lines, by reason, summed over
     * the server's processes; apart, what report-only lines would have
     * decided. */
    for (i = 0; i < CERTAUTHZ_REASON_COUNT; i++) {
        counts[i] = would[i] = 0;
        for (d = CERTAUTHZ_DECISION_GRANTED; d <= CERTAUTHZ_DECISION_DENIED;
             d++) {
            counts[i] += __atomic_load_n(&c->decisions[d][i],
                                         __ATOMIC_RELAXED);
        }
        for (d = CERTAUTHZ_DECISION_WOULD_GRANT;
             d <= CERTAUTHZ_DECISION_WOULD_DENY; d++) {
            would[i] += __atomic_load_n(&c->decisions[d][i],
                                        __ATOMIC_RELAXED);
        }
    }
    store_counts[0] = __atomic_load_n(&c->store_lookups, __ATOMIC_RELAXED);
    store_counts[1] = __atomic_load_n(&c->store_errors, __ATOMIC_RELAXED);
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) {
        ap_rputs(certauthz_status_json_ex(r->pool,
                                          certauthz_revocation_status(r),
                                          certauthz_store_status(r), counts,
                                          would, store_counts,
                                          (long)getpid()),
                 r);
        ap_rputs("\n", r);
    }
    return OK;
}

/* The Prometheus text format, version 0.0.4: totals of the whole server
 * (every process, every source), whichever process answers. */
static int metrics_handler(request_rec *r)
{
    if (r->handler == NULL || strcmp(r->handler, "certauthz-metrics") != 0) {
        return DECLINED;
    }
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) {
        ap_rputs(certauthz_metrics_text(
                     r->pool, certauthz_revocation_status_all(r->pool),
                     certauthz_counters(), apr_time_now()),
                 r);
    }
    return OK;
}

void certauthz_register_status_hooks(void)
{
    ap_hook_post_config(status_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(status_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(metrics_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
