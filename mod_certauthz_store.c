/*
 * mod_certauthz: the revocation store (INTERFACE §9): revocations written
 * once (`certauthz revoke --store`) to a store every server of a fleet
 * reads, through httpd's own socache providers (mod_socache_redis,
 * mod_socache_memcache), keys as src/storekey.h defines them.
 *
 * The parent creates the provider's instance when the directive is read
 * and initializes it in post_config, as mod_ssl does for SSLSessionCache,
 * and never uses it: the connections are each process's own.  Children
 * look a certificate up at request time (its serial under its issuer, its
 * fingerprint, then the marker that tells "not there" from "no answer") and
 * keep the verdict CertAuthzStoreCacheSeconds (src/storecache.h).  The
 * loader (mod_certauthz_loader.c) keeps the marker there and watches the
 * store from a thread of its own: it logs each outage and each recovery
 * once for the whole server, and publishes the state in the sealed table,
 * where children look before asking a store that does not answer.
 */
#include "mod_certauthz.h"

#include "ap_provider.h"
#include "ap_socache.h"
#include "http_core.h"
#include "util_mutex.h"

#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_thread_proc.h"

#include "src/storecache.h"
#include "src/storekey.h"

#define STORE_DEFAULT_CACHE_SECONDS 1
/* Verdicts a process keeps: more devices than that are looked up again
 * more often, nothing else. */
#define STORE_CACHE_ENTRIES 4096
/* The loader's heartbeat: once a second; a store that takes longer than
 * HUNG to answer it is down (its clients may wait much longer). */
#define BEAT_EVERY apr_time_from_sec(1)
#define HUNG apr_time_from_sec(2)
/* The marker lives long: any server's loader writes it again. */
#define MARKER_LIFE apr_time_from_sec(30 * 86400)
#define MARKER_VALUE "certauthz: revocations are kept here"

struct certauthz_store {
    const char *spec;               /* PROVIDER:ARGS as written */
    const char *where;              /* the directive, for messages */
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *inst;
    int index;                      /* in the table; -1 before post_config */
    /* The store of an earlier directive naming the same PROVIDER:ARGS,
     * whose instance, verdicts and heartbeat this one uses. */
    struct certauthz_store *same;
    certauthz_storecache_t *cache;  /* this process's verdicts */
    int serialize;                  /* a provider that needs store_mutex */
    /* The loader's view (mod_certauthz_loader.c's process only). */
    certauthz_storeslot_view_t health;
    apr_time_t beat_started;        /* 0: no heartbeat under way */
};

/* The generation's stores (certauthz_store_t *), in table order, and the
 * table the loader publishes their state in. */
static apr_array_header_t *stores;
static const certauthz_shm_t *store_table;
static server_rec *store_server;
/* The loader process: what its heartbeat thread shares with the loop, and
 * the server the thread hands the provider: the main server at level
 * emerg, so that a store that is down is not an error line of the
 * provider's every second (set_health says it once). */
static apr_thread_mutex_t *health_lock;
static server_rec quiet_server;
/* Providers flagged AP_SOCACHE_FLAG_NOTMPSAFE (shmcb, dbm) are used by one
 * thread of one process at a time, as mod_ssl uses its session cache:
 * created in post_config when such a store is configured, NULL
 * otherwise. */
static apr_global_mutex_t *store_mutex;
#define STORE_MUTEX_TYPE "certauthz-store"

