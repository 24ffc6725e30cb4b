#include "pem.h"

#include <string.h>

/* The base64 alphabet's values; 64 for '=', 0xff for anything else. */
static const unsigned char b64_value[256] = {
#define X 0xff
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, 64, X, X,
    X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
    X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
#undef X
};

static const char BEGIN[] = "-----BEGIN ", END[] = "-----END ";
#define DASHES "-----"

apr_size_t certauthz_pem_find(const char *buf, apr_size_t len,
                              apr_size_t from)
{
    const char *q = buf + from, *end = buf + len;

    while (q < end) {
        if ((q == buf || q[-1] == '\n')
            && (apr_size_t)(end - q) >= sizeof(BEGIN) - 1
            && memcmp(q, BEGIN, sizeof(BEGIN) - 1) == 0) {
            return (apr_size_t)(q - buf);
        }
        q = memchr(q, '\n', (apr_size_t)(end - q));
        if (q == NULL) {
            break;
        }
        q++;
    }
    return len;
}

/* s at "-----BEGIN " or "-----END ": the rest of the line must be
 * "label-----".  Returns what follows, or NULL. */
static const char *marker(const char *s, const char *end, const char *start,
                          apr_size_t start_len, const char *label)
{
    apr_size_t ll = strlen(label);

    if ((apr_size_t)(end - s) < start_len + ll + 5
        || memcmp(s, start, start_len) != 0
        || memcmp(s + start_len, label, ll) != 0
        || memcmp(s + start_len + ll, DASHES, 5) != 0) {
        return NULL;
    }
    return s + start_len + ll + 5;
}

const char *certauthz_pem_block(const char *s, const char *end,
                                const char *label, certauthz_pem_how_e how,
                                certauthz_pem_block_t *blk)
{
    const char *q = marker(s, end, BEGIN, sizeof(BEGIN) - 1, label), *dash;

    if (q == NULL) {
        return "not the expected BEGIN line";
    }
    while (how == CERTAUTHZ_PEM_LENIENT && q < end
           && (*q == ' ' || *q == '\t')) {
        q++;
    }
    if (q < end && *q == '\r') {
        q++;
    }
    if (q >= end || *q != '\n') {
        return "text after the BEGIN line's dashes";
    }
    blk->body = ++q;
    /* Base64 holds no '-': the first one must start the END line. */
    dash = memchr(q, '-', (apr_size_t)(end - q));
    if (dash == NULL
        || (blk->next = marker(dash, end, END, sizeof(END) - 1, label))
               == NULL) {
        return "no END line after the base64 (a truncated file?)";
    }
    blk->body_len = (apr_size_t)(dash - blk->body);
    return NULL;
}

/* Base64 being decoded: the output so far and the quantum in progress. */
typedef struct {
    unsigned char *o;
    apr_uint32_t acc;
    int nq, pad;
} b64_t;

/* The bytes of a whole quantum of four characters, less its padding. */
static unsigned char *put_quantum(unsigned char *o, apr_uint32_t acc, int pad)
{
    *o++ = (unsigned char)(acc >> 16);
    if (pad < 2) {
        *o++ = (unsigned char)(acc >> 8);
    }
    if (pad < 1) {
        *o++ = (unsigned char)acc;
    }
    return o;
}

/* One character of value v (64 for '='): -1 when it cannot stand there.
 * '=' only as the last one or two characters of a quantum, and nothing
 * after it. */
static int b64_step(b64_t *b, unsigned char v)
{
    if (b->pad && v != 64) {
        return -1;
    }
    if (v == 64) {
        if (++b->pad > 2 || b->nq < 2) {
            return -1;
        }
        v = 0;
    }
    b->acc = (b->acc << 6) | v;
    if (++b->nq == 4) {
        b->o = put_quantum(b->o, b->acc, b->pad);
        b->acc = 0;
        b->nq = 0;
    }
    return 0;
}

/* Lines of exactly 64 characters but the last, which ends before the END
 * line: the shape every PEM writer gives. */
static int decode_exact(const unsigned char *s, const unsigned char *end,
                        unsigned char *out, apr_size_t *outlen)
{
    b64_t b = {out, 0, 0, 0};
    int line = 0, last = 0;

    for (; s < end; s++) {
        /* Four characters at a time while they are plain base64. */
        while (b.nq == 0 && !b.pad && line <= 60 && end - s >= 4
               && (b64_value[s[0]] | b64_value[s[1]] | b64_value[s[2]]
                   | b64_value[s[3]]) < 64) {
            b.o = put_quantum(b.o,
                              ((apr_uint32_t)b64_value[s[0]] << 18)
                                  | ((apr_uint32_t)b64_value[s[1]] << 12)
                                  | ((apr_uint32_t)b64_value[s[2]] << 6)
                                  | b64_value[s[3]],
                              0);
            s += 4;
            line += 4;
        }
        if (s >= end) {
            break;
        }
        if (*s == '\r') {
            if (end - s < 2 || s[1] != '\n') {
                return -1;
            }
            continue;           /* the '\n' ends the line */
        }
        if (*s == '\n') {
            /* No empty line; only the last line may be shorter. */
            if (line == 0 || last) {
                return -1;
            }
            last = line != 64;
            line = 0;
            continue;
        }
        if (last || ++line > 64 || b64_value[*s] == 0xff
            || b64_step(&b, b64_value[*s]) != 0) {
            return -1;
        }
    }
    /* The END line starts a line of its own, after whole quanta. */
    if (line != 0 || b.nq != 0) {
        return -1;
    }
    *outlen = (apr_size_t)(b.o - out);
    return 0;
}

/* Any line lengths, blanks between characters; padding only at the end. */
static int decode_lenient(const unsigned char *s, const unsigned char *end,
                          unsigned char *out, apr_size_t *outlen)
{
    b64_t b = {out, 0, 0, 0};

    for (; s < end; s++) {
        if (b64_value[*s] == 0xff) {
            if (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t') {
                continue;
            }
            return -1;
        }
        if (b64_step(&b, b64_value[*s]) != 0) {
            return -1;
        }
    }
    if (b.nq != 0) {
        return -1;
    }
    *outlen = (apr_size_t)(b.o - out);
    return 0;
}

int certauthz_base64_decode(const certauthz_pem_block_t *blk,
                            certauthz_pem_how_e how, unsigned char *out,
                            apr_size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)blk->body;

    return how == CERTAUTHZ_PEM_EXACT
               ? decode_exact(s, s + blk->body_len, out, outlen)
               : decode_lenient(s, s + blk->body_len, out, outlen);
}

int certauthz_pem_read_direct(apr_pool_t *p, const char *pem, apr_size_t len,
                              unsigned char **der, apr_size_t *dlen)
{
    certauthz_pem_block_t blk;
    const char *end = pem + len, *q;
    unsigned char *out;

    if (certauthz_pem_block(pem, end, "CERTIFICATE", CERTAUTHZ_PEM_EXACT,
                            &blk) != NULL) {
        return 0;
    }
    for (q = blk.next; q < end; q++) {
        if (*q != '\n' && *q != '\r') {
            return 0;
        }
    }
    out = apr_palloc(p, blk.body_len / 4 * 3 + 3);
    if (certauthz_base64_decode(&blk, CERTAUTHZ_PEM_EXACT, out, dlen) != 0) {
        return 0;
    }
    *der = out;
    return 1;
}
