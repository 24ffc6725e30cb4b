/*
 * certauthz issue: a key, certificate and PKCS#12 for one device;
 * certauthz sign: a certificate for a device's own request.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "src/cadb.h"

#define DEVICE_DAYS 365

static apr_status_t free_names(void *n)
{
    GENERAL_NAMES_free(n);
    return APR_SUCCESS;
}

static apr_status_t free_xname(void *n)
{
    X509_NAME_free(n);
    return APR_SUCCESS;
}

/* A device name is a file name in devices/ and the CN. */
static const char *check_device_name(apr_pool_t *p, const char *name)
{
    const char *c;

    if (*name == '\0' || strlen(name) > 64 || name[0] == '.' ||
        name[0] == '-') {
        return apr_psprintf(p,
                            "device name '%s': give 1 to 64 characters, "
                            "not starting with '.' or '-'",
                            name);
    }
    for (c = name; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || strchr("._-@+", *c))) {
            return apr_psprintf(p,
                                "device name '%s': only letters, digits "
                                "and . _ - @ + (it names the device's "
                                "files)",
                                name);
        }
    }
    return NULL;
}

static const char *add_san(apr_pool_t *p, GENERAL_NAMES *sans, int type,
                           const char *opt, const char *v)
{
    GENERAL_NAME *gn = NULL;
    const char *c;

    if (*v == '\0') {
        return apr_psprintf(p, "%s: empty value", opt);
    }
    for (c = v; *c; c++) {
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f) {
            return apr_psprintf(p,
                                "%s '%s': only printable ASCII without "
                                "blanks",
                                opt, v);
        }
    }
    if (type == GEN_EMAIL && (strchr(v, '@') == NULL || *v == '@')) {
        return apr_psprintf(p, "%s '%s' is not an email address", opt, v);
    }
    if (type == GEN_URI && strchr(v, ':') == NULL) {
        return apr_psprintf(p, "%s '%s' is not a URI (no scheme)", opt, v);
    }
    if (type == GEN_DNS &&
        (v[0] == '.' || strstr(v, "..") != NULL || strpbrk(v, "@/:") != NULL)) {
        return apr_psprintf(p, "%s '%s' is not a DNS name", opt, v);
    }
    if (type == GEN_IPADD) {
        ASN1_OCTET_STRING *ip = a2i_IPADDRESS(v);

        if (ip == NULL) {
            ERR_clear_error();
            return apr_psprintf(p, "%s '%s' is not an IPv4 or IPv6 address",
                                opt, v);
        }
        gn = GENERAL_NAME_new();
        if (gn != NULL) {
            GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
        }
        else {
            ASN1_OCTET_STRING_free(ip);
        }
    }
    else {
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();

        gn = GENERAL_NAME_new();
        if (s == NULL || gn == NULL || !ASN1_STRING_set(s, v, -1)) {
            ASN1_IA5STRING_free(s);
            GENERAL_NAME_free(gn);
            return "out of memory";
        }
        GENERAL_NAME_set0_value(gn, type, s);
    }
    if (gn == NULL || !sk_GENERAL_NAME_push(sans, gn)) {
        GENERAL_NAME_free(gn);
        return "out of memory";
    }
    return NULL;
}

/* A password for the .p12 that reads out loud: 20 characters of an
 * alphabet without 0/O, 1/l (about 100 bits), in groups of four. */
static const char *p12_password(apr_pool_t *p)
{
    static const char abc[] = "abcdefghijkmnopqrstuvwxyz23456789";
    char out[25];
    int i = 0, n = 0;

    while (n < 20) {
        unsigned char b;

        if (RAND_bytes(&b, 1) != 1) {
            return NULL;
        }
        if (b >= 256 - 256 % (sizeof(abc) - 1)) {
            continue; /* no modulo bias */
        }
        if (n > 0 && n % 4 == 0) {
            out[i++] = '-';
        }
        out[i++] = abc[b % (sizeof(abc) - 1)];
        n++;
    }
    out[i] = '\0';
    return apr_pstrdup(p, out);
}

