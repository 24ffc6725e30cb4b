/*
 * The one DER reader (src/der.c) and the one base64/PEM reader
 * (src/pem.c): lengths checked against their container, serial
 * magnitudes that certificates and CRL entries share, and PEM blocks read
 * exactly (a client certificate) or leniently (a CRL file).
 */
#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/asn1.h>

#include "src/der.h"
#include "src/hexid.h"
#include "src/pem.h"
#include "t/unit/tap.h"

static apr_pool_t *p;

/* The magnitude of an INTEGER's content, as hex ("-" for negative). */
static const char *mag(const unsigned char *v, apr_size_t n)
{
    unsigned char scratch[16];
    const unsigned char *m;
    apr_size_t len;
    char *hex = apr_palloc(p, 40);
    int neg;

    if ((m = certauthz_der_integer(v, n, scratch, &len, &neg)) == NULL) {
        return "error";
    }
    hex[0] = neg ? '-' : '+';
    certauthz_hex_encode(hex + 1, m, len, 0);
    return hex;
}

/* What OpenSSL makes of the same content: its stored magnitude. */
static const char *openssl_mag(const unsigned char *v, apr_size_t n)
{
    unsigned char der[20];
    const unsigned char *q = der;
    ASN1_INTEGER *ai;
    char *hex = apr_palloc(p, 40);

    der[0] = 0x02;
    der[1] = (unsigned char)n;
    memcpy(der + 2, v, n);
    ai = d2i_ASN1_INTEGER(NULL, &q, (long)n + 2);
    if (ai == NULL) {
        return "refused";
    }
    hex[0] = ASN1_STRING_type(ai) == V_ASN1_NEG_INTEGER ? '-' : '+';
    /* OpenSSL stores zero as one zero byte: the magnitude is empty. */
    if (ASN1_STRING_length(ai) == 1 && ASN1_STRING_get0_data(ai)[0] == 0) {
        hex[1] = '\0';
    }
    else {
        certauthz_hex_encode(hex + 1, ASN1_STRING_get0_data(ai),
                             (apr_size_t)ASN1_STRING_length(ai), 0);
    }
    ASN1_INTEGER_free(ai);
    return hex;
}

static void integers(void)
{
    static const struct {
        unsigned char v[4];
        apr_size_t n;
        const char *want;
    } t[] = {
        {{0x00}, 1, "+"},
        {{0x01}, 1, "+01"},
        {{0x7f}, 1, "+7f"},
        {{0x00, 0x80}, 2, "+80"},
        {{0x10, 0x01}, 2, "+1001"},
        {{0xff}, 1, "-01"},
        {{0x80}, 1, "-80"},
        {{0xff, 0x7f}, 2, "-81"},
        {{0xff, 0x00}, 2, "-0100"},
        {{0x80, 0x00}, 2, "-8000"},
        {{0xfe, 0xdc, 0xba}, 3, "-012346"},
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        is_str(mag(t[i].v, t[i].n), t[i].want,
               "INTEGER content %zu: magnitude %s", i, t[i].want);
        is_str(openssl_mag(t[i].v, t[i].n), t[i].want,
               "...as OpenSSL's d2i_ASN1_INTEGER reads it");
    }
    {
        static const unsigned char padded[] = {0x00, 0x00, 0x01};

        is_str(mag(padded, 3), "+01", "a non-minimal INTEGER is read by its "
               "value (OpenSSL refuses it: %s)", openssl_mag(padded, 3));
    }
    ok(certauthz_der_integer(NULL, 0, NULL, NULL, NULL) == NULL,
       "an INTEGER without content is refused");
}

static int walk(const unsigned char *b, apr_size_t n, certauthz_tlv_t *t)
{
    certauthz_der_t d;

    certauthz_der_init(&d, b, n);
    return certauthz_der_next(&d, t);
}

