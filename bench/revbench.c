/*
 * revbench: load time and lookup time of a revocation file through the same
 * code the module uses (src/revocation.h).
 *
 *   revbench FILE CACHE-DIR|- [ISSUER.crt [VERIFY-CA.pem]]
 *
 * ISSUER.crt is the CA whose certificates are looked up (a CRL's entries
 * apply to its issuer only).
 * Prints the load time with an empty cache directory (parse + compile +
 * write the index), the load time when the index is already there (what
 * the other processes pay), and the mean time of a lookup of a certificate
 * that is on no list and of one that is.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>

#include <openssl/pem.h>

#include "src/revocation.h"

static double secs(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    apr_pool_t *p;
    certauthz_revopts_t o = {NULL, NULL};
    certauthz_revlist_t *l;
    certauthz_cert_t c;
    const char *err;
    double t0, t1, t2;
    unsigned char serial[4] = {0x10, 0x00, 0x00, 0x00};
    long i, n = 10000000, hits = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: revbench FILE CACHE-DIR|- [ISSUER.crt "
                "[VERIFY-CA]]\n");
        return 2;
    }
    apr_initialize();
    apr_pool_create(&p, NULL);
    o.cache_dir = strcmp(argv[2], "-") ? argv[2] : NULL;
    o.verify_ca = argc > 4 ? argv[4] : NULL;

    t0 = secs();
    err = certauthz_revlist_load(p, argv[1], &o, &l);
    t1 = secs();
    if (err != NULL) {
        fprintf(stderr, "revbench: %s\n", err);
        return 1;
    }
    printf("%s: %lu entries (%s)\n", argv[1],
           (unsigned long)certauthz_revlist_entries(l),
           certauthz_revlist_format(l));
    printf("  load, no index yet:      %8.3f s\n", t1 - t0);
    certauthz_revlist_release(l);
    if (o.cache_dir != NULL) {
        t0 = secs();
        certauthz_revlist_load(p, argv[1], &o, &l);
        t1 = secs();
        printf("  load, index present:     %8.3f s\n", t1 - t0);
        certauthz_revlist_release(l);
    }
    certauthz_revlist_load(p, argv[1], &o, &l);

    /* A certificate as certinfo fills it: only the fields the check reads. */
    memset(&c, 0, sizeof(c));
    if (argc > 3) {
        FILE *f = fopen(argv[3], "r");
        X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

        if (x == NULL) {
            fprintf(stderr, "revbench: cannot read %s\n", argv[3]);
            return 1;
        }
        certauthz_name_key(X509_get_subject_name(x), c.issuer_key);
        X509_free(x);
        fclose(f);
    }
    c.serial = serial;
    c.serial_len = sizeof(serial);
    t0 = secs();
    for (i = 0; i < n; i++) {
        serial[3] = (unsigned char)i;
        serial[2] = (unsigned char)(i >> 8);
        serial[1] = 0x40 | (unsigned char)(i >> 16);  /* on no list */
        c.sha256[0] = (unsigned char)i;
        hits += certauthz_revlist_check(l, &c, 0, 1) != CERTAUTHZ_REASON_OK;
    }
    t1 = secs();
    for (i = 0; i < n; i++) {
        long s = 1 + (i * 7919) % 1000000;

        serial[0] = 0x10;
        serial[1] = (unsigned char)(s >> 16);
        serial[2] = (unsigned char)(s >> 8);
        serial[3] = (unsigned char)s;
        hits += certauthz_revlist_check(l, &c, 0, 1) != CERTAUTHZ_REASON_OK;
    }
    t2 = secs();
    printf("  lookup, not listed:      %8.1f ns\n", (t1 - t0) / n * 1e9);
    printf("  lookup, listed serial:   %8.1f ns  (%ld revoked of %ld)\n",
           (t2 - t1) / n * 1e9, hits, 2 * n);
    certauthz_revlist_release(l);
    apr_pool_destroy(p);
    apr_terminate();
    return 0;
}
