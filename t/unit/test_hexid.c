/* Unit tests of src/hexid.c: every spelling of one serial or fingerprint
 * means the same bytes, and anything else is refused. */
#include <string.h>

#include "src/hexid.h"
#include "t/unit/rng.h"
#include "t/unit/tap.h"

static int serial_is(const char *text, const unsigned char *want,
                     apr_size_t wantlen)
{
    unsigned char out[CERTAUTHZ_SERIAL_MAX];
    apr_size_t len = 999;

    return certauthz_serial_parse(text, out, &len) == NULL && len == wantlen &&
           memcmp(out, want, wantlen) == 0;
}

static int serial_bad(const char *text)
{
    unsigned char out[CERTAUTHZ_SERIAL_MAX];
    apr_size_t len;

    return certauthz_serial_parse(text, out, &len) != NULL;
}

static int fp_bad(const char *text)
{
    unsigned char out[32];

    return certauthz_fingerprint_parse(text, out) != NULL;
}

int main(void)
{
    static const unsigned char one[] = {0x01};
    static const unsigned char s1001[] = {0x10, 0x01};
    static const unsigned char abc[] = {0x0a, 0xbc};
    static const unsigned char long20[20] = {
        0x7f, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
        0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0xff};
    static const char *fp_hex =
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    unsigned char fp[32], want[32];
    int i;

    ok(serial_is("1", one, 1), "'1' is serial 01");
    ok(serial_is("01", one, 1), "'01' is serial 01");
    ok(serial_is("0x01", one, 1), "'0x01' is serial 01");
    ok(serial_is("0X0001", one, 1), "'0X0001' is serial 01");
    ok(serial_is("00:01", one, 1), "'00:01' is serial 01");
    ok(serial_is("1001", s1001, 2), "'1001' is two bytes");
    ok(serial_is("abc", abc, 2), "an odd digit count pads the first byte");
    ok(serial_is("0A:bC", abc, 2), "case and colons are ignored");
    ok(serial_is("0", one, 0), "zero is the empty magnitude");
    ok(serial_is("00:00", one, 0), "'00:00' is zero too");
    ok(serial_is("7F0102030405060708090A0B0C0D0E0F101112FF", long20, 20),
       "a 20-byte serial is kept whole");
    ok(serial_is("0x00:7f:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:"
                 "12:ff",
                 long20, 20),
       "a 20-byte serial with 0x, colons and a leading zero byte");
    {
        /* Longer than any real serial: still exact, nothing truncated. */
        char big[201];
        unsigned char out[101];
        apr_size_t len = 0;

        memset(big, 'f', 200);
        big[200] = '\0';
        ok(certauthz_serial_parse(big, out, &len) == NULL && len == 100 &&
               out[0] == 0xff && out[99] == 0xff,
           "a 100-byte serial parses without truncation");
    }
    {
        /* 255 bytes at most, for rules and revocation lists alike; leading
         * zeros do not count. */
        char big[2 * 256 + 8];
        unsigned char out[256];
        apr_size_t len = 0;

        memset(big, 'a', 510);
        big[510] = '\0';
        ok(certauthz_serial_parse(big, out, &len) == NULL && len == 255,
           "a 255-byte serial is accepted");
        memmove(big + 6, big, 511);
        memcpy(big, "0x0000", 6);
        ok(certauthz_serial_parse(big, out, &len) == NULL && len == 255,
           "...with a 0x prefix and leading zeros too");
        memset(big, 'a', 512);
        big[512] = '\0';
        ok(serial_bad(big), "a 256-byte serial is refused");
        ok(certauthz_serial_parse_n("1001", 2, out, &len) == NULL && len == 1
               && out[0] == 0x10,
           "parse_n reads only the bytes it is given");
        ok(certauthz_serial_parse_n("10\0" "1", 4, out, &len) != NULL,
           "...and refuses a NUL among them");
    }
    {
        static const unsigned char b[] = {0x00, 0x9f, 0xab};
        char hex[7];

        certauthz_hex_encode(hex, b, 3, 0);
        ok(strcmp(hex, "009fab") == 0, "hex encoding, lower case");
        certauthz_hex_encode(hex, b, 3, 1);
        ok(strcmp(hex, "009FAB") == 0, "hex encoding, upper case");
    }
    ok(serial_bad(""), "empty serial refused");
    ok(serial_bad("0x"), "'0x' alone refused");
    ok(serial_bad("xyz"), "non-hex refused");
    ok(serial_bad("10 01"), "a space refused");
    ok(serial_bad(":01"), "leading colon refused");
    ok(serial_bad("01:"), "trailing colon refused");
    ok(serial_bad("01::02"), "double colon refused");
    ok(serial_bad("-01"), "negative serial refused");
    ok(serial_bad("0x-1"), "sign after 0x refused");
    ok(serial_bad("1g"), "'g' refused");

    for (i = 0; i < 32; i++) {
        unsigned int b;
        sscanf(fp_hex + 2 * i, "%2x", &b);
        want[i] = (unsigned char)b;
    }
    ok(certauthz_fingerprint_parse(fp_hex, fp) == NULL &&
           memcmp(fp, want, 32) == 0,
       "64 lower-case hex digits");
    ok(certauthz_fingerprint_parse(
           "SHA256:9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:1B:"
           "2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08",
           fp) == NULL &&
           memcmp(fp, want, 32) == 0,
       "upper case, colons and an upper-case SHA256: prefix");
    ok(certauthz_fingerprint_parse(
           "sha256:"
           "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
           fp) == NULL &&
           memcmp(fp, want, 32) == 0,
       "sha256: prefix");
    ok(fp_bad(
           "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0"),
       "63 digits refused");
    ok(fp_bad(
           "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a080"),
       "65 digits refused");
    ok(fp_bad("sha1:a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"),
       "a sha1: fingerprint refused");
    ok(fp_bad(
           "md5:"
           "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
       "another algorithm prefix refused even with 64 digits");
    ok(fp_bad("sha256:"), "prefix alone refused");
    ok(fp_bad(""), "empty refused");
    ok(fp_bad(
           "zz86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
       "non-hex refused");
    ok(fp_bad(
           "sha256:sha256:"
           "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
       "a doubled prefix refused");

    /* The one-pass path (digits alone) against the general one (the same
     * digits with a colon between every two): the same bytes, or both
     * refusing, for random digit strings, leading zeros and over-long
     * ones included. */
    {
        static const char alpha[] = "0000123456789abcdefABCDEF";
        int i, same = 1, nok = 0;

        for (i = 0; i < 20000 && same; i++) {
            char text[600], spread[1200];
            unsigned char a[CERTAUTHZ_SERIAL_MAX], b[CERTAUTHZ_SERIAL_MAX];
            apr_size_t n = rnd(8) == 0 ? 500 + rnd(30) : rnd(70), k = 0, j;
            apr_size_t la = 0, lb = 0;
            const char *ea, *eb;

            for (j = 0; j < n; j++) {
                text[j] = alpha[rnd(sizeof(alpha) - 1)];
                if (j > 0) {
                    spread[k++] = ':';
                }
                spread[k++] = text[j];
            }
            text[n] = spread[k] = '\0';
            ea = certauthz_serial_parse(text, a, &la);
            eb = certauthz_serial_parse(spread, b, &lb);
            same = (ea == NULL) == (eb == NULL)
                   && (ea != NULL || (la == lb && memcmp(a, b, la) == 0));
            nok += ea == NULL;
        }
        ok(same && nok > 1000,
           "digits alone and the same digits with colons give the same "
           "serial, or are both refused (%d accepted)", nok);
    }
    return done_testing();
}
