/*
 * certauthz: the device-certificate workflow of mod_certauthz in one
 * command (INTERFACE §7, docs/certauthz.1).  This file dispatches the
 * commands, parses their options and prints help; each command lives in
 * the file named after it.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/err.h>

static const char usage_text[] =
    "usage: certauthz COMMAND ...\n"
    "\n"
    "  ca init DIR [--cn NAME] [--org O] [--days N] [--key ec|rsa]\n"
    "          [--no-passphrase] [--passphrase-file F]\n"
    "      make a CA in DIR: ca.key, ca.crt, index.txt, crl.pem\n"
    "  issue DIR NAME [--ou OU]... [--email E]... [--dns D]... [--uri U]...\n"
    "          [--ip A]... [--days N] [--key ec|rsa] [--legacy]\n"
    "          [--p12-passphrase-file F] [--passphrase-file F]\n"
    "      key, certificate and .p12 for device NAME in DIR/devices/\n"
    "  sign DIR REQ.csr [--days N] [--out FILE] [--passphrase-file F]\n"
    "      sign a device's own certificate request\n"
    "  revoke DIR SERIAL|CERT.pem|NAME [--reason R] [--store redis:HOST:PORT]\n"
    "          [--passphrase-file F]\n"
    "      revoke it in index.txt and crl.pem (each replaced atomically),\n"
    "      and with --store in a fleet's revocation store\n"
    "  unrevoke DIR SERIAL|CERT.pem|NAME [--store redis:HOST:PORT]\n"
    "          [--passphrase-file F]\n"
    "      undo a mistaken revocation: valid again in index.txt, crl.pem\n"
    "      and the store\n"
    "  list DIR [--json]\n"
    "      every certificate the CA issued: name, serial, state, expiry\n"
    "  crl DIR [--days N] [--passphrase-file F]\n"
    "      sign crl.pem again (before its nextUpdate passes)\n"
    "  inspect CERT [--json] [--device-id SOURCE]\n"
    "      the certificate's fields as mod_certauthz sees them\n"
    "  check CERT 'REQUIRE-LINE' [--revocation FILE]... [--stale-crl "
    "warn|deny]\n"
    "      would this certificate be granted by that Require line?\n"
    "      exit 0 granted, 1 denied, 2 bad input\n"
    "  help\n"
    "      this text (man certauthz for the whole story)\n"
    "\n"
    "The CA key's passphrase comes from --passphrase-file F (its first "
    "line),\nCERTAUTHZ_CA_PASSPHRASE, or the terminal; never from the "
    "command line.\n";

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    char buf[2048];
    char *c;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    /* One line, whatever the message quotes. */
    for (c = buf; *c; c++) {
        if (*c == '\n' || *c == '\r') {
            *c = ' ';
        }
    }
    fprintf(stderr, "certauthz: %s\n", buf);
    return CLI_BAD;
}

const char *cli_ossl_error(apr_pool_t *p)
{
    unsigned long e = ERR_peek_last_error();
    char buf[256];

    if (e == 0) {
        return "unknown OpenSSL error";
    }
    ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return apr_pstrdup(p, buf);
}

const char *cli_opt(const cli_args_t *a, const char *name)
{
    return apr_table_get(a->opts, name);
}

static int collect(void *rec, const char *key, const char *value)
{
    (void)key;
    APR_ARRAY_PUSH((apr_array_header_t *)rec, const char *) = value;
    return 1;
}

apr_array_header_t *cli_opts(const cli_args_t *a, const char *name)
{
    apr_array_header_t *v = apr_array_make(a->p, 2, sizeof(const char *));

    apr_table_do(collect, v, a->opts, name, NULL);
    return v;
}

const char *cli_days(const cli_args_t *a, const char *name, int dflt, int *days)
{
    const char *v = cli_opt(a, name);
    char *end;
    long d;

    if (v == NULL) {
        *days = dflt;
        return NULL;
    }
    errno = 0;
    d = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || errno != 0 || d < 1 || d > 36500) {
        return apr_psprintf(a->p,
                            "%s %s: %s '%s' is not a number of days "
                            "(1 to 36500)",
                            a->cmd, name, name, v);
    }
    *days = (int)d;
    return NULL;
}

const char *cli_read_file(apr_pool_t *p, const char *path, char **data,
                          apr_size_t *len)
{
    FILE *f = fopen(path, "rb");
    apr_size_t cap = 8192, n = 0, got;
    char *buf;

    if (f == NULL) {
        return apr_psprintf(p, "%s: %s", path, strerror(errno));
    }
    buf = apr_palloc(p, cap + 1);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb;

            if (cap >= (apr_size_t)256 << 20) {
                fclose(f);
                return apr_psprintf(p, "%s: larger than 256 MiB", path);
            }
            nb = apr_palloc(p, cap * 2 + 1);
            memcpy(nb, buf, n);
            buf = nb;
            cap *= 2;
        }
    }
    if (ferror(f)) {
        int e = errno;

        fclose(f);
        return apr_psprintf(p, "%s: %s", path, strerror(e));
    }
    fclose(f);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return NULL;
}

