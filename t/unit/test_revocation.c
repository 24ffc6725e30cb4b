/* Revocation sources: formats, scoping, errors, the shared index, reloads. */
#include <apr_general.h>
#include <apr_strings.h>

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "src/revocation.h"
#include "t/unit/revgen.h"
#include "t/unit/tap.h"

static apr_pool_t *p;
static char dir[64];

static const char *tpath(const char *name)
{
    return apr_pstrcat(p, dir, "/", name, NULL);
}

static const char *put(const char *name, const void *data, size_t len, int age)
{
    return revgen_put(p, dir, name, data, len, age);
}

static const char *puts_(const char *name, const char *text)
{
    return put(name, text, strlen(text), 10);
}

typedef revgen_ca_t ca_t;

/* A CRL of ca revoking the given serials (as numbers), signed by key
 * (ca.key normally), nextUpdate at next (epoch seconds, 0 for none). */
static X509_CRL *make_crl(const ca_t *ca, EVP_PKEY *key, const long *serials,
                          int n, time_t next)
{
    X509_CRL *crl = revgen_crl(ca->name, next);
    int i;

    for (i = 0; i < n; i++) {
        revgen_revoke(crl, serials[i]);
    }
    X509_CRL_sort(crl);
    X509_CRL_sign(crl, key, EVP_sha256());
    return crl;
}

static char *crl_pem(X509_CRL *crl, size_t *len)
{
    return revgen_pem(p, crl, len);
}

static unsigned char *crl_der(X509_CRL *crl, size_t *len)
{
    return revgen_der(p, crl, len);
}

/* A parsed certificate of the given issuer and serial. */
static const certauthz_cert_t *cert(const ca_t *ca, long serial)
{
    return revgen_cert(p, ca != NULL ? ca->name : NULL, serial);
}

static certauthz_revopts_t no_cache = {NULL};

static certauthz_reason_e check_file(const char *path,
                                     const certauthz_revopts_t *o,
                                     const certauthz_cert_t *c, int deny)
{
    certauthz_revlist_t *l = NULL;
    const char *err = certauthz_revlist_load(p, path, o, &l);
    certauthz_reason_e r;

    if (err != NULL) {
        printf("# %s\n", err);
        return CERTAUTHZ_REASON_NONE;
    }
    r = certauthz_revlist_check(l, c, apr_time_now(), deny);
    certauthz_revlist_release(l);
    return r;
}

static const char *load_error(const char *path, const certauthz_revopts_t *o)
{
    certauthz_revlist_t *l = NULL;
    const char *err = certauthz_revlist_load(p, path, o, &l);

    if (err == NULL) {
        certauthz_revlist_release(l);
    }
    return err;
}

static int contains(const char *s, const char *needle)
{
    return s != NULL && strstr(s, needle) != NULL;
}

#define REVOKED CERTAUTHZ_REASON_REVOKED
#define OK_ CERTAUTHZ_REASON_OK
#define STALE CERTAUTHZ_REASON_CRL_STALE


