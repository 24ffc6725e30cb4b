/* Hostile revocation files (issue 7): a directory, a FIFO, a device, 100 MB
 * of garbage, and a symlink swapped under a running loader.  None may hang
 * a loader, and a failed reload keeps the last good list. */
#include <apr_general.h>
#include <apr_strings.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "src/revocation.h"
#include "t/unit/loaderkit.h"
#include "t/unit/certgen.h"
#include "t/unit/tap.h"

static apr_pool_t *p;
static char dir[64];
static const char *step = "";

static const char *tpath(const char *name)
{
    return apr_pstrcat(p, dir, "/", name, NULL);
}

/* A loader stuck on a FIFO would stall the test forever: report which step
 * hung and fail instead. */
static void on_alarm(int sig)
{
    (void)sig;
    printf("not ok - %s: the loader hung\n", step);
    fflush(stdout);
    _exit(1);
}

static void guard(const char *what)
{
    step = what;
    alarm(20);
}


/* Write text as a file aged 10 s (past the one-second stability rule). */
static const char *aged(const char *name, const char *text)
{
    const char *path = tpath(name);
    FILE *f = fopen(path, "wb");
    struct timeval tv[2];

    fputs(text, f);
    fclose(f);
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= 10;
    tv[1] = tv[0];
    utimes(path, tv);
    return path;
}

/* Point the symlink `cur` at target atomically, as `ln -sfn` followed by
 * a rename does. */
static void swap_link(const char *target)
{
    const char *tmp = tpath("cur.new");

    unlink(tmp);
    if (symlink(target, tmp) != 0 || rename(tmp, tpath("cur")) != 0) {
        printf("# cannot swap the symlink: %s\n", strerror(errno));
    }
}

static int has(const char *err, const char *what)
{
    return err != NULL && strstr(err, what) != NULL;
}

/* A file of `size` bytes: zeros (sparse) when fill is 0, else pseudo-random
 * bytes after `head`. */
