#include "revocation.h"
#include "hexid.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* ------------------------------------------------------------------ */
/* Memory for the large, short-lived build buffers                     */

/*
 * The build buffers of a million-entry list are tens of megabytes.  They are
 * taken straight from mmap and given back with munmap, not from malloc:
 * glibc raises its mmap threshold after such a free, so later large
 * allocations would stay in the heap of the parent, whose pages every child
 * then inherits.
 */
typedef struct {
    unsigned char *p;
    size_t len, cap;
} bigbuf_t;

static int bigbuf_reserve(bigbuf_t *b, size_t need)
{
    size_t cap;
    unsigned char *np;

    if (b->len + need <= b->cap) {
        return 0;
    }
    cap = b->cap ? b->cap : 65536;
    while (cap < b->len + need) {
        cap *= 2;
    }
    np = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
              -1, 0);
    if (np == MAP_FAILED) {
        return -1;
    }
    if (b->p != NULL) {
        memcpy(np, b->p, b->len);
        munmap(b->p, b->cap);
    }
    b->p = np;
    b->cap = cap;
    return 0;
}

static void bigbuf_free(bigbuf_t *b)
{
    if (b->p != NULL) {
        munmap(b->p, b->cap);
    }
    memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------------ */
/* The index: layout shared by the builder, the cache file and lookups */

#define IDX_MAGIC "CAZRIDX1"
#define IDX_VERSION 4

/* Record kinds in the arena. */
enum {
    REC_SERIAL = 1,         /* a serial revoked whatever the issuer */
    REC_SCOPED_SERIAL = 2,  /* a serial revoked for issuer number `scope` */
    REC_FINGERPRINT = 3,    /* a SHA-256 of one certificate's DER */
    REC_ISSUER = 4          /* a CRL issuer's name key; its scope field is
                             * the issuer number, not part of the key */
};

/* An arena record: kind, data length, scope (little-endian), data. */
#define REC_HDR 6
#define MAX_SERIAL 255

enum {
    FMT_LIST = 1,
    FMT_INDEX,
    FMT_CRL_PEM,
    FMT_CRL_DER
};

static const char *format_name(uint32_t f)
{
    switch (f) {
    case FMT_LIST:
        return "list";
    case FMT_INDEX:
        return "index";
    case FMT_CRL_PEM:
        return "crl-pem";
    case FMT_CRL_DER:
        return "crl-der";
    }
    return "unknown";
}

/* The identity of one version of a file. */
typedef struct {
    int ok;                 /* 0: stat failed with err */
    int err;
    uint64_t dev, ino, size;
    int64_t mtime_sec, mtime_nsec;
} filesig_t;

typedef struct {
    char magic[8];
    uint32_t version;
    uint32_t format;
    uint32_t nslots;        /* a power of two */
    uint32_t nissuers;
    uint64_t entries;       /* revocation entries (not issuer records) */
    uint64_t arena_size;
    uint64_t total_size;
    int64_t next_update_min;    /* seconds, 0 if no CRL has one */
    uint64_t sig[5];        /* dev, ino, size, mtime sec, mtime nsec */
    uint64_t kinds[5];      /* records of each kind: lookups of a kind the
                             * list does not hold are skipped */
} idx_header_t;

typedef struct {
    unsigned char key[32];
    int64_t next_update;    /* latest nextUpdate of this issuer's CRLs, 0 none */
} idx_issuer_t;

typedef struct {
    uint32_t tag;           /* high half of the hash */
    uint32_t off;           /* arena offset of the record, 0 when empty */
} idx_slot_t;

static uint64_t hash_key(unsigned kind, uint32_t scope,
                         const unsigned char *d, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)kind << 56) ^ n, w;
    size_t i = 0;

    if (kind == REC_ISSUER) {
        scope = 0;
    }
    h = (h ^ scope) * 0x100000001b3ULL;
    /* Eight bytes per multiplication: a fingerprint or an issuer key is
     * four steps, not thirty-two. */
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, d + i, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }
    for (w = 0; i < n; i++) {
        w = w << 8 | d[i];
    }
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    /* A final mix: the low bits pick the slot. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint32_t rec_scope(const unsigned char *rec)
{
    return (uint32_t)rec[2] | (uint32_t)rec[3] << 8 | (uint32_t)rec[4] << 16
           | (uint32_t)rec[5] << 24;
}

static int rec_is(const unsigned char *rec, unsigned kind, uint32_t scope,
                  const unsigned char *d, size_t n)
{
    return rec[0] == kind && rec[1] == n
           && (kind == REC_ISSUER || rec_scope(rec) == scope)
           && memcmp(rec + REC_HDR, d, n) == 0;
}

/* ------------------------------------------------------------------ */
/* Building an index                                                   */

typedef struct {
    bigbuf_t arena;
    bigbuf_t slots;         /* idx_slot_t[nslots] */
    uint32_t nslots;
    size_t nrecords;
    size_t entries;
    uint64_t kinds[5];
    idx_issuer_t *issuers;  /* malloc'd: one per CRL issuer, few */
    uint32_t nissuers, cap_issuers;
    int64_t next_update_min;
    uint32_t format;
} builder_t;

static int builder_init(builder_t *b, size_t expect)
{
    uint32_t n = 1024;

    memset(b, 0, sizeof(*b));
    /* At most half full, so that probe sequences stay short. */
    while (n < expect * 2 && n < (1U << 31)) {
        n *= 2;
    }
    /* Fresh anonymous mappings are zero: every slot starts empty.  The
     * arena is sized for short serials so that it rarely has to grow. */
    if (bigbuf_reserve(&b->slots, (size_t)n * sizeof(idx_slot_t)) != 0
        || bigbuf_reserve(&b->arena, 8 + expect * (REC_HDR + 8)) != 0) {
        return -1;
    }
    b->slots.len = (size_t)n * sizeof(idx_slot_t);
    b->nslots = n;
    /* Offset 0 marks an empty slot: no record starts there. */
    memset(b->arena.p, 0, 8);
    b->arena.len = 8;
    return 0;
}

static void builder_free(builder_t *b)
{
    bigbuf_free(&b->arena);
    bigbuf_free(&b->slots);
    free(b->issuers);
    b->issuers = NULL;
}

static void slot_put(idx_slot_t *slots, uint32_t nslots, uint64_t h,
                     uint32_t off)
{
    uint32_t i = (uint32_t)h & (nslots - 1);

    while (slots[i].off != 0) {
        i = (i + 1) & (nslots - 1);
    }
    slots[i].tag = (uint32_t)(h >> 32);
    slots[i].off = off;
}

static int builder_grow(builder_t *b)
{
    bigbuf_t nb = {0};
    uint32_t n = b->nslots * 2, i;
    const idx_slot_t *old = (const idx_slot_t *)b->slots.p;

    if (b->nslots >= (1U << 31)
        || bigbuf_reserve(&nb, (size_t)n * sizeof(idx_slot_t)) != 0) {
        return -1;
    }
    nb.len = (size_t)n * sizeof(idx_slot_t);
    for (i = 0; i < b->nslots; i++) {
        if (old[i].off != 0) {
            const unsigned char *rec = b->arena.p + old[i].off;

            slot_put((idx_slot_t *)nb.p, n,
                     hash_key(rec[0], rec_scope(rec), rec + REC_HDR, rec[1]),
                     old[i].off);
        }
    }
    bigbuf_free(&b->slots);
    b->slots = nb;
    b->nslots = n;
    return 0;
}

/* Add a record unless an equal one is there.  Returns the record's arena
 * offset, or 0 when memory ran out. */
