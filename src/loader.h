/*
 * loader: the one process that checks and loads the revocation sources
 * (INTERFACE §3), compiles each version once and publishes it to the
 * server's processes, which only ever read.
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
 * httpd-free: the glue (mod_certauthz_loader.c) runs certauthz_loader_tick
 * in its process; the unit tests run it with a time of their choosing.
 */
#ifndef CERTAUTHZ_LOADER_H
#define CERTAUTHZ_LOADER_H

#include <apr_pools.h>
#include <apr_time.h>

#include "revocation.h"
#include "revshm.h"

/* One source: a file, the CA its CRLs must verify against, how often it
 * is checked (the shortest interval of the servers using it; 0: at every
 * tick). */
typedef struct {
    const char *path;
    const char *verify_ca;
    int interval;
} certauthz_loader_src_t;

typedef struct certauthz_loader certauthz_loader_t;

/* The name of version `version` of source `slot` in the index directory:
 * "<generation>-<slot>-<version>.idx", into buf (64 bytes). */
void certauthz_index_name(char buf[64], apr_uint64_t generation,
                          unsigned slot, apr_uint64_t version);

/*
 * A loader for the n sources of table (slot i for srcs[i]), publishing in
 * the directory open at dirfd (dir: its name, for messages).  initial[i]
 * is the list loaded at start-up (the configuration check): it is published
 * now as version 1.  NULL, or a message (nothing usable was published).
 */
const char *certauthz_loader_create(apr_pool_t *p, certauthz_table_t *table,
                                    int dirfd, const char *dir, int n,
                                    const certauthz_loader_src_t *srcs,
                                    certauthz_revlist_t *const *initial,
                                    certauthz_loader_t **out);

/*
 * Check the sources due at monotonic time mono (wall: the clock the status
 * page shows), load those whose change has been stable for a second,
 * publish each new version, remove the one it replaced, report each reload
 * at notice, each failure once per version of the file at error, and a CRL
 * past its nextUpdate once per load as a warning.  Returns how long the
 * caller may sleep before the next call.
 */
apr_interval_time_t certauthz_loader_tick(certauthz_loader_t *ld,
                                          apr_time_t mono, apr_time_t wall,
                                          certauthz_revlog_fn *log,
                                          void *baton);

/* The version in force of source i (for tests). */
apr_uint64_t certauthz_loader_version(const certauthz_loader_t *ld, int i);

#endif
