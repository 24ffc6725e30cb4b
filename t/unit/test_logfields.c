/*
 * Unit tests of src/logfields.c and src/status.c: whatever bytes a
 * certificate carries, a log field cannot split or forge a line, and
 * %{json}Z is valid RFC 8259 on one line.  The JSON is checked by a strict
 * validator written here from RFC 8259 and RFC 3629, independent of the
 * encoder.
 */
#include <stdlib.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "src/certinfo.h"
#include "src/logfields.h"
#include "src/status.h"
#include "t/unit/certgen.h"
#include "t/unit/tap.h"

/* ------------------------------------------------------------------ */
/* A strict RFC 8259 validator.  Decoded string contents are appended to
 * `dec` (when not NULL) so tests can check what a parser would read.    */

typedef struct {
    const unsigned char *s, *end;
    char *dec;
    size_t declen, decmax;
} jp_t;

static void jp_put(jp_t *j, unsigned long cp)
{
    unsigned char b[4];
    size_t n, i;

    if (cp < 0x80) {
        b[0] = (unsigned char)cp, n = 1;
    }
    else if (cp < 0x800) {
        b[0] = 0xc0 | (cp >> 6), b[1] = 0x80 | (cp & 0x3f), n = 2;
    }
    else if (cp < 0x10000) {
        b[0] = 0xe0 | (cp >> 12), b[1] = 0x80 | ((cp >> 6) & 0x3f);
        b[2] = 0x80 | (cp & 0x3f), n = 3;
    }
    else {
        b[0] = 0xf0 | (cp >> 18), b[1] = 0x80 | ((cp >> 12) & 0x3f);
        b[2] = 0x80 | ((cp >> 6) & 0x3f), b[3] = 0x80 | (cp & 0x3f), n = 4;
    }
    for (i = 0; i < n && j->dec; i++) {
        if (j->declen < j->decmax) {
            j->dec[j->declen++] = (char)b[i];
        }
    }
}

static void jp_ws(jp_t *j)
{
    while (j->s < j->end
           && (*j->s == ' ' || *j->s == '\t' || *j->s == '\n'
               || *j->s == '\r')) {
        j->s++;
    }
}

static int jp_hex4(jp_t *j, unsigned long *v)
{
    int i;

    *v = 0;
    if (j->end - j->s < 4) {
        return 0;
    }
    for (i = 0; i < 4; i++) {
        unsigned char c = *j->s++;
        *v <<= 4;
        if (c >= '0' && c <= '9') *v |= c - '0';
        else if (c >= 'a' && c <= 'f') *v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') *v |= c - 'A' + 10;
        else return 0;
    }
    return 1;
}

/* One UTF-8 character by RFC 3629 (table 3-7 of Unicode). */
static int jp_utf8(jp_t *j, unsigned long *cp)
{
    const unsigned char *s = j->s;
    unsigned long c = *s;
    int n, i;

    if (c < 0x80) n = 1;
    else if (c >= 0xc2 && c <= 0xdf) n = 2, c &= 0x1f;
    else if (c >= 0xe0 && c <= 0xef) n = 3, c &= 0x0f;
    else if (c >= 0xf0 && c <= 0xf4) n = 4, c &= 0x07;
    else return 0;
    if (j->end - s < n) return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800)
        || (n == 4 && (c < 0x10000 || c > 0x10ffff))
        || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }
    j->s += n;
    *cp = c;
    return 1;
}

static int jp_string(jp_t *j)
{
    if (j->s >= j->end || *j->s != '"') return 0;
    j->s++;
    while (j->s < j->end && *j->s != '"') {
        unsigned long cp;

        if (*j->s < 0x20) return 0;             /* raw control */
        if (*j->s == '\\') {
            j->s++;
            if (j->s >= j->end) return 0;
            switch (*j->s++) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = 8; break;
            case 'f': cp = 12; break;
            case 'n': cp = 10; break;
            case 'r': cp = 13; break;
            case 't': cp = 9; break;
            case 'u':
                if (!jp_hex4(j, &cp)) return 0;
                if (cp >= 0xdc00 && cp <= 0xdfff) return 0;
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    unsigned long lo;

                    if (j->end - j->s < 6 || j->s[0] != '\\' || j->s[1] != 'u')
                        return 0;
                    j->s += 2;
                    if (!jp_hex4(j, &lo) || lo < 0xdc00 || lo > 0xdfff)
                        return 0;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                }
                break;
            default:
                return 0;
            }
        }
        else if (!jp_utf8(j, &cp)) {
            return 0;
        }
        jp_put(j, cp);
    }
    if (j->s >= j->end) return 0;
    j->s++;
    return 1;
}

