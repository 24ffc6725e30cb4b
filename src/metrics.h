/*
 * metrics: the Prometheus text exposition (format 0.0.4) of the
 * certauthz-metrics handler (INTERFACE §10): decisions by decision and
 * reason, each revocation source's state, the revocation store's lookups
 * and errors, all summed over the server's processes.  No device identity
 * is ever a label: the only labels are decision, reason and source (a
 * configured path or URL).
 */
#ifndef CERTAUTHZ_METRICS_H
#define CERTAUTHZ_METRICS_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "revocation.h"
#include "revshm.h"

/* sources: certauthz_revinfo_t (may be NULL); counters: the shared
 * counters; now: for the stale flag. */
const char *certauthz_metrics_text(apr_pool_t *p,
                                   const apr_array_header_t *sources,
                                   const certauthz_counters_t *counters,
                                   apr_time_t now);

#endif