const char *cli_first_line(apr_pool_t *p, const char *path, const char *what,
                           const char **line)
{
    char *data, *nl;
    apr_size_t len;
    const char *err = cli_read_file(p, path, &data, &len);

    if (err != NULL) {
        return apr_psprintf(p, "%s: %s", what, err);
    }
    /* As openssl's -passin file: the first line without its newline. */
    nl = strchr(data, '\n');
    if (nl != NULL) {
        *nl = '\0';
    }
    if (strlen(data) != len && nl == NULL) {
        return apr_psprintf(p, "%s: %s holds a NUL byte", what, path);
    }
    if (*data == '\0') {
        return apr_psprintf(p, "%s: the first line of %s is empty", what, path);
    }
    *line = data;
    return NULL;
}

const char *cli_parse(apr_pool_t *p, const char *cmd, int argc,
                      const char *const *argv, const cli_opt_t *opts,
                      int npos_min, int npos_max, const char *usage,
                      cli_args_t *out)
{
    int i, j, only_pos = 0;

    out->p = p;
    out->cmd = cmd;
    out->pos = apr_array_make(p, 4, sizeof(const char *));
    out->opts = apr_table_make(p, 8);
    for (i = 0; i < argc; i++) {
        const char *arg = argv[i], *eq, *value = "";
        apr_size_t nlen;

        if (only_pos || arg[0] != '-' || arg[1] == '\0') {
            APR_ARRAY_PUSH(out->pos, const char *) = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_pos = 1;
            continue;
        }
        eq = strchr(arg, '=');
        nlen = eq ? (apr_size_t)(eq - arg) : strlen(arg);
        for (j = 0; opts[j].name != NULL; j++) {
            if (strlen(opts[j].name) == nlen &&
                strncmp(opts[j].name, arg, nlen) == 0) {
                break;
            }
        }
        if (opts[j].name == NULL) {
            return apr_psprintf(p,
                                "%s: unknown option '%s' (usage: "
                                "certauthz %s)",
                                cmd, apr_pstrmemdup(p, arg, nlen), usage);
        }
        if (opts[j].takes_arg) {
            if (eq != NULL) {
                value = eq + 1;
            }
            else if (i + 1 < argc) {
                value = argv[++i];
            }
            else {
                return apr_psprintf(p, "%s: option %s needs a value", cmd,
                                    opts[j].name);
            }
        }
        else if (eq != NULL) {
            return apr_psprintf(p, "%s: option %s takes no value", cmd,
                                opts[j].name);
        }
        apr_table_add(out->opts, opts[j].name, value);
    }
    if (out->pos->nelts < npos_min || out->pos->nelts > npos_max) {
        return apr_psprintf(p, "%s: %s arguments (usage: certauthz %s)", cmd,
                            out->pos->nelts < npos_min ? "missing" : "too many",
                            usage);
    }
    return NULL;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    const char *cmd;
    int rc;

    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS ||
        apr_pool_create(&p, NULL) != APR_SUCCESS) {
        fprintf(stderr, "certauthz: cannot initialise APR\n");
        return CLI_BAD;
    }
    cmd = argc > 1 ? argv[1] : NULL;
    if (cmd == NULL) {
        rc = cli_fail("no command given (certauthz help lists them)");
    }
    else if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
             strcmp(cmd, "-h") == 0) {
        if (argc > 2) {
            rc = cli_fail("help takes no arguments (man certauthz for "
                          "more)");
        }
        else {
            fputs(usage_text, stdout);
            rc = CLI_OK;
        }
    }
    else if (strcmp(cmd, "ca") == 0) {
        if (argc > 2 && strcmp(argv[2], "init") == 0) {
            rc = cli_cmd_ca_init(p, argc - 3, argv + 3);
        }
        else {
            rc = cli_fail("ca: unknown subcommand '%s' (usage: certauthz "
                          "ca init DIR ...)",
                          argc > 2 ? argv[2] : "");
        }
    }
    else if (strcmp(cmd, "issue") == 0) {
        rc = cli_cmd_issue(p, argc - 2, argv + 2);
    }
    else if (strcmp(cmd, "sign") == 0) {
        rc = cli_cmd_sign(p, argc - 2, argv + 2);
    }
    else if (strcmp(cmd, "revoke") == 0) {
        rc = cli_cmd_revoke(p, argc - 2, argv + 2);
    }
    else if (strcmp(cmd, "unrevoke") == 0) {
        rc = cli_cmd_unrevoke(p, argc - 2, argv + 2);
    }
    else if (strcmp(cmd, "list") == 0) {
        rc = cli_cmd_list(p, argc - 2, argv + 2);
    }
    else if (strcmp(cmd, "crl") == 0) {
        rc = cli_cmd_crl(p, argc - 2, argv + 2);
    }
    else if (strcmp(cmd, "inspect") == 0) {
        rc = cli_cmd_inspect(p, argc - 2, argv + 2);
    }
    else if (strcmp(cmd, "check") == 0) {
        rc = cli_cmd_check(p, argc - 2, argv + 2);
    }
    else {
        rc = cli_fail("unknown command '%s' (certauthz help lists them)", cmd);
    }
    /* Destroying the pool removes whatever a failed command staged. */
    apr_pool_destroy(p);
    apr_terminate();
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "certauthz: writing standard output: %s\n",
                strerror(errno));
        return CLI_BAD;
    }
    return rc;
}
