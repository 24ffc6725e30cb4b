/*
 * mod_certauthz: the revocation sources (INTERFACE §3, and the
 * distribution points of §9) in the server.
 *
 * check_config (which `httpd -t` runs too) loads every file, and every
 * CertAuthzCRLVerifyCA, so a bad file fails a configtest exactly as it
 * fails a start; it writes nothing.  A CertAuthzRevocationURL is only
 * checked for its syntax there: a configtest needs no network.
 * post_config (a real start or restart) publishes the files' lists as
 * version 1 in the index directory, fetches every URL (a URL that gives
 * no list, with no copy of an earlier fetch to fall back on, stops the
 * start as a missing file does: a server never starts without a list for
 * a source), creates the sealed table and starts the loader
 * (mod_certauthz_loader.c), the one process that checks the files and
 * fetches the URLs from then on.  Children only read: child_init maps the
 * version in force, and a request that finds a newer one published maps
 * it.
 *
 * State per configuration generation, in statics: the parent sets it up
 * before any child or the loader exists, and nothing changes it while they
 * run (a graceful restart builds the next generation in the parent; the
 * children of the old one keep what they inherited).
 */
#include "mod_certauthz.h"

#include "http_core.h"
#include "http_main.h"
#include "unixd.h"

#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_uri.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/crl_verify.h"
#include "src/loader.h"
#include "src/revview.h"

#define REVOCATION_DEFAULT_INTERVAL 5

/* Where the loader publishes, relative to DefaultRuntimeDir. */
#define INDEX_DIR "certauthz-index"

/* One source: a file or a URL, and the CA its CRLs must verify against,
 * shared by the virtual hosts that name it. */
typedef struct {
    unsigned slot;
    const char *path;               /* the file, or the URL */
    const certauthz_url_opts_t *url;    /* NULL for a file */
    const char *verify_ca;
    int interval;                   /* the shortest of its servers' */
    int shared_by;                  /* how many servers use it */
    const char *where;              /* the first directive naming it */
    certauthz_revlist_t *initial;   /* loaded by check_config */
    certauthz_revview_t *view;      /* this process's (child_init) */
} source_t;

/* The generation's sources (source_t *), in slot order. */
static apr_array_header_t *sources;
/* The table, the index directory and its owner (the loader's user). */
static certauthz_shm_t *table;
static int index_fd = -1;
static const char *index_dir;
static uid_t index_owner;
/* The loader's HTTP client (libcurl), when a source is a URL. */
static certauthz_fetch_ops_t *fetch_ops;

static apr_status_t release_initial(void *data)
{
    source_t *src = data;

    if (src->initial != NULL) {
        certauthz_revlist_release(src->initial);
        src->initial = NULL;
    }
    return APR_SUCCESS;
}

static apr_status_t close_index_dir(void *data)
{
    (void)data;
    if (index_fd >= 0) {
        close(index_fd);
        index_fd = -1;
    }
    return APR_SUCCESS;
}

static int fatal(server_rec *s, const char *err, const char *where)
{
    /* Loading runs after the configuration is read: say which directive
     * named the file. */
    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
                 CERTAUTHZ_LOGNO(0104) "%s%s%s%s%s",
                 strncmp(err, "CertAuthz", 9) == 0 || where == NULL
                     ? "" : "CertAuthzRevocationFile ",
                 err, where ? " (" : "", where ? where : "",
                 where ? ")" : "");
    return HTTP_INTERNAL_SERVER_ERROR;
}

/* "maxsize=" value: bytes, or with a K, M or G suffix. */
static int parse_size(const char *v, apr_size_t *out)
{
    char *end;
    apr_int64_t n = apr_strtoi64(v, &end, 10);
    int shift = 0;

    if (*end == 'K' || *end == 'k') {
        shift = 10;
    }
    else if (*end == 'M' || *end == 'm') {
        shift = 20;
    }
    else if (*end == 'G' || *end == 'g') {
        shift = 30;
    }
    if (shift != 0) {
        end++;
    }
    if (end == v || *end != '\0' || n < 1 || n > (apr_int64_t)1 << 30
        || (n << shift) > (apr_int64_t)1 << 30) {
        return -1;
    }
    *out = (apr_size_t)(n << shift);
    return 0;
}

