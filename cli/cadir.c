/*
 * A CA directory as `certauthz ca init` makes it and `openssl ca` reads it:
 *
 *   ca.key       the CA key (0600; PKCS#8, AES-256 unless --no-passphrase)
 *   ca.crt       the CA certificate (0644)
 *   index.txt    openssl ca's database (0644), see src/cadb.h
 *   crlnumber    openssl ca's CRL counter (hex)
 *   crl.pem      the current CRL (0644)
 *   openssl.cnf  the same CA for openssl ca -config
 *   devices/     keys, certificates and .p12 of issued devices (0700)
 *   newcerts/    a copy of every certificate issued, by serial
 *
 * Writers take an exclusive flock on the directory, so two commands never
 * both read index.txt and write it back.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "src/cadb.h"

static apr_status_t free_x509(void *x)
{
    X509_free(x);
    return APR_SUCCESS;
}

void cli_own_x509(apr_pool_t *p, X509 *x)
{
    apr_pool_cleanup_register(p, x, free_x509, apr_pool_cleanup_null);
}

static apr_status_t free_pkey(void *k)
{
    EVP_PKEY_free(k);
    return APR_SUCCESS;
}

static apr_status_t close_fd(void *fd)
{
    close(*(int *)fd);
    return APR_SUCCESS;
}

const char *cli_path(apr_pool_t *p, const char *dir, const char *name)
{
    apr_size_t n = strlen(dir);

    return n > 0 && dir[n - 1] == '/' ? apr_pstrcat(p, dir, name, NULL)
                                      : apr_pstrcat(p, dir, "/", name, NULL);
}

const char *cli_ca_open(apr_pool_t *p, const char *dir, int lock,
                        cli_ca_t **out)
{
    cli_ca_t *ca = apr_pcalloc(p, sizeof(*ca));
    const char *crt = cli_path(p, dir, "ca.crt");
    const char *idx = cli_path(p, dir, "index.txt");
    const char *err;
    char *data;
    apr_size_t len;
    BIO *b;
    int fd;

    ca->p = p;
    ca->dir = dir;
    ca->lockfd = -1;
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        return apr_psprintf(p, "%s: %s (not a CA directory)", dir,
                            strerror(errno));
    }
    ca->lockfd = fd;
    apr_pool_cleanup_register(p, &ca->lockfd, close_fd, apr_pool_cleanup_null);
    /* ca.key is only needed to sign (cli_ca_key): a CA whose key is kept
     * elsewhere can still be listed. */
    if (access(crt, F_OK) != 0 || access(idx, F_OK) != 0) {
        return apr_psprintf(p,
                            "%s is not a CA directory (it needs ca.crt and "
                            "index.txt: make one with certauthz ca init %s)",
                            dir, dir);
    }
    if (lock && flock(fd, LOCK_EX) != 0) {
        return apr_psprintf(p, "%s: cannot lock: %s", dir, strerror(errno));
    }
    err = cli_read_file(p, crt, &data, &len);
    if (err != NULL) {
        return err;
    }
    b = BIO_new_mem_buf(data, (int)len);
    ca->cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (ca->cert == NULL) {
        ERR_clear_error();
        return apr_psprintf(p, "%s: not a PEM certificate", crt);
    }
    apr_pool_cleanup_register(p, ca->cert, free_x509, apr_pool_cleanup_null);
    if (X509_check_ca(ca->cert) == 0) {
        return apr_psprintf(p,
                            "%s is not a CA certificate (no "
                            "basicConstraints CA:TRUE)",
                            crt);
    }
    err = cli_read_file(p, idx, &data, &len);
    if (err == NULL) {
        err = certauthz_cadb_parse(p, idx, data, len, &ca->db);
    }
    if (err != NULL) {
        return err;
    }
    *out = ca;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Passphrases                                                         */

static int have_terminal(void)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY);

    if (fd < 0) {
        return 0;
    }
    close(fd);
    return 1;
}

