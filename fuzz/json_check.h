/*
 * json_check.h: a strict RFC 8259 validator for the fuzz targets, so that a
 * log encoder that ever emits something a JSON parser would refuse (or read
 * differently) aborts the fuzzer.  Stricter than the RFC where I-JSON
 * (RFC 7493) is: strings must be well-formed UTF-8 and \u escapes must not
 * leave a surrogate unpaired.  Fuzzing code only.
 */
#ifndef CERTAUTHZ_JSON_CHECK_H
#define CERTAUTHZ_JSON_CHECK_H

#include <stddef.h>

typedef struct {
    const unsigned char *s, *end;
    int depth;
} json_cur_t;

static int json_value(json_cur_t *c);

static void json_ws(json_cur_t *c)
{
    while (c->s < c->end
           && (*c->s == ' ' || *c->s == '\t' || *c->s == '\n'
               || *c->s == '\r')) {
        c->s++;
    }
}

static int json_lit(json_cur_t *c, const char *w)
{
    while (*w) {
        if (c->s >= c->end || *c->s != (unsigned char)*w) {
            return 0;
        }
        c->s++;
        w++;
    }
    return 1;
}

static int json_hex4(json_cur_t *c, unsigned *v)
{
    int i;

    *v = 0;
    for (i = 0; i < 4; i++) {
        unsigned char h;

        if (c->s >= c->end) {
            return 0;
        }
        h = *c->s++;
        *v <<= 4;
        if (h >= '0' && h <= '9') {
            *v |= (unsigned)(h - '0');
        }
        else if (h >= 'a' && h <= 'f') {
            *v |= (unsigned)(h - 'a' + 10);
        }
        else if (h >= 'A' && h <= 'F') {
            *v |= (unsigned)(h - 'A' + 10);
        }
        else {
            return 0;
        }
    }
    return 1;
}

/* One well-formed UTF-8 character (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF); its length or 0. */
static size_t json_utf8(const unsigned char *s, size_t n, unsigned long *cp)
{
    size_t len, i;
    unsigned long v, min;

    if (n == 0) {
        return 0;
    }
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2, v = s[0] & 0x1f, min = 0x80;
    }
    else if ((s[0] & 0xf0) == 0xe0) {
        len = 3, v = s[0] & 0x0f, min = 0x800;
    }
    else if ((s[0] & 0xf8) == 0xf0) {
        len = 4, v = s[0] & 0x07, min = 0x10000;
    }
    else {
        return 0;
    }
    if (n < len) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        return 0;
    }
    *cp = v;
    return len;
}

static int json_string(json_cur_t *c)
{
    if (c->s >= c->end || *c->s != '"') {
        return 0;
    }
    c->s++;
    while (c->s < c->end && *c->s != '"') {
        unsigned long cp;
        size_t n;

        if (*c->s < 0x20) {
            return 0;               /* raw control character */
        }
        if (*c->s == '\\') {
            unsigned v, lo;

            if (++c->s >= c->end) {
                return 0;
            }
            switch (*c->s++) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n':
            case 'r': case 't':
                break;
            case 'u':
                if (!json_hex4(c, &v)) {
                    return 0;
                }
                if (v >= 0xdc00 && v <= 0xdfff) {
                    return 0;       /* a low surrogate alone */
                }
                if (v >= 0xd800 && v <= 0xdbff) {
                    if (!json_lit(c, "\\u") || !json_hex4(c, &lo)
                        || lo < 0xdc00 || lo > 0xdfff) {
                        return 0;   /* a high surrogate alone */
                    }
                }
                break;
            default:
                return 0;
            }
            continue;
        }
        n = json_utf8(c->s, (size_t)(c->end - c->s), &cp);
        if (n == 0) {
            return 0;
        }
        c->s += n;
    }
    if (c->s >= c->end) {
        return 0;
    }
    c->s++;
    return 1;
}

static int json_digits(json_cur_t *c)
{
    const unsigned char *start = c->s;

    while (c->s < c->end && *c->s >= '0' && *c->s <= '9') {
        c->s++;
    }
    return c->s > start;
}

static int json_number(json_cur_t *c)
{
    if (c->s < c->end && *c->s == '-') {
        c->s++;
    }
    if (c->s < c->end && *c->s == '0') {
        c->s++;
    }
    else if (!json_digits(c)) {
        return 0;
    }
    if (c->s < c->end && *c->s == '.') {
        c->s++;
        if (!json_digits(c)) {
            return 0;
        }
    }
    if (c->s < c->end && (*c->s == 'e' || *c->s == 'E')) {
        c->s++;
        if (c->s < c->end && (*c->s == '+' || *c->s == '-')) {
            c->s++;
        }
        if (!json_digits(c)) {
            return 0;
        }
    }
    return 1;
}

static int json_container(json_cur_t *c, int object)
{
    int first = 1;

    if (++c->depth > 64) {
        return 0;
    }
    c->s++;
    json_ws(c);
    if (c->s < c->end && *c->s == (object ? '}' : ']')) {
        c->s++;
        c->depth--;
        return 1;
    }
    for (;;) {
        if (!first) {
            json_ws(c);
            if (c->s < c->end && *c->s == ',') {
                c->s++;
            }
            else if (c->s < c->end && *c->s == (object ? '}' : ']')) {
                c->s++;
                c->depth--;
                return 1;
            }
            else {
                return 0;
            }
        }
        first = 0;
        json_ws(c);
        if (object) {
            if (!json_string(c)) {
                return 0;
            }
            json_ws(c);
            if (!json_lit(c, ":")) {
                return 0;
            }
            json_ws(c);
        }
        if (!json_value(c)) {
            return 0;
        }
    }
}

static int json_value(json_cur_t *c)
{
    if (c->s >= c->end) {
        return 0;
    }
    switch (*c->s) {
    case '{':
        return json_container(c, 1);
    case '[':
        return json_container(c, 0);
    case '"':
        return json_string(c);
    case 't':
        return json_lit(c, "true");
    case 'f':
        return json_lit(c, "false");
    case 'n':
        return json_lit(c, "null");
    default:
        return json_number(c);
    }
}

/* 1 when s[0..len) is exactly one JSON value (surrounding white space
 * allowed), else 0. */
static int json_valid(const char *s, size_t len)
{
    json_cur_t c;

    c.s = (const unsigned char *)s;
    c.end = c.s + len;
    c.depth = 0;
    json_ws(&c);
    if (!json_value(&c)) {
        return 0;
    }
    json_ws(&c);
    return c.s == c.end;
}

#endif