static const char *make_p12(apr_pool_t *p, const char *name, EVP_PKEY *key,
                            X509 *cert, X509 *cacert, const char *pass,
                            int legacy, char **data, apr_size_t *len)
{
    STACK_OF(X509) *cas = sk_X509_new_null();
    int nid = legacy ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : NID_aes_256_cbc;
    PKCS12 *p12 = NULL;
    unsigned char *der = NULL;
    int n;

    /* The legacy encoding is 3DES for both bags (openssl pkcs12 -legacy
     * puts the certificates under RC2-40, which needs OpenSSL 3's legacy
     * provider; 3DES and the PKCS#12 KDF are in the default one, and every
     * system that wants the old encoding reads 3DES). */
    if (cas != NULL && sk_X509_push(cas, cacert)) {
        /* The MAC is set below, with the digest the encoding wants:
         * SHA-256 (OpenSSL 3's default) or SHA-1 for old systems. */
        p12 = PKCS12_create(pass, name, key, cert, cas, nid, nid,
                            PKCS12_DEFAULT_ITER, -1, 0);
    }
    sk_X509_free(cas);
    if (p12 == NULL ||
        !PKCS12_set_mac(p12, pass, -1, NULL, 0, PKCS12_DEFAULT_ITER,
                        legacy ? EVP_sha1() : EVP_sha256())) {
        PKCS12_free(p12);
        return apr_psprintf(p, "making the PKCS#12: %s", cli_ossl_error(p));
    }
    n = i2d_PKCS12(p12, &der);
    PKCS12_free(p12);
    if (n <= 0) {
        return apr_psprintf(p, "making the PKCS#12: %s", cli_ossl_error(p));
    }
    *data = apr_pmemdup(p, der, (apr_size_t)n);
    *len = (apr_size_t)n;
    OPENSSL_free(der);
    return NULL;
}

static const char *serial_of(apr_pool_t *p, X509 *x)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    const char *s = hex ? apr_pstrdup(p, hex) : "?";

    OPENSSL_free(hex);
    BN_free(bn);
    return s;
}

/* Commit files in order; on a failure, remove the ones committed. */
static const char *commit_all(cli_file_t **f, int n)
{
    const char *err;
    int i;

    for (i = 0; i < n; i++) {
        if ((err = cli_commit(f[i])) != NULL) {
            while (--i >= 0) {
                unlink(cli_file_path(f[i]));
            }
            return err;
        }
    }
    return NULL;
}

static const cli_opt_t issue_opts[] = {{"--ou", 1},
                                       {"--email", 1},
                                       {"--dns", 1},
                                       {"--uri", 1},
                                       {"--ip", 1},
                                       {"--days", 1},
                                       {"--key", 1},
                                       {"--legacy", 0},
                                       {"--p12-passphrase-file", 1},
                                       {"--passphrase-file", 1},
                                       {NULL, 0}};