static apr_status_t provider_retrieve(const certauthz_store_t *st,
                                      server_rec *s, const unsigned char *id,
                                      unsigned int len, unsigned char *value,
                                      unsigned int *vlen, apr_pool_t *p)
{
    apr_status_t rv;

    if (st->serialize && apr_global_mutex_lock(store_mutex) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    rv = st->provider->retrieve(st->inst, s, id, len, value, vlen, p);
    if (st->serialize) {
        apr_global_mutex_unlock(store_mutex);
    }
    return rv;
}

/* ------------------------------------------------------------------ */
/* Directives                                                          */

const char *certauthz_set_store(cmd_parms *cmd, void *dc, const char *arg)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(cmd->server);
    certauthz_store_t *st = apr_pcalloc(cmd->pool, sizeof(*st));
    const char *sep = strchr(arg, ':');
    const char *name = sep ? apr_pstrmemdup(cmd->temp_pool, arg,
                                            (apr_size_t)(sep - arg))
                           : arg;
    const char *err;

    (void)dc;
    st->spec = apr_pstrdup(cmd->pool, arg);
    st->where = apr_psprintf(cmd->pool, "%s on line %d of %s",
                             cmd->cmd->name, cmd->directive->line_num,
                             cmd->directive->filename);
    st->index = -1;
    st->provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                      AP_SOCACHE_PROVIDER_VERSION);
    if (st->provider == NULL) {
        return apr_psprintf(cmd->pool, "%s %s: no socache provider '%s' "
                            "(load mod_socache_%s before this line)",
                            cmd->cmd->name, arg, name, name);
    }
    /* shmcb and dbm live inside one httpd and need a lock of ours. */
    st->serialize = (st->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) != 0;
    /* mod_socache_redis and _memcache spread keys over several servers
     * by hash, while certauthz revoke --store writes every key to one:
     * a revocation would be looked for where it is not, and found
     * missing. */
    if (sep != NULL && strchr(sep + 1, ',') != NULL) {
        return apr_psprintf(cmd->pool, "%s %s: name one server (replicas "
                            "behind one address, see the fleet section of "
                            "the documentation): keys spread over several "
                            "servers would be looked for where certauthz "
                            "revoke --store did not write them",
                            cmd->cmd->name, arg);
    }
    err = st->provider->create(&st->inst, sep ? sep + 1 : "",
                               cmd->temp_pool, cmd->pool);
    if (err != NULL) {
        return apr_psprintf(cmd->pool, "%s %s: %s", cmd->cmd->name, arg,
                            err);
    }
    sc->store = st;
    return NULL;
}

const char *certauthz_set_store_cache(cmd_parms *cmd, void *dc,
                                      const char *arg)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(cmd->server);
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    (void)dc;
    if (*arg == '\0' || *end != '\0' || v < 0 || v > 3600) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of seconds "
                            "from 0 to 3600", cmd->cmd->name, arg);
    }
    sc->store_cache_seconds = (int)v;
    return NULL;
}