const char *certauthz_set_revocation_url(cmd_parms *cmd, void *dc, int argc,
                                         char *const argv[])
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(cmd->server);
    certauthz_url_opts_t *o = apr_pcalloc(cmd->pool, sizeof(*o));
    const char *name = cmd->cmd->name;
    apr_finfo_t fi;
    apr_uri_t uri;
    int i;

    (void)dc;
    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s takes a URL", name);
    }
    if (apr_uri_parse(cmd->pool, argv[0], &uri) != APR_SUCCESS
        || uri.scheme == NULL
        || (strcasecmp(uri.scheme, "http") != 0
            && strcasecmp(uri.scheme, "https") != 0)
        || uri.hostname == NULL || *uri.hostname == '\0') {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an http: or https: "
                            "URL with a host", name, argv[0]);
    }
    o->url = argv[0];
    o->timeout = CERTAUTHZ_FETCH_DEFAULT_TIMEOUT;
    o->max_size = CERTAUTHZ_FETCH_DEFAULT_MAX_SIZE;
    for (i = 1; i < argc; i++) {
        const char *v = strchr(argv[i], '=');
        char *end;

        v = v ? v + 1 : "";
        if (strncasecmp(argv[i], "timeout=", 8) == 0) {
            apr_int64_t t = apr_strtoi64(v, &end, 10);

            if (*v == '\0' || *end != '\0' || t < 1 || t > 300) {
                return apr_psprintf(cmd->pool, "%s %s: '%s' is not a number "
                                    "of seconds from 1 to 300", name,
                                    argv[0], argv[i]);
            }
            o->timeout = apr_time_from_sec(t);
        }
        else if (strncasecmp(argv[i], "maxsize=", 8) == 0) {
            if (parse_size(v, &o->max_size) != 0) {
                return apr_psprintf(cmd->pool, "%s %s: '%s' is not a size "
                                    "from 1 to 1G (bytes, or with K, M or "
                                    "G)", name, argv[0], argv[i]);
            }
        }
        else if (strncasecmp(argv[i], "ca=", 3) == 0) {
            o->ca_file = ap_server_root_relative(cmd->pool, v);
            if (o->ca_file == NULL || *v == '\0'
                || apr_stat(&fi, o->ca_file, APR_FINFO_TYPE, cmd->temp_pool)
                       != APR_SUCCESS
                || fi.filetype != APR_REG) {
                return apr_psprintf(cmd->pool, "%s %s: '%s' names no "
                                    "readable file of CA certificates",
                                    name, argv[0], argv[i]);
            }
        }
        else {
            return apr_psprintf(cmd->pool, "%s %s: unknown option '%s' "
                                "(timeout=, maxsize= or ca=)", name, argv[0],
                                argv[i]);
        }
    }
    APR_ARRAY_PUSH(sc->revocation_urls, certauthz_url_opts_t *) = o;
    APR_ARRAY_PUSH(sc->revocation_urls_where, const char *) =
        apr_psprintf(cmd->pool, "%s on line %d of %s", name,
                     cmd->directive->line_num, cmd->directive->filename);
    return NULL;
}

/* The source of path (a file, or url when not NULL) for servers whose
 * CRLs verify against verify_ca, made on first sight.  NULL, or the
 * error of loading the file. */