static void test_list(ca_t *ca1, ca_t *ca2)
{
    const certauthz_cert_t *fp = cert(ca1, 0x7777);
    const char *path;
    char text[512];

    snprintf(text, sizeof(text),
             "# revoked devices\n"
             "\n"
             "0x10:01\n"
             "   00:00:10:02   # leading zeros and colons\n"
             "ABCDEF\r\n"
             "0X00ab\n"
             "sha256:%s\n"
             "0\n",
             fp->fingerprint);
    path = puts_("list.txt", text);
    ok(check_file(path, &no_cache, cert(ca1, 0x1001), 0) == REVOKED,
       "list: 0x10:01 revokes serial 1001");
    ok(check_file(path, &no_cache, cert(ca2, 0x1001), 0) == REVOKED,
       "list: a list serial applies to every issuer");
    ok(check_file(path, &no_cache, cert(ca1, 0x1002), 0) == REVOKED,
       "list: leading zeros, colons and a trailing comment are ignored");
    ok(check_file(path, &no_cache, cert(ca1, 0xabcdef), 0) == REVOKED,
       "list: upper-case hex with CRLF matches a lower-case serial");
    ok(check_file(path, &no_cache, cert(ca1, 0xab), 0) == REVOKED,
       "list: 0X prefix and leading zeros");
    ok(check_file(path, &no_cache, cert(ca1, 0), 0) == REVOKED,
       "list: serial 0");
    ok(check_file(path, &no_cache, cert(ca1, 0x1003), 0) == OK_,
       "list: a serial not on the list is not revoked");
    ok(check_file(path, &no_cache, cert(ca1, 0x100), 0) == OK_,
       "list: 0x100 is not 0x1001's prefix");
    ok(check_file(path, &no_cache, fp, 0) == REVOKED,
       "list: a sha256: fingerprint revokes that certificate");
    ok(check_file(path, &no_cache, cert(ca1, 0x7778), 0) == OK_,
       "list: the fingerprint does not revoke its neighbour");
    {
        char upper[256];
        size_t i, k = 0;

        /* Upper case, colons between bytes. */
        k += (size_t)snprintf(upper, sizeof(upper), "SHA256:");
        for (i = 0; i < 64; i += 2) {
            k += (size_t)snprintf(upper + k, sizeof(upper) - k, "%c%c%s",
                                  toupper(fp->fingerprint[i]),
                                  toupper(fp->fingerprint[i + 1]),
                                  i < 62 ? ":" : "\n");
        }
        path = puts_("fpcolons.txt", upper);
        ok(check_file(path, &no_cache, fp, 0) == REVOKED,
           "list: a fingerprint in upper case with colons");
    }
    path = puts_("starts0.txt", "01\n02\n");
    ok(check_file(path, &no_cache, cert(ca1, 2), 0) == REVOKED,
       "list: a text file starting with '0' is not taken for DER");
    path = puts_("empty.txt", "");
    ok(check_file(path, &no_cache, cert(ca1, 2), 0) == OK_,
       "list: an empty file is an empty list");

    /* Serials are added a few lines after they are read (their slots
     * fetched meanwhile): 1,000 serials, every tenth written twice (once
     * right after itself, once much later), a fingerprint line among
     * them, a comment and blank lines: every one is found, each counted
     * once, and the first and the last too. */
    {
        char *text = malloc(64 * 1200 + 128), *t = text;
        certauthz_revlist_t *l = NULL;
        const char *err;
        int i, found = 1;

        for (i = 1; i <= 1000; i++) {
            t += sprintf(t, "%x\n", 0x50000 + i);
            if (i % 10 == 0) {
                t += sprintf(t, "0x%x\n", 0x50000 + i);
            }
            if (i == 500) {
                t += sprintf(t, "# half way\n\nsha256:%s\n", fp->fingerprint);
            }
        }
        for (i = 10; i <= 1000; i += 10) {
            t += sprintf(t, "%x\n", 0x50000 + i);
        }
        path = puts_("many.txt", text);
        err = certauthz_revlist_load(p, path, &no_cache, &l);
        for (i = 1; err == NULL && i <= 1000 && found; i++) {
            found = certauthz_revlist_check(l, cert(ca2, 0x50000 + i),
                                            apr_time_now(), 0) == REVOKED;
        }
        ok(err == NULL && found
               && certauthz_revlist_check(l, fp, apr_time_now(), 0) == REVOKED
               && certauthz_revlist_check(l, cert(ca1, 0x50000), apr_time_now(),
                                          0) == OK_
               && certauthz_revlist_check(l, cert(ca1, 0x50000 + 1001),
                                          apr_time_now(), 0) == OK_,
           "list: 1,000 serials and a fingerprint, every one found, no "
           "neighbour (%s)", err ? err : "ok");
        ok(l != NULL && certauthz_revlist_entries(l) == 1001,
           "list: duplicates counted once (%llu entries)",
           l ? (unsigned long long)certauthz_revlist_entries(l) : 0ULL);
        if (l != NULL) {
            certauthz_revlist_release(l);
        }
        free(text);
    }
}