const char *certauthz_set_store_unavailable(cmd_parms *cmd, void *dc,
                                            const char *arg)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(cmd->server);

    (void)dc;
    if (strcasecmp(arg, "deny") == 0) {
        sc->store_deny = 1;
    }
    else if (strcasecmp(arg, "allow") == 0) {
        sc->store_deny = 0;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither deny nor allow",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Start-up                                                            */

static apr_status_t store_destroy(void *data)
{
    certauthz_store_t *st = data;

    st->provider->destroy(st->inst, store_server);
    return APR_SUCCESS;
}

/* Runs before the revocation sources' post_config, which sizes the table
 * by certauthz_store_count and forks the loader. */
static int store_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *main_s)
{
    struct ap_socache_hints hints;
    apr_hash_t *seen = apr_hash_make(ptemp);
    server_rec *s;

    (void)plog;
    stores = apr_array_make(pconf, 2, sizeof(certauthz_store_t *));
    store_table = NULL;
    store_mutex = NULL;     /* gone with the previous pconf */
    store_server = main_s;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    memset(&hints, 0, sizeof(hints));
    hints.avg_id_len = 1 + 32 + 16;
    hints.avg_obj_size = 40;
    hints.expiry_interval = apr_time_from_sec(60);
    for (s = main_s; s != NULL; s = s->next) {
        certauthz_store_t *st = certauthz_srv_conf(s)->store, *first;
        apr_status_t rv;

        if (st == NULL || st->index >= 0) {
            continue;
        }
        first = apr_hash_get(seen, st->spec, APR_HASH_KEY_STRING);
        if (first != NULL) {
            st->same = first;
            st->index = first->index;
            continue;
        }
        apr_hash_set(seen, st->spec, APR_HASH_KEY_STRING, st);
        rv = st->provider->init(st->inst, CERTAUTHZ_STORE_NAMESPACE, &hints,
                                s, pconf);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, rv, s,
                         CERTAUTHZ_LOGNO(0130) "CertAuthzRevocationStore "
                         "%s (%s): the socache provider cannot be set up",
                         st->spec, st->where);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        apr_pool_cleanup_register(pconf, st, store_destroy,
                                  apr_pool_cleanup_null);
        if (st->serialize && store_mutex == NULL) {
            rv = ap_global_mutex_create(&store_mutex, NULL, STORE_MUTEX_TYPE,
                                        NULL, main_s, pconf, 0);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, rv, s,
                             CERTAUTHZ_LOGNO(0135) "CertAuthzRevocationStore "
                             "%s (%s): cannot create its lock", st->spec,
                             st->where);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
        st->index = stores->nelts;
        memset(&st->health, 0, sizeof(st->health));
        st->beat_started = 0;
        APR_ARRAY_PUSH(stores, certauthz_store_t *) = st;
    }
    return OK;
}

int certauthz_store_count(void)
{
    return stores != NULL ? stores->nelts : 0;
}

void certauthz_store_attach(const certauthz_shm_t *table)
{
    store_table = table;
}

static void store_child_init(apr_pool_t *pchild, server_rec *s)
{
    int i;

    if (store_mutex != NULL) {
        apr_status_t rv = apr_global_mutex_child_init(
            &store_mutex, apr_global_mutex_lockfile(store_mutex), pchild);

        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, CERTAUTHZ_LOGNO(0136)
                         "cannot attach the lock of CertAuthzRevocationStore "
                         "in this process; its lookups fail");
            store_mutex = NULL;
        }
    }
    for (i = 0; stores != NULL && i < stores->nelts; i++) {
        APR_ARRAY_IDX(stores, i, certauthz_store_t *)->cache =
            certauthz_storecache_create(pchild, STORE_CACHE_ENTRIES);
    }
}

/* ------------------------------------------------------------------ */
/* Lookups (children)                                                  */

/* Whether the loader found st down. */
static int loader_says_down(const certauthz_store_t *st)
{
    return store_table != NULL
           && certauthz_storeslot_down(&certauthz_table_stores_ro(
                  certauthz_shm_ro(store_table))[st->index]);
}

/* APR_SUCCESS when id is there, APR_NOTFOUND when not, else an error. */
static apr_status_t retrieve(request_rec *r, const certauthz_store_t *st,
                             const unsigned char *id, apr_size_t len,
                             apr_pool_t *p)
{
    unsigned char value[1024];
    unsigned int vlen = sizeof(value);
    apr_status_t rv;

    if (st->serialize && store_mutex == NULL) {
        return APR_EGENERAL;
    }
    rv = provider_retrieve(st, r->server, id, (unsigned int)len, value, &vlen,
                           p);

    /* A value too long for the buffer is still an entry: present. */
    return rv == APR_ENOMEM ? APR_SUCCESS : rv;
}