/* From --passphrase-file, the environment, or the terminal (prompt). */
static const char *get_passphrase(apr_pool_t *p, const cli_args_t *a,
                                  const char *prompt, int confirm,
                                  const char **pass)
{
    const char *file = cli_opt(a, "--passphrase-file");
    const char *env = getenv("CERTAUTHZ_CA_PASSPHRASE");
    char buf[1024];

    if (file != NULL) {
        return cli_first_line(p, file, "--passphrase-file", pass);
    }
    if (env != NULL) {
        if (*env == '\0') {
            return "CERTAUTHZ_CA_PASSPHRASE is set but empty";
        }
        *pass = env;
        return NULL;
    }
    if (!have_terminal()) {
        return "the CA key needs a passphrase: give --passphrase-file FILE "
               "or set CERTAUTHZ_CA_PASSPHRASE (no terminal to ask on)";
    }
    if (EVP_read_pw_string_min(buf, 4, sizeof(buf), prompt, confirm) != 0) {
        OPENSSL_cleanse(buf, sizeof(buf));
        ERR_clear_error();
        return "no passphrase read from the terminal (or the two did not "
               "match)";
    }
    *pass = apr_pstrdup(p, buf);
    OPENSSL_cleanse(buf, sizeof(buf));
    return NULL;
}

const char *cli_new_passphrase(apr_pool_t *p, const cli_args_t *a,
                               const char **pass)
{
    const char *err =
        get_passphrase(p, a, "Passphrase for the new CA key: ", 1, pass);

    if (err == NULL && strlen(*pass) < 4) {
        return "the CA key's passphrase must have at least 4 characters";
    }
    return err;
}

const char *cli_ca_key(cli_ca_t *ca, const cli_args_t *a)
{
    apr_pool_t *p = ca->p;
    const char *path = cli_path(p, ca->dir, "ca.key");
    const char *pass = NULL, *err;
    char *data;
    apr_size_t len;
    BIO *b;

    err = cli_read_file(p, path, &data, &len);
    if (err != NULL) {
        return err;
    }
    if (strstr(data, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
        strstr(data, "Proc-Type: 4,ENCRYPTED") != NULL) {
        err = get_passphrase(p, a, apr_psprintf(p, "Passphrase for %s: ", path),
                             0, &pass);
        if (err != NULL) {
            return err;
        }
    }
    b = BIO_new_mem_buf(data, (int)len);
    /* A NULL callback with a string: OpenSSL's default callback uses it
     * as the passphrase, and never prompts. */
    ca->key =
        b ? PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)(pass ? pass : ""))
          : NULL;
    BIO_free(b);
    OPENSSL_cleanse(data, len);
    if (ca->key == NULL) {
        ERR_clear_error();
        return pass ? apr_psprintf(p, "%s: wrong passphrase", path)
                    : apr_psprintf(p, "%s: not a PEM private key", path);
    }
    apr_pool_cleanup_register(p, ca->key, free_pkey, apr_pool_cleanup_null);
    if (X509_check_private_key(ca->cert, ca->key) != 1) {
        ERR_clear_error();
        return apr_psprintf(p, "%s is not the key of %s", path,
                            cli_path(p, ca->dir, "ca.crt"));
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Keys, serials, certificates                                         */

const char *cli_new_key(apr_pool_t *p, const char *type, EVP_PKEY **key)
{
    if (type == NULL || strcmp(type, "ec") == 0) {
        *key = EVP_EC_gen("P-256");
    }
    else if (strcmp(type, "rsa") == 0) {
        *key = EVP_RSA_gen(3072);
    }
    else {
        return apr_psprintf(p,
                            "--key '%s': use ec (P-256) or rsa (3072 "
                            "bits)",
                            type);
    }
    if (*key == NULL) {
        return apr_psprintf(p, "generating a key: %s", cli_ossl_error(p));
    }
    apr_pool_cleanup_register(p, *key, free_pkey, apr_pool_cleanup_null);
    return NULL;
}

/* Upper-case hex as BN_bn2hex and so openssl ca write a serial. */
static const char *serial_hex(apr_pool_t *p, const ASN1_INTEGER *serial)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    char *hex =
        bn ? (BN_is_zero(bn) ? OPENSSL_strdup("00") : BN_bn2hex(bn)) : NULL;
    const char *s = hex ? apr_pstrdup(p, hex) : NULL;

    OPENSSL_free(hex);
    BN_free(bn);
    return s;
}

const char *cli_ca_serial(cli_ca_t *ca, ASN1_INTEGER **serial)
{
    unsigned char b[16];
    int tries;

    for (tries = 0; tries < 16; tries++) {
        BIGNUM *bn;
        const char *hex;

        if (RAND_bytes(b, sizeof(b)) != 1) {
            return apr_psprintf(ca->p, "random serial: %s",
                                cli_ossl_error(ca->p));
        }
        /* Positive, and 16 bytes long in DER. */
        b[0] &= 0x7f;
        if (b[0] == 0) {
            b[0] = 1;
        }
        bn = BN_bin2bn(b, sizeof(b), NULL);
        *serial = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
        BN_free(bn);
        if (*serial == NULL) {
            return "out of memory";
        }
        hex = serial_hex(ca->p, *serial);
        if (hex != NULL && certauthz_cadb_find(ca->db, hex) == NULL) {
            return NULL;
        }
        ASN1_INTEGER_free(*serial);
    }
    return "no unused random serial found (is index.txt sane?)";
}