static void test_list_errors(void)
{
    const char *path = puts_("bad.txt", "1001\n# fine\nxyz\n");
    const char *err = load_error(path, &no_cache);

    ok(contains(err, path) && contains(err, "line 3")
           && contains(err, "'xyz' is not a hex serial"),
       "list: a bad line is named by file, line and token (%s)", err);
    err = load_error(puts_("bad2.txt", "sha256:abcd\n"), &no_cache);
    ok(contains(err, "line 1") && contains(err, "'sha256:abcd'")
           && contains(err, "fingerprint"),
       "list: a short fingerprint is refused (%s)", err);
    err = load_error(puts_("bad3.txt", "\n\n1001 1002\n"), &no_cache);
    ok(contains(err, "line 3") && contains(err, "'1002'"),
       "list: two entries on one line are refused (%s)", err);
    err = load_error(puts_("bad4.txt", "-1001\n"), &no_cache);
    ok(contains(err, "'-1001' is not a hex serial"),
       "list: a negative serial is refused (%s)", err);
    err = load_error(puts_("bad5.txt", "0x\n"), &no_cache);
    ok(contains(err, "'0x' is not a hex serial"),
       "list: a bare 0x is refused (%s)", err);
    err = load_error(puts_("bad6.txt", "10\x01\xff\n"), &no_cache);
    ok(contains(err, "\\x01\\xff"),
       "list: binary bytes are escaped in the message (%s)", err);
    err = load_error(tpath("missing.txt"), &no_cache);
    ok(contains(err, "missing.txt") && contains(err, "cannot open"),
       "a missing file is an error naming it (%s)", err);
}

static void test_index(ca_t *ca1, ca_t *ca2)
{
    const char *path = puts_("index.txt",
        "V\t280101000000Z\t\t1001\tunknown\t/C=US/O=MyOrg/CN=a\n"
        "R\t280101000000Z\t240101000000Z,keyCompromise\t1002\tunknown\t"
        "/C=US/O=MyOrg/CN=b\n"
        "E\t200101000000Z\t\t01\tunknown\t/CN=c\n"
        "R\t280101000000Z\t240101000000Z\t0A0B\tunknown\t/CN=d\n");
    const char *err;

    ok(check_file(path, &no_cache, cert(ca1, 0x1002), 0) == REVOKED,
       "index.txt: an R line revokes its serial");
    ok(check_file(path, &no_cache, cert(ca2, 0xa0b), 0) == REVOKED,
       "index.txt: R serials apply to any issuer, leading zero ignored");
    ok(check_file(path, &no_cache, cert(ca1, 0x1001), 0) == OK_,
       "index.txt: a V line does not revoke");
    ok(check_file(path, &no_cache, cert(ca1, 0x1), 0) == OK_,
       "index.txt: an E line does not revoke");
    err = load_error(puts_("index-bad.txt",
        "V\t280101000000Z\t\t1001\tunknown\t/CN=a\n"
        "X\t280101000000Z\t\t1002\tunknown\t/CN=b\n"), &no_cache);
    ok(contains(err, "line 2") && contains(err, "'X'"),
       "index.txt: an unknown status is named with its line (%s)", err);
    err = load_error(puts_("index-bad2.txt",
        "R\t280101000000Z\t240101000000Z\tzz\tunknown\t/CN=b\n"), &no_cache);
    ok(contains(err, "line 1") && contains(err, "'zz' is not a hex serial"),
       "index.txt: a bad serial is named (%s)", err);
    err = load_error(puts_("index-bad3.txt", "R\t280101000000Z\n"), &no_cache);
    ok(contains(err, "line 1") && contains(err, "index.txt"),
       "index.txt: a truncated line is refused (%s)", err);
}