static certauthz_store_verdict_e lookup(request_rec *r,
                                        const certauthz_store_t *st,
                                        const certauthz_cert_t *cert)
{
    unsigned char id[CERTAUTHZ_STORE_ID_MAX];
    certauthz_store_verdict_e v = CERTAUTHZ_STORE_UNAVAILABLE;
    apr_status_t rv = APR_NOTFOUND;
    apr_size_t len;
    apr_pool_t *p;

    if (loader_says_down(st)) {
        return CERTAUTHZ_STORE_UNAVAILABLE;
    }
    apr_pool_create(&p, r->pool);
    /* The marker before the keys as well as after: APR's clients answer
     * "not found" without asking a server they hold for dead, and the
     * marker read that brings it back to life must not vouch for misses
     * that were never asked. */
    rv = retrieve(r, st, certauthz_store_marker_id,
                  certauthz_store_marker_len, p);
    if (rv == APR_SUCCESS) {
        rv = APR_NOTFOUND;
        len = certauthz_store_id_serial(cert->issuer_key, cert->serial,
                                        cert->serial_len, id);
        if (len > 0) {
            rv = retrieve(r, st, id, len, p);
        }
        if (rv == APR_NOTFOUND) {
            len = certauthz_store_id_fingerprint(cert->sha256, id);
            rv = retrieve(r, st, id, len, p);
        }
        if (rv == APR_SUCCESS) {
            v = CERTAUTHZ_STORE_REVOKED;
        }
        else if (rv == APR_NOTFOUND) {
            /* ...and after: a miss counts when the marker is still
             * there. */
            rv = retrieve(r, st, certauthz_store_marker_id,
                          certauthz_store_marker_len, p);
            if (rv == APR_SUCCESS) {
                v = CERTAUTHZ_STORE_NOT_REVOKED;
            }
        }
    }
    if (v == CERTAUTHZ_STORE_UNAVAILABLE) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r, CERTAUTHZ_LOGNO(0131)
                      "CertAuthzRevocationStore %s: no answer for serial "
                      "%s%s", st->spec, cert->serial_hex,
                      rv == APR_NOTFOUND ? " (the marker key is missing, or "
                                           "the provider holds the store "
                                           "for dead)"
                                         : "");
    }
    apr_pool_destroy(p);
    return v;
}

certauthz_reason_e certauthz_store_reason(request_rec *r,
                                          const certauthz_cert_t *cert,
                                          apr_time_t now, apr_time_t *until)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(r->server);
    certauthz_store_t *st = sc->store && sc->store->same ? sc->store->same
                                                         : sc->store;
    certauthz_counters_t *c = certauthz_counters();
    int secs = sc->store_cache_seconds != CERTAUTHZ_UNSET
                   ? sc->store_cache_seconds
                   : STORE_DEFAULT_CACHE_SECONDS;
    int v = 0;

    if (st == NULL || st->index < 0) {
        return CERTAUTHZ_REASON_OK;
    }
    if (secs > 0 && st->cache != NULL) {
        v = certauthz_storecache_get(st->cache, cert->sha256, now,
                                     apr_time_from_sec(secs), until);
    }
    if (v == 0) {
        v = lookup(r, st, cert);
        *until = now + (v == CERTAUTHZ_STORE_UNAVAILABLE && secs > 1
                            ? apr_time_from_sec(1)
                            : apr_time_from_sec(secs));
        if (secs > 0 && st->cache != NULL) {
            certauthz_storecache_put(st->cache, cert->sha256, v, now);
        }
        certauthz_count(&c->store_lookups);
        if (v == CERTAUTHZ_STORE_UNAVAILABLE) {
            certauthz_count(&c->store_errors);
        }
    }
    if (v == CERTAUTHZ_STORE_REVOKED) {
        return CERTAUTHZ_REASON_REVOKED;
    }
    if (v == CERTAUTHZ_STORE_UNAVAILABLE && sc->store_deny != 0) {
        return CERTAUTHZ_REASON_STORE_UNAVAILABLE;
    }
    return CERTAUTHZ_REASON_OK;
}

/* ------------------------------------------------------------------ */
/* The loader's heartbeat                                              */

/* Publish st's state after a heartbeat (err NULL: it answered), logging
 * each change once.  Called with health_lock held. */
