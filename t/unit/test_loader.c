/* The loader (src/loader.h), the sealed source table (src/revshm.h) and a
 * process's view (src/revview.h): a change is taken once it has been stable
 * for a second of the loader's own clock, whatever the file's times say;
 * a failed load never replaces what is in force and is reported once; a
 * process maps only the loader's files; the table cannot be made writable
 * by a process that only got the read-only mapping. */
#include <apr_general.h>
#include <apr_strings.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "t/unit/loaderkit.h"
#include "t/unit/revgen.h"
#include "t/unit/tap.h"

static apr_pool_t *p;
static char dir[64];

#define OK_ CERTAUTHZ_REASON_OK
#define REVOKED CERTAUTHZ_REASON_REVOKED

static const char *tpath(const char *name)
{
    return apr_pstrcat(p, dir, "/", name, NULL);
}

/* Write a list now (its mtime now, or `mtime_offset` seconds from now). */
static void put_list(const char *name, const char *text, long mtime_offset)
{
    const char *path = tpath(name), *tmp = tpath(".tmp");
    FILE *f = fopen(tmp, "wb");
    struct timeval tv[2];

    fputs(text, f);
    fclose(f);
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec += mtime_offset;
    tv[1] = tv[0];
    utimes(tmp, tv);
    rename(tmp, path);
}

static int count_files(const char *d, const char *suffix)
{
    char cmd[256];
    FILE *f;
    int n = 0;

    snprintf(cmd, sizeof(cmd), "ls %s 2>/dev/null | grep -c '%s$'", d,
             suffix);
    f = popen(cmd, "r");
    if (f != NULL) {
        if (fscanf(f, "%d", &n) != 1) {
            n = 0;
        }
        pclose(f);
    }
    return n;
}

