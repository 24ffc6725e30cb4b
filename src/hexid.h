/*
 * hexid: the spellings administrators use for certificate serials and
 * SHA-256 fingerprints, turned into bytes.  Shared by the Require providers
 * and the revocation lists so that a serial or fingerprint means the same
 * thing wherever it is written.
 */
#ifndef CERTAUTHZ_HEXID_H
#define CERTAUTHZ_HEXID_H

#include <apr.h>

/* The value of each byte as a hex digit, -1 for a byte that is not one:
 * a table, since the revocation loaders read millions of digits. */
extern const signed char certauthz_hex_digit[256];

static APR_INLINE int certauthz_hexval(int c)
{
    return certauthz_hex_digit[(unsigned char)c];
}

/* Parse a hexadecimal serial: an optional "0x"/"0X" prefix, then hex digits
 * in either case, optionally separated by single colons ("00:1a:2B").
 * Leading zeros are dropped, so "0x01", "1", "01" and "00:01" give the same
 * bytes; any length is accepted.  out must hold at least strlen(text) / 2 + 1
 * bytes; on success the magnitude is written there big-endian without
 * leading zero bytes (zero is the empty string) and *len is set.  Returns
 * NULL on success, else a static message saying what is wrong (the caller
 * names the token and where it was found). */
const char *certauthz_serial_parse(const char *text, unsigned char *out,
                                   apr_size_t *len);

/* Parse a SHA-256 fingerprint: an optional "sha256:" prefix (any case), then
 * exactly 64 hex digits in either case, optionally separated by single
 * colons (as `openssl x509 -fingerprint -sha256` prints them).  Any other
 * algorithm prefix ("sha1:") or number of digits is refused.  Returns NULL
 * and fills out, or a static message. */
const char *certauthz_fingerprint_parse(const char *text,
                                        unsigned char out[32]);

#endif
