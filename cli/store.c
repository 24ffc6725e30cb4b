/*
 * The revocation store of a fleet (CertAuthzRevocationStore) as the
 * certauthz command writes it: Redis, through APR-util's apr_redis, the
 * client mod_socache_redis itself uses, with the keys of src/storekey.h.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include <apr_network_io.h>
#include <apr_redis.h>
#include <apr_strings.h>

#include "src/storekey.h"

/* Seconds the command waits for an answer. */
#define STORE_TIMEOUT 5

struct cli_store {
    apr_pool_t *p;
    const char *name;       /* "redis 127.0.0.1:6379", for messages */
    apr_redis_t *rc;
};

static const char *apr_err(apr_pool_t *p, apr_status_t rv)
{
    char buf[256];

    return apr_pstrdup(p, apr_strerror(rv, buf, sizeof(buf)));
}

const char *cli_store_open(apr_pool_t *p, const char *spec, cli_store_t **out)
{
    cli_store_t *st = apr_pcalloc(p, sizeof(*st));
    apr_redis_server_t *rs;
    char *host = NULL, *scope = NULL;
    apr_port_t port = 0;
    apr_status_t rv;

    if (strncmp(spec, "redis:", 6) != 0) {
        return apr_psprintf(p, "--store '%s': the certauthz command writes "
                            "to redis:HOST:PORT only", spec);
    }
    if (apr_parse_addr_port(&host, &scope, &port, spec + 6, p) != APR_SUCCESS
        || host == NULL || scope != NULL) {
        return apr_psprintf(p, "--store '%s': not redis:HOST:PORT", spec);
    }
    if (port == 0) {
        port = 6379;
    }
    st->p = p;
    st->name = apr_psprintf(p, "redis %s:%u", host, (unsigned)port);
    /* One connection, kept the whole time, timeouts in seconds (APR's
     * unit for this one). */
    if ((rv = apr_redis_create(p, 1, 0, &st->rc)) != APR_SUCCESS
        || (rv = apr_redis_server_create(p, host, port, 0, 1, 1,
                                         apr_time_from_sec(60),
                                         STORE_TIMEOUT, &rs))
               != APR_SUCCESS
        || (rv = apr_redis_add_server(st->rc, rs)) != APR_SUCCESS) {
        return apr_psprintf(p, "--store %s: %s", st->name, apr_err(p, rv));
    }
    /* APR's client answers "not found" for a server it could not reach
     * before: reach it once first, so that every later answer is one. */
    if ((rv = apr_redis_ping(rs)) != APR_SUCCESS) {
        return apr_psprintf(p, "--store: cannot reach %s: %s", st->name,
                            apr_err(p, rv));
    }
    *out = st;
    return NULL;
}

const char *cli_store_name(const cli_store_t *st)
{
    return st->name;
}

const char *cli_store_put(cli_store_t *st, const unsigned char *id,
                          apr_size_t len, const char *value,
                          apr_uint32_t ttl)
{
    const char *key = certauthz_store_key(st->p, id, len);
    apr_status_t rv;

    rv = apr_redis_setex(st->rc, key, (char *)value, strlen(value), ttl, 0);
    if (rv == APR_SUCCESS) {
        /* The marker that lets servers trust a miss: whoever writes a
         * revocation makes sure the store has it. */
        const char *mkey = certauthz_store_key(st->p,
                                               certauthz_store_marker_id,
                                               certauthz_store_marker_len);
        static const char mval[] = "certauthz: revocations are kept here";

        rv = apr_redis_set(st->rc, mkey, (char *)mval, sizeof(mval) - 1, 0);
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(st->p, "--store %s: cannot write %s: %s",
                            st->name, key, apr_err(st->p, rv));
    }
    return NULL;
}

const char *cli_store_remove(cli_store_t *st, const unsigned char *id,
                             apr_size_t len, int *removed)
{
    const char *key = certauthz_store_key(st->p, id, len);
    apr_status_t rv = apr_redis_delete(st->rc, key, 0);

    *removed = rv == APR_SUCCESS;
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        return apr_psprintf(st->p, "--store %s: cannot remove %s: %s",
                            st->name, key, apr_err(st->p, rv));
    }
    return NULL;
}
