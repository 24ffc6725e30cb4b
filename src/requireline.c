/*
 * requireline: `Require cert-*` lines outside httpd.  The words are split
 * as httpd's ap_getword_conf (server/util.c) splits them, the arguments
 * compiled and matched by src/rule.c, as in the module.
 */
#include "requireline.h"

#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "logfields.h"

static char *substring_conf(apr_pool_t *p, const char *start, apr_size_t len,
                            char quote)
{
    char *result = apr_palloc(p, len + 1);
    char *resp = result;
    apr_size_t i;

    for (i = 0; i < len; ++i) {
        if (start[i] == '\\' &&
            (start[i + 1] == '\\' || (quote && start[i + 1] == quote))) {
            *resp++ = start[++i];
        }
        else {
            *resp++ = start[i];
        }
    }
    *resp = '\0';
    return result;
}

char *certauthz_getword_conf(apr_pool_t *p, const char **line)
{
    const char *str = *line, *strend;
    char *res;
    char quote;

    while (apr_isspace(*str)) {
        ++str;
    }
    if (*str == '\0') {
        *line = str;
        return apr_pstrdup(p, "");
    }
    if ((quote = *str) == '"' || quote == '\'') {
        strend = str + 1;
        while (*strend && *strend != quote) {
            if (*strend == '\\' && strend[1] &&
                (strend[1] == quote || strend[1] == '\\')) {
                strend += 2;
            }
            else {
                ++strend;
            }
        }
        res = substring_conf(p, str + 1, (apr_size_t)(strend - str - 1), quote);
        if (*strend == quote) {
            ++strend;
        }
    }
    else {
        strend = str;
        while (*strend && !apr_isspace(*strend)) {
            ++strend;
        }
        res = substring_conf(p, str, (apr_size_t)(strend - str), 0);
    }
    while (apr_isspace(*strend)) {
        ++strend;
    }
    *line = strend;
    return res;
}

static const struct {
    const char *name;
    certauthz_rule_kind_e kind;
} providers[] = {
    {"cert-valid", CERTAUTHZ_RULE_VALID},
    {"cert-subject", CERTAUTHZ_RULE_SUBJECT},
    {"cert-issuer", CERTAUTHZ_RULE_ISSUER},
    {"cert-serial", CERTAUTHZ_RULE_SERIAL},
    {"cert-fingerprint", CERTAUTHZ_RULE_FINGERPRINT},
    {"cert-san", CERTAUTHZ_RULE_SAN},
};

