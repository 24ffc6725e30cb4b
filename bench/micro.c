/*
 * micro: what one operation of src/ costs, in nanoseconds (median of timed
 * batches) and, under callgrind, in instructions.
 *
 *   micro [-l LISTS_DIR] [-e ENTRIES] [-r REPEATS] [SECTION...]
 *   micro -c N SECTION     run N iterations once, untimed, for callgrind
 *
 * Each result is one line "NAME VALUE UNIT"; a section that cannot run on
 * this build prints "NAME skip REASON".  Sections are listed by micro -h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/pem.h>

#include "bench/micro.h"
#include "src/certinfo.h"
#include "src/rule.h"
#include "t/unit/certgen.h"

volatile long micro_sink;

/* ------------------------------------------------------------------ */
/* Rule decisions and certificate parsing                               */

/* The benchmark fixtures are built once by setup() and only read by the
 * loops: this is a single-threaded program. */
static const certauthz_cert_t *bench_cert;
static const certauthz_rule_t *bench_rule;
static char *bench_pem;
static apr_size_t bench_pem_len;
static apr_pool_t *parse_pool;

/* A device certificate with the six attributes a real one carries. */
static X509 *device_x509(void)
{
    X509_NAME *n = X509_NAME_new();
    static const unsigned char serial[] = {0x10, 0x01};
    X509 *x;

    certgen_add(n, "C", V_ASN1_PRINTABLESTRING, "US", -1, 0);
    certgen_add(n, "ST", V_ASN1_UTF8STRING, "Illinois", -1, 0);
    certgen_add(n, "L", V_ASN1_UTF8STRING, "Springfield", -1, 0);
    certgen_add(n, "O", V_ASN1_UTF8STRING, "MyOrg", -1, 0);
    certgen_add(n, "OU", V_ASN1_UTF8STRING, "Devices", -1, 0);
    certgen_add(n, "CN", V_ASN1_UTF8STRING, "client1", -1, 0);
    x = certgen_cert(n, serial, sizeof(serial),
                     "email:client1@example.com,DNS:client1.example.com");
    X509_NAME_free(n);
    return x;
}

static const char *setup_cert(apr_pool_t *p)
{
    certauthz_cert_t *cert = NULL;
    X509 *x = device_x509();
    const char *err = certauthz_cert_from_x509(p, x, &cert);

    X509_free(x);
    bench_cert = cert;
    return err;
}

static const char *setup_rule(apr_pool_t *p, certauthz_rule_kind_e kind,
                              int argc, const char *const *argv)
{
    certauthz_rule_t *rule = NULL;
    const char *err = setup_cert(p);

    if (err == NULL) {
        err = certauthz_rule_compile(p, kind, argc, argv, &rule);
    }
    if (err == NULL && certauthz_rule_match(rule, bench_cert) != 1) {
        err = "the rule does not match the benchmark certificate";
    }
    bench_rule = rule;
    return err;
}

static const char *setup_valid(apr_pool_t *p, const char *dir, long entries)
{
    (void)dir;
    (void)entries;
    return setup_rule(p, CERTAUTHZ_RULE_VALID, 0, NULL);
}

/* The 5-condition policy of the benchmark note: four exact values and one
 * regex, the last condition on an attribute near the start of the DN so the
 * matcher cannot stop early. */
static const char *setup_subject5(apr_pool_t *p, const char *dir, long entries)
{
    static const char *const argv[] = {"C=US", "O=MyOrg", "OU=Devices",
                                       "CN~^client", "L=Springfield"};
    (void)dir;
    (void)entries;
    return setup_rule(p, CERTAUTHZ_RULE_SUBJECT, 5, argv);
}

static void decision_loop(long n)
{
    long i, granted = 0;

    for (i = 0; i < n; i++) {
        granted += certauthz_rule_match(bench_rule, bench_cert) == 1;
    }
    micro_sink = granted;
}

/* Parsing is what a new connection (or a renegotiation) costs the module:
 * the PEM that ap_ssl_var_lookup(SSL_CLIENT_CERT) returns, into the cached
 * identity. */
static const char *setup_parse(apr_pool_t *p, const char *dir, long entries)
{
    X509 *x = device_x509();
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    long len;

    (void)dir;
    (void)entries;
    PEM_write_bio_X509(b, x);
    len = BIO_get_mem_data(b, &data);
    bench_pem = apr_pstrmemdup(p, data, (apr_size_t)len);
    bench_pem_len = (apr_size_t)len;
    BIO_free(b);
    X509_free(x);
    return apr_pool_create(&parse_pool, p) == APR_SUCCESS
               ? NULL : "cannot create a pool";
}