static const char *add_source(apr_pool_t *pconf, apr_hash_t *seen,
                              certauthz_srv_conf_t *sc, const char *path,
                              const certauthz_url_opts_t *url,
                              const char *where, int interval,
                              apr_pool_t *ptemp)
{
    /* A CRL checked against one CA file is not a CRL checked against
     * another: the verify CA is part of the identity. */
    const char *key = apr_pstrcat(ptemp, url ? "url\n" : "file\n", path,
                                  "\n", sc->crl_verify_ca, NULL);
    source_t *src = apr_hash_get(seen, key, APR_HASH_KEY_STRING);

    if (src == NULL) {
        src = apr_pcalloc(pconf, sizeof(*src));
        src->slot = (unsigned)sources->nelts;
        src->path = path;
        src->url = url;
        src->verify_ca = sc->crl_verify_ca;
        src->interval = interval;
        src->where = where;
        if (url == NULL) {
            certauthz_revopts_t opts;
            const char *err;

            memset(&opts, 0, sizeof(opts));
            opts.verify_ca = sc->crl_verify_ca;
            err = certauthz_revlist_load(pconf, path, &opts, &src->initial);
            if (err != NULL) {
                return err;
            }
            apr_pool_cleanup_register(pconf, src, release_initial,
                                      apr_pool_cleanup_null);
        }
        apr_hash_set(seen, key, APR_HASH_KEY_STRING, src);
        APR_ARRAY_PUSH(sources, source_t *) = src;
    }
    else if (interval < src->interval) {
        /* Checked at the shortest interval of those using it. */
        src->interval = interval;
    }
    src->shared_by++;
    APR_ARRAY_PUSH(sc->sources, source_t *) = src;
    return NULL;
}

static int revocation_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                   apr_pool_t *ptemp, server_rec *main_s)
{
    apr_hash_t *seen = apr_hash_make(ptemp);
    apr_hash_t *cas = apr_hash_make(ptemp);
    server_rec *s;

    (void)plog;
    sources = apr_array_make(pconf, 4, sizeof(source_t *));
    table = NULL;
    for (s = main_s; s != NULL; s = s->next) {
        certauthz_srv_conf_t *sc = certauthz_srv_conf(s);
        int interval = sc->check_interval != CERTAUTHZ_UNSET
                           ? sc->check_interval
                           : REVOCATION_DEFAULT_INTERVAL;
        int i;

        /* A verify CA is checked even where no CRL needs it yet: the
         * first CRL that does must not be the one to find it missing. */
        if (sc->crl_verify_ca != NULL
            && apr_hash_get(cas, sc->crl_verify_ca, APR_HASH_KEY_STRING)
                   == NULL) {
            certauthz_crl_verifier_t *v = NULL;
            const char *err = certauthz_crl_verifier_open(
                ptemp, sc->crl_verify_ca, &v);

            if (err != NULL) {
                return fatal(s, apr_pstrcat(ptemp, "CertAuthzCRLVerifyCA ",
                                            err, NULL),
                             sc->crl_verify_ca_where);
            }
            certauthz_crl_verifier_close(v);
            apr_hash_set(cas, sc->crl_verify_ca, APR_HASH_KEY_STRING, "");
        }
        sc->sources = apr_array_make(pconf,
                                     sc->revocation_files->nelts
                                         + sc->revocation_urls->nelts,
                                     sizeof(source_t *));
        for (i = 0; i < sc->revocation_files->nelts; i++) {
            const char *where = APR_ARRAY_IDX(sc->revocation_where, i,
                                              const char *);
            const char *err = add_source(
                pconf, seen, sc,
                APR_ARRAY_IDX(sc->revocation_files, i, const char *), NULL,
                where, interval, ptemp);

            if (err != NULL) {
                return fatal(s, err, where);
            }
        }
        for (i = 0; i < sc->revocation_urls->nelts; i++) {
            const certauthz_url_opts_t *o = APR_ARRAY_IDX(
                sc->revocation_urls, i, const certauthz_url_opts_t *);

            add_source(pconf, seen, sc, o->url, o, APR_ARRAY_IDX(
                           sc->revocation_urls_where, i, const char *),
                       interval, ptemp);
        }
    }
    return OK;
}

/*
 * The index directory: made if missing, and in any case owned by us (root,
 * or the user httpd runs as when not started as root), not a symbolic
 * link, writable by its owner alone.  Anything else could let the
 * server's User plant or replace an index: refuse to start.  Files of
 * other generations are removed (they sit in RAM on a tmpfs).
 */