const char *certauthz_require_parse(apr_pool_t *p, const char *line,
                                    certauthz_require_t *out)
{
    apr_array_header_t *argv = apr_array_make(p, 4, sizeof(const char *));
    const char *rest = line, *word, *err;
    char *args;
    apr_size_t n, i;

    memset(out, 0, sizeof(*out));
    word = certauthz_getword_conf(p, &rest);
    if (strcasecmp(word, "Require") == 0) {
        word = certauthz_getword_conf(p, &rest);
    }
    if (*word == '\0') {
        return "empty Require line: expected a provider such as "
               "'cert-subject O=MyOrg'";
    }
    if (strcasecmp(word, "not") == 0) {
        return "'Require not' only inverts a line inside <RequireAll> or "
               "<RequireNone>: check the line without 'not' and invert "
               "the answer";
    }
    /* httpd looks providers up by their exact name. */
    for (i = 0; i < sizeof(providers) / sizeof(providers[0]); i++) {
        if (strcmp(word, providers[i].name) == 0) {
            break;
        }
    }
    if (i == sizeof(providers) / sizeof(providers[0])) {
        return apr_psprintf(p,
                            "'%s' is not a cert-* provider (cert-valid, "
                            "cert-subject, cert-issuer, cert-serial, "
                            "cert-fingerprint or cert-san)",
                            word);
    }
    out->provider = providers[i].name;
    out->kind = providers[i].kind;

    /* httpd hands the provider the rest of the line, trimmed at its end
     * as every configuration line is. */
    args = apr_pstrdup(p, rest);
    n = strlen(args);
    while (n > 0 && apr_isspace(args[n - 1])) {
        args[--n] = '\0';
    }
    /* As mod_certauthz's parse_require: to the end of the line, so that a
     * quoted "" reaches the compiler. */
    rest = args;
    while (*rest != '\0') {
        APR_ARRAY_PUSH(argv, const char *) = certauthz_getword_conf(p, &rest);
    }
    out->argc = argv->nelts;
    out->argv = (const char **)argv->elts;
    out->text =
        *args ? apr_pstrcat(p, out->provider, " ", args, NULL) : out->provider;
    err = certauthz_rule_compile(p, out->kind, out->argc,
                                 (const char *const *)out->argv, &out->rule);
    if (err != NULL) {
        return apr_psprintf(p, "Require %s: %s", out->provider, err);
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Explaining a refusal                                                */

static const char *esc(apr_pool_t *p, const char *s, apr_size_t len)
{
    return certauthz_escape_text(p, s, len, 1);
}

static const char *join(apr_pool_t *p, const char *const *v, int n,
                        const char *sep)
{
    const char *s = "";
    int i;

    for (i = 0; i < n; i++) {
        s = apr_pstrcat(p, s, i ? sep : "", v[i], NULL);
    }
    return s;
}

/* "OU=a, OU=b": the values of the attribute a condition names, or
 * "no OU". */
static const char *dn_holds(apr_pool_t *p, const char *cond,
                            const certauthz_dn_t *dn)
{
    const char *name = apr_pstrmemdup(p, cond, strcspn(cond, "=~"));
    apr_array_header_t *vals = apr_array_make(p, 2, sizeof(const char *));
    certauthz_attr_t attr;
    int i;

    if (certauthz_attr_lookup(p, name, &attr) == 0) {
        for (i = 0; i < dn->n; i++) {
            const certauthz_ava_t *a = &dn->avas[i];

            if (certauthz_ava_is(a, &attr)) {
                APR_ARRAY_PUSH(vals, const char *) = apr_pstrcat(
                    p, name, "=", esc(p, a->value, a->len),
                    a->undecodable ? " (not UTF-8 decodable: never matches)"
                                   : "",
                    NULL);
            }
        }
    }
    if (vals->nelts == 0) {
        return apr_psprintf(p, "no %s", name);
    }
    return join(p, (const char *const *)vals->elts, vals->nelts, ", ");
}

static const char *any_holds(apr_pool_t *p, const certauthz_require_t *req,
                             const certauthz_cert_t *cert)
{
    apr_array_header_t *vals;
    int i;

    switch (req->kind) {
    case CERTAUTHZ_RULE_SERIAL:
        return apr_pstrcat(p, "serial ", cert->serial_negative ? "-" : "",
                           cert->serial_hex, NULL);
    case CERTAUTHZ_RULE_FINGERPRINT:
        return apr_pstrcat(p, "fingerprint sha256:", cert->fingerprint, NULL);
    case CERTAUTHZ_RULE_SAN:
        if (cert->n_sans == 0) {
            return "no subjectAltName";
        }
        vals = apr_array_make(p, cert->n_sans, sizeof(const char *));
        for (i = 0; i < cert->n_sans; i++) {
            const certauthz_san_t *s = &cert->sans[i];

            APR_ARRAY_PUSH(vals, const char *) = apr_pstrcat(
                p, certauthz_san_type_name(s->type), ":",
                esc(p, s->value, s->len), NULL);
        }
        return apr_pstrcat(
            p, "subjectAltName ",
            join(p, (const char *const *)vals->elts, vals->nelts, ", "), NULL);
    default:
        return "";
    }
}

apr_array_header_t *certauthz_require_explain(apr_pool_t *p,
                                              const certauthz_require_t *req,
                                              const certauthz_cert_t *cert)
{
    apr_array_header_t *out = apr_array_make(p, 2, sizeof(certauthz_failed_t));
    const certauthz_dn_t *dn;
    certauthz_failed_t *f;
    int i;

    if (certauthz_rule_match(req->rule, cert) == 1) {
        return out;
    }
    switch (req->kind) {
    case CERTAUTHZ_RULE_SUBJECT:
    case CERTAUTHZ_RULE_ISSUER:
        dn = req->kind == CERTAUTHZ_RULE_SUBJECT ? &cert->subject
                                                 : &cert->issuer;
        for (i = 0; i < req->argc; i++) {
            certauthz_rule_t *one;

            if (certauthz_rule_compile(p, req->kind, 1, &req->argv[i], &one) !=
                    NULL ||
                certauthz_rule_match(one, cert) == 1) {
                continue;
            }
            f = apr_array_push(out);
            f->condition = req->argv[i];
            f->holds = dn_holds(p, req->argv[i], dn);
        }
        break;
    default:
        f = apr_array_push(out);
        f->condition = join(p, req->argv, req->argc, " ");
        f->holds = any_holds(p, req, cert);
        break;
    }
    return out;
}
