/*
 * status: the JSON document of the certauthz-status handler (INTERFACE §4):
 * the revocation sources as this process holds them, and this process's
 * decision counters.
 */
#ifndef CERTAUTHZ_STATUS_H
#define CERTAUTHZ_STATUS_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "reason.h"
#include "revocation.h"

/* sources: an array of certauthz_revinfo_t (may be NULL); counts: the
 * number of requests decided with each reason, indexed by
 * certauthz_reason_e (the NONE slot is not shown). */
const char *certauthz_status_json(apr_pool_t *p,
                                  const apr_array_header_t *sources,
                                  const apr_uint64_t *counts, long pid);

/* The same with would: what report-only lines would have decided, indexed
 * likewise, shown as "report_only" after the decisions (when not NULL). */
const char *certauthz_status_json_ex(apr_pool_t *p,
                                     const apr_array_header_t *sources,
                                     const apr_uint64_t *counts,
                                     const apr_uint64_t *would, long pid);

#endif
