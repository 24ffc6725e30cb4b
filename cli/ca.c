/*
 * certauthz ca init: a new CA directory; certauthz crl: its CRL signed
 * again.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <apr_strings.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "src/cadb.h"
#include "src/certinfo.h"

#define CRL_DAYS 30

/* What ca init created, removed again unless it completed. */
typedef struct {
    const char *dir;
    int made_dir;
    const char *subdirs[2];
    int done;
} init_state_t;

static apr_status_t undo_init(void *data)
{
    init_state_t *st = data;
    int i;

    if (!st->done) {
        for (i = 0; i < 2; i++) {
            if (st->subdirs[i] != NULL) {
                rmdir(st->subdirs[i]);
            }
        }
        if (st->made_dir) {
            rmdir(st->dir);
        }
    }
    return APR_SUCCESS;
}

/* A name for a certificate: non-empty, at most 64 bytes (the upper bound
 * of CN and O), no control characters. */
const char *cli_check_name(apr_pool_t *p, const char *opt, const char *v)
{
    const unsigned char *c;

    if (*v == '\0' || strlen(v) > 64) {
        return apr_psprintf(p, "%s '%s': give 1 to 64 bytes", opt, v);
    }
    for (c = (const unsigned char *)v; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            return apr_psprintf(p, "%s: control characters are not allowed",
                                opt);
        }
    }
    return NULL;
}

static const char *openssl_cnf(apr_pool_t *p, const char *absdir)
{
    return apr_pstrcat(
        p,
        "# openssl ca configuration of this CA, written by certauthz ca "
        "init.\n"
        "# certauthz and openssl ca keep the same files:\n"
        "#   openssl ca -config ",
        absdir,
        "/openssl.cnf -revoke CERT.pem\n"
        "#   openssl ca -config ",
        absdir,
        "/openssl.cnf -gencrl -out "
        "crl.pem\n"
        "[ ca ]\n"
        "default_ca = certauthz\n"
        "\n"
        "[ certauthz ]\n"
        "dir              = ",
        absdir,
        "\n"
        "certificate      = $dir/ca.crt\n"
        "private_key      = $dir/ca.key\n"
        "database         = $dir/index.txt\n"
        "new_certs_dir    = $dir/newcerts\n"
        "crlnumber        = $dir/crlnumber\n"
        "rand_serial      = yes\n"
        "unique_subject   = no\n"
        "default_md       = sha256\n"
        "default_days     = 365\n"
        "default_crl_days = 30\n"
        "policy           = policy_device\n"
        "x509_extensions  = device_ext\n"
        "crl_extensions   = crl_ext\n"
        "copy_extensions  = none\n"
        "\n"
        "[ policy_device ]\n"
        "countryName            = optional\n"
        "stateOrProvinceName    = optional\n"
        "localityName           = optional\n"
        "organizationName       = optional\n"
        "organizationalUnitName = optional\n"
        "commonName             = supplied\n"
        "emailAddress           = optional\n"
        "\n"
        "[ device_ext ]\n"
        "basicConstraints       = critical,CA:FALSE\n"
        "keyUsage               = critical,digitalSignature\n"
        "extendedKeyUsage       = clientAuth\n"
        "subjectKeyIdentifier   = hash\n"
        "authorityKeyIdentifier = keyid\n"
        "\n"
        "[ crl_ext ]\n"
        "authorityKeyIdentifier = keyid\n",
        NULL);
}

/* The self-signed CA certificate. */
static const char *make_ca_cert(cli_ca_t *ca, const char *cn, const char *org,
                                int days)
{
    apr_pool_t *p = ca->p;
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    ASN1_INTEGER *serial = NULL;
    X509V3_CTX ctx;
    const char *err;
    int ok;

    if (x == NULL || name == NULL) {
        X509_free(x);
        X509_NAME_free(name);
        return "out of memory";
    }
    cli_own_x509(p, x);
    ca->cert = x;
    err = cli_ca_serial(ca, &serial);
    if (err != NULL) {
        X509_NAME_free(name);
        return err;
    }
    ok = (org == NULL ||
          X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
                                     (const unsigned char *)org, -1, -1, 0)) &&
         X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                    (const unsigned char *)cn, -1, -1, 0) &&
         X509_set_version(x, 2) && X509_set_serialNumber(x, serial) &&
         X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) &&
         X509_set_pubkey(x, ca->key) &&
         X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
         X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL);
    ASN1_INTEGER_free(serial);
    X509_NAME_free(name);
    if (ok) {
        X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
        /* pathlen:0: this CA signs devices, never another CA. */
        ok = cli_add_ext(x, &ctx, NID_basic_constraints,
                         "critical,CA:TRUE,pathlen:0") &&
             cli_add_ext(x, &ctx, NID_key_usage,
                         "critical,keyCertSign,cRLSign") &&
             cli_add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
             cli_add_ext(x, &ctx, NID_authority_key_identifier, "keyid") &&
             X509_sign(x, ca->key, EVP_sha256());
    }
    return ok ? NULL
              : apr_psprintf(p, "making the CA certificate: %s",
                             cli_ossl_error(p));
}

