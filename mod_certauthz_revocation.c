/*
 * mod_certauthz: the revocation sources (INTERFACE §3) as the server's
 * processes use them.
 *
 * The sources are loaded by the parent in check_config, which also runs
 * for `httpd -t`, so a bad file fails a configtest exactly as it fails a
 * start.  They live in pconf: children inherit the loaded lists, and
 * re-check the files at most once per interval (src/revocation.c:
 * certauthz_revsrc_acquire).
 */
#include "mod_certauthz.h"

#include "unixd.h"

#include "apr_hash.h"
#include "apr_strings.h"

#include <errno.h>
#include <unistd.h>

#include "src/revocation.h"

#define REVOCATION_DEFAULT_INTERVAL 5

static void revocation_log_request(void *baton, certauthz_revlog_e level,
                                   const char *msg)
{
    request_rec *r = baton;
    int lvl = level == CERTAUTHZ_REVLOG_ERROR  ? APLOG_ERR
              : level == CERTAUTHZ_REVLOG_WARN ? APLOG_WARNING
                                               : APLOG_NOTICE;

    ap_log_error(APLOG_MARK, lvl, 0, r->server, CERTAUTHZ_LOGNO(0100)
                 "CertAuthzRevocationFile %s", msg);
}

static void revocation_log_startup(void *baton, certauthz_revlog_e level,
                                   const char *msg)
{
    server_rec *s = baton;
    int lvl = level == CERTAUTHZ_REVLOG_ERROR  ? APLOG_ERR
              : level == CERTAUTHZ_REVLOG_WARN ? APLOG_WARNING
                                               : APLOG_NOTICE;

    ap_log_error(APLOG_MARK, APLOG_STARTUP | lvl, 0, s, CERTAUTHZ_LOGNO(0101)
                 "CertAuthzRevocationFile %s", msg);
}

/* The directory of the compiled indexes, writable by the children so that
 * a child reloading a changed file shares its index with the others.  NULL
 * (indexes in anonymous memory) when it cannot be made. */
static const char *revocation_cache_dir(apr_pool_t *p, server_rec *s)
{
    const char *dir = ap_runtime_dir_relative(p, "certauthz");
    apr_status_t rv;

    if (dir == NULL) {
        return NULL;
    }
    rv = apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, rv, s,
                     CERTAUTHZ_LOGNO(0102) "cannot create %s; revocation "
                     "indexes will not be shared between processes", dir);
        return NULL;
    }
    if (geteuid() == 0 && chown(dir, ap_unixd_config.user_id, -1) != 0) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, errno, s,
                     CERTAUTHZ_LOGNO(0103) "cannot give %s to the server's "
                     "User; lists reloaded by children will not be shared",
                     dir);
    }
    return dir;
}

static int revocation_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                   apr_pool_t *ptemp, server_rec *main_s)
{
    apr_hash_t *loaded = apr_hash_make(ptemp);
    const char *cache_dir = NULL;
    int need_cache = 0;
    server_rec *s;

    (void)plog;
    for (s = main_s; s != NULL && !need_cache; s = s->next) {
        need_cache = certauthz_srv_conf(s)->revocation_files->nelts > 0;
    }
    if (need_cache) {
        cache_dir = revocation_cache_dir(pconf, main_s);
    }
    for (s = main_s; s != NULL; s = s->next) {
        certauthz_srv_conf_t *sc = certauthz_srv_conf(s);
        int i;

        sc->sources = apr_array_make(pconf, sc->revocation_files->nelts,
                                     sizeof(certauthz_revsrc_t *));
        for (i = 0; i < sc->revocation_files->nelts; i++) {
            const char *path = APR_ARRAY_IDX(sc->revocation_files, i,
                                             const char *);
            /* A CRL checked against one CA file is not a CRL checked
             * against another: the verify CA is part of the identity. */
            const char *key = apr_pstrcat(ptemp, path, "\n",
                                          sc->crl_verify_ca, NULL);
            certauthz_revsrc_t *src = apr_hash_get(loaded, key,
                                                   APR_HASH_KEY_STRING);

            if (src == NULL) {
                certauthz_revopts_t opts;
                const char *err;

                opts.cache_dir = cache_dir;
                opts.verify_ca = sc->crl_verify_ca;
                err = certauthz_revsrc_create(pconf, path, &opts,
                                              revocation_log_startup, s, &src);
                if (err != NULL) {
                    /* Loading runs after the configuration is read, so
                     * say which directive named the file. */
                    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0,
                                 NULL, CERTAUTHZ_LOGNO(0104) "%s%s (%s)",
                                 strncmp(err, "CertAuthz", 9) == 0
                                     ? "" : "CertAuthzRevocationFile ",
                                 err, APR_ARRAY_IDX(sc->revocation_where, i,
                                                    const char *));
                    return HTTP_INTERNAL_SERVER_ERROR;
                }
                apr_hash_set(loaded, key, APR_HASH_KEY_STRING, src);
            }
            APR_ARRAY_PUSH(sc->sources, certauthz_revsrc_t *) = src;
        }
    }
    return OK;
}