static int jp_value(jp_t *j, int depth);

static int jp_number(jp_t *j)
{
    const unsigned char *st = j->s;

    if (j->s < j->end && *j->s == '-') j->s++;
    if (j->s >= j->end) return 0;
    if (*j->s == '0') j->s++;
    else if (*j->s >= '1' && *j->s <= '9')
        while (j->s < j->end && *j->s >= '0' && *j->s <= '9') j->s++;
    else return 0;
    if (j->s < j->end && *j->s == '.') {
        j->s++;
        if (j->s >= j->end || *j->s < '0' || *j->s > '9') return 0;
        while (j->s < j->end && *j->s >= '0' && *j->s <= '9') j->s++;
    }
    return j->s > st;
}

static int jp_lit(jp_t *j, const char *lit)
{
    size_t n = strlen(lit);

    if ((size_t)(j->end - j->s) < n || memcmp(j->s, lit, n) != 0) return 0;
    j->s += n;
    return 1;
}

static int jp_value(jp_t *j, int depth)
{
    if (depth > 16) return 0;
    jp_ws(j);
    if (j->s >= j->end) return 0;
    switch (*j->s) {
    case '{':
        j->s++;
        jp_ws(j);
        if (j->s < j->end && *j->s == '}') { j->s++; return 1; }
        for (;;) {
            jp_ws(j);
            if (!jp_string(j)) return 0;
            jp_ws(j);
            if (j->s >= j->end || *j->s++ != ':') return 0;
            if (!jp_value(j, depth + 1)) return 0;
            jp_ws(j);
            if (j->s >= j->end) return 0;
            if (*j->s == '}') { j->s++; return 1; }
            if (*j->s++ != ',') return 0;
        }
    case '[':
        j->s++;
        jp_ws(j);
        if (j->s < j->end && *j->s == ']') { j->s++; return 1; }
        for (;;) {
            if (!jp_value(j, depth + 1)) return 0;
            jp_ws(j);
            if (j->s >= j->end) return 0;
            if (*j->s == ']') { j->s++; return 1; }
            if (*j->s++ != ',') return 0;
        }
    case '"':
        return jp_string(j);
    case 't':
        return jp_lit(j, "true");
    case 'f':
        return jp_lit(j, "false");
    case 'n':
        return jp_lit(j, "null");
    default:
        return jp_number(j);
    }
}

/* 1 when s is exactly one valid JSON text. */
static int json_valid(const char *s)
{
    jp_t j = {(const unsigned char *)s,
              (const unsigned char *)s + strlen(s), NULL, 0, 0};

    if (!jp_value(&j, 0)) return 0;
    jp_ws(&j);
    return j.s == j.end;
}

/* Decode a JSON string literal; returns its length or -1 when invalid. */
static long json_decode(const char *lit, char *out, size_t max)
{
    jp_t j = {(const unsigned char *)lit,
              (const unsigned char *)lit + strlen(lit), out, 0, max};

    if (!jp_string(&j) || j.s != j.end) return -1;
    return (long)j.declen;
}

static int one_line(const char *s)
{
    return strchr(s, '\n') == NULL && strchr(s, '\r') == NULL;
}

/* Only printable ASCII and bytes >= 0x80: no control reaches a log. */
static int no_controls(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) return 0;
    }
    return 1;
}

static int decodes_to(const char *lit, const char *want, size_t wantlen)
{
    char buf[4096];
    long n = json_decode(lit, buf, sizeof(buf));

    return n == (long)wantlen && memcmp(buf, want, wantlen) == 0;
}

