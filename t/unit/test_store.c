/* The revocation store of a fleet (INTERFACE §9): the byte layout of its
 * keys, shared by the module and `certauthz revoke --store` (and by anyone
 * writing with redis-cli), the per-process verdicts, and the store slots
 * of the sealed table. */
#include <pthread.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "src/names.h"
#include "src/revshm.h"
#include "src/storecache.h"
#include "src/storekey.h"
#include "t/unit/revgen.h"
#include "t/unit/tap.h"

static apr_pool_t *p;

static const char *hex(const unsigned char *b, apr_size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *s = apr_palloc(p, 2 * n + 1);
    apr_size_t i;

    for (i = 0; i < n; i++) {
        s[2 * i] = digits[b[i] >> 4];
        s[2 * i + 1] = digits[b[i] & 15];
    }
    s[2 * n] = '\0';
    return s;
}

static void test_layout(void)
{
    unsigned char key[32], id[CERTAUTHZ_STORE_ID_MAX], id2[CERTAUTHZ_STORE_ID_MAX];
    unsigned char serial[] = {0x00, 0x00, 0x40, 0x05};
    unsigned char fp[32], big[CERTAUTHZ_STORE_SERIAL_MAX + 1];
    apr_size_t n, n2;
    int i;

    for (i = 0; i < 32; i++) {
        key[i] = (unsigned char)i;
        fp[i] = (unsigned char)(0xff - i);
    }
    n = certauthz_store_id_serial(key, serial, sizeof(serial), id);
    is_str(certauthz_store_key(p, id, n),
           "certauthz:53000102030405060708090a0b0c0d0e0f101112131415161718191a"
           "1b1c1d1e1f4005",
           "serial key: namespace, 'S', the issuer key, the serial without "
           "its leading zero bytes, lower-case hex");
    n2 = certauthz_store_id_serial(key, serial + 2, 2, id2);
    ok(n == n2 && memcmp(id, id2, n) == 0,
       "serial key: 00:00:40:05 and 4005 are one serial");
    n = certauthz_store_id_serial(key, serial, 0, id);
    ok(n == 33, "serial key: serial 0 is the issuer key alone");
    memset(big, 0x7f, sizeof(big));
    ok(certauthz_store_id_serial(key, big, sizeof(big), id) == 0,
       "serial key: a serial longer than %d bytes has none",
       CERTAUTHZ_STORE_SERIAL_MAX);
    n = certauthz_store_id_serial(key, big, CERTAUTHZ_STORE_SERIAL_MAX, id);
    ok(strlen(certauthz_store_key(p, id, n)) < 254,
       "serial key: the longest fits mod_socache_redis's 254-byte keys "
       "(%d)", (int)strlen(certauthz_store_key(p, id, n)));
    n = certauthz_store_id_fingerprint(fp, id);
    is_str(certauthz_store_key(p, id, n),
           apr_pstrcat(p, "certauthz:46", hex(fp, 32), NULL),
           "fingerprint key: namespace, 'F', the SHA-256");
    is_str(certauthz_store_key(p, certauthz_store_marker_id,
                               certauthz_store_marker_len),
           "certauthz:616c697665", "the marker key is \"alive\"");
    ok(strlen(CERTAUTHZ_STORE_NAMESPACE) + 1 <= 15,
       "the namespace fits the socache API's 16 bytes with its ':' and NUL");
}

static void test_certificate(void)
{
    X509_NAME *ca = X509_NAME_new();
    unsigned char key[32], sb[] = {0x01, 0x23, 0x45};
    unsigned char a[CERTAUTHZ_STORE_ID_MAX], b[CERTAUTHZ_STORE_ID_MAX];
    const certauthz_cert_t *c;
    apr_size_t na, nb;

    /* What the module looks up (from the certificate) is what the command
     * writes (from its CA's name and the serial it was given). */
    certgen_add(ca, "O", MBSTRING_UTF8, "Fleet Org", -1, 0);
    certgen_add(ca, "CN", MBSTRING_UTF8, "Fleet CA", -1, 0);
    c = revgen_cert_bytes(p, ca, sb, 3);
    certauthz_name_key(ca, key);
    na = certauthz_store_id_serial(c->issuer_key, c->serial, c->serial_len, a);
    nb = certauthz_store_id_serial(key, sb, 3, b);
    ok(na == nb && memcmp(a, b, na) == 0,
       "a certificate's serial key equals the one made from its CA's name");
    X509_NAME_free(ca);
}

static void test_value_ttl(void)
{
    is_str(certauthz_store_value(p, 1795000000, "keyCompromise"),
           "revoked 2026-11-18T11:06:40Z keyCompromise",
           "value: when and why, for people");
    is_str(certauthz_store_value(p, 1795000000, NULL),
           "revoked 2026-11-18T11:06:40Z", "value: without a reason");
    ok(certauthz_store_ttl(1000 + 86400, 1000) == 86400,
       "an entry lives until the certificate's notAfter");
    ok(certauthz_store_ttl(1000, 1000) == 0 && certauthz_store_ttl(5, 1000) == 0,
       "an expired certificate gets no entry");
    ok(certauthz_store_ttl((apr_int64_t)1 << 40, 0) == 0x7fffffff,
       "a notAfter beyond 2^31 seconds is capped");
}