static uint32_t builder_add(builder_t *b, unsigned kind, uint32_t scope,
                            const unsigned char *d, size_t n)
{
    uint64_t h;
    uint32_t i, off;
    idx_slot_t *slots;
    unsigned char *rec;

    if ((b->nrecords + 1) * 2 > b->nslots && builder_grow(b) != 0) {
        return 0;
    }
    h = hash_key(kind, scope, d, n);
    slots = (idx_slot_t *)b->slots.p;
    for (i = (uint32_t)h & (b->nslots - 1); slots[i].off != 0;
         i = (i + 1) & (b->nslots - 1)) {
        if (slots[i].tag == (uint32_t)(h >> 32)
            && rec_is(b->arena.p + slots[i].off, kind, scope, d, n)) {
            return slots[i].off;
        }
    }
    if (b->arena.len + REC_HDR + n > UINT32_MAX
        || bigbuf_reserve(&b->arena, REC_HDR + n) != 0) {
        return 0;
    }
    off = (uint32_t)b->arena.len;
    rec = b->arena.p + off;
    rec[0] = (unsigned char)kind;
    rec[1] = (unsigned char)n;
    rec[2] = (unsigned char)scope;
    rec[3] = (unsigned char)(scope >> 8);
    rec[4] = (unsigned char)(scope >> 16);
    rec[5] = (unsigned char)(scope >> 24);
    memcpy(rec + REC_HDR, d, n);
    b->arena.len += REC_HDR + n;
    slots[i].tag = (uint32_t)(h >> 32);
    slots[i].off = off;
    b->nrecords++;
    b->kinds[kind]++;
    if (kind != REC_ISSUER) {
        b->entries++;
    }
    return off;
}

/* The issuer number of a CRL issuer, created on first sight. */
static int builder_issuer(builder_t *b, const unsigned char key[32],
                          int64_t next_update, uint32_t *idx)
{
    uint32_t i;

    for (i = 0; i < b->nissuers; i++) {
        if (memcmp(b->issuers[i].key, key, 32) == 0) {
            /* Several CRLs of one issuer: the freshest decides whether its
             * certificates are judged on a stale list. */
            if (b->issuers[i].next_update != 0
                && (next_update == 0 || next_update > b->issuers[i].next_update)) {
                b->issuers[i].next_update = next_update;
            }
            *idx = i;
            return 0;
        }
    }
    if (b->nissuers == b->cap_issuers) {
        uint32_t cap = b->cap_issuers ? b->cap_issuers * 2 : 4;
        idx_issuer_t *n = realloc(b->issuers, cap * sizeof(*n));

        if (n == NULL) {
            return -1;
        }
        b->issuers = n;
        b->cap_issuers = cap;
    }
    memcpy(b->issuers[i].key, key, 32);
    b->issuers[i].next_update = next_update;
    b->nissuers++;
    *idx = i;
    return builder_add(b, REC_ISSUER, i, key, 32) ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Text formats                                                        */

/* A serial as cert-serial accepts it: hex digits, case, colons, a 0x prefix
 * and leading zeros ignored.  Fills out with the magnitude without leading
 * zero bytes (as certinfo's serial).  Returns -1 when s is not one. */
static int parse_serial(const char *s, size_t n, unsigned char *out,
                        size_t *outlen)
{
    size_t i, digits = 0, first;
    int seen = 0;

    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
    }
    first = n;  /* index of the first significant digit, n while none */
    for (i = 0; i < n; i++) {
        if (s[i] == ':') {
            continue;
        }
        if (certauthz_hexval((unsigned char)s[i]) < 0) {
            return -1;
        }
        seen = 1;
        if (first == n && s[i] != '0') {
            first = i;
        }
        if (first != n) {
            digits++;
        }
    }
    if (!seen || (digits + 1) / 2 > MAX_SERIAL) {
        return -1;
    }
    *outlen = (digits + 1) / 2;
    {
        size_t k = digits % 2 ? 1 : 0;  /* odd count: a leading half byte */

        memset(out, 0, *outlen);
        for (i = first; i < n; i++) {
            if (s[i] == ':') {
                continue;
            }
            out[k / 2] = (unsigned char)(out[k / 2] << 4
                                         | certauthz_hexval((unsigned char)s[i]));
            k++;
        }
    }
    return 0;
}

/* "sha256:" and 64 hex digits, case and colons ignored. */
static int parse_fingerprint(const char *s, size_t n, unsigned char out[32])
{
    size_t i, k = 0;

    if (n < 7 || strncasecmp(s, "sha256:", 7) != 0) {
        return -1;
    }
    for (i = 7; i < n; i++) {
        int v;

        if (s[i] == ':') {
            continue;
        }
        if ((v = certauthz_hexval((unsigned char)s[i])) < 0 || k >= 64) {
            return -1;
        }
        if (k % 2 == 0) {
            out[k / 2] = (unsigned char)(v << 4);
        }
        else {
            out[k / 2] |= (unsigned char)v;
        }
        k++;
    }
    return k == 64 ? 0 : -1;
}

/* A token quoted for an error message: printable, and short. */
static const char *token(apr_pool_t *p, const char *s, size_t n)
{
    char *out = apr_palloc(p, 4 * 64 + 4), *o = out;
    size_t i;

    for (i = 0; i < n && i < 64; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x20 && c < 0x7f && c != '\'') {
            *o++ = (char)c;
        }
        else {
            o += sprintf(o, "\\x%02x", c);
        }
    }
    if (n > 64) {
        memcpy(o, "...", 3);
        o += 3;
    }
    *o = '\0';
    return out;
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Returned by the parsers when memory runs out; load() names the file. */
static const char OOM[] = "out of memory";

/* strerror() is not thread-safe; reloads run in request threads. */
static const char *errstr(apr_pool_t *p, int err)
{
    char buf[120];

    return apr_pstrdup(p, apr_strerror(err, buf, sizeof(buf)));
}

/* The plain list: one serial or sha256: fingerprint per line. */
static const char *parse_list(apr_pool_t *p, const char *path,
                              const char *buf, size_t len, builder_t *b)
{
    const char *line = buf, *end = buf + len;
    unsigned lineno = 0;

    b->format = FMT_LIST;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *e = nl ? nl : end, *hash, *tok, *tend, *rest;
        unsigned char bytes[MAX_SERIAL];
        size_t blen;

        lineno++;
        hash = memchr(line, '#', (size_t)(e - line));
        if (hash != NULL) {
            e = hash;
        }
        tok = line;
        while (tok < e && is_blank((unsigned char)*tok)) {
            tok++;
        }
        tend = tok;
        while (tend < e && !is_blank((unsigned char)*tend)) {
            tend++;
        }
        rest = tend;
        while (rest < e && is_blank((unsigned char)*rest)) {
            rest++;
        }
        line = nl ? nl + 1 : end;
        if (tok == tend) {
            continue;
        }
        if (rest < e) {
            const char *rend = e;

            while (is_blank((unsigned char)rend[-1])) {
                rend--;
            }
            return apr_psprintf(p, "%s: line %u: unexpected '%s' after '%s' "
                                "(one serial or sha256: fingerprint per line)",
                                path, lineno,
                                token(p, rest, (size_t)(rend - rest)),
                                token(p, tok, (size_t)(tend - tok)));
        }
        if ((size_t)(tend - tok) >= 7 && strncasecmp(tok, "sha256:", 7) == 0) {
            if (parse_fingerprint(tok, (size_t)(tend - tok), bytes) != 0) {
                return apr_psprintf(p, "%s: line %u: '%s' is not a SHA-256 "
                                    "fingerprint (sha256: and 64 hex digits)",
                                    path, lineno,
                                    token(p, tok, (size_t)(tend - tok)));
            }
            if (!builder_add(b, REC_FINGERPRINT, 0, bytes, 32)) {
                return OOM;
            }
            continue;
        }
        if (parse_serial(tok, (size_t)(tend - tok), bytes, &blen) != 0) {
            return apr_psprintf(p, "%s: line %u: '%s' is not a hex serial",
                                path, lineno,
                                token(p, tok, (size_t)(tend - tok)));
        }
        if (!builder_add(b, REC_SERIAL, 0, bytes, blen)) {
            return OOM;
        }
    }
    return NULL;
}

