/*
 * logfields: the device id, the log fields of a request and their two
 * encodings, escaped text and JSON.
 */
#include "logfields.h"
#include "hexid.h"
#include "utf8.h"

#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include <sys/uio.h>

static const char *const field_names[CERTAUTHZ_FIELD_COUNT] = {
    "device", "subject", "issuer", "serial", "fingerprint", "not_before",
    "not_after", "days_left", "san", "verify", "decision", "reason", "rule"
};

const char *certauthz_field_name(certauthz_field_e field)
{
    if ((int)field < 0 || field >= CERTAUTHZ_FIELD_COUNT) {
        return NULL;
    }
    return field_names[field];
}

int certauthz_field_lookup(const char *name)
{
    int i;

    if (name == NULL) {
        return -1;
    }
    if (strcmp(name, "json") == 0) {
        return CERTAUTHZ_FIELD_JSON;
    }
    for (i = 0; i < CERTAUTHZ_FIELD_COUNT; i++) {
        if (strcmp(name, field_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* Device id                                                           */

typedef enum {
    DEVID_SUBJECT,
    DEVID_SAN,
    DEVID_SERIAL,
    DEVID_FINGERPRINT
} devid_kind_e;

struct certauthz_devid {
    devid_kind_e kind;
    certauthz_attr_t attr;              /* DEVID_SUBJECT */
    certauthz_san_type_e san;           /* DEVID_SAN */
};

static const certauthz_devid_t devid_cn = {
    DEVID_SUBJECT, {NID_commonName, "2.5.4.3"}, CERTAUTHZ_SAN_EMAIL
};

const certauthz_devid_t *certauthz_devid_default(void)
{
    return &devid_cn;
}

const char *certauthz_devid_compile(apr_pool_t *p, const char *source,
                                    const certauthz_devid_t **out)
{
    certauthz_devid_t *d = apr_pcalloc(p, sizeof(*d));
    static const char *const usage =
        "expected subject:ATTR, san:email, san:dns, san:uri, serial or "
        "fingerprint";

    if (strcasecmp(source, "serial") == 0) {
        d->kind = DEVID_SERIAL;
    }
    else if (strcasecmp(source, "fingerprint") == 0) {
        d->kind = DEVID_FINGERPRINT;
    }
    else if (strncasecmp(source, "subject:", 8) == 0) {
        d->kind = DEVID_SUBJECT;
        if (source[8] == '\0') {
            return apr_psprintf(p, "'%s': no attribute after subject: (%s)",
                                source, usage);
        }
        if (certauthz_attr_lookup(p, source + 8, &d->attr) != 0) {
            return apr_psprintf(p, "'%s': unknown attribute '%s' (an "
                                "OpenSSL short or long name, or a dotted "
                                "OID)", source, source + 8);
        }
    }
    else if (strncasecmp(source, "san:", 4) == 0) {
        const char *t = source + 4;

        d->kind = DEVID_SAN;
        if (strcasecmp(t, "email") == 0) {
            d->san = CERTAUTHZ_SAN_EMAIL;
        }
        else if (strcasecmp(t, "dns") == 0) {
            d->san = CERTAUTHZ_SAN_DNS;
        }
        else if (strcasecmp(t, "uri") == 0) {
            d->san = CERTAUTHZ_SAN_URI;
        }
        else {
            return apr_psprintf(p, "'%s': unknown subjectAltName type '%s' "
                                "(email, dns or uri)", source, t);
        }
    }
    else {
        return apr_psprintf(p, "'%s': unknown source (%s)", source, usage);
    }
    *out = d;
    return NULL;
}

const char *certauthz_devid_value(const certauthz_devid_t *src,
                                  const certauthz_cert_t *cert,
                                  apr_size_t *len)
{
    int i;

    if (cert == NULL) {
        return NULL;
    }
    if (src == NULL) {
        src = &devid_cn;
    }
    switch (src->kind) {
    case DEVID_SERIAL:
        *len = strlen(cert->serial_hex);
        return cert->serial_hex;
    case DEVID_FINGERPRINT:
        *len = strlen(cert->fingerprint);
        return cert->fingerprint;
    case DEVID_SUBJECT:
        for (i = 0; i < cert->subject.n; i++) {
            const certauthz_ava_t *a = &cert->subject.avas[i];

            if (!a->undecodable && certauthz_ava_is(a, &src->attr)) {
                *len = a->len;
                return a->value;
            }
        }
        return NULL;
    case DEVID_SAN:
        for (i = 0; i < cert->n_sans; i++) {
            if (cert->sans[i].type == src->san) {
                *len = cert->sans[i].len;
                return cert->sans[i].value;
            }
        }
        return NULL;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Escaping                                                            */

/* Characters that are never written as themselves: controls (a log reader
 * or terminal acts on them; U+0085 is a line break to some), the line and
 * paragraph separators (line breaks to JavaScript and many viewers), and
 * the invisible bidi and BOM format characters, which can make a line
 * display in an order other than its bytes (a CN that "moves" text). */
static int unsafe_char(unsigned long c)
{
    return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)
           || c == 0x061c || c == 0x200e || c == 0x200f
           || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)
           || c == 0xfeff;
}

char *certauthz_escape_text(apr_pool_t *p, const char *s, apr_size_t len,
                            int keep_utf8)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = apr_palloc(p, len * 4 + 1), *d = out;
    apr_size_t i = 0;

    while (i < len) {
        unsigned char c = u[i];
        unsigned long cp;
        apr_size_t n;

        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            *d++ = (char)c;
            i++;
            continue;
        }
        if (keep_utf8 && c >= 0x80
            && (n = certauthz_utf8_char(u + i, len - i, &cp)) > 0
            && !unsafe_char(cp)) {
            memcpy(d, u + i, n);
            d += n;
            i += n;
            continue;
        }
        *d++ = '\\';
        switch (c) {
        case '\b': *d++ = 'b'; break;
        case '\n': *d++ = 'n'; break;
        case '\r': *d++ = 'r'; break;
        case '\t': *d++ = 't'; break;
        case '\v': *d++ = 'v'; break;
        case '"':
        case '\\':
            *d++ = (char)c;
            break;
        default:
            *d++ = 'x';
            *d++ = certauthz_hex_lower[c >> 4];
            *d++ = certauthz_hex_lower[c & 0xf];
        }
        i++;
    }
    *d = '\0';
    return out;
}

char *certauthz_json_string(apr_pool_t *p, const char *s, apr_size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    /* Worst cases per input byte: a control as \u00XX (6), a lone
     * invalid byte as U+FFFD (3); per 3-byte character \u2028 (6). */
    char *out = apr_palloc(p, len * 6 + 3), *d = out;
    apr_size_t i = 0;

    *d++ = '"';
    while (i < len) {
        unsigned long cp;
        apr_size_t n = certauthz_utf8_char(u + i, len - i, &cp);

        if (n == 0) {
            /* One replacement character per byte that starts no
             * well-formed sequence. */
            *d++ = (char)0xef;
            *d++ = (char)0xbf;
            *d++ = (char)0xbd;
            i++;
        }
        else if (cp == '"' || cp == '\\') {
            *d++ = '\\';
            *d++ = (char)cp;
            i++;
        }
        else if (unsafe_char(cp)) {
            *d++ = '\\';
            *d++ = 'u';
            *d++ = certauthz_hex_lower[(cp >> 12) & 0xf];
            *d++ = certauthz_hex_lower[(cp >> 8) & 0xf];
            *d++ = certauthz_hex_lower[(cp >> 4) & 0xf];
            *d++ = certauthz_hex_lower[cp & 0xf];
            i += n;
        }
        else {
            memcpy(d, u + i, n);
            d += n;
            i += n;
        }
    }
    *d++ = '"';
    *d = '\0';
    return out;
}

/* ------------------------------------------------------------------ */
/* Fields                                                              */

apr_int64_t certauthz_days_left(apr_int64_t not_after, apr_int64_t now)
{
    apr_int64_t d = not_after - now;

    /* C division truncates toward zero; round toward minus infinity so
     * that an hour past notAfter is day -1, not day 0. */
    return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

/* "TYPE:value" of one subjectAltName, raw. */
static const char *san_raw(apr_pool_t *p, const certauthz_san_t *san,
                           apr_size_t *len)
{
    const char *t = certauthz_san_type_name(san->type);
    apr_size_t tl = strlen(t);
    char *s = apr_palloc(p, tl + 1 + san->len + 1);

    memcpy(s, t, tl);
    s[tl] = ':';
    memcpy(s + tl + 1, san->value, san->len);
    s[tl + 1 + san->len] = '\0';
    *len = tl + 1 + san->len;
    return s;
}

/* The raw value of a scalar field, or NULL when it has none.  The san
 * field is handled by its callers (a list). */
static const char *field_raw(apr_pool_t *p, const certauthz_logrec_t *rec,
                             int field, apr_size_t *len)
{
    const certauthz_cert_t *c = rec->cert;
    const char *v = NULL;
    char *buf;

    switch (field) {
    case CERTAUTHZ_FIELD_DEVICE:
        return certauthz_devid_value(rec->devid, c, len);
    case CERTAUTHZ_FIELD_SUBJECT:
        v = c ? c->subject_dn : NULL;
        break;
    case CERTAUTHZ_FIELD_ISSUER:
        v = c ? c->issuer_dn : NULL;
        break;
    case CERTAUTHZ_FIELD_SERIAL:
        v = c ? c->serial_hex : NULL;
        break;
    case CERTAUTHZ_FIELD_FINGERPRINT:
        v = c ? c->fingerprint : NULL;
        break;
    case CERTAUTHZ_FIELD_NOT_BEFORE:
    case CERTAUTHZ_FIELD_NOT_AFTER:
        if (c != NULL) {
            buf = apr_palloc(p, 21);
            certauthz_iso8601(field == CERTAUTHZ_FIELD_NOT_BEFORE
                                  ? c->not_before : c->not_after, buf);
            v = buf;
        }
        break;
    case CERTAUTHZ_FIELD_DAYS_LEFT:
        if (c != NULL) {
            /* apr_off_t_toa: a tenth of apr_psprintf's cost, on every
             * request. */
            v = apr_off_t_toa(p, (apr_off_t)certauthz_days_left(
                                     c->not_after, rec->now));
        }
        break;
    case CERTAUTHZ_FIELD_VERIFY:
        v = rec->verify;
        break;
    case CERTAUTHZ_FIELD_DECISION:
        v = certauthz_decision_name(
            certauthz_decision_resolve(rec->decision, rec->reason));
        break;
    case CERTAUTHZ_FIELD_REASON:
        v = certauthz_reason_name(rec->reason);
        break;
    case CERTAUTHZ_FIELD_RULE:
        if (certauthz_decision_resolve(rec->decision, rec->reason)
            != CERTAUTHZ_DECISION_NONE) {
            v = rec->rule;
        }
        break;
    default:
        break;
    }
    if (v == NULL || *v == '\0') {
        return NULL;
    }
    *len = strlen(v);
    return v;
}

/* Printable ASCII without a quote or a backslash, NUL-terminated at len:
 * what certauthz_escape_text would copy unchanged, so the copy can be
 * skipped (most values of most requests). */
static int needs_no_escape(const char *s, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            return 0;
        }
    }
    return s[len] == '\0';
}

const char *certauthz_field_text(apr_pool_t *p, const certauthz_logrec_t *rec,
                                 int field, int keep_utf8)
{
    const char *v;
    apr_size_t len = 0;

    if (field == CERTAUTHZ_FIELD_JSON) {
        return certauthz_fields_json(p, rec);
    }
    if (field == CERTAUTHZ_FIELD_SAN) {
        /* "TYPE:value,TYPE:value": a comma inside a value is not escaped,
         * so this form is for reading; %{json}Z is the unambiguous one. */
        apr_array_header_t *parts;
        int i;

        if (rec->cert == NULL || rec->cert->n_sans == 0) {
            return "-";
        }
        parts = apr_array_make(p, rec->cert->n_sans * 2, sizeof(char *));
        for (i = 0; i < rec->cert->n_sans; i++) {
            v = san_raw(p, &rec->cert->sans[i], &len);
            if (i > 0) {
                APR_ARRAY_PUSH(parts, const char *) = ",";
            }
            APR_ARRAY_PUSH(parts, const char *) =
                certauthz_escape_text(p, v, len, keep_utf8);
        }
        return apr_array_pstrcat(p, parts, '\0');
    }
    v = field_raw(p, rec, field, &len);
    if (v == NULL) {
        return "-";
    }
    if (needs_no_escape(v, len)) {
        return v;   /* "granted", "SUCCESS", a plain rule: used as they are */
    }
    return certauthz_escape_text(p, v, len, keep_utf8);
}

const char *certauthz_field_json(apr_pool_t *p, const certauthz_logrec_t *rec,
                                 int field)
{
    const char *v;
    apr_size_t len = 0;

    if (field == CERTAUTHZ_FIELD_SAN) {
        apr_array_header_t *parts;
        int i;

        if (rec->cert == NULL || rec->cert->n_sans == 0) {
            return "null";
        }
        parts = apr_array_make(p, rec->cert->n_sans * 2 + 2, sizeof(char *));
        APR_ARRAY_PUSH(parts, const char *) = "[";
        for (i = 0; i < rec->cert->n_sans; i++) {
            v = san_raw(p, &rec->cert->sans[i], &len);
            if (i > 0) {
                APR_ARRAY_PUSH(parts, const char *) = ", ";
            }
            APR_ARRAY_PUSH(parts, const char *) =
                certauthz_json_string(p, v, len);
        }
        APR_ARRAY_PUSH(parts, const char *) = "]";
        return apr_array_pstrcat(p, parts, '\0');
    }
    v = field_raw(p, rec, field, &len);
    if (v == NULL) {
        return "null";
    }
    if (field == CERTAUTHZ_FIELD_DAYS_LEFT) {
        return v;
    }
    return certauthz_json_string(p, v, len);
}

const char *certauthz_fields_json_from(apr_pool_t *p,
                                       const certauthz_logrec_t *rec,
                                       const char *const *known)
{
    /* Keys with their separators, so that the object is one pstrcat. */
    static const char *const keys[CERTAUTHZ_FIELD_COUNT] = {
        "{\"device\": ", ", \"subject\": ", ", \"issuer\": ",
        ", \"serial\": ", ", \"fingerprint\": ", ", \"not_before\": ",
        ", \"not_after\": ", ", \"days_left\": ", ", \"san\": ",
        ", \"verify\": ", ", \"decision\": ", ", \"reason\": ",
        ", \"rule\": "
    };
    struct iovec vec[CERTAUTHZ_FIELD_COUNT * 2 + 1];
    int f;

    for (f = 0; f < CERTAUTHZ_FIELD_COUNT; f++) {
        const char *v = known != NULL ? known[f] : NULL;

        if (v == NULL) {
            v = certauthz_field_json(p, rec, f);
        }
        vec[2 * f].iov_base = (void *)keys[f];
        vec[2 * f].iov_len = strlen(keys[f]);
        vec[2 * f + 1].iov_base = (void *)v;
        vec[2 * f + 1].iov_len = strlen(v);
    }
    vec[2 * f].iov_base = (void *)"}";
    vec[2 * f].iov_len = 1;
    return apr_pstrcatv(p, vec, CERTAUTHZ_FIELD_COUNT * 2 + 1, NULL);
}

const char *certauthz_fields_json(apr_pool_t *p,
                                  const certauthz_logrec_t *rec)
{
    return certauthz_fields_json_from(p, rec, NULL);
}
