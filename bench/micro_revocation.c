/*
 * micro sections of the revocation lists (src/revocation.h): loading the
 * large lists genlists writes, and looking a certificate up in the
 * 1M-entry plain list.
 *
 * Lookups cycle through 65536 certificates, far more than the caches hold of
 * a 1M-entry index, so every probe pays the memory latency a server sees
 * with many devices, not the one of a hot cache line.
 */
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

#include "bench/micro.h"
#include "src/revocation.h"

#define LOOKUP_CERTS 65536

/* Fixtures of this single-threaded program, set by setup(). */
static const char *load_path;
static apr_pool_t *load_pool;
static certauthz_revlist_t *lookup_list;
static certauthz_cert_t *lookup_certs;
static apr_time_t lookup_now;

static const certauthz_revopts_t no_cache = {NULL};

static const char *setup_load(apr_pool_t *p, const char *dir, long entries,
                              const char *name)
{
    certauthz_revlist_t *list = NULL;
    const char *err;

    load_path = apr_psprintf(p, "%s/%s", dir,
                             apr_psprintf(p, name, entries));
    apr_pool_create(&load_pool, p);
    /* One load outside the timing: it checks the file is there and whole,
     * and leaves the page cache as warm as a server's start-up finds it. */
    err = certauthz_revlist_load(load_pool, load_path, &no_cache, &list);
    if (err != NULL) {
        return err;
    }
    if (certauthz_revlist_entries(list) != (apr_size_t)entries) {
        err = apr_psprintf(p, "%s: %lu entries loaded, %ld expected",
                           load_path,
                           (unsigned long)certauthz_revlist_entries(list),
                           entries);
    }
    certauthz_revlist_release(list);
    apr_pool_clear(load_pool);
    return err;
}

static const char *setup_plain(apr_pool_t *p, const char *d, long n)
{
    return setup_load(p, d, n, "plain-%ld.txt");
}

static const char *setup_index(apr_pool_t *p, const char *d, long n)
{
    return setup_load(p, d, n, "index-%ld.txt");
}

static const char *setup_crl_pem(apr_pool_t *p, const char *d, long n)
{
    return setup_load(p, d, n, "crl-%ld.pem");
}

static const char *setup_crl_der(apr_pool_t *p, const char *d, long n)
{
    return setup_load(p, d, n, "crl-%ld.der");
}

static void load_loop(long n)
{
    long i, ok = 0;

    for (i = 0; i < n; i++) {
        certauthz_revlist_t *list = NULL;

        if (certauthz_revlist_load(load_pool, load_path, &no_cache,
                                   &list) == NULL) {
            ok++;
            certauthz_revlist_release(list);
        }
        apr_pool_clear(load_pool);
    }
    micro_sink = ok;
}

static apr_status_t release_list(void *list)
{
    certauthz_revlist_release(list);
    return APR_SUCCESS;
}

/* Certificates for lookups: serials from the list itself (hit) or from a
 * generator the list never used (miss); either way the answer is checked
 * before timing, so a broken lookup cannot produce a fast figure. */
static const char *setup_lookup(apr_pool_t *p, const char *dir, long entries,
                                int hit)
{
    const char *path = apr_psprintf(p, "%s/serials-%ld.bin", dir, entries);
    const char *err;
    unsigned char *serials;
    FILE *f;
    long i;
    unsigned long x = 88172645463325252UL;

    err = setup_plain(p, dir, entries);
    if (err != NULL) {
        return err;
    }
    err = certauthz_revlist_load(p, load_path, &no_cache, &lookup_list);
    if (err != NULL) {
        return err;
    }
    apr_pool_cleanup_register(p, lookup_list, release_list,
                              apr_pool_cleanup_null);
    serials = apr_palloc(p, (apr_size_t)entries * 16);
    f = fopen(path, "rb");
    if (f == NULL || fread(serials, 16, (size_t)entries, f) != (size_t)entries) {
        if (f != NULL) {
            fclose(f);
        }
        return apr_psprintf(p, "cannot read %s", path);
    }
    fclose(f);

    lookup_now = apr_time_now();
    lookup_certs = apr_pcalloc(p, sizeof(*lookup_certs) * LOOKUP_CERTS);
    for (i = 0; i < LOOKUP_CERTS; i++) {
        certauthz_cert_t *c = &lookup_certs[i];
        unsigned char *s = apr_palloc(p, 16);
        certauthz_reason_e r;

        /* xorshift: spread the picks over the whole list. */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (hit) {
            memcpy(s, serials + (x % (unsigned long)entries) * 16, 16);
        }
        else {
            memcpy(s, &x, sizeof(x));
            memcpy(s + 8, &i, sizeof(i));
            s[0] = 0x05; /* genlists' serials start with 0x1X..0x7X */
        }
        c->serial = s;
        c->serial_len = 16;
        c->serial_hex = "";
        c->fingerprint = "";
        memcpy(c->sha256, s, 16);
        r = certauthz_revlist_check(lookup_list, c, lookup_now, 0);
        if ((r == CERTAUTHZ_REASON_REVOKED) != hit) {
            return apr_psprintf(p, "lookup of certificate %ld answered %s",
                                i, certauthz_reason_name(r));
        }
    }
    return NULL;
}

static const char *setup_hit(apr_pool_t *p, const char *d, long n)
{
    return setup_lookup(p, d, n, 1);
}

static const char *setup_miss(apr_pool_t *p, const char *d, long n)
{
    return setup_lookup(p, d, n, 0);
}

static void lookup_loop(long n)
{
    long i, revoked = 0;

    for (i = 0; i < n; i++) {
        revoked += certauthz_revlist_check(
                       lookup_list, &lookup_certs[i & (LOOKUP_CERTS - 1)],
                       lookup_now, 0) == CERTAUTHZ_REASON_REVOKED;
    }
    micro_sink = revoked;
}

const micro_section_t micro_revocation_sections[] = {
    {"lookup-hit", "ns/op", setup_hit, lookup_loop, 100000},
    {"lookup-miss", "ns/op", setup_miss, lookup_loop, 100000},
    {"load-plain", "ms/op", setup_plain, load_loop, 1},
    {"load-index", "ms/op", setup_index, load_loop, 1},
    {"load-crl-pem", "ms/op", setup_crl_pem, load_loop, 1},
    {"load-crl-der", "ms/op", setup_crl_der, load_loop, 1},
    {NULL, NULL, NULL, NULL, 0}
};