static const char *big_file(const char *name, off_t size, int fill,
                            const char *head)
{
    const char *path = tpath(name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    static unsigned char buf[1 << 16];
    unsigned x = 12345;
    off_t done = 0;
    size_t i;

    if (head != NULL) {
        done = (off_t)strlen(head);
        if (write(fd, head, (size_t)done) != (ssize_t)done) {
            abort();
        }
    }
    if (!fill) {
        if (ftruncate(fd, size) != 0) {
            abort();
        }
    }
    while (fill && done < size) {
        size_t n = sizeof(buf);

        for (i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (unsigned char)(x >> 16);
        }
        if ((off_t)n > size - done) {
            n = (size_t)(size - done);
        }
        if (write(fd, buf, n) != (ssize_t)n) {
            abort();
        }
        done += (off_t)n;
    }
    close(fd);
    return path;
}

static double seconds_since(const struct timeval *t0)
{
    struct timeval t1;

    gettimeofday(&t1, NULL);
    return (double)(t1.tv_sec - t0->tv_sec)
           + (double)(t1.tv_usec - t0->tv_usec) / 1e6;
}

int main(void)
{
    /* Under valgrind (`make memcheck`, scripts/harness.pl) the point is
     * memory errors, not size: 8 MB files keep it quick. */
    off_t big = (getenv("CERTAUTHZ_MEMCHECK") ? 8 : 100) << 20;
    certauthz_revopts_t opts = {NULL};
    certauthz_revlist_t *l = NULL;
    kit_t kit;
    certauthz_cert_t *cert = NULL;
    X509_NAME *n = X509_NAME_new();
    static const unsigned char serial[] = {0x10, 0x01};
    const char *err, *path;
    struct timeval t0;
    X509 *x;

    apr_initialize();
    apr_pool_create(&p, NULL);
    signal(SIGALRM, on_alarm);
    apr_cpystrn(dir, "/tmp/certauthz-hostile.XXXXXX", sizeof(dir));
    if (mkdtemp(dir) == NULL) {
        return 1;
    }
    certgen_add(n, "CN", MBSTRING_UTF8, "device", -1, 0);
    x = certgen_cert(n, serial, sizeof(serial), NULL);
    certauthz_cert_from_x509(p, x, &cert);
    X509_free(x);
    X509_NAME_free(n);

    /* Not regular files. */
    guard("a directory");
    err = certauthz_revlist_load(p, dir, &opts, &l);
    ok(has(err, dir), "a directory is refused, naming it (%.100s)", err);

    path = tpath("fifo");
    mkfifo(path, 0600);
    guard("a FIFO without a writer");
    err = certauthz_revlist_load(p, path, &opts, &l);
    ok(has(err, path), "a FIFO is refused without waiting for a writer (%.100s)",
       err);

    guard("a character device");
    err = certauthz_revlist_load(p, "/dev/zero", &opts, &l);
    ok(has(err, "/dev/zero"), "/dev/zero is refused, not read forever (%.100s)",
       err);

    /* Garbage, three ways. */
    gettimeofday(&t0, NULL);
    path = big_file("sparse", big, 0, NULL);
    guard("100 MB of zeros");
    err = certauthz_revlist_load(p, path, &opts, &l);
    ok(has(err, path) && has(err, "line 1"),
       "%d MB of NUL bytes: refused at line 1 (%.100s)",
       (int)(big >> 20), err);
    path = big_file("random", big, 1, NULL);
    guard("100 MB of random bytes");
    err = certauthz_revlist_load(p, path, &opts, &l);
    ok(has(err, path), "%d MB of random bytes: refused, naming the file (%.100s)",
       (int)(big >> 20), err);
    path = big_file("tail", big, 1, "# a list\n1001\n");
    guard("a list followed by 100 MB of random bytes");
    err = certauthz_revlist_load(p, path, &opts, &l);
    ok(has(err, path) && has(err, "line 3"),
       "a list then %d MB of random bytes: refused at line 3 (%.100s)",
       (int)(big >> 20), err);
    ok(seconds_since(&t0) < 30,
       "the three %d MB files are written and refused in %.1f s",
       (int)(big >> 20), seconds_since(&t0));
    unlink(tpath("sparse"));
    unlink(tpath("random"));
    unlink(tpath("tail"));

    /* A symlink swapped under a running loader. */
    aged("revokes", "1001\n");
    aged("empty", "# nothing revoked\n");
    swap_link("revokes");
    guard("a source on a symlink");
    err = kit_start(&kit, p, tpath("cur"), NULL, 1, tpath("index"));
    ok(err == NULL, "a source can be a symlink (%s)", err ? err : "ok");
    if (err != NULL) {
        return done_testing();
    }
#define CHECK(expect, msg)                                                   \
    do {                                                                     \
        kit_run(&kit, 2.5);                                                  \
        ok(kit_check(&kit, cert) == (expect), msg);                          \
    } while (0)

    CHECK(CERTAUTHZ_REASON_REVOKED, "through the symlink: revoked");
    swap_link("empty");
    guard("the symlink swapped to another list");
    CHECK(CERTAUTHZ_REASON_OK, "symlink swapped to an empty list: not revoked");
    swap_link("revokes");
    CHECK(CERTAUTHZ_REASON_REVOKED, "swapped back: revoked again");

    kit.errors = 0;
    swap_link("missing");
    guard("a dangling symlink");
    CHECK(CERTAUTHZ_REASON_REVOKED,
          "a dangling symlink keeps the last good list");
    ok(kit.errors == 1, "...and logs one error (%d)", kit.errors);
    CHECK(CERTAUTHZ_REASON_REVOKED, "...still, on the next check");
    ok(kit.errors == 1, "...without logging it again (%d)", kit.errors);

    swap_link(dir);
    guard("a symlink to a directory");
    CHECK(CERTAUTHZ_REASON_REVOKED,
          "a symlink to a directory keeps the last good list");
    swap_link("fifo");
    guard("a symlink to a FIFO");
    CHECK(CERTAUTHZ_REASON_REVOKED,
          "a symlink to a FIFO keeps the last good list, without hanging");
    swap_link("empty");
    guard("the symlink swapped to a good list after failures");
    CHECK(CERTAUTHZ_REASON_OK, "and a good file after them is loaded");
    kit_stop(&kit);
    alarm(0);

    unlink(tpath("cur"));
    unlink(tpath("fifo"));
    unlink(tpath("revokes"));
    unlink(tpath("empty"));
    unlink(tpath(".tmp"));
    if (system(apr_pstrcat(p, "rm -rf ", tpath("index"), NULL)) != 0) {
        printf("# could not remove the index directory\n");
    }
    rmdir(dir);
    return done_testing();
}
