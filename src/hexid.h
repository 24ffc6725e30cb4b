/*
 * hexid: the spellings administrators use for certificate serials and
 * SHA-256 fingerprints, turned into bytes, and bytes written back as hex.
 * Shared by the Require providers, the revocation lists and the log fields,
 * so that a serial or fingerprint means the same thing wherever it is
 * written: `Require cert-serial` and a revocation list accept exactly the
 * same spellings (INTERFACE §2).
 */
#ifndef CERTAUTHZ_HEXID_H
#define CERTAUTHZ_HEXID_H

#include <apr.h>

/* The longest serial (magnitude, in bytes) a rule or a revocation list can
 * name.  RFC 5280 allows 20 octets; the compiled index stores a serial's
 * length in one byte.  A certificate with a longer serial can match no
 * serial rule or entry (its fingerprint still can). */
#define CERTAUTHZ_SERIAL_MAX 255

/* The value of each byte as a hex digit, -1 for a byte that is not one:
 * a table, since the revocation loaders read millions of digits. */
extern const signed char certauthz_hex_digit[256];

/* "0123456789abcdef" and "0123456789ABCDEF". */
extern const char certauthz_hex_lower[17];
extern const char certauthz_hex_upper[17];

static APR_INLINE int certauthz_hexval(int c)
{
    return certauthz_hex_digit[(unsigned char)c];
}

/* Write the n bytes at b as 2n hex digits and a NUL into out (2n + 1
 * bytes). */
void certauthz_hex_encode(char *out, const unsigned char *b, apr_size_t n,
                          int upper);

/* Parse a hexadecimal serial: an optional "0x"/"0X" prefix, then hex digits
 * in either case, optionally separated by single colons ("00:1a:2B").
 * Leading zeros are dropped, so "0x01", "1", "01" and "00:01" give the same
 * bytes.  On success the magnitude is written to out big-endian without
 * leading zero bytes (zero is the empty string; at most
 * min(strlen(text) / 2 + 1, CERTAUTHZ_SERIAL_MAX) bytes are written) and
 * *len is set.  Returns NULL on success, else a static message saying what
 * is wrong (the caller names the token and where it was found). */
const char *certauthz_serial_parse(const char *text, unsigned char *out,
                                   apr_size_t *len);

/* The same for the n bytes at s (not NUL-terminated). */
const char *certauthz_serial_parse_n(const char *s, apr_size_t n,
                                     unsigned char *out, apr_size_t *len);

/* Parse a SHA-256 fingerprint: an optional "sha256:" prefix (any case), then
 * exactly 64 hex digits in either case, optionally separated by single
 * colons (as `openssl x509 -fingerprint -sha256` prints them).  Any other
 * algorithm prefix ("sha1:") or number of digits is refused.  Returns NULL
 * and fills out, or a static message. */
const char *certauthz_fingerprint_parse(const char *text,
                                        unsigned char out[32]);

/* The same for the n bytes at s. */
const char *certauthz_fingerprint_parse_n(const char *s, apr_size_t n,
                                          unsigned char out[32]);

#endif
