/*
 * certauthz check: would a certificate be granted by a Require line?
 * The line is split and compiled as mod_authz_core and mod_certauthz do
 * (src/requireline.c, src/rule.c), the revocation files loaded and
 * consulted by the module's code (src/revocation.c), and the certificate
 * judged as if mod_ssl had verified it.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "src/certinfo.h"
#include "src/logfields.h"
#include "src/reason.h"
#include "src/requireline.h"
#include "src/revocation.h"

/* Text as written when it holds no control character, else escaped as
 * for a log line (a Require line copied from a configuration reads as it
 * was written). */
static const char *show(apr_pool_t *p, const char *s)
{
    const unsigned char *c;

    for (c = (const unsigned char *)s; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            return certauthz_escape_text(p, s, strlen(s), 1);
        }
    }
    return s;
}

static const cli_opt_t check_opts[] = {
    {"--revocation", 1}, {"--stale-crl", 1}, {NULL, 0}};

int cli_cmd_check(apr_pool_t *p, int argc, const char *const *argv)
{
    cli_args_t a;
    certauthz_require_t req;
    const certauthz_cert_t *cert;
    const char *err, *stale_opt, *by = NULL, *dev;
    apr_array_header_t *files, *failed;
    certauthz_reason_e reason = CERTAUTHZ_REASON_OK;
    apr_time_t now = apr_time_now();
    apr_size_t dlen = 0;
    int i, stale_deny = 0;

    err = cli_parse(p, "check", argc, argv, check_opts, 2, 2,
                    "check CERT 'REQUIRE-LINE' [--revocation FILE]... "
                    "[--stale-crl warn|deny]",
                    &a);
    if (err != NULL) {
        return cli_fail("%s", err);
    }
    stale_opt = cli_opt(&a, "--stale-crl");
    if (stale_opt != NULL) {
        if (strcasecmp(stale_opt, "deny") == 0) {
            stale_deny = 1;
        }
        else if (strcasecmp(stale_opt, "warn") != 0) {
            return cli_fail("check: --stale-crl '%s': use warn or deny (as "
                            "CertAuthzStaleCRL)",
                            stale_opt);
        }
    }
    err =
        certauthz_require_parse(p, APR_ARRAY_IDX(a.pos, 1, const char *), &req);
    if (err != NULL) {
        return cli_fail("check: %s", err);
    }
    if ((err = cli_read_cert(p, APR_ARRAY_IDX(a.pos, 0, const char *),
                             &cert)) != NULL) {
        return cli_fail("check: %s", err);
    }

    /* The identity first, as the module establishes it before any rule:
     * the strongest reason of every source. */
    files = cli_opts(&a, "--revocation");
    for (i = 0; i < files->nelts; i++) {
        const char *path = APR_ARRAY_IDX(files, i, const char *);
        certauthz_revopts_t opts;
        certauthz_revlist_t *list;
        certauthz_reason_e got;

        memset(&opts, 0, sizeof(opts));
        err = certauthz_revlist_load(p, path, &opts, &list);
        if (err != NULL) {
            return cli_fail("check: --revocation %s", err);
        }
        got = certauthz_revlist_check(list, cert, now, stale_deny);
        if (!stale_deny && got == CERTAUTHZ_REASON_OK &&
            certauthz_revlist_check(list, cert, now, 1) ==
                CERTAUTHZ_REASON_CRL_STALE) {
            printf("warning: %s: the CRL of this certificate's issuer is "
                   "past its nextUpdate (still enforced; --stale-crl deny "
                   "refuses, as CertAuthzStaleCRL deny)\n",
                   path);
        }
        certauthz_revlist_release(list);
        if (got > reason) {
            reason = got;
            by = path;
        }
    }
    if (reason == CERTAUTHZ_REASON_OK) {
        int m = certauthz_rule_match(req.rule, cert);

        if (m < 0) {
            /* The server answers 500 here (it cannot tell). */
            fprintf(stderr, "certauthz: check: cannot tell whether the "
                    "certificate matches '%s' (a value that cannot be "
                    "decoded, or a regex past its limits)\n",
                    show(p, req.text));
            return CLI_BAD;
        }
        if (m == 0) {
            reason = CERTAUTHZ_REASON_NO_MATCH;
        }
    }

    printf("%s\nreason: %s\nrule: %s\n",
           reason == CERTAUTHZ_REASON_OK ? "granted" : "denied",
           certauthz_reason_name(reason), show(p, req.text));
    dev = certauthz_devid_value(NULL, cert, &dlen);
    printf("device: %s\n", dev ? certauthz_escape_text(p, dev, dlen, 1) : "-");
    if (reason == CERTAUTHZ_REASON_REVOKED) {
        printf("revoked in: %s\n", by);
    }
    else if (reason == CERTAUTHZ_REASON_CRL_STALE) {
        printf("stale CRL in: %s (past its nextUpdate)\n", by);
    }
    else if (reason == CERTAUTHZ_REASON_NO_MATCH) {
        const char *where = req.kind == CERTAUTHZ_RULE_SUBJECT  ? "subject"
                            : req.kind == CERTAUTHZ_RULE_ISSUER ? "issuer"
                                                                : "certificate";

        failed = certauthz_require_explain(p, &req, cert);
        for (i = 0; i < failed->nelts; i++) {
            const certauthz_failed_t *f =
                &APR_ARRAY_IDX(failed, i, certauthz_failed_t);

            if (req.kind == CERTAUTHZ_RULE_SUBJECT ||
                req.kind == CERTAUTHZ_RULE_ISSUER) {
                printf("failed: %s (the %s has %s)\n", show(p, f->condition),
                       where, f->holds);
            }
            else {
                printf("failed: none of %s (the %s has %s)\n",
                       show(p, f->condition), where, f->holds);
            }
        }
    }
    if (cert->not_after < (apr_int64_t)apr_time_sec(now) ||
        cert->not_before > (apr_int64_t)apr_time_sec(now)) {
        char t[21];

        certauthz_iso8601(cert->not_after < (apr_int64_t)apr_time_sec(now)
                              ? cert->not_after
                              : cert->not_before,
                          t);
        printf("note: the certificate %s %s: mod_ssl would not verify it "
               "(the module would deny it as unverified)\n",
               cert->not_after < (apr_int64_t)apr_time_sec(now)
                   ? "expired on"
                   : "is not valid before",
               t);
    }
    return reason == CERTAUTHZ_REASON_OK ? CLI_OK : CLI_DENIED;
}
