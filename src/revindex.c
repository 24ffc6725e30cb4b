/*
 * revindex: building, looking up, saving and mapping the compiled index
 * of a revocation list (layout in src/revindex.h).
 */
#include "revindex.h"
#include "hexid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define IDX_MAGIC "CAZRIDX1"
/* 5: issuer keys are the canonical name encoding (names.h). */
#define IDX_VERSION 5

/* An arena record: kind, data length, scope (little-endian), data. */
#define REC_HDR 6

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
    uint64_t kinds[CERTAUTHZ_REC_KINDS];    /* records of each kind: lookups
                                             * of a kind the list does not
                                             * hold are skipped */
} idx_header_t;

static uint64_t hash_key(unsigned kind, uint32_t scope,
                         const unsigned char *d, apr_size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)kind << 56) ^ n, w;
    apr_size_t i = 0;

    if (kind == CERTAUTHZ_REC_ISSUER) {
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
                  const unsigned char *d, apr_size_t n)
{
    return rec[0] == kind && rec[1] == n
           && (kind == CERTAUTHZ_REC_ISSUER || rec_scope(rec) == scope)
           && memcmp(rec + REC_HDR, d, n) == 0;
}

/* ------------------------------------------------------------------ */
/* Building                                                            */

int certauthz_revbuild_init(certauthz_revbuild_t *b, apr_size_t expect)
{
    uint32_t n = 1024;

    memset(b, 0, sizeof(*b));
    /* At most half full, so that probe sequences stay short. */
    while (n < expect * 2 && n < (1U << 31)) {
        n *= 2;
    }
    /* Fresh anonymous mappings are zero: every slot starts empty.  The
     * arena is sized for short serials so that it rarely has to grow. */
    if (certauthz_bigbuf_reserve(&b->slots,
                                 (apr_size_t)n * sizeof(certauthz_revslot_t))
            != 0
        || certauthz_bigbuf_reserve(&b->arena, 8 + expect * (REC_HDR + 8))
               != 0) {
        certauthz_revbuild_free(b);
        return -1;
    }
    b->slots.len = (apr_size_t)n * sizeof(certauthz_revslot_t);
    b->nslots = n;
    /* Offset 0 marks an empty slot: no record starts there. */
    b->arena.len = 8;
    return 0;
}

void certauthz_revbuild_free(certauthz_revbuild_t *b)
{
    certauthz_bigbuf_free(&b->arena);
    certauthz_bigbuf_free(&b->slots);
    free(b->issuers);
    b->issuers = NULL;
}

static void slot_put(certauthz_revslot_t *slots, uint32_t nslots, uint64_t h,
                     uint32_t off)
{
    uint32_t i = (uint32_t)h & (nslots - 1);

    while (slots[i].off != 0) {
        i = (i + 1) & (nslots - 1);
    }
    slots[i].tag = (uint32_t)(h >> 32);
    slots[i].off = off;
}

static int builder_grow(certauthz_revbuild_t *b)
{
    certauthz_bigbuf_t nb = {0};
    uint32_t n = b->nslots * 2, i;
    const certauthz_revslot_t *old = (const certauthz_revslot_t *)b->slots.p;

    if (b->nslots >= (1U << 31)
        || certauthz_bigbuf_reserve(&nb, (apr_size_t)n
                                             * sizeof(certauthz_revslot_t))
               != 0) {
        return -1;
    }
    nb.len = (apr_size_t)n * sizeof(certauthz_revslot_t);
    for (i = 0; i < b->nslots; i++) {
        if (old[i].off != 0) {
            const unsigned char *rec = b->arena.p + old[i].off;

            slot_put((certauthz_revslot_t *)nb.p, n,
                     hash_key(rec[0], rec_scope(rec), rec + REC_HDR, rec[1]),
                     old[i].off);
        }
    }
    certauthz_bigbuf_free(&b->slots);
    b->slots = nb;
    b->nslots = n;
    return 0;
}