static void set_health(certauthz_store_t *st, const char *err, apr_time_t now)
{
    certauthz_storeslot_view_t *h = &st->health;
    char when[APR_RFC822_DATE_LEN];

    if (err == NULL) {
        h->checked = now;
        if (h->down) {
            apr_rfc822_date(when, h->since);
            h->down = 0;
            h->since = now;
            h->last_error[0] = '\0';
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, store_server,
                         CERTAUTHZ_LOGNO(0132) "CertAuthzRevocationStore "
                         "%s: answers again (down since %s)", st->spec,
                         when);
        }
    }
    else {
        apr_cpystrn(h->last_error, err, sizeof(h->last_error));
        if (!h->down) {
            h->down = 1;
            h->since = now;
            h->outages++;
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, store_server,
                         CERTAUTHZ_LOGNO(0133) "CertAuthzRevocationStore "
                         "%s does not answer: %s; until it does, virtual "
                         "hosts with CertAuthzStoreUnavailable deny refuse "
                         "every certificate (reason store-unavailable) and "
                         "those with allow rely on their other revocation "
                         "sources", st->spec, err);
        }
    }
    if (store_table != NULL) {
        certauthz_storeslot_publish(
            &certauthz_table_stores(
                certauthz_shm_rw((certauthz_shm_t *)store_table))[st->index],
            h);
    }
}

/* One heartbeat: the marker read, and written when missing.  NULL, or
 * why the store does not answer. */
static const char *beat(certauthz_store_t *st, apr_pool_t *p, apr_time_t now)
{
    unsigned char value[256];
    unsigned int vlen = sizeof(value);
    apr_status_t rv;
    char buf[120];

    if (st->serialize && store_mutex == NULL) {
        return "its lock cannot be used in the loader";
    }
    rv = provider_retrieve(st, &quiet_server, certauthz_store_marker_id,
                           (unsigned int)certauthz_store_marker_len, value,
                           &vlen, p);
    if (rv == APR_SUCCESS || rv == APR_ENOMEM) {
        return NULL;
    }
    if (rv != APR_NOTFOUND) {
        return apr_pstrdup(p, apr_strerror(rv, buf, sizeof(buf)));
    }
    /* Missing (a store that lost its data, or a new one), or held for
     * dead by the client: write it. */
    if (st->serialize && apr_global_mutex_lock(store_mutex) != APR_SUCCESS) {
        return "its lock cannot be taken";
    }
    rv = st->provider->store(st->inst, &quiet_server,
                             certauthz_store_marker_id,
                             (unsigned int)certauthz_store_marker_len,
                             now + MARKER_LIFE,
                             (unsigned char *)MARKER_VALUE,
                             sizeof(MARKER_VALUE) - 1, p);
    if (st->serialize) {
        apr_global_mutex_unlock(store_mutex);
    }
    if (rv == APR_SUCCESS) {
        return NULL;
    }
    if (rv == APR_NOTFOUND) {
        return "no answer (the provider holds the store for dead)";
    }
    return apr_psprintf(p, "the marker key %s is missing and cannot be "
                        "written (%s)",
                        certauthz_store_key(p, certauthz_store_marker_id,
                                            certauthz_store_marker_len),
                        apr_strerror(rv, buf, sizeof(buf)));
}

static void *APR_THREAD_FUNC heartbeat(apr_thread_t *t, void *data)
{
    apr_pool_t *p;

    (void)data;
    apr_pool_create(&p, apr_thread_pool_get(t));
    for (;;) {
        apr_time_t round = apr_time_now(), next;
        int i;

        for (i = 0; i < stores->nelts; i++) {
            certauthz_store_t *st = APR_ARRAY_IDX(stores, i,
                                                  certauthz_store_t *);
            apr_time_t now = apr_time_now();
            const char *err;

            apr_thread_mutex_lock(health_lock);
            st->beat_started = now;
            apr_thread_mutex_unlock(health_lock);
            err = beat(st, p, now);
            apr_thread_mutex_lock(health_lock);
            st->beat_started = 0;
            set_health(st, err, apr_time_now());
            apr_thread_mutex_unlock(health_lock);
            apr_pool_clear(p);
        }
        next = round + BEAT_EVERY - apr_time_now();
        if (next > 0) {
            apr_sleep(next);
        }
    }
    return NULL;
}

