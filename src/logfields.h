/*
 * logfields: what mod_certauthz tells logs, CGI and SSI pages about a
 * request (INTERFACE §4): the device id, the certificate's fields, and the
 * cert-* decision, as escaped text (%{NAME}Z, notes, environment) or as one
 * JSON object (%{json}Z).
 *
 * Certificate names are attacker-chosen bytes as far as a log is concerned
 * (a CA signs whatever its enrolment accepted), so every value is escaped
 * here, once, and nothing that leaves this file can split or forge a line.
 */
#ifndef CERTAUTHZ_LOGFIELDS_H
#define CERTAUTHZ_LOGFIELDS_H

#include <apr_pools.h>

#include "certinfo.h"
#include "reason.h"

/* The fields, in the order %{json}Z lists them. */
typedef enum {
    CERTAUTHZ_FIELD_DEVICE,
    CERTAUTHZ_FIELD_SUBJECT,
    CERTAUTHZ_FIELD_ISSUER,
    CERTAUTHZ_FIELD_SERIAL,
    CERTAUTHZ_FIELD_FINGERPRINT,
    CERTAUTHZ_FIELD_NOT_BEFORE,
    CERTAUTHZ_FIELD_NOT_AFTER,
    CERTAUTHZ_FIELD_DAYS_LEFT,
    CERTAUTHZ_FIELD_SAN,
    CERTAUTHZ_FIELD_VERIFY,
    CERTAUTHZ_FIELD_DECISION,
    CERTAUTHZ_FIELD_REASON,
    CERTAUTHZ_FIELD_RULE,
    CERTAUTHZ_FIELD_COUNT,
    /* Not a field: the whole record as JSON. */
    CERTAUTHZ_FIELD_JSON = CERTAUTHZ_FIELD_COUNT
} certauthz_field_e;

/* "device", ...; NULL outside 0..CERTAUTHZ_FIELD_COUNT-1. */
const char *certauthz_field_name(certauthz_field_e field);

/* The field (or CERTAUTHZ_FIELD_JSON for "json") a %{NAME}Z names, compared
 * case-sensitively as the documentation spells them; -1 when unknown. */
int certauthz_field_lookup(const char *name);

/* Where the device id comes from (CertAuthzDeviceId SOURCE). */
typedef struct certauthz_devid certauthz_devid_t;

/* Compile SOURCE: "subject:ATTR", "san:email", "san:dns", "san:uri",
 * "serial" or "fingerprint".  Returns NULL and sets *out, or a message that
 * names the bad token. */
const char *certauthz_devid_compile(apr_pool_t *p, const char *source,
                                    const certauthz_devid_t **out);

/* The default source, subject:CN. */
const certauthz_devid_t *certauthz_devid_default(void);

/* The device id of cert: the first value the source yields, raw (not
 * escaped), or NULL when the certificate has none.  Subject values that
 * could not be decoded to UTF-8 are skipped. */
const char *certauthz_devid_value(const certauthz_devid_t *src,
                                  const certauthz_cert_t *cert,
                                  apr_size_t *len);

/* Everything a log line says about a request. */
typedef struct {
    /* The certificate when its fields are trustworthy (mod_ssl verified
     * it, revoked or not), else NULL: the fields of an unverified
     * certificate are whatever its holder wrote and are never shown. */
    const certauthz_cert_t *cert;
    const certauthz_devid_t *devid;     /* NULL: the default */
    const char *verify;                 /* SSL_CLIENT_VERIFY, NULL if none */
    /* What happened to the request (AUTO: derived from reason, as
     * certauthz_decision_resolve does). */
    certauthz_decision_e decision;
    /* OK when granted, otherwise the strongest reason of the denial;
     * NONE logs "-". */
    certauthz_reason_e reason;
    const char *rule;                   /* the Require line that decided */
    apr_int64_t now;                    /* seconds since the epoch */
} certauthz_logrec_t;

/* Whole days until notAfter, rounded down (so 0 during the last day and
 * negative once expired). */
apr_int64_t certauthz_days_left(apr_int64_t not_after, apr_int64_t now);

/* One field as text for a plain log field: the value escaped as
 * mod_log_config escapes request headers (see certauthz_escape_text with
 * keep_utf8 0), "-" when the field has no value.  CERTAUTHZ_FIELD_JSON gives
 * the JSON object. */
const char *certauthz_field_text(apr_pool_t *p, const certauthz_logrec_t *rec,
                                 int field, int keep_utf8);

/* The record as one RFC 8259 object on one line. */
const char *certauthz_fields_json(apr_pool_t *p,
                                  const certauthz_logrec_t *rec);

/* The JSON value of one field ("null", a number, a string literal or, for
 * san, an array), as certauthz_fields_json writes it after the key. */
const char *certauthz_field_json(apr_pool_t *p, const certauthz_logrec_t *rec,
                                 int field);

/* certauthz_fields_json with some values already made: known[f], when not
 * NULL, is used as the JSON value of field f (from certauthz_field_json on
 * an equal record); known may be NULL. */
const char *certauthz_fields_json_from(apr_pool_t *p,
                                       const certauthz_logrec_t *rec,
                                       const char *const *known);

/*
 * Escape bytes for a log line, an environment variable or a note, as
 * httpd's ap_escape_logitem does: printable ASCII is kept; '"' and '\' are
 * preceded by '\'; \b \n \r \t \v are written so; every other byte is
 * \xhh.  With keep_utf8, well-formed UTF-8 characters are kept as they are,
 * except those that could change how a line reads (see the .c file).
 */
char *certauthz_escape_text(apr_pool_t *p, const char *s, apr_size_t len,
                            int keep_utf8);

/*
 * A JSON string literal (with its quotes) holding s: valid UTF-8 is kept,
 * every ill-formed sequence becomes U+FFFD, and control characters (C0, DEL,
 * C1), the line and paragraph separators U+2028/U+2029, and the bidi and
 * BOM format characters are written as \u escapes, so that the result is one
 * line of valid JSON that reads as what it is.
 */
char *certauthz_json_string(apr_pool_t *p, const char *s, apr_size_t len);

#endif