/* ------------------------------------------------------------------ */

static void test_validator_catches(void)
{
    /* The validator must itself reject what the encoder must never emit,
     * or every JSON test below could pass vacuously. */
    ok(!json_valid("\"a\nb\""), "validator: raw newline in a string is invalid");
    ok(!json_valid("\"\xc0\xaf\""), "validator: overlong UTF-8 is invalid");
    ok(!json_valid("\"\xed\xa0\x80\""), "validator: encoded surrogate is invalid");
    ok(!json_valid("\"\\ud800\""), "validator: lone surrogate escape is invalid");
    ok(!json_valid("{\"a\": \"x\", }"), "validator: trailing comma is invalid");
    ok(!json_valid("\"a\" \"b\""), "validator: two values are not one text");
    ok(json_valid("{\"a\": [\"\\u00e9\", null, -3], \"b\": true}"),
       "validator: a well-formed object is valid");
}

static void test_json_string(apr_pool_t *p)
{
    char one[2];
    const char *s;
    int c, all = 1, lines = 1, ctl = 1;
    unsigned int seed = 12345;
    int i;

    /* Every single byte. */
    for (c = 0; c < 256; c++) {
        one[0] = (char)c;
        s = certauthz_json_string(p, one, 1);
        all &= json_valid(s);
        lines &= one_line(s);
        ctl &= no_controls(s);
    }
    ok(all, "json: every single byte 0x00-0xff encodes as a valid string");
    ok(lines, "json: no single byte produces a line break");
    ok(ctl, "json: no single byte produces a raw control character");

    s = certauthz_json_string(p, "x\", \"decision\": \"granted", 24);
    is_str(s, "\"x\\\", \\\"decision\\\": \\\"granted\"",
           "json: quotes are escaped, so a CN cannot add a field");
    ok(decodes_to(s, "x\", \"decision\": \"granted", 24),
       "json: ...and a parser reads back the CN as it was");

    s = certauthz_json_string(p, "a\\b", 3);
    is_str(s, "\"a\\\\b\"", "json: backslash is escaped");
    s = certauthz_json_string(p, "l1\n{\"forged\": 1}\r\n", 19);
    ok(json_valid(s) && one_line(s) && decodes_to(s, "l1\n{\"forged\": 1}\r\n", 19),
       "json: newlines are escaped, a forged second line stays inside the string");
    is_str(certauthz_json_string(p, "a\0b", 3), "\"a\\u0000b\"",
           "json: NUL is \\u0000 and does not truncate");
    is_str(certauthz_json_string(p, "\t\x1b\x7f", 3),
           "\"\\u0009\\u001b\\u007f\"", "json: tab, ESC and DEL are \\uXXXX");
    is_str(certauthz_json_string(p, "\xc2\x85", 2), "\"\\u0085\"",
           "json: C1 control U+0085 (NEL) is escaped");
    is_str(certauthz_json_string(p, "a\xe2\x80\xa8" "b\xe2\x80\xa9", 8),
           "\"a\\u2028b\\u2029\"",
           "json: U+2028 and U+2029 are escaped (line breaks to many readers)");
    is_str(certauthz_json_string(p, "\xe2\x80\xae" "gpj.exe", 10),
           "\"\\u202egpj.exe\"", "json: the bidi override U+202E is escaped");
    is_str(certauthz_json_string(p, "Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x94\x91", 13),
           "\"Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x94\x91\"",
           "json: valid non-ASCII UTF-8 (2, 3 and 4 bytes) is kept as is");
    is_str(certauthz_json_string(p, "\xc0\xaf", 2),
           "\"\xef\xbf\xbd\xef\xbf\xbd\"",
           "json: an overlong '/' becomes U+FFFD, never '/'");
    is_str(certauthz_json_string(p, "\xe0\x80\xa2", 3),
           "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
           "json: an overlong 3-byte '\"' becomes U+FFFD, never a quote");
    is_str(certauthz_json_string(p, "\xed\xa0\x80", 3),
           "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
           "json: a UTF-8-encoded lone surrogate becomes U+FFFD");
    is_str(certauthz_json_string(p, "\xf4\x90\x80\x80", 4),
           "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
           "json: a code point above U+10FFFF becomes U+FFFD");
    is_str(certauthz_json_string(p, "ab\xe2\x82", 4),
           "\"ab\xef\xbf\xbd\xef\xbf\xbd\"",
           "json: a truncated sequence at the end becomes U+FFFD");
    is_str(certauthz_json_string(p, "\xff\"", 2), "\"\xef\xbf\xbd\\\"\"",
           "json: an invalid byte cannot swallow the quote after it");
    is_str(certauthz_json_string(p, "", 0), "\"\"", "json: empty string");

    /* Random bytes, weighted toward the troublesome ones. */
    all = lines = ctl = 1;
    for (i = 0; i < 20000; i++) {
        char buf[32];
        int k, n = (int)(rand_r(&seed) % sizeof(buf));
        static const char pick[] = "\"\\\n\r\0\x7f\xc0\xe2\x80\xa8\xed\xf4\xff";

        for (k = 0; k < n; k++) {
            buf[k] = (rand_r(&seed) & 1) ? pick[rand_r(&seed) % (sizeof(pick) - 1)]
                                         : (char)rand_r(&seed);
        }
        s = certauthz_json_string(p, buf, (apr_size_t)n);
        all &= json_valid(s);
        lines &= one_line(s);
        ctl &= no_controls(s);
    }
    ok(all, "json: 20000 random byte strings all encode as valid JSON");
    ok(lines, "json: ...each on one line");
    ok(ctl, "json: ...with no raw control characters");
}

