/*
 * certauthz revoke: a certificate marked revoked in index.txt and crl.pem
 * (and with --store in a fleet's revocation store); certauthz unrevoke:
 * the same undone, for a mistaken revocation; certauthz list: what the CA
 * issued.
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
#include "src/names.h"
#include "src/storekey.h"

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

/* What revoke and unrevoke are given: a certificate (file or device name
 * of the CA) or a serial. */
typedef struct {
    const char *serial;             /* as given or read, hex */
    X509 *x;                        /* when a certificate was given */
    const certauthz_cert_t *cert;   /* its fields */
} target_t;

static apr_status_t free_x509(void *data)
{
    X509_free(data);
    return APR_SUCCESS;
}

static const char *resolve(apr_pool_t *p, const char *cmd, cli_ca_t *ca,
                           const char *what, target_t *t)
{
    struct stat sb;
    const char *err;

    memset(t, 0, sizeof(*t));
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

        if ((t->x = read_cert(p, what, &err)) == NULL) {
            return apr_psprintf(p, "%s: %s", cmd, err);
        }
        apr_pool_cleanup_register(p, t->x, free_x509, apr_pool_cleanup_null);
        if (X509_verify(t->x, X509_get0_pubkey(ca->cert)) != 1) {
            ERR_clear_error();
            return apr_psprintf(p, "%s: %s was not issued by this CA (its "
                                "signature does not verify with %s)",
                                cmd, what, cli_path(p, ca->dir, "ca.crt"));
        }
        if ((err = certauthz_cert_from_x509(p, t->x, (certauthz_cert_t **)
                                                         &t->cert))
            != NULL) {
            return apr_psprintf(p, "%s: %s: %s", cmd, what, err);
        }
        bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(t->x), NULL);
        hex = bn ? BN_bn2hex(bn) : NULL;
        t->serial = hex ? apr_pstrdup(p, hex) : NULL;
        OPENSSL_free(hex);
        BN_free(bn);
        if (t->serial == NULL) {
            return apr_psprintf(p, "%s: out of memory", cmd);
        }
    }
    else {
        unsigned char *buf = apr_palloc(p, strlen(what) / 2 + 1);
        apr_size_t n;
        const char *why = certauthz_serial_parse(what, buf, &n);

        if (why != NULL) {
            return apr_psprintf(p, "%s: '%s' is neither a certificate file, "
                                "a device of this CA nor a hex serial (%s)",
                                cmd, what, why);
        }
        t->serial = what;
    }
    return NULL;
}

/* The store's id of the target's serial under this CA. */
static apr_size_t serial_id(apr_pool_t *p, cli_ca_t *ca, const target_t *t,
                            unsigned char id[CERTAUTHZ_STORE_ID_MAX])
{
    unsigned char key[32], *serial = apr_palloc(p, strlen(t->serial) / 2 + 2);
    apr_size_t n = 0;

    if (certauthz_name_key(X509_get_subject_name(ca->cert), key) != 0
        || certauthz_serial_parse(t->serial, serial, &n) != NULL) {
        return 0;
    }
    return certauthz_store_id_serial(key, serial, n, id);
}

static const cli_opt_t revoke_opts[] = {
    {"--reason", 1}, {"--passphrase-file", 1}, {"--store", 1}, {NULL, 0}};

/* Write a revocation (done in the CA's files already) to the store. */
static int revoke_store(apr_pool_t *p, cli_ca_t *ca, const target_t *t,
                        const certauthz_cadb_entry_t *e, const char *spec)
{
    unsigned char id[CERTAUTHZ_STORE_ID_MAX];
    apr_int64_t not_after = t->cert ? t->cert->not_after : e->not_after;
    apr_uint32_t ttl = certauthz_store_ttl(not_after, (apr_int64_t)time(NULL));
    apr_size_t len = serial_id(p, ca, t, id);
    cli_store_t *st;
    const char *err;

    if (len == 0) {
        return cli_fail("revoke: serial %s is too long for a store key",
                        e->serial);
    }
    if (ttl == 0) {
        printf("  not written to --store: the certificate expired, no "
               "server accepts it any more\n");
        return CLI_OK;
    }
    if ((err = cli_store_open(p, spec, &st)) != NULL ||
        (err = cli_store_put(st, id, len,
                             certauthz_store_value(p, e->revoked_at,
                                                   e->reason),
                             ttl)) != NULL) {
        return cli_fail("revoke: %s (index.txt and crl.pem are written; run "
                        "the same command again to write the store)",
                        err);
    }
    printf("  written to %s until the certificate expires: every server "
           "using it as CertAuthzRevocationStore refuses it within its "
           "CertAuthzStoreCacheSeconds\n",
           cli_store_name(st));
    return CLI_OK;
}