uint64_t certauthz_revbuild_hash(unsigned kind, uint32_t scope,
                                 const unsigned char *d, apr_size_t n)
{
    return hash_key(kind, scope, d, n);
}

void certauthz_revbuild_prefetch(const certauthz_revbuild_t *b, uint64_t h)
{
    const certauthz_revslot_t *slots = (const certauthz_revslot_t *)b->slots.p;

    __builtin_prefetch(&slots[(uint32_t)h & (b->nslots - 1)], 1);
}

int certauthz_revbuild_add(certauthz_revbuild_t *b, unsigned kind,
                           uint32_t scope, const unsigned char *d,
                           apr_size_t n)
{
    return certauthz_revbuild_add_hashed(b, kind, scope, d, n,
                                         hash_key(kind, scope, d, n));
}

int certauthz_revbuild_add_hashed(certauthz_revbuild_t *b, unsigned kind,
                                  uint32_t scope, const unsigned char *d,
                                  apr_size_t n, uint64_t h)
{
    uint32_t i, off;
    certauthz_revslot_t *slots;
    unsigned char *rec;

    if ((b->nrecords + 1) * 2 > b->nslots && builder_grow(b) != 0) {
        return -1;
    }
    slots = (certauthz_revslot_t *)b->slots.p;
    for (i = (uint32_t)h & (b->nslots - 1); slots[i].off != 0;
         i = (i + 1) & (b->nslots - 1)) {
        if (slots[i].tag == (uint32_t)(h >> 32)
            && rec_is(b->arena.p + slots[i].off, kind, scope, d, n)) {
            return 0;
        }
    }
    if (b->arena.len + REC_HDR + n > UINT32_MAX
        || certauthz_bigbuf_reserve(&b->arena, REC_HDR + n) != 0) {
        return -1;
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
    if (kind != CERTAUTHZ_REC_ISSUER) {
        b->entries++;
    }
    return 0;
}

int certauthz_revbuild_issuer(certauthz_revbuild_t *b,
                              const unsigned char key[32],
                              int64_t next_update, uint32_t *scope)
{
    uint32_t i;

    for (i = 0; i < b->nissuers; i++) {
        if (memcmp(b->issuers[i].key, key, 32) == 0) {
            /* Several CRLs of one issuer: the freshest decides whether its
             * certificates are judged on a stale list. */
            if (b->issuers[i].next_update != 0
                && (next_update == 0
                    || next_update > b->issuers[i].next_update)) {
                b->issuers[i].next_update = next_update;
            }
            *scope = i;
            return 0;
        }
    }
    if (b->nissuers == b->cap_issuers) {
        uint32_t cap = b->cap_issuers ? b->cap_issuers * 2 : 4;
        certauthz_revissuer_t *n;

        if (cap < b->cap_issuers
            || (n = realloc(b->issuers, (size_t)cap * sizeof(*n))) == NULL) {
            return -1;
        }
        b->issuers = n;
        b->cap_issuers = cap;
    }
    memcpy(b->issuers[i].key, key, 32);
    b->issuers[i].next_update = next_update;
    b->nissuers++;
    *scope = i;
    return certauthz_revbuild_add(b, CERTAUTHZ_REC_ISSUER, i, key, 32);
}

/* ------------------------------------------------------------------ */
/* Lists                                                               */

static apr_size_t slots_offset(uint32_t nissuers)
{
    return sizeof(idx_header_t)
           + (apr_size_t)nissuers * sizeof(certauthz_revissuer_t);
}

/* A list over an image whose header h was checked (or built here). */
static certauthz_revlist_t *adopt(void *map, apr_size_t len,
                                  const idx_header_t *h)
{
    certauthz_revlist_t *l = calloc(1, sizeof(*l));

    if (l == NULL) {
        return NULL;
    }
    l->refs = 1;
    l->map = map;
    l->map_len = len;
    l->format = h->format;
    l->nslots = h->nslots;
    l->nissuers = h->nissuers;
    l->entries = h->entries;
    l->arena_size = h->arena_size;
    memcpy(l->kinds, h->kinds, sizeof(l->kinds));
    l->next_update_min = h->next_update_min;
    l->sig.ok = 1;
    l->sig.dev = h->sig[0];
    l->sig.ino = h->sig[1];
    l->sig.size = h->sig[2];
    l->sig.mtime_sec = (int64_t)h->sig[3];
    l->sig.mtime_nsec = (int64_t)h->sig[4];
    l->issuers = (const certauthz_revissuer_t *)((const char *)map
                                                 + sizeof(*h));
    l->slots = (const certauthz_revslot_t *)((const char *)map
                                             + slots_offset(h->nissuers));
    l->arena = (const unsigned char *)(l->slots + h->nslots);
    l->loaded = apr_time_now();
    return l;
}

/* A header for an index of these counts, of the source version sig. */
static void header_init(idx_header_t *h, uint32_t format, uint32_t nslots,
                        uint32_t nissuers, uint64_t entries,
                        uint64_t arena_size, uint64_t total_size,
                        int64_t next_update_min, const uint64_t *kinds,
                        const certauthz_filesig_t *sig)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->magic, IDX_MAGIC, 8);
    h->version = IDX_VERSION;
    h->format = format;
    h->nslots = nslots;
    h->nissuers = nissuers;
    h->entries = entries;
    h->arena_size = arena_size;
    h->total_size = total_size;
    h->next_update_min = next_update_min;
    h->sig[0] = sig->dev;
    h->sig[1] = sig->ino;
    h->sig[2] = sig->size;
    h->sig[3] = (uint64_t)sig->mtime_sec;
    h->sig[4] = (uint64_t)sig->mtime_nsec;
    memcpy(h->kinds, kinds, sizeof(h->kinds));
}