static void test_escape_text(apr_pool_t *p)
{
    char all[256];
    const char *s;
    int c;

    is_str(certauthz_escape_text(p, "a\"b\\c\nd\r\t\b\v\x01\x7f\xff e", 16, 0),
           "a\\\"b\\\\c\\nd\\r\\t\\b\\v\\x01\\x7f\\xff e",
           "text: escaped as ap_escape_logitem does");
    is_str(certauthz_escape_text(p, "a\0b", 3, 0), "a\\x00b",
           "text: NUL is \\x00 and does not truncate");
    is_str(certauthz_escape_text(p, "Zo\xc3\xab", 4, 0), "Zo\\xc3\\xab",
           "text: non-ASCII is \\xhh in a log field, as for a request header");
    is_str(certauthz_escape_text(p, "Zo\xc3\xab", 4, 1), "Zo\xc3\xab",
           "text with UTF-8 kept: valid UTF-8 stays readable");
    is_str(certauthz_escape_text(p, "\xe2\x80\xa8\xc2\x85\xc0\xaf", 7, 1),
           "\\xe2\\x80\\xa8\\xc2\\x85\\xc0\\xaf",
           "text with UTF-8 kept: separators, C1 and overlongs are still escaped");
    for (c = 0; c < 256; c++) {
        all[c] = (char)c;
    }
    s = certauthz_escape_text(p, all, 256, 0);
    ok(no_controls(s) && one_line(s) && strlen(s) == 32 * 4 + 95 + 2 + 4 * 129 - 5 * 2,
       "text: all 256 bytes give one line of printable ASCII (length %d)",
       (int)strlen(s));
    s = certauthz_escape_text(p, all, 256, 1);
    ok(no_controls(s) && one_line(s),
       "text with UTF-8 kept: all 256 bytes give one line without controls");
}

static certauthz_cert_t *make_cert(apr_pool_t *p)
{
    X509_NAME *n = X509_NAME_new();
    certauthz_cert_t *c = NULL;
    static const unsigned char serial[] = {0x00, 0x10, 0x01};
    X509 *x;

    certgen_add(n, "C", MBSTRING_UTF8, "US", -1, 0);
    certgen_add(n, "O", MBSTRING_UTF8, "MyOrg", -1, 0);
    certgen_add(n, "CN", V_ASN1_UTF8STRING, "dev\"1\n{\"x\":1}", -1, 0);
    certgen_add(n, "CN", V_ASN1_UTF8STRING, "second", -1, 0);
    x = certgen_cert(n, serial, sizeof(serial),
                     "DNS:a.example,email:e@example.com,URI:spiffe://x/y,"
                     "IP:10.0.0.1,DNS:b.example");
    certauthz_cert_from_x509(p, x, &c);
    X509_free(x);
    X509_NAME_free(n);
    return c;
}