/* The database of `openssl ca`: status, expiry, revocation date[,reason],
 * serial, file name and subject, separated by tabs.  R lines are revoked;
 * V (valid) and E (expired) lines are checked for form and skipped. */
static const char *parse_index(apr_pool_t *p, const char *path,
                               const char *buf, size_t len, builder_t *b)
{
    const char *line = buf, *end = buf + len;
    unsigned lineno = 0;

    b->format = FMT_INDEX;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *e = nl ? nl : end, *f[4], *fe[4], *s;
        unsigned char bytes[MAX_SERIAL];
        size_t blen;
        int nf = 0;

        lineno++;
        s = line;
        line = nl ? nl + 1 : end;
        if (e > s && e[-1] == '\r') {
            e--;
        }
        {
            const char *t = s;

            while (t < e && is_blank((unsigned char)*t)) {
                t++;
            }
            if (t == e) {
                continue;
            }
        }
        while (nf < 4) {
            const char *tab = memchr(s, '\t', (size_t)(e - s));

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
                                token(p, f[0], (size_t)(e - f[0])));
        }
        if (fe[0] - f[0] != 1 || (f[0][0] != 'R' && f[0][0] != 'V'
                                  && f[0][0] != 'E')) {
            return apr_psprintf(p, "%s: line %u: '%s' is not an index.txt "
                                "status (R, V or E)", path, lineno,
                                token(p, f[0], (size_t)(fe[0] - f[0])));
        }
        if (parse_serial(f[3], (size_t)(fe[3] - f[3]), bytes, &blen) != 0) {
            return apr_psprintf(p, "%s: line %u: '%s' is not a hex serial",
                                path, lineno,
                                token(p, f[3], (size_t)(fe[3] - f[3])));
        }
        if (f[0][0] == 'R' && !builder_add(b, REC_SERIAL, 0, bytes, blen)) {
            return OOM;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* CRLs                                                                */

/*
 * The revoked list of a CRL is read with a small DER walker rather than
 * d2i_X509_CRL: OpenSSL builds a structure of several allocations per entry
 * and sorts them, which for a million entries takes seconds and hundreds of
 * megabytes.  Only the fields we use are decoded, every length is checked
 * against its container, and anything unexpected is an error.  Signature
 * verification (CertAuthzCRLVerifyCA) still hands the whole CRL to OpenSSL.
 */
typedef struct {
    const unsigned char *p, *end;
} der_t;

typedef struct {
    unsigned tag;
    const unsigned char *tlv;   /* start of the element */
    const unsigned char *val;
    size_t len;                 /* of val */
    size_t tlv_len;
} der_elem_t;

static int der_peek_tag(const der_t *d)
{
    return d->p < d->end ? *d->p : -1;
}

static int der_next(der_t *d, der_elem_t *e)
{
    const unsigned char *q = d->p;
    size_t len, n, i;

    if (d->end - q < 2) {
        return -1;
    }
    e->tlv = q;
    e->tag = *q++;
    if ((e->tag & 0x1f) == 0x1f) {
        return -1;  /* high tag numbers occur nowhere in a CRL */
    }
    len = *q++;
    if (len & 0x80) {
        n = len & 0x7f;
        if (n == 0 || n > 4 || (size_t)(d->end - q) < n) {
            return -1;  /* indefinite or absurd lengths are not DER */
        }
        for (len = 0, i = 0; i < n; i++) {
            len = len << 8 | *q++;
        }
    }
    if ((size_t)(d->end - q) < len) {
        return -1;
    }
    e->val = q;
    e->len = len;
    e->tlv_len = (size_t)(q + len - e->tlv);
    d->p = q + len;
    return 0;
}

static int der_time(const der_elem_t *e, int64_t *out)
{
    const unsigned char *q = e->tlv;
    ASN1_TIME *t = d2i_ASN1_TIME(NULL, &q, (long)e->tlv_len);
    struct tm tm;
    int ok;

    if (t == NULL) {
        return -1;
    }
    ok = ASN1_TIME_to_tm(t, &tm);
    ASN1_TIME_free(t);
    if (!ok) {
        return -1;
    }
    *out = (int64_t)timegm(&tm);
    return 0;
}

/* The serial magnitude of a DER INTEGER's content: without sign padding or
 * leading zeros.  A negative serial (not allowed by RFC 5280, accepted by
 * OpenSSL) is turned into its magnitude, as certinfo does. */
static int der_serial(const der_elem_t *e, unsigned char *out, size_t *outlen)
{
    const unsigned char *v = e->val;
    size_t n = e->len, i;

    if (e->tag != 0x02 || n == 0) {
        return -1;
    }
    if (v[0] & 0x80) {
        unsigned carry = 1;

        if (n > MAX_SERIAL) {
            return -1;
        }
        for (i = n; i-- > 0;) {
            unsigned x = (unsigned)(unsigned char)~v[i] + carry;

            out[i] = (unsigned char)x;
            carry = x >> 8;
        }
        v = out;
    }
    while (n > 0 && v[0] == 0) {
        v++;
        n--;
    }
    if (n > MAX_SERIAL) {
        return -1;
    }
    memmove(out, v, n);
    *outlen = n;
    return 0;
}

/* Add one CRL (its DER) to the builder; `what` names it in errors. */
static const char *add_crl(apr_pool_t *p, const char *what,
                           const unsigned char *der, size_t len, builder_t *b)
{
    der_t top = {der, der + len}, crl, tbs, list;
    der_elem_t e, issuer;
    int64_t this_update, next_update = 0;
    unsigned char key[32], bytes[MAX_SERIAL];
    size_t blen;
    uint32_t scope;

#define BAD(why) apr_psprintf(p, "%s: %s", what, why)
    if (der_next(&top, &e) != 0 || e.tag != 0x30 || top.p != top.end) {
        return BAD("not a DER CRL (truncated, or trailing data)");
    }
    crl.p = e.val;
    crl.end = e.val + e.len;
    if (der_next(&crl, &e) != 0 || e.tag != 0x30) {
        return BAD("malformed CRL: no tbsCertList");
    }
    tbs.p = e.val;
    tbs.end = e.val + e.len;
    if (der_next(&crl, &e) != 0 || e.tag != 0x30 || der_next(&crl, &e) != 0
        || e.tag != 0x03 || crl.p != crl.end) {
        return BAD("malformed CRL: bad signature fields");
    }
    if (der_peek_tag(&tbs) == 0x02 && der_next(&tbs, &e) != 0) {
        return BAD("malformed CRL: bad version");
    }
    if (der_next(&tbs, &e) != 0 || e.tag != 0x30
        || der_next(&tbs, &issuer) != 0 || issuer.tag != 0x30) {
        return BAD("malformed CRL: bad signature algorithm or issuer");
    }
    if (der_next(&tbs, &e) != 0 || der_time(&e, &this_update) != 0) {
        return BAD("malformed CRL: bad thisUpdate");
    }
    if (der_peek_tag(&tbs) == 0x17 || der_peek_tag(&tbs) == 0x18) {
        if (der_next(&tbs, &e) != 0 || der_time(&e, &next_update) != 0) {
            return BAD("malformed CRL: bad nextUpdate");
        }
    }
    if (certauthz_name_key_der(issuer.tlv, issuer.tlv_len, key) != 0) {
        return BAD("malformed CRL: bad issuer name");
    }
    if (builder_issuer(b, key, next_update, &scope) != 0) {
        return OOM;
    }
    if (next_update != 0
        && (b->next_update_min == 0 || next_update < b->next_update_min)) {
        b->next_update_min = next_update;
    }
    if (der_peek_tag(&tbs) == 0x30) {
        if (der_next(&tbs, &e) != 0) {
            return BAD("malformed CRL: bad revokedCertificates");
        }
        list.p = e.val;
        list.end = e.val + e.len;
        while (list.p < list.end) {
            der_t entry;

            if (der_next(&list, &e) != 0 || e.tag != 0x30) {
                return BAD("malformed CRL: bad revoked entry");
            }
            entry.p = e.val;
            entry.end = e.val + e.len;
            if (der_next(&entry, &e) != 0 || der_serial(&e, bytes, &blen) != 0) {
                return BAD("malformed CRL: bad serial in a revoked entry");
            }
            if (!builder_add(b, REC_SCOPED_SERIAL, scope, bytes, blen)) {
                return OOM;
            }
        }
    }
    if (der_peek_tag(&tbs) == 0xa0 && der_next(&tbs, &e) != 0) {
        return BAD("malformed CRL: bad extensions");
    }
    if (tbs.p != tbs.end) {
        return BAD("malformed CRL: unexpected data in tbsCertList");
    }
#undef BAD
    return NULL;
}

/* CA certificates for CertAuthzCRLVerifyCA. */
static const char *read_cas(apr_pool_t *p, const char *file,
                            STACK_OF(X509) **out)
{
    BIO *bio = BIO_new_file(file, "r");
    STACK_OF(X509) *cas;
    X509 *x;

    if (bio == NULL) {
        return apr_psprintf(p, "CertAuthzCRLVerifyCA %s: cannot read: %s",
                            file, errstr(p, errno));
    }
    cas = sk_X509_new_null();
    while (cas && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        sk_X509_push(cas, x);
    }
    BIO_free(bio);
    if (cas == NULL || sk_X509_num(cas) == 0) {
        sk_X509_pop_free(cas, X509_free);
        return apr_psprintf(p, "CertAuthzCRLVerifyCA %s: no PEM certificate "
                            "in the file", file);
    }
    *out = cas;
    return NULL;
}

static const char *verify_crl(apr_pool_t *p, const char *what,
                              const unsigned char *der, size_t len,
                              const char *ca_file, STACK_OF(X509) *cas)
{
    const unsigned char *q = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &q, (long)len);
    const X509_NAME *issuer;
    int i, named = 0, ok = 0;
    char dn[256];

    if (crl == NULL) {
        return apr_psprintf(p, "%s: OpenSSL cannot parse the CRL", what);
    }
    issuer = X509_CRL_get_issuer(crl);
    for (i = 0; i < sk_X509_num(cas) && !ok; i++) {
        X509 *ca = sk_X509_value(cas, i);

        if (X509_NAME_cmp(X509_get_subject_name(ca), issuer) == 0) {
            named = 1;
            ok = X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1;
        }
    }
    X509_NAME_oneline(issuer, dn, sizeof(dn));
    X509_CRL_free(crl);
    if (!named) {
        return apr_psprintf(p, "%s: no certificate in CertAuthzCRLVerifyCA %s "
                            "is the CRL's issuer %s", what, ca_file, dn);
    }
    if (!ok) {
        return apr_psprintf(p, "%s: the CRL's signature does not verify "
                            "against its issuer %s in CertAuthzCRLVerifyCA %s",
                            what, dn, ca_file);
    }
    return NULL;
}