int cli_cmd_issue(apr_pool_t *p, int argc, const char *const *argv)
{
    static const struct {
        const char *opt;
        int type;
    } san_opts[] = {{"--email", GEN_EMAIL},
                    {"--dns", GEN_DNS},
                    {"--uri", GEN_URI},
                    {"--ip", GEN_IPADD}};
    cli_args_t a;
    cli_ca_t *ca;
    const char *err, *dir, *name, *pass, *p12file, *paths[3];
    GENERAL_NAMES *sans = sk_GENERAL_NAME_new_null();
    X509_NAME *subject = X509_NAME_new();
    const X509_NAME *caname;
    apr_array_header_t *ous;
    EVP_PKEY *key;
    X509 *cert;
    cli_file_t *f[5];
    char *data;
    apr_size_t len;
    int days, i, j;

    if (sans == NULL || subject == NULL) {
        GENERAL_NAMES_free(sans);
        X509_NAME_free(subject);
        return cli_fail("issue: out of memory");
    }
    apr_pool_cleanup_register(p, sans, free_names, apr_pool_cleanup_null);
    apr_pool_cleanup_register(p, subject, free_xname, apr_pool_cleanup_null);
    err = cli_parse(p, "issue", argc, argv, issue_opts, 2, 2,
                    "issue DIR NAME [--ou OU]... [--email E] [--dns D] "
                    "[--uri U] [--ip A] [--days N] [--legacy]",
                    &a);
    if (err == NULL) {
        err = cli_days(&a, "--days", DEVICE_DAYS, &days);
    }
    if (err != NULL) {
        return cli_fail("%s", err);
    }
    dir = APR_ARRAY_IDX(a.pos, 0, const char *);
    name = APR_ARRAY_IDX(a.pos, 1, const char *);
    if ((err = check_device_name(p, name)) != NULL) {
        return cli_fail("issue: %s", err);
    }
    ous = cli_opts(&a, "--ou");
    for (i = 0; i < ous->nelts; i++) {
        if ((err = cli_check_name(
                 p, "--ou", APR_ARRAY_IDX(ous, i, const char *))) != NULL) {
            return cli_fail("issue: %s", err);
        }
    }
    for (j = 0; j < 4; j++) {
        apr_array_header_t *v = cli_opts(&a, san_opts[j].opt);

        for (i = 0; i < v->nelts; i++) {
            err = add_san(p, sans, san_opts[j].type, san_opts[j].opt,
                          APR_ARRAY_IDX(v, i, const char *));
            if (err != NULL) {
                return cli_fail("issue: %s", err);
            }
        }
    }
    if ((err = cli_ca_open(p, dir, 1, &ca)) != NULL) {
        return cli_fail("issue: %s", err);
    }
    paths[0] = cli_path(p, dir, apr_pstrcat(p, "devices/", name, ".key", NULL));
    paths[1] = cli_path(p, dir, apr_pstrcat(p, "devices/", name, ".crt", NULL));
    paths[2] = cli_path(p, dir, apr_pstrcat(p, "devices/", name, ".p12", NULL));
    for (i = 0; i < 3; i++) {
        if (access(paths[i], F_OK) == 0) {
            return cli_fail("issue: %s already exists: device '%s' was "
                            "issued before (revoke it and pick a new name, "
                            "or remove its files)",
                            paths[i], name);
        }
    }
    p12file = cli_opt(&a, "--p12-passphrase-file");
    if (p12file != NULL) {
        err = cli_first_line(p, p12file, "--p12-passphrase-file", &pass);
    }
    else if ((pass = p12_password(p)) == NULL) {
        err = "no randomness for the .p12 password";
    }
    if (err == NULL) {
        err = cli_ca_key(ca, &a);
    }
    if (err == NULL) {
        err = cli_new_key(p, cli_opt(&a, "--key"), &key);
    }
    if (err != NULL) {
        return cli_fail("issue: %s", err);
    }

    /* CN=NAME, the CA's O, the OUs given. */
    caname = X509_get_subject_name(ca->cert);
    for (i = 0; i < X509_NAME_entry_count(caname); i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(caname, i);

        if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) ==
                NID_organizationName &&
            !X509_NAME_add_entry(subject, e, -1, 0)) {
            return cli_fail("issue: out of memory");
        }
    }
    for (i = 0; i < ous->nelts; i++) {
        if (!X509_NAME_add_entry_by_NID(
                subject, NID_organizationalUnitName, MBSTRING_UTF8,
                (const unsigned char *)APR_ARRAY_IDX(ous, i, const char *), -1,
                -1, 0)) {
            return cli_fail("issue: --ou: %s", cli_ossl_error(p));
        }
    }
    if (!X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                    (const unsigned char *)name, -1, -1, 0)) {
        return cli_fail("issue: %s", cli_ossl_error(p));
    }
    if ((err = cli_ca_sign(ca, key, subject, sans, days, &cert)) != NULL) {
        return cli_fail("issue: %s", err);
    }

    {
        BIO *b = BIO_new(BIO_s_mem());
        char *mem;
        long n;

        if (b == NULL ||
            !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) {
            BIO_free(b);
            return cli_fail("issue: %s", cli_ossl_error(p));
        }
        n = BIO_get_mem_data(b, &mem);
        err = cli_stage(p, paths[0], mem, (apr_size_t)n, 0600, 1, &f[0]);
        OPENSSL_cleanse(mem, (apr_size_t)n);
        BIO_free(b);
    }
    if (err == NULL && (err = cli_pem_cert(p, cert, &data, &len)) == NULL &&
        (err = cli_stage(p, paths[1], data, len, 0644, 1, &f[1])) == NULL &&
        (err =
             cli_stage(p,
                       cli_path(p, dir,
                                apr_pstrcat(p, "newcerts/", serial_of(p, cert),
                                            ".pem", NULL)),
                       data, len, 0644, 1, &f[2])) == NULL &&
        (err = make_p12(p, name, key, cert, ca->cert, pass,
                        cli_opt(&a, "--legacy") != NULL, &data, &len)) ==
            NULL &&
        (err = cli_stage(p, paths[2], data, len, 0600, 1, &f[3])) == NULL &&
        (err = cli_ca_stage_db(ca, &f[4])) == NULL) {
        err = commit_all(f, 5);
    }
    if (err != NULL) {
        return cli_fail("issue: %s", err);
    }
    printf("device %s: serial %s, valid %d days\n", name, serial_of(p, cert),
           days);
    printf("  key:          %s\n  certificate:  %s\n  pkcs12:       %s%s\n",
           paths[0], paths[1], paths[2],
           cli_opt(&a, "--legacy") ? " (legacy 3DES/SHA-1)" : "");
    if (p12file != NULL) {
        printf("  p12 password: the first line of %s\n", p12file);
    }
    else {
        printf("  p12 password: %s\n", pass);
        printf("(shown once: give it to the device's user apart from the "
               ".p12)\n");
    }
    return CLI_OK;
}

