/*
 * loader: checking, loading and publishing the revocation sources (see
 * loader.h).
 */
#include "loader.h"
#include "file.h"
#include "revindex.h"
#include "sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_hash.h>
#include <apr_strings.h>

/* How long a changed file must keep one signature before it is loaded. */
#define STABLE APR_USEC_PER_SEC
/* The longest the loader sleeps between ticks, and the shortest. */
#define MAX_SLEEP APR_USEC_PER_SEC
#define MIN_SLEEP (APR_USEC_PER_SEC / 10)
/* The shortest interval between two fetches of one URL. */
#define MIN_FETCH_INTERVAL APR_USEC_PER_SEC
/* A file that failed to load is tried again, unchanged, after twice its
 * interval (at least RETRY_MIN), then twice as long each time up to
 * RETRY_MAX: a failure may be passing (no memory, no descriptors, a full
 * disk for the index) and must not keep the last good list forever. */
#define RETRY_MIN apr_time_from_sec(2)
#define RETRY_MAX apr_time_from_sec(60)

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
    /* The version of the file that failed to load, reported once per
     * different message, and when it is tried again. */
    int failed;
    certauthz_filesig_t failed_sig;
    apr_time_t retry_at;
    apr_interval_time_t retry_wait;
    apr_time_t next_due;
    /* A URL: the validators and the SHA-256 of the body in force, the
     * fetch under way, and the failure reported (until another one). */
    certauthz_validators_t validators;
    unsigned char body_sha[32];
    apr_time_t this_update;         /* of the CRLs in force, 0: none known */
    certauthz_xfer_t *xfer;
    apr_time_t fetch_started;
    int fetched_at_start;       /* the next fetch is an interval away */
    char failed_msg[CERTAUTHZ_SLOT_ERRLEN];
} src_t;

struct certauthz_loader {
    apr_pool_t *pool;
    int dirfd;
    const char *dir;
    apr_uint64_t generation;
    int n;
    src_t *srcs;
    const certauthz_fetch_ops_t *fetch;
};

/* How a source's messages start. */
static const char *directive(const src_t *s)
{
    return s->cfg.url != NULL ? "CertAuthzRevocationURL"
                              : "CertAuthzRevocationFile";
}

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

/* Create tmp ("<name>.tmp") in the index directory, afresh, for writing
 * with `mode`: *fd, and NULL or a message. */