certauthz_revlist_t *certauthz_revbuild_finish(certauthz_revbuild_t *b,
                                               const certauthz_filesig_t *sig)
{
    idx_header_t h;
    apr_size_t issuers_len = (apr_size_t)b->nissuers
                             * sizeof(certauthz_revissuer_t);
    apr_size_t slots_len = (apr_size_t)b->nslots * sizeof(certauthz_revslot_t);
    apr_size_t total = sizeof(h) + issuers_len + slots_len + b->arena.len;
    certauthz_revlist_t *l;
    unsigned char *map;

    header_init(&h, b->format, b->nslots, b->nissuers, b->entries,
                b->arena.len, total, b->next_update_min, b->kinds, sig);

    /* Anonymous memory: a child forked after the load shares the pages
     * with its parent until either writes, which nobody does. */
    map = mmap(NULL, total, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        return NULL;
    }
    memcpy(map, &h, sizeof(h));
    if (issuers_len > 0) {
        memcpy(map + sizeof(h), b->issuers, issuers_len);
    }
    memcpy(map + sizeof(h) + issuers_len, b->slots.p, slots_len);
    memcpy(map + sizeof(h) + issuers_len + slots_len, b->arena.p,
           b->arena.len);
    mprotect(map, total, PROT_READ);
    l = adopt(map, total, &h);
    if (l == NULL) {
        munmap(map, total);
        return NULL;
    }
    l->sig = *sig;
    l->this_update_max = b->this_update_max;
    return l;
}

/* The record of `kind` holding d[0..n) (and scope), or NULL.  Every
 * field of the image is read once, into a local, and checked against the
 * list's private copy of the header before it is used: whatever the
 * mapped bytes are or become, a lookup reads inside the image and ends
 * after at most nslots probes. */