static void test_crls(ca_t *ca1, ca_t *ca2, ca_t *ca3)
{
    long s1[] = {0x2001, 0x80, 0x2005}, s2[] = {0x3001};
    X509_CRL *c1 = make_crl(ca1, ca1->key, s1, 3, time(NULL) + 86400);
    X509_CRL *c2 = make_crl(ca2, ca2->key, s2, 1, 0);
    size_t l1, l2, ld;
    char *p1 = crl_pem(c1, &l1), *p2 = crl_pem(c2, &l2);
    unsigned char *d1 = crl_der(c1, &ld);
    const char *pem, *der, *err;
    char *both = apr_pstrcat(p, "Certificate Revocation List (CRL):\n  text\n",
                             p1, p2, NULL);
    certauthz_revlist_t *l;

    pem = put("both.pem", both, strlen(both), 10);
    ok(check_file(pem, &no_cache, cert(ca1, 0x2001), 0) == REVOKED,
       "PEM: the first CRL revokes its issuer's serial");
    ok(check_file(pem, &no_cache, cert(ca2, 0x3001), 0) == REVOKED,
       "PEM: the second CRL of the file is read too");
    ok(check_file(pem, &no_cache, cert(ca2, 0x2001), 0) == OK_,
       "scoping: a CRL does not revoke the same serial of another CA");
    ok(check_file(pem, &no_cache, cert(ca3, 0x3001), 0) == OK_,
       "scoping: nor of a CA with no CRL");
    ok(check_file(pem, &no_cache, cert(ca1, 0x80), 0) == REVOKED,
       "PEM: a serial with its sign padding (00 80) matches");
    ok(check_file(pem, &no_cache, cert(ca1, 0x2002), 0) == OK_,
       "PEM: an unlisted serial of the issuer is not revoked");
    certauthz_revlist_load(p, pem, &no_cache, &l);
    is_str(certauthz_revlist_format(l), "crl-pem", "PEM: format detected");
    ok(certauthz_revlist_entries(l) == 4, "PEM: 4 entries");
    certauthz_revlist_release(l);

    der = put("one.der", d1, ld, 10);
    ok(check_file(der, &no_cache, cert(ca1, 0x2005), 0) == REVOKED,
       "DER: a DER CRL revokes its issuer's serial");
    ok(check_file(der, &no_cache, cert(ca2, 0x2005), 0) == OK_,
       "DER: scoped to its issuer");
    certauthz_revlist_load(p, der, &no_cache, &l);
    is_str(certauthz_revlist_format(l), "crl-der", "DER: format detected");
    certauthz_revlist_release(l);

    err = load_error(put("trunc.der", d1, ld - 7, 10), &no_cache);
    ok(contains(err, "trunc.der") && contains(err, "not a DER CRL"),
       "DER: a truncated CRL is refused (%s)", err);
    err = load_error(put("trunc.pem", p1, l1 / 2, 10), &no_cache);
    ok(contains(err, "trunc.pem") && contains(err, "line 1"),
       "PEM: a CRL cut in half is refused (%s)", err);
    {
        char *mangled = apr_pstrdup(p, p1);

        mangled[40] = mangled[40] == 'A' ? 'B' : 'A';
        mangled[41] = mangled[41] == 'A' ? 'B' : 'A';
        err = load_error(put("mangled.pem", mangled, l1, 10), &no_cache);
        /* A flipped byte may still parse; it must never crash.  When it
         * does parse, signature verification (below) catches it. */
        ok(1, "PEM: a flipped byte is handled (%s)", err ? err : "parsed");
    }
    err = load_error(puts_("cert.pem", "-----BEGIN CERTIFICATE-----\nMAo=\n"
                           "-----END CERTIFICATE-----\n"), &no_cache);
    ok(contains(err, "line 1") && contains(err, "does not begin a CRL"),
       "PEM: a certificate is not taken for a CRL (%s)", err);
    X509_CRL_free(c1);
    X509_CRL_free(c2);
}

