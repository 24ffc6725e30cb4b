/*
 * revindex: the compiled index of a revocation list (src/revocation.h):
 * how it is built, looked up, written to a file and mapped back.
 * Internal to src/: the parsers fill a builder, the loaders turn it into a
 * list.
 *
 * Layout, in memory and on disk alike (native byte order; a file is only
 * ever read by the machine that wrote it):
 *
 *   header | issuers[nissuers] | slots[nslots] | arena[arena_size]
 *
 * The arena holds records (kind, data length, scope, data); each record is
 * in exactly one slot of an open-addressing hash table of nslots (a power
 * of two, at most half full).  Offset 0 of the arena holds no record, so
 * that a slot whose offset is 0 is empty.
 */
#ifndef CERTAUTHZ_REVINDEX_H
#define CERTAUTHZ_REVINDEX_H

#include <stdint.h>

#include "bigbuf.h"
#include "file.h"
#include "revocation.h"

/* Record kinds. */
enum {
    CERTAUTHZ_REC_SERIAL = 1,       /* a serial revoked whatever the issuer */
    CERTAUTHZ_REC_SCOPED = 2,       /* a serial revoked for issuer `scope` */
    CERTAUTHZ_REC_FINGERPRINT = 3,  /* a SHA-256 of one certificate's DER */
    CERTAUTHZ_REC_ISSUER = 4        /* an issuer key; its scope is the
                                     * issuer's number, not part of the key */
};
#define CERTAUTHZ_REC_KINDS 5

/* List formats. */
enum {
    CERTAUTHZ_FMT_LIST = 1,
    CERTAUTHZ_FMT_INDEX,
    CERTAUTHZ_FMT_CRL_PEM,
    CERTAUTHZ_FMT_CRL_DER
};

typedef struct {
    unsigned char key[32];
    int64_t next_update;    /* latest nextUpdate of this issuer's CRLs, 0 none */
} certauthz_revissuer_t;

typedef struct {
    uint32_t tag;           /* high half of the hash */
    uint32_t off;           /* arena offset of the record, 0 when empty */
} certauthz_revslot_t;

/* A list being built. */
typedef struct {
    certauthz_bigbuf_t arena;
    certauthz_bigbuf_t slots;   /* certauthz_revslot_t[nslots] */
    uint32_t nslots;
    apr_size_t nrecords;
    apr_size_t entries;
    uint64_t kinds[CERTAUTHZ_REC_KINDS];
    certauthz_revissuer_t *issuers;     /* malloc'd: one per CRL issuer */
    uint32_t nissuers, cap_issuers;
    int64_t next_update_min;    /* earliest CRL nextUpdate, 0 if none */
    int64_t this_update_max;    /* latest CRL thisUpdate, 0 if no CRL */
    uint32_t format;
} certauthz_revbuild_t;

/* A builder sized for about `expect` entries.  0, or -1 (out of memory). */
int certauthz_revbuild_init(certauthz_revbuild_t *b, apr_size_t expect);
void certauthz_revbuild_free(certauthz_revbuild_t *b);

/* Add a record unless an equal one is there (n <= CERTAUTHZ_SERIAL_MAX).
 * 0, or -1 when memory ran out. */
int certauthz_revbuild_add(certauthz_revbuild_t *b, unsigned kind,
                           uint32_t scope, const unsigned char *d,
                           apr_size_t n);

/* The same in two steps, for a caller adding many records: the record's
 * hash, and a hint that brings its slot into the cache, a few records
 * before certauthz_revbuild_add_hashed adds it (h: that hash).  A slot
 * is a cache miss in a large list, and this overlaps them. */
uint64_t certauthz_revbuild_hash(unsigned kind, uint32_t scope,
                                 const unsigned char *d, apr_size_t n);
void certauthz_revbuild_prefetch(const certauthz_revbuild_t *b, uint64_t h);
int certauthz_revbuild_add_hashed(certauthz_revbuild_t *b, unsigned kind,
                                  uint32_t scope, const unsigned char *d,
                                  apr_size_t n, uint64_t h);

/* The number of an issuer (a CRL issuer, or one an indirect CRL names),
 * created on first sight; next_update (0: none) is its CRL's.  0, or -1. */
int certauthz_revbuild_issuer(certauthz_revbuild_t *b,
                              const unsigned char key[32],
                              int64_t next_update, uint32_t *scope);

/* The builder's index as a new list in anonymous memory (one reference),
 * or NULL when memory ran out.  sig: the source file's version. */
certauthz_revlist_t *certauthz_revbuild_finish(certauthz_revbuild_t *b,
                                               const certauthz_filesig_t *sig);

/* The list as loaders and the sources layer see it. */
struct certauthz_revlist {
    uint32_t refs;              /* __atomic */
    uint32_t stale_warned;      /* __atomic: the stale warning was logged */
    void *map;                  /* the whole image, read-only */
    apr_size_t map_len;
    /* Copied from the header once, after it was checked: a mapping that
     * someone else changes can make lookups wrong, never unsafe. */
    uint32_t format, nslots, nissuers;
    uint64_t entries, arena_size;
    uint64_t kinds[CERTAUTHZ_REC_KINDS];
    int64_t next_update_min;
    const certauthz_revissuer_t *issuers;
    const certauthz_revslot_t *slots;
    const unsigned char *arena;
    certauthz_filesig_t sig;    /* of the source file */
    apr_time_t loaded;
    /* The latest thisUpdate of its CRLs (seconds, 0: none), for lists
     * built in this process (not kept in the index image). */
    int64_t this_update_max;
};

#endif
