/*
 * The compiled index (src/revindex.c) as the loader process will use it:
 * saved to a file and mapped back, with the same verdicts; refused or
 * still safe whatever bytes the file holds, before or after it is mapped
 * (run under ASan/UBSan and valgrind by `make test`); the accessors of the
 * status page; a serial too long for any list still has its fingerprint
 * looked up; the one safe open of src/file.c; and a list line is a serial
 * exactly when `Require cert-serial` takes it for one.
 */
#include <apr_general.h>
#include <dirent.h>
#include <apr_strings.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "src/file.h"
#include "src/hexid.h"
#include "src/revocation.h"
#include "t/unit/revgen.h"
#include "t/unit/rng.h"
#include "t/unit/tap.h"

static apr_pool_t *p;
static char dir[64];
static revgen_ca_t ca1, ca2;
static certauthz_revopts_t plain = {NULL};

/* Certificates every check runs over: listed and unlisted serials of
 * both CAs and of no CRL issuer, and a fingerprint entry's certificate. */
#define NCERTS 24
static const certauthz_cert_t *certs[NCERTS];

static int contains_(const char *s, const char *needle)
{
    return s != NULL && strstr(s, needle) != NULL;
}

static const char *tpath(const char *name)
{
    return apr_pstrcat(p, dir, "/", name, NULL);
}

static void verdicts(const certauthz_revlist_t *l, certauthz_reason_e *out)
{
    int i;

    for (i = 0; i < NCERTS; i++) {
        out[i] = certauthz_revlist_check(l, certs[i], apr_time_now(), 1);
    }
}

/* A CRL file of ca1 (stale) and ca2, and a list with serials and the
 * fingerprint of certs[0]: every record kind. */
static certauthz_revlist_t *mixed_list(const char **crl_path,
                                       const char **list_path)
{
    X509_CRL *c1 = revgen_crl(ca1.name, time(NULL) - 10);
    X509_CRL *c2 = revgen_crl(ca2.name, time(NULL) + 3600);
    certauthz_revlist_t *l = NULL;
    char *text, *pem1, *pem2;
    size_t n1, n2;
    int i;

    for (i = 1; i <= 40; i++) {
        revgen_revoke(i % 2 ? c1 : c2, 0x100 + i);
    }
    X509_CRL_sign(c1, ca1.key, EVP_sha256());
    X509_CRL_sign(c2, ca2.key, EVP_sha256());
    pem1 = revgen_pem(p, c1, &n1);
    pem2 = revgen_pem(p, c2, &n2);
    *crl_path = revgen_put(p, dir, "mixed.pem",
                           apr_pstrcat(p, pem1, pem2, NULL), n1 + n2, 10);
    X509_CRL_free(c1);
    X509_CRL_free(c2);
    text = apr_psprintf(p, "sha256:%s\n0x200\n0x201\n", certs[0]->fingerprint);
    *list_path = revgen_put(p, dir, "mixed.txt", text, strlen(text), 10);
    if (certauthz_revlist_load(p, *crl_path, &plain, &l) != NULL) {
        return NULL;
    }
    return l;
}

static void make_certs(void)
{
    static const long serials[] = {0x101, 0x102, 0x103, 0x104, 0x1ff,
                                   0x200, 0x201, 0x202};
    int i, k = 1;

    certs[0] = revgen_cert(p, NULL, 0x999);
    for (i = 0; i < 8 && k < NCERTS; i++) {
        certs[k++] = revgen_cert(p, ca1.name, serials[i]);
        certs[k++] = revgen_cert(p, ca2.name, serials[i]);
        if (k < NCERTS) {
            certs[k++] = revgen_cert(p, NULL, serials[i]);
        }
    }
}