static void test_reload(void)
{
    kit_t k;
    const certauthz_cert_t *c1 = revgen_cert(p, NULL, 0x1001);
    const certauthz_cert_t *c2 = revgen_cert(p, NULL, 0x1002);
    certauthz_slot_view_t st;
    const char *err;

    put_list("list.txt", "1001\n", -10);
    err = kit_start(&k, p, tpath("list.txt"), NULL, 5, tpath("idx"));
    ok(err == NULL, "loader: starts, publishing the start-up list (%s)",
       err ? err : "ok");
    if (err != NULL) {
        return;
    }
    ok(certauthz_revview_held(k.view) == 1 && kit_check(&k, c1) == REVOKED
           && kit_check(&k, c2) == OK_,
       "loader: a process maps version 1 and judges by it");
    ok(count_files(k.dir, ".idx") == 1, "loader: one index file");

    /* A change, with an mtime a year in the future. */
    put_list("list.txt", "1001\n1002\n", 365L * 86400);
    kit_run(&k, 0.5);
    ok(certauthz_loader_version(k.loader, 0) == 1,
       "loader: a change is not taken before it has been stable for a second");
    kit_run(&k, 5.5);
    ok(certauthz_loader_version(k.loader, 0) == 2,
       "loader: taken within the interval and a second, though its mtime is "
       "a year ahead (version %llu)",
       (unsigned long long)certauthz_loader_version(k.loader, 0));
    ok(k.notices == 1 && strstr(k.last, "reloaded, 2 entries") != NULL,
       "loader: one notice per reload (%s)", k.last);
    ok(kit_check(&k, c2) == REVOKED && certauthz_revview_held(k.view) == 2,
       "loader: the process swaps in version 2 on its next lookup");
    ok(count_files(k.dir, ".idx") == 1,
       "loader: the replaced version's file is removed");

    /* An mtime far in the past: the loader's own observation decides. */
    put_list("list.txt", "1002\n", -400L * 86400);
    kit_run(&k, 6.5);
    ok(certauthz_loader_version(k.loader, 0) == 3 && kit_check(&k, c1) == OK_,
       "loader: a file whose mtime went back a year is taken too");

    /* Written in place, a little more each quarter of a second: never taken
     * half-written. */
    {
        int i, v = (int)certauthz_loader_version(k.loader, 0);
        FILE *f = fopen(tpath("list.txt"), "w");

        for (i = 0; i < 12; i++) {
            fprintf(f, "%x\n", 0x2000 + i);
            fflush(f);
            kit_run(&k, 0.25);
        }
        fprintf(f, "1001\n");
        fclose(f);
        ok((int)certauthz_loader_version(k.loader, 0) == v,
           "loader: a file written in place in steps is not taken while it "
           "grows");
        kit_run(&k, 6.5);
        ok(certauthz_loader_version(k.loader, 0) == (apr_uint64_t)v + 1
               && kit_check(&k, c1) == REVOKED,
           "loader: ...and is taken whole once it stopped changing");
    }

    /* A bad file: the last good list stays, the error is shown and
     * reported once. */
    {
        apr_uint64_t v = certauthz_loader_version(k.loader, 0);

        k.errors = 0;
        put_list("list.txt", "1001\nnot-a-serial\n", 0);
        kit_run(&k, 13);
        ok(certauthz_loader_version(k.loader, 0) == v
               && kit_check(&k, c1) == REVOKED,
           "loader: a malformed file keeps the version in force (no "
           "downgrade, no empty list)");
        ok(k.errors == 1 && strstr(k.last, "line 2") != NULL,
           "loader: the error is reported once, naming the line (%d: %s)",
           k.errors, k.last);
        certauthz_slot_read(&certauthz_shm_ro(k.shm)->slots[0], &st);
        ok(strstr(st.last_error, "line 2") != NULL && st.failures == 1
               && st.version == v,
           "loader: the table shows the error and one failure");
        unlink(tpath("list.txt"));
        kit_run(&k, 6.5);
        ok(k.errors == 2 && certauthz_loader_version(k.loader, 0) == v
               && kit_check(&k, c1) == REVOKED,
           "loader: a file that disappears keeps the list too, reported "
           "once more (%s)", k.last);
        put_list("list.txt", "1002\n", 0);
        kit_run(&k, 6.5);
        certauthz_slot_read(&certauthz_shm_ro(k.shm)->slots[0], &st);
        ok(certauthz_loader_version(k.loader, 0) == v + 1
               && st.last_error[0] == '\0' && kit_check(&k, c2) == REVOKED,
           "loader: a good file after the failures is taken, the error "
           "cleared");
    }

    /* What a process refuses to map: a file that is not the loader's. */
    {
        char name[64];
        const char *path;
        apr_uint64_t v = certauthz_loader_version(k.loader, 0);

        (void)path;

        put_list("list.txt", "1001\n1002\n", 0);
        kit_run(&k, 6.5);
        ok(kit_check(&k, c1) == REVOKED,
           "view: the next version is mapped (control)");
        /* Make version v+2 a group-writable file: refused. */
        put_list("list.txt", "1002\n", 0);
        kit_run(&k, 6.5);
        certauthz_index_name(name, certauthz_shm_ro(k.shm)->generation, 0,
                             v + 2);
        path = apr_pstrcat(p, k.dir, "/", name, NULL);
        chmod(path, 0664);
        ok(kit_check(&k, c1) == REVOKED
               && certauthz_revview_held(k.view) == v + 1,
           "view: an index writable by others is refused; the process keeps "
           "its list (%s)", k.view_error);
        ok(strstr(k.view_error, "refused") != NULL,
           "view: ...and says why");
        /* Not for long: two seconds behind the loader, it fails closed. */
        apr_sleep(apr_time_from_msec(2100));
        kit_check(&k, c1);
        ok(kit_check(&k, c1) == CERTAUTHZ_REASON_NONE
               && strstr(k.view_error, "refusing certificates") != NULL,
           "view: a newer version that cannot be mapped for two seconds: "
           "no list at all, which callers take as revoked (%s)",
           k.view_error);
        chmod(path, 0444);
        ok(kit_check(&k, c1) == OK_ && certauthz_revview_held(k.view) == v + 2,
           "view: ...until it can be mapped");
        k.view_error[0] = '\0';
    }
    kit_stop(&k);
}

