#include "hexid.h"

#include <string.h>
#include <strings.h>

#define NO -1
#define ROW_NONE NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO
const signed char certauthz_hex_digit[256] = {
    ROW_NONE, ROW_NONE, ROW_NONE,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, NO, NO, NO, NO, NO, NO,           /* 0x30 */
    NO, 10, 11, 12, 13, 14, 15, NO, NO, NO, NO, NO, NO, NO, NO, NO, /* 0x40 */
    ROW_NONE,
    NO, 10, 11, 12, 13, 14, 15, NO, NO, NO, NO, NO, NO, NO, NO, NO, /* 0x60 */
    ROW_NONE,                                                        /* 0x70 */
    ROW_NONE, ROW_NONE, ROW_NONE, ROW_NONE, ROW_NONE, ROW_NONE, ROW_NONE,
    ROW_NONE                                                         /* 0x80-0xff */
};
#undef ROW_NONE
#undef NO

const char certauthz_hex_lower[17] = "0123456789abcdef";
const char certauthz_hex_upper[17] = "0123456789ABCDEF";

void certauthz_hex_encode(char *out, const unsigned char *b, apr_size_t n,
                          int upper)
{
    const char *digits = upper ? certauthz_hex_upper : certauthz_hex_lower;
    apr_size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 0xf];
    }
    out[2 * n] = '\0';
}

/* Check the digit/colon syntax shared by both forms and count the digits.
 * A colon is a separator only: never first, last or doubled, so that a
 * truncated copy-paste ("ab:cd:") is caught rather than guessed at. */
static const char *scan_hex(const char *s, apr_size_t n, apr_size_t *ndigits)
{
    apr_size_t i, digits = 0;

    if (n == 0) {
        return "no hex digits";
    }
    for (i = 0; i < n; i++) {
        if (s[i] == ':') {
            if (i == 0 || i + 1 == n || s[i + 1] == ':') {
                return "a colon must sit between hex digits";
            }
        }
        else if (certauthz_hexval(s[i]) < 0) {
            return "it holds a character that is not a hex digit";
        }
        else {
            digits++;
        }
    }
    *ndigits = digits;
    return NULL;
}

const char *certauthz_serial_parse_n(const char *s, apr_size_t n,
                                     unsigned char *out, apr_size_t *len)
{
    const char *end = s + n, *err;
    apr_size_t ndigits, i = 0;
    int acc = 0, odd;

    if (n == 0) {
        return "empty serial";
    }
    if (*s == '-') {
        return "negative serials are not supported";
    }
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
    }
    /* The common spelling, hex digits alone, in one pass (a 1M-entry list
     * is a million of these); anything else, or an error, takes the
     * general path below, which says what is wrong. */
    if (s < end) {
        const char *q = s;
        apr_size_t k, j = 0;
        int ok = 1;

        while (q < end && *q == '0') {
            q++;
        }
        k = (apr_size_t)(end - q);
        if (k <= 2 * (apr_size_t)CERTAUTHZ_SERIAL_MAX) {
            if (k & 1) {
                int v = certauthz_hexval(*q++);

                if ((ok = v >= 0)) {
                    out[j++] = (unsigned char)v;
                }
            }
            for (; ok && q < end; q += 2) {
                int hi = certauthz_hexval(q[0]), lo = certauthz_hexval(q[1]);

                if ((ok = (hi | lo) >= 0)) {
                    out[j++] = (unsigned char)(hi << 4 | lo);
                }
            }
            if (ok) {
                *len = j;
                return NULL;
            }
        }
    }
    if ((err = scan_hex(s, (apr_size_t)(end - s), &ndigits)) != NULL) {
        return err;
    }
    /* Skip leading zero digits (and the colons between them). */
    for (; s < end && (*s == '0' || *s == ':'); s++) {
        if (*s == '0') {
            ndigits--;
        }
    }
    if ((ndigits + 1) / 2 > CERTAUTHZ_SERIAL_MAX) {
        return "longer than 255 bytes, more than any serial mod_certauthz "
               "can match";
    }
    /* An odd digit count means the first byte has only its low nibble. */
    odd = (int)(ndigits & 1);
    for (; s < end; s++) {
        if (*s == ':') {
            continue;
        }
        acc = (acc << 4) | certauthz_hexval(*s);
        if (odd) {
            out[i++] = (unsigned char)acc;
            acc = 0;
        }
        odd = !odd;
    }
    *len = i;
    return NULL;
}

const char *certauthz_serial_parse(const char *text, unsigned char *out,
                                   apr_size_t *len)
{
    if (text == NULL) {
        return "empty serial";
    }
    return certauthz_serial_parse_n(text, strlen(text), out, len);
}

const char *certauthz_fingerprint_parse_n(const char *s, apr_size_t n,
                                          unsigned char out[32])
{
    const char *end = s + n, *colon, *err, *q;
    apr_size_t ndigits, i = 0;
    int hi = -1;

    if (n == 0) {
        return "empty fingerprint";
    }
    colon = memchr(s, ':', n);
    if (colon != NULL) {
        /* A prefix that is not all hex digits names an algorithm. */
        for (q = s; q < colon && certauthz_hexval(*q) >= 0; q++) {
        }
        if (q < colon) {
            if ((apr_size_t)(colon - s) != 6 || strncasecmp(s, "sha256", 6)) {
                return "only SHA-256 fingerprints (64 hex digits, optional "
                       "'sha256:' prefix) are supported";
            }
            s = colon + 1;
        }
    }
    if ((err = scan_hex(s, (apr_size_t)(end - s), &ndigits)) != NULL) {
        return err;
    }
    if (ndigits != 64) {
        return "a SHA-256 fingerprint has exactly 64 hex digits";
    }
    for (; s < end; s++) {
        if (*s == ':') {
            continue;
        }
        if (hi < 0) {
            hi = certauthz_hexval(*s);
        }
        else {
            out[i++] = (unsigned char)((hi << 4) | certauthz_hexval(*s));
            hi = -1;
        }
    }
    return NULL;
}

const char *certauthz_fingerprint_parse(const char *text,
                                        unsigned char out[32])
{
    if (text == NULL) {
        return "empty fingerprint";
    }
    return certauthz_fingerprint_parse_n(text, strlen(text), out);
}
