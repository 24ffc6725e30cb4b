/*
 * loader: checking, loading and publishing the revocation sources (see
 * loader.h).
 */
#include "loader.h"
#include "file.h"
#include "revindex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_strings.h>

/* How long a changed file must keep one signature before it is loaded. */
#define STABLE APR_USEC_PER_SEC
/* The longest the loader sleeps between ticks, and the shortest. */
#define MAX_SLEEP APR_USEC_PER_SEC
#define MIN_SLEEP (APR_USEC_PER_SEC / 10)

typedef struct {
    certauthz_loader_src_t cfg;
    unsigned index;
    certauthz_slot_t *slot;
    /* The version in force and what it was made from. */
    apr_uint64_t version;
    certauthz_filesig_t loaded_sig;
    certauthz_slot_view_t status;
    int stale_warned;
    /* A change seen, waiting to be stable. */
    int pending;
    certauthz_filesig_t pending_sig;
    apr_time_t pending_since;
    /* The version of the file that failed to load, reported once. */
    int failed;
    certauthz_filesig_t failed_sig;
    apr_time_t next_due;
} src_t;

struct certauthz_loader {
    apr_pool_t *pool;
    int dirfd;
    const char *dir;
    apr_uint64_t generation;
    int n;
    src_t *srcs;
};