/* A process that got only the read-only mapping cannot write the table,
 * nor make its mapping writable. */
static void test_sealed(void)
{
    certauthz_shm_t *shm;
    const char *err = certauthz_shm_create(p, 2, 0, 42, &shm);
    pid_t pid;
    int status = 0;

    ok(err == NULL, "table: created (%s)", err ? err : "ok");
    if (err != NULL) {
        return;
    }
    ok(mprotect((void *)certauthz_shm_ro(shm), 4096, PROT_READ | PROT_WRITE)
           != 0 && errno == EACCES,
       "table: the read-only mapping cannot be made writable (mprotect: "
       "EACCES)");
    pid = fork();
    if (pid == 0) {
        /* A child forked without the loan does not have the writable
         * mapping at all: touching its address faults. */
        volatile char *w = (volatile char *)certauthz_shm_rw(shm);

        signal(SIGSEGV, SIG_DFL);
        w[0] = 'x';
        _exit(0);
    }
    waitpid(pid, &status, 0);
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
       "table: a process forked later has no writable mapping (SIGSEGV on "
       "its address)");
    certauthz_shm_lend(shm, 1);
    pid = fork();
    if (pid == 0) {
        certauthz_slot_view_t st;

        memset(&st, 0, sizeof(st));
        apr_cpystrn(st.format, "list", sizeof(st.format));
        certauthz_slot_publish(&certauthz_shm_rw(shm)->slots[1], &st, 7);
        _exit(0);
    }
    certauthz_shm_lend(shm, 0);
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0
           && certauthz_slot_version(&certauthz_shm_ro(shm)->slots[1]) == 7,
       "table: the process it is lent to (the loader) publishes, every "
       "process reads");
}

/* The interval: a source checked every 5 s is not looked at in between. */
static void test_interval(void)
{
    kit_t k;

    put_list("slow.txt", "01\n", -10);
    if (kit_start(&k, p, tpath("slow.txt"), NULL, 30, tpath("idx2"))
        != NULL) {
        ok(0, "interval: loader starts");
        return;
    }
    kit_run(&k, 1);
    put_list("slow.txt", "01\n02\n", -10);
    kit_run(&k, 20);
    ok(certauthz_loader_version(k.loader, 0) == 1,
       "interval: a change is not seen before the interval (30 s) elapsed");
    kit_run(&k, 12);
    ok(certauthz_loader_version(k.loader, 0) == 2,
       "interval: ...and within the interval and a second after it");
    kit_stop(&k);
}

/* A loader started again after the one before it died (the parent's copy
 * knows only the start-up version): it numbers on from what the dead one
 * published, so that no process keeps an old list under a number it
 * already holds, and it loads every source again. */
