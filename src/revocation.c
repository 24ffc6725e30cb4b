/*
 * revocation: loading a revocation file into a list (the format told by
 * the content, read by the parser of that format, compiled into an index).
 */
#include "revocation.h"
#include "crl_verify.h"
#include "pem.h"
#include "revparse.h"

#include <string.h>
#include <unistd.h>

#include <apr_strings.h>

static apr_size_t count_lines(const char *buf, apr_size_t len)
{
    apr_size_t n = 1;
    const char *q = buf, *end = buf + len;

    while ((q = memchr(q, '\n', (apr_size_t)(end - q))) != NULL) {
        n++;
        q++;
    }
    return n;
}

static int looks_index(const char *buf, apr_size_t len)
{
    const char *q = buf, *end = buf + len;

    while (q < end && (*q == '\n' || certauthz_is_blank((unsigned char)*q))) {
        q++;
    }
    return end - q >= 2 && (*q == 'R' || *q == 'V' || *q == 'E')
           && q[1] == '\t';
}

/* Read the file's content into the builder b by the format it has. */
static const char *parse(apr_pool_t *p, const char *path,
                         const certauthz_bigbuf_t *data,
                         const certauthz_crl_verifier_t *v,
                         certauthz_revbuild_t *b)
{
    const char *buf = (const char *)data->p, *err;
    int der = data->len >= 2 && data->p[0] == 0x30 && data->p[1] >= 0x81
              && data->p[1] <= 0x84;
    int pem = !der && certauthz_pem_find(buf, data->len, 0) < data->len;
    /* Entries expected: a CRL entry takes at least about 24 bytes of DER,
     * 32 of base64. */
    apr_size_t expect = der   ? data->len / 24
                        : pem ? data->len / 32
                              : count_lines(buf, data->len);

    if (certauthz_revbuild_init(b, expect) != 0) {
        return certauthz_rev_oom;
    }
    if (der) {
        b->format = CERTAUTHZ_FMT_CRL_DER;
        err = certauthz_crl_add(p, path, data->p, data->len, b);
        if (err == NULL && v != NULL) {
            err = certauthz_crl_verify(p, path, data->p, data->len, v);
        }
        return err;
    }
    if (pem) {
        return certauthz_crl_parse_pem(p, path, buf, data->len, b, v);
    }
    if (looks_index(buf, data->len)) {
        return certauthz_parse_index(p, path, buf, data->len, b);
    }
    return certauthz_parse_list(p, path, buf, data->len, b);
}

/* retry is set when the file changed while it was read: not an error of
 * the file, try again later. */
static const char *load(apr_pool_t *p, const char *path,
                        const certauthz_revopts_t *opts,
                        certauthz_revlist_t **out, int *retry)
{
    certauthz_bigbuf_t data = {0};
    certauthz_revbuild_t b;
    certauthz_crl_verifier_t *v = NULL;
    certauthz_filesig_t sig;
    certauthz_revlist_t *l = NULL;
    struct stat st;
    const char *err;
    int fd;

    *retry = 0;
    memset(&b, 0, sizeof(b));
    if ((err = certauthz_file_open(p, path, 0, &fd, &st)) != NULL) {
        return err;
    }
    certauthz_filesig_of(&st, &sig);
    err = certauthz_file_read(p, path, fd, &st, &data, retry);
    close(fd);
    if (err == NULL && opts->verify_ca != NULL) {
        err = certauthz_crl_verifier_open(p, opts->verify_ca, &v);
    }
    if (err == NULL) {
        err = parse(p, path, &data, v, &b);
    }
    certauthz_bigbuf_free(&data);
    certauthz_crl_verifier_close(v);
    if (err == NULL && (l = certauthz_revbuild_finish(&b, &sig)) == NULL) {
        err = certauthz_rev_oom;
    }
    certauthz_revbuild_free(&b);
    if (err == certauthz_rev_oom) {
        err = apr_psprintf(p, "%s: out of memory while loading", path);
    }
    if (err != NULL) {
        return err;
    }
    *out = l;
    return NULL;
}

const char *certauthz_revlist_load_mem(apr_pool_t *p, const char *name,
                                       certauthz_bigbuf_t *data,
                                       apr_time_t mtime,
                                       const certauthz_revopts_t *opts,
                                       certauthz_revlist_t **out)
{
    certauthz_revbuild_t b;
    certauthz_crl_verifier_t *v = NULL;
    certauthz_filesig_t sig;
    certauthz_revlist_t *l = NULL;
    const char *err = NULL;

    memset(&b, 0, sizeof(b));
    memset(&sig, 0, sizeof(sig));
    sig.ok = 1;
    sig.size = data->len;
    sig.mtime_sec = (int64_t)apr_time_sec(mtime);
    /* The text readers stop at a NUL as a file's do at its end. */
    if (certauthz_bigbuf_reserve(data, 1) != 0) {
        err = certauthz_rev_oom;
    }
    else {
        data->p[data->len] = '\0';
    }
    if (err == NULL && opts->verify_ca != NULL) {
        err = certauthz_crl_verifier_open(p, opts->verify_ca, &v);
    }
    if (err == NULL) {
        err = parse(p, name, data, v, &b);
    }
    certauthz_crl_verifier_close(v);
    if (err == NULL && (l = certauthz_revbuild_finish(&b, &sig)) == NULL) {
        err = certauthz_rev_oom;
    }
    certauthz_revbuild_free(&b);
    if (err == certauthz_rev_oom) {
        err = apr_psprintf(p, "%s: out of memory while loading", name);
    }
    if (err != NULL) {
        return err;
    }
    *out = l;
    return NULL;
}

const char *certauthz_revlist_load(apr_pool_t *p, const char *path,
                                   const certauthz_revopts_t *opts,
                                   certauthz_revlist_t **out)
{
    int retry;

    return load(p, path, opts, out, &retry);
}

const char *certauthz_revlist_load_ex(apr_pool_t *p, const char *path,
                                      const certauthz_revopts_t *opts,
                                      certauthz_revlist_t **out, int *changed)
{
    return load(p, path, opts, out, changed);
}
