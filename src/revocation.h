/*
 * revocation: the revocation sources of INTERFACE §3.
 *
 * A source is one file (PEM CRLs, a DER CRL, an `openssl ca` index.txt or a
 * plain list of serials and fingerprints).  Loading it compiles the entries
 * into a compact open-addressing hash index (src/revindex.h) that can be
 * saved to a file and mapped read-only and shared: every process that maps
 * the same version maps the same pages, so a million entries cost their
 * memory once per machine, not once per child.  Lookups are a few hash
 * probes whatever the size of the list.
 *
 * The formats are read by src/revlist_text.c (plain list, index.txt) and
 * src/crl.c (CRLs, strictly: see there which RFC 5280 features are
 * honoured and which are refused), signatures checked by
 * src/crl_verify.c.
 *
 * A list (certauthz_revlist_t) is immutable and reference counted: a
 * request holds a reference to the list it started with for as long as it
 * runs.  Which version of a file is in force is the loader's business
 * (src/loader.h); a server process's view of it is src/revview.h.
 */
#ifndef CERTAUTHZ_REVOCATION_H
#define CERTAUTHZ_REVOCATION_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "certinfo.h"
#include "file.h"
#include "reason.h"

typedef struct certauthz_revlist certauthz_revlist_t;

/* What the status page shows of one source. */
typedef struct {
    const char *path;
    const char *format;         /* "crl-pem", "crl-der", "index", "list" */
    apr_size_t entries;
    apr_time_t loaded;          /* when the current list was loaded */
    apr_time_t mtime;           /* the loaded file's modification time */
    apr_time_t next_update;     /* earliest CRL nextUpdate, 0 if none */
    int stale;                  /* a CRL of the list is past nextUpdate */
    const char *last_error;     /* the failed reload since, NULL if none */
    apr_time_t error_time;      /* when it failed */
    apr_uint64_t failures;      /* reloads that failed, ever */
    apr_uint64_t version;       /* the version in force everywhere */
    apr_uint64_t held;          /* the version this process uses */
    int shared_by;              /* virtual hosts using the source */
} certauthz_revinfo_t;

/* How a list is loaded. */
typedef struct {
    /* PEM file of CA certificates that every CRL's signature must verify
     * against, or NULL. */
    const char *verify_ca;
} certauthz_revopts_t;

typedef enum {
    CERTAUTHZ_REVLOG_ERROR,
    CERTAUTHZ_REVLOG_WARN,
    CERTAUTHZ_REVLOG_NOTICE
} certauthz_revlog_e;

/* Where a source reports reloads and failures (the glue's error log). */
typedef void certauthz_revlog_fn(void *baton, certauthz_revlog_e level,
                                 const char *msg);

/* Load a file into a new list holding one reference.  On failure returns a
 * message naming the file (and, for text formats, the line and the token),
 * allocated from p; on success NULL.  The file is opened with
 * certauthz_file_open (a FIFO or a device is refused without blocking; a
 * symbolic link is followed). */
const char *certauthz_revlist_load(apr_pool_t *p, const char *path,
                                   const certauthz_revopts_t *opts,
                                   certauthz_revlist_t **out);

/* The same; when it fails only because the file changed while it was
 * read (it is being written: try again once it is stable), *changed is
 * set. */
const char *certauthz_revlist_load_ex(apr_pool_t *p, const char *path,
                                      const certauthz_revopts_t *opts,
                                      certauthz_revlist_t **out,
                                      int *changed);

/* The same for content held in memory (a response of a distribution
 * point, CertAuthzRevocationURL): `name` stands for the path in messages,
 * mtime for the file's modification time (0: unknown).  data may grow by
 * a byte. */
const char *certauthz_revlist_load_mem(apr_pool_t *p, const char *name,
                                       certauthz_bigbuf_t *data,
                                       apr_time_t mtime,
                                       const certauthz_revopts_t *opts,
                                       certauthz_revlist_t **out);

/* Write the list's compiled index to fd (from its current offset), for
 * certauthz_revlist_map.  APR_SUCCESS, or the errno of the failed write. */
apr_status_t certauthz_revlist_save(const certauthz_revlist_t *list, int fd);

/*
 * Map an index written by certauthz_revlist_save: read-only and shared
 * (PROT_READ, MAP_SHARED), so every process mapping the file shares its
 * pages.  Before anything in it is used, every header field, size, slot
 * and record offset is checked, and the header is copied into the list
 * once: whatever bytes the file holds (or comes to hold while mapped),
 * lookups stay inside the mapping and end.  A file shortened while mapped
 * can still raise SIGBUS: map only files that nobody but their writer can
 * change.  Returns NULL with *out holding one reference (fd may be closed
 * then), or a static message saying what is wrong with the file.
 */
const char *certauthz_revlist_map(int fd, certauthz_revlist_t **out);

/* Reference counting: thread-safe.  The last release unmaps the index. */
void certauthz_revlist_ref(certauthz_revlist_t *list);
void certauthz_revlist_release(certauthz_revlist_t *list);

/* OK, REVOKED or (when stale_deny and a CRL of the certificate's issuer is
 * past its nextUpdate at `now`) CRL_STALE.  Constant time; thread-safe; no
 * allocation. */
certauthz_reason_e certauthz_revlist_check(const certauthz_revlist_t *list,
                                           const certauthz_cert_t *cert,
                                           apr_time_t now, int stale_deny);

/* What the status page and the metrics show of a list. */
apr_size_t certauthz_revlist_entries(const certauthz_revlist_t *list);
/* "crl-pem", "crl-der", "index" or "list". */
const char *certauthz_revlist_format(const certauthz_revlist_t *list);
/* The earliest nextUpdate of its CRLs, 0 when none has one. */
apr_time_t certauthz_revlist_next_update(const certauthz_revlist_t *list);
/* The latest thisUpdate of the list's CRLs, for a list loaded in this
 * process (0: no CRL, or a list mapped from an index file). */
apr_time_t certauthz_revlist_this_update(const certauthz_revlist_t *list);
/* Whether a CRL of the list is past its nextUpdate at `now`. */
int certauthz_revlist_stale(const certauthz_revlist_t *list, apr_time_t now);
/* The modification time of the source file version it was loaded from. */
apr_time_t certauthz_revlist_mtime(const certauthz_revlist_t *list);
/* When this process loaded or mapped it. */
apr_time_t certauthz_revlist_loaded(const certauthz_revlist_t *list);

#endif
