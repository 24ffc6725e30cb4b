#include "rule.h"

#include <apr_strings.h>

struct certauthz_rule {
    certauthz_rule_kind_e kind;
};

const char *certauthz_rule_compile(apr_pool_t *p, certauthz_rule_kind_e kind,
                                   int argc, const char *const *argv,
                                   certauthz_rule_t **out)
{
    certauthz_rule_t *rule;

    if (kind != CERTAUTHZ_RULE_VALID) {
        return "this provider is not available yet";
    }
    if (argc > 0) {
        return apr_psprintf(p, "cert-valid takes no arguments, got '%s'",
                            argv[0]);
    }
    rule = apr_pcalloc(p, sizeof(*rule));
    rule->kind = kind;
    *out = rule;
    return NULL;
}

int certauthz_rule_match(const certauthz_rule_t *rule,
                         const certauthz_cert_t *cert)
{
    return rule->kind == CERTAUTHZ_RULE_VALID && cert != NULL;
}