/* Save l to a file: its path and size. */
static const char *save(const certauthz_revlist_t *l, const char *name,
                        off_t *size)
{
    const char *path = tpath(name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    apr_status_t rv = certauthz_revlist_save(l, fd);
    struct stat st;

    fstat(fd, &st);
    close(fd);
    *size = st.st_size;
    return rv == APR_SUCCESS ? path : NULL;
}

static const char *map_file(const char *path, certauthz_revlist_t **l)
{
    int fd = open(path, O_RDONLY);
    const char *err;

    *l = NULL;
    err = certauthz_revlist_map(fd, l);
    close(fd);
    return err;
}

/* The names in a directory, one string. */
static const char *listing(const char *d)
{
    DIR *dh = opendir(d);
    struct dirent *e;
    const char *all = "";

    while (dh != NULL && (e = readdir(dh)) != NULL) {
        all = apr_pstrcat(p, all, "/", e->d_name, NULL);
    }
    if (dh != NULL) {
        closedir(dh);
    }
    return all;
}

static void round_trip(void)
{
    const char *crl_path, *list_path, *path, *err;
    certauthz_revlist_t *l = mixed_list(&crl_path, &list_path), *m, *t;
    certauthz_reason_e a[NCERTS], b[NCERTS];
    off_t size;
    int revoked = 0, stale = 0, i;

    ok(l != NULL, "a PEM file of two CRLs loads");
    {
        const char *before = listing(dir), *cwd = listing(".");
        certauthz_revlist_t *again = NULL;

        ok(certauthz_revlist_load(p, crl_path, &plain, &again) == NULL
               && strcmp(before, listing(dir)) == 0
               && strcmp(cwd, listing(".")) == 0,
           "without a cache directory a load writes nothing (beside the file, "
           "nor in the working directory)");
        certauthz_revlist_release(again);
    }
    path = save(l, "mixed.idx", &size);
    ok(path != NULL && size > 0, "the list is saved to a file (%ld bytes)",
       (long)size);
    err = map_file(path, &m);
    ok(err == NULL, "the saved index maps back (%s)", err ? err : "ok");
    if (m == NULL) {
        return;
    }
    verdicts(l, a);
    verdicts(m, b);
    for (i = 0; i < NCERTS; i++) {
        revoked += a[i] == CERTAUTHZ_REASON_REVOKED;
        stale += a[i] == CERTAUTHZ_REASON_CRL_STALE;
    }
    ok(memcmp(a, b, sizeof(a)) == 0 && revoked > 0 && stale > 0,
       "the mapped index gives every verdict the loaded list gives (%d "
       "revoked, %d crl-stale)", revoked, stale);
    ok(certauthz_revlist_entries(m) == 40
           && strcmp(certauthz_revlist_format(m), "crl-pem") == 0
           && certauthz_revlist_next_update(m)
                  == certauthz_revlist_next_update(l)
           && certauthz_revlist_next_update(m) != 0
           && certauthz_revlist_mtime(m) == certauthz_revlist_mtime(l),
       "entries, format, nextUpdate and the source's mtime survive");
    ok(certauthz_revlist_stale(m, apr_time_now())
           && !certauthz_revlist_stale(m, certauthz_revlist_next_update(m)),
       "stale after the earliest nextUpdate, not at it");
    certauthz_revlist_release(l);

    /* A mapped list saves and maps again. */
    path = save(m, "again.idx", &size);
    ok(path != NULL && map_file(path, &t) == NULL
           && certauthz_revlist_entries(t) == 40,
       "a mapped list saves again");
    verdicts(t, a);
    ok(memcmp(a, b, sizeof(a)) == 0, "...with the same verdicts");
    certauthz_revlist_release(t);
    certauthz_revlist_release(m);

    ok(certauthz_revlist_load(p, list_path, &plain, &l) == NULL
           && (path = save(l, "list.idx", &size)) != NULL
           && map_file(path, &m) == NULL
           && strcmp(certauthz_revlist_format(m), "list") == 0
           && certauthz_revlist_next_update(m) == 0
           && !certauthz_revlist_stale(m, apr_time_now())
           && certauthz_revlist_check(m, certs[0], 0, 0)
                  == CERTAUTHZ_REASON_REVOKED,
       "a plain list with a fingerprint round-trips; no nextUpdate, never "
       "stale");
    certauthz_revlist_release(l);
    certauthz_revlist_release(m);
}

/* Write img (len bytes) as a file and map it: 1 when it was refused, 0
 * when it mapped (and every lookup ran, safely: ASan, valgrind). */
static int refused(const unsigned char *img, size_t len)
{
    const char *path = tpath("bad.idx");
    certauthz_reason_e v[NCERTS];
    certauthz_revlist_t *l;
    FILE *f = fopen(path, "wb");
    int r;

    fwrite(img, 1, len, f);
    fclose(f);
    r = map_file(path, &l) != NULL;
    if (!r) {
        verdicts(l, v);
        certauthz_revlist_entries(l);
        certauthz_revlist_release(l);
    }
    return r;
}

static void corrupted(void)
{
    const char *crl_path, *list_path, *path;
    certauthz_revlist_t *l = mixed_list(&crl_path, &list_path), *m;
    unsigned char *img, *bad;
    size_t len;
    off_t size;
    FILE *f;
    int i, n = 0, nref = 0, fd;
    static const unsigned char vals[] = {0x00, 0x01, 0x07, 0x08, 0x7f,
                                         0x80, 0xfe, 0xff};

    path = save(l, "good.idx", &size);
    certauthz_revlist_release(l);
    len = (size_t)size;
    img = malloc(len + 64);
    bad = malloc(len + 64);
    f = fopen(path, "rb");
    if (fread(img, 1, len, f) != len) {
        printf("# short read\n");
    }
    fclose(f);

    /* Cut short anywhere, or grown. */
    for (i = 0; i < tap_scale(300); i++) {
        size_t cut = i < 200 ? (size_t)i : (size_t)rnd((unsigned)len);

        n++;
        nref += refused(img, cut);
    }
    memcpy(bad, img, len);
    memset(bad + len, 0, 64);
    n += 2;
    nref += refused(bad, len + 1) + refused(bad, len + 64);
    ok(nref == n, "an index cut short or grown is refused (%d of %d)", nref,
       n);

    /* Every byte of the header and the first slots and records, set to
     * values that sit on the edges. */
    n = nref = 0;
    for (i = 0; i < 512 && (size_t)i < len; i++) {
        size_t k;

        for (k = 0; k < sizeof(vals); k++) {
            if (img[i] == vals[k]) {
                continue;
            }
            memcpy(bad, img, len);
            bad[i] = vals[k];
            n++;
            nref += refused(bad, len);
        }
    }
    ok(nref > 0, "edge values in each of the first 512 bytes: %d of %d "
       "refused, the others mapped and looked up safely", nref, n);

    /* Random bytes anywhere, singly and in bursts. */
    n = nref = 0;
    for (i = 0; i < tap_scale(1500); i++) {
        int j, burst = i % 3 == 0 ? 1 + (int)rnd(64) : 1;
        size_t at = rnd((unsigned)len);

        memcpy(bad, img, len);
        for (j = 0; j < burst && at + (size_t)j < len; j++) {
            bad[at + (size_t)j] = (unsigned char)rnd(256);
        }
        n++;
        nref += refused(bad, len);
    }
    ok(nref > 0, "random bytes at random places: %d of %d refused, the "
       "others mapped and looked up safely", nref, n);

    /* Changed under a live mapping (MAP_SHARED): the checks done at map
     * time no longer hold, yet lookups stay inside and end. */
    memcpy(bad, img, len);
    f = fopen(tpath("live.idx"), "wb");
    fwrite(bad, 1, len, f);
    fclose(f);
    ok(map_file(tpath("live.idx"), &m) == NULL, "a good index maps");
    fd = open(tpath("live.idx"), O_WRONLY);
    for (i = 0; i < 4 && m != NULL; i++) {
        certauthz_reason_e v[NCERTS];
        size_t k;

        for (k = 0; k < len; k++) {
            bad[k] = i == 0 ? 0xff : i == 1 ? 0x00 : i == 2
                                                       ? (unsigned char)rnd(256)
                                                       : (unsigned char)(k * 7);
        }
        /* The header is left alone in one round: only the slots and
         * records change. */
        if (pwrite(fd, bad + (i == 3 ? 160 : 0), len - (i == 3 ? 160 : 0),
                   i == 3 ? 160 : 0) < 0) {
            printf("# pwrite: %s\n", strerror(errno));
        }
        verdicts(m, v);
    }
    close(fd);
    ok(m != NULL, "an index overwritten while mapped (all 0xff: every slot "
       "full and out of range; zeros; random; a pattern) is looked up "
       "safely, every lookup ends");
    certauthz_revlist_release(m);
    free(img);
    free(bad);
}

static void long_serial(void)
{
    unsigned char big[300];
    const certauthz_cert_t *c;
    certauthz_revlist_t *l;
    const char *path, *text;
    char hex[2 * 255 + 1];

    memset(big, 0x42, sizeof(big));
    c = revgen_cert_bytes(p, ca1.name, big, sizeof(big));
    ok(c != NULL && c->serial_len == 300, "a certificate with a 300-byte "
       "serial parses");
    text = apr_psprintf(p, "0x01\nsha256:%s\n", c->fingerprint);
    path = revgen_put(p, dir, "long.txt", text, strlen(text), 10);
    ok(certauthz_revlist_load(p, path, &plain, &l) == NULL
           && certauthz_revlist_check(l, c, 0, 0) == CERTAUTHZ_REASON_REVOKED,
       "a serial longer than 255 bytes: its sha256: fingerprint entry still "
       "revokes it");
    certauthz_revlist_release(l);
    certauthz_hex_encode(hex, big, 255, 0);
    text = apr_psprintf(p, "%s\n", hex);
    path = revgen_put(p, dir, "long255.txt", text, strlen(text), 10);
    ok(certauthz_revlist_load(p, path, &plain, &l) == NULL
           && certauthz_revlist_check(l, c, 0, 0) == CERTAUTHZ_REASON_OK,
       "...and its first 255 bytes as a serial entry do not match it");
    certauthz_revlist_release(l);
    text = apr_psprintf(p, "%s42\n", hex);
    path = revgen_put(p, dir, "long256.txt", text, strlen(text), 10);
    ok(contains_(certauthz_revlist_load(p, path, &plain, &l), "longer than "
                                                              "255 bytes"),
       "a 256-byte serial in a list is refused, as cert-serial refuses it");
}

static void file_open(void)
{
    const char *err, *path = revgen_put(p, dir, "plain.txt", "1\n", 2, 10);
    struct sockaddr_un sa;
    struct stat st;
    int fd = -1, s;

    err = certauthz_file_open(p, path, 1, &fd, &st);
    ok(err == NULL && S_ISREG(st.st_mode)
           && (fcntl(fd, F_GETFD) & FD_CLOEXEC)
           && (fcntl(fd, F_GETFL) & O_NONBLOCK),
       "a regular file opens, close-on-exec and non-blocking");
    if (fd >= 0) {
        close(fd);
    }
    mkfifo(tpath("fifo"), 0600);
    alarm(10);      /* a blocking open would hang here: fail instead */
    err = certauthz_file_open(p, tpath("fifo"), 0, &fd, &st);
    alarm(0);
    ok(contains_(err, "fifo") && contains_(err, "a FIFO"),
       "a FIFO without a writer is refused at once (%s)", err);
    err = certauthz_file_open(p, dir, 0, &fd, &st);
    ok(contains_(err, "a directory"), "a directory is refused (%s)", err);
    err = certauthz_file_open(p, "/dev/null", 0, &fd, &st);
    ok(contains_(err, "a character device"), "a device is refused (%s)", err);
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    apr_cpystrn(sa.sun_path, tpath("sock"), sizeof(sa.sun_path));
    if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        printf("# bind: %s\n", strerror(errno));
    }
    err = certauthz_file_open(p, tpath("sock"), 0, &fd, &st);
    ok(contains_(err, "sock") && contains_(err, "a socket"),
       "a socket is refused (%s)", err);
    close(s);
    if (symlink(path, tpath("link")) != 0) {
        printf("# symlink: %s\n", strerror(errno));
    }
    err = certauthz_file_open(p, tpath("link"), 1, &fd, &st);
    ok(contains_(err, "symbolic link"),
       "with nofollow, a symbolic link is refused (%s)", err);
    err = certauthz_file_open(p, tpath("link"), 0, &fd, &st);
    ok(err == NULL, "without it, the link is followed");
    if (err == NULL) {
        close(fd);
    }
    err = certauthz_file_open(p, tpath("missing"), 0, &fd, &st);
    ok(contains_(err, "missing") && contains_(err, "cannot open"),
       "a missing file is named (%s)", err);
}

