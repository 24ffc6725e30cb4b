/*
 * storecache: the per-process verdicts of the revocation store (see
 * storecache.h).
 */
#include "storecache.h"

#include <string.h>

#include <apr_thread_mutex.h>

typedef struct {
    unsigned char fp[32];
    apr_time_t when;                /* when the store answered */
    int verdict;                    /* 0: empty */
} entry_t;

struct certauthz_storecache {
    apr_thread_mutex_t *lock;
    unsigned mask;
    entry_t *entries;
};

certauthz_storecache_t *certauthz_storecache_create(apr_pool_t *p,
                                                    unsigned entries)
{
    certauthz_storecache_t *c = apr_pcalloc(p, sizeof(*c));
    unsigned n = 1;

    while (n < entries && n < (1u << 20)) {
        n <<= 1;
    }
    c->mask = n - 1;
    c->entries = apr_pcalloc(p, sizeof(entry_t) * n);
    apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, p);
    return c;
}

static entry_t *place(const certauthz_storecache_t *c,
                      const unsigned char fp[32])
{
    unsigned h = (unsigned)fp[0] | (unsigned)fp[1] << 8
                 | (unsigned)fp[2] << 16 | (unsigned)fp[3] << 24;

    return &c->entries[h & c->mask];
}

int certauthz_storecache_get(certauthz_storecache_t *c,
                             const unsigned char fp[32], apr_time_t now,
                             apr_interval_time_t max_age, apr_time_t *until)
{
    entry_t *e = place(c, fp);
    int v = 0;

    apr_thread_mutex_lock(c->lock);
    if (e->verdict != 0 && memcmp(e->fp, fp, 32) == 0) {
        apr_interval_time_t age = max_age;

        if (e->verdict == CERTAUTHZ_STORE_UNAVAILABLE
            && age > APR_USEC_PER_SEC) {
            age = APR_USEC_PER_SEC;
        }
        if (now >= e->when && now < e->when + age) {
            v = e->verdict;
            *until = e->when + age;
        }
    }
    apr_thread_mutex_unlock(c->lock);
    return v;
}

void certauthz_storecache_put(certauthz_storecache_t *c,
                              const unsigned char fp[32],
                              certauthz_store_verdict_e v, apr_time_t when)
{
    entry_t *e = place(c, fp);

    apr_thread_mutex_lock(c->lock);
    memcpy(e->fp, fp, 32);
    e->verdict = (int)v;
    e->when = when;
    apr_thread_mutex_unlock(c->lock);
}