static void test_verify(ca_t *ca1, ca_t *ca2)
{
    long s[] = {0x4001};
    EVP_PKEY *rogue = EVP_EC_gen("P-256");
    X509_CRL *good = make_crl(ca1, ca1->key, s, 1, 0);
    X509_CRL *bad = make_crl(ca1, rogue, s, 1, 0);
    X509_CRL *other = make_crl(ca2, ca2->key, s, 1, 0);
    size_t n;
    char *gp = crl_pem(good, &n);
    const char *gpath = put("good.pem", gp, n, 10), *bpath, *opath, *err;
    unsigned char *bd = crl_der(bad, &n);
    char *op;
    certauthz_revopts_t o = {NULL};
    BIO *b = BIO_new_file(tpath("ca1.pem"), "w");

    PEM_write_bio_X509(b, ca1->cert);
    BIO_free(b);
    o.verify_ca = tpath("ca1.pem");
    bpath = put("bad.der", bd, n, 10);
    op = crl_pem(other, &n);
    opath = put("other.pem", op, n, 10);

    ok(check_file(gpath, &o, cert(ca1, 0x4001), 0) == REVOKED,
       "verify CA: a CRL signed by the CA loads");
    err = load_error(bpath, &o);
    ok(contains(err, "bad.der") && contains(err, "does not verify"),
       "verify CA: a CRL with the CA's name but another key is refused (%s)",
       err);
    ok(load_error(bpath, &no_cache) == NULL,
       "without a verify CA the same CRL loads");
    err = load_error(opath, &o);
    ok(contains(err, "no certificate in CertAuthzCRLVerifyCA"),
       "verify CA: a CRL of an issuer absent from the CA file is refused (%s)",
       err);
    X509_CRL_free(good);
    X509_CRL_free(bad);
    X509_CRL_free(other);
    EVP_PKEY_free(rogue);
}

static void test_stale(ca_t *ca1, ca_t *ca2)
{
    long s[] = {0x5001};
    X509_CRL *crl = make_crl(ca1, ca1->key, s, 1, time(NULL) - 60);
    size_t n;
    char *pem = crl_pem(crl, &n);
    const char *path = put("stale.pem", pem, n, 10);
    certauthz_revlist_t *l;
    certauthz_revopts_t o = {NULL};

    ok(check_file(path, &no_cache, cert(ca1, 0x5002), 0) == OK_,
       "stale CRL under warn: an unlisted certificate passes");
    ok(check_file(path, &no_cache, cert(ca1, 0x5001), 0) == REVOKED,
       "stale CRL under warn: its entries are still enforced");
    ok(check_file(path, &no_cache, cert(ca1, 0x5002), 1) == STALE,
       "stale CRL under deny: every certificate of its issuer is crl-stale");
    ok(check_file(path, &no_cache, cert(ca1, 0x5001), 1) == REVOKED,
       "stale CRL under deny: revoked beats crl-stale");
    ok(check_file(path, &no_cache, cert(ca2, 0x5002), 1) == OK_,
       "stale CRL under deny: other issuers are untouched");
    ok(certauthz_revlist_load(p, path, &o, &l) == NULL
           && certauthz_revlist_stale(l, apr_time_now())
           && certauthz_revlist_next_update(l) != 0
           && certauthz_revlist_entries(l) == 1,
       "stale CRL: the list knows it is stale, and its nextUpdate");
    certauthz_revlist_release(l);
    X509_CRL_free(crl);
}




/* Two sources on one file and one cache directory stand for two server
 * processes. */

int main(void)
{
    ca_t ca1, ca2, ca3;

    apr_initialize();
    apr_pool_create(&p, NULL);
    snprintf(dir, sizeof(dir), "/tmp/certauthz-unit.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        return 1;
    }
    ca1 = revgen_ca("Unit CA One");
    ca2 = revgen_ca("Unit CA Two");
    ca3 = revgen_ca("Unit CA Three");

    test_list(&ca1, &ca2);
    test_list_errors();
    test_index(&ca1, &ca2);
    test_crls(&ca1, &ca2, &ca3);
    test_verify(&ca1, &ca2);
    test_stale(&ca1, &ca2);

    {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0) {
            printf("# could not remove %s\n", dir);
        }
    }
    {
        ca_t *cas[] = {&ca1, &ca2, &ca3};
        int i;

        for (i = 0; i < 3; i++) {
            revgen_ca_free(cas[i]);
        }
    }
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