static void test_devid(apr_pool_t *p, const certauthz_cert_t *c)
{
    const certauthz_devid_t *d = NULL;
    const char *v, *err;
    apr_size_t len = 0;

    v = certauthz_devid_value(certauthz_devid_default(), c, &len);
    ok(v && len == 13 && memcmp(v, "dev\"1\n{\"x\":1}", 13) == 0,
       "devid: the default is the first subject CN, raw");
    ok(certauthz_devid_compile(p, "subject:O", &d) == NULL
           && (v = certauthz_devid_value(d, c, &len)) && strcmp(v, "MyOrg") == 0,
       "devid: subject:O");
    ok(certauthz_devid_compile(p, "subject:organizationName", &d) == NULL
           && (v = certauthz_devid_value(d, c, &len)) && strcmp(v, "MyOrg") == 0,
       "devid: subject: takes long names");
    ok(certauthz_devid_compile(p, "subject:2.5.4.10", &d) == NULL
           && (v = certauthz_devid_value(d, c, &len)) && strcmp(v, "MyOrg") == 0,
       "devid: subject: takes a dotted OID");
    ok(certauthz_devid_compile(p, "subject:cn", &d) == NULL
           && (v = certauthz_devid_value(d, c, &len)) && v[0] == 'd',
       "devid: attribute names are case-insensitive");
    ok(certauthz_devid_compile(p, "subject:OU", &d) == NULL
           && certauthz_devid_value(d, c, &len) == NULL,
       "devid: an attribute the subject lacks gives no device id");
    ok(certauthz_devid_compile(p, "san:email", &d) == NULL
           && (v = certauthz_devid_value(d, c, &len))
           && strcmp(v, "e@example.com") == 0,
       "devid: san:email");
    ok(certauthz_devid_compile(p, "san:dns", &d) == NULL
           && (v = certauthz_devid_value(d, c, &len))
           && strcmp(v, "a.example") == 0,
       "devid: san:dns is the first DNS name");
    ok(certauthz_devid_compile(p, "san:uri", &d) == NULL
           && (v = certauthz_devid_value(d, c, &len))
           && strcmp(v, "spiffe://x/y") == 0,
       "devid: san:uri");
    ok(certauthz_devid_compile(p, "serial", &d) == NULL
           && (v = certauthz_devid_value(d, c, &len)) && strcmp(v, "001001") == 0,
       "devid: serial as SSL_CLIENT_M_SERIAL prints it");
    ok(certauthz_devid_compile(p, "fingerprint", &d) == NULL
           && (v = certauthz_devid_value(d, c, &len))
           && strcmp(v, c->fingerprint) == 0 && len == 64,
       "devid: fingerprint");
    ok(certauthz_devid_value(certauthz_devid_default(), NULL, &len) == NULL,
       "devid: no certificate, no device id");

    err = certauthz_devid_compile(p, "subject:Bogus", &d);
    ok(err && strstr(err, "'Bogus'"), "devid: unknown attribute named: %s", err);
    err = certauthz_devid_compile(p, "san:ip", &d);
    ok(err && strstr(err, "'ip'"), "devid: san:ip is refused, naming it: %s", err);
    err = certauthz_devid_compile(p, "subject:", &d);
    ok(err && strstr(err, "subject:"), "devid: empty attribute refused: %s", err);
    err = certauthz_devid_compile(p, "cn", &d);
    ok(err && strstr(err, "'cn'"), "devid: unknown source named: %s", err);
}

