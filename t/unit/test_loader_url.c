/* Distribution points in the loader (CertAuthzRevocationURL, src/loader.h)
 * with an HTTP client of the test's (src/fetch.h's interface): the first
 * fetch at creation, conditional GETs with the validators of the version
 * in force, a 304 or the same bytes publish nothing, failures keep the
 * last good list and are reported once each, a fetch under way never
 * holds the files back, and a start falls back on the copy of the last
 * body, or refuses without one. */
#include <apr_general.h>
#include <apr_strings.h>

#include <dirent.h>
#include <stdlib.h>

#include "src/revview.h"
#include "t/unit/loaderkit.h"
#include "t/unit/revgen.h"
#include "t/unit/tap.h"

static apr_pool_t *p;
static char dir[64];

/* ---- the test's HTTP client --------------------------------------- */

typedef struct {
    /* The next response. */
    int status;                 /* 200, 304; 0 with error */
    const char *error, *body, *etag;
    int delay;                  /* polls before it is over */
    /* What the loader did. */
    int starts, in_flight;
    char sent_etag[256];
} fake_t;

struct certauthz_xfer {
    int polls;
};

static const char *fake_start(void *ctx, const certauthz_url_opts_t *o,
                              const certauthz_validators_t *v,
                              certauthz_xfer_t **out)
{
    fake_t *f = ctx;

    (void)o;
    f->starts++;
    f->in_flight++;
    snprintf(f->sent_etag, sizeof(f->sent_etag), "%s", v ? v->etag : "");
    *out = calloc(1, sizeof(**out));
    return NULL;
}

static int fake_finished(void *ctx, certauthz_xfer_t *x, apr_pool_t *pool,
                         certauthz_fetch_result_t *res)
{
    fake_t *f = ctx;

    if (x->polls++ < f->delay) {
        return 0;
    }
    memset(res, 0, sizeof(*res));
    res->status = f->status;
    res->error = f->error ? apr_pstrdup(pool, f->error) : NULL;
    if (f->status == 200) {
        apr_size_t n = strlen(f->body);

        certauthz_bigbuf_reserve(&res->body, n + 1);
        memcpy(res->body.p, f->body, n);
        res->body.len = n;
        snprintf(res->validators.etag, sizeof(res->validators.etag), "%s",
                 f->etag ? f->etag : "");
    }
    return 1;
}

static void fake_release(void *ctx, certauthz_xfer_t *x)
{
    ((fake_t *)ctx)->in_flight--;
    free(x);
}

static void fake_wait(void *ctx, apr_interval_time_t t)
{
    (void)ctx;
    (void)t;
}

static fake_t fake;
static certauthz_fetch_ops_t ops = {&fake, fake_start, fake_finished,
                                    fake_release, fake_wait};

static void respond(int status, const char *body, const char *etag,
                    const char *error)
{
    fake.status = status;
    fake.body = body;
    fake.etag = etag;
    fake.error = error;
    fake.delay = 0;
}

/* ---- a loader of one URL (and maybe a file) ------------------------ */

typedef struct {
    kit_t k;                    /* log counters, pool, view */
    certauthz_shm_t *shm;
    certauthz_revview_t *views[2];
} ukit_t;

static certauthz_url_opts_t url = {"http://dp.example/ca.crl",
                                   apr_time_from_sec(10), 1 << 20, NULL};
/* The CertAuthzCRLVerifyCA of the URL (NULL: none). */
static const char *url_verify_ca;

