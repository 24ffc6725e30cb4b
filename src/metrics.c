/*
 * metrics: the Prometheus text format (see metrics.h).
 */
#include "metrics.h"
#include "reason.h"
#include "version.h"

#include <string.h>

#include <apr_strings.h>

/* A label value: backslash, double quote and line feed escaped, as the
 * text format requires; any other control character dropped (a path has
 * none in practice, and one must not break the line). */
static const char *label(apr_pool_t *p, const char *v)
{
    char *out = apr_palloc(p, strlen(v) * 2 + 1), *d = out;

    for (; *v; v++) {
        unsigned char c = (unsigned char)*v;

        if (c == '\\' || c == '"') {
            *d++ = '\\';
            *d++ = (char)c;
        }
        else if (c == '\n') {
            *d++ = '\\';
            *d++ = 'n';
        }
        else if (c >= 0x20 && c != 0x7f) {
            *d++ = (char)c;
        }
    }
    *d = '\0';
    return out;
}

static void head(apr_array_header_t *out, const char *name,
                 const char *type, const char *help)
{
    APR_ARRAY_PUSH(out, const char *) = "# HELP ";
    APR_ARRAY_PUSH(out, const char *) = name;
    APR_ARRAY_PUSH(out, const char *) = " ";
    APR_ARRAY_PUSH(out, const char *) = help;
    APR_ARRAY_PUSH(out, const char *) = "\n# TYPE ";
    APR_ARRAY_PUSH(out, const char *) = name;
    APR_ARRAY_PUSH(out, const char *) = " ";
    APR_ARRAY_PUSH(out, const char *) = type;
    APR_ARRAY_PUSH(out, const char *) = "\n";
}

static apr_uint64_t load(const volatile apr_uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* Seconds since the epoch, as Prometheus writes timestamps in values. */
static const char *secs(apr_pool_t *p, apr_time_t t)
{
    return apr_psprintf(p, "%" APR_TIME_T_FMT ".%03d", apr_time_sec(t),
                        (int)(apr_time_usec(t) / 1000));
}

const char *certauthz_metrics_text(apr_pool_t *p,
                                   const apr_array_header_t *sources,
                                   const certauthz_counters_t *c,
                                   apr_time_t now)
{
    apr_array_header_t *out = apr_array_make(p, 256, sizeof(char *));
    int n = sources ? sources->nelts : 0, i, d, r;

    head(out, "certauthz_info", "gauge",
         "mod_certauthz is loaded; its version is the label.");
    APR_ARRAY_PUSH(out, const char *) =
        "certauthz_info{version=\"" CERTAUTHZ_VERSION "\"} 1\n";

    head(out, "certauthz_decisions_total", "counter",
         "Requests on which Require cert-* lines ran, by what happened to "
         "them and why (reason none: refused by other lines).");
    for (d = CERTAUTHZ_DECISION_GRANTED; d < CERTAUTHZ_DECISION_COUNT; d++) {
        int granting = d == CERTAUTHZ_DECISION_GRANTED
                       || d == CERTAUTHZ_DECISION_WOULD_GRANT;

        for (r = CERTAUTHZ_REASON_NONE; r < CERTAUTHZ_REASON_COUNT; r++) {
            /* Only the pairs that can happen: a grant is ok, a refusal
             * anything else. */
            if (granting != (r == CERTAUTHZ_REASON_OK)) {
                continue;
            }
            APR_ARRAY_PUSH(out, const char *) = apr_psprintf(
                p,
                "certauthz_decisions_total{decision=\"%s\",reason=\"%s\"} "
                "%" APR_UINT64_T_FMT "\n",
                certauthz_decision_name((certauthz_decision_e)d),
                r == CERTAUTHZ_REASON_NONE
                    ? "none"
                    : certauthz_reason_name((certauthz_reason_e)r),
                c ? load(&c->decisions[d][r]) : 0);
        }
    }

    if (n > 0) {
        static const struct {
            const char *name, *type, *help;
        } m[] = {
            {"certauthz_revocation_entries", "gauge",
             "Entries of the version of the source in force."},
            {"certauthz_revocation_version", "gauge",
             "Version of the source in force (1 at start-up, one more per "
             "reload)."},
            {"certauthz_revocation_last_load_timestamp_seconds", "gauge",
             "When the version in force was loaded."},
            {"certauthz_revocation_next_update_timestamp_seconds", "gauge",
             "Earliest CRL nextUpdate of the version in force (absent: no "
             "CRL has one)."},
            {"certauthz_revocation_stale", "gauge",
             "1 when a CRL of the source is past its nextUpdate."},
            {"certauthz_revocation_reload_failures_total", "counter",
             "Reloads of the source that failed (the last good version "
             "stayed in force)."},
        };
        size_t k;

        for (k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
            head(out, m[k].name, m[k].type, m[k].help);
            for (i = 0; i < n; i++) {
                const certauthz_revinfo_t *s =
                    &APR_ARRAY_IDX(sources, i, certauthz_revinfo_t);
                const char *v;

                switch (k) {
                case 0:
                    v = apr_psprintf(p, "%" APR_SIZE_T_FMT, s->entries);
                    break;
                case 1:
                    v = apr_psprintf(p, "%" APR_UINT64_T_FMT, s->version);
                    break;
                case 2:
                    v = secs(p, s->loaded);
                    break;
                case 3:
                    if (s->next_update == 0) {
                        continue;
                    }
                    v = secs(p, s->next_update);
                    break;
                case 4:
                    v = s->next_update != 0 && now > s->next_update ? "1"
                                                                    : "0";
                    break;
                default:
                    v = apr_psprintf(p, "%" APR_UINT64_T_FMT, s->failures);
                    break;
                }
                APR_ARRAY_PUSH(out, const char *) =
                    apr_pstrcat(p, m[k].name, "{source=\"",
                                label(p, s->path ? s->path : ""), "\"} ", v,
                                "\n", NULL);
            }
        }
    }

    head(out, "certauthz_store_lookups_total", "counter",
         "Lookups in the revocation store (CertAuthzRevocationStore).");
    APR_ARRAY_PUSH(out, const char *) = apr_psprintf(
        p, "certauthz_store_lookups_total %" APR_UINT64_T_FMT "\n",
        c ? load(&c->store_lookups) : 0);
    head(out, "certauthz_store_errors_total", "counter",
         "Lookups in the revocation store that failed (store unreachable).");
    APR_ARRAY_PUSH(out, const char *) = apr_psprintf(
        p, "certauthz_store_errors_total %" APR_UINT64_T_FMT "\n",
        c ? load(&c->store_errors) : 0);
    return apr_array_pstrcat(p, out, '\0');
}