static void logf_(certauthz_revlog_fn *log, void *baton,
                  certauthz_revlog_e level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void logf_(certauthz_revlog_fn *log, void *baton,
                  certauthz_revlog_e level, const char *fmt, ...)
{
    char msg[1600];
    va_list ap;

    if (log == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log(baton, level, msg);
}

void certauthz_index_name(char buf[64], apr_uint64_t generation,
                          unsigned slot, apr_uint64_t version)
{
    apr_snprintf(buf, 64, "%016" APR_UINT64_T_HEX_FMT "-%u-%" APR_UINT64_T_FMT
                 ".idx", generation, slot, version);
}

/* Write version `version` of source s's index: a temporary file, then a
 * rename, so that a child never opens half an index.  NULL, or a
 * message. */
static const char *write_index(apr_pool_t *p, certauthz_loader_t *ld,
                               const src_t *s, apr_uint64_t version,
                               const certauthz_revlist_t *l)
{
    char name[64], tmp[80];
    apr_status_t rv;
    int fd;

    certauthz_index_name(name, ld->generation, s->index, version);
    apr_snprintf(tmp, sizeof(tmp), "%s.tmp", name);
    unlinkat(ld->dirfd, tmp, 0);
    fd = openat(ld->dirfd, tmp,
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (fd < 0) {
        return apr_psprintf(p, "cannot create %s/%s: %s", ld->dir, tmp,
                            certauthz_errstr(p, errno));
    }
    rv = certauthz_revlist_save(l, fd);
    if (close(fd) != 0 && rv == APR_SUCCESS) {
        rv = errno;
    }
    if (rv != APR_SUCCESS) {
        unlinkat(ld->dirfd, tmp, 0);
        return apr_psprintf(p, "cannot write %s/%s: %s", ld->dir, tmp,
                            certauthz_errstr(p, rv));
    }
    if (renameat(ld->dirfd, tmp, ld->dirfd, name) != 0) {
        int e = errno;

        unlinkat(ld->dirfd, tmp, 0);
        return apr_psprintf(p, "cannot rename %s/%s: %s", ld->dir, tmp,
                            certauthz_errstr(p, e));
    }
    return NULL;
}

/* Make l version `version` of s: its index file, then its slot. */
static const char *publish(apr_pool_t *p, certauthz_loader_t *ld, src_t *s,
                           const certauthz_revlist_t *l)
{
    apr_uint64_t version = s->version + 1;
    const char *err = write_index(p, ld, s, version, l);

    if (err != NULL) {
        return err;
    }
    s->status.loaded = certauthz_revlist_loaded(l);
    s->status.mtime = certauthz_revlist_mtime(l);
    s->status.next_update = certauthz_revlist_next_update(l);
    s->status.entries = certauthz_revlist_entries(l);
    apr_cpystrn(s->status.format, certauthz_revlist_format(l),
                sizeof(s->status.format));
    s->status.last_error[0] = '\0';
    s->status.error_time = 0;
    certauthz_slot_publish(s->slot, &s->status, version);
    if (s->version != 0) {
        char old[64];

        /* Processes still using it keep their mapping: an unlinked file
         * lives until its last mapping goes. */
        certauthz_index_name(old, ld->generation, s->index, s->version);
        unlinkat(ld->dirfd, old, 0);
    }
    s->version = version;
    s->loaded_sig = l->sig;
    s->stale_warned = 0;
    return NULL;
}

const char *certauthz_loader_create(apr_pool_t *p, certauthz_table_t *table,
                                    int dirfd, const char *dir, int n,
                                    const certauthz_loader_src_t *srcs,
                                    certauthz_revlist_t *const *initial,
                                    certauthz_loader_t **out)
{
    certauthz_loader_t *ld = apr_pcalloc(p, sizeof(*ld));
    int i;

    ld->pool = p;
    ld->dirfd = dirfd;
    ld->dir = dir;
    ld->generation = table->generation;
    ld->n = n;
    ld->srcs = apr_pcalloc(p, sizeof(src_t) * (n ? n : 1));
    for (i = 0; i < n; i++) {
        src_t *s = &ld->srcs[i];
        const char *err;

        s->cfg = srcs[i];
        s->cfg.path = apr_pstrdup(p, srcs[i].path);
        s->cfg.verify_ca = srcs[i].verify_ca
                               ? apr_pstrdup(p, srcs[i].verify_ca) : NULL;
        s->index = (unsigned)i;
        s->slot = &table->slots[i];
        err = publish(p, ld, s, initial[i]);
        if (err != NULL) {
            return err;
        }
    }
    *out = ld;
    return NULL;
}

apr_uint64_t certauthz_loader_version(const certauthz_loader_t *ld, int i)
{
    return ld->srcs[i].version;
}

/* A load or check of s failed: keep what is in force, show the error,
 * report it once per version of the file. */
static void fail(src_t *s, const certauthz_filesig_t *sig, const char *err,
                 apr_time_t wall, certauthz_revlog_fn *log, void *baton)
{
    char when[APR_RFC822_DATE_LEN];
    int again = s->failed && certauthz_filesig_same(&s->failed_sig, sig);

    s->failed = 1;
    s->failed_sig = *sig;
    if (again) {
        return;
    }
    s->status.failures++;
    s->status.error_time = wall;
    apr_cpystrn(s->status.last_error, err, sizeof(s->status.last_error));
    certauthz_slot_publish(s->slot, &s->status, 0);
    apr_rfc822_date(when, s->status.loaded);
    logf_(log, baton, CERTAUTHZ_REVLOG_ERROR,
          "%s; keeping the last good list (%" APR_UINT64_T_FMT
          " entries, loaded %s)", err, s->status.entries, when);
}

static void load(certauthz_loader_t *ld, src_t *s,
                 const certauthz_filesig_t *sig, apr_time_t mono,
                 apr_time_t wall, certauthz_revlog_fn *log, void *baton)
{
    certauthz_revopts_t opts;
    certauthz_revlist_t *l = NULL;
    apr_pool_t *p;
    const char *err;
    int changed = 0;

    apr_pool_create(&p, ld->pool);
    memset(&opts, 0, sizeof(opts));
    opts.verify_ca = s->cfg.verify_ca;
    err = certauthz_revlist_load_ex(p, s->cfg.path, &opts, &l, &changed);
    if (err != NULL && changed) {
        /* Written while it was read: watch it settle again. */
        s->pending = 0;
        s->next_due = mono;
    }
    else if (err != NULL) {
        fail(s, sig, err, wall, log, baton);
    }
    else if ((err = publish(p, ld, s, l)) != NULL) {
        fail(s, sig, err, wall, log, baton);
    }
    else {
        s->failed = 0;
        logf_(log, baton, CERTAUTHZ_REVLOG_NOTICE,
              "%s: reloaded, %" APR_UINT64_T_FMT " entries (%s), version %"
              APR_UINT64_T_FMT, s->cfg.path, s->status.entries,
              s->status.format, s->version);
    }
    if (l != NULL) {
        certauthz_revlist_release(l);
    }
    apr_pool_destroy(p);
}

static void check(certauthz_loader_t *ld, src_t *s, apr_time_t mono,
                  apr_time_t wall, certauthz_revlog_fn *log, void *baton)
{
    certauthz_filesig_t sig;
    struct stat st;

    s->next_due = mono + apr_time_from_sec(s->cfg.interval);
    memset(&sig, 0, sizeof(sig));
    if (stat(s->cfg.path, &st) == 0) {
        certauthz_filesig_of(&st, &sig);
    }
    else {
        sig.ok = 0;
        sig.err = errno;
    }
    if (certauthz_filesig_same(&sig, &s->loaded_sig)) {
        /* Back to the version in force (a bad file replaced by the good
         * one again): nothing to load, nothing wrong any more. */
        s->pending = 0;
        s->failed = 0;
        if (s->status.last_error[0] != '\0') {
            s->status.last_error[0] = '\0';
            certauthz_slot_publish(s->slot, &s->status, 0);
        }
        return;
    }
    if (s->failed && certauthz_filesig_same(&sig, &s->failed_sig)) {
        return;     /* reported already; waits for the next change */
    }
    if (!s->pending || !certauthz_filesig_same(&sig, &s->pending_sig)) {
        s->pending = 1;
        s->pending_sig = sig;
        s->pending_since = mono;
        s->next_due = mono + STABLE;
        return;
    }
    if (mono - s->pending_since < STABLE) {
        s->next_due = s->pending_since + STABLE;
        return;
    }
    s->pending = 0;
    if (!sig.ok) {
        apr_pool_t *p;

        apr_pool_create(&p, ld->pool);
        fail(s, &sig,
             apr_psprintf(p, "%s: %s", s->cfg.path,
                          certauthz_errstr(p, sig.err)),
             wall, log, baton);
        apr_pool_destroy(p);
        return;
    }
    load(ld, s, &sig, mono, wall, log, baton);
}

apr_interval_time_t certauthz_loader_tick(certauthz_loader_t *ld,
                                          apr_time_t mono, apr_time_t wall,
                                          certauthz_revlog_fn *log,
                                          void *baton)
{
    apr_interval_time_t sleep = MAX_SLEEP;
    int i;

    for (i = 0; i < ld->n; i++) {
        src_t *s = &ld->srcs[i];

        if (mono >= s->next_due) {
            check(ld, s, mono, wall, log, baton);
        }
        if (!s->stale_warned && s->status.next_update != 0
            && wall > s->status.next_update) {
            char when[APR_RFC822_DATE_LEN];

            s->stale_warned = 1;
            apr_rfc822_date(when, s->status.next_update);
            logf_(log, baton, CERTAUTHZ_REVLOG_WARN,
                  "%s: a CRL is past its nextUpdate (%s); it is still "
                  "enforced (CertAuthzStaleCRL deny refuses its issuer's "
                  "certificates)", s->cfg.path, when);
        }
        if (s->next_due - mono < sleep) {
            sleep = s->next_due - mono;
        }
    }
    return sleep < MIN_SLEEP ? MIN_SLEEP : sleep;
}
