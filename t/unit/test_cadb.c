/* Unit tests of src/cadb.c: index.txt read and written exactly as
 * `openssl ca` writes it, and every malformed line refused with its line
 * number. */
#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "src/cadb.h"
#include "t/unit/tap.h"

/* Lines as openssl ca 3.0 writes them: valid, revoked with and without a
 * reason, a GeneralizedTime expiry (2050 and later), and a hold. */
static const char real[] =
    "V\t271130110409Z\t\t3FA2408962DB6B74F0D3F21425F2E7FF\tunknown\t"
    "/O=My Org/OU=Laptops/CN=laptop-42\n"
    "R\t271130110425Z\t261130110425Z,superseded\t1C80\tunknown\t/CN=d2\n"
    "R\t271130110425Z\t261130110426Z\t00\tunknown\t/CN=zero\n"
    "E\t20510101000000Z\t\t0ABC\tunknown\t/CN=far/O=x, y\n"
    "R\t271130110425Z\t261130110427Z,certificateHold,holdInstructionReject"
    "\t0ABD\tunknown\t/CN=held\n";

static const char *parse(apr_pool_t *p, const char *text,
                         apr_array_header_t **out)
{
    return certauthz_cadb_parse(p, "index.txt", text, strlen(text), out);
}

static int refused(apr_pool_t *p, const char *text, const char *want)
{
    apr_array_header_t *e;
    const char *err = parse(p, text, &e);

    if (err == NULL || strstr(err, want) == NULL) {
        printf("# got: %s\n", err ? err : "(accepted)");
        return 0;
    }
    return 1;
}

int main(void)
{
    apr_pool_t *p;
    apr_array_header_t *db;
    certauthz_cadb_entry_t *e;
    const char *canon = NULL, *err;
    apr_int64_t t;
    int i, all;

    apr_initialize();
    apr_pool_create(&p, NULL);
    plan(31);

    err = parse(p, real, &db);
    ok(err == NULL && db->nelts == 5, "openssl ca's lines are read (%s)",
       err ? err : "5 entries");
    e = &APR_ARRAY_IDX(db, 0, certauthz_cadb_entry_t);
    ok(e->status == 'V' &&
           strcmp(e->serial, "3FA2408962DB6B74F0D3F21425F2E7FF") == 0 &&
           e->reason == NULL && *e->revoked == '\0',
       "a valid line: status, serial, no revocation");
    is_str(e->subject, "/O=My Org/OU=Laptops/CN=laptop-42",
           "the subject in X509_NAME_oneline form, spaces kept");
    ok(e->not_after == 1827572649, "the expiry as seconds since the epoch");
    e = &APR_ARRAY_IDX(db, 1, certauthz_cadb_entry_t);
    ok(e->status == 'R' && e->revoked_at == 1796036665 &&
           strcmp(e->reason, "superseded") == 0,
       "a revoked line: date and reason");
    e = &APR_ARRAY_IDX(db, 2, certauthz_cadb_entry_t);
    ok(e->status == 'R' && e->reason == NULL, "a revocation without reason");
    e = &APR_ARRAY_IDX(db, 3, certauthz_cadb_entry_t);
    ok(e->status == 'E' && e->not_after == 2556144000,
       "GeneralizedTime from 2050 on");
    e = &APR_ARRAY_IDX(db, 4, certauthz_cadb_entry_t);
    is_str(e->reason, "certificateHold,holdInstructionReject",
           "a hold keeps its instruction");
    is_str(certauthz_cadb_format(p, db), real,
           "written back byte for byte as read");
    ok(parse(p, "", &db) == NULL && db->nelts == 0,
       "an empty database (a new CA)");
    ok(parse(p, "\n\nV\t271130110409Z\t\t01\tunknown\t/CN=a", &db) == NULL &&
           db->nelts == 1,
       "blank lines and a last line without newline");

    ok(refused(p, "V\t271130110409Z\t\t01\tunknown\n", "line 1: 5 fields"),
       "five fields refused, with the line number");
    ok(refused(p,
               "V\t271130110409Z\t\t01\tunknown\t/CN=a\nX\t271130110409Z"
               "\t\t02\tunknown\t/CN=b\n",
               "line 2: status 'X'"),
       "an unknown status refused");
    ok(refused(p, "V\t2711301104Z\t\t01\tunknown\t/CN=a\n", "expiry"),
       "a malformed expiry refused");
    ok(refused(p, "R\t271130110409Z\tyesterday\t01\tunknown\t/CN=a\n",
               "revocation date 'yesterday'"),
       "a malformed revocation date refused");
    ok(refused(p, "V\t271130110409Z\t261130110425Z\t01\tunknown\t/CN=a\n",
               "not revoked has a revocation date"),
       "a valid line with a revocation date refused");
    ok(refused(p, "V\t271130110409Z\t\t0x1G\tunknown\t/CN=a\n",
               "serial '0x1G'"),
       "a serial that is not hex refused");
    ok(refused(p, "V\t271130110409Z\t\t\tunknown\t/CN=a\n", "serial ''"),
       "an empty serial refused");

    err = parse(p, real, &db);
    e = certauthz_cadb_find(db, "1c:80");
    ok(e != NULL && strcmp(e->subject, "/CN=d2") == 0,
       "find: any spelling of a serial (case, colons)");
    ok(certauthz_cadb_find(db, "0x0000ABC") != NULL,
       "find: leading zeros and 0x ignored");
    ok(certauthz_cadb_find(db, "0") != NULL, "find: the zero serial \"00\"");
    ok(certauthz_cadb_find(db, "1C81") == NULL &&
           certauthz_cadb_find(db, "zz") == NULL,
       "find: an unknown or malformed serial finds nothing");

    is_str(certauthz_cadb_time(p, 0), "700101000000Z", "time: the epoch");
    is_str(certauthz_cadb_time(p, 1796036665), "261130110425Z",
           "time: a UTCTime");
    is_str(certauthz_cadb_time(p, 2524608000), "20500101000000Z",
           "time: GeneralizedTime from 2050, as RFC 5280 wants");
    is_str(certauthz_cadb_time(p, 2524607999), "491231235959Z",
           "time: the last second of UTCTime");
    all = 1;
    for (i = 0; i < 2000; i++) {
        apr_int64_t v = (apr_int64_t)i * 1999993 + 12345;
        const char *s = certauthz_cadb_time(p, v);

        all &= certauthz_cadb_parse_time(s, strlen(s), &t) == 0 && t == v;
    }
    ok(all, "time: written and read back, 2000 instants up to 2096");
    ok(certauthz_cadb_parse_time("261332000000Z", 13, &t) != 0 &&
           certauthz_cadb_parse_time("26113000000Z", 12, &t) != 0,
       "time: month 13 and a short string refused");

    ok(certauthz_cadb_reason_code("KEYCOMPROMISE", &canon) == 1 &&
           strcmp(canon, "keyCompromise") == 0,
       "reason: any case, openssl's spelling back");
    ok(certauthz_cadb_reason_code("removeFromCRL", NULL) == 8 &&
           certauthz_cadb_reason_code("cessationOfOperation", NULL) == 5,
       "reason: RFC 5280 codes");
    ok(certauthz_cadb_reason_code("whim", NULL) == -1,
       "reason: an unknown name");

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
