/*
 * storecache: a server process's memory of what the revocation store
 * (CertAuthzRevocationStore) answered for a certificate, so that its
 * lookups cost a round trip once per certificate and
 * CertAuthzStoreCacheSeconds, not once per request or connection.
 *
 * A fixed table of entries, each at the place its certificate's SHA-256
 * picks (uniform: no one can aim many certificates at one place without
 * finding SHA-256 preimages): no allocation after creation and a bounded
 * size whatever the number of devices; a certificate whose place another
 * took is simply looked up again.  Thread-safe (one lock, held for a
 * copy).
 */
#ifndef CERTAUTHZ_STORECACHE_H
#define CERTAUTHZ_STORECACHE_H

#include <apr_pools.h>
#include <apr_time.h>

typedef enum {
    CERTAUTHZ_STORE_NOT_REVOKED = 1,
    CERTAUTHZ_STORE_REVOKED,
    CERTAUTHZ_STORE_UNAVAILABLE     /* the store did not answer */
} certauthz_store_verdict_e;

typedef struct certauthz_storecache certauthz_storecache_t;

/* A cache of `entries` places (rounded up to a power of two), from p. */
certauthz_storecache_t *certauthz_storecache_create(apr_pool_t *p,
                                                    unsigned entries);

/* The verdict kept for the certificate whose SHA-256 is fp, when it is
 * younger than max_age at `now` (an UNAVAILABLE one: younger than a
 * second, too, so that an outage past is not taken for one under way):
 * the verdict, *until set to when it stops holding; 0 when there is none.
 * The age is the reader's: virtual hosts that share a store and a cache
 * but not CertAuthzStoreCacheSeconds each get at most their own. */
int certauthz_storecache_get(certauthz_storecache_t *c,
                             const unsigned char fp[32], apr_time_t now,
                             apr_interval_time_t max_age, apr_time_t *until);

/* Keep verdict v for fp, as the store answered it at `when`. */
void certauthz_storecache_put(certauthz_storecache_t *c,
                              const unsigned char fp[32],
                              certauthz_store_verdict_e v, apr_time_t when);

#endif