static const char *open_index_dir(apr_pool_t *p, apr_uint64_t generation)
{
    const char *dir = ap_runtime_dir_relative(p, INDEX_DIR);
    char prefix[32];
    struct stat st;
    struct dirent *e;
    DIR *dh;
    int fd;

    if (dir == NULL) {
        return "cannot name the index directory under DefaultRuntimeDir";
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        return apr_psprintf(p, "cannot create %s: %s", dir, strerror(errno));
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return apr_psprintf(p, "cannot open %s: %s%s", dir, strerror(errno),
                            errno == ELOOP ? " (a symbolic link is refused)"
                                           : "");
    }
    if (fstat(fd, &st) != 0 || st.st_uid != geteuid()
        || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        close(fd);
        return apr_psprintf(p, "%s must be a directory owned by uid %ld and "
                            "writable by it alone (it is uid %ld, mode "
                            "%04o): remove it, and httpd makes it again",
                            dir, (long)geteuid(), (long)st.st_uid,
                            (unsigned)(st.st_mode & 07777));
    }
    apr_snprintf(prefix, sizeof(prefix), "%016" APR_UINT64_T_HEX_FMT "-",
                 generation);
    dh = fdopendir(dup(fd));
    while (dh != NULL && (e = readdir(dh)) != NULL) {
        /* The copies of distribution points' last bodies stay: a start
         * falls back on them (src/loader.h). */
        if (e->d_name[0] != '.' && strncmp(e->d_name, prefix, 17) != 0
            && strncmp(e->d_name, "url-", 4) != 0) {
            unlinkat(fd, e->d_name, 0);
        }
    }
    if (dh != NULL) {
        closedir(dh);
    }
    index_fd = fd;
    index_dir = dir;
    index_owner = geteuid();
    return NULL;
}

/* Reports of the start-up fetches (the loader logs its own later). */
static void startup_log(void *baton, certauthz_revlog_e level,
                        const char *msg)
{
    ap_log_error(APLOG_MARK,
                 APLOG_STARTUP | (level == CERTAUTHZ_REVLOG_ERROR  ? APLOG_ERR
                                  : level == CERTAUTHZ_REVLOG_WARN ? APLOG_WARNING
                                                                   : APLOG_NOTICE),
                 0, baton, CERTAUTHZ_LOGNO(0106) "%s", msg);
}

/* The HTTP client of this generation's loader: one for the start-up
 * fetches, dropped with the connections it made (the loader must not
 * share them), then the loader's own.  NULL, or a message. */
static const char *fetch_client(apr_pool_t *pconf, apr_pool_t **startup)
{
    fetch_ops = apr_pcalloc(pconf, sizeof(*fetch_ops));
    apr_pool_create(startup, pconf);
    return certauthz_fetch_curl(*startup, fetch_ops);
}