int cli_cmd_revoke(apr_pool_t *p, int argc, const char *const *argv)
{
    cli_args_t a;
    cli_ca_t *ca;
    const char *err, *reason = NULL, *store = NULL;
    certauthz_cadb_entry_t *e;
    cli_file_t *f[3];
    target_t t;

    err = cli_parse(p, "revoke", argc, argv, revoke_opts, 2, 2,
                    "revoke DIR SERIAL|CERT.pem|NAME [--reason R] "
                    "[--store redis:HOST:PORT]",
                    &a);
    if (err != NULL) {
        return cli_fail("%s", err);
    }
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
    store = cli_opt(&a, "--store");
    if (store != NULL && strncmp(store, "redis:", 6) != 0) {
        return cli_fail("revoke: --store '%s': the certauthz command writes "
                        "to redis:HOST:PORT only", store);
    }
    if ((err = cli_ca_open(p, APR_ARRAY_IDX(a.pos, 0, const char *), 1, &ca)) !=
            NULL ||
        (err = resolve(p, "revoke", ca, APR_ARRAY_IDX(a.pos, 1, const char *),
                       &t)) != NULL) {
        return cli_fail("%s", strncmp(err, "revoke", 6) == 0
                                  ? err
                                  : apr_pstrcat(p, "revoke: ", err, NULL));
    }
    e = certauthz_cadb_find(ca->db, t.serial);
    if (e == NULL && t.x == NULL) {
        return cli_fail("revoke: serial %s is not in %s: this CA did not "
                        "issue it",
                        t.serial, cli_path(p, ca->dir, "index.txt"));
    }
    if (e == NULL) {
        /* Issued by this CA's key outside its database (as openssl ca
         * -revoke, record it). */
        const ASN1_TIME *na = X509_get0_notAfter(t.x);
        char *dn = X509_NAME_oneline(X509_get_subject_name(t.x), NULL, 0);

        e = apr_array_push(ca->db);
        memset(e, 0, sizeof(*e));
        e->expiry = apr_pstrmemdup(p, (const char *)ASN1_STRING_get0_data(na),
                                   (apr_size_t)ASN1_STRING_length(na));
        e->not_after = t.cert->not_after;
        e->serial = t.serial;
        e->file = "unknown";
        e->subject = apr_pstrdup(p, dn ? dn : "");
        OPENSSL_free(dn);
    }
    if (e->status == 'R') {
        fprintf(stderr,
                "certauthz: revoke: serial %s (%s) was already "
                "revoked (%s); nothing changed\n",
                e->serial, e->subject, e->revoked);
        /* ...in the files; the store may not have it yet. */
        return store != NULL ? revoke_store(p, ca, &t, e, store) : CLI_OK;
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
    return store != NULL ? revoke_store(p, ca, &t, e, store) : CLI_OK;
}

static const cli_opt_t unrevoke_opts[] = {
    {"--passphrase-file", 1}, {"--store", 1}, {NULL, 0}};

int cli_cmd_unrevoke(apr_pool_t *p, int argc, const char *const *argv)
{
    cli_args_t a;
    cli_ca_t *ca;
    cli_store_t *st = NULL;
    const char *err, *store;
    certauthz_cadb_entry_t *e;
    cli_file_t *f[3];
    target_t t;

    err = cli_parse(p, "unrevoke", argc, argv, unrevoke_opts, 2, 2,
                    "unrevoke DIR SERIAL|CERT.pem|NAME "
                    "[--store redis:HOST:PORT]",
                    &a);
    if (err != NULL) {
        return cli_fail("%s", err);
    }
    store = cli_opt(&a, "--store");
    if (store != NULL && strncmp(store, "redis:", 6) != 0) {
        return cli_fail("unrevoke: --store '%s': the certauthz command "
                        "writes to redis:HOST:PORT only", store);
    }
    if ((err = cli_ca_open(p, APR_ARRAY_IDX(a.pos, 0, const char *), 1, &ca)) !=
            NULL ||
        (err = resolve(p, "unrevoke", ca,
                       APR_ARRAY_IDX(a.pos, 1, const char *), &t)) != NULL) {
        return cli_fail("%s", strncmp(err, "unrevoke", 8) == 0
                                  ? err
                                  : apr_pstrcat(p, "unrevoke: ", err, NULL));
    }
    e = certauthz_cadb_find(ca->db, t.serial);
    if (e == NULL) {
        return cli_fail("unrevoke: serial %s is not in %s: this CA did not "
                        "issue it",
                        t.serial, cli_path(p, ca->dir, "index.txt"));
    }
    /* Reach the store before changing anything: a store that cannot be
     * written leaves the files as they were. */
    if (store != NULL && (err = cli_store_open(p, store, &st)) != NULL) {
        return cli_fail("unrevoke: %s", err);
    }
    if (e->status == 'R') {
        if ((err = cli_ca_key(ca, &a)) != NULL) {
            return cli_fail("unrevoke: %s", err);
        }
        e->status = 'V';
        e->revoked = "";
        e->revoked_at = 0;
        e->reason = NULL;
        if ((err = cli_ca_stage_db(ca, &f[0])) != NULL ||
            (err = cli_ca_stage_crl(ca, CRL_DAYS, &f[1], &f[2])) != NULL ||
            (err = cli_commit(f[1])) != NULL ||
            (err = cli_commit(f[0])) != NULL ||
            (err = cli_commit(f[2])) != NULL) {
            return cli_fail("unrevoke: %s", err);
        }
        printf("serial %s (%s) is valid again\n", e->serial, e->subject);
        printf("  %s and %s rewritten (a relying party that fetched the "
               "old CRL refuses it until it fetches this one)\n",
               cli_path(p, ca->dir, "index.txt"),
               cli_path(p, ca->dir, "crl.pem"));
    }
    else {
        printf("serial %s (%s) is not revoked in %s; nothing changed there\n",
               e->serial, e->subject, cli_path(p, ca->dir, "index.txt"));
    }
    if (st != NULL) {
        unsigned char id[CERTAUTHZ_STORE_ID_MAX];
        apr_size_t len = serial_id(p, ca, &t, id);
        int removed = 0, fp_removed = 0;

        if (len > 0) {
            err = cli_store_remove(st, id, len, &removed);
        }
        if (err == NULL && t.cert != NULL) {
            len = certauthz_store_id_fingerprint(t.cert->sha256, id);
            err = cli_store_remove(st, id, len, &fp_removed);
        }
        if (err != NULL) {
            return cli_fail("unrevoke: %s", err);
        }
        printf("  %s: %s\n", cli_store_name(st),
               removed || fp_removed
                   ? "its revocation removed; servers let it in again "
                     "within their CertAuthzStoreCacheSeconds"
                   : "held no revocation of it");
    }
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