int certauthz_store_heartbeat_start(apr_pool_t *p)
{
    apr_threadattr_t *attr;
    apr_thread_t *t;
    apr_status_t rv;

    if (stores == NULL || stores->nelts == 0) {
        return 0;
    }
    if (store_mutex != NULL) {
        /* The loader is forked from the parent, not a child: attach the
         * lock as a child does. */
        store_child_init(p, store_server);
    }
    quiet_server = *store_server;
    quiet_server.log.level = APLOG_EMERG;
    quiet_server.log.module_levels = NULL;
    apr_thread_mutex_create(&health_lock, APR_THREAD_MUTEX_DEFAULT, p);
    apr_threadattr_create(&attr, p);
    apr_threadattr_detach_set(attr, 1);
    rv = apr_thread_create(&t, attr, heartbeat, NULL, p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, store_server,
                     CERTAUTHZ_LOGNO(0134) "the revocation loader cannot "
                     "start the thread that watches CertAuthzRevocationStore");
        return -1;
    }
    return 0;
}

void certauthz_store_watch(void)
{
    apr_time_t now = apr_time_now();
    int i;

    if (health_lock == NULL) {
        return;
    }
    apr_thread_mutex_lock(health_lock);
    for (i = 0; i < stores->nelts; i++) {
        certauthz_store_t *st = APR_ARRAY_IDX(stores, i, certauthz_store_t *);

        /* A heartbeat the store has held for too long: down now, even if
         * the client waits on. */
        if (st->beat_started != 0 && now - st->beat_started > HUNG
            && !st->health.down) {
            char err[64];

            apr_snprintf(err, sizeof(err), "no answer within %d s",
                         (int)apr_time_sec(HUNG));
            set_health(st, err, now);
        }
    }
    apr_thread_mutex_unlock(health_lock);
}

/* ------------------------------------------------------------------ */
/* Status                                                              */

apr_array_header_t *certauthz_store_status(request_rec *r)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(r->server);
    apr_array_header_t *out = apr_array_make(r->pool, 1,
                                             sizeof(certauthz_storeinfo_t));
    certauthz_storeinfo_t *info;
    certauthz_storeslot_view_t h;

    if (sc->store == NULL || sc->store->index < 0) {
        return out;
    }
    info = apr_array_push(out);
    memset(info, 0, sizeof(*info));
    info->store = sc->store->spec;
    /* Its state is the one of the store of that name. */
    info->deny = sc->store_deny != 0;
    info->cache_seconds = sc->store_cache_seconds != CERTAUTHZ_UNSET
                              ? sc->store_cache_seconds
                              : STORE_DEFAULT_CACHE_SECONDS;
    info->state = "unknown";
    if (store_table != NULL) {
        certauthz_storeslot_read(&certauthz_table_stores_ro(certauthz_shm_ro(
                                     store_table))[sc->store->index],
                                 &h);
        if (h.checked != 0 || h.down) {
            info->state = h.down ? "down" : "up";
        }
        info->since = h.since;
        info->checked = h.checked;
        info->outages = h.outages;
        info->last_error = h.last_error[0]
                               ? apr_pstrdup(r->pool, h.last_error)
                               : NULL;
    }
    return out;
}

static int store_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    return ap_mutex_register(pconf, STORE_MUTEX_TYPE, NULL, APR_LOCK_DEFAULT,
                             0) == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

void certauthz_register_store_hooks(void)
{
    ap_hook_pre_config(store_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(store_post_config, NULL, NULL, APR_HOOK_MIDDLE - 1);
    ap_hook_child_init(store_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