static const unsigned char *lookup(const certauthz_revlist_t *l,
                                   unsigned kind, uint32_t scope,
                                   const unsigned char *d, apr_size_t n)
{
    uint64_t h = hash_key(kind, scope, d, n);
    uint32_t mask = l->nslots - 1, i = (uint32_t)h & mask, probes;

    for (probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
        certauthz_revslot_t s;

        memcpy(&s, &l->slots[i], sizeof(s));
        if (s.off == 0) {
            return NULL;
        }
        if (s.tag == (uint32_t)(h >> 32)
            && (uint64_t)s.off + REC_HDR + n <= l->arena_size
            && rec_is(l->arena + s.off, kind, scope, d, n)) {
            return l->arena + s.off;
        }
    }
    return NULL;
}

certauthz_reason_e certauthz_revlist_check(const certauthz_revlist_t *l,
                                           const certauthz_cert_t *cert,
                                           apr_time_t now, int stale_deny)
{
    /* A serial longer than any entry can be matches no serial entry; the
     * certificate's fingerprint is looked up all the same. */
    int serial = cert->serial_len <= CERTAUTHZ_SERIAL_MAX;
    const unsigned char *rec;

    if ((l->kinds[CERTAUTHZ_REC_FINGERPRINT]
         && lookup(l, CERTAUTHZ_REC_FINGERPRINT, 0, cert->sha256, 32))
        || (serial && l->kinds[CERTAUTHZ_REC_SERIAL]
            && lookup(l, CERTAUTHZ_REC_SERIAL, 0, cert->serial,
                      cert->serial_len))) {
        return CERTAUTHZ_REASON_REVOKED;
    }
    rec = l->nissuers
              ? lookup(l, CERTAUTHZ_REC_ISSUER, 0, cert->issuer_key, 32)
              : NULL;
    if (rec != NULL) {
        uint32_t scope = rec_scope(rec);
        int64_t next;

        if (scope >= l->nissuers) {
            return CERTAUTHZ_REASON_OK;
        }
        if (serial && lookup(l, CERTAUTHZ_REC_SCOPED, scope, cert->serial,
                             cert->serial_len)) {
            return CERTAUTHZ_REASON_REVOKED;
        }
        next = l->issuers[scope].next_update;
        if (stale_deny && next != 0 && apr_time_sec(now) > next) {
            return CERTAUTHZ_REASON_CRL_STALE;
        }
    }
    return CERTAUTHZ_REASON_OK;
}

apr_size_t certauthz_revlist_entries(const certauthz_revlist_t *l)
{
    return (apr_size_t)l->entries;
}

const char *certauthz_revlist_format(const certauthz_revlist_t *l)
{
    switch (l->format) {
    case CERTAUTHZ_FMT_LIST:
        return "list";
    case CERTAUTHZ_FMT_INDEX:
        return "index";
    case CERTAUTHZ_FMT_CRL_PEM:
        return "crl-pem";
    case CERTAUTHZ_FMT_CRL_DER:
        return "crl-der";
    }
    return "unknown";
}

apr_time_t certauthz_revlist_this_update(const certauthz_revlist_t *l)
{
    return l->this_update_max > 0 ? apr_time_from_sec(l->this_update_max)
                                  : 0;
}

apr_time_t certauthz_revlist_next_update(const certauthz_revlist_t *l)
{
    return l->next_update_min > 0 ? apr_time_from_sec(l->next_update_min) : 0;
}

int certauthz_revlist_stale(const certauthz_revlist_t *l, apr_time_t now)
{
    return l->next_update_min > 0 && apr_time_sec(now) > l->next_update_min;
}

apr_time_t certauthz_revlist_mtime(const certauthz_revlist_t *l)
{
    return certauthz_filesig_mtime(&l->sig);
}

apr_time_t certauthz_revlist_loaded(const certauthz_revlist_t *l)
{
    return l->loaded;
}

void certauthz_revlist_ref(certauthz_revlist_t *l)
{
    __atomic_add_fetch(&l->refs, 1, __ATOMIC_RELAXED);
}

void certauthz_revlist_release(certauthz_revlist_t *l)
{
    if (l != NULL && __atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        munmap(l->map, l->map_len);
        free(l);
    }
}

/* ------------------------------------------------------------------ */
/* Saving and mapping                                                  */

