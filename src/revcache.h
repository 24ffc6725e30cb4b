/*
 * revcache: the cache directory of compiled indexes (certauthz_revopts_t
 * cache_dir), where the processes of a server share each version of a
 * source's index and the name of the last good one.  Internal to src/:
 * used by certauthz_revlist_load and the sources layer (src/revsrc.c).
 */
#ifndef CERTAUTHZ_REVCACHE_H
#define CERTAUTHZ_REVCACHE_H

#include "revindex.h"

/* The cache file of one version (sig) of a source: a digest of everything
 * the index depends on; without sig, the source's pointer file.  malloc'd,
 * or NULL. */
char *certauthz_revcache_name(const char *dir, const char *path,
                              const certauthz_revopts_t *opts,
                              const certauthz_filesig_t *sig);

/* The list in cache file `name` (never through a symbolic link), when it
 * is a valid index of version sig (of any version when sig is NULL);
 * index_path set.  NULL otherwise. */
certauthz_revlist_t *certauthz_revcache_map(const char *name,
                                            const certauthz_filesig_t *sig);

/* Write l to the cache file `name` (malloc'd; taken over) through a
 * temporary file and a rename, and return the list mapped from there; NULL
 * when that fails (l is kept either way). */
certauthz_revlist_t *certauthz_revcache_store(const certauthz_revlist_t *l,
                                              char *name);

#endif