static const char *ustart(ukit_t *u, const char *idx, const char *file,
                          int interval)
{
    certauthz_loader_src_t src[2];
    certauthz_revlist_t *initial[2] = {NULL, NULL};
    certauthz_revopts_t o;
    const char *err;
    int n = file ? 2 : 1, i;

    memset(u, 0, sizeof(*u));
    apr_pool_create(&u->k.pool, p);
    u->k.dir = apr_pstrdup(u->k.pool, idx);
    mkdir(idx, 0755);
    u->k.dirfd = open(idx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    memset(src, 0, sizeof(src));
    src[0].path = url.url;
    src[0].verify_ca = url_verify_ca;
    src[0].interval = interval;
    src[0].url = &url;
    if (file != NULL) {
        memset(&o, 0, sizeof(o));
        if ((err = certauthz_revlist_load(u->k.pool, file, &o, &initial[1]))
            != NULL) {
            return err;
        }
        src[1].path = file;
        src[1].interval = interval;
    }
    if ((err = certauthz_shm_create(u->k.pool, (apr_uint32_t)n, 0, 99,
                                    &u->shm)) != NULL) {
        return err;
    }
    err = certauthz_loader_create(u->k.pool, certauthz_shm_rw(u->shm),
                                  u->k.dirfd, u->k.dir, n, src, initial,
                                  &ops, kit_log, &u->k, &u->k.loader);
    if (initial[1] != NULL) {
        certauthz_revlist_release(initial[1]);
    }
    if (err != NULL) {
        return err;
    }
    for (i = 0; i < n; i++) {
        u->views[i] = certauthz_revview_create(
            u->k.pool, &certauthz_shm_ro(u->shm)->slots[i], u->k.dirfd,
            geteuid(), 99, (unsigned)i, kit_view_error, &u->k);
    }
    u->k.view = u->views[0];
    u->k.mono = apr_time_from_sec(1000);
    return NULL;
}

static certauthz_reason_e check_view(ukit_t *u, int i, const certauthz_cert_t *c)
{
    return kit_check_view(u->views[i], c);
}

static void status_of(ukit_t *u, certauthz_slot_view_t *st)
{
    certauthz_slot_read(&certauthz_shm_ro(u->shm)->slots[0], st);
}

static int copies(const char *idx)
{
    DIR *d = opendir(idx);
    struct dirent *e;
    int n = 0;

    while (d != NULL && (e = readdir(d)) != NULL) {
        n += strncmp(e->d_name, "url-", 4) == 0;
    }
    if (d != NULL) {
        closedir(d);
    }
    return n;
}

#define REVOKED CERTAUTHZ_REASON_REVOKED
#define OK_ CERTAUTHZ_REASON_OK

static void test_fetches(void)
{
    const certauthz_cert_t *c1 = revgen_cert(p, NULL, 0x1001);
    const certauthz_cert_t *c2 = revgen_cert(p, NULL, 0x1002);
    const char *idx = apr_pstrcat(p, dir, "/idx", NULL);
    certauthz_slot_view_t st;
    ukit_t u;
    const char *err;
    int starts;

    respond(200, "1001\n", "\"e1\"", NULL);
    err = ustart(&u, idx, NULL, 2);
    ok(err == NULL, "start-up: the URL is fetched and published (%s)",
       err ? err : "ok");
    if (err != NULL) {
        return;
    }
    ok(check_view(&u, 0, c1) == REVOKED && check_view(&u, 0, c2) == OK_
           && certauthz_loader_version(u.k.loader, 0) == 1,
       "start-up: version 1 is what the distribution point sent");
    ok(copies(idx) == 1, "start-up: the body is kept for a later start");
    ok(fake.in_flight == 0, "start-up: no transfer left behind");

    respond(304, NULL, NULL, NULL);
    kit_run(&u.k, 2.1);
    ok(fake.starts == 2 && strcmp(fake.sent_etag, "\"e1\"") == 0,
       "the next fetch, an interval later, is conditional on the ETag in "
       "force (%d fetches, If-None-Match %s)", fake.starts, fake.sent_etag);
    ok(certauthz_loader_version(u.k.loader, 0) == 1 && u.k.notices == 0,
       "a 304 publishes nothing");

    respond(200, "1001\n", "\"e2\"", NULL);
    kit_run(&u.k, 2);
    ok(certauthz_loader_version(u.k.loader, 0) == 1 && u.k.notices == 0,
       "a 200 with the same bytes publishes nothing");
    kit_run(&u.k, 2);
    ok(strcmp(fake.sent_etag, "\"e2\"") == 0,
       "...but its validators are the ones sent next (%s)", fake.sent_etag);

    respond(200, "1001\n1002\n", "\"e3\"", NULL);
    kit_run(&u.k, 2);
    ok(certauthz_loader_version(u.k.loader, 0) == 2 && u.k.notices == 1
           && strstr(u.k.last, "CertAuthzRevocationURL http://dp.example/"
                               "ca.crl: reloaded, 2 entries") != NULL,
       "a new body is published and logged (%s)", u.k.last);
    ok(check_view(&u, 0, c2) == REVOKED, "...and enforced");

    respond(0, NULL, NULL, "http://dp.example/ca.crl: HTTP status 503");
    kit_run(&u.k, 6);
    ok(u.k.errors == 1 && strstr(u.k.last, "HTTP status 503; keeping the "
                                           "last good list") != NULL,
       "a failure keeps the last good list, reported once over three "
       "fetches (%d)", u.k.errors);
    status_of(&u, &st);
    ok(st.version == 2 && strstr(st.last_error, "503") != NULL
           && st.failures == 1,
       "...and shown on the status page (%s)", st.last_error);
    respond(0, NULL, NULL, "http://dp.example/ca.crl: Couldn't connect");
    kit_run(&u.k, 2);
    ok(u.k.errors == 2, "another failure is reported (%d)", u.k.errors);
    respond(200, "0x1001\nnot-a-serial\n", "\"bad\"", NULL);
    kit_run(&u.k, 4);
    ok(u.k.errors == 3 && strstr(u.k.last, "line 2") != NULL
           && check_view(&u, 0, c2) == REVOKED,
       "a body that does not load is one more failure, and changes nothing "
       "(%s)", u.k.last);
    respond(200, "", "\"empty\"", NULL);
    kit_run(&u.k, 2);
    ok(u.k.errors == 4 && strstr(u.k.last, "the response is empty") != NULL,
       "an empty body is a broken one (%s)", u.k.last);

    u.k.notices = 0;
    respond(304, NULL, NULL, NULL);
    kit_run(&u.k, 2);
    status_of(&u, &st);
    ok(u.k.notices == 1 && strstr(u.k.last, "answers again") != NULL
           && st.last_error[0] == '\0',
       "back to the version in force: said once, the error cleared (%s)",
       u.k.last);

    starts = fake.starts;
    fake.delay = 1000000;
    kit_run(&u.k, 10);
    ok(fake.starts == starts + 1 && fake.in_flight == 1,
       "a fetch under way is not started again");
    fake.delay = 0;
    kit_run(&u.k, 0.5);
    ok(fake.in_flight == 0, "...and is released when it ends");
    kit_stop(&u.k);
}

static void test_never_blocks_files(void)
{
    const certauthz_cert_t *c = revgen_cert(p, NULL, 0x2001);
    const char *file = apr_pstrcat(p, dir, "/local.txt", NULL);
    const char *tmp = apr_pstrcat(p, dir, "/local.tmp", NULL);
    FILE *f = fopen(file, "w");
    ukit_t u;
    const char *err;

    fputs("# none\n", f);
    fclose(f);
    respond(200, "1001\n", "\"a\"", NULL);
    err = ustart(&u, apr_pstrcat(p, dir, "/idx2", NULL), file, 1);
    ok(err == NULL, "a URL and a file (%s)", err ? err : "ok");
    if (err != NULL) {
        return;
    }
    fake.delay = 1000000;       /* the distribution point hangs */
    kit_run(&u.k, 1.5);
    f = fopen(tmp, "w");
    fputs("2001\n", f);
    fclose(f);
    rename(tmp, file);
    kit_run(&u.k, 2.5);
    ok(check_view(&u, 1, c) == REVOKED,
       "the file is reloaded while the URL's fetch hangs");
    fake.delay = 0;
    kit_run(&u.k, 0.5);
    kit_stop(&u.k);
}

static void test_start_fallback(void)
{
    const certauthz_cert_t *c2 = revgen_cert(p, NULL, 0x1002);
    const char *idx = apr_pstrcat(p, dir, "/idx", NULL);
    certauthz_slot_view_t st;
    ukit_t u;
    const char *err;

    respond(0, NULL, NULL, "http://dp.example/ca.crl: Couldn't connect");
    err = ustart(&u, apr_pstrcat(p, dir, "/idx3", NULL), NULL, 1);
    ok(err != NULL && strstr(err, "CertAuthzRevocationURL http://dp.example/"
                                  "ca.crl: Couldn't connect, and no copy")
                          != NULL,
       "a first start without an answer and without a copy is refused (%s)",
       err ? err : "started");
    if (err == NULL) {
        kit_stop(&u.k);
    }

    err = ustart(&u, idx, NULL, 1);
    ok(err == NULL && u.k.errors == 1
           && strstr(u.k.last, "starting with the copy fetched") != NULL,
       "with the copy of the last body it starts, and says so (%s)",
       err ? err : u.k.last);
    if (err != NULL) {
        return;
    }
    status_of(&u, &st);
    ok(check_view(&u, 0, c2) == REVOKED && strstr(st.last_error, "Couldn't")
                                               != NULL,
       "...enforcing it, the failure on the status page");
    respond(200, "1001\n1002\n", "\"e4\"", NULL);
    kit_run(&u.k, 0.5);
    ok(u.k.notices == 1 && certauthz_loader_version(u.k.loader, 0) == 1
           && fake.sent_etag[0] == '\0',
       "...fetching again at once, without validators, the same bytes "
       "clearing the failure (%s)", u.k.last);
    kit_stop(&u.k);

    /* A copy that was tampered with (or truncated) is no start. */
    {
        DIR *d = opendir(idx);
        struct dirent *e;

        while (d != NULL && (e = readdir(d)) != NULL) {
            if (strncmp(e->d_name, "url-", 4) == 0) {
                FILE *f = fopen(apr_pstrcat(p, idx, "/", e->d_name, NULL),
                                "w");

                fputs("garbage here\n", f);
                fclose(f);
            }
        }
        if (d != NULL) {
            closedir(d);
        }
    }
    respond(0, NULL, NULL, "http://dp.example/ca.crl: Couldn't connect");
    err = ustart(&u, idx, NULL, 1);
    ok(err != NULL && strstr(err, "cannot be used") != NULL,
       "a copy that does not load is refused too (%s)",
       err ? err : "started");
    if (err == NULL) {
        kit_stop(&u.k);
    }
}

static void test_old_copies(void)
{
    const char *idx = apr_pstrcat(p, dir, "/idx4", NULL);
    FILE *f;
    ukit_t u;
    const char *err;

    mkdir(idx, 0755);
    f = fopen(apr_pstrcat(p, idx, "/url-000000000000000000000000.body", NULL),
              "w");
    fputs("1\n", f);
    fclose(f);
    respond(200, "1001\n", NULL, NULL);
    err = ustart(&u, idx, NULL, 1);
    ok(err == NULL && copies(idx) == 1,
       "the copy of a URL no source names any more is removed (%d left)",
       copies(idx));
    if (err == NULL) {
        kit_stop(&u.k);
    }
}

/* With CertAuthzCRLVerifyCA, only a CRL its CA signed is taken from a
 * distribution point: a list or an index.txt has no signature, and anyone
 * on the path could answer "nothing revoked" in that format. */
static void test_verify_ca(void)
{
    revgen_ca_t ca = revgen_ca("URL CA");
    X509_CRL *crl = revgen_crl(ca.name, 0);
    const char *ca_path = apr_pstrcat(p, dir, "/url-ca.pem", NULL);
    const char *idx = apr_pstrcat(p, dir, "/idx-ca", NULL);
    const certauthz_cert_t *dev = revgen_cert(p, ca.name, 0x5005);
    ukit_t u;
    const char *err;
    char *pem;
    size_t n;
    BIO *b = BIO_new_file(ca_path, "w");

    PEM_write_bio_X509(b, ca.cert);
    BIO_free(b);
    url_verify_ca = ca_path;
    respond(200, "# nothing revoked\n", "\"v1\"", NULL);
    err = ustart(&u, idx, NULL, 2);
    ok(err != NULL && strstr(err, "not a CRL") != NULL,
       "verify CA: a plain list from the distribution point is refused (%s)",
       err ? err : "taken");
    if (err == NULL) {
        kit_stop(&u.k);
    }
    revgen_revoke(crl, 0x5005);
    X509_CRL_sign(crl, ca.key, EVP_sha256());
    pem = revgen_pem(p, crl, &n);
    respond(200, pem, "\"v2\"", NULL);
    err = ustart(&u, idx, NULL, 2);
    ok(err == NULL && check_view(&u, 0, dev) == REVOKED,
       "verify CA: the CRL its CA signed is taken (%s)", err ? err : "ok");
    if (err == NULL) {
        X509_CRL *old = revgen_crl(ca.name, 0);
        ASN1_TIME *t = ASN1_TIME_set(NULL, time(NULL) - 7200);
        char *old_pem;
        size_t old_n;

        respond(200, "# nothing revoked\n", "\"v3\"", NULL);
        kit_run(&u.k, 5);
        ok(check_view(&u, 0, dev) == REVOKED && u.k.errors >= 1
               && strstr(u.k.last, "not a CRL") != NULL,
           "verify CA: a list served later keeps the CRL in force (%s)",
           u.k.last);
        /* The CA's own CRL of two hours ago, from before the revocation:
         * signed, and older than the one in force. */
        X509_CRL_set1_lastUpdate(old, t);
        X509_CRL_sign(old, ca.key, EVP_sha256());
        old_pem = revgen_pem(p, old, &old_n);
        respond(200, old_pem, "\"v0\"", NULL);
        kit_run(&u.k, 5);
        ok(check_view(&u, 0, dev) == REVOKED
               && strstr(u.k.last, "older than the list in force") != NULL,
           "rollback: an older CRL of the same CA, replayed, is refused (%s)",
           u.k.last);
        ASN1_TIME_free(t);
        X509_CRL_free(old);
        kit_stop(&u.k);
    }
    else {
        ok(0, "verify CA: a list served later keeps the CRL in force");
    }
    url_verify_ca = NULL;
    X509_CRL_free(crl);
    revgen_ca_free(&ca);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&p, NULL);
    snprintf(dir, sizeof(dir), "/tmp/certauthz-url-%ld", (long)getpid());
    mkdir(dir, 0755);
    plan(30);
    test_fetches();
    test_never_blocks_files();
    test_start_fallback();
    test_old_copies();
    test_verify_ca();
    {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0) {
            printf("# cannot remove %s\n", dir);
        }
    }
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
