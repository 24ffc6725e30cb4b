/*
 * loaderkit: a loader (src/loader.h) with one source, its index directory,
 * the sealed table (src/revshm.h) and a process's view of the source
 * (src/revview.h), driven by a monotonic time the test chooses.  Shared by
 * t/unit/test_loader.c and t/unit/test_hostile_files.c.
 */
#ifndef CERTAUTHZ_LOADERKIT_H
#define CERTAUTHZ_LOADERKIT_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_strings.h>

#include "src/loader.h"
#include "src/revview.h"

typedef struct {
    apr_pool_t *pool;
    const char *dir;            /* the index directory */
    int dirfd;
    certauthz_shm_t *shm;
    certauthz_loader_t *loader;
    certauthz_revview_t *view;
    apr_time_t mono;            /* the loader's clock */
    int errors, notices, warnings;
    char last[2048];
    char view_error[512];
} kit_t;

static inline void kit_log(void *baton, certauthz_revlog_e level, const char *msg)
{
    kit_t *k = baton;

    if (level == CERTAUTHZ_REVLOG_ERROR) {
        k->errors++;
    }
    else if (level == CERTAUTHZ_REVLOG_NOTICE) {
        k->notices++;
    }
    else {
        k->warnings++;
    }
    snprintf(k->last, sizeof(k->last), "%s", msg);
}

static inline void kit_view_error(void *baton, const char *msg)
{
    kit_t *k = baton;

    snprintf(k->view_error, sizeof(k->view_error), "%s", msg);
}

/* A loader for `source` (loaded now, as at start-up) publishing in
 * `index_dir`: NULL, or what failed. */
static inline const char *kit_start(kit_t *k, apr_pool_t *p, const char *source,
                             const char *verify_ca, int interval,
                             const char *index_dir)
{
    certauthz_loader_src_t src;
    certauthz_revopts_t o;
    certauthz_revlist_t *initial = NULL;
    const char *err;

    memset(k, 0, sizeof(*k));
    apr_pool_create(&k->pool, p);
    k->dir = apr_pstrdup(k->pool, index_dir);
    mkdir(index_dir, 0755);
    k->dirfd = open(index_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    memset(&o, 0, sizeof(o));
    o.verify_ca = verify_ca;
    if ((err = certauthz_revlist_load(k->pool, source, &o, &initial))
        != NULL) {
        return err;
    }
    if ((err = certauthz_shm_create(k->pool, 1, 0, 0x1234abcdULL, &k->shm))
        != NULL) {
        return err;
    }
    src.path = source;
    src.verify_ca = verify_ca;
    src.interval = interval;
    src.url = NULL;
    err = certauthz_loader_create(k->pool, certauthz_shm_rw(k->shm),
                                  k->dirfd, k->dir, 1, &src, &initial,
                                  NULL, kit_log, k, &k->loader);
    certauthz_revlist_release(initial);
    if (err != NULL) {
        return err;
    }
    k->view = certauthz_revview_create(
        k->pool, &certauthz_shm_ro(k->shm)->slots[0], k->dirfd, geteuid(),
        certauthz_shm_ro(k->shm)->generation, 0, kit_view_error, k);
    k->mono = apr_time_from_sec(1000);
    return NULL;
}

/* Let `secs` seconds of the loader's clock pass, ticking every 0.25 s. */
static inline void kit_run(kit_t *k, double secs)
{
    apr_time_t end = k->mono + (apr_time_t)(secs * APR_USEC_PER_SEC);

    do {
        certauthz_loader_tick(k->loader, k->mono, apr_time_now(), kit_log, k);
        k->mono += APR_USEC_PER_SEC / 4;
    } while (k->mono <= end);
}

/* What view v says of a certificate now (NONE: no list). */
static inline certauthz_reason_e kit_check_view(certauthz_revview_t *v,
                                                const certauthz_cert_t *c)
{
    certauthz_revlist_t *l = certauthz_revview_acquire(v, NULL);
    certauthz_reason_e r;

    if (l == NULL) {
        return CERTAUTHZ_REASON_NONE;
    }
    r = certauthz_revlist_check(l, c, apr_time_now(), 0);
    certauthz_revlist_release(l);
    return r;
}

/* What the kit's view says of a certificate now. */
static inline certauthz_reason_e kit_check(kit_t *k, const certauthz_cert_t *c)
{
    return kit_check_view(k->view, c);
}

static inline void kit_stop(kit_t *k)
{
    close(k->dirfd);
    apr_pool_destroy(k->pool);
}

#endif
