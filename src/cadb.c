/*
 * cadb: index.txt of `openssl ca`, read and written as openssl ca does
 * (apps/ca.c, crypto/txt_db).
 */
#include "cadb.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "hexid.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): no timegm, no time zone. */
static apr_int64_t days_from_civil(apr_int64_t y, unsigned m, unsigned d)
{
    apr_int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (apr_int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *v)
{
    int i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

int certauthz_cadb_parse_time(const char *s, apr_size_t len, apr_int64_t *t)
{
    int y, mo, d, h, mi, se, off;

    if (len == 13 && s[12] == 'Z') {
        if (digits(s, 2, &y) != 0) {
            return -1;
        }
        y += y < 50 ? 2000 : 1900; /* RFC 5280 4.1.2.5.1 */
        off = 2;
    }
    else if (len == 15 && s[14] == 'Z') {
        if (digits(s, 4, &y) != 0) {
            return -1;
        }
        off = 4;
    }
    else {
        return -1;
    }
    if (digits(s + off, 2, &mo) || digits(s + off + 2, 2, &d) ||
        digits(s + off + 4, 2, &h) || digits(s + off + 6, 2, &mi) ||
        digits(s + off + 8, 2, &se) || mo < 1 || mo > 12 || d < 1 || d > 31 ||
        h > 23 || mi > 59 || se > 60) {
        return -1;
    }
    *t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
         mi * 60 + se;
    return 0;
}

const char *certauthz_cadb_time(apr_pool_t *p, apr_int64_t t)
{
    apr_int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    apr_int64_t secs = t - days * 86400;
    /* civil_from_days */
    apr_int64_t z = days + 719468;
    apr_int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    apr_int64_t y = (apr_int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;

    y += m <= 2;
    if (y >= 1950 && y < 2050) {
        return apr_psprintf(p, "%02d%02u%02u%02d%02d%02dZ", (int)(y % 100), m,
                            d, (int)(secs / 3600), (int)(secs / 60 % 60),
                            (int)(secs % 60));
    }
    return apr_psprintf(p, "%04d%02u%02u%02d%02d%02dZ", (int)y, m, d,
                        (int)(secs / 3600), (int)(secs / 60 % 60),
                        (int)(secs % 60));
}

static const char *const reasons[] = {
    /* CRLReason codes 0..6 and 8, as openssl ca spells them (code 7 is
     * unused in RFC 5280). */
    "unspecified",     "keyCompromise",
    "CACompromise",    "affiliationChanged",
    "superseded",      "cessationOfOperation",
    "certificateHold", NULL,
    "removeFromCRL"};

int certauthz_cadb_reason_code(const char *name, const char **canonical)
{
    int i;

    for (i = 0; i < (int)(sizeof(reasons) / sizeof(reasons[0])); i++) {
        if (reasons[i] != NULL && strcasecmp(name, reasons[i]) == 0) {
            if (canonical != NULL) {
                *canonical = reasons[i];
            }
            return i;
        }
    }
    return -1;
}

static int is_hex_serial(const char *s, apr_size_t n)
{
    apr_size_t i;

    if (n == 0) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (certauthz_hexval((unsigned char)s[i]) < 0) {
            return 0;
        }
    }
    return 1;
}

const char *certauthz_cadb_parse(apr_pool_t *p, const char *path,
                                 const char *text, apr_size_t len,
                                 apr_array_header_t **entries)
{
    apr_array_header_t *out =
        apr_array_make(p, 16, sizeof(certauthz_cadb_entry_t));
    const char *line = text, *end = text + len;
    unsigned lineno = 0;

    while (line < end) {
        const char *nl = memchr(line, '\n', (apr_size_t)(end - line));
        const char *e = nl ? nl : end, *f[6], *s = line;
        apr_size_t fl[6];
        certauthz_cadb_entry_t *en;
        int nf = 0;

        lineno++;
        line = nl ? nl + 1 : end;
        if (e == s) {
            continue;
        }
        while (nf < 6) {
            const char *tab =
                nf < 5 ? memchr(s, '\t', (apr_size_t)(e - s)) : NULL;

            f[nf] = s;
            fl[nf] = (apr_size_t)((tab ? tab : e) - s);
            nf++;
            if (tab == NULL) {
                break;
            }
            s = tab + 1;
        }
        if (nf != 6) {
            return apr_psprintf(p,
                                "%s: line %u: %d fields, an index.txt "
                                "line has 6 separated by tabs (status, "
                                "expiry, revocation, serial, file, "
                                "subject)",
                                path, lineno, nf);
        }
        en = apr_array_push(out);
        memset(en, 0, sizeof(*en));
        if (fl[0] != 1 ||
            (f[0][0] != 'V' && f[0][0] != 'R' && f[0][0] != 'E')) {
            return apr_psprintf(p,
                                "%s: line %u: status '%s' is not V, R "
                                "or E",
                                path, lineno, apr_pstrmemdup(p, f[0], fl[0]));
        }
        en->status = f[0][0];
        en->expiry = apr_pstrmemdup(p, f[1], fl[1]);
        if (certauthz_cadb_parse_time(f[1], fl[1], &en->not_after) != 0) {
            return apr_psprintf(p,
                                "%s: line %u: expiry '%s' is not an "
                                "ASN.1 time (YYMMDDHHMMSSZ)",
                                path, lineno, en->expiry);
        }
        en->revoked = apr_pstrmemdup(p, f[2], fl[2]);
        if (en->status == 'R') {
            const char *comma = memchr(f[2], ',', fl[2]);
            apr_size_t dl = comma ? (apr_size_t)(comma - f[2]) : fl[2];

            if (certauthz_cadb_parse_time(f[2], dl, &en->revoked_at) != 0) {
                return apr_psprintf(p,
                                    "%s: line %u: revocation date '%s' "
                                    "is not an ASN.1 time",
                                    path, lineno, en->revoked);
            }
            if (comma != NULL) {
                en->reason = apr_pstrmemdup(p, comma + 1, fl[2] - dl - 1);
            }
        }
        else if (fl[2] != 0) {
            return apr_psprintf(p,
                                "%s: line %u: a certificate that is not "
                                "revoked has a revocation date",
                                path, lineno);
        }
        if (!is_hex_serial(f[3], fl[3])) {
            return apr_psprintf(p, "%s: line %u: serial '%s' is not hex", path,
                                lineno, apr_pstrmemdup(p, f[3], fl[3]));
        }
        en->serial = apr_pstrmemdup(p, f[3], fl[3]);
        en->file = apr_pstrmemdup(p, f[4], fl[4]);
        en->subject = apr_pstrmemdup(p, f[5], fl[5]);
    }
    *entries = out;
    return NULL;
}

char *certauthz_cadb_format(apr_pool_t *p, const apr_array_header_t *entries)
{
    apr_array_header_t *parts =
        apr_array_make(p, entries->nelts * 12 + 1, sizeof(const char *));
    int i;

    for (i = 0; i < entries->nelts; i++) {
        const certauthz_cadb_entry_t *e =
            &APR_ARRAY_IDX(entries, i, certauthz_cadb_entry_t);
        char st[2] = {e->status, '\0'};

        APR_ARRAY_PUSH(parts, const char *) = apr_pstrcat(
            p, st, "\t", e->expiry, "\t", e->revoked ? e->revoked : "", "\t",
            e->serial, "\t", e->file ? e->file : "unknown", "\t", e->subject,
            "\n", NULL);
    }
    return apr_array_pstrcat(p, parts, '\0');
}

certauthz_cadb_entry_t *certauthz_cadb_find(const apr_array_header_t *entries,
                                            const char *serial)
{
    apr_size_t n = strlen(serial), wl, el;
    unsigned char *want = malloc(n / 2 + 1);
    certauthz_cadb_entry_t *found = NULL;
    int i;

    if (want == NULL || certauthz_serial_parse(serial, want, &wl) != NULL) {
        free(want);
        return NULL;
    }
    for (i = 0; i < entries->nelts && found == NULL; i++) {
        certauthz_cadb_entry_t *e =
            &APR_ARRAY_IDX(entries, i, certauthz_cadb_entry_t);
        unsigned char *have = malloc(strlen(e->serial) / 2 + 1);

        if (have != NULL &&
            certauthz_serial_parse(e->serial, have, &el) == NULL && el == wl &&
            memcmp(have, want, wl) == 0) {
            found = e;
        }
        free(have);
    }
    free(want);
    return found;
}
