/*
 * revview: a server process's view of one revocation source: the version
 * the loader published (src/loader.h), mapped read-only from the index
 * directory, swapped for the next one when the loader publishes it.
 * Requests in flight keep the list they started with (reference counted).
 */
#ifndef CERTAUTHZ_REVVIEW_H
#define CERTAUTHZ_REVVIEW_H

#include <sys/types.h>

#include <apr_pools.h>

#include "revocation.h"
#include "revshm.h"

typedef struct certauthz_revview certauthz_revview_t;

/* What went wrong mapping a published version (reported by the glue). */
typedef void certauthz_revview_err_fn(void *baton, const char *msg);

/*
 * A view of source `index` (slot of the table), whose versions are files of
 * generation `generation` in the directory open at dirfd, owned by `owner`
 * (the loader's user): a file owned by anyone else, writable by anyone but
 * its owner, or not a plain file is refused.  The current version is mapped
 * now.
 */
certauthz_revview_t *certauthz_revview_create(apr_pool_t *p,
                                              const certauthz_slot_t *slot,
                                              int dirfd, uid_t owner,
                                              apr_uint64_t generation,
                                              unsigned index,
                                              certauthz_revview_err_fn *err,
                                              void *baton);

/* A view of a list held in memory, for a process without a loader (the
 * list never changes). */
certauthz_revview_t *certauthz_revview_fixed(apr_pool_t *p,
                                             certauthz_revlist_t *list);

/*
 * The list in force, with a reference the caller releases, and its version
 * (*version, may be NULL).  When the loader published a newer version, it
 * is mapped first (one thread at a time; the others meanwhile use the list
 * they have).  NULL when no version could ever be mapped, or when a newer
 * published version could not be mapped for two seconds: the caller fails
 * closed then rather than judge by an old list.
 */
certauthz_revlist_t *certauthz_revview_acquire(certauthz_revview_t *v,
                                               apr_uint64_t *version);

/* The version the loader published (one atomic load). */
apr_uint64_t certauthz_revview_published(const certauthz_revview_t *v);

/* The version this process holds (0: none). */
apr_uint64_t certauthz_revview_held(const certauthz_revview_t *v);

/* The slot's status as published, into out; 0 with no slot (fixed). */
int certauthz_revview_status(const certauthz_revview_t *v,
                             certauthz_slot_view_t *out);

#endif