static int revocation_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                  apr_pool_t *ptemp, server_rec *main_s)
{
    certauthz_loader_src_t *cfg;
    certauthz_revlist_t **initial;
    certauthz_loader_t *loader;
    apr_pool_t *startup = NULL;
    apr_uint64_t generation;
    const char *err;
    int i, urls = 0, n = sources != NULL ? sources->nelts : 0;
    int nstores = certauthz_store_count();

    (void)plog;
    fetch_ops = NULL;
    if ((n == 0 && nstores == 0)
        || ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    /* Unique per start and restart: names this generation's files. */
    generation = ((apr_uint64_t)apr_time_now() << 16) ^ (apr_uint64_t)getpid();
    if ((err = open_index_dir(pconf, generation)) != NULL
        || (err = certauthz_shm_create(pconf, (apr_uint32_t)n,
                                       (apr_uint32_t)nstores, generation,
                                       &table))
               != NULL) {
        return fatal(main_s, apr_pstrcat(ptemp, "revocation: ", err, NULL),
                     NULL);
    }
    apr_pool_cleanup_register(pconf, NULL, close_index_dir,
                              apr_pool_cleanup_null);
    certauthz_store_attach(table);
    cfg = apr_pcalloc(ptemp, sizeof(*cfg) * (n ? n : 1));
    initial = apr_pcalloc(ptemp, sizeof(*initial) * (n ? n : 1));
    for (i = 0; i < n; i++) {
        source_t *src = APR_ARRAY_IDX(sources, i, source_t *);

        cfg[i].path = src->path;
        cfg[i].verify_ca = src->verify_ca;
        cfg[i].interval = src->interval;
        cfg[i].url = src->url;
        initial[i] = src->initial;
        urls += src->url != NULL;
    }
    if (urls > 0 && (err = fetch_client(pconf, &startup)) != NULL) {
        return fatal(main_s, apr_pstrcat(ptemp, "revocation: ", err, NULL),
                     NULL);
    }
    err = certauthz_loader_create(pconf, certauthz_shm_rw(table), index_fd,
                                  index_dir, n, cfg, initial, fetch_ops,
                                  startup_log, main_s, &loader);
    if (startup != NULL) {
        apr_pool_destroy(startup);
        if (err == NULL) {
            err = certauthz_fetch_curl(pconf, fetch_ops);
        }
    }
    if (err != NULL) {
        return fatal(main_s, strncmp(err, "CertAuthz", 9) == 0
                                 ? err
                                 : apr_pstrcat(ptemp, "revocation: ", err,
                                               NULL),
                     NULL);
    }
    /* Published: the children map the files, the start-up copies go. */
    for (i = 0; i < n; i++) {
        release_initial(APR_ARRAY_IDX(sources, i, source_t *));
    }
    return certauthz_loader_start(pconf, main_s, table, loader);
}

static void view_error(void *baton, const char *msg)
{
    source_t *src = baton;

    ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf,
                 CERTAUTHZ_LOGNO(0105) "%s %s: %s",
                 src->url ? "CertAuthzRevocationURL"
                          : "CertAuthzRevocationFile",
                 src->path, msg);
}

static void revocation_child_init(apr_pool_t *pchild, server_rec *s)
{
    int i;

    (void)s;
    for (i = 0; sources != NULL && i < sources->nelts; i++) {
        source_t *src = APR_ARRAY_IDX(sources, i, source_t *);

        if (table != NULL) {
            src->view = certauthz_revview_create(
                pchild, &certauthz_shm_ro(table)->slots[src->slot], index_fd,
                index_owner, certauthz_shm_ro(table)->generation, src->slot,
                view_error, src);
        }
        else if (src->initial != NULL) {
            /* No loader (a one-process debugging run that skipped
             * post_config): the start-up list, for good. */
            src->view = certauthz_revview_fixed(pchild, src->initial);
        }
    }
}

/* The sum of the versions a server's sources have published: versions
 * only grow, so the sum is unchanged exactly when each of them is. */
static apr_uint64_t published_sum(const certauthz_srv_conf_t *sc)
{
    apr_uint64_t sum = 0;
    int i;

    for (i = 0; sc->sources != NULL && i < sc->sources->nelts; i++) {
        source_t *src = APR_ARRAY_IDX(sc->sources, i, source_t *);

        sum += src->view ? certauthz_revview_published(src->view) : 0;
    }
    return sum;
}

/*
 * OK, REVOKED, STORE_UNAVAILABLE or CRL_STALE for a verified identity on
 * the request's server: a few hash probes per source, then the revocation
 * store (mod_certauthz_store.c) unless a source revokes already.  Each
 * list is referenced while it is consulted, so a swap never pulls it from
 * under the lookup.
 *
 * The verdict is kept on the identity and reused while the server is the
 * same, no source has published a newer version, the second has not
 * changed (a CRL passing its nextUpdate is seen within a second) and the
 * store's verdict holds (CertAuthzStoreCacheSeconds): the lookups' memory
 * accesses into a large index cost more than their instructions.  The
 * identity may be shared by the streams of an HTTP/2 connection, hence
 * its lock.
 */