/* A list line is a serial exactly when cert-serial's parser takes it, and
 * then revokes the certificate with that serial. */
static void same_spellings(void)
{
    static const char *const spellings[] = {
        "1", "01", "0x01", "0X0001", "00:01", "1001", "abc", "0A:bC",
        "0", "00:00", "7F0102030405060708090A0B0C0D0E0F101112FF",
        "0x00:7f:01", ":01", "01:", "01::02", "-01", "0x-1", "1g", "0x",
        "0x:01", "x01", "0xx1", "0:0:0:1", "00000000000000000000000000001",
        "DEADbeef", "de:ad:be:ef", "0xDE:AD"
    };
    size_t i;
    int all = 1;

    for (i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        unsigned char bytes[CERTAUTHZ_SERIAL_MAX];
        apr_size_t n = 0;
        const char *rule = certauthz_serial_parse(spellings[i], bytes, &n);
        const char *text = apr_pstrcat(p, spellings[i], "\n", NULL);
        const char *path = revgen_put(p, dir, "spelling.txt", text,
                                      strlen(text), 10);
        certauthz_revlist_t *l = NULL;
        const char *list = certauthz_revlist_load(p, path, &plain, &l);

        if ((rule == NULL) != (list == NULL)) {
            printf("# '%s': cert-serial %s, a list %s\n", spellings[i],
                   rule ? rule : "takes it", list ? list : "takes it");
            all = 0;
        }
        if (l != NULL) {
            if (certauthz_revlist_check(l, revgen_cert_bytes(p, NULL, bytes,
                                                             (int)n),
                                        0, 0)
                != CERTAUTHZ_REASON_REVOKED) {
                printf("# '%s' does not revoke its serial\n", spellings[i]);
                all = 0;
            }
            certauthz_revlist_release(l);
        }
    }
    ok(all, "a list takes exactly the serial spellings cert-serial takes, "
       "each meaning the same serial");
}

int main(void)
{
    char cmd[128];

    rng_state = 0x853c49e6748fea9bULL;
    apr_initialize();
    apr_pool_create(&p, NULL);
    apr_cpystrn(dir, "/tmp/certauthz-revindex.XXXXXX", sizeof(dir));
    if (mkdtemp(dir) == NULL) {
        return 1;
    }
    ca1 = revgen_ca("Index CA One");
    ca2 = revgen_ca("Index CA Two");
    make_certs();

    round_trip();
    corrupted();
    long_serial();
    file_open();
    same_spellings();

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
        printf("# could not remove %s\n", dir);
    }
    revgen_ca_free(&ca1);
    revgen_ca_free(&ca2);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
