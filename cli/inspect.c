/*
 * certauthz inspect: a certificate's fields exactly as mod_certauthz reads
 * them (src/certinfo.c), and as %{json}Z logs them (src/logfields.c).
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <apr_strings.h>
#include <openssl/objects.h>

#include "src/certinfo.h"
#include "src/logfields.h"

/* Read CERT (PEM or DER, "-" for standard input) with the module's
 * parser. */
const char *cli_read_cert(apr_pool_t *p, const char *path,
                          const certauthz_cert_t **cert)
{
    certauthz_cert_t *c = NULL;
    const char *err;
    char *data;
    apr_size_t len;

    err = cli_read_file(p, strcmp(path, "-") == 0 ? "/dev/stdin" : path, &data,
                        &len);
    if (err != NULL) {
        return err;
    }
    if (len >= 2 && (unsigned char)data[0] == 0x30) {
        err = certauthz_cert_from_der(p, (const unsigned char *)data, len, &c);
    }
    else if (strstr(data, "-----BEGIN") != NULL) {
        err = certauthz_cert_from_pem(p, data, len, &c);
    }
    else {
        err = "neither PEM nor DER";
    }
    if (err != NULL) {
        return apr_psprintf(p, "%s: not a readable certificate: %s", path, err);
    }
    *cert = c;
    return NULL;
}

static const char *esc(apr_pool_t *p, const char *s, apr_size_t n)
{
    return certauthz_escape_text(p, s, n, 1);
}

static void print_dn(apr_pool_t *p, const char *label, const char *str,
                     const certauthz_dn_t *dn)
{
    int i;

    printf("%-12s %s\n", label, esc(p, str, strlen(str)));
    for (i = 0; i < dn->n; i++) {
        const certauthz_ava_t *a = &dn->avas[i];
        const char *name = a->nid != NID_undef ? OBJ_nid2sn(a->nid) : a->oid;
        int multi = (i > 0 && dn->avas[i - 1].set == a->set) ||
                    (i + 1 < dn->n && dn->avas[i + 1].set == a->set);

        printf("  %-22s %s%s%s\n",
               apr_psprintf(p, "%s%s", multi ? "+" : "", name),
               esc(p, a->value, a->len),
               a->nid == NID_undef ? apr_psprintf(p, "  (%s)", a->oid) : "",
               a->undecodable ? "  (not decodable to UTF-8: no rule matches "
                                "it)"
                              : "");
    }
}

static const cli_opt_t inspect_opts[] = {
    {"--json", 0}, {"--device-id", 1}, {NULL, 0}};

int cli_cmd_inspect(apr_pool_t *p, int argc, const char *const *argv)
{
    cli_args_t a;
    const certauthz_cert_t *c;
    const certauthz_devid_t *devid = certauthz_devid_default();
    certauthz_logrec_t rec;
    const char *err, *dev;
    apr_size_t dlen = 0;
    char nb[21], na[21];
    int i;

    err = cli_parse(p, "inspect", argc, argv, inspect_opts, 1, 1,
                    "inspect CERT [--json] [--device-id SOURCE]", &a);
    if (err == NULL && cli_opt(&a, "--device-id") != NULL) {
        err = certauthz_devid_compile(p, cli_opt(&a, "--device-id"), &devid);
        if (err != NULL) {
            err = apr_psprintf(p, "inspect: --device-id %s", err);
        }
    }
    if (err != NULL) {
        return cli_fail("%s", err);
    }
    if ((err = cli_read_cert(p, APR_ARRAY_IDX(a.pos, 0, const char *), &c)) !=
        NULL) {
        return cli_fail("inspect: %s", err);
    }
    memset(&rec, 0, sizeof(rec));
    rec.cert = c;
    rec.devid = devid;
    rec.reason = CERTAUTHZ_REASON_NONE;
    rec.now = (apr_int64_t)time(NULL);
    if (cli_opt(&a, "--json") != NULL) {
        /* The object %{json}Z logs for a request no cert-* line judged:
         * verify, decision, reason and rule belong to a request and are
         * null here. */
        printf("%s\n", certauthz_fields_json(p, &rec));
        return CLI_OK;
    }
    dev = certauthz_devid_value(devid, c, &dlen);
    printf("%-12s %s\n", "device", dev ? esc(p, dev, dlen) : "-");
    print_dn(p, "subject", c->subject_dn, &c->subject);
    print_dn(p, "issuer", c->issuer_dn, &c->issuer);
    printf("%-12s %s%s\n", "serial", c->serial_negative ? "-" : "",
           c->serial_hex);
    printf("%-12s %s\n", "fingerprint", c->fingerprint);
    certauthz_iso8601(c->not_before, nb);
    certauthz_iso8601(c->not_after, na);
    printf("%-12s %s\n%-12s %s (%" APR_INT64_T_FMT " days left)\n",
           "not_before", nb, "not_after", na,
           certauthz_days_left(c->not_after, rec.now));
    if (c->n_sans == 0) {
        printf("%-12s -\n", "san");
    }
    for (i = 0; i < c->n_sans; i++) {
        printf("%-12s %s:%s\n", i ? "" : "san",
               certauthz_san_type_name(c->sans[i].type),
               esc(p, c->sans[i].value, c->sans[i].len));
    }
    return CLI_OK;
}
