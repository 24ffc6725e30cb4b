/*
 * revlist_text: the text formats of revocation files, the plain list and
 * the `openssl ca` database.  Both read serials with hexid's parser, so a
 * list accepts exactly the spellings `Require cert-serial` accepts.
 */
#include "revparse.h"
#include "hexid.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

const char certauthz_rev_oom[] = "out of memory";

const char *certauthz_revtoken(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *out = apr_palloc(p, 4 * 64 + 4), *o = out;
    apr_size_t i;

    for (i = 0; i < n && i < 64; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x20 && c < 0x7f && c != '\'') {
            *o++ = (char)c;
        }
        else {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = certauthz_hex_lower[c >> 4];
            *o++ = certauthz_hex_lower[c & 0xf];
        }
    }
    if (n > 64) {
        memcpy(o, "...", 3);
        o += 3;
    }
    *o = '\0';
    return out;
}

/* One serial token of line `lineno` into the builder (checked only, when
 * b is NULL). */
/* Serials parsed and not yet added, their slots being fetched into the
 * cache meanwhile (certauthz_revbuild_prefetch): in a large list every
 * insertion is a cache miss, and AHEAD of them overlap. */
#define AHEAD 8
typedef struct {
    certauthz_revbuild_t *b;
    unsigned first, n;
    apr_size_t len[AHEAD];
    uint64_t h[AHEAD];
    unsigned char bytes[AHEAD][CERTAUTHZ_SERIAL_MAX];
} pending_t;

static void pending_init(pending_t *q, certauthz_revbuild_t *b)
{
    q->b = b;
    q->first = q->n = 0;
}

/* Add the oldest pending serial.  0, or -1 (out of memory). */
static int add_oldest(pending_t *q)
{
    unsigned i = q->first;

    q->first = (q->first + 1) % AHEAD;
    q->n--;
    return certauthz_revbuild_add_hashed(q->b, CERTAUTHZ_REC_SERIAL, 0,
                                         q->bytes[i], q->len[i], q->h[i]);
}

/* Add every pending serial.  NULL, or the out-of-memory message. */
static const char *add_pending(pending_t *q)
{
    while (q->n > 0) {
        if (add_oldest(q) != 0) {
            return certauthz_rev_oom;
        }
    }
    return NULL;
}

/* Parse tok as a serial (any error names path and line) and, when q is not
 * NULL, queue it for q's builder. */
static const char *add_serial(apr_pool_t *p, const char *path,
                              unsigned lineno, const char *tok,
                              apr_size_t n, pending_t *q)
{
    unsigned char scratch[CERTAUTHZ_SERIAL_MAX], *bytes = scratch;
    apr_size_t blen, i = 0;
    const char *why;

    if (q != NULL) {
        if (q->n == AHEAD && add_oldest(q) != 0) {
            return certauthz_rev_oom;
        }
        i = (q->first + q->n) % AHEAD;
        bytes = q->bytes[i];
    }
    why = certauthz_serial_parse_n(tok, n, bytes, &blen);
    if (why != NULL) {
        return apr_psprintf(p, "%s: line %u: '%s' is not a hex serial: %s",
                            path, lineno, certauthz_revtoken(p, tok, n), why);
    }
    if (q != NULL) {
        q->len[i] = blen;
        q->h[i] = certauthz_revbuild_hash(CERTAUTHZ_REC_SERIAL, 0, bytes, blen);
        certauthz_revbuild_prefetch(q->b, q->h[i]);
        q->n++;
    }
    return NULL;
}

