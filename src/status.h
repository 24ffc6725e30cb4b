/*
 * status: the JSON document of the certauthz-status handler (INTERFACE §4):
 * the revocation sources as this process holds them, the revocation
 * stores as the loader finds them, and the decision counters.
 */
#ifndef CERTAUTHZ_STATUS_H
#define CERTAUTHZ_STATUS_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "reason.h"
#include "revocation.h"

/* What the status page shows of a revocation store (INTERFACE §9). */
typedef struct {
    const char *store;          /* PROVIDER:ARGS */
    const char *state;          /* "up", "down", "unknown" (not checked) */
    apr_time_t since;           /* when the state last changed, 0 never */
    apr_time_t checked;         /* the last time it answered the loader */
    apr_uint64_t outages;
    const char *last_error;     /* why, while down; NULL */
    int deny;                   /* CertAuthzStoreUnavailable deny */
    int cache_seconds;
} certauthz_storeinfo_t;

/* sources: an array of certauthz_revinfo_t (may be NULL); stores: of
 * certauthz_storeinfo_t (may be NULL); counts: the number of requests
 * decided with each reason, indexed by certauthz_reason_e (the NONE slot
 * is not shown); store_counts: the store lookups and the ones that got no
 * answer. */
const char *certauthz_status_json(apr_pool_t *p,
                                  const apr_array_header_t *sources,
                                  const apr_array_header_t *stores,
                                  const apr_uint64_t *counts,
                                  const apr_uint64_t store_counts[2],
                                  long pid);

/* The same with would: what report-only lines would have decided, indexed
 * likewise, shown as "report_only" after the decisions (when not NULL). */
const char *certauthz_status_json_ex(apr_pool_t *p,
                                     const apr_array_header_t *sources,
                                     const apr_array_header_t *stores,
                                     const apr_uint64_t *counts,
                                     const apr_uint64_t *would,
                                     const apr_uint64_t store_counts[2],
                                     long pid);

#endif