/* One or more PEM CRLs, with any text around them (as `openssl crl -text`
 * writes). */
static const char *parse_pem(apr_pool_t *p, const char *path,
                             const char *buf, size_t len, builder_t *b,
                             const char *ca_file, STACK_OF(X509) *cas)
{
    static const char begin[] = "-----BEGIN ", end_crl[] = "-----END X509 CRL-----";
    const char *s = buf, *end = buf + len;
    unsigned ncrl = 0;

    b->format = FMT_CRL_PEM;
    for (;;) {
        const char *blk = NULL, *q, *label_end, *body, *stop;
        unsigned lineno = 1;
        bigbuf_t der = {0};
        EVP_ENCODE_CTX *ctx;
        int outl = 0, fin = 0;
        const char *err;

        /* The next "-----BEGIN " at the start of a line. */
        for (q = s; q < end; q++) {
            if ((q == buf || q[-1] == '\n')
                && (size_t)(end - q) >= sizeof(begin) - 1
                && memcmp(q, begin, sizeof(begin) - 1) == 0) {
                blk = q;
                break;
            }
        }
        if (blk == NULL) {
            break;
        }
        for (q = buf; q < blk; q++) {
            lineno += *q == '\n';
        }
        ncrl++;
        label_end = memchr(blk, '\n', (size_t)(end - blk));
        if (label_end == NULL || (size_t)(label_end - blk) < 24
            || memcmp(blk, "-----BEGIN X509 CRL-----", 24) != 0) {
            const char *le = label_end ? label_end : end;

            return apr_psprintf(p, "%s: line %u: '%s' does not begin a CRL "
                                "(-----BEGIN X509 CRL-----)", path, lineno,
                                token(p, blk, (size_t)(le - blk)));
        }
        body = label_end + 1;
        stop = NULL;
        for (q = body; q + sizeof(end_crl) - 1 <= end; q++) {
            if (memcmp(q, end_crl, sizeof(end_crl) - 1) == 0) {
                stop = q;
                break;
            }
        }
        if (stop == NULL) {
            return apr_psprintf(p, "%s: line %u: the PEM CRL has no "
                                "-----END X509 CRL----- (truncated file?)",
                                path, lineno);
        }
        if (bigbuf_reserve(&der, (size_t)(stop - body) / 4 * 3 + 80) != 0
            || (ctx = EVP_ENCODE_CTX_new()) == NULL) {
            bigbuf_free(&der);
            return OOM;
        }
        EVP_DecodeInit(ctx);
        if (EVP_DecodeUpdate(ctx, der.p, &outl, (const unsigned char *)body,
                             (int)(stop - body)) < 0
            || EVP_DecodeFinal(ctx, der.p + outl, &fin) < 0) {
            EVP_ENCODE_CTX_free(ctx);
            bigbuf_free(&der);
            return apr_psprintf(p, "%s: line %u: bad base64 in the PEM CRL",
                                path, lineno);
        }
        EVP_ENCODE_CTX_free(ctx);
        der.len = (size_t)outl + (size_t)fin;
        {
            const char *what = apr_psprintf(p, "%s: line %u", path, lineno);

            err = add_crl(p, what, der.p, der.len, b);
            if (err == NULL && cas != NULL) {
                err = verify_crl(p, what, der.p, der.len, ca_file, cas);
            }
        }
        bigbuf_free(&der);
        if (err != NULL) {
            return err;
        }
        s = stop + sizeof(end_crl) - 1;
    }
    if (ncrl == 0) {
        return apr_psprintf(p, "%s: no PEM CRL in the file", path);
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Lists: a mapped index                                               */

struct certauthz_revlist {
    uint32_t refs;              /* __atomic */
    uint32_t stale_warned;      /* __atomic: the stale warning was logged */
    void *map;
    size_t map_len;
    const idx_header_t *hdr;
    const idx_issuer_t *issuers;
    const idx_slot_t *slots;
    const unsigned char *arena;
    char *index_path;           /* malloc'd; NULL for anonymous memory */
    filesig_t sig;              /* of the source file */
    apr_time_t loaded;
};

static size_t slots_offset(uint32_t nissuers)
{
    return sizeof(idx_header_t) + (size_t)nissuers * sizeof(idx_issuer_t);
}

/* Check that a mapped index is consistent before trusting its offsets. */
static certauthz_revlist_t *list_from_map(void *map, size_t len,
                                          const filesig_t *sig)
{
    const idx_header_t *h = map;
    certauthz_revlist_t *l;
    size_t so;

    if (len < sizeof(*h) || memcmp(h->magic, IDX_MAGIC, 8) != 0
        || h->version != IDX_VERSION || h->total_size != len
        || h->nslots == 0 || (h->nslots & (h->nslots - 1)) != 0
        || h->nissuers > len / sizeof(idx_issuer_t)) {
        return NULL;
    }
    so = slots_offset(h->nissuers);
    if (so + (size_t)h->nslots * sizeof(idx_slot_t) + h->arena_size != len
        || h->arena_size > UINT32_MAX) {
        return NULL;
    }
    if (sig != NULL && (h->sig[0] != sig->dev || h->sig[1] != sig->ino
                        || h->sig[2] != sig->size
                        || (int64_t)h->sig[3] != sig->mtime_sec
                        || (int64_t)h->sig[4] != sig->mtime_nsec)) {
        return NULL;
    }
    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return NULL;
    }
    l->refs = 1;
    l->map = map;
    l->map_len = len;
    l->hdr = h;
    l->issuers = (const idx_issuer_t *)((const char *)map + sizeof(*h));
    l->slots = (const idx_slot_t *)((const char *)map + so);
    l->arena = (const unsigned char *)(l->slots + h->nslots);
    l->loaded = apr_time_now();
    return l;
}

static const unsigned char *list_lookup(const certauthz_revlist_t *l,
                                        unsigned kind, uint32_t scope,
                                        const unsigned char *d, size_t n)
{
    uint64_t h = hash_key(kind, scope, d, n);
    uint32_t mask = l->hdr->nslots - 1, i = (uint32_t)h & mask, probes;

    for (probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
        const idx_slot_t *s = &l->slots[i];

        if (s->off == 0) {
            return NULL;
        }
        if (s->tag == (uint32_t)(h >> 32)
            && (uint64_t)s->off + REC_HDR + n <= l->hdr->arena_size
            && rec_is(l->arena + s->off, kind, scope, d, n)) {
            return l->arena + s->off;
        }
    }
    return NULL;
}

certauthz_reason_e certauthz_revlist_check(const certauthz_revlist_t *l,
                                           const certauthz_cert_t *cert,
                                           apr_time_t now, int stale_deny)
{
    const unsigned char *rec;

    if (cert->serial_len > MAX_SERIAL) {
        /* Longer than any entry can be: on no list. */
        return CERTAUTHZ_REASON_OK;
    }
    if ((l->hdr->kinds[REC_FINGERPRINT]
         && list_lookup(l, REC_FINGERPRINT, 0, cert->sha256, 32))
        || (l->hdr->kinds[REC_SERIAL]
            && list_lookup(l, REC_SERIAL, 0, cert->serial,
                           cert->serial_len))) {
        return CERTAUTHZ_REASON_REVOKED;
    }
    rec = l->hdr->nissuers
              ? list_lookup(l, REC_ISSUER, 0, cert->issuer_key, 32)
              : NULL;
    if (rec != NULL && rec_scope(rec) < l->hdr->nissuers) {
        uint32_t scope = rec_scope(rec);
        int64_t next = l->issuers[scope].next_update;

        if (list_lookup(l, REC_SCOPED_SERIAL, scope, cert->serial,
                        cert->serial_len)) {
            return CERTAUTHZ_REASON_REVOKED;
        }
        if (stale_deny && next != 0 && apr_time_sec(now) > next) {
            return CERTAUTHZ_REASON_CRL_STALE;
        }
    }
    return CERTAUTHZ_REASON_OK;
}

apr_size_t certauthz_revlist_entries(const certauthz_revlist_t *l)
{
    return (apr_size_t)l->hdr->entries;
}

const char *certauthz_revlist_format(const certauthz_revlist_t *l)
{
    return format_name(l->hdr->format);
}

int certauthz_revlist_is_file_backed(const certauthz_revlist_t *l)
{
    return l->index_path != NULL;
}

void certauthz_revlist_ref(certauthz_revlist_t *l)
{
    __atomic_add_fetch(&l->refs, 1, __ATOMIC_RELAXED);
}

void certauthz_revlist_release(certauthz_revlist_t *l)
{
    if (l != NULL && __atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        munmap(l->map, l->map_len);
        free(l->index_path);
        free(l);
    }
}

/* ------------------------------------------------------------------ */
/* Loading a file                                                      */

static void sig_of(const struct stat *st, filesig_t *sig)
{
    memset(sig, 0, sizeof(*sig));
    sig->ok = 1;
    sig->dev = (uint64_t)st->st_dev;
    sig->ino = (uint64_t)st->st_ino;
    sig->size = (uint64_t)st->st_size;
    sig->mtime_sec = (int64_t)st->st_mtim.tv_sec;
    sig->mtime_nsec = (int64_t)st->st_mtim.tv_nsec;
}

static int sig_same(const filesig_t *a, const filesig_t *b)
{
    if (a->ok != b->ok) {
        return 0;
    }
    if (!a->ok) {
        return a->err == b->err;
    }
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size
           && a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec;
}

static apr_time_t sig_mtime(const filesig_t *sig)
{
    return apr_time_from_sec(sig->mtime_sec) + sig->mtime_nsec / 1000;
}

/* The cache file of one version of a source: a digest of everything the
 * index depends on.  Without sig: the source's pointer file (below). */
static char *index_name(const char *dir, const char *path,
                        const certauthz_revopts_t *opts, const filesig_t *sig)
{
    unsigned char md[32];
    char hex[33], *out;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint64_t v[6];
    struct stat st;
    int i;

    memset(v, 0, sizeof(v));
    v[0] = IDX_VERSION;
    if (sig != NULL) {
        v[1] = sig->dev;
        v[2] = sig->ino;
        v[3] = sig->size;
        v[4] = (uint64_t)sig->mtime_sec;
        v[5] = (uint64_t)sig->mtime_nsec;
    }
    if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    EVP_DigestUpdate(ctx, v, sizeof(v));
    EVP_DigestUpdate(ctx, path, strlen(path) + 1);
    if (opts->verify_ca != NULL) {
        filesig_t cs;

        /* A CRL verified against one CA file is not verified against
         * another, nor against a changed one. */
        EVP_DigestUpdate(ctx, opts->verify_ca, strlen(opts->verify_ca) + 1);
        if (stat(opts->verify_ca, &st) == 0) {
            sig_of(&st, &cs);
            EVP_DigestUpdate(ctx, &cs, sizeof(cs));
        }
    }
    EVP_DigestFinal_ex(ctx, md, NULL);
    EVP_MD_CTX_free(ctx);
    for (i = 0; i < 16; i++) {
        sprintf(hex + 2 * i, "%02x", md[i]);
    }
    out = malloc(strlen(dir) + sizeof("/rev-.idx") + 32);
    if (out != NULL) {
        sprintf(out, sig ? "%s/rev-%s.idx" : "%s/src-%s.cur", dir, hex);
    }
    return out;
}

static certauthz_revlist_t *map_cached(const char *name, const filesig_t *sig)
{
    int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    void *map;
    certauthz_revlist_t *l = NULL;

    if (fd < 0) {
        return NULL;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (map != MAP_FAILED) {
            l = list_from_map(map, (size_t)st.st_size, sig);
            if (l == NULL) {
                munmap(map, (size_t)st.st_size);
            }
        }
    }
    close(fd);
    return l;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *q = buf;

    while (n > 0) {
        ssize_t w = write(fd, q, n);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        q += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Turn a finished builder into a list: written to the cache directory and
 * mapped from there, or copied to anonymous memory when that fails. */
static certauthz_revlist_t *publish(builder_t *b, const filesig_t *sig,
                                    char *name)
{
    idx_header_t h;
    size_t pad_issuers = (size_t)b->nissuers * sizeof(idx_issuer_t);
    size_t slots_len = (size_t)b->nslots * sizeof(idx_slot_t);
    size_t total = sizeof(h) + pad_issuers + slots_len + b->arena.len;
    certauthz_revlist_t *l;
    void *map;

    memset(&h, 0, sizeof(h));
    memcpy(h.magic, IDX_MAGIC, 8);
    h.version = IDX_VERSION;
    h.format = b->format;
    h.nslots = b->nslots;
    h.nissuers = b->nissuers;
    h.entries = b->entries;
    h.arena_size = b->arena.len;
    h.total_size = total;
    h.next_update_min = b->next_update_min;
    h.sig[0] = sig->dev;
    h.sig[1] = sig->ino;
    h.sig[2] = sig->size;
    h.sig[3] = (uint64_t)sig->mtime_sec;
    h.sig[4] = (uint64_t)sig->mtime_nsec;
    memcpy(h.kinds, b->kinds, sizeof(h.kinds));

    if (name != NULL) {
        char *tmp = malloc(strlen(name) + 8);
        int fd = -1;

        if (tmp != NULL) {
            sprintf(tmp, "%s.XXXXXX", name);
            fd = mkstemp(tmp);
        }
        if (fd >= 0) {
            /* Another process renaming the same version in meanwhile
             * writes the same bytes, so either file is right. */
            if (fchmod(fd, 0644) == 0 && write_all(fd, &h, sizeof(h)) == 0
                && (pad_issuers == 0
                    || write_all(fd, b->issuers, pad_issuers) == 0)
                && write_all(fd, b->slots.p, slots_len) == 0
                && write_all(fd, b->arena.p, b->arena.len) == 0
                && rename(tmp, name) == 0) {
                map = mmap(NULL, total, PROT_READ, MAP_SHARED, fd, 0);
                close(fd);
                free(tmp);
                if (map != MAP_FAILED
                    && (l = list_from_map(map, total, sig)) != NULL) {
                    l->index_path = name;
                    return l;
                }
                if (map != MAP_FAILED) {
                    munmap(map, total);
                }
                free(name);
                return NULL;
            }
            close(fd);
            unlink(tmp);
        }
        free(tmp);
        free(name);
    }
    map = mmap(NULL, total, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        return NULL;
    }
    memcpy(map, &h, sizeof(h));
    if (pad_issuers > 0) {
        memcpy((char *)map + sizeof(h), b->issuers, pad_issuers);
    }
    memcpy((char *)map + sizeof(h) + pad_issuers, b->slots.p, slots_len);
    memcpy((char *)map + sizeof(h) + pad_issuers + slots_len, b->arena.p,
           b->arena.len);
    mprotect(map, total, PROT_READ);
    l = list_from_map(map, total, sig);
    if (l == NULL) {
        munmap(map, total);
    }
    return l;
}

static size_t count_lines(const char *buf, size_t len)
{
    size_t n = 1;
    const char *q = buf, *end = buf + len;

    while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
        n++;
        q++;
    }
    return n;
}

static int looks_pem(const char *buf, size_t len)
{
    const char *q;

    for (q = buf; q + 11 <= buf + len; q++) {
        if ((q == buf || q[-1] == '\n') && memcmp(q, "-----BEGIN ", 11) == 0) {
            return 1;
        }
        q = memchr(q, '\n', (size_t)(buf + len - q));
        if (q == NULL) {
            break;
        }
    }
    return 0;
}

static int looks_index(const char *buf, size_t len)
{
    const char *q = buf, *end = buf + len;

    while (q < end && (*q == '\n' || is_blank((unsigned char)*q))) {
        q++;
    }
    return end - q >= 2 && (*q == 'R' || *q == 'V' || *q == 'E')
           && q[1] == '\t';
}

/* retry is set when the file changed while it was read: not an error of the
 * file, try again later. */
static const char *load(apr_pool_t *p, const char *path,
                        const certauthz_revopts_t *opts,
                        certauthz_revlist_t **out, int *retry)
{
    int fd;
    struct stat st, st2;
    filesig_t sig, sig2;
    bigbuf_t data = {0};
    builder_t b;
    const char *err = NULL;
    char *name = NULL;
    STACK_OF(X509) *cas = NULL;
    certauthz_revlist_t *l;

    *retry = 0;
    /* O_NONBLOCK: opening a FIFO (or a device) without it waits for a
     * writer forever, before fstat could refuse it; for the regular files
     * accepted below it changes nothing. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return apr_psprintf(p, "%s: cannot open: %s", path, errstr(p, errno));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return apr_psprintf(p, "%s: not a regular file", path);
    }
    sig_of(&st, &sig);
    if (opts->cache_dir != NULL) {
        name = index_name(opts->cache_dir, path, opts, &sig);
        if (name != NULL && (l = map_cached(name, &sig)) != NULL) {
            close(fd);
            l->index_path = name;
            l->sig = sig;
            *out = l;
            return NULL;
        }
    }
    /* Room for the whole file and a read() that finds its end. */
    if (bigbuf_reserve(&data, (size_t)st.st_size + 4096) != 0) {
        close(fd);
        free(name);
        return OOM;
    }
    for (;;) {
        ssize_t r;

        if (bigbuf_reserve(&data, 4096) != 0) {
            err = OOM;
            break;
        }
        r = read(fd, data.p + data.len, data.cap - data.len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            err = apr_psprintf(p, "%s: cannot read: %s", path, errstr(p, errno));
            break;
        }
        if (r == 0) {
            break;
        }
        data.len += (size_t)r;
    }
    if (err == NULL && fstat(fd, &st2) == 0) {
        sig_of(&st2, &sig2);
        if (!sig_same(&sig, &sig2) || data.len != sig.size) {
            *retry = 1;
            err = apr_psprintf(p, "%s: the file changed while it was read",
                               path);
        }
    }
    close(fd);
    if (err == NULL && opts->verify_ca != NULL) {
        err = read_cas(p, opts->verify_ca, &cas);
    }
    if (err == NULL) {
        const char *buf = (const char *)data.p;
        int der = data.len >= 2 && data.p[0] == 0x30 && data.p[1] >= 0x81
                  && data.p[1] <= 0x84;
        int pem = !der && looks_pem(buf, data.len);
        /* Entries expected: a CRL entry takes at least about 24 bytes of
         * DER, 32 of base64. */
        size_t expect = der   ? data.len / 24
                        : pem ? data.len / 32
                              : count_lines(buf, data.len);

        if (builder_init(&b, expect) != 0) {
            err = OOM;
        }
        else {
            if (der) {
                b.format = FMT_CRL_DER;
                err = add_crl(p, path, data.p, data.len, &b);
                if (err == NULL && cas != NULL) {
                    err = verify_crl(p, path, data.p, data.len,
                                     opts->verify_ca, cas);
                }
            }
            else if (pem) {
                err = parse_pem(p, path, buf, data.len, &b, opts->verify_ca,
                                cas);
            }
            else if (looks_index(buf, data.len)) {
                err = parse_index(p, path, buf, data.len, &b);
            }
            else {
                err = parse_list(p, path, buf, data.len, &b);
            }
            bigbuf_free(&data);
            if (err == NULL) {
                l = publish(&b, &sig, name);
                name = NULL;
                if (l == NULL) {
                    err = OOM;
                }
                else {
                    l->sig = sig;
                    *out = l;
                }
            }
            builder_free(&b);
        }
    }
    bigbuf_free(&data);
    sk_X509_pop_free(cas, X509_free);
    free(name);
    if (err == OOM) {
        err = apr_psprintf(p, "%s: out of memory while loading", path);
    }
    return err;
}

const char *certauthz_revlist_load(apr_pool_t *p, const char *path,
                                   const certauthz_revopts_t *opts,
                                   certauthz_revlist_t **out)
{
    int retry;

    return load(p, path, opts, out, &retry);
}

/* ------------------------------------------------------------------ */
/* Sources: the current list of a file, replaced when the file changes */

struct certauthz_revsrc {
    const char *path;
    certauthz_revopts_t opts;
    /* cache_dir/src-<digest>.cur: the index of the version of this file
     * most recently loaded by any process, or NULL without a cache. */
    const char *pointer;
    /* Guards current, next_check, checking and the error fields.  Only the
     * thread that set `checking` reads the file or touches `failed`.
     * next_check and generation are also read without it (atomically, by
     * certauthz_revsrc_unchanged), so they are written atomically too. */
    apr_thread_mutex_t *mutex;
    certauthz_revlist_t *current;
    apr_time_t next_check;
    apr_uint64_t generation;    /* bumped each time current is replaced */
    int checking;
    filesig_t failed;           /* the version that failed, reported once */
    char last_error[1024];      /* "" when the last check succeeded */
};

static apr_status_t src_cleanup(void *data)
{
    certauthz_revsrc_t *src = data;

    certauthz_revlist_release(src->current);
    src->current = NULL;
    return APR_SUCCESS;
}

static void logf_(certauthz_revlog_fn *log, void *baton,
                  certauthz_revlog_e level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void logf_(certauthz_revlog_fn *log, void *baton,
                  certauthz_revlog_e level, const char *fmt, ...)
{
    char msg[1400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log(baton, level, msg);
}

static void fail(certauthz_revsrc_t *src, const filesig_t *sig,
                 const char *err, certauthz_revlog_fn *log, void *baton)
{
    certauthz_revlist_t *cur = src->current;   /* stable: we are the checker */
    char when[APR_RFC822_DATE_LEN];

    apr_rfc822_date(when, cur->loaded);
    src->failed = *sig;
    apr_thread_mutex_lock(src->mutex);
    apr_cpystrn(src->last_error, err, sizeof(src->last_error));
    apr_thread_mutex_unlock(src->mutex);
    logf_(log, baton, CERTAUTHZ_REVLOG_ERROR,
          "%s; keeping the last good list (%" APR_SIZE_T_FMT
          " entries, loaded %s)", err, certauthz_revlist_entries(cur), when);
}

/* Once per list and process: a list loaded before the fork is warned about
 * by the parent only, as its flag is inherited. */
static void warn_if_stale(certauthz_revsrc_t *src, certauthz_revlist_t *l,
                          apr_time_t now, certauthz_revlog_fn *log,
                          void *baton)
{
    int64_t next = l->hdr->next_update_min;

    if (next != 0 && apr_time_sec(now) > next
        && !__atomic_exchange_n(&l->stale_warned, 1, __ATOMIC_RELAXED)) {
        char when[APR_RFC822_DATE_LEN];

        apr_rfc822_date(when, apr_time_from_sec(next));
        logf_(log, baton, CERTAUTHZ_REVLOG_WARN,
              "%s: a CRL is past its nextUpdate (%s); its entries are still "
              "enforced; publish a fresh CRL", src->path, when);
    }
}

/*
 * The last good version, shared between processes.
 *
 * Each process checks the file on its own schedule, so without this a
 * process that was idle while a good version came and went would, on
 * finding garbage (or a file still being written), keep an older list than
 * its siblings.  Every successful load therefore names its index in the
 * source's pointer file, and a process that cannot load the file as it is
 * now adopts the version named there: the last good list is the machine's,
 * not the process's.
 */
static void publish_pointer(certauthz_revsrc_t *src, certauthz_revlist_t *l)
{
    char *tmp;
    int fd;

    if (src->pointer == NULL || l->index_path == NULL) {
        return;
    }
    tmp = malloc(strlen(src->pointer) + 8);
    if (tmp == NULL) {
        return;
    }
    sprintf(tmp, "%s.XXXXXX", src->pointer);
    fd = mkstemp(tmp);
    if (fd >= 0) {
        if (fchmod(fd, 0644) != 0
            || write_all(fd, l->index_path, strlen(l->index_path)) != 0
            || close(fd) != 0 || rename(tmp, src->pointer) != 0) {
            unlink(tmp);
        }
    }
    free(tmp);
}

/* The list the pointer names, when it is not the one we hold. */
static certauthz_revlist_t *adopt_pointer(certauthz_revsrc_t *src)
{
    char name[4096];
    ssize_t n;
    int fd;
    certauthz_revlist_t *l;

    if (src->pointer == NULL
        || (fd = open(src->pointer, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        return NULL;
    }
    n = read(fd, name, sizeof(name) - 1);
    close(fd);
    if (n <= 0) {
        return NULL;
    }
    name[n] = '\0';
    if (src->current->index_path != NULL
        && strcmp(src->current->index_path, name) == 0) {
        return NULL;
    }
    l = map_cached(name, NULL);
    if (l != NULL) {
        l->index_path = strdup(name);
        l->sig.ok = 1;
        l->sig.dev = l->hdr->sig[0];
        l->sig.ino = l->hdr->sig[1];
        l->sig.size = l->hdr->sig[2];
        l->sig.mtime_sec = (int64_t)l->hdr->sig[3];
        l->sig.mtime_nsec = (int64_t)l->hdr->sig[4];
        if (l->index_path == NULL) {
            certauthz_revlist_release(l);
            l = NULL;
        }
    }
    return l;
}

/* Make nl the current list.  Runs in the checking thread. */
static void swap_in(certauthz_revsrc_t *src, certauthz_revlist_t *nl)
{
    certauthz_revlist_t *cur = src->current;
    char *old_index = cur->index_path && (nl->index_path == NULL
                                          || strcmp(cur->index_path,
                                                    nl->index_path) != 0)
                          ? cur->index_path
                          : NULL;

    apr_thread_mutex_lock(src->mutex);
    src->current = nl;
    __atomic_add_fetch(&src->generation, 1, __ATOMIC_RELEASE);
    apr_thread_mutex_unlock(src->mutex);
    /* Nobody maps the old version's index any more once it is replaced:
     * processes that hold it keep their mapping, and newer ones load or
     * adopt the new version. */
    if (old_index != NULL) {
        unlink(old_index);
    }
    certauthz_revlist_release(cur);
}

/* The file cannot be taken as it is now: use the last good version some
 * other process loaded, if it is not ours. */
static void fall_back(certauthz_revsrc_t *src, apr_time_t now,
                      certauthz_revlog_fn *log, void *baton)
{
    certauthz_revlist_t *nl = adopt_pointer(src);

    if (nl != NULL) {
        swap_in(src, nl);
        warn_if_stale(src, nl, now, log, baton);
    }
}

/* Look at the file and swap in a new list if it changed.  Runs in one
 * thread of the process at a time (the one that set src->checking). */
static void check_file(certauthz_revsrc_t *src, apr_time_t now,
                       certauthz_revlog_fn *log, void *baton)
{
    struct stat st;
    filesig_t sig;
    certauthz_revlist_t *cur = src->current, *nl = NULL;
    apr_pool_t *tmp;
    const char *err;
    int retry;

    if (stat(src->path, &st) != 0) {
        memset(&sig, 0, sizeof(sig));
        sig.err = errno;
    }
    else {
        sig_of(&st, &sig);
    }
    if (sig_same(&sig, &cur->sig)) {
        /* Back to the version we hold (after a failed replacement). */
        if (src->failed.ok || src->failed.err) {
            memset(&src->failed, 0, sizeof(src->failed));
            apr_thread_mutex_lock(src->mutex);
            src->last_error[0] = '\0';
            apr_thread_mutex_unlock(src->mutex);
        }
        return;
    }
    if (sig_same(&sig, &src->failed)) {
        return;     /* reported when it was first seen */
    }
    if (!sig.ok) {
        char msg[1200], e[120];

        apr_strerror(sig.err, e, sizeof(e));
        snprintf(msg, sizeof(msg), "%s: cannot read: %s", src->path, e);
        fall_back(src, now, log, baton);
        fail(src, &sig, msg, log, baton);
        return;
    }
    if (now - sig_mtime(&sig) < APR_USEC_PER_SEC) {
        /* Possibly still being written: look again once it has been
         * stable for a second. */
        apr_thread_mutex_lock(src->mutex);
        if (sig_mtime(&sig) + APR_USEC_PER_SEC < src->next_check) {
            __atomic_store_n(&src->next_check,
                             sig_mtime(&sig) + APR_USEC_PER_SEC,
                             __ATOMIC_RELEASE);
        }
        apr_thread_mutex_unlock(src->mutex);
        fall_back(src, now, log, baton);
        return;
    }
    if (apr_pool_create(&tmp, NULL) != APR_SUCCESS) {
        return;
    }
    err = load(tmp, src->path, &src->opts, &nl, &retry);
    if (err != NULL && retry) {
        apr_thread_mutex_lock(src->mutex);
        __atomic_store_n(&src->next_check, now + APR_USEC_PER_SEC,
                         __ATOMIC_RELEASE);
        apr_thread_mutex_unlock(src->mutex);
        fall_back(src, now, log, baton);
    }
    else if (err != NULL) {
        fall_back(src, now, log, baton);
        fail(src, &sig, err, log, baton);
    }
    else {
        struct stat st2;
        filesig_t now_sig;

        swap_in(src, nl);
        apr_thread_mutex_lock(src->mutex);
        src->last_error[0] = '\0';
        apr_thread_mutex_unlock(src->mutex);
        memset(&src->failed, 0, sizeof(src->failed));
        /* Publish only while the file is still this version, so that a
         * slow load of an older version never hides a newer one. */
        if (stat(src->path, &st2) == 0) {
            sig_of(&st2, &now_sig);
            if (sig_same(&now_sig, &nl->sig)) {
                publish_pointer(src, nl);
            }
        }
        logf_(log, baton, CERTAUTHZ_REVLOG_NOTICE,
              "%s: reloaded, %" APR_SIZE_T_FMT " entries (%s)", src->path,
              certauthz_revlist_entries(nl), certauthz_revlist_format(nl));
        warn_if_stale(src, nl, now, log, baton);
    }
    apr_pool_destroy(tmp);
}

const char *certauthz_revsrc_create(apr_pool_t *p, const char *path,
                                    const certauthz_revopts_t *opts,
                                    certauthz_revlog_fn *log, void *baton,
                                    certauthz_revsrc_t **out)
{
    certauthz_revsrc_t *src = apr_pcalloc(p, sizeof(*src));
    const char *err;

    src->path = apr_pstrdup(p, path);
    src->opts.cache_dir = opts->cache_dir ? apr_pstrdup(p, opts->cache_dir)
                                          : NULL;
    src->opts.verify_ca = opts->verify_ca ? apr_pstrdup(p, opts->verify_ca)
                                          : NULL;
    /* At start-up the file is taken as it is, however recent: there is no
     * previous list to keep. */
    err = certauthz_revlist_load(p, path, &src->opts, &src->current);
    if (err != NULL) {
        return err;
    }
    if (apr_thread_mutex_create(&src->mutex, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS) {
        certauthz_revlist_release(src->current);
        return apr_psprintf(p, "%s: cannot create a mutex", path);
    }
    apr_pool_cleanup_register(p, src, src_cleanup, apr_pool_cleanup_null);
    src->next_check = 0;
    if (src->opts.cache_dir != NULL) {
        char *name = index_name(src->opts.cache_dir, path, &src->opts, NULL);

        if (name != NULL) {
            src->pointer = apr_pstrdup(p, name);
            free(name);
        }
        publish_pointer(src, src->current);
    }
    warn_if_stale(src, src->current, apr_time_now(), log, baton);
    *out = src;
    return NULL;
}

certauthz_revlist_t *certauthz_revsrc_acquire(certauthz_revsrc_t *src,
                                              apr_time_t now, int interval,
                                              certauthz_revlog_fn *log,
                                              void *baton)
{
    certauthz_revlist_t *l = NULL;
    int check = 0;

    /* One lock on the common path: take the current list, unless the
     * interval has elapsed and this thread is the one to check the file. */
    apr_thread_mutex_lock(src->mutex);
    if (!src->checking && now >= src->next_check) {
        src->checking = check = 1;
        __atomic_store_n(&src->next_check, now + apr_time_from_sec(interval),
                         __ATOMIC_RELEASE);
    }
    else {
        l = src->current;
        certauthz_revlist_ref(l);
    }
    apr_thread_mutex_unlock(src->mutex);
    if (check) {
        check_file(src, now, log, baton);
        apr_thread_mutex_lock(src->mutex);
        src->checking = 0;
        l = src->current;
        certauthz_revlist_ref(l);
        apr_thread_mutex_unlock(src->mutex);
    }

    warn_if_stale(src, l, now, log, baton);
    return l;
}

apr_uint64_t certauthz_revsrc_generation(const certauthz_revsrc_t *src)
{
    return __atomic_load_n(&src->generation, __ATOMIC_ACQUIRE);
}

int certauthz_revsrc_unchanged(const certauthz_revsrc_t *src, apr_time_t now,
                               apr_uint64_t generation)
{
    return now < __atomic_load_n(&src->next_check, __ATOMIC_ACQUIRE)
           && __atomic_load_n(&src->generation, __ATOMIC_ACQUIRE)
                  == generation;
}

void certauthz_revsrc_info(certauthz_revsrc_t *src, apr_pool_t *p,
                           apr_time_t now, certauthz_revinfo_t *info)
{
    certauthz_revlist_t *l;

    apr_thread_mutex_lock(src->mutex);
    l = src->current;
    certauthz_revlist_ref(l);
    info->last_error = src->last_error[0] ? apr_pstrdup(p, src->last_error)
                                          : NULL;
    apr_thread_mutex_unlock(src->mutex);
    info->path = src->path;
    info->format = certauthz_revlist_format(l);
    info->entries = certauthz_revlist_entries(l);
    info->loaded = l->loaded;
    info->mtime = sig_mtime(&l->sig);
    info->next_update = l->hdr->next_update_min
                            ? apr_time_from_sec(l->hdr->next_update_min)
                            : 0;
    info->stale = info->next_update != 0 && now > info->next_update;
    certauthz_revlist_release(l);
}
