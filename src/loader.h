/*
 * loader: the one process that checks and loads the revocation sources
 * (INTERFACE §3, and the distribution points of §9), compiles each version
 * once and publishes it to the server's processes, which only ever read.
 *
 * A version is published as a compiled index file in a directory only the
 * loader's user can write (the children open it through a directory
 * descriptor the parent opened, and check its owner and mode), then as the
 * version number in the source's slot of the sealed table (src/revshm.h).
 * The loader alone writes both, so nothing older can ever replace what is
 * in force: a failed load keeps it.
 *
 * Change detection is the loader's own observation on a monotonic clock: a
 * file whose signature (device, inode, size, mtime, ctime) differs from the
 * version in force is loaded once the loader has seen the same signature
 * for a second.  A file written in place is never taken half-written, and
 * no file time (in the future, say) or clock step can stall a reload.
 *
 * A distribution point (CertAuthzRevocationURL) is fetched once per
 * interval with a conditional GET (src/fetch.h), while the files go on
 * being checked; a 304, or a body the same as the version in force,
 * changes nothing.  A body that loads is published like a file's version,
 * and kept in the index directory ("url-*.body") as the copy a later start
 * uses when the distribution point does not answer then.
 *
 * httpd-free: the glue (mod_certauthz_loader.c) runs certauthz_loader_tick
 * in its process; the unit tests run it with a time of their choosing.
 */
#ifndef CERTAUTHZ_LOADER_H
#define CERTAUTHZ_LOADER_H

#include <apr_pools.h>
#include <apr_time.h>

#include "fetch.h"
#include "revocation.h"
#include "revshm.h"

/* One source: a file or a URL, the CA its CRLs must verify against, how
 * often it is checked (the shortest interval of the servers using it; 0:
 * at every tick, a URL at most once a second). */
typedef struct {
    const char *path;               /* the file, or the URL */
    const char *verify_ca;
    int interval;
    const certauthz_url_opts_t *url;    /* how a URL is fetched; NULL for a
                                         * file */
} certauthz_loader_src_t;

typedef struct certauthz_loader certauthz_loader_t;

/* The name of version `version` of source `slot` in the index directory:
 * "<generation>-<slot>-<version>.idx", into buf (64 bytes). */
void certauthz_index_name(char buf[64], apr_uint64_t generation,
                          unsigned slot, apr_uint64_t version);

/*
 * A loader for the n sources of table (slot i for srcs[i]), publishing in
 * the directory open at dirfd (dir: its name, for messages).  initial[i]
 * is the file's list loaded at start-up (the configuration check): it is
 * published now as version 1.  A URL is fetched now (fetch: the client;
 * may be NULL when no source is a URL); when it cannot be fetched or
 * loaded, the copy kept from an earlier fetch stands in (reported through
 * log), and without one the loader is not made.  NULL, or a message
 * (nothing usable was published).
 */
const char *certauthz_loader_create(apr_pool_t *p, certauthz_table_t *table,
                                    int dirfd, const char *dir, int n,
                                    const certauthz_loader_src_t *srcs,
                                    certauthz_revlist_t *const *initial,
                                    const certauthz_fetch_ops_t *fetch,
                                    certauthz_revlog_fn *log, void *baton,
                                    certauthz_loader_t **out);

/*
 * Check the sources due at monotonic time mono (wall: the clock the status
 * page shows), load those whose change has been stable for a second,
 * start or finish the fetch of each URL due, publish each new version,
 * remove the one it replaced, report each reload at notice, each failure
 * once per version of the file (per different failure of a URL) at error,
 * and a CRL past its nextUpdate once per load as a warning.  Returns how
 * long the caller may sleep (certauthz_loader_wait) before the next call.
 */
apr_interval_time_t certauthz_loader_tick(certauthz_loader_t *ld,
                                          apr_time_t mono, apr_time_t wall,
                                          certauthz_revlog_fn *log,
                                          void *baton);

/* Sleep up to t, less when a fetch has something to do. */
void certauthz_loader_wait(certauthz_loader_t *ld, apr_interval_time_t t);

/*
 * In a loader started again after the one before it ended (the copy the
 * parent kept is as old as the start-up): take the versions that one
 * published from the table, so that numbering goes on above them, and
 * check and load every source again at the next tick.
 */
void certauthz_loader_resume(certauthz_loader_t *ld);

/* The version in force of source i (for tests). */
apr_uint64_t certauthz_loader_version(const certauthz_loader_t *ld, int i);

#endif