static const cli_opt_t sign_opts[] = {
    {"--days", 1}, {"--out", 1}, {"--passphrase-file", 1}, {NULL, 0}};

static apr_status_t free_req(void *r)
{
    X509_REQ_free(r);
    return APR_SUCCESS;
}

static const char *read_csr(apr_pool_t *p, const char *path, X509_REQ **req)
{
    const char *err;
    char *data;
    apr_size_t len;
    BIO *b;

    if ((err = cli_read_file(p, path, &data, &len)) != NULL) {
        return err;
    }
    b = BIO_new_mem_buf(data, (int)len);
    *req = NULL;
    if (b != NULL && strstr(data, "-----BEGIN") != NULL) {
        *req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
    }
    else if (b != NULL) {
        *req = d2i_X509_REQ_bio(b, NULL);
    }
    BIO_free(b);
    if (*req == NULL) {
        ERR_clear_error();
        return apr_psprintf(p,
                            "%s is not a certificate request (PEM or "
                            "DER PKCS#10)",
                            path);
    }
    apr_pool_cleanup_register(p, *req, free_req, apr_pool_cleanup_null);
    return NULL;
}

/* Why a request cannot be signed, or NULL. */
static const char *check_csr(apr_pool_t *p, const char *path, X509_REQ *req,
                             EVP_PKEY *pub)
{
    const X509_NAME *subj = X509_REQ_get_subject_name(req);
    int i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);

    if (pub == NULL) {
        return apr_psprintf(p,
                            "%s: the request's public key cannot be "
                            "read",
                            path);
    }
    if (X509_REQ_verify(req, pub) != 1) {
        ERR_clear_error();
        return apr_psprintf(p,
                            "%s: bad signature: the request was not "
                            "signed by its own key (damaged or forged)",
                            path);
    }
    if (i < 0 || ASN1_STRING_length(X509_NAME_ENTRY_get_data(
                     X509_NAME_get_entry(subj, i))) == 0) {
        return apr_psprintf(p,
                            "%s has no CN in its subject: a device "
                            "certificate names its device (openssl req -subj "
                            "'/CN=NAME' ...)",
                            path);
    }
    if (EVP_PKEY_is_a(pub, "RSA") && EVP_PKEY_get_bits(pub) < 2048) {
        return apr_psprintf(p,
                            "%s: RSA key of %d bits: at least 2048 "
                            "needed",
                            path, EVP_PKEY_get_bits(pub));
    }
    return NULL;
}