int cli_add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok = ext != NULL && X509_add_ext(x, ext, -1);

    X509_EXTENSION_free(ext);
    return ok;
}

const char *cli_ca_sign(cli_ca_t *ca, EVP_PKEY *pubkey, X509_NAME *subject,
                        GENERAL_NAMES *sans, int days, X509 **out)
{
    apr_pool_t *p = ca->p;
    X509 *x = X509_new();
    ASN1_INTEGER *serial = NULL;
    certauthz_cadb_entry_t *e;
    const ASN1_TIME *na;
    X509V3_CTX ctx;
    const char *err;
    char *dn;

    if (x == NULL) {
        return "out of memory";
    }
    apr_pool_cleanup_register(p, x, free_x509, apr_pool_cleanup_null);
    err = cli_ca_serial(ca, &serial);
    if (err != NULL) {
        return err;
    }
    if (!X509_set_version(x, 2) || !X509_set_serialNumber(x, serial) ||
        !X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) ||
        !X509_set_subject_name(x, subject) || !X509_set_pubkey(x, pubkey) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL)) {
        ASN1_INTEGER_free(serial);
        return apr_psprintf(p, "building the certificate: %s",
                            cli_ossl_error(p));
    }
    ASN1_INTEGER_free(serial);
    /* What makes it a device certificate, whatever a CSR asked for. */
    X509V3_set_ctx(&ctx, ca->cert, x, NULL, NULL, 0);
    if (!cli_add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
        !cli_add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") ||
        !cli_add_ext(x, &ctx, NID_ext_key_usage, "clientAuth") ||
        !cli_add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
        !cli_add_ext(x, &ctx, NID_authority_key_identifier, "keyid") ||
        (sans != NULL && sk_GENERAL_NAME_num(sans) > 0 &&
         !X509_add1_ext_i2d(x, NID_subject_alt_name, sans, 0, 0))) {
        return apr_psprintf(p, "certificate extensions: %s", cli_ossl_error(p));
    }
    if (!X509_sign(x, ca->key, EVP_sha256())) {
        return apr_psprintf(p, "signing: %s", cli_ossl_error(p));
    }

    e = apr_array_push(ca->db);
    memset(e, 0, sizeof(*e));
    e->status = 'V';
    na = X509_get0_notAfter(x);
    e->expiry = apr_pstrmemdup(p, (const char *)ASN1_STRING_get0_data(na),
                               (apr_size_t)ASN1_STRING_length(na));
    certauthz_cadb_parse_time(e->expiry, strlen(e->expiry), &e->not_after);
    e->revoked = "";
    e->serial = serial_hex(p, X509_get0_serialNumber(x));
    e->file = "unknown";
    dn = X509_NAME_oneline(subject, NULL, 0);
    e->subject = dn ? apr_pstrdup(p, dn) : "";
    OPENSSL_free(dn);
    if (e->serial == NULL || dn == NULL) {
        return "out of memory";
    }
    *out = x;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* index.txt and crl.pem                                               */

const char *cli_ca_stage_db(cli_ca_t *ca, cli_file_t **out)
{
    char *text = certauthz_cadb_format(ca->p, ca->db);

    return cli_stage(ca->p, cli_path(ca->p, ca->dir, "index.txt"), text,
                     strlen(text), 0644, 0, out);
}

static X509_REVOKED *crl_entry(apr_pool_t *p, const certauthz_cadb_entry_t *e,
                               const char **err)
{
    X509_REVOKED *r = X509_REVOKED_new();
    ASN1_TIME *when = ASN1_TIME_new();
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial = NULL;
    const char *date = apr_pstrmemdup(p, e->revoked, strcspn(e->revoked, ","));
    int code = -1, ok;

    if (e->reason != NULL) {
        code = certauthz_cadb_reason_code(
            apr_pstrmemdup(p, e->reason, strcspn(e->reason, ",")), NULL);
    }
    ok = r != NULL && when != NULL && BN_hex2bn(&bn, e->serial) > 0 &&
         (serial = BN_to_ASN1_INTEGER(bn, NULL)) != NULL &&
         X509_REVOKED_set_serialNumber(r, serial) &&
         ASN1_TIME_set_string(when, date) &&
         X509_REVOKED_set_revocationDate(r, when);
    /* RFC 5280 5.3.1: reasonCode unspecified SHOULD be absent. */
    if (ok && code > 0) {
        ASN1_ENUMERATED *rc = ASN1_ENUMERATED_new();

        ok = rc != NULL && ASN1_ENUMERATED_set(rc, code) &&
             X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, rc, 0, 0);
        ASN1_ENUMERATED_free(rc);
    }
    BN_free(bn);
    ASN1_INTEGER_free(serial);
    ASN1_TIME_free(when);
    if (!ok) {
        X509_REVOKED_free(r);
        *err = apr_psprintf(p,
                            "index.txt: serial %s: bad revocation entry "
                            "'%s'",
                            e->serial, e->revoked);
        return NULL;
    }
    return r;
}