static void test_fields(apr_pool_t *p, const certauthz_cert_t *c)
{
    certauthz_logrec_t rec;
    const char *j;
    char want[512];

    memset(&rec, 0, sizeof(rec));
    rec.cert = c;
    rec.verify = "SUCCESS";
    rec.reason = CERTAUTHZ_REASON_NO_MATCH;
    rec.rule = "cert-subject O=Other";
    rec.now = 1800000000 - 86400 * 3 - 1;

    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_DEVICE, 0),
           "dev\\\"1\\n{\\\"x\\\":1}",
           "field: device escaped for a plain log field");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_SERIAL, 0), "001001",
           "field: serial");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_NOT_BEFORE, 0),
           "2023-11-14T22:13:20Z", "field: not_before in ISO 8601 UTC");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_NOT_AFTER, 0),
           "2027-01-15T08:00:00Z", "field: not_after in ISO 8601 UTC");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_DAYS_LEFT, 0), "3",
           "field: days_left counts whole days, rounded down");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_SAN, 0),
           "dns:a.example,email:e@example.com,uri:spiffe://x/y,ip:10.0.0.1,"
           "dns:b.example", "field: san as TYPE:value, comma-separated");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_DECISION, 0),
           "denied", "field: decision denied");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_REASON, 0),
           "no-match", "field: reason");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_RULE, 0),
           "cert-subject O=Other", "field: rule as written");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_SUBJECT, 0),
           c->subject_dn[0] ? certauthz_escape_text(p, c->subject_dn,
                                                    strlen(c->subject_dn), 0)
                            : "(empty)",
           "field: subject is the RFC 4514 DN, escaped");
    ok(strncmp(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_SUBJECT, 0),
               "CN=second,CN=dev", 16) == 0,
       "field: subject in RFC 4514 order (most specific first)");

    j = certauthz_fields_json(p, &rec);
    ok(json_valid(j) && one_line(j), "json record: valid, one line: %s", j);
    snprintf(want, sizeof(want),
             "{\"device\": \"dev\\\"1\\u000a{\\\"x\\\":1}\", \"subject\": ");
    ok(strncmp(j, want, strlen(want)) == 0, "json record: device first, escaped");
    ok(strstr(j, "\"days_left\": 3, ") != NULL, "json record: days_left is a number");
    ok(strstr(j, "\"san\": [\"dns:a.example\", \"email:e@example.com\", "
                 "\"uri:spiffe://x/y\", \"ip:10.0.0.1\", \"dns:b.example\"]")
           != NULL, "json record: san is an array of TYPE:value");
    ok(strstr(j, "\"verify\": \"SUCCESS\", \"decision\": \"denied\", "
                 "\"reason\": \"no-match\", \"rule\": \"cert-subject O=Other\"}")
           != NULL, "json record: verify, decision, reason, rule last");

    rec.now = 1800000000 + 3600;
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_DAYS_LEFT, 0), "-1",
           "field: an hour after notAfter is day -1");
    rec.now = 1800000000 - 1;
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_DAYS_LEFT, 0), "0",
           "field: the last second before notAfter is day 0");

    rec.reason = CERTAUTHZ_REASON_OK;
    rec.rule = "cert-valid";
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_DECISION, 0),
           "granted", "field: decision granted");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_REASON, 0), "ok",
           "field: reason ok when granted");
    rec.reason = CERTAUTHZ_REASON_REVOKED;
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_REASON, 0), "revoked",
           "field: reason revoked");

    /* No trustworthy certificate, no provider ran. */
    memset(&rec, 0, sizeof(rec));
    rec.verify = "FAILED:unable to get local issuer certificate";
    j = certauthz_fields_json(p, &rec);
    is_str(j, "{\"device\": null, \"subject\": null, \"issuer\": null, "
              "\"serial\": null, \"fingerprint\": null, \"not_before\": null, "
              "\"not_after\": null, \"days_left\": null, \"san\": null, "
              "\"verify\": \"FAILED:unable to get local issuer certificate\", "
              "\"decision\": null, \"reason\": null, \"rule\": null}",
           "json record: absent values are null, verify is always shown");
    ok(json_valid(j), "json record without certificate is valid");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_DEVICE, 0), "-",
           "field: an absent value is '-'");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_DECISION, 0), "-",
           "field: decision '-' when no cert-* provider ran");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_RULE, 0), "-",
           "field: rule '-' when no cert-* provider ran");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_SAN, 0), "-",
           "field: san '-' without a certificate");
    is_str(certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_JSON, 0), j,
           "field: json is the record");

    ok(certauthz_field_lookup("device") == CERTAUTHZ_FIELD_DEVICE
           && certauthz_field_lookup("rule") == CERTAUTHZ_FIELD_RULE
           && certauthz_field_lookup("json") == CERTAUTHZ_FIELD_JSON
           && certauthz_field_lookup("Device") == -1
           && certauthz_field_lookup("bogus") == -1,
       "field names: known names map, others do not");
}

