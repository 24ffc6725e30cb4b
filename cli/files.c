/*
 * Writing files so that nothing is ever half-written: each file goes to a
 * temporary name in its final directory, is flushed to disk, and replaces
 * the old one by rename(2), which readers (a running httpd re-reading
 * index.txt or crl.pem) see as one change.  A staged file that is never
 * committed is removed with the command's pool.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_strings.h>
#include <openssl/pem.h>

struct cli_file {
    apr_pool_t *p;
    const char *tmp; /* NULL once committed */
    const char *path;
    int excl;
};

static apr_status_t unlink_staged(void *data)
{
    cli_file_t *f = data;

    if (f->tmp != NULL) {
        unlink(f->tmp);
        f->tmp = NULL;
    }
    return APR_SUCCESS;
}

const char *cli_stage(apr_pool_t *p, const char *path, const void *data,
                      apr_size_t len, mode_t mode, int excl, cli_file_t **out)
{
    cli_file_t *f = apr_pcalloc(p, sizeof(*f));
    const char *slash = strrchr(path, '/');
    const char *dir =
        slash ? apr_pstrmemdup(p, path, (apr_size_t)(slash - path + 1)) : "";
    const char *base = slash ? slash + 1 : path;
    const unsigned char *b = data;
    char *tmp;
    int fd;

    if (excl && access(path, F_OK) == 0) {
        return apr_psprintf(p, "%s already exists: not replaced", path);
    }
    tmp = apr_pstrcat(p, dir, ".", base, ".XXXXXX", NULL);
    fd = mkstemp(tmp);
    if (fd < 0) {
        return apr_psprintf(p, "%s: cannot create a file beside it: %s", path,
                            strerror(errno));
    }
    f->p = p;
    f->tmp = tmp;
    f->path = path;
    f->excl = excl;
    apr_pool_cleanup_register(p, f, unlink_staged, apr_pool_cleanup_null);
    /* The mode exactly, whatever the umask (mkstemp made it 0600). */
    if (fchmod(fd, mode) != 0) {
        close(fd);
        return apr_psprintf(p, "%s: %s", tmp, strerror(errno));
    }
    while (len > 0) {
        ssize_t w = write(fd, b, len);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            close(fd);
            return apr_psprintf(p, "%s: %s", tmp, strerror(errno));
        }
        b += w;
        len -= (apr_size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        return apr_psprintf(p, "%s: %s", tmp, strerror(errno));
    }
    *out = f;
    return NULL;
}

const char *cli_commit(cli_file_t *f)
{
    if (f->excl) {
        /* link(2) fails when the name exists: never replace a file that
         * appeared meanwhile. */
        if (link(f->tmp, f->path) != 0) {
            return apr_psprintf(f->p, "%s: %s", f->path, strerror(errno));
        }
        unlink(f->tmp);
    }
    else if (rename(f->tmp, f->path) != 0) {
        return apr_psprintf(f->p, "%s: %s", f->path, strerror(errno));
    }
    f->tmp = NULL;
    return NULL;
}

const char *cli_file_path(const cli_file_t *f)
{
    return f->path;
}

const char *cli_pem_cert(apr_pool_t *p, X509 *x, char **data, apr_size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *mem;
    long n;

    if (b == NULL || !PEM_write_bio_X509(b, x)) {
        BIO_free(b);
        return cli_ossl_error(p);
    }
    n = BIO_get_mem_data(b, &mem);
    *data = apr_pstrmemdup(p, mem, (apr_size_t)n);
    *len = (apr_size_t)n;
    BIO_free(b);
    return NULL;
}
