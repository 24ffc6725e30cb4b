/*
 * Compiled indexes (src/revindex.c): whatever bytes a file holds,
 * certauthz_revlist_map either refuses it or gives a list whose lookups
 * stay inside the mapping and end.  The input is a saved index with
 * mutations: the first byte picks how many bytes of the input overwrite a
 * real index (so that the checks past the header are reached), the rest
 * are those bytes and where they go.
 */
#include "fuzz/fuzz_certs.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <apr_time.h>

#include "src/revocation.h"

static char path[64];
static unsigned char *good;
static size_t good_len;

static void remove_file(void)
{
    unlink(path);
}

/* A real index to mutate: a list with serials and a fingerprint. */
static void make_good(apr_pool_t *p)
{
    certauthz_revopts_t opts = {NULL};
    certauthz_revlist_t *l = NULL;
    char text[256];
    int fd;
    struct stat st;

    snprintf(path, sizeof(path), "/tmp/certauthz-fuzz-idx.XXXXXX");
    fd = mkstemp(path);
    if (fd < 0) {
        abort();
    }
    atexit(remove_file);
    snprintf(text, sizeof(text), "1001\n0x02\nsha256:%s\n",
             certs[0]->fingerprint);
    if (pwrite(fd, text, strlen(text), 0) != (ssize_t)strlen(text)
        || certauthz_revlist_load(p, path, &opts, &l) != NULL
        || ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0
        || certauthz_revlist_save(l, fd) != APR_SUCCESS
        || fstat(fd, &st) != 0) {
        abort();
    }
    certauthz_revlist_release(l);
    good_len = (size_t)st.st_size;
    good = malloc(good_len);
    if (pread(fd, good, good_len, 0) != (ssize_t)good_len) {
        abort();
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    certauthz_revlist_t *list = NULL;
    unsigned char *img;
    size_t len, i;
    int fd, k;

    fuzz_make_certs();
    if (good == NULL) {
        make_good(p);
    }
    if (size > 0 && (data[0] & 1)) {
        /* Pairs of (offset, byte) into the good index; the length last. */
        len = good_len;
        if (size >= 3 && (data[0] & 2)) {
            len = (size_t)data[1] << 8 | data[2];
            len = len > good_len + 64 ? good_len + 64 : len;
        }
        img = apr_pcalloc(p, good_len + 64);
        memcpy(img, good, good_len);
        for (i = 3; i + 2 < size; i += 3) {
            size_t at = ((size_t)data[i] << 8 | data[i + 1]) % (good_len + 64);

            img[at] = data[i + 2];
        }
    }
    else {
        img = (unsigned char *)data;
        len = size;
    }
    fd = open(path, O_RDWR | O_TRUNC);
    if (fd < 0 || (len > 0 && pwrite(fd, img, len, 0) != (ssize_t)len)) {
        abort();
    }
    if (certauthz_revlist_map(fd, &list) == NULL) {
        for (k = 0; k < N_CERTS; k++) {
            certauthz_revlist_check(list, certs[k], apr_time_now(), 1);
        }
        certauthz_revlist_entries(list);
        certauthz_revlist_format(list);
        certauthz_revlist_release(list);
    }
    close(fd);
    apr_pool_destroy(p);
    return 0;
}