static const char *key_pem(apr_pool_t *p, EVP_PKEY *key, const char *pass,
                           char **data, apr_size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *mem;
    long n;
    int ok;

    if (pass != NULL) {
        ok = b != NULL &&
             PEM_write_bio_PKCS8PrivateKey(b, key, EVP_aes_256_cbc(), NULL, 0,
                                           NULL, (void *)pass);
    }
    else {
        ok = b != NULL &&
             PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
    }
    if (!ok) {
        BIO_free(b);
        return apr_psprintf(p, "writing the key: %s", cli_ossl_error(p));
    }
    n = BIO_get_mem_data(b, &mem);
    *data = apr_pstrmemdup(p, mem, (apr_size_t)n);
    *len = (apr_size_t)n;
    OPENSSL_cleanse(mem, (apr_size_t)n);
    BIO_free(b);
    return NULL;
}

static const cli_opt_t init_opts[] = {
    {"--cn", 1},  {"--org", 1},           {"--days", 1},
    {"--key", 1}, {"--no-passphrase", 0}, {"--passphrase-file", 1},
    {NULL, 0}};

int cli_cmd_ca_init(apr_pool_t *p, int argc, const char *const *argv)
{
    static const char *const held[] = {"ca.key",  "ca.crt",    "index.txt",
                                       "crl.pem", "crlnumber", "openssl.cnf"};
    cli_args_t a;
    cli_ca_t ca = {0};
    init_state_t *st = apr_pcalloc(p, sizeof(*st));
    const char *err, *dir, *org, *cn, *cnf, *pass = NULL;
    cli_file_t *files[8];
    char *data, absdir[PATH_MAX];
    apr_size_t len;
    struct stat sb;
    int days, i, nf = 0;

    err = cli_parse(p, "ca init", argc, argv, init_opts, 1, 1,
                    "ca init DIR [--cn NAME] [--org O] [--days N] "
                    "[--key ec|rsa] [--no-passphrase]",
                    &a);
    if (err == NULL) {
        err = cli_days(&a, "--days", 3650, &days);
    }
    if (err != NULL) {
        return cli_fail("%s", err);
    }
    dir = APR_ARRAY_IDX(a.pos, 0, const char *);
    org = cli_opt(&a, "--org");
    cn = cli_opt(&a, "--cn");
    if (cn == NULL) {
        cn = org ? apr_pstrcat(p, org, " Device CA", NULL) : "Device CA";
    }
    if ((err = cli_check_name(p, "--cn", cn)) != NULL ||
        (org && (err = cli_check_name(p, "--org", org)) != NULL)) {
        return cli_fail("ca init: %s", err);
    }
    if (cli_opt(&a, "--no-passphrase") && cli_opt(&a, "--passphrase-file")) {
        return cli_fail("ca init: --no-passphrase and --passphrase-file "
                        "contradict each other");
    }

    /* Refuse before anything is made, and change nothing. */
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) {
            return cli_fail("ca init: %s exists and is not a directory", dir);
        }
        for (i = 0; i < (int)(sizeof(held) / sizeof(held[0])); i++) {
            if (access(cli_path(p, dir, held[i]), F_OK) == 0) {
                return cli_fail("ca init: %s already holds a CA (%s): "
                                "nothing changed",
                                dir, held[i]);
            }
        }
    }
    else if (errno != ENOENT) {
        return cli_fail("ca init: %s: %s", dir, strerror(errno));
    }
    ca.p = p;
    ca.dir = dir;
    ca.db = apr_array_make(p, 1, sizeof(certauthz_cadb_entry_t));
    if (!cli_opt(&a, "--no-passphrase") &&
        (err = cli_new_passphrase(p, &a, &pass)) != NULL) {
        return cli_fail("ca init: %s", err);
    }
    if ((err = cli_new_key(p, cli_opt(&a, "--key"), &ca.key)) != NULL ||
        (err = make_ca_cert(&ca, cn, org, days)) != NULL) {
        return cli_fail("ca init: %s", err);
    }

    st->dir = dir;
    apr_pool_cleanup_register(p, st, undo_init, apr_pool_cleanup_null);
    if (mkdir(dir, 0755) == 0) {
        st->made_dir = 1;
    }
    else if (errno != EEXIST) {
        return cli_fail("ca init: %s: %s", dir, strerror(errno));
    }
    for (i = 0; i < 2; i++) {
        const char *sub = cli_path(p, dir, i ? "newcerts" : "devices");
        mode_t mode = i ? 0755 : 0700;

        if (mkdir(sub, mode) == 0) {
            st->subdirs[i] = sub;
        }
        else if (errno != EEXIST || stat(sub, &sb) != 0 ||
                 !S_ISDIR(sb.st_mode)) {
            return cli_fail("ca init: %s: %s", sub, strerror(errno));
        }
        if (chmod(sub, mode) != 0) {
            return cli_fail("ca init: %s: %s", sub, strerror(errno));
        }
    }
    if (realpath(dir, absdir) == NULL) {
        return cli_fail("ca init: %s: %s", dir, strerror(errno));
    }
    cnf = openssl_cnf(p, absdir);

    if ((err = key_pem(p, ca.key, pass, &data, &len)) != NULL ||
        (err = cli_stage(p, cli_path(p, dir, "ca.key"), data, len, 0600, 1,
                         &files[nf++])) != NULL ||
        (err = cli_pem_cert(p, ca.cert, &data, &len)) != NULL ||
        (err = cli_stage(p, cli_path(p, dir, "ca.crt"), data, len, 0644, 1,
                         &files[nf++])) != NULL ||
        (err = cli_stage(p, cli_path(p, dir, "index.txt"), "", 0, 0644, 1,
                         &files[nf++])) != NULL ||
        (err = cli_stage(p, cli_path(p, dir, "index.txt.attr"),
                         "unique_subject = no\n", 20, 0644, 1, &files[nf++])) !=
            NULL ||
        (err = cli_stage(p, cli_path(p, dir, "openssl.cnf"), cnf, strlen(cnf),
                         0644, 1, &files[nf++])) != NULL ||
        (err = cli_ca_stage_crl(&ca, CRL_DAYS, &files[nf], &files[nf + 1])) !=
            NULL) {
        return cli_fail("ca init: %s", err);
    }
    nf += 2;
    for (i = 0; i < nf; i++) {
        if ((err = cli_commit(files[i])) != NULL) {
            /* Take back what this run committed. */
            while (--i >= 0) {
                unlink(cli_file_path(files[i]));
            }
            return cli_fail("ca init: %s", err);
        }
    }
    st->done = 1;
    printf("CA \"%s\" in %s (%s key%s), valid %d days\n", cn, dir,
           cli_opt(&a, "--key") ? cli_opt(&a, "--key") : "ec",
           pass ? ", encrypted with AES-256" : ", NOT encrypted", days);
    printf("  %s\n  %s\n  %s\n  %s\n", cli_path(p, dir, "ca.crt"),
           cli_path(p, dir, "ca.key"), cli_path(p, dir, "index.txt"),
           cli_path(p, dir, "crl.pem"));
    printf("next: certauthz issue %s DEVICE-NAME\n", dir);
    return CLI_OK;
}

