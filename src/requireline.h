/*
 * requireline: a `Require cert-*` line read outside httpd exactly as
 * mod_authz_core and mod_certauthz read it inside, for the certauthz
 * command's `check`, and which of its conditions a certificate fails.
 */
#ifndef CERTAUTHZ_REQUIRELINE_H
#define CERTAUTHZ_REQUIRELINE_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "certinfo.h"
#include "rule.h"

/*
 * The next word of *line as httpd's ap_getword_conf returns it: leading
 * blanks skipped; a word starting with ' or " runs to the matching quote
 * (a backslash escapes that quote or a backslash), any other word to the
 * next blank, where "\\" is one backslash too.  *line is left after the
 * word and the blanks that follow it; "" at the end of the line.
 */
char *certauthz_getword_conf(apr_pool_t *p, const char **line);

typedef struct {
    const char *provider; /* "cert-subject" */
    certauthz_rule_kind_e kind;
    int argc;
    const char **argv;      /* the arguments, unquoted */
    const char *text;       /* the rule as the module logs it */
    certauthz_rule_t *rule; /* compiled by certauthz_rule_compile */
} certauthz_require_t;

/*
 * Parse LINE, the text after `Require` (a leading `Require` is accepted
 * too): the provider name, then its arguments split as mod_certauthz
 * splits them, compiled as it compiles them.  Returns NULL, or a message
 * saying what is wrong (the provider's own message for a bad argument).
 */
const char *certauthz_require_parse(apr_pool_t *p, const char *line,
                                    certauthz_require_t *out);

/* One condition a certificate fails, and what it holds there. */
typedef struct {
    const char *condition; /* as written ("OU=Admins"), or the list of
                            * alternatives for the providers that
                            * grant on any one of them */
    const char *holds;     /* "OU=Devices, OU=Lab", "no OU", ...:
                            * escaped as for a log line, UTF-8 kept */
} certauthz_failed_t;

/*
 * Why REQ does not grant CERT: an array of certauthz_failed_t, empty when
 * it grants.  cert-subject and cert-issuer list every condition that
 * fails on its own (each is compiled and matched alone, with the same
 * code as the whole line); the providers that grant on any argument give
 * one entry with everything the certificate holds for them.
 */
apr_array_header_t *certauthz_require_explain(apr_pool_t *p,
                                              const certauthz_require_t *req,
                                              const certauthz_cert_t *cert);

#endif
