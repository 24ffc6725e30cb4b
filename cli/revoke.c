/*
 * certauthz revoke: a certificate marked revoked in index.txt and crl.pem;
 * certauthz list: what the CA issued.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "src/cadb.h"
#include "src/certinfo.h"
#include "src/hexid.h"
#include "src/logfields.h"

#define CRL_DAYS 30

/* The certificate in a file (PEM or DER), or NULL. */
static X509 *read_cert(apr_pool_t *p, const char *path, const char **err)
{
    char *data;
    apr_size_t len;
    X509 *x = NULL;
    BIO *b;

    if ((*err = cli_read_file(p, path, &data, &len)) != NULL) {
        return NULL;
    }
    b = BIO_new_mem_buf(data, (int)len);
    if (b != NULL) {
        x = strstr(data, "-----BEGIN") ? PEM_read_bio_X509(b, NULL, NULL, NULL)
                                       : d2i_X509_bio(b, NULL);
    }
    BIO_free(b);
    if (x == NULL) {
        ERR_clear_error();
        *err = apr_psprintf(p, "%s is not a certificate (PEM or DER)", path);
    }
    return x;
}

static const cli_opt_t revoke_opts[] = {
    {"--reason", 1}, {"--passphrase-file", 1}, {NULL, 0}};

int cli_cmd_revoke(apr_pool_t *p, int argc, const char *const *argv)
{
    cli_args_t a;
    cli_ca_t *ca;
    const char *err, *what, *reason = NULL, *serial = NULL;
    certauthz_cadb_entry_t *e;
    cli_file_t *f[3];
    struct stat sb;
    X509 *x = NULL;

    err = cli_parse(p, "revoke", argc, argv, revoke_opts, 2, 2,
                    "revoke DIR SERIAL|CERT.pem|NAME [--reason R]", &a);
    if (err != NULL) {
        return cli_fail("%s", err);
    }
    what = APR_ARRAY_IDX(a.pos, 1, const char *);
    if (cli_opt(&a, "--reason") != NULL) {
        int code = certauthz_cadb_reason_code(cli_opt(&a, "--reason"), &reason);

        /* Holds (6) and their removal (8) are not revocations. */
        if (code < 0 || code > 5) {
            return cli_fail("revoke: --reason '%s': use unspecified, "
                            "keyCompromise, CACompromise, "
                            "affiliationChanged, superseded or "
                            "cessationOfOperation",
                            cli_opt(&a, "--reason"));
        }
    }
    if ((err = cli_ca_open(p, APR_ARRAY_IDX(a.pos, 0, const char *), 1, &ca)) !=
        NULL) {
        return cli_fail("revoke: %s", err);
    }
    /* A device name of this CA stands for its certificate. */
    if (stat(what, &sb) != 0 && strchr(what, '/') == NULL) {
        const char *dev = cli_path(
            p, ca->dir, apr_pstrcat(p, "devices/", what, ".crt", NULL));
        if (stat(dev, &sb) == 0) {
            what = dev;
        }
    }
    if (stat(what, &sb) == 0) {
        BIGNUM *bn;
        char *hex;

        if ((x = read_cert(p, what, &err)) == NULL) {
            return cli_fail("revoke: %s", err);
        }
        if (X509_verify(x, X509_get0_pubkey(ca->cert)) != 1) {
            ERR_clear_error();
            X509_free(x);
            return cli_fail("revoke: %s was not issued by this CA (its "
                            "signature does not verify with %s)",
                            what, cli_path(p, ca->dir, "ca.crt"));
        }
        bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
        hex = bn ? BN_bn2hex(bn) : NULL;
        serial = hex ? apr_pstrdup(p, hex) : NULL;
        OPENSSL_free(hex);
        BN_free(bn);
        if (serial == NULL) {
            X509_free(x);
            return cli_fail("revoke: out of memory");
        }
    }
    else {
        unsigned char *buf = apr_palloc(p, strlen(what) / 2 + 1);
        apr_size_t n;
        const char *why = certauthz_serial_parse(what, buf, &n);

        if (why != NULL) {
            return cli_fail("revoke: '%s' is neither a certificate file, "
                            "a device of this CA nor a hex serial (%s)",
                            what, why);
        }
        serial = what;
    }
    e = certauthz_cadb_find(ca->db, serial);
    if (e == NULL && x == NULL) {
        return cli_fail("revoke: serial %s is not in %s: this CA did not "
                        "issue it",
                        what, cli_path(p, ca->dir, "index.txt"));
    }
    if (e == NULL) {
        /* Issued by this CA's key outside its database (as openssl ca
         * -revoke, record it). */
        const ASN1_TIME *na = X509_get0_notAfter(x);
        char *dn = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);

        e = apr_array_push(ca->db);
        memset(e, 0, sizeof(*e));
        e->expiry = apr_pstrmemdup(p, (const char *)ASN1_STRING_get0_data(na),
                                   (apr_size_t)ASN1_STRING_length(na));
        e->serial = serial;
        e->file = "unknown";
        e->subject = apr_pstrdup(p, dn ? dn : "");
        OPENSSL_free(dn);
    }
    X509_free(x);
    if (e->status == 'R') {
        fprintf(stderr,
                "certauthz: revoke: serial %s (%s) was already "
                "revoked (%s); nothing changed\n",
                e->serial, e->subject, e->revoked);
        return CLI_OK;
    }
    if ((err = cli_ca_key(ca, &a)) != NULL) {
        return cli_fail("revoke: %s", err);
    }
    e->status = 'R';
    e->revoked_at = (apr_int64_t)time(NULL);
    e->revoked = certauthz_cadb_time(p, e->revoked_at);
    if (reason != NULL) {
        e->reason = reason;
        e->revoked = apr_pstrcat(p, e->revoked, ",", reason, NULL);
    }
    /* index.txt first: a server reading either file refuses the device as
     * soon as that file is replaced. */
    if ((err = cli_ca_stage_db(ca, &f[0])) != NULL ||
        (err = cli_ca_stage_crl(ca, CRL_DAYS, &f[1], &f[2])) != NULL ||
        (err = cli_commit(f[0])) != NULL || (err = cli_commit(f[1])) != NULL ||
        (err = cli_commit(f[2])) != NULL) {
        return cli_fail("revoke: %s", err);
    }
    printf("revoked serial %s (%s)%s%s\n", e->serial, e->subject,
           reason ? ", reason " : "", reason ? reason : "");
    printf("  %s and %s rewritten: a server using either as "
           "CertAuthzRevocationFile refuses it within its check interval\n",
           cli_path(p, ca->dir, "index.txt"), cli_path(p, ca->dir, "crl.pem"));
    return CLI_OK;
}

