/*
 * The certauthz command: shared declarations of its parts.
 *
 * Every command returns its exit status: 0 done (or granted), 1 denied
 * (check), 2 bad input.  A failure is reported once, as one line on
 * standard error (cli_fail), and whatever the command had started to
 * write is removed by its pool's cleanups (cli_file_t).
 */
#ifndef CERTAUTHZ_CLI_H
#define CERTAUTHZ_CLI_H

#include <sys/types.h>

#include <apr_pools.h>
#include <apr_tables.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "src/certinfo.h"

#define CLI_OK 0
#define CLI_DENIED 1
#define CLI_BAD 2

/* ---- certauthz.c: options and messages ---------------------------- */

typedef struct {
    const char *name; /* "--days" */
    int takes_arg;
} cli_opt_t;

typedef struct {
    apr_pool_t *p;
    const char *cmd;         /* "issue", "ca init": for messages */
    apr_array_header_t *pos; /* positional arguments (const char *) */
    apr_table_t *opts;       /* "--name" -> value ("" for flags) */
} cli_args_t;

/* Print "certauthz: MSG" (printf-style) on stderr; returns CLI_BAD. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The value of an option, or NULL; every value of a repeatable one. */
const char *cli_opt(const cli_args_t *a, const char *name);
apr_array_header_t *cli_opts(const cli_args_t *a, const char *name);

/* A positive number of days from an option, or dflt: NULL or a message. */
const char *cli_days(const cli_args_t *a, const char *name, int dflt,
                     int *days);

/* The first line of a file, without its newline: NULL or a message. */
const char *cli_first_line(apr_pool_t *p, const char *path, const char *what,
                           const char **line);

/* The whole of a file (NUL-terminated): NULL or a message. */
const char *cli_read_file(apr_pool_t *p, const char *path, char **data,
                          apr_size_t *len);

/* A value for a CN, O or OU: NULL or a message naming the option. */
const char *cli_check_name(apr_pool_t *p, const char *opt, const char *v);

/* The last OpenSSL error as text, and the queue cleared. */
const char *cli_ossl_error(apr_pool_t *p);

/* ---- files.c: writing without leaving anything half-written ------- */

typedef struct cli_file cli_file_t;

/* Write data to a temporary file beside path with the given mode; it
 * replaces path (rename) at cli_commit, and is removed when p is
 * destroyed before that.  excl: refuse to replace an existing path. */
const char *cli_stage(apr_pool_t *p, const char *path, const void *data,
                      apr_size_t len, mode_t mode, int excl, cli_file_t **out);
const char *cli_commit(cli_file_t *f);
const char *cli_file_path(const cli_file_t *f);

/* A PEM/DER object as bytes. */
const char *cli_pem_cert(apr_pool_t *p, X509 *x, char **data, apr_size_t *len);

/* ---- cadir.c: a CA directory ------------------------------------- */

typedef struct {
    apr_pool_t *p;
    const char *dir;
    X509 *cert;
    EVP_PKEY *key;          /* after cli_ca_key */
    apr_array_header_t *db; /* certauthz_cadb_entry_t */
    int lockfd;
} cli_ca_t;

const char *cli_path(apr_pool_t *p, const char *dir, const char *name);

/* Open the CA in dir: ca.crt and index.txt read and checked, the
 * directory locked against other writers when lock is set. */
const char *cli_ca_open(apr_pool_t *p, const char *dir, int lock,
                        cli_ca_t **out);

/* Decrypt ca.key (asking for the passphrase only when it is encrypted)
 * and check that it belongs to ca.crt. */
const char *cli_ca_key(cli_ca_t *ca, const cli_args_t *a);

/* The passphrase for a new CA key (init), from --passphrase-file,
 * CERTAUTHZ_CA_PASSPHRASE or the terminal (asked twice). */
const char *cli_new_passphrase(apr_pool_t *p, const cli_args_t *a,
                               const char **pass);

/* A fresh random serial (128 bits, positive, 16 bytes) no entry of the
 * database has. */
const char *cli_ca_serial(cli_ca_t *ca, ASN1_INTEGER **serial);

/* Stage index.txt from ca->db. */
const char *cli_ca_stage_db(cli_ca_t *ca, cli_file_t **out);

/* Stage crl.pem signed now, valid days (and crlnumber, incremented). */
const char *cli_ca_stage_crl(cli_ca_t *ca, int days, cli_file_t **crl,
                             cli_file_t **number);

/* Sign a new end-entity certificate for pubkey: subject, optional SANs,
 * days; records it in ca->db (the caller stages the database). */
const char *cli_ca_sign(cli_ca_t *ca, EVP_PKEY *pubkey, X509_NAME *subject,
                        GENERAL_NAMES *sans, int days, X509 **out);

/* Add the extension NID with a value in openssl's config syntax. */
int cli_add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value);

/* Free x with p. */
void cli_own_x509(apr_pool_t *p, X509 *x);

/* A new key: "ec" (P-256, the default) or "rsa" (3072 bits). */
const char *cli_new_key(apr_pool_t *p, const char *type, EVP_PKEY **key);

/* ---- store.c: the revocation store of a fleet (Redis) ------------- */

typedef struct cli_store cli_store_t;

/* Reach the store of --store redis:HOST:PORT: NULL or a message. */
const char *cli_store_open(apr_pool_t *p, const char *spec, cli_store_t **out);
/* "redis HOST:PORT", for messages. */
const char *cli_store_name(const cli_store_t *st);
/* Write the entry id (src/storekey.h) with value, living ttl seconds. */
const char *cli_store_put(cli_store_t *st, const unsigned char *id,
                          apr_size_t len, const char *value,
                          apr_uint32_t ttl);
/* Remove the entry id; *removed: whether it was there. */
const char *cli_store_remove(cli_store_t *st, const unsigned char *id,
                             apr_size_t len, int *removed);

/* ---- inspect.c ---------------------------------------------------- */

/* Read a certificate (PEM or DER, "-" for standard input) with the
 * module's own parser (src/certinfo.c).  NULL or a message. */
const char *cli_read_cert(apr_pool_t *p, const char *path,
                          const certauthz_cert_t **cert);

/* ---- the commands ------------------------------------------------- */

int cli_cmd_ca_init(apr_pool_t *p, int argc, const char *const *argv);
int cli_cmd_crl(apr_pool_t *p, int argc, const char *const *argv);
int cli_cmd_issue(apr_pool_t *p, int argc, const char *const *argv);
int cli_cmd_sign(apr_pool_t *p, int argc, const char *const *argv);
int cli_cmd_revoke(apr_pool_t *p, int argc, const char *const *argv);
int cli_cmd_unrevoke(apr_pool_t *p, int argc, const char *const *argv);
int cli_cmd_list(apr_pool_t *p, int argc, const char *const *argv);
int cli_cmd_inspect(apr_pool_t *p, int argc, const char *const *argv);
int cli_cmd_check(apr_pool_t *p, int argc, const char *const *argv);

/* Parse argv (after the command words) against opts; npos_min..max
 * positional arguments.  NULL or a message. */
const char *cli_parse(apr_pool_t *p, const char *cmd, int argc,
                      const char *const *argv, const cli_opt_t *opts,
                      int npos_min, int npos_max, const char *usage,
                      cli_args_t *out);

#endif