/*
 * OK, REVOKED or CRL_STALE for a verified identity on the request's server:
 * a few hash probes per source.  Each list is referenced while it is
 * consulted, so a reload never pulls it from under the lookup.
 *
 * The verdict is kept on the identity and reused while the server is the
 * same, every source still has the same list, no check of a file is due,
 * and the second has not changed (a CRL passing its nextUpdate is seen
 * within a second): the lookups' memory accesses into a large index cost
 * more than their instructions.  The identity may be shared by the streams
 * of an HTTP/2 connection, hence its lock.
 */
certauthz_reason_e certauthz_revocation_reason(request_rec *r,
                                               certauthz_ident_t *id)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(r->server);
    certauthz_reason_e reason = CERTAUTHZ_REASON_OK;
    apr_uint64_t stamp = 0;
    apr_time_t now;
    apr_int64_t sec;
    int i, n, interval, fresh = 1;

    if (sc->sources == NULL || sc->sources->nelts == 0) {
        return reason;
    }
    n = sc->sources->nelts;
    now = apr_time_now();
    sec = (apr_int64_t)apr_time_sec(now);
    /* Generations only grow, so their sum is unchanged exactly when each
     * of them is. */
    for (i = 0; i < n; i++) {
        certauthz_revsrc_t *src = APR_ARRAY_IDX(sc->sources, i,
                                                certauthz_revsrc_t *);
        apr_uint64_t gen = certauthz_revsrc_generation(src);

        stamp += gen;
        fresh = fresh && certauthz_revsrc_unchanged(src, now, gen);
    }
    apr_thread_mutex_lock(id->rev_lock);
    if (fresh && id->rev_sc == (const void *)sc && id->rev_sec == sec
        && id->rev_stamp == stamp) {
        reason = id->rev_reason;
        apr_thread_mutex_unlock(id->rev_lock);
        return reason;
    }
    apr_thread_mutex_unlock(id->rev_lock);

    interval = sc->check_interval != CERTAUTHZ_UNSET
                   ? sc->check_interval
                   : REVOCATION_DEFAULT_INTERVAL;
    stamp = 0;
    for (i = 0; i < n; i++) {
        certauthz_revsrc_t *src = APR_ARRAY_IDX(sc->sources, i,
                                                certauthz_revsrc_t *);
        /* Read before acquiring: a list swapped in meanwhile only makes
         * the next request look again. */
        apr_uint64_t gen = certauthz_revsrc_generation(src);
        certauthz_revlist_t *list = certauthz_revsrc_acquire(
            src, now, interval, revocation_log_request, r);
        certauthz_reason_e got;

        got = certauthz_revlist_check(list, id->cert, now,
                                      sc->stale_deny == 1);
        certauthz_revlist_release(list);
        if (got > reason) {
            reason = got;
        }
        stamp += gen;
    }
    apr_thread_mutex_lock(id->rev_lock);
    id->rev_sc = sc;
    id->rev_sec = sec;
    id->rev_stamp = stamp;
    id->rev_reason = reason;
    apr_thread_mutex_unlock(id->rev_lock);
    return reason;
}

apr_array_header_t *certauthz_revocation_status(request_rec *r)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(r->server);
    int n = sc->sources ? sc->sources->nelts : 0, i;
    apr_array_header_t *out = apr_array_make(r->pool, n ? n : 1,
                                             sizeof(certauthz_revinfo_t));
    apr_time_t now = apr_time_now();

    for (i = 0; i < n; i++) {
        certauthz_revinfo_t *info = apr_array_push(out);

        certauthz_revsrc_info(APR_ARRAY_IDX(sc->sources, i,
                                            certauthz_revsrc_t *),
                              r->pool, now, info);
    }
    return out;
}

void certauthz_register_revocation_hooks(void)
{
    ap_hook_check_config(revocation_check_config, NULL, NULL, APR_HOOK_MIDDLE);
}
