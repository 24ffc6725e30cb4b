/*
 * rule: the argument language of the cert-* providers (INTERFACE §2),
 * compiled once at configuration time and matched against a parsed
 * certificate at request time.
 */
#ifndef CERTAUTHZ_RULE_H
#define CERTAUTHZ_RULE_H

#include <apr_pools.h>

#include "certinfo.h"

typedef enum {
    CERTAUTHZ_RULE_VALID,
    CERTAUTHZ_RULE_SUBJECT,
    CERTAUTHZ_RULE_ISSUER,
    CERTAUTHZ_RULE_SERIAL,
    CERTAUTHZ_RULE_FINGERPRINT,
    CERTAUTHZ_RULE_SAN
} certauthz_rule_kind_e;

typedef struct certauthz_rule certauthz_rule_t;

/* Compile the arguments of one Require line (already split into words, quotes
 * removed).  Returns NULL and sets *out, or an error message that names the
 * offending token.  Cleanups for compiled regexes are registered on p. */
const char *certauthz_rule_compile(apr_pool_t *p, certauthz_rule_kind_e kind,
                                   int argc, const char *const *argv,
                                   certauthz_rule_t **out);

/* 1 when the certificate satisfies the rule, 0 when it does not, and -1
 * when it cannot be told: no condition is refuted, and one met a subject or
 * issuer value that could not be decoded, or a regex that failed or hit its
 * limits.  Callers fail closed on -1 (a line written "Require not" would
 * otherwise let the certificate through).  Thread-safe; does not allocate
 * from any pool. */
int certauthz_rule_match(const certauthz_rule_t *rule,
                         const certauthz_cert_t *cert);

#endif
