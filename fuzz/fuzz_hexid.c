/*
 * Serial and fingerprint normalisation (Require cert-serial,
 * cert-fingerprint and revocation lists): any text either parses to bytes
 * that print back to text parsing to the same bytes, or is refused.
 */
#include "fuzz/fuzz_common.h"

#include "src/hexid.h"

static const char hex[] = "0123456789abcdef";

static char *to_hex(apr_pool_t *p, const unsigned char *b, apr_size_t n,
                    const char *prefix)
{
    apr_size_t pl = strlen(prefix), i;
    char *s = apr_palloc(p, pl + 2 * n + 1);

    memcpy(s, prefix, pl);
    for (i = 0; i < n; i++) {
        s[pl + 2 * i] = hex[b[i] >> 4];
        s[pl + 2 * i + 1] = hex[b[i] & 0xf];
    }
    s[pl + 2 * n] = '\0';
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    char *text = fuzz_cstr(p, data, size);
    apr_size_t room = strlen(text) / 2 + 1, len = 0, len2 = 0;
    unsigned char *out = apr_palloc(p, room), *out2, fp[32], fp2[32];

    /* apr_palloc does not poison the rest of its block: check the
     * documented bound ourselves. */
    if (certauthz_serial_parse(text, out, &len) == NULL) {
        const char *again;

        if (len > room || (len > 0 && out[0] == 0)) {
            abort();
        }
        again = to_hex(p, out, len, len ? "0x" : "0");
        out2 = apr_palloc(p, strlen(again) / 2 + 1);
        if (certauthz_serial_parse(again, out2, &len2) != NULL
            || len2 != len || memcmp(out, out2, len) != 0) {
            abort();
        }
    }
    /* The same text with a colon between every two characters takes the
     * general path of the parser (colons), the text itself the one-pass
     * path when it is digits alone: both must agree, on the bytes or on
     * refusing.  (A serial over 255 bytes is left out: the colons make
     * the text longer, not the serial.) */
    {
        apr_size_t n = strlen(text), i, k = 0, l3 = 0;
        char *spread = apr_palloc(p, 2 * n + 1);
        unsigned char *out3 = apr_palloc(p, room);
        int plain = n > 0 && strspn(text, "0123456789abcdefABCDEF") == n;

        for (i = 0; i < n; i++) {
            if (i > 0) {
                spread[k++] = ':';
            }
            spread[k++] = text[i];
        }
        spread[k] = '\0';
        if (plain
            && ((certauthz_serial_parse(spread, out3, &l3) == NULL)
                    != (certauthz_serial_parse(text, out, &len) == NULL)
                || l3 != len || memcmp(out, out3, len) != 0)) {
            abort();
        }
    }
    if (certauthz_fingerprint_parse(text, fp) == NULL) {
        if (certauthz_fingerprint_parse(to_hex(p, fp, 32, "sha256:"), fp2)
                != NULL
            || memcmp(fp, fp2, 32) != 0) {
            abort();
        }
    }
    apr_pool_destroy(p);
    return 0;
}