static void test_cache(void)
{
    certauthz_storecache_t *c = certauthz_storecache_create(p, 1000);
    unsigned char f1[32], f2[32];
    apr_time_t until = 0, t = apr_time_from_sec(1000);

    memset(f1, 0x11, 32);
    memcpy(f2, f1, 32);
    f2[31] = 0x22;      /* same place (the first bytes), another certificate */
    ok(certauthz_storecache_get(c, f1, t, apr_time_from_sec(1), &until) == 0,
       "cache: empty");
    certauthz_storecache_put(c, f1, CERTAUTHZ_STORE_REVOKED, t);
    ok(certauthz_storecache_get(c, f1, t + 999999, apr_time_from_sec(1),
                                &until) == CERTAUTHZ_STORE_REVOKED
           && until == t + apr_time_from_sec(1),
       "cache: a verdict holds for the reader's seconds");
    ok(certauthz_storecache_get(c, f1, t + apr_time_from_sec(1),
                                apr_time_from_sec(1), &until) == 0,
       "cache: ...and not at their end");
    ok(certauthz_storecache_get(c, f1, t + apr_time_from_sec(1),
                                apr_time_from_sec(3600), &until)
           == CERTAUTHZ_STORE_REVOKED,
       "cache: a reader with more seconds (another virtual host) still has "
       "it");
    ok(certauthz_storecache_get(c, f1, t - 1, apr_time_from_sec(1), &until)
           == 0,
       "cache: a verdict from the future (a clock stepped back) is none");
    ok(certauthz_storecache_get(c, f2, t, apr_time_from_sec(1), &until) == 0,
       "cache: another certificate at the same place is not answered");
    certauthz_storecache_put(c, f2, CERTAUTHZ_STORE_UNAVAILABLE, t);
    ok(certauthz_storecache_get(c, f2, t, apr_time_from_sec(5), &until)
           == CERTAUTHZ_STORE_UNAVAILABLE
           && certauthz_storecache_get(c, f1, t, apr_time_from_sec(5), &until)
                  == 0,
       "cache: it takes the place over");
    ok(until == t + apr_time_from_sec(1)
           && certauthz_storecache_get(c, f2, t + apr_time_from_sec(1),
                                       apr_time_from_sec(5), &until) == 0,
       "cache: no answer is kept for a second at most, whatever the "
       "seconds");
}

typedef struct {
    certauthz_storecache_t *c;
    int id, bad;
} worker_t;

static void *worker(void *data)
{
    worker_t *w = data;
    unsigned char fp[32];
    apr_time_t until;
    int i, n = tap_scale(200000);

    for (i = 0; i < n; i++) {
        int v;

        memset(fp, 0, 32);
        fp[0] = (unsigned char)(i & 7);
        fp[31] = (unsigned char)w->id;
        certauthz_storecache_put(w->c, fp,
                                 w->id & 1 ? CERTAUTHZ_STORE_REVOKED
                                           : CERTAUTHZ_STORE_NOT_REVOKED,
                                 0);
        v = certauthz_storecache_get(w->c, fp, 0, apr_time_from_sec(10),
                                     &until);
        /* Another thread may have taken the place; never its verdict. */
        if (v != 0 && v != (w->id & 1 ? CERTAUTHZ_STORE_REVOKED
                                      : CERTAUTHZ_STORE_NOT_REVOKED)) {
            w->bad++;
        }
    }
    return NULL;
}

static void test_threads(void)
{
    certauthz_storecache_t *c = certauthz_storecache_create(p, 8);
    pthread_t th[4];
    worker_t w[4];
    int i, bad = 0;

    for (i = 0; i < 4; i++) {
        w[i].c = c;
        w[i].id = i;
        w[i].bad = 0;
        pthread_create(&th[i], NULL, worker, &w[i]);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        bad += w[i].bad;
    }
    ok(bad == 0, "cache: threads sharing places never read another "
                 "certificate's verdict (%d)", bad);
}

static void test_slots(void)
{
    certauthz_shm_t *shm;
    certauthz_storeslot_view_t v, got;
    const char *err = certauthz_shm_create(p, 3, 2, 7, &shm);
    certauthz_storeslot_t *rw;
    const certauthz_storeslot_t *ro;

    ok(err == NULL, "table with 3 sources and 2 stores (%s)",
       err ? err : "ok");
    if (err != NULL) {
        return;
    }
    rw = certauthz_table_stores(certauthz_shm_rw(shm));
    ro = certauthz_table_stores_ro(certauthz_shm_ro(shm));
    ok(!certauthz_storeslot_down(&ro[0]) && !certauthz_storeslot_down(&ro[1]),
       "store slots: up until the loader says otherwise");
    memset(&v, 0, sizeof(v));
    v.down = 1;
    v.since = apr_time_from_sec(100);
    v.outages = 3;
    apr_cpystrn(v.last_error, "Connection refused", sizeof(v.last_error));
    certauthz_storeslot_publish(&rw[1], &v);
    certauthz_storeslot_read(&ro[1], &got);
    ok(certauthz_storeslot_down(&ro[1]) && !certauthz_storeslot_down(&ro[0])
           && got.down && got.outages == 3 && got.since == v.since
           && strcmp(got.last_error, "Connection refused") == 0,
       "store slots: the loader's state is read through the read-only "
       "mapping, slot by slot");
    {
        certauthz_slot_view_t sv;

        memset(&sv, 0xff, sizeof(sv));
        sv.format[0] = sv.last_error[0] = '\0';
        certauthz_slot_publish(&certauthz_shm_rw(shm)->slots[2], &sv, 5);
        certauthz_storeslot_read(&ro[0], &got);
        ok(certauthz_slot_version(&certauthz_shm_ro(shm)->slots[2]) == 5
               && !got.down && got.outages == 0 && got.last_error[0] == '\0',
           "store slots: the last source slot and the first store slot do "
           "not overlap");
    }
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&p, NULL);
    plan(27);
    test_layout();
    test_certificate();
    test_value_ttl();
    test_cache();
    test_threads();
    test_slots();
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