apr_status_t certauthz_revlist_save(const certauthz_revlist_t *l, int fd)
{
    idx_header_t h;

    /* The header from the list's own copy, never from the image. */
    header_init(&h, l->format, l->nslots, l->nissuers, l->entries,
                l->arena_size, l->map_len, l->next_update_min, l->kinds,
                &l->sig);
    if (certauthz_write_all(fd, &h, sizeof(h)) != 0
        || certauthz_write_all(fd, (const char *)l->map + sizeof(h),
                               l->map_len - sizeof(h)) != 0) {
        return errno ? errno : EIO;
    }
    return APR_SUCCESS;
}

/* Bits of the validation's scratch map. */
static int bit_get(const unsigned char *m, uint64_t i)
{
    return (m[i >> 3] >> (i & 7)) & 1;
}

static void bit_set(unsigned char *m, uint64_t i, int v)
{
    if (v) {
        m[i >> 3] |= (unsigned char)(1 << (i & 7));
    }
    else {
        m[i >> 3] &= (unsigned char)~(1 << (i & 7));
    }
}

/* Walk the arena record by record; every record must be whole and of a
 * valid kind and scope, the issuer records must name each issuer once
 * with its key.  Marks where records start in starts (arena_size bits,
 * then nissuers bits for the issuers seen). */
static const char *check_arena(const idx_header_t *h,
                               const certauthz_revissuer_t *issuers,
                               const unsigned char *arena,
                               unsigned char *starts)
{
    uint64_t counts[CERTAUTHZ_REC_KINDS] = {0}, off = 8;
    unsigned char *seen = starts + (h->arena_size + 7) / 8;
    int k;

    while (off < h->arena_size) {
        const unsigned char *rec = arena + off;
        unsigned kind, n;
        uint32_t scope;

        if (h->arena_size - off < REC_HDR) {
            return "a record runs past the end of the arena";
        }
        kind = rec[0];
        n = rec[1];
        scope = rec_scope(rec);
        if (off + REC_HDR + n > h->arena_size) {
            return "a record runs past the end of the arena";
        }
        switch (kind) {
        case CERTAUTHZ_REC_SERIAL:
            if (scope != 0) {
                return "a serial record has a scope";
            }
            break;
        case CERTAUTHZ_REC_SCOPED:
            if (scope >= h->nissuers) {
                return "a scoped serial names an issuer the index lacks";
            }
            break;
        case CERTAUTHZ_REC_FINGERPRINT:
            if (n != 32 || scope != 0) {
                return "a fingerprint record is not 32 bytes";
            }
            break;
        case CERTAUTHZ_REC_ISSUER:
            if (n != 32 || scope >= h->nissuers || bit_get(seen, scope)
                || memcmp(rec + REC_HDR, issuers[scope].key, 32) != 0) {
                return "an issuer record does not match the issuer table";
            }
            bit_set(seen, scope, 1);
            break;
        default:
            return "a record of unknown kind";
        }
        counts[kind]++;
        bit_set(starts, off, 1);
        off += REC_HDR + n;
    }
    for (k = 0; k < CERTAUTHZ_REC_KINDS; k++) {
        if (counts[k] != h->kinds[k]) {
            return "the records differ from the counts in the header";
        }
    }
    return NULL;
}

/* Every slot is empty or holds the offset of a record no other slot
 * holds, and every record is in a slot. */
static const char *check_slots(const idx_header_t *h,
                               const certauthz_revslot_t *slots,
                               unsigned char *starts, uint64_t nrecords)
{
    uint64_t filled = 0;
    uint32_t i;

    for (i = 0; i < h->nslots; i++) {
        certauthz_revslot_t s;

        memcpy(&s, &slots[i], sizeof(s));
        if (s.off == 0) {
            continue;
        }
        if (s.off >= h->arena_size || !bit_get(starts, s.off)) {
            return "a slot points to no record";
        }
        bit_set(starts, s.off, 0);
        filled++;
    }
    return filled == nrecords ? NULL : "a record is in no slot";
}

