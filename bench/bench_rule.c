/*
 * bench_rule: the cost of one Require decision in src/ (no httpd, no TLS):
 * certauthz_rule_match() of a compiled rule on an already parsed
 * certificate, which is what cert_check() does per Require line once the
 * connection's certificate is cached.  `make bench-rule` prints ns/decision.
 */
#include <stdio.h>
#include <time.h>

#include <apr_general.h>

#include "src/certinfo.h"
#include "src/rule.h"
#include "t/unit/certgen.h"

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(apr_pool_t *p, const certauthz_cert_t *c, const char *what,
                certauthz_rule_kind_e kind, int argc, const char *const *argv)
{
    certauthz_rule_t *rule = NULL;
    const char *err = certauthz_rule_compile(p, kind, argc, argv, &rule);
    long i, n = 2000000, hits = 0;
    double t0, t1;

    if (err != NULL) {
        fprintf(stderr, "%s: %s\n", what, err);
        return;
    }
    for (i = 0; i < 10000; i++) { /* warm caches and thread data */
        hits += certauthz_rule_match(rule, c) == 1;
    }
    t0 = now();
    for (i = 0; i < n; i++) {
        hits += certauthz_rule_match(rule, c) == 1;
    }
    t1 = now();
    printf("%-58s %7.1f ns/decision (%s)\n", what, (t1 - t0) * 1e9 / (double)n,
           hits ? "grants" : "denies");
}

int main(void)
{
    apr_pool_t *p;
    X509_NAME *n = X509_NAME_new();
    X509 *x;
    certauthz_cert_t *c = NULL;
    static const unsigned char serial[] = {
        0x7f, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
        0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0xff};
    static const char *const exact5[] = {"C=US", "O=MyOrg", "OU=Devices",
                                         "L=Springfield", "CN=client1"};
    static const char *const mixed5[] = {"C=US", "O=MyOrg", "OU~^Dev",
                                         "L=Springfield", "CN~^client[0-9]+$"};
    static const char *const serials[] = {
        "0x01", "0x02", "7f0102030405060708090a0b0c0d0e0f101112ff"};
    static const char *const sans[] = {"dns:*.example.org", "ip:10.0.0.0/8",
                                       "email:*@example.com"};

    apr_initialize();
    apr_pool_create(&p, NULL);
    certgen_add(n, "C", MBSTRING_UTF8, "US", -1, 0);
    certgen_add(n, "ST", MBSTRING_UTF8, "Illinois", -1, 0);
    certgen_add(n, "L", MBSTRING_UTF8, "Springfield", -1, 0);
    certgen_add(n, "O", MBSTRING_UTF8, "MyOrg", -1, 0);
    certgen_add(n, "OU", MBSTRING_UTF8, "Devices", -1, 0);
    certgen_add(n, "CN", MBSTRING_UTF8, "client1", -1, 0);
    x = certgen_cert(n, serial, sizeof(serial),
                     "DNS:host.example.com,IP:192.168.1.2,"
                     "email:client1@example.com");
    if (certauthz_cert_from_x509(p, x, &c) != NULL) {
        return 1;
    }
    run(p, c, "cert-subject, 5 exact conditions (6-value DN)",
        CERTAUTHZ_RULE_SUBJECT, 5, exact5);
    run(p, c, "cert-subject, 3 exact + 2 regex conditions",
        CERTAUTHZ_RULE_SUBJECT, 5, mixed5);
    run(p, c, "cert-serial, 3 serials (match on the last, 20 bytes)",
        CERTAUTHZ_RULE_SERIAL, 3, serials);
    run(p, c, "cert-san, 3 patterns over 3 SANs (email matches last)",
        CERTAUTHZ_RULE_SAN, 3, sans);
    X509_free(x);
    X509_NAME_free(n);
    apr_pool_destroy(p);
    apr_terminate();
    return 0;
}