static void test_hostile_cert_json(apr_pool_t *p)
{
    /* Names built with the ASN.1 types and bytes a hostile CA request
     * could carry, through the real parser and the JSON record.  (Ill-formed
     * UTF8String or BMPString values cannot be among them: OpenSSL refuses
     * to decode a name it cannot canonicalise, so such a certificate never
     * gets past the handshake; the encoder tests above cover those bytes.) */
    static const char bmp_ls[] = {0x20, 0x28};
    X509_NAME *n = X509_NAME_new();
    certauthz_cert_t *c = NULL;
    certauthz_logrec_t rec;
    static const unsigned char serial[] = {0x7f};
    const char *j;
    X509 *x;

    certgen_add(n, "L", V_ASN1_BMPSTRING, bmp_ls, sizeof(bmp_ls), 0);
    certgen_add(n, "ST", V_ASN1_T61STRING, "caf\xe9", 4, 0);
    certgen_add(n, "CN", V_ASN1_UTF8STRING, "nul\0\n\"}\\\x7f", 9, 0);
    x = certgen_cert(n, serial, 1,
                     "email:x\"@y,DNS:a\\b,URI:http://x/\xe2\x80\xa8");
    ok(certauthz_cert_from_x509(p, x, &c) == NULL, "hostile cert parses");
    memset(&rec, 0, sizeof(rec));
    rec.cert = c;
    rec.verify = "SUCCESS";
    rec.reason = CERTAUTHZ_REASON_OK;
    rec.rule = "cert-valid";
    j = certauthz_fields_json(p, &rec);
    ok(json_valid(j) && one_line(j) && no_controls(j),
       "hostile cert: JSON record valid, one line, no controls: %s", j);
    ok(strstr(j, "\"device\": \"nul\\u0000\\u000a\\\"}\\\\\\u007f\"") != NULL,
       "hostile cert: device keeps NUL, newline, quote, brace, backslash, DEL escaped");
    ok(strstr(j, "\"subject\": \"CN=nul\\\\00\\\\0A\\\\\\\"}\\\\\\\\\\\\7F,"
                 "ST=caf\xc3\xa9,L=\\u2028\"") != NULL,
       "hostile cert: subject is RFC 4514 with its escapes, T61 decoded, "
       "U+2028 escaped");
    j = certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_SUBJECT, 0);
    is_str(j, "CN=nul\\\\00\\\\0A\\\\\\\"}\\\\\\\\\\\\7F,ST=caf\\xc3\\xa9,L=\\xe2\\x80\\xa8",
           "hostile cert: plain subject field escaped as a log item");
    j = certauthz_field_text(p, &rec, CERTAUTHZ_FIELD_SAN, 0);
    is_str(j, "email:x\\\"@y,dns:a\\\\b,uri:http://x/\\xe2\\x80\\xa8",
           "hostile cert: plain san field escaped");
    X509_free(x);
    X509_NAME_free(n);
}

