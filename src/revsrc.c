/*
 * revsrc: the sources layer, moved here unchanged from src/revocation.c:
 * the current list of each CertAuthzRevocationFile in a process, checked
 * and reloaded by request threads, with the last good version shared
 * between processes through the cache directory (src/revcache.h).
 */
#include "revcache.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>
#include <apr_thread_mutex.h>

struct certauthz_revsrc {
    const char *path;
    certauthz_revopts_t opts;
    /* cache_dir/src-<digest>.cur: the index of the version of this file
     * most recently loaded by any process, or NULL without a cache. */
    const char *pointer;
    /* Guards current, next_check, checking and the error fields.  Only the
     * thread that set `checking` reads the file or touches `failed`.
     * next_check and generation are also read without it (atomically, by
     * certauthz_revsrc_unchanged), so they are written atomically too. */
    apr_thread_mutex_t *mutex;
    certauthz_revlist_t *current;
    apr_time_t next_check;
    apr_uint64_t generation;    /* bumped each time current is replaced */
    int checking;
    certauthz_filesig_t failed; /* the version that failed, reported once */
    char last_error[1024];      /* "" when the last check succeeded */
};

static apr_status_t src_cleanup(void *data)
{
    certauthz_revsrc_t *src = data;

    certauthz_revlist_release(src->current);
    src->current = NULL;
    return APR_SUCCESS;
}