static void elements(void)
{
    static const unsigned char ok1[] = {0x04, 0x02, 'a', 'b'};
    static const unsigned char long1[] = {0x04, 0x81, 0x02, 'a', 'b'};
    static const unsigned char long4[] = {0x04, 0x84, 0, 0, 0, 2, 'a', 'b'};
    static const unsigned char long5[] = {0x04, 0x85, 0, 0, 0, 0, 2, 'a', 'b'};
    static const unsigned char indef[] = {0x30, 0x80, 0x00, 0x00};
    static const unsigned char past[] = {0x04, 0x03, 'a', 'b'};
    static const unsigned char hightag[] = {0x1f, 0x22, 0x00};
    static const unsigned char huge[] = {0x04, 0x84, 0xff, 0xff, 0xff, 0xff};
    certauthz_tlv_t t;

    ok(walk(ok1, 4, &t) == 0 && t.len == 2 && t.tlv_len == 4
           && memcmp(t.val, "ab", 2) == 0, "a short-form element");
    ok(walk(long1, 5, &t) == 0 && t.len == 2 && walk(long4, 8, &t) == 0
           && t.len == 2,
       "long-form lengths, non-minimal ones included (as OpenSSL reads)");
    ok(walk(long5, 9, &t) != 0, "more than four length octets: refused");
    ok(walk(indef, 4, &t) != 0, "an indefinite length: refused");
    ok(walk(past, 4, &t) != 0 && walk(huge, 6, &t) != 0,
       "a length past the container: refused");
    ok(walk(hightag, 3, &t) != 0, "a multi-octet tag: refused");
    ok(walk(ok1, 1, &t) != 0 && walk(ok1, 0, &t) != 0,
       "a truncated header: refused");
}

static int decode(const char *text, certauthz_pem_how_e how, char *out)
{
    certauthz_pem_block_t blk;
    unsigned char buf[64];
    apr_size_t n;

    if (certauthz_pem_block(text, text + strlen(text), "X", how, &blk) != NULL
        || certauthz_base64_decode(&blk, how, buf, &n) != 0) {
        return 0;
    }
    memcpy(out, buf, n);
    out[n] = '\0';
    return 1;
}

static void pem_blocks(void)
{
    char out[64];

    ok(decode("-----BEGIN X-----\naGVsbG8=\n-----END X-----\n",
              CERTAUTHZ_PEM_EXACT, out) && strcmp(out, "hello") == 0,
       "exact: a block as PEM writers give it");
    ok(!decode("-----BEGIN X----- \naGVsbG8=\n-----END X-----\n",
               CERTAUTHZ_PEM_EXACT, out)
           && decode("-----BEGIN X----- \r\naGVs bG8=\r\n-----END X-----\n",
                     CERTAUTHZ_PEM_LENIENT, out)
           && strcmp(out, "hello") == 0,
       "blanks after BEGIN and between characters: lenient only");
    ok(!decode("-----BEGIN X-----\naGVsbG8\n-----END X-----\n",
               CERTAUTHZ_PEM_LENIENT, out),
       "an incomplete quantum is refused");
    ok(!decode("-----BEGIN X-----\naG==VsbG8=\n-----END X-----\n",
               CERTAUTHZ_PEM_LENIENT, out),
       "data after padding is refused");
    ok(!decode("-----BEGIN X-----\naGVsbG8=\n", CERTAUTHZ_PEM_LENIENT, out),
       "a block without END is refused");
    ok(!decode("-----BEGIN Y-----\naGVsbG8=\n-----END Y-----\n",
               CERTAUTHZ_PEM_LENIENT, out),
       "another label is refused");
    ok(certauthz_pem_find("x\n-----BEGIN X-----", 19, 0) == 2
           && certauthz_pem_find("x-----BEGIN X-----", 18, 0) == 18,
       "BEGIN is found only at the start of a line");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&p, NULL);
    integers();
    elements();
    pem_blocks();
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
