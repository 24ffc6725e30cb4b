/*
 * revview: a process's view of a source (see revview.h).
 */
#include "revview.h"
#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <apr_strings.h>
#include <apr_thread_mutex.h>

struct certauthz_revview {
    const certauthz_slot_t *slot;   /* NULL: a fixed list */
    int dirfd;
    uid_t owner;
    apr_uint64_t generation;
    unsigned index;
    certauthz_revview_err_fn *err;
    void *baton;
    /* Guards list and held; held is also read without it (atomically). */
    apr_thread_mutex_t *mutex;
    certauthz_revlist_t *list;
    apr_uint64_t held;
    apr_uint64_t failed;            /* the version that could not be
                                     * mapped, reported once */
    apr_time_t behind_since;        /* monotonic: since when a newer
                                     * version cannot be mapped (0: not) */
    apr_uint64_t behind_reported;   /* the version that made it fail
                                     * closed, reported once */
};

/* How long a process may judge by its list while a newer published one
 * cannot be mapped: past that, it fails closed (certauthz_revview_acquire
 * answers NULL) rather than keep an old list forever. */
#define BEHIND_GRACE (2 * APR_USEC_PER_SEC)

static apr_time_t mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return apr_time_from_sec(ts.tv_sec) + ts.tv_nsec / 1000;
}

static apr_status_t view_cleanup(void *data)
{
    certauthz_revview_t *v = data;

    if (v->list != NULL) {
        certauthz_revlist_release(v->list);
        v->list = NULL;
    }
    return APR_SUCCESS;
}

static void report(certauthz_revview_t *v, apr_uint64_t version,
                   const char *fmt, const char *name, const char *what)
{
    char msg[512];

    if (v->err == NULL || v->failed == version) {
        return;
    }
    v->failed = version;
    snprintf(msg, sizeof(msg), fmt, name, what);
    v->err(v->baton, msg);
}

/* Map version `version`: the loader's file, checked for what it must be.
 * Called with the mutex held. */
static certauthz_revlist_t *map_version(certauthz_revview_t *v,
                                        apr_uint64_t version)
{
    char name[64];
    certauthz_revlist_t *l = NULL;
    struct stat st;
    const char *err;
    int fd;

    certauthz_index_name(name, v->generation, v->index, version);
    fd = openat(v->dirfd, name,
                O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        /* A newer version replaced it meanwhile (the loader removes the
         * one it replaces): the next request maps that one. */
        if (errno != ENOENT) {
            report(v, version, "cannot open the compiled index %s: %s",
                   name, strerror(errno));
        }
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != v->owner
        || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        close(fd);
        report(v, version, "%s: %s", name,
               "refused: not a plain file owned by the loader's user and "
               "writable by it alone");
        return NULL;
    }
    err = certauthz_revlist_map(fd, &l);
    close(fd);
    if (err != NULL) {
        report(v, version, "%s: %s", name, err);
        return NULL;
    }
    return l;
}

certauthz_revview_t *certauthz_revview_create(apr_pool_t *p,
                                              const certauthz_slot_t *slot,
                                              int dirfd, uid_t owner,
                                              apr_uint64_t generation,
                                              unsigned index,
                                              certauthz_revview_err_fn *err,
                                              void *baton)
{
    certauthz_revview_t *v = apr_pcalloc(p, sizeof(*v));

    v->slot = slot;
    v->dirfd = dirfd;
    v->owner = owner;
    v->generation = generation;
    v->index = index;
    v->err = err;
    v->baton = baton;
    apr_thread_mutex_create(&v->mutex, APR_THREAD_MUTEX_DEFAULT, p);
    apr_pool_cleanup_register(p, v, view_cleanup, apr_pool_cleanup_null);
    certauthz_revlist_release(certauthz_revview_acquire(v, NULL));
    return v;
}

certauthz_revview_t *certauthz_revview_fixed(apr_pool_t *p,
                                             certauthz_revlist_t *list)
{
    certauthz_revview_t *v = apr_pcalloc(p, sizeof(*v));

    apr_thread_mutex_create(&v->mutex, APR_THREAD_MUTEX_DEFAULT, p);
    certauthz_revlist_ref(list);
    v->list = list;
    v->held = 1;
    apr_pool_cleanup_register(p, v, view_cleanup, apr_pool_cleanup_null);
    return v;
}

apr_uint64_t certauthz_revview_published(const certauthz_revview_t *v)
{
    return v->slot != NULL ? certauthz_slot_version(v->slot) : v->held;
}

apr_uint64_t certauthz_revview_held(const certauthz_revview_t *v)
{
    return __atomic_load_n(&v->held, __ATOMIC_ACQUIRE);
}

certauthz_revlist_t *certauthz_revview_acquire(certauthz_revview_t *v,
                                               apr_uint64_t *version)
{
    apr_uint64_t pub = certauthz_revview_published(v);
    certauthz_revlist_t *l;

    int behind = 0;

    apr_thread_mutex_lock(v->mutex);
    if (pub != v->held && pub != 0) {
        certauthz_revlist_t *n = map_version(v, pub);

        if (n != NULL) {
            if (v->list != NULL) {
                certauthz_revlist_release(v->list);
            }
            v->list = n;
            v->behind_since = 0;
            __atomic_store_n(&v->held, pub, __ATOMIC_RELEASE);
        }
        else {
            apr_time_t now = mono_now();

            if (v->behind_since == 0) {
                v->behind_since = now;
            }
            else if (now - v->behind_since > BEHIND_GRACE) {
                behind = 1;
                if (v->err != NULL && v->behind_reported != pub) {
                    char msg[160];

                    v->behind_reported = pub;
                    snprintf(msg, sizeof(msg),
                             "version %llu of the list cannot be mapped; "
                             "refusing certificates until it can",
                             (unsigned long long)pub);
                    v->err(v->baton, msg);
                }
            }
        }
    }
    l = behind ? NULL : v->list;
    if (l != NULL) {
        certauthz_revlist_ref(l);
    }
    if (version != NULL) {
        *version = v->held;
    }
    apr_thread_mutex_unlock(v->mutex);
    return l;
}

int certauthz_revview_status(const certauthz_revview_t *v,
                             certauthz_slot_view_t *out)
{
    if (v->slot == NULL) {
        memset(out, 0, sizeof(*out));
        return 0;
    }
    certauthz_slot_read(v->slot, out);
    return 1;
}
