/*
 * status: render the status page.
 */
#include "status.h"

#include <string.h>

#include <apr_strings.h>

#include "certinfo.h"
#include "logfields.h"

/* An apr_time_t as a JSON ISO 8601 string, or null when unset. */
static const char *json_time(apr_pool_t *p, apr_time_t t)
{
    char buf[21];

    if (t == 0) {
        return "null";
    }
    certauthz_iso8601((apr_int64_t)apr_time_sec(t), buf);
    return apr_pstrcat(p, "\"", buf, "\"", NULL);
}

static const char *json_str_or_null(apr_pool_t *p, const char *s)
{
    return s ? certauthz_json_string(p, s, strlen(s)) : "null";
}

/* "\"ok\": 1, \"no-cert\": 0, ..." for counts by reason. */
static void push_counts(apr_pool_t *p, apr_array_header_t *parts,
                        const apr_uint64_t *counts)
{
    int i;

    for (i = CERTAUTHZ_REASON_OK; i < CERTAUTHZ_REASON_COUNT; i++) {
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(
            p, "%s\"%s\": %" APR_UINT64_T_FMT,
            i > CERTAUTHZ_REASON_OK ? ", " : "",
            certauthz_reason_name((certauthz_reason_e)i), counts[i]);
    }
}

const char *certauthz_status_json(apr_pool_t *p,
                                  const apr_array_header_t *sources,
                                  const apr_array_header_t *stores,
                                  const apr_uint64_t *counts,
                                  const apr_uint64_t store_counts[2],
                                  long pid)
{
    return certauthz_status_json_ex(p, sources, stores, counts, NULL,
                                    store_counts, pid);
}

const char *certauthz_status_json_ex(apr_pool_t *p,
                                     const apr_array_header_t *sources,
                                     const apr_array_header_t *stores,
                                     const apr_uint64_t *counts,
                                     const apr_uint64_t *would,
                                     const apr_uint64_t store_counts[2],
                                     long pid)
{
    apr_array_header_t *parts = apr_array_make(p, 32, sizeof(char *));
    int i, n = sources ? sources->nelts : 0;

    APR_ARRAY_PUSH(parts, const char *) =
        apr_psprintf(p, "{\"pid\": %ld, \"sources\": [", pid);
    for (i = 0; i < n; i++) {
        const certauthz_revinfo_t *s =
            &APR_ARRAY_IDX(sources, i, certauthz_revinfo_t);

        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(
            p,
            "%s{\"path\": %s, \"format\": %s, \"entries\": %" APR_SIZE_T_FMT
            ", \"loaded\": %s, \"mtime\": %s, \"next_update\": %s"
            ", \"stale\": %s, \"last_error\": %s, \"error_time\": %s"
            ", \"reload_failures\": %" APR_UINT64_T_FMT
            ", \"version\": %" APR_UINT64_T_FMT
            ", \"version_here\": %" APR_UINT64_T_FMT
            ", \"shared_by\": %d}",
            i ? ", " : "", json_str_or_null(p, s->path),
            json_str_or_null(p, s->format), s->entries,
            json_time(p, s->loaded), json_time(p, s->mtime),
            json_time(p, s->next_update), s->stale ? "true" : "false",
            json_str_or_null(p, s->last_error), json_time(p, s->error_time),
            s->failures, s->version, s->held, s->shared_by);
    }
    APR_ARRAY_PUSH(parts, const char *) = "], \"stores\": [";
    for (i = 0; stores != NULL && i < stores->nelts; i++) {
        const certauthz_storeinfo_t *s =
            &APR_ARRAY_IDX(stores, i, certauthz_storeinfo_t);

        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(
            p,
            "%s{\"store\": %s, \"state\": %s, \"since\": %s"
            ", \"checked\": %s, \"outages\": %" APR_UINT64_T_FMT
            ", \"last_error\": %s, \"unavailable\": \"%s\""
            ", \"cache_seconds\": %d}",
            i ? ", " : "", json_str_or_null(p, s->store),
            json_str_or_null(p, s->state), json_time(p, s->since),
            json_time(p, s->checked), s->outages,
            json_str_or_null(p, s->last_error), s->deny ? "deny" : "allow",
            s->cache_seconds);
    }
    APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(
        p, "], \"store_lookups\": %" APR_UINT64_T_FMT
        ", \"store_errors\": %" APR_UINT64_T_FMT ", \"decisions\": {",
        store_counts[0], store_counts[1]);
    push_counts(p, parts, counts);
    if (would != NULL) {
        APR_ARRAY_PUSH(parts, const char *) = "}, \"report_only\": {";
        push_counts(p, parts, would);
    }
    APR_ARRAY_PUSH(parts, const char *) = "}}";
    return apr_array_pstrcat(p, parts, '\0');
}
