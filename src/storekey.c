/*
 * storekey: the byte layout of revocations in a shared store (see
 * storekey.h).
 */
#include "storekey.h"

#include <string.h>

#include <apr_strings.h>

#include "certinfo.h"

const unsigned char certauthz_store_marker_id[] = {'a', 'l', 'i', 'v', 'e'};
const apr_size_t certauthz_store_marker_len =
    sizeof(certauthz_store_marker_id);

apr_size_t certauthz_store_id_serial(const unsigned char issuer_key[32],
                                     const unsigned char *serial,
                                     apr_size_t serial_len,
                                     unsigned char id[CERTAUTHZ_STORE_ID_MAX])
{
    /* The same serial however it was spelled: no leading zero bytes. */
    while (serial_len > 0 && serial[0] == 0) {
        serial++;
        serial_len--;
    }
    if (serial_len > CERTAUTHZ_STORE_SERIAL_MAX) {
        return 0;
    }
    id[0] = 'S';
    memcpy(id + 1, issuer_key, 32);
    if (serial_len > 0) {
        memcpy(id + 33, serial, serial_len);
    }
    return 33 + serial_len;
}

apr_size_t certauthz_store_id_fingerprint(
    const unsigned char sha256[32], unsigned char id[CERTAUTHZ_STORE_ID_MAX])
{
    id[0] = 'F';
    memcpy(id + 1, sha256, 32);
    return 33;
}

const char *certauthz_store_key(apr_pool_t *p, const unsigned char *id,
                                apr_size_t len)
{
    static const char hex[] = "0123456789abcdef";
    apr_size_t ns = sizeof(CERTAUTHZ_STORE_NAMESPACE) - 1, i;
    char *key = apr_palloc(p, ns + 1 + 2 * len + 1), *q;

    memcpy(key, CERTAUTHZ_STORE_NAMESPACE ":", ns + 1);
    q = key + ns + 1;
    for (i = 0; i < len; i++) {
        *q++ = hex[id[i] >> 4];
        *q++ = hex[id[i] & 15];
    }
    *q = '\0';
    return key;
}

const char *certauthz_store_value(apr_pool_t *p, apr_int64_t when,
                                  const char *reason)
{
    char t[21];

    certauthz_iso8601(when, t);
    return apr_pstrcat(p, "revoked ", t, reason ? " " : "",
                       reason ? reason : "", NULL);
}

apr_uint32_t certauthz_store_ttl(apr_int64_t not_after, apr_int64_t now)
{
    apr_int64_t left = not_after - now;

    if (left <= 0) {
        return 0;
    }
    /* Redis takes seconds as a signed 64-bit number; APR's client a 32-bit
     * one: a certificate valid for longer than 68 years is kept that
     * long. */
    return left > 0x7fffffff ? 0x7fffffff : (apr_uint32_t)left;
}
