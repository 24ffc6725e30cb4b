/*
 * cadb: the certificate database of `openssl ca` (index.txt), read and
 * written in exactly the form openssl ca gives it, so that a CA directory
 * kept by the certauthz command stays usable by openssl ca and is a
 * revocation source of the module as it is.
 *
 * One line per certificate, six fields separated by tabs:
 *
 *   V|R|E  expiry  revocation-date[,reason]  SERIAL  file  /C=../CN=..
 *
 * Times are ASN.1 UTCTime ("YYMMDDHHMMSSZ", GeneralizedTime from 2050);
 * the serial is upper-case hex with an even number of digits (BN_bn2hex);
 * the file is "unknown"; the subject is X509_NAME_oneline's form.
 */
#ifndef CERTAUTHZ_CADB_H
#define CERTAUTHZ_CADB_H

#include <apr_pools.h>
#include <apr_tables.h>

typedef struct {
    char status;            /* 'V' valid, 'R' revoked, 'E' expired */
    const char *expiry;     /* as written */
    apr_int64_t not_after;  /* seconds since the epoch */
    const char *revoked;    /* revocation date as written, "" if none */
    apr_int64_t revoked_at; /* seconds since the epoch, 0 if none */
    const char *reason;     /* reason name, NULL if none */
    const char *serial;     /* upper-case hex as written */
    const char *file;       /* "unknown" */
    const char *subject;    /* X509_NAME_oneline form */
} certauthz_cadb_entry_t;

/* Parse index.txt text (len bytes) into an array of certauthz_cadb_entry_t.
 * Returns NULL, or a message naming the path, the line and what is wrong. */
const char *certauthz_cadb_parse(apr_pool_t *p, const char *path,
                                 const char *text, apr_size_t len,
                                 apr_array_header_t **entries);

/* The text of a database (each line ending with a newline). */
char *certauthz_cadb_format(apr_pool_t *p, const apr_array_header_t *entries);

/* The entry whose serial equals SERIAL (any spelling certauthz_serial_parse
 * accepts), or NULL. */
certauthz_cadb_entry_t *certauthz_cadb_find(const apr_array_header_t *entries,
                                            const char *serial);

/* An ASN.1 time string for t as openssl ca writes it: UTCTime
 * "YYMMDDHHMMSSZ" before 2050, GeneralizedTime "YYYYMMDDHHMMSSZ" after. */
const char *certauthz_cadb_time(apr_pool_t *p, apr_int64_t t);

/* Read such a string; 0 and *t set, or -1 when it is not one. */
int certauthz_cadb_parse_time(const char *s, apr_size_t len, apr_int64_t *t);

/* The CRL reason names openssl ca accepts (-crl_reason), with their
 * CRLReason code, or -1 for a name it does not know.  The spelling is
 * openssl's, compared case-insensitively; *canonical gets it. */
int certauthz_cadb_reason_code(const char *name, const char **canonical);

#endif
