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

/* Check the digit/colon syntax shared by both forms and count the digits.
 * A colon is a separator only: never first, last or doubled, so that a
 * truncated copy-paste ("ab:cd:") is caught rather than guessed at. */
static const char *scan_hex(const char *s, apr_size_t *ndigits)
{
    apr_size_t n = 0;
    const char *q;

    if (*s == '\0') {
        return "no hex digits";
    }
    for (q = s; *q; q++) {
        if (*q == ':') {
            if (q == s || q[1] == '\0' || q[1] == ':') {
                return "a colon must sit between hex digits";
            }
        }
        else if (certauthz_hexval(*q) < 0) {
            return "it holds a character that is not a hex digit";
        }
        else {
            n++;
        }
    }
    *ndigits = n;
    return NULL;
}

const char *certauthz_serial_parse(const char *text, unsigned char *out,
                                   apr_size_t *len)
{
    const char *s = text, *err;
    apr_size_t ndigits, i = 0;
    int acc = 0, odd;

    if (s == NULL || *s == '\0') {
        return "empty serial";
    }
    if (*s == '-') {
        return "negative serials are not supported";
    }
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
    }
    if ((err = scan_hex(s, &ndigits)) != NULL) {
        return err;
    }
    /* Skip leading zero digits (and the colons between them). */
    for (; *s == '0' || *s == ':'; s++) {
        if (*s == '0') {
            ndigits--;
        }
    }
    /* An odd digit count means the first byte has only its low nibble. */
    odd = (int)(ndigits & 1);
    for (; *s; s++) {
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

const char *certauthz_fingerprint_parse(const char *text, unsigned char out[32])
{
    const char *s = text, *colon, *err, *q;
    apr_size_t ndigits, i = 0;
    int hi = -1;

    if (s == NULL || *s == '\0') {
        return "empty fingerprint";
    }
    colon = strchr(s, ':');
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
    if ((err = scan_hex(s, &ndigits)) != NULL) {
        return err;
    }
    if (ndigits != 64) {
        return "a SHA-256 fingerprint has exactly 64 hex digits";
    }
    for (; *s; s++) {
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
