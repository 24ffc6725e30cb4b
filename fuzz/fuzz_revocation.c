/*
 * The revocation loaders: whatever a revocation file holds (PEM or DER
 * CRLs, an index.txt, a plain list, or garbage that looks like one of
 * them), loading it either fails with a message or gives a list that can
 * be checked.  The input is written to a temporary file, since the loader
 * reads files as httpd's would.
 */
#include "fuzz/fuzz_certs.h"

#include <stdio.h>
#include <unistd.h>

#include <apr_time.h>

#include "src/revocation.h"

static char path[64];
static int fd = -1;

static void remove_file(void)
{
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    certauthz_revopts_t opts = {NULL};
    certauthz_revlist_t *list = NULL;
    const char *err;
    int i;

    fuzz_make_certs();
    if (fd < 0) {
        snprintf(path, sizeof(path), "/tmp/certauthz-fuzz-rev.XXXXXX");
        fd = mkstemp(path);
        if (fd < 0) {
            abort();
        }
        atexit(remove_file);
    }
    if (ftruncate(fd, 0) != 0
        || pwrite(fd, data, size, 0) != (ssize_t)size) {
        abort();
    }
    err = certauthz_revlist_load(p, path, &opts, &list);
    if (err == NULL) {
        if (list == NULL || certauthz_revlist_format(list) == NULL) {
            abort();
        }
        for (i = 0; i < N_CERTS; i++) {
            certauthz_revlist_check(list, certs[i], apr_time_now(), 1);
            certauthz_revlist_check(list, certs[i], 0, 0);
        }
        certauthz_revlist_entries(list);
        certauthz_revlist_release(list);
    }
    else if (strstr(err, path) == NULL) {
        abort();                /* every error names the file */
    }
    apr_pool_destroy(p);
    return 0;
}
