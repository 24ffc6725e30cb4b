/*
 * file: how mod_certauthz opens and reads the files it is given (revocation
 * sources, CertAuthzCRLVerifyCA, compiled indexes).  Whatever sits at the
 * path (a FIFO, a device, a directory, a socket, a symbolic link where none
 * is allowed) is refused with a message, and nothing ever blocks: a FIFO
 * without a writer must not hang `apachectl configtest`, a graceful
 * restart or the thread that reloads.
 */
#ifndef CERTAUTHZ_FILE_H
#define CERTAUTHZ_FILE_H

#include <stdint.h>
#include <sys/stat.h>

#include <apr_pools.h>
#include <apr_time.h>

#include "bigbuf.h"

/* The identity of one version of a file. */
typedef struct {
    int ok;                 /* 0: stat failed with err */
    int err;
    uint64_t dev, ino, size;
    int64_t mtime_sec, mtime_nsec;
    /* The inode change time too: a file rewritten in place to the same
     * size, its mtime put back, still changes it. */
    int64_t ctime_sec, ctime_nsec;
} certauthz_filesig_t;

void certauthz_filesig_of(const struct stat *st, certauthz_filesig_t *sig);
int certauthz_filesig_same(const certauthz_filesig_t *a,
                           const certauthz_filesig_t *b);
apr_time_t certauthz_filesig_mtime(const certauthz_filesig_t *sig);

/* The text of an errno value, from p (strerror is not thread-safe). */
const char *certauthz_errstr(apr_pool_t *p, int err);

/*
 * Open path for reading: O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, and
 * O_NOFOLLOW when nofollow is set (then a symbolic link is refused).
 * Anything but a regular file is refused after the open, which never waits
 * (O_NONBLOCK: opening a FIFO without it waits for a writer, before fstat
 * could refuse it).  Returns NULL with *fd open and *st filled, or a
 * message "PATH: what is wrong" from p.
 */
const char *certauthz_file_open(apr_pool_t *p, const char *path,
                                int nofollow, int *fd, struct stat *st);

/*
 * Read the rest of fd (opened by certauthz_file_open, st its stat) into
 * data.  *changed is set when the file is not the version st describes
 * any more (it was written meanwhile): what was read is then no version of
 * it.  Returns NULL, or a message naming path.
 */
const char *certauthz_file_read(apr_pool_t *p, const char *path, int fd,
                                const struct stat *st,
                                certauthz_bigbuf_t *data, int *changed);

/* Write all n bytes at buf to fd: 0, or -1 with errno set. */
int certauthz_write_all(int fd, const void *buf, apr_size_t n);

#endif