static void test_resume(void)
{
    kit_t k;
    const certauthz_cert_t *c1 = revgen_cert(p, NULL, 0x1001);
    const certauthz_cert_t *c2 = revgen_cert(p, NULL, 0x1002);
    pid_t pid;
    int status = 0;

    put_list("resume.txt", "1001\n", -10);
    if (kit_start(&k, p, tpath("resume.txt"), NULL, 1, tpath("idx3"))
        != NULL) {
        ok(0, "resume: loader starts");
        return;
    }
    /* The first loader, in a process of its own, publishes two versions
     * and dies. */
    certauthz_shm_lend(k.shm, 1);
    pid = fork();
    if (pid == 0) {
        put_list("resume.txt", "1001\n1002\n", -10);
        kit_run(&k, 3);
        put_list("resume.txt", "1002\n", -10);
        kit_run(&k, 3);
        _exit(certauthz_loader_version(k.loader, 0) == 3 ? 0 : 1);
    }
    certauthz_shm_lend(k.shm, 0);
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0
           && certauthz_slot_version(&certauthz_shm_ro(k.shm)->slots[0]) == 3,
       "resume: the first loader published versions 2 and 3");
    ok(kit_check(&k, c1) == OK_ && kit_check(&k, c2) == REVOKED
           && certauthz_revview_held(k.view) == 3,
       "resume: a process holds version 3 (1002 revoked, 1001 not)");
    /* The list goes back to what the start-up saw, then the new loader
     * (the parent's copy, at version 1) starts. */
    put_list("resume.txt", "1001\n", -10);
    certauthz_loader_resume(k.loader);
    ok(certauthz_loader_version(k.loader, 0) == 3,
       "resume: the new loader takes version 3 from the table");
    kit_run(&k, 3);
    ok(kit_check(&k, c1) == REVOKED && kit_check(&k, c2) == OK_
           && certauthz_loader_version(k.loader, 0) == 4
           && certauthz_revview_held(k.view) == 4,
       "resume: it loads the file again and publishes it as version 4; the "
       "process takes it (version %llu held %llu)",
       (unsigned long long)certauthz_loader_version(k.loader, 0),
       (unsigned long long)certauthz_revview_held(k.view));
    kit_stop(&k);
}

/* A failure that may pass (here the CertAuthzCRLVerifyCA file gone for a
 * while, the CRL unchanged) is tried again with a growing wait, logged
 * once per message, and the list is taken once it loads. */
static void test_retry(void)
{
    kit_t k;
    revgen_ca_t ca = revgen_ca("Retry CA");
    X509_CRL *crl = revgen_crl(ca.name, 0);
    const char *ca_path = tpath("retry-ca.pem"), *crl_path;
    const certauthz_cert_t *dev = revgen_cert(p, ca.name, 0x3003);
    char *pem;
    size_t n;
    BIO *b;
    int errors;

    b = BIO_new_file(ca_path, "w");
    PEM_write_bio_X509(b, ca.cert);
    BIO_free(b);
    /* In force: a CRL of the CA that revokes nothing. */
    X509_CRL_sign(crl, ca.key, EVP_sha256());
    pem = revgen_pem(p, crl, &n);
    crl_path = revgen_put(p, dir, "retry.crl", pem, n, 10);
    if (kit_start(&k, p, crl_path, ca_path, 1, tpath("idx4")) != NULL) {
        ok(0, "retry: loader starts");
        return;
    }
    revgen_revoke(crl, 0x3003);
    X509_CRL_sign(crl, ca.key, EVP_sha256());
    pem = revgen_pem(p, crl, &n);
    rename(ca_path, tpath("retry-ca.away"));
    revgen_put(p, dir, "retry.crl", pem, n, 10);
    kit_run(&k, 3);
    errors = k.errors;
    ok(errors == 1 && certauthz_loader_version(k.loader, 0) == 1
           && kit_check(&k, dev) == OK_,
       "retry: the CRL cannot be verified without its CA file; the list in "
       "force stays (%s)", k.last);
    kit_run(&k, 20);
    ok(k.errors == errors,
       "retry: tried again, the same failure is not logged again");
    rename(tpath("retry-ca.away"), ca_path);
    kit_run(&k, 40);
    ok(certauthz_loader_version(k.loader, 0) == 2
           && kit_check(&k, dev) == REVOKED,
       "retry: the unchanged CRL is taken once its CA file is back, within "
       "the longest wait (60 s)");
    ok(k.errors == errors && strstr(k.last, "reloaded") != NULL,
       "retry: ...and the reload is logged (%s)", k.last);
    X509_CRL_free(crl);
    revgen_ca_free(&ca);
    kit_stop(&k);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&p, NULL);
    snprintf(dir, sizeof(dir), "/tmp/certauthz-loader.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        return 1;
    }
    test_reload();
    test_sealed();
    test_interval();
    test_resume();
    test_retry();
    {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0) {
            printf("# could not remove %s\n", dir);
        }
    }
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