static const char *create_tmp(apr_pool_t *p, const certauthz_loader_t *ld,
                              const char *name, mode_t mode, char tmp[80],
                              int *fd)
{
    apr_snprintf(tmp, 80, "%s.tmp", name);
    unlinkat(ld->dirfd, tmp, 0);
    *fd = openat(ld->dirfd, tmp,
                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (*fd < 0) {
        return apr_psprintf(p, "cannot create %s/%s: %s", ld->dir, tmp,
                            certauthz_errstr(p, errno));
    }
    return NULL;
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

    const char *err;

    certauthz_index_name(name, ld->generation, s->index, version);
    if ((err = create_tmp(p, ld, name, 0444, tmp, &fd)) != NULL) {
        return err;
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

/* The name of the copy of a URL's body in the index directory, into
 * buf (64 bytes): one per URL, whatever the generation. */
static void body_name(char buf[64], const char *url)
{
    unsigned char md[32];
    unsigned i;

    EVP_Digest(url, strlen(url), md, NULL, certauthz_sha256(), NULL);
    memcpy(buf, "url-", 4);
    for (i = 0; i < 12; i++) {
        apr_snprintf(buf + 4 + 2 * i, 3, "%02x", md[i]);
    }
    memcpy(buf + 28, ".body", 6);
}

/* Keep the body of a URL's version in force for the next start: a
 * temporary file, then a rename.  Only the loader's user can read it.
 * NULL, or a message. */
static const char *save_body(apr_pool_t *p, certauthz_loader_t *ld,
                             const src_t *s, const certauthz_bigbuf_t *body)
{
    char name[64], tmp[80];
    int fd, e = 0;

    const char *err;

    body_name(name, s->cfg.path);
    if ((err = create_tmp(p, ld, name, 0400, tmp, &fd)) != NULL) {
        return err;
    }
    if (certauthz_write_all(fd, body->p, body->len) != 0) {
        e = errno;
    }
    if (close(fd) != 0 && e == 0) {
        e = errno;
    }
    if (e == 0 && renameat(ld->dirfd, tmp, ld->dirfd, name) != 0) {
        e = errno;
    }
    if (e != 0) {
        unlinkat(ld->dirfd, tmp, 0);
        return apr_psprintf(p, "cannot write %s/%s: %s", ld->dir, name,
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
    s->this_update = certauthz_revlist_this_update(l);
    s->stale_warned = 0;
    return NULL;
}

/* Publish what a URL's first fetch gave, or the copy an earlier fetch
 * left.  NULL, or why the source has no list to start with. */
static const char *start_url(apr_pool_t *p, certauthz_loader_t *ld,
                             src_t *s, certauthz_fetch_result_t *res,
                             certauthz_revlog_fn *log, void *baton);

/* Fetch every URL of the loader at once and publish what they gave. */
static const char *start_urls(apr_pool_t *p, certauthz_loader_t *ld,
                              certauthz_revlog_fn *log, void *baton)
{
    certauthz_fetch_result_t *res;
    const char *err = NULL;
    int i, pending = 0;

    res = apr_pcalloc(p, sizeof(*res) * ld->n);
    for (i = 0; i < ld->n; i++) {
        src_t *s = &ld->srcs[i];
        const char *e;

        if (s->cfg.url == NULL) {
            continue;
        }
        if (ld->fetch == NULL) {
            res[i].error = "no HTTP client";
            continue;
        }
        e = ld->fetch->start(ld->fetch->ctx, s->cfg.url, NULL, &s->xfer);
        if (e != NULL) {
            res[i].error = apr_psprintf(p, "%s: %s", s->cfg.path, e);
            continue;
        }
        pending++;
    }
    while (pending > 0) {
        ld->fetch->wait(ld->fetch->ctx, MIN_SLEEP);
        for (i = 0; i < ld->n; i++) {
            src_t *s = &ld->srcs[i];

            if (s->xfer != NULL
                && ld->fetch->finished(ld->fetch->ctx, s->xfer, p, &res[i])) {
                ld->fetch->release(ld->fetch->ctx, s->xfer);
                s->xfer = NULL;
                pending--;
            }
        }
    }
    for (i = 0; i < ld->n; i++) {
        if (ld->srcs[i].cfg.url != NULL && err == NULL) {
            err = start_url(p, ld, &ld->srcs[i], &res[i], log, baton);
        }
        certauthz_bigbuf_free(&res[i].body);
    }
    return err;
}

/* Copies of URL bodies no source of this loader uses any more. */
static void remove_old_bodies(certauthz_loader_t *ld)
{
    apr_hash_t *keep = apr_hash_make(ld->pool);
    struct dirent *e;
    DIR *dh;
    int i;

    for (i = 0; i < ld->n; i++) {
        if (ld->srcs[i].cfg.url != NULL) {
            char name[64];

            body_name(name, ld->srcs[i].cfg.path);
            apr_hash_set(keep, apr_pstrdup(ld->pool, name),
                         APR_HASH_KEY_STRING, "");
        }
    }
    dh = fdopendir(dup(ld->dirfd));
    while (dh != NULL && (e = readdir(dh)) != NULL) {
        if (strncmp(e->d_name, "url-", 4) == 0
            && apr_hash_get(keep, e->d_name, APR_HASH_KEY_STRING) == NULL) {
            unlinkat(ld->dirfd, e->d_name, 0);
        }
    }
    if (dh != NULL) {
        closedir(dh);
    }
}

const char *certauthz_loader_create(apr_pool_t *p, certauthz_table_t *table,
                                    int dirfd, const char *dir, int n,
                                    const certauthz_loader_src_t *srcs,
                                    certauthz_revlist_t *const *initial,
                                    const certauthz_fetch_ops_t *fetch,
                                    certauthz_revlog_fn *log, void *baton,
                                    certauthz_loader_t **out)
{
    certauthz_loader_t *ld = apr_pcalloc(p, sizeof(*ld));
    const char *err;
    int i, urls = 0;

    ld->pool = p;
    ld->dirfd = dirfd;
    ld->dir = dir;
    ld->generation = table->generation;
    ld->n = n;
    ld->fetch = fetch;
    ld->srcs = apr_pcalloc(p, sizeof(src_t) * (n ? n : 1));
    for (i = 0; i < n; i++) {
        src_t *s = &ld->srcs[i];

        s->cfg = srcs[i];
        s->index = (unsigned)i;
        s->slot = &table->slots[i];
        s->cfg.path = apr_pstrdup(p, srcs[i].path);
        s->cfg.verify_ca = srcs[i].verify_ca
                               ? apr_pstrdup(p, srcs[i].verify_ca) : NULL;
        if (srcs[i].url != NULL) {
            certauthz_url_opts_t *o = apr_pmemdup(p, srcs[i].url,
                                                  sizeof(*o));

            o->url = s->cfg.path;
            o->ca_file = o->ca_file ? apr_pstrdup(p, o->ca_file) : NULL;
            s->cfg.url = o;
            urls++;
            continue;
        }
        err = publish(p, ld, s, initial[i]);
        if (err != NULL) {
            return err;
        }
    }
    if (urls > 0 && (err = start_urls(p, ld, log, baton)) != NULL) {
        return err;
    }
    remove_old_bodies(ld);
    *out = ld;
    return NULL;
}

void certauthz_loader_resume(certauthz_loader_t *ld)
{
    int i;

    for (i = 0; i < ld->n; i++) {
        src_t *s = &ld->srcs[i];
        certauthz_slot_view_t v;

        certauthz_slot_read(s->slot, &v);
        if (v.version <= s->version) {
            continue;
        }
        /* A loader before this one published up to v.version: go on from
         * there (a number is never used twice for two lists, and the
         * version in force stays what it is until a newer one), and load
         * every source again, since what this copy of the loader knows of
         * them is older. */
        s->version = v.version;
        s->status.loaded = v.loaded;
        s->status.mtime = v.mtime;
        s->status.next_update = v.next_update;
        s->status.entries = v.entries;
        s->status.failures = v.failures;
        s->status.error_time = v.error_time;
        memcpy(s->status.format, v.format, sizeof(s->status.format));
        memcpy(s->status.last_error, v.last_error,
               sizeof(s->status.last_error));
        memset(&s->loaded_sig, 0, sizeof(s->loaded_sig));
        s->loaded_sig.err = -1;     /* like no signature stat() can give */
        s->pending = 0;
        s->failed = 0;
        s->next_due = 0;
        memset(&s->validators, 0, sizeof(s->validators));
        memset(s->body_sha, 0, sizeof(s->body_sha));
        s->fetched_at_start = 0;
        s->this_update = 0;
    }
}

apr_uint64_t certauthz_loader_version(const certauthz_loader_t *ld, int i)
{
    return ld->srcs[i].version;
}

/* Show a failure of s on the status page and in the log. */
static void report(src_t *s, const char *err, apr_time_t wall,
                   certauthz_revlog_fn *log, void *baton)
{
    char when[APR_RFC822_DATE_LEN];

    s->status.failures++;
    s->status.error_time = wall;
    apr_cpystrn(s->status.last_error, err, sizeof(s->status.last_error));
    certauthz_slot_publish(s->slot, &s->status, 0);
    apr_rfc822_date(when, s->status.loaded);
    logf_(log, baton, CERTAUTHZ_REVLOG_ERROR,
          "%s %s; keeping the last good list (%" APR_UINT64_T_FMT
          " entries, loaded %s)", directive(s), err, s->status.entries,
          when);
}

/* A load or check of a file failed: keep what is in force, show the
 * error, report it once per version of the file and message, and try the
 * same version again later (RETRY_MIN). */
static void fail(src_t *s, const certauthz_filesig_t *sig, const char *err,
                 apr_time_t mono, apr_time_t wall, certauthz_revlog_fn *log,
                 void *baton)
{
    int again = s->failed && certauthz_filesig_same(&s->failed_sig, sig);

    if (!again) {
        s->retry_wait = apr_time_from_sec(2 * (apr_time_t)s->cfg.interval);
        if (s->retry_wait < RETRY_MIN) {
            s->retry_wait = RETRY_MIN;
        }
    }
    else if ((s->retry_wait *= 2) > RETRY_MAX) {
        s->retry_wait = RETRY_MAX;
    }
    s->failed = 1;
    s->failed_sig = *sig;
    s->retry_at = mono + s->retry_wait;
    if (!again || strncmp(s->failed_msg, err, sizeof(s->failed_msg) - 1)) {
        apr_cpystrn(s->failed_msg, err, sizeof(s->failed_msg));
        report(s, err, wall, log, baton);
    }
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
    if (err == NULL && !certauthz_filesig_same(&l->sig, sig)) {
        /* Changed after the loader saw it stable and before it was read:
         * what was read has not been seen at rest.  Watch it settle. */
        changed = 1;
        err = "changed";
    }
    if (err != NULL && changed) {
        /* Written while it was read: watch it settle again. */
        s->pending = 0;
        s->next_due = mono;
    }
    else if (err != NULL) {
        fail(s, sig, err, mono, wall, log, baton);
    }
    else if ((err = publish(p, ld, s, l)) != NULL) {
        fail(s, sig, err, mono, wall, log, baton);
    }
    else {
        s->failed = 0;
        logf_(log, baton, CERTAUTHZ_REVLOG_NOTICE,
              "%s %s: reloaded, %" APR_UINT64_T_FMT " entries (%s), "
              "version %" APR_UINT64_T_FMT, directive(s), s->cfg.path,
              s->status.entries, s->status.format, s->version);
    }
    if (l != NULL) {
        certauthz_revlist_release(l);
    }
    apr_pool_destroy(p);
}

/* Load the file seen at rest with signature sig, or report why it cannot
 * be read. */
static void load_or_fail(certauthz_loader_t *ld, src_t *s,
                         const certauthz_filesig_t *sig, apr_time_t mono,
                         apr_time_t wall, certauthz_revlog_fn *log,
                         void *baton)
{
    apr_pool_t *p;

    if (sig->ok) {
        load(ld, s, sig, mono, wall, log, baton);
        return;
    }
    apr_pool_create(&p, ld->pool);
    fail(s, sig,
         apr_psprintf(p, "%s: %s", s->cfg.path, certauthz_errstr(p, sig->err)),
         mono, wall, log, baton);
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
        if (mono < s->retry_at) {
            if (s->retry_at < s->next_due) {
                s->next_due = s->retry_at;
            }
            return; /* reported already; tried again at retry_at */
        }
        /* Unchanged since it failed, and so stable: try it again. */
        s->pending = 0;
        load_or_fail(ld, s, &sig, mono, wall, log, baton);
        return;
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
    load_or_fail(ld, s, &sig, mono, wall, log, baton);
}

/* ------------------------------------------------------------------ */
/* Distribution points (CertAuthzRevocationURL)                        */

static void body_sha(const certauthz_bigbuf_t *body, unsigned char md[32])
{
    EVP_Digest(body->p, body->len, md, NULL, certauthz_sha256(), NULL);
}

/* A fetch of s failed: keep what is in force, report each different
 * failure once. */
static void url_fail(src_t *s, const char *err, apr_time_t wall,
                     certauthz_revlog_fn *log, void *baton)
{
    char msg[CERTAUTHZ_SLOT_ERRLEN];

    apr_cpystrn(msg, err, sizeof(msg));
    if (s->failed && strcmp(msg, s->failed_msg) == 0) {
        return;
    }
    s->failed = 1;
    memcpy(s->failed_msg, msg, sizeof(msg));
    report(s, err, wall, log, baton);
}

/* The distribution point serves the version in force again. */
static void url_current(src_t *s, certauthz_revlog_fn *log, void *baton)
{
    if (s->failed) {
        s->failed = 0;
        s->failed_msg[0] = '\0';
        logf_(log, baton, CERTAUTHZ_REVLOG_NOTICE,
              "%s %s: answers again with the version in force (%"
              APR_UINT64_T_FMT " entries)", directive(s), s->cfg.path,
              s->status.entries);
    }
    if (s->status.last_error[0] != '\0') {
        s->status.last_error[0] = '\0';
        certauthz_slot_publish(s->slot, &s->status, 0);
    }
}

/* Load a body a distribution point sent: NULL and *out, or why not. */
static const char *url_load(apr_pool_t *p, const src_t *s,
                            certauthz_bigbuf_t *body, apr_time_t mtime,
                            certauthz_revlist_t **out)
{
    certauthz_revopts_t opts;
    const char *err;

    /* No CRL is empty, and a list at a URL that says "nothing revoked"
     * does so with a comment: an empty answer is a broken one. */
    if (body->len == 0) {
        return apr_psprintf(p, "%s: the response is empty", s->cfg.path);
    }
    memset(&opts, 0, sizeof(opts));
    opts.verify_ca = s->cfg.verify_ca;
    err = certauthz_revlist_load_mem(p, s->cfg.path, body, mtime, &opts, out);
    /* With CertAuthzCRLVerifyCA only a signed CRL may come over the
     * network: a list or an index.txt carries no signature, and anyone on
     * the path could serve "nothing revoked" in their format. */
    if (err == NULL && s->cfg.verify_ca != NULL
        && strncmp(certauthz_revlist_format(*out), "crl", 3) != 0) {
        err = apr_psprintf(p, "%s: the response is a %s, not a CRL; with "
                           "CertAuthzCRLVerifyCA a distribution point must "
                           "serve a CRL its CA signed", s->cfg.path,
                           certauthz_revlist_format(*out));
        certauthz_revlist_release(*out);
        *out = NULL;
    }
    /* A CRL older than the one in force is an old one replayed (anyone on
     * the path to an http: distribution point can serve one, signature
     * and all), or a CA whose clock went back: the newer stays. */
    else if (err == NULL && s->this_update != 0
             && certauthz_revlist_this_update(*out) < s->this_update) {
        char older[APR_RFC822_DATE_LEN], newer[APR_RFC822_DATE_LEN];

        apr_rfc822_date(older, certauthz_revlist_this_update(*out));
        apr_rfc822_date(newer, s->this_update);
        err = apr_psprintf(p, "%s: the response is older than the list in "
                           "force (CRL thisUpdate %s, in force %s): an old "
                           "CRL served again, or the CA's clock went back",
                           s->cfg.path, older, newer);
        certauthz_revlist_release(*out);
        *out = NULL;
    }
    return err;
}

/* What a fetch of s gave, after start-up. */
static void url_result(certauthz_loader_t *ld, src_t *s,
                       certauthz_fetch_result_t *res, apr_time_t wall,
                       certauthz_revlog_fn *log, void *baton)
{
    certauthz_revlist_t *l = NULL;
    unsigned char md[32];
    apr_pool_t *p;
    const char *err;

    if (res->error != NULL) {
        url_fail(s, res->error, wall, log, baton);
        return;
    }
    if (res->status == 304) {
        url_current(s, log, baton);
        return;
    }
    body_sha(&res->body, md);
    if (memcmp(md, s->body_sha, 32) == 0) {
        /* A server without validators, or new ones for the same bytes:
         * nothing to publish. */
        s->validators = res->validators;
        url_current(s, log, baton);
        return;
    }
    apr_pool_create(&p, ld->pool);
    err = url_load(p, s, &res->body, res->last_modified, &l);
    if (err == NULL && (err = publish(p, ld, s, l)) == NULL) {
        s->validators = res->validators;
        memcpy(s->body_sha, md, 32);
        s->failed = 0;
        s->failed_msg[0] = '\0';
        logf_(log, baton, CERTAUTHZ_REVLOG_NOTICE,
              "%s %s: reloaded, %" APR_UINT64_T_FMT " entries (%s), "
              "version %" APR_UINT64_T_FMT, directive(s), s->cfg.path,
              s->status.entries, s->status.format, s->version);
        if ((err = save_body(p, ld, s, &res->body)) != NULL) {
            logf_(log, baton, CERTAUTHZ_REVLOG_WARN,
                  "%s %s: %s (the next start cannot fall back on it)",
                  directive(s), s->cfg.path, err);
        }
    }
    else {
        url_fail(s, err, wall, log, baton);
    }
    if (l != NULL) {
        certauthz_revlist_release(l);
    }
    apr_pool_destroy(p);
}

static void check_url(certauthz_loader_t *ld, src_t *s, apr_time_t mono,
                      apr_time_t wall, certauthz_revlog_fn *log, void *baton)
{
    apr_interval_time_t every = apr_time_from_sec(s->cfg.interval);
    certauthz_fetch_result_t res;
    apr_pool_t *p;
    const char *err;

    if (every < MIN_FETCH_INTERVAL) {
        every = MIN_FETCH_INTERVAL;
    }
    if (s->fetched_at_start) {
        /* The loader's clock starts now. */
        s->fetched_at_start = 0;
        s->next_due = mono + every;
        return;
    }
    apr_pool_create(&p, ld->pool);
    if (s->xfer == NULL) {
        s->fetch_started = mono;
        err = ld->fetch->start(ld->fetch->ctx, s->cfg.url, &s->validators,
                               &s->xfer);
        if (err != NULL) {
            url_fail(s, apr_psprintf(p, "%s: %s", s->cfg.path, err), wall,
                     log, baton);
            s->next_due = mono + every;
            apr_pool_destroy(p);
            return;
        }
    }
    if (!ld->fetch->finished(ld->fetch->ctx, s->xfer, p, &res)) {
        /* The wait between ticks wakes when the transfer moves. */
        s->next_due = mono + MIN_SLEEP;
        apr_pool_destroy(p);
        return;
    }
    ld->fetch->release(ld->fetch->ctx, s->xfer);
    s->xfer = NULL;
    url_result(ld, s, &res, wall, log, baton);
    certauthz_bigbuf_free(&res.body);
    apr_pool_destroy(p);
    /* Once per interval from the start of the fetch, as a file is
     * checked once per interval. */
    s->next_due = s->fetch_started + every;
}

static const char *start_url(apr_pool_t *p, certauthz_loader_t *ld,
                             src_t *s, certauthz_fetch_result_t *res,
                             certauthz_revlog_fn *log, void *baton)
{
    certauthz_revlist_t *l = NULL;
    certauthz_bigbuf_t copy = {0};
    certauthz_filesig_t sig;
    char name[64], when[APR_RFC822_DATE_LEN];
    struct stat st;
    const char *err = res->error, *why, *e2;
    int fd, changed;

    if (err == NULL && res->status != 200) {
        err = apr_psprintf(p, "%s: HTTP status %d to a plain GET",
                           s->cfg.path, res->status);
    }
    if (err == NULL) {
        err = url_load(p, s, &res->body, res->last_modified, &l);
    }
    if (err == NULL) {
        body_sha(&res->body, s->body_sha);
        s->validators = res->validators;
        s->fetched_at_start = 1;
        err = publish(p, ld, s, l);
        certauthz_revlist_release(l);
        if (err == NULL && (e2 = save_body(p, ld, s, &res->body)) != NULL) {
            logf_(log, baton, CERTAUTHZ_REVLOG_WARN,
                  "%s %s: %s (the next start cannot fall back on it)",
                  directive(s), s->cfg.path, e2);
        }
        return err;
    }
    /* The copy of the last body that loaded, if an earlier start or
     * loader left one: the version in force when the server stopped. */
    body_name(name, s->cfg.path);
    fd = openat(ld->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return apr_psprintf(p, "%s %s, and no copy of an earlier fetch is "
                            "kept in %s to start with", directive(s), err,
                            ld->dir);
    }
    why = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)
        || st.st_uid != geteuid()) {
        why = "not a file of the loader's user";
    }
    else {
        why = certauthz_file_read(p, name, fd, &st, &copy, &changed);
    }
    close(fd);
    if (why == NULL) {
        body_sha(&copy, s->body_sha);
        certauthz_filesig_of(&st, &sig);
        why = url_load(p, s, &copy, certauthz_filesig_mtime(&sig), &l);
    }
    if (why == NULL) {
        why = publish(p, ld, s, l);
        certauthz_revlist_release(l);
    }
    certauthz_bigbuf_free(&copy);
    if (why != NULL) {
        memset(s->body_sha, 0, sizeof(s->body_sha));
        return apr_psprintf(p, "%s %s, and the copy of an earlier fetch "
                            "in %s cannot be used: %s", directive(s), err,
                            ld->dir, why);
    }
    /* In force, and the failure shown until the next fetch works. */
    apr_rfc822_date(when, apr_time_from_sec(st.st_mtime));
    s->failed = 1;
    apr_cpystrn(s->failed_msg, err, sizeof(s->failed_msg));
    s->status.failures++;
    s->status.error_time = apr_time_now();
    apr_cpystrn(s->status.last_error, err, sizeof(s->status.last_error));
    certauthz_slot_publish(s->slot, &s->status, 0);
    logf_(log, baton, CERTAUTHZ_REVLOG_ERROR,
          "%s %s; starting with the copy fetched %s (%" APR_UINT64_T_FMT
          " entries)", directive(s), err, when, s->status.entries);
    return NULL;
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
            if (s->cfg.url != NULL) {
                check_url(ld, s, mono, wall, log, baton);
            }
            else {
                check(ld, s, mono, wall, log, baton);
            }
        }
        if (!s->stale_warned && s->status.next_update != 0
            && wall > s->status.next_update) {
            char when[APR_RFC822_DATE_LEN];

            s->stale_warned = 1;
            apr_rfc822_date(when, s->status.next_update);
            logf_(log, baton, CERTAUTHZ_REVLOG_WARN,
                  "%s %s: a CRL is past its nextUpdate (%s); it is still "
                  "enforced (CertAuthzStaleCRL deny refuses its issuer's "
                  "certificates)", directive(s), s->cfg.path, when);
        }
        if (s->next_due - mono < sleep) {
            sleep = s->next_due - mono;
        }
    }
    return sleep < MIN_SLEEP ? MIN_SLEEP : sleep;
}

void certauthz_loader_wait(certauthz_loader_t *ld, apr_interval_time_t t)
{
    if (ld->fetch != NULL) {
        ld->fetch->wait(ld->fetch->ctx, t);
    }
    else {
        apr_sleep(t);
    }
}