static const cli_opt_t crl_opts[] = {
    {"--days", 1}, {"--passphrase-file", 1}, {NULL, 0}};

int cli_cmd_crl(apr_pool_t *p, int argc, const char *const *argv)
{
    cli_args_t a;
    cli_ca_t *ca;
    cli_file_t *crl, *num;
    const char *err;
    char when[21];
    int days, i, revoked = 0;

    err = cli_parse(p, "crl", argc, argv, crl_opts, 1, 1, "crl DIR [--days N]",
                    &a);
    if (err == NULL) {
        err = cli_days(&a, "--days", CRL_DAYS, &days);
    }
    if (err == NULL) {
        err = cli_ca_open(p, APR_ARRAY_IDX(a.pos, 0, const char *), 1, &ca);
    }
    if (err == NULL) {
        err = cli_ca_key(ca, &a);
    }
    if (err == NULL) {
        err = cli_ca_stage_crl(ca, days, &crl, &num);
    }
    if (err == NULL && (err = cli_commit(crl)) == NULL) {
        err = cli_commit(num);
    }
    if (err != NULL) {
        return cli_fail("crl: %s", err);
    }
    for (i = 0; i < ca->db->nelts; i++) {
        revoked +=
            APR_ARRAY_IDX(ca->db, i, certauthz_cadb_entry_t).status == 'R';
    }
    certauthz_iso8601((apr_int64_t)time(NULL) + (apr_int64_t)days * 86400,
                      when);
    printf("%s: %d revoked, next update %s\n", cli_path(p, ca->dir, "crl.pem"),
           revoked, when);
    return CLI_OK;
}
