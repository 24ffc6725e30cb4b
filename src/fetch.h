/*
 * fetch: conditional HTTP(S) GETs of revocation lists from a CA's
 * distribution point (CertAuthzRevocationURL, INTERFACE §9), for the
 * loader (src/loader.h), which fetches while it goes on checking its
 * files: a transfer is started, then polled, never waited for.
 *
 * The loader sees only certauthz_fetch_ops_t, so that src/loader.c needs
 * no HTTP client (the unit tests give it one of their own) and only the
 * module links libcurl.  certauthz_fetch_curl (src/fetch.c) is the real
 * one: libcurl's multi interface, HTTP and HTTPS only (redirects too),
 * with a deadline for the whole transfer and a size limit enforced while
 * the body arrives.
 */
#ifndef CERTAUTHZ_FETCH_H
#define CERTAUTHZ_FETCH_H

#include <apr_pools.h>
#include <apr_time.h>

#include "bigbuf.h"

#define CERTAUTHZ_FETCH_DEFAULT_TIMEOUT apr_time_from_sec(10)
#define CERTAUTHZ_FETCH_DEFAULT_MAX_SIZE ((apr_size_t)64 << 20)

/* How one URL is fetched (CertAuthzRevocationURL and its options). */
typedef struct {
    const char *url;
    apr_interval_time_t timeout;    /* the whole transfer */
    apr_size_t max_size;            /* of the body, after decoding */
    const char *ca_file;            /* HTTPS trust; NULL: the system's */
} certauthz_url_opts_t;

/* The validators of a response, sent back to make the next GET
 * conditional.  Longer ones are not kept (the next GET is then plain). */
typedef struct {
    char etag[256];
    char last_modified[64];
} certauthz_validators_t;

/* What a finished transfer gave. */
typedef struct {
    int status;                     /* 200 or 304; 0 when error is set */
    const char *error;              /* why it failed, for the log */
    certauthz_bigbuf_t body;        /* status 200: owned by the caller */
    certauthz_validators_t validators;  /* status 200 */
    apr_time_t last_modified;       /* status 200; 0 unknown */
} certauthz_fetch_result_t;

typedef struct certauthz_xfer certauthz_xfer_t;

typedef struct {
    void *ctx;
    /* Start a GET of o->url, conditional on v when not NULL.  NULL and
     * *out, or a message. */
    const char *(*start)(void *ctx, const certauthz_url_opts_t *o,
                         const certauthz_validators_t *v,
                         certauthz_xfer_t **out);
    /* 1 when x is over (*res filled, messages from p), else 0. */
    int (*finished)(void *ctx, certauthz_xfer_t *x, apr_pool_t *p,
                    certauthz_fetch_result_t *res);
    /* Forget x, finished or not. */
    void (*release)(void *ctx, certauthz_xfer_t *x);
    /* Sleep up to t, less when a transfer has something to do. */
    void (*wait)(void *ctx, apr_interval_time_t t);
} certauthz_fetch_ops_t;

/*
 * libcurl's implementation (src/fetch.c; the module only).  Call once per
 * process before anything else uses libcurl (libcurl's global set-up is not
 * thread-safe).  NULL and *ops, or a message.  Transfers end when p is
 * cleared.
 */
const char *certauthz_fetch_curl(apr_pool_t *p, certauthz_fetch_ops_t *ops);

#endif
