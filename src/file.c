#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <apr_errno.h>
#include <apr_strings.h>

void certauthz_filesig_of(const struct stat *st, certauthz_filesig_t *sig)
{
    memset(sig, 0, sizeof(*sig));
    sig->ok = 1;
    sig->dev = (uint64_t)st->st_dev;
    sig->ino = (uint64_t)st->st_ino;
    sig->size = (uint64_t)st->st_size;
    sig->mtime_sec = (int64_t)st->st_mtim.tv_sec;
    sig->mtime_nsec = (int64_t)st->st_mtim.tv_nsec;
    sig->ctime_sec = (int64_t)st->st_ctim.tv_sec;
    sig->ctime_nsec = (int64_t)st->st_ctim.tv_nsec;
}

int certauthz_filesig_same(const certauthz_filesig_t *a,
                           const certauthz_filesig_t *b)
{
    if (a->ok != b->ok) {
        return 0;
    }
    if (!a->ok) {
        return a->err == b->err;
    }
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size
           && a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec
           && a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec;
}

apr_time_t certauthz_filesig_mtime(const certauthz_filesig_t *sig)
{
    return apr_time_from_sec(sig->mtime_sec) + sig->mtime_nsec / 1000;
}

const char *certauthz_errstr(apr_pool_t *p, int err)
{
    char buf[120];

    return apr_pstrdup(p, apr_strerror(err, buf, sizeof(buf)));
}

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m)    ? "a directory"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISSOCK(m) ? "a socket"
           : S_ISLNK(m)  ? "a symbolic link"
                         : "not a plain file";
}

const char *certauthz_file_open(apr_pool_t *p, const char *path,
                                int nofollow, int *fd, struct stat *st)
{
    int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    int f;

    if (nofollow) {
        flags |= O_NOFOLLOW;
    }
    do {
        f = open(path, flags);
    } while (f < 0 && errno == EINTR);
    if (f < 0) {
        int err = errno;
        struct stat ls;

        if (nofollow && err == ELOOP) {
            return apr_psprintf(p, "%s: is a symbolic link, which is not "
                                "accepted here", path);
        }
        /* A socket cannot be opened at all (ENXIO): say what it is. */
        if (stat(path, &ls) == 0 && !S_ISREG(ls.st_mode)) {
            return apr_psprintf(p, "%s: not a regular file (%s)", path,
                                kind_of(ls.st_mode));
        }
        return apr_psprintf(p, "%s: cannot open: %s", path,
                            certauthz_errstr(p, err));
    }
    if (fstat(f, st) != 0) {
        int err = errno;

        close(f);
        return apr_psprintf(p, "%s: cannot stat: %s", path,
                            certauthz_errstr(p, err));
    }
    if (!S_ISREG(st->st_mode)) {
        close(f);
        return apr_psprintf(p, "%s: not a regular file (%s)", path,
                            kind_of(st->st_mode));
    }
    *fd = f;
    return NULL;
}

const char *certauthz_file_read(apr_pool_t *p, const char *path, int fd,
                                const struct stat *st,
                                certauthz_bigbuf_t *data, int *changed)
{
    certauthz_filesig_t before, after;
    struct stat st2;

    *changed = 0;
    certauthz_filesig_of(st, &before);
    /* Room for the whole file and a read() that finds its end. */
    if (certauthz_bigbuf_reserve(data, (apr_size_t)st->st_size + 4096) != 0) {
        return apr_psprintf(p, "%s: out of memory while reading", path);
    }
    for (;;) {
        ssize_t r;

        if (certauthz_bigbuf_reserve(data, 4096) != 0) {
            return apr_psprintf(p, "%s: out of memory while reading", path);
        }
        r = read(fd, data->p + data->len, data->cap - data->len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return apr_psprintf(p, "%s: cannot read: %s", path,
                                certauthz_errstr(p, errno));
        }
        if (r == 0) {
            break;
        }
        data->len += (apr_size_t)r;
    }
    if (fstat(fd, &st2) != 0) {
        return apr_psprintf(p, "%s: cannot stat: %s", path,
                            certauthz_errstr(p, errno));
    }
    certauthz_filesig_of(&st2, &after);
    if (!certauthz_filesig_same(&before, &after)
        || data->len != before.size) {
        *changed = 1;
        return apr_psprintf(p, "%s: the file changed while it was read",
                            path);
    }
    return NULL;
}

int certauthz_write_all(int fd, const void *buf, apr_size_t n)
{
    const char *q = buf;

    while (n > 0) {
        ssize_t w = write(fd, q, n);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        q += w;
        n -= (apr_size_t)w;
    }
    return 0;
}