static void test_status(apr_pool_t *p)
{
    apr_uint64_t counts[CERTAUTHZ_REASON_COUNT] = {0, 5, 4, 3, 2, 1, 6, 0};
    apr_uint64_t store_counts[2] = {9, 8};
    apr_array_header_t *src = apr_array_make(p, 2, sizeof(certauthz_revinfo_t));
    apr_array_header_t *stores = apr_array_make(p, 1,
                                                sizeof(certauthz_storeinfo_t));
    certauthz_revinfo_t *r;
    certauthz_storeinfo_t *st;
    const char *j;

    j = certauthz_status_json(p, NULL, NULL, counts, store_counts, 42);
    is_str(j, "{\"pid\": 42, \"sources\": [], \"stores\": [], "
              "\"store_lookups\": 9, \"store_errors\": 8, \"decisions\": "
              "{\"ok\": 5, \"no-cert\": 4, \"unverified\": 3, "
              "\"no-match\": 2, \"crl-stale\": 1, "
              "\"store-unavailable\": 6, \"revoked\": 0}}",
           "status: no sources, no stores, counters by reason");
    r = apr_array_push(src);
    memset(r, 0, sizeof(*r));
    r->path = "/etc/x\n\"y\".crl";
    r->format = "crl";
    r->entries = 7;
    r->loaded = apr_time_from_sec(1700000000);
    r->mtime = apr_time_from_sec(1700000001);
    r->stale = 1;
    r->last_error = "line 3: 'zz' is not a hex serial";
    j = certauthz_status_json(p, src, NULL, counts, store_counts, 42);
    ok(json_valid(j) && one_line(j), "status: a source with a hostile path is valid JSON: %s", j);
    ok(strstr(j, "\"entries\": 7, \"loaded\": \"2023-11-14T22:13:20Z\", "
                 "\"mtime\": \"2023-11-14T22:13:21Z\", \"next_update\": null, "
                 "\"stale\": true, \"last_error\": \"line 3: 'zz' is not a hex serial\"")
           != NULL, "status: source fields, null nextUpdate when none");
    {
        apr_uint64_t would[CERTAUTHZ_REASON_COUNT] = {0, 9, 0, 0, 8, 0, 0, 7};

        j = certauthz_status_json_ex(p, NULL, NULL, counts, would,
                                     store_counts, 42);
        is_str(j, "{\"pid\": 42, \"sources\": [], \"stores\": [], "
                  "\"store_lookups\": 9, \"store_errors\": 8, "
                  "\"decisions\": {\"ok\": 5, "
                  "\"no-cert\": 4, \"unverified\": 3, \"no-match\": 2, "
                  "\"crl-stale\": 1, \"store-unavailable\": 6, "
                  "\"revoked\": 0}, \"report_only\": "
                  "{\"ok\": 9, \"no-cert\": 0, \"unverified\": 0, "
                  "\"no-match\": 8, \"crl-stale\": 0, "
                  "\"store-unavailable\": 0, \"revoked\": 7}}",
               "status: what report-only lines would have decided, apart");
    }
    st = apr_array_push(stores);
    memset(st, 0, sizeof(*st));
    st->store = "redis:10.0.0.1:6379";
    st->state = "down";
    st->since = apr_time_from_sec(1700000000);
    st->outages = 2;
    st->last_error = "Connection \"refused\"";
    st->deny = 1;
    st->cache_seconds = 1;
    j = certauthz_status_json(p, NULL, stores, counts, store_counts, 42);
    ok(json_valid(j) && strstr(j, "\"stores\": [{\"store\": \"redis:10.0.0.1:6379\", "
                                  "\"state\": \"down\", \"since\": "
                                  "\"2023-11-14T22:13:20Z\", \"checked\": null, "
                                  "\"outages\": 2, \"last_error\": "
                                  "\"Connection \\\"refused\\\"\", "
                                  "\"unavailable\": \"deny\", "
                                  "\"cache_seconds\": 1}]") != NULL,
       "status: a store, its state, error and policy: %s", j);
}

int main(void)
{
    apr_pool_t *p;
    certauthz_cert_t *c;

    apr_initialize();
    apr_pool_create(&p, NULL);

    test_validator_catches();
    test_json_string(p);
    test_escape_text(p);
    c = make_cert(p);
    ok(c != NULL, "test certificate parses");
    if (c != NULL) {
        test_devid(p, c);
        test_fields(p, c);
    }
    test_hostile_cert_json(p);
    test_status(p);

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