certauthz_reason_e certauthz_revocation_reason(request_rec *r,
                                               certauthz_ident_t *id)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(r->server);
    certauthz_reason_e reason = CERTAUTHZ_REASON_OK;
    apr_uint64_t stamp = 0;
    apr_time_t now, until;
    int i, n = sc->sources != NULL ? sc->sources->nelts : 0;

    if (n == 0 && sc->store == NULL) {
        return reason;
    }
    now = apr_time_now();
    stamp = published_sum(sc);
    apr_thread_mutex_lock(id->rev_lock);
    if (id->rev_sc == (const void *)sc && now < id->rev_until
        && id->rev_stamp == stamp) {
        reason = id->rev_reason;
        apr_thread_mutex_unlock(id->rev_lock);
        return reason;
    }
    apr_thread_mutex_unlock(id->rev_lock);

    stamp = 0;
    for (i = 0; i < n; i++) {
        source_t *src = APR_ARRAY_IDX(sc->sources, i, source_t *);
        apr_uint64_t version = 0;
        certauthz_revlist_t *list = src->view != NULL
                                        ? certauthz_revview_acquire(src->view,
                                                                    &version)
                                        : NULL;
        certauthz_reason_e got;

        if (list == NULL) {
            /* No version could be mapped: fail closed. */
            reason = CERTAUTHZ_REASON_REVOKED;
            continue;
        }
        got = certauthz_revlist_check(list, id->cert, now,
                                      sc->stale_deny == 1);
        certauthz_revlist_release(list);
        if (got > reason) {
            reason = got;
        }
        stamp += version;
    }
    until = apr_time_from_sec(apr_time_sec(now) + 1);
    if (sc->store != NULL && reason != CERTAUTHZ_REASON_REVOKED) {
        apr_time_t store_until = until;
        certauthz_reason_e got = certauthz_store_reason(r, id->cert, now,
                                                        &store_until);

        if (got > reason) {
            reason = got;
        }
        if (store_until < until) {
            until = store_until;
        }
    }
    apr_thread_mutex_lock(id->rev_lock);
    id->rev_sc = sc;
    id->rev_until = until;
    id->rev_stamp = stamp;
    id->rev_reason = reason;
    apr_thread_mutex_unlock(id->rev_lock);
    return reason;
}

/* What the status page and the metrics show of one source. */
static void source_info(const source_t *src, apr_pool_t *p, apr_time_t now,
                        certauthz_revinfo_t *info)
{
    certauthz_slot_view_t st;

    memset(info, 0, sizeof(*info));
    info->path = src->path;
    info->shared_by = src->shared_by;
    if (src->view == NULL) {
        return;
    }
    info->held = certauthz_revview_held(src->view);
    if (certauthz_revview_status(src->view, &st)) {
        info->version = st.version;
        info->format = apr_pstrdup(p, st.format);
        info->entries = (apr_size_t)st.entries;
        info->loaded = st.loaded;
        info->mtime = st.mtime;
        info->next_update = st.next_update;
        info->failures = st.failures;
        info->error_time = st.error_time;
        info->last_error = st.last_error[0] ? apr_pstrdup(p, st.last_error)
                                            : NULL;
    }
    else {
        certauthz_revlist_t *l = certauthz_revview_acquire(src->view, NULL);

        info->version = info->held;
        if (l != NULL) {
            info->format = certauthz_revlist_format(l);
            info->entries = certauthz_revlist_entries(l);
            info->loaded = certauthz_revlist_loaded(l);
            info->mtime = certauthz_revlist_mtime(l);
            info->next_update = certauthz_revlist_next_update(l);
            certauthz_revlist_release(l);
        }
    }
    info->stale = info->next_update != 0 && now > info->next_update;
}

static apr_array_header_t *infos(apr_pool_t *p, apr_array_header_t *list)
{
    int n = list ? list->nelts : 0, i;
    apr_array_header_t *out = apr_array_make(p, n ? n : 1,
                                             sizeof(certauthz_revinfo_t));
    apr_time_t now = apr_time_now();

    for (i = 0; i < n; i++) {
        source_info(APR_ARRAY_IDX(list, i, source_t *), p, now,
                    apr_array_push(out));
    }
    return out;
}

apr_array_header_t *certauthz_revocation_status(request_rec *r)
{
    return infos(r->pool, certauthz_srv_conf(r->server)->sources);
}

apr_array_header_t *certauthz_revocation_status_all(apr_pool_t *p)
{
    return infos(p, sources);
}

void certauthz_register_revocation_hooks(void)
{
    ap_hook_check_config(revocation_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(revocation_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(revocation_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