int cli_cmd_sign(apr_pool_t *p, int argc, const char *const *argv)
{
    cli_args_t a;
    cli_ca_t *ca;
    const char *err, *csr, *out;
    X509_REQ *req = NULL;
    EVP_PKEY *pub;
    STACK_OF(X509_EXTENSION) * exts;
    GENERAL_NAMES *sans = NULL;
    X509 *cert = NULL;
    cli_file_t *f[3];
    char *data;
    apr_size_t len;
    int days, nf = 0, i;

    err = cli_parse(p, "sign", argc, argv, sign_opts, 2, 2,
                    "sign DIR REQ.csr [--days N] [--out FILE]", &a);
    if (err == NULL) {
        err = cli_days(&a, "--days", DEVICE_DAYS, &days);
    }
    if (err != NULL) {
        return cli_fail("%s", err);
    }
    csr = APR_ARRAY_IDX(a.pos, 1, const char *);
    out = cli_opt(&a, "--out");
    if ((err = cli_ca_open(p, APR_ARRAY_IDX(a.pos, 0, const char *), 1, &ca)) !=
            NULL ||
        (err = read_csr(p, csr, &req)) != NULL) {
        return cli_fail("sign: %s", err);
    }
    pub = X509_REQ_get0_pubkey(req);
    err = check_csr(p, csr, req, pub);
    if (err == NULL) {
        err = cli_ca_key(ca, &a);
    }
    if (err == NULL) {
        /* Of what a request asks for, only its names are kept: the
         * constraints and usages are the CA's (never CA:TRUE). */
        exts = X509_REQ_get_extensions(req);
        for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
            X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);

            if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) ==
                NID_subject_alt_name) {
                sans = X509V3_EXT_d2i(e);
            }
            else if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) ==
                     NID_basic_constraints) {
                fprintf(stderr,
                        "certauthz: sign: note: %s asks for "
                        "basicConstraints; ignored, the certificate is "
                        "CA:FALSE\n",
                        csr);
            }
        }
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
        err = cli_ca_sign(ca, pub, X509_REQ_get_subject_name(req), sans, days,
                          &cert);
        GENERAL_NAMES_free(sans);
    }
    if (err == NULL && (err = cli_pem_cert(p, cert, &data, &len)) == NULL) {
        err = cli_stage(p,
                        cli_path(p, ca->dir,
                                 apr_pstrcat(p, "newcerts/", serial_of(p, cert),
                                             ".pem", NULL)),
                        data, len, 0644, 1, &f[nf++]);
    }
    if (err == NULL && out != NULL) {
        err = cli_stage(p, out, data, len, 0644, 0, &f[nf++]);
    }
    if (err == NULL && (err = cli_ca_stage_db(ca, &f[nf++])) == NULL) {
        err = commit_all(f, nf);
    }
    if (err != NULL) {
        return cli_fail("sign: %s", err);
    }
    if (out != NULL) {
        printf("%s: serial %s, valid %d days\n", out, serial_of(p, cert), days);
    }
    else {
        fwrite(data, 1, len, stdout);
    }
    return CLI_OK;
}