const char *certauthz_parse_list(apr_pool_t *p, const char *path,
                                 const char *buf, apr_size_t len,
                                 certauthz_revbuild_t *b)
{
    const char *line = buf, *end = buf + len, *err;
    unsigned lineno = 0;
    pending_t q;

    pending_init(&q, b);
    b->format = CERTAUTHZ_FMT_LIST;
    while (line < end) {
        const char *nl = memchr(line, '\n', (apr_size_t)(end - line));
        const char *e = nl ? nl : end, *hash, *tok, *tend, *rest;
        apr_size_t n;

        lineno++;
        hash = memchr(line, '#', (apr_size_t)(e - line));
        if (hash != NULL) {
            e = hash;
        }
        tok = line;
        while (tok < e && certauthz_is_blank((unsigned char)*tok)) {
            tok++;
        }
        tend = tok;
        while (tend < e && !certauthz_is_blank((unsigned char)*tend)) {
            tend++;
        }
        rest = tend;
        while (rest < e && certauthz_is_blank((unsigned char)*rest)) {
            rest++;
        }
        line = nl ? nl + 1 : end;
        if (tok == tend) {
            continue;
        }
        n = (apr_size_t)(tend - tok);
        if (rest < e) {
            const char *rend = e;

            while (certauthz_is_blank((unsigned char)rend[-1])) {
                rend--;
            }
            return apr_psprintf(p, "%s: line %u: unexpected '%s' after '%s' "
                                "(one serial or sha256: fingerprint per line)",
                                path, lineno,
                                certauthz_revtoken(p, rest,
                                                   (apr_size_t)(rend - rest)),
                                certauthz_revtoken(p, tok, n));
        }
        if (n >= 7 && strncasecmp(tok, "sha256:", 7) == 0) {
            unsigned char fp[32];
            const char *why = certauthz_fingerprint_parse_n(tok, n, fp);

            if (why != NULL) {
                return apr_psprintf(p, "%s: line %u: '%s' is not a SHA-256 "
                                    "fingerprint (sha256: and 64 hex digits): "
                                    "%s", path, lineno,
                                    certauthz_revtoken(p, tok, n), why);
            }
            if (certauthz_revbuild_add(b, CERTAUTHZ_REC_FINGERPRINT, 0, fp, 32)
                != 0) {
                return certauthz_rev_oom;
            }
            continue;
        }
        if ((err = add_serial(p, path, lineno, tok, n, &q)) != NULL) {
            return err;
        }
    }
    return add_pending(&q);
}

/* The database of `openssl ca`: status, expiry, revocation date[,reason],
 * serial, file name and subject, separated by tabs.  R lines are revoked;
 * V (valid) and E (expired) lines are checked for form and skipped. */
const char *certauthz_parse_index(apr_pool_t *p, const char *path,
                                  const char *buf, apr_size_t len,
                                  certauthz_revbuild_t *b)
{
    const char *line = buf, *end = buf + len;
    unsigned lineno = 0;
    pending_t q;

    pending_init(&q, b);
    b->format = CERTAUTHZ_FMT_INDEX;
    while (line < end) {
        const char *nl = memchr(line, '\n', (apr_size_t)(end - line));
        const char *e = nl ? nl : end, *f[4], *fe[4], *s, *t, *err;
        int nf = 0;

        lineno++;
        s = line;
        line = nl ? nl + 1 : end;
        if (e > s && e[-1] == '\r') {
            e--;
        }
        for (t = s; t < e && certauthz_is_blank((unsigned char)*t); t++) {
        }
        if (t == e) {
            continue;
        }
        while (nf < 4) {
            const char *tab = memchr(s, '\t', (apr_size_t)(e - s));

            f[nf] = s;
            fe[nf] = tab ? tab : e;
            nf++;
            if (tab == NULL) {
                break;
            }
            s = tab + 1;
        }
        if (nf < 4) {
            return apr_psprintf(p, "%s: line %u: '%s' is not an index.txt "
                                "line (status, expiry, revocation date, "
                                "serial, file, subject separated by tabs)",
                                path, lineno,
                                certauthz_revtoken(p, f[0],
                                                   (apr_size_t)(e - f[0])));
        }
        if (fe[0] - f[0] != 1
            || (f[0][0] != 'R' && f[0][0] != 'V' && f[0][0] != 'E')) {
            return apr_psprintf(p, "%s: line %u: '%s' is not an index.txt "
                                "status (R, V or E)", path, lineno,
                                certauthz_revtoken(p, f[0],
                                                   (apr_size_t)(fe[0] - f[0])));
        }
        /* V and E serials are checked too: a malformed line is a sign
         * of a damaged file, whatever its status. */
        err = add_serial(p, path, lineno, f[3], (apr_size_t)(fe[3] - f[3]),
                         f[0][0] == 'R' ? &q : NULL);
        if (err != NULL) {
            return err;
        }
    }
    return add_pending(&q);
}
