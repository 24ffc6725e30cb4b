/*
 * revocation: the revocation sources of INTERFACE §3.
 *
 * Minimal form from the logging branch: only what the status page reads.
 * The revocation branch owns this file and replaces it.
 */
#ifndef CERTAUTHZ_REVOCATION_H
#define CERTAUTHZ_REVOCATION_H

#include <apr_pools.h>
#include <apr_time.h>

/* What the status page shows of one revocation source. */
typedef struct {
    const char *path;
    const char *format;
    apr_size_t entries;
    apr_time_t loaded;
    apr_time_t mtime;
    apr_time_t next_update;     /* 0 if none */
    int stale;
    const char *last_error;     /* NULL if none */
} certauthz_revinfo_t;

#endif