/* The last CN of an X509_NAME_oneline string, for display. */
static const char *oneline_cn(apr_pool_t *p, const char *dn)
{
    const char *s = NULL, *q = dn, *e;

    while ((q = strstr(q, "/CN=")) != NULL) {
        s = q + 4;
        q = s;
    }
    if (s == NULL) {
        return "-";
    }
    for (e = s; *e; e++) {
        /* The next attribute: "/" then a name and "=". */
        if (*e == '/') {
            apr_size_t n = strspn(e + 1, "abcdefghijklmnopqrstuvwxyzABCDEFG"
                                         "HIJKLMNOPQRSTUVWXYZ0123456789.");
            if (n > 0 && e[1 + n] == '=') {
                break;
            }
        }
    }
    return apr_pstrmemdup(p, s, (apr_size_t)(e - s));
}

static const char *state_of(const certauthz_cadb_entry_t *e, apr_int64_t now)
{
    if (e->status == 'R') {
        return "revoked";
    }
    return e->status == 'E' || e->not_after < now ? "expired" : "valid";
}

static const cli_opt_t list_opts[] = {{"--json", 0}, {NULL, 0}};

int cli_cmd_list(apr_pool_t *p, int argc, const char *const *argv)
{
    cli_args_t a;
    cli_ca_t *ca;
    const char *err;
    apr_int64_t now = (apr_int64_t)time(NULL);
    int i, json;

    err = cli_parse(p, "list", argc, argv, list_opts, 1, 1, "list DIR [--json]",
                    &a);
    if (err == NULL) {
        err = cli_ca_open(p, APR_ARRAY_IDX(a.pos, 0, const char *), 0, &ca);
    }
    if (err != NULL) {
        return cli_fail("list: %s", err);
    }
    json = cli_opt(&a, "--json") != NULL;
    if (json) {
        printf("[");
    }
    else {
        printf("%-24s %-40s %-8s %-20s %s\n", "NAME", "SERIAL", "STATE",
               "EXPIRES", "REVOKED");
    }
    for (i = 0; i < ca->db->nelts; i++) {
        const certauthz_cadb_entry_t *e =
            &APR_ARRAY_IDX(ca->db, i, certauthz_cadb_entry_t);
        const char *cn = oneline_cn(p, e->subject);
        char exp[21], rev[21];

        certauthz_iso8601(e->not_after, exp);
        if (e->status == 'R') {
            certauthz_iso8601(e->revoked_at, rev);
        }
        if (json) {
            printf("%s\n {\"name\": %s, \"serial\": %s, \"state\": \"%s\", "
                   "\"not_after\": \"%s\", \"revoked\": %s, \"reason\": %s, "
                   "\"subject\": %s}",
                   i ? "," : "", certauthz_json_string(p, cn, strlen(cn)),
                   certauthz_json_string(p, e->serial, strlen(e->serial)),
                   state_of(e, now), exp,
                   e->status == 'R' ? apr_psprintf(p, "\"%s\"", rev) : "null",
                   e->reason
                       ? certauthz_json_string(p, e->reason, strlen(e->reason))
                       : "null",
                   certauthz_json_string(p, e->subject, strlen(e->subject)));
        }
        else {
            printf("%-24s %-40s %-8s %-20s %s%s%s\n",
                   certauthz_escape_text(p, cn, strlen(cn), 1), e->serial,
                   state_of(e, now), exp, e->status == 'R' ? rev : "-",
                   e->reason ? " " : "", e->reason ? e->reason : "");
        }
    }
    if (json) {
        printf("%s]\n", ca->db->nelts ? "\n" : "");
    }
    return CLI_OK;
}
