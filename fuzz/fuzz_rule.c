/*
 * The Require argument parsers: the first byte picks the provider
 * (cert-valid ... cert-san), the rest is its words, one per line.  A rule
 * that compiles is then matched against a few certificates, so the matcher
 * also meets every pattern the compiler accepts.
 */
#include "fuzz/fuzz_common.h"

#include "fuzz/fuzz_certs.h"
#include "src/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    certauthz_rule_t *rule = NULL;
    const char **argv;
    int argc, i;

    if (size < 1) {
        return 0;
    }
    p = fuzz_pool();
    fuzz_make_certs();
    argv = fuzz_argv(p, fuzz_cstr(p, data + 1, size - 1), &argc);
    /* An empty input is a Require line without arguments. */
    if (argc == 1 && argv[0][0] == '\0') {
        argc = 0;
    }
    if (certauthz_rule_compile(p, (certauthz_rule_kind_e)(data[0] % 6), argc,
                               argv, &rule) == NULL) {
        for (i = 0; i < N_CERTS; i++) {
            if (certs[i] == NULL) {
                abort();
            }
            certauthz_rule_match(rule, certs[i]);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
