/*
 * revshm: the state of the revocation sources as the loader publishes it to
 * the server's processes (INTERFACE §3), the state of the revocation
 * stores as the loader sees them (§9), and the counters of decisions
 * summed over those processes (§4, §10).
 *
 * Two shared mappings, made by the parent before anything forks:
 *
 * - the source table: one slot per source (version in force, status),
 *   written by the loader alone.  The children get a mapping they cannot
 *   make writable: the segment is a sealed memfd (F_SEAL_FUTURE_WRITE),
 *   mapped read-only, so mprotect() cannot add PROT_WRITE and write() on it
 *   fails; the writable mapping lives in the parent marked MADV_DONTFORK,
 *   lent to the loader alone when it is forked.  So code running as the
 *   server's User can read what is in force, never change it.
 * - the counters: plain shared anonymous memory, written by every child
 *   with atomic increments.  They count what the children do; a subverted
 *   child could make them lie, and they decide nothing.
 */
#ifndef CERTAUTHZ_REVSHM_H
#define CERTAUTHZ_REVSHM_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_time.h>

#include "reason.h"

#define CERTAUTHZ_SLOT_ERRLEN 600

/* One source.  version is written last (release) and read first
 * (acquire); the status fields are guarded by the seqlock seq (odd while
 * the loader writes them). */
typedef struct {
    volatile apr_uint64_t version;  /* 0: none published yet */
    volatile apr_uint64_t seq;
    apr_int64_t loaded;             /* apr_time_t of the load */
    apr_int64_t mtime;              /* the loaded file's mtime */
    apr_int64_t next_update;        /* earliest CRL nextUpdate, 0 none */
    apr_uint64_t entries;
    apr_uint64_t failures;          /* reloads that failed, ever */
    apr_int64_t error_time;         /* when last_error was set */
    char format[16];                /* "crl-pem", "list", ... */
    char last_error[CERTAUTHZ_SLOT_ERRLEN]; /* "" when the last check
                                             * succeeded */
} certauthz_slot_t;

/* What a child reads of a slot: a consistent copy. */
typedef struct {
    apr_uint64_t version;
    apr_time_t loaded, mtime, next_update, error_time;
    apr_uint64_t entries, failures;
    char format[16];
    char last_error[CERTAUTHZ_SLOT_ERRLEN];
} certauthz_slot_view_t;

#define CERTAUTHZ_STORE_ERRLEN 256

/* One revocation store (CertAuthzRevocationStore), as the loader's
 * heartbeat finds it.  down is read alone (one atomic load, on the way to
 * a lookup); the rest is guarded by the seqlock seq. */
typedef struct {
    volatile apr_uint32_t down;     /* 1: it does not answer the loader */
    apr_uint32_t pad;
    volatile apr_uint64_t seq;
    apr_int64_t since;              /* when down last changed, 0 never */
    apr_int64_t checked;            /* the last heartbeat it answered */
    apr_uint64_t outages;           /* times it went down */
    char last_error[CERTAUTHZ_STORE_ERRLEN]; /* why, while down */
} certauthz_storeslot_t;

/* A consistent copy of a store slot. */
typedef struct {
    int down;
    apr_time_t since, checked;
    apr_uint64_t outages;
    char last_error[CERTAUTHZ_STORE_ERRLEN];
} certauthz_storeslot_view_t;

typedef struct {
    char magic[8];
    apr_uint32_t nslots;
    apr_uint32_t nstores;
    /* Names the index files of this configuration generation. */
    apr_uint64_t generation;
    /* nslots source slots, then nstores store slots
     * (certauthz_table_stores). */
    certauthz_slot_t slots[1];
} certauthz_table_t;

typedef struct certauthz_shm certauthz_shm_t;

/*
 * Create the table for nslots sources and nstores stores: *out holds the writable
 * mapping (not inherited by processes forked later, see
 * certauthz_shm_lend) and the sealed read-only one every process forked
 * later inherits.  Both are unmapped when p is cleared.  NULL, or a
 * message.
 */
const char *certauthz_shm_create(apr_pool_t *p, apr_uint32_t nslots,
                                 apr_uint32_t nstores,
                                 apr_uint64_t generation,
                                 certauthz_shm_t **out);

/* The writable table (the parent, and the loader it forks). */
certauthz_table_t *certauthz_shm_rw(certauthz_shm_t *shm);
/* The read-only table every process can read. */
const certauthz_table_t *certauthz_shm_ro(const certauthz_shm_t *shm);

/* Around a fork that must inherit the writable mapping (the loader's):
 * lend(1) before, lend(0) after, in the parent. */
void certauthz_shm_lend(certauthz_shm_t *shm, int lend);

/* The loader: publish the status of a slot (seqlock), then, when version
 * is not 0, the new version. */
void certauthz_slot_publish(certauthz_slot_t *slot,
                            const certauthz_slot_view_t *status,
                            apr_uint64_t version);

/* A consistent copy of a slot's status. */
void certauthz_slot_read(const certauthz_slot_t *slot,
                         certauthz_slot_view_t *out);

/* The version in force (one atomic load). */
apr_uint64_t certauthz_slot_version(const certauthz_slot_t *slot);

/* The store slots of a table (nstores of them). */
certauthz_storeslot_t *certauthz_table_stores(certauthz_table_t *t);
const certauthz_storeslot_t *
certauthz_table_stores_ro(const certauthz_table_t *t);

/* The loader: publish a store's state. */
void certauthz_storeslot_publish(certauthz_storeslot_t *slot,
                                 const certauthz_storeslot_view_t *st);

/* A consistent copy of a store's state. */
void certauthz_storeslot_read(const certauthz_storeslot_t *slot,
                              certauthz_storeslot_view_t *out);

/* Whether the loader found the store down (one atomic load). */
int certauthz_storeslot_down(const certauthz_storeslot_t *slot);

/* ------------------------------------------------------------------ */
/* Counters                                                            */

typedef struct {
    /* Requests by decision and reason. */
    volatile apr_uint64_t decisions[CERTAUTHZ_DECISION_COUNT]
                                   [CERTAUTHZ_REASON_COUNT];
    /* Revocation store (CertAuthzRevocationStore) lookups and errors. */
    volatile apr_uint64_t store_lookups;
    volatile apr_uint64_t store_errors;
} certauthz_counters_t;

/* Shared counters, zeroed; the same for every process forked after. */
certauthz_counters_t *certauthz_counters_create(void);

void certauthz_count(volatile apr_uint64_t *counter);

#endif