static void logf_(certauthz_revlog_fn *log, void *baton,
                  certauthz_revlog_e level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void logf_(certauthz_revlog_fn *log, void *baton,
                  certauthz_revlog_e level, const char *fmt, ...)
{
    char msg[1400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log(baton, level, msg);
}

static void fail(certauthz_revsrc_t *src, const certauthz_filesig_t *sig,
                 const char *err, certauthz_revlog_fn *log, void *baton)
{
    certauthz_revlist_t *cur = src->current;   /* stable: we are the checker */
    char when[APR_RFC822_DATE_LEN];

    apr_rfc822_date(when, cur->loaded);
    src->failed = *sig;
    apr_thread_mutex_lock(src->mutex);
    apr_cpystrn(src->last_error, err, sizeof(src->last_error));
    apr_thread_mutex_unlock(src->mutex);
    logf_(log, baton, CERTAUTHZ_REVLOG_ERROR,
          "%s; keeping the last good list (%" APR_SIZE_T_FMT
          " entries, loaded %s)", err, certauthz_revlist_entries(cur), when);
}

/* Once per list and process: a list loaded before the fork is warned about
 * by the parent only, as its flag is inherited. */
static void warn_if_stale(certauthz_revsrc_t *src, certauthz_revlist_t *l,
                          apr_time_t now, certauthz_revlog_fn *log,
                          void *baton)
{
    int64_t next = l->next_update_min;

    if (next != 0 && apr_time_sec(now) > next
        && !__atomic_exchange_n(&l->stale_warned, 1, __ATOMIC_RELAXED)) {
        char when[APR_RFC822_DATE_LEN];

        apr_rfc822_date(when, apr_time_from_sec(next));
        logf_(log, baton, CERTAUTHZ_REVLOG_WARN,
              "%s: a CRL is past its nextUpdate (%s); its entries are still "
              "enforced; publish a fresh CRL", src->path, when);
    }
}

/*
 * The last good version, shared between processes.
 *
 * Each process checks the file on its own schedule, so without this a
 * process that was idle while a good version came and went would, on
 * finding garbage (or a file still being written), keep an older list than
 * its siblings.  Every successful load therefore names its index in the
 * source's pointer file, and a process that cannot load the file as it is
 * now adopts the version named there: the last good list is the machine's,
 * not the process's.
 */
static void publish_pointer(certauthz_revsrc_t *src, certauthz_revlist_t *l)
{
    char *tmp;
    int fd;

    if (src->pointer == NULL || l->index_path == NULL) {
        return;
    }
    tmp = malloc(strlen(src->pointer) + 8);
    if (tmp == NULL) {
        return;
    }
    sprintf(tmp, "%s.XXXXXX", src->pointer);
    fd = mkstemp(tmp);
    if (fd >= 0) {
        if (fchmod(fd, 0644) != 0
            || certauthz_write_all(fd, l->index_path, strlen(l->index_path)) != 0
            || close(fd) != 0 || rename(tmp, src->pointer) != 0) {
            unlink(tmp);
        }
    }
    free(tmp);
}

/* The list the pointer names, when it is not the one we hold. */
static certauthz_revlist_t *adopt_pointer(certauthz_revsrc_t *src)
{
    char name[4096];
    apr_pool_t *tmp;
    struct stat st;
    const char *err;
    ssize_t n;
    int fd;

    if (src->pointer == NULL || apr_pool_create(&tmp, NULL) != APR_SUCCESS) {
        return NULL;
    }
    err = certauthz_file_open(tmp, src->pointer, 1, &fd, &st);
    apr_pool_destroy(tmp);
    if (err != NULL) {
        return NULL;
    }
    n = read(fd, name, sizeof(name) - 1);
    close(fd);
    if (n <= 0) {
        return NULL;
    }
    name[n] = '\0';
    if (src->current->index_path != NULL
        && strcmp(src->current->index_path, name) == 0) {
        return NULL;
    }
    return certauthz_revcache_map(name, NULL);
}

/* Make nl the current list.  Runs in the checking thread. */
static void swap_in(certauthz_revsrc_t *src, certauthz_revlist_t *nl)
{
    certauthz_revlist_t *cur = src->current;
    char *old_index = cur->index_path && (nl->index_path == NULL
                                          || strcmp(cur->index_path,
                                                    nl->index_path) != 0)
                          ? cur->index_path
                          : NULL;

    apr_thread_mutex_lock(src->mutex);
    src->current = nl;
    __atomic_add_fetch(&src->generation, 1, __ATOMIC_RELEASE);
    apr_thread_mutex_unlock(src->mutex);
    /* Nobody maps the old version's index any more once it is replaced:
     * processes that hold it keep their mapping, and newer ones load or
     * adopt the new version. */
    if (old_index != NULL) {
        unlink(old_index);
    }
    certauthz_revlist_release(cur);
}

/* The file cannot be taken as it is now: use the last good version some
 * other process loaded, if it is not ours. */
static void fall_back(certauthz_revsrc_t *src, apr_time_t now,
                      certauthz_revlog_fn *log, void *baton)
{
    certauthz_revlist_t *nl = adopt_pointer(src);

    if (nl != NULL) {
        swap_in(src, nl);
        warn_if_stale(src, nl, now, log, baton);
    }
}

/* Look at the file and swap in a new list if it changed.  Runs in one
 * thread of the process at a time (the one that set src->checking). */
static void check_file(certauthz_revsrc_t *src, apr_time_t now,
                       certauthz_revlog_fn *log, void *baton)
{
    struct stat st;
    certauthz_filesig_t sig;
    certauthz_revlist_t *cur = src->current, *nl = NULL;
    apr_pool_t *tmp;
    const char *err;
    int retry;

    if (stat(src->path, &st) != 0) {
        memset(&sig, 0, sizeof(sig));
        sig.err = errno;
    }
    else {
        certauthz_filesig_of(&st, &sig);
    }
    if (certauthz_filesig_same(&sig, &cur->sig)) {
        /* Back to the version we hold (after a failed replacement). */
        if (src->failed.ok || src->failed.err) {
            memset(&src->failed, 0, sizeof(src->failed));
            apr_thread_mutex_lock(src->mutex);
            src->last_error[0] = '\0';
            apr_thread_mutex_unlock(src->mutex);
        }
        return;
    }
    if (certauthz_filesig_same(&sig, &src->failed)) {
        return;     /* reported when it was first seen */
    }
    if (!sig.ok) {
        char msg[1200], e[120];

        apr_strerror(sig.err, e, sizeof(e));
        snprintf(msg, sizeof(msg), "%s: cannot read: %s", src->path, e);
        fall_back(src, now, log, baton);
        fail(src, &sig, msg, log, baton);
        return;
    }
    if (now - certauthz_filesig_mtime(&sig) < APR_USEC_PER_SEC) {
        /* Possibly still being written: look again once it has been
         * stable for a second. */
        apr_thread_mutex_lock(src->mutex);
        if (certauthz_filesig_mtime(&sig) + APR_USEC_PER_SEC < src->next_check) {
            __atomic_store_n(&src->next_check,
                             certauthz_filesig_mtime(&sig) + APR_USEC_PER_SEC,
                             __ATOMIC_RELEASE);
        }
        apr_thread_mutex_unlock(src->mutex);
        fall_back(src, now, log, baton);
        return;
    }
    if (apr_pool_create(&tmp, NULL) != APR_SUCCESS) {
        return;
    }
    err = certauthz_revlist_load_ex(tmp, src->path, &src->opts, &nl, &retry);
    if (err != NULL && retry) {
        apr_thread_mutex_lock(src->mutex);
        __atomic_store_n(&src->next_check, now + APR_USEC_PER_SEC,
                         __ATOMIC_RELEASE);
        apr_thread_mutex_unlock(src->mutex);
        fall_back(src, now, log, baton);
    }
    else if (err != NULL) {
        fall_back(src, now, log, baton);
        fail(src, &sig, err, log, baton);
    }
    else {
        struct stat st2;
        certauthz_filesig_t now_sig;

        swap_in(src, nl);
        apr_thread_mutex_lock(src->mutex);
        src->last_error[0] = '\0';
        apr_thread_mutex_unlock(src->mutex);
        memset(&src->failed, 0, sizeof(src->failed));
        /* Publish only while the file is still this version, so that a
         * slow load of an older version never hides a newer one. */
        if (stat(src->path, &st2) == 0) {
            certauthz_filesig_of(&st2, &now_sig);
            if (certauthz_filesig_same(&now_sig, &nl->sig)) {
                publish_pointer(src, nl);
            }
        }
        logf_(log, baton, CERTAUTHZ_REVLOG_NOTICE,
              "%s: reloaded, %" APR_SIZE_T_FMT " entries (%s)", src->path,
              certauthz_revlist_entries(nl), certauthz_revlist_format(nl));
        warn_if_stale(src, nl, now, log, baton);
    }
    apr_pool_destroy(tmp);
}

const char *certauthz_revsrc_create(apr_pool_t *p, const char *path,
                                    const certauthz_revopts_t *opts,
                                    certauthz_revlog_fn *log, void *baton,
                                    certauthz_revsrc_t **out)
{
    certauthz_revsrc_t *src = apr_pcalloc(p, sizeof(*src));
    const char *err;

    src->path = apr_pstrdup(p, path);
    src->opts.cache_dir = opts->cache_dir ? apr_pstrdup(p, opts->cache_dir)
                                          : NULL;
    src->opts.verify_ca = opts->verify_ca ? apr_pstrdup(p, opts->verify_ca)
                                          : NULL;
    /* At start-up the file is taken as it is, however recent: there is no
     * previous list to keep. */
    err = certauthz_revlist_load(p, path, &src->opts, &src->current);
    if (err != NULL) {
        return err;
    }
    if (apr_thread_mutex_create(&src->mutex, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS) {
        certauthz_revlist_release(src->current);
        return apr_psprintf(p, "%s: cannot create a mutex", path);
    }
    apr_pool_cleanup_register(p, src, src_cleanup, apr_pool_cleanup_null);
    src->next_check = 0;
    if (src->opts.cache_dir != NULL) {
        char *name = certauthz_revcache_name(src->opts.cache_dir, path,
                                             &src->opts, NULL);

        if (name != NULL) {
            src->pointer = apr_pstrdup(p, name);
            free(name);
        }
        publish_pointer(src, src->current);
    }
    warn_if_stale(src, src->current, apr_time_now(), log, baton);
    *out = src;
    return NULL;
}

certauthz_revlist_t *certauthz_revsrc_acquire(certauthz_revsrc_t *src,
                                              apr_time_t now, int interval,
                                              certauthz_revlog_fn *log,
                                              void *baton)
{
    certauthz_revlist_t *l = NULL;
    int check = 0;

    /* One lock on the common path: take the current list, unless the
     * interval has elapsed and this thread is the one to check the file. */
    apr_thread_mutex_lock(src->mutex);
    if (!src->checking && now >= src->next_check) {
        src->checking = check = 1;
        __atomic_store_n(&src->next_check, now + apr_time_from_sec(interval),
                         __ATOMIC_RELEASE);
    }
    else {
        l = src->current;
        certauthz_revlist_ref(l);
    }
    apr_thread_mutex_unlock(src->mutex);
    if (check) {
        check_file(src, now, log, baton);
        apr_thread_mutex_lock(src->mutex);
        src->checking = 0;
        l = src->current;
        certauthz_revlist_ref(l);
        apr_thread_mutex_unlock(src->mutex);
    }

    warn_if_stale(src, l, now, log, baton);
    return l;
}

apr_uint64_t certauthz_revsrc_generation(const certauthz_revsrc_t *src)
{
    return __atomic_load_n(&src->generation, __ATOMIC_ACQUIRE);
}

int certauthz_revsrc_unchanged(const certauthz_revsrc_t *src, apr_time_t now,
                               apr_uint64_t generation)
{
    return now < __atomic_load_n(&src->next_check, __ATOMIC_ACQUIRE)
           && __atomic_load_n(&src->generation, __ATOMIC_ACQUIRE)
                  == generation;
}

void certauthz_revsrc_info(certauthz_revsrc_t *src, apr_pool_t *p,
                           apr_time_t now, certauthz_revinfo_t *info)
{
    certauthz_revlist_t *l;

    apr_thread_mutex_lock(src->mutex);
    l = src->current;
    certauthz_revlist_ref(l);
    info->last_error = src->last_error[0] ? apr_pstrdup(p, src->last_error)
                                          : NULL;
    apr_thread_mutex_unlock(src->mutex);
    info->path = src->path;
    info->format = certauthz_revlist_format(l);
    info->entries = certauthz_revlist_entries(l);
    info->loaded = l->loaded;
    info->mtime = certauthz_filesig_mtime(&l->sig);
    info->next_update = certauthz_revlist_next_update(l);
    info->stale = info->next_update != 0 && now > info->next_update;
    certauthz_revlist_release(l);
}