/* Check an image before anything in it is trusted; fills *h, the header
 * as checked. */
static const char *validate(const unsigned char *map, apr_size_t len,
                            idx_header_t *h)
{
    apr_size_t so, left;
    uint64_t nrecords = 0;
    certauthz_bigbuf_t scratch = {0};
    const char *err;
    int k;

    if (len < sizeof(*h)) {
        return "shorter than an index header";
    }
    memcpy(h, map, sizeof(*h));
    if (memcmp(h->magic, IDX_MAGIC, 8) != 0) {
        return "not a compiled revocation index";
    }
    if (h->version != IDX_VERSION) {
        return "an index of another version of mod_certauthz";
    }
    if (h->total_size != len) {
        return "its size is not the one its header gives";
    }
    if (h->format < CERTAUTHZ_FMT_LIST || h->format > CERTAUTHZ_FMT_CRL_DER) {
        return "an unknown list format";
    }
    if (h->nslots == 0 || (h->nslots & (h->nslots - 1)) != 0
        || h->nslots > (1U << 31)) {
        return "a slot count that is not a power of two";
    }
    left = len - sizeof(*h);
    if (h->nissuers > left / sizeof(certauthz_revissuer_t)) {
        return "more issuers than the file can hold";
    }
    so = slots_offset(h->nissuers);
    left = len - so;
    if (h->nslots > left / sizeof(certauthz_revslot_t)) {
        return "more slots than the file can hold";
    }
    left -= (apr_size_t)h->nslots * sizeof(certauthz_revslot_t);
    if (h->arena_size != left || left < 8 || left > UINT32_MAX) {
        return "an arena size that does not fit the file";
    }
    for (k = 0; k < CERTAUTHZ_REC_KINDS; k++) {
        if (h->kinds[k] > h->arena_size / REC_HDR) {
            return "more records than the arena can hold";
        }
        nrecords += h->kinds[k];
    }
    if (h->kinds[0] != 0 || h->kinds[CERTAUTHZ_REC_ISSUER] != h->nissuers
        || h->entries != nrecords - h->nissuers) {
        return "record counts that do not add up";
    }
    if (nrecords >= h->nslots) {
        return "a hash table with no empty slot";
    }
    if (certauthz_bigbuf_reserve(&scratch, (apr_size_t)(h->arena_size + 7) / 8
                                               + (h->nissuers + 7) / 8 + 1)
        != 0) {
        return "out of memory while checking it";
    }
    err = check_arena(h, (const certauthz_revissuer_t *)(map + sizeof(*h)),
                      map + so + (apr_size_t)h->nslots
                                     * sizeof(certauthz_revslot_t),
                      scratch.p);
    if (err == NULL) {
        err = check_slots(h, (const certauthz_revslot_t *)(map + so),
                          scratch.p, nrecords);
    }
    certauthz_bigbuf_free(&scratch);
    return err;
}

const char *certauthz_revlist_map(int fd, certauthz_revlist_t **out)
{
    struct stat st;
    idx_header_t h;
    void *map;
    const char *err;
    certauthz_revlist_t *l;

    if (fstat(fd, &st) != 0) {
        return "cannot stat the index";
    }
    if (!S_ISREG(st.st_mode)) {
        return "the index is not a regular file";
    }
    if (st.st_size < (off_t)sizeof(h)
        || (uint64_t)st.st_size > (uint64_t)SIZE_MAX / 2) {
        return "the index is shorter than its header, or absurdly large";
    }
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        return "cannot map the index";
    }
    err = validate(map, (apr_size_t)st.st_size, &h);
    if (err == NULL && (l = adopt(map, (apr_size_t)st.st_size, &h)) == NULL) {
        err = "out of memory";
    }
    if (err != NULL) {
        munmap(map, (size_t)st.st_size);
        return err;
    }
    *out = l;
    return NULL;
}