static void parse_loop(long n)
{
    long i, ok = 0;

    for (i = 0; i < n; i++) {
        certauthz_cert_t *cert = NULL;

        ok += certauthz_cert_from_pem(parse_pool, bench_pem, bench_pem_len,
                                      &cert) == NULL;
        apr_pool_clear(parse_pool);
    }
    micro_sink = ok;
}

const micro_section_t micro_rule_sections[] = {
    {"decision-valid", "ns/op", setup_valid, decision_loop, 100000},
    {"decision-subject5", "ns/op", setup_subject5, decision_loop, 100000},
    {"parse-pem", "ns/op", setup_parse, parse_loop, 1000},
    {NULL, NULL, NULL, NULL, 0}
};

/* ------------------------------------------------------------------ */
/* Driver                                                              */

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Median over `repeats` batches, each grown until it lasts at least 50 ms
 * so that the clock's resolution and the loop overhead do not show. */
static double time_section(const micro_section_t *s, int repeats)
{
    double t[64], start;
    long n = s->min_n;
    int i;

    for (;;) {
        start = now_ns();
        s->loop(n);
        if (now_ns() - start >= 50e6 || n >= (1L << 40)) {
            break;
        }
        n *= 2;
    }
    if (repeats > 64) {
        repeats = 64;
    }
    /* Loads take a second or so each: three are enough for a median. */
    if (strcmp(s->unit, "ms/op") == 0 && repeats > 3) {
        repeats = 3;
    }
    for (i = 0; i < repeats; i++) {
        start = now_ns();
        s->loop(n);
        t[i] = (now_ns() - start) / (double)n;
    }
    qsort(t, (size_t)repeats, sizeof(double), cmp_double);
    return t[repeats / 2];
}

static void print_value(const micro_section_t *s, double ns)
{
    if (strcmp(s->unit, "ms/op") == 0) {
        printf("%s %.1f ms/op\n", s->name, ns / 1e6);
    }
    else {
        printf("%s %.1f ns/op\n", s->name, ns);
    }
    fflush(stdout);
}

static const micro_section_t *const tables[] = {
    micro_rule_sections,
#ifdef CERTAUTHZ_BENCH_REVOCATION
    micro_revocation_sections,
#endif
    NULL
};

static int selected(const char *name, int argc, char **argv)
{
    int i;

    if (argc == 0) {
        return 1;
    }
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *lists = "build/bench/lists", *err;
    long entries = 1000000, callgrind_n = 0;
    int repeats = 7, opt, t, found = 0;
    apr_pool_t *root;

    while ((opt = getopt(argc, argv, "l:e:r:c:h")) != -1) {
        switch (opt) {
        case 'l': lists = optarg; break;
        case 'e': entries = atol(optarg); break;
        case 'r': repeats = atoi(optarg); break;
        case 'c': callgrind_n = atol(optarg); break;
        default:
            fprintf(stderr, "usage: micro [-l LISTS_DIR] [-e ENTRIES] "
                            "[-r REPEATS] [-c N] [SECTION...]\nsections:");
            for (t = 0; tables[t] != NULL; t++) {
                const micro_section_t *s;

                for (s = tables[t]; s->name != NULL; s++) {
                    fprintf(stderr, " %s", s->name);
                }
            }
            fprintf(stderr, "\n");
            return opt == 'h' ? 0 : 2;
        }
    }
    argc -= optind;
    argv += optind;
    if (repeats < 1) {
        repeats = 1;
    }

    apr_initialize();
    apr_pool_create(&root, NULL);
    for (t = 0; tables[t] != NULL; t++) {
        const micro_section_t *s;

        for (s = tables[t]; s->name != NULL; s++) {
            apr_pool_t *p;

            if (!selected(s->name, argc, argv)) {
                continue;
            }
            found++;
            apr_pool_create(&p, root);
            err = s->setup(p, lists, entries);
            if (err != NULL) {
                printf("%s skip %s\n", s->name, err);
            }
            else if (callgrind_n > 0) {
                s->loop(callgrind_n);
                printf("%s ran %ld\n", s->name, callgrind_n);
            }
            else {
                print_value(s, time_section(s, repeats));
            }
            fflush(stdout);
            apr_pool_destroy(p);
        }
    }
    if (found < argc) {
        fprintf(stderr, "micro: unknown section among the arguments "
                        "(micro -h lists them)\n");
        return 2;
    }
    apr_terminate();
    return 0;
}