const char *cli_ca_stage_crl(cli_ca_t *ca, int days, cli_file_t **crl,
                             cli_file_t **number)
{
    apr_pool_t *p = ca->p;
    const char *numpath = cli_path(p, ca->dir, "crlnumber");
    const char *numtext = "1000", *err = NULL;
    X509_CRL *c = X509_CRL_new();
    ASN1_TIME *t = ASN1_TIME_new();
    BIGNUM *num = NULL;
    ASN1_INTEGER *crlnum = NULL;
    X509V3_CTX ctx;
    BIO *b = NULL;
    char *pem, *next = NULL;
    long n;
    int i, ok;

    if (access(numpath, F_OK) == 0) {
        err = cli_first_line(p, numpath, "crlnumber", &numtext);
    }
    ok = err == NULL && c != NULL && t != NULL &&
         BN_hex2bn(&num, numtext) == (int)strlen(numtext) &&
         (crlnum = BN_to_ASN1_INTEGER(num, NULL)) != NULL &&
         X509_CRL_set_version(c, X509_CRL_VERSION_2) &&
         X509_CRL_set_issuer_name(c, X509_get_subject_name(ca->cert)) &&
         X509_gmtime_adj(t, 0) && X509_CRL_set1_lastUpdate(c, t) &&
         X509_time_adj_ex(t, days, 0, NULL) && X509_CRL_set1_nextUpdate(c, t);
    if (!ok && err == NULL) {
        err = num == NULL
                  ? apr_psprintf(p, "%s: '%s' is not a hex number", numpath,
                                 numtext)
                  : apr_psprintf(p, "building the CRL: %s", cli_ossl_error(p));
    }
    for (i = 0; err == NULL && i < ca->db->nelts; i++) {
        const certauthz_cadb_entry_t *e =
            &APR_ARRAY_IDX(ca->db, i, certauthz_cadb_entry_t);
        X509_REVOKED *r;

        if (e->status != 'R') {
            continue;
        }
        r = crl_entry(p, e, &err);
        if (r != NULL && !X509_CRL_add0_revoked(c, r)) {
            X509_REVOKED_free(r);
            err = "out of memory";
        }
    }
    if (err == NULL) {
        X509_EXTENSION *aki;

        X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, c, 0);
        aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
                                  "keyid");
        if (!X509_CRL_sort(c) || aki == NULL || !X509_CRL_add_ext(c, aki, -1) ||
            !X509_CRL_add1_ext_i2d(c, NID_crl_number, crlnum, 0, 0)) {
            err = apr_psprintf(p, "CRL extensions: %s", cli_ossl_error(p));
        }
        X509_EXTENSION_free(aki);
    }
    if (err == NULL && !X509_CRL_sign(c, ca->key, EVP_sha256())) {
        err = apr_psprintf(p, "signing the CRL: %s", cli_ossl_error(p));
    }
    if (err == NULL) {
        b = BIO_new(BIO_s_mem());
        if (b == NULL || !PEM_write_bio_X509_CRL(b, c)) {
            err = "out of memory";
        }
    }
    if (err == NULL) {
        n = BIO_get_mem_data(b, &pem);
        err = cli_stage(p, cli_path(p, ca->dir, "crl.pem"), pem, (apr_size_t)n,
                        0644, 0, crl);
    }
    if (err == NULL && BN_add_word(num, 1) && (next = BN_bn2hex(num))) {
        const char *line = apr_pstrcat(p, next, "\n", NULL);

        err = cli_stage(p, numpath, line, strlen(line), 0644, 0, number);
    }
    else if (err == NULL) {
        err = "out of memory";
    }
    OPENSSL_free(next);
    BIO_free(b);
    BN_free(num);
    ASN1_INTEGER_free(crlnum);
    ASN1_TIME_free(t);
    X509_CRL_free(c);
    return err;
}
