/*
 * revshm: the source table and the counters (see revshm.h for why the
 * table is a sealed memfd).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "revshm.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <apr_strings.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010  /* Linux 5.1 */
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif

#define TABLE_MAGIC "CAZTBL01"

struct certauthz_shm {
    void *rw, *ro;
    size_t len;
};

static apr_status_t shm_cleanup(void *data)
{
    certauthz_shm_t *shm = data;

    if (shm->rw != NULL) {
        munmap(shm->rw, shm->len);
    }
    if (shm->ro != NULL) {
        munmap(shm->ro, shm->len);
    }
    shm->rw = shm->ro = NULL;
    return APR_SUCCESS;
}

const char *certauthz_shm_create(apr_pool_t *p, apr_uint32_t nslots,
                                 apr_uint32_t nstores,
                                 apr_uint64_t generation,
                                 certauthz_shm_t **out)
{
    certauthz_shm_t *shm = apr_pcalloc(p, sizeof(*shm));
    certauthz_table_t *t;
    size_t len = sizeof(certauthz_table_t)
                 + (nslots ? nslots - 1 : 0) * sizeof(certauthz_slot_t)
                 + nstores * sizeof(certauthz_storeslot_t);
    long page = sysconf(_SC_PAGESIZE);
    int fd, e;

    len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
    fd = memfd_create("certauthz-sources", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        return apr_psprintf(p, "memfd_create: %s", strerror(errno));
    }
    if (ftruncate(fd, (off_t)len) != 0) {
        e = errno;
        close(fd);
        return apr_psprintf(p, "ftruncate of the source table: %s",
                            strerror(e));
    }
    shm->len = len;
    shm->rw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (shm->rw == MAP_FAILED) {
        e = errno;
        shm->rw = NULL;
        close(fd);
        return apr_psprintf(p, "mmap of the source table: %s", strerror(e));
    }
    apr_pool_cleanup_register(p, shm, shm_cleanup, apr_pool_cleanup_null);
    /* Processes forked later never inherit the writable mapping (see
     * certauthz_shm_lend for the loader). */
    if (madvise(shm->rw, len, MADV_DONTFORK) != 0) {
        e = errno;
        close(fd);
        return apr_psprintf(p, "madvise(MADV_DONTFORK): %s", strerror(e));
    }
    t = shm->rw;
    memcpy(t->magic, TABLE_MAGIC, 8);
    t->nslots = nslots;
    t->nstores = nstores;
    t->generation = generation;
    /* From now on no new writable mapping can be made and write() on the
     * memfd fails: the read-only mapping below cannot be made writable by
     * mprotect (the kernel clears VM_MAYWRITE), and the fd is closed. */
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK
                                   | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
        e = errno;
        close(fd);
        return apr_psprintf(p, "sealing the source table: %s", strerror(e));
    }
    shm->ro = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    e = errno;
    close(fd);
    if (shm->ro == MAP_FAILED) {
        shm->ro = NULL;
        return apr_psprintf(p, "mmap of the source table: %s", strerror(e));
    }
    *out = shm;
    return NULL;
}

certauthz_table_t *certauthz_shm_rw(certauthz_shm_t *shm)
{
    return shm->rw;
}

const certauthz_table_t *certauthz_shm_ro(const certauthz_shm_t *shm)
{
    return shm->ro;
}

void certauthz_shm_lend(certauthz_shm_t *shm, int lend)
{
    madvise(shm->rw, shm->len, lend ? MADV_DOFORK : MADV_DONTFORK);
}

void certauthz_slot_publish(certauthz_slot_t *slot,
                            const certauthz_slot_view_t *st,
                            apr_uint64_t version)
{
    apr_uint64_t seq = __atomic_load_n(&slot->seq, __ATOMIC_RELAXED);

    __atomic_store_n(&slot->seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    slot->loaded = st->loaded;
    slot->mtime = st->mtime;
    slot->next_update = st->next_update;
    slot->entries = st->entries;
    slot->failures = st->failures;
    slot->error_time = st->error_time;
    memcpy(slot->format, st->format, sizeof(slot->format));
    memcpy(slot->last_error, st->last_error, sizeof(slot->last_error));
    slot->format[sizeof(slot->format) - 1] = '\0';
    slot->last_error[sizeof(slot->last_error) - 1] = '\0';
    __atomic_store_n(&slot->seq, seq + 2, __ATOMIC_RELEASE);
    if (version != 0) {
        __atomic_store_n(&slot->version, version, __ATOMIC_RELEASE);
    }
}

void certauthz_slot_read(const certauthz_slot_t *slot,
                         certauthz_slot_view_t *out)
{
    int tries;

    for (tries = 0; tries < 1000; tries++) {
        apr_uint64_t s1 = __atomic_load_n(&slot->seq, __ATOMIC_ACQUIRE);

        if (s1 & 1) {
            continue;
        }
        out->version = __atomic_load_n(&slot->version, __ATOMIC_ACQUIRE);
        out->loaded = slot->loaded;
        out->mtime = slot->mtime;
        out->next_update = slot->next_update;
        out->entries = slot->entries;
        out->failures = slot->failures;
        out->error_time = slot->error_time;
        memcpy(out->format, slot->format, sizeof(out->format));
        memcpy(out->last_error, slot->last_error, sizeof(out->last_error));
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&slot->seq, __ATOMIC_RELAXED) == s1) {
            break;
        }
    }
    /* Even a torn copy is text: the strings end inside their buffers. */
    out->format[sizeof(out->format) - 1] = '\0';
    out->last_error[sizeof(out->last_error) - 1] = '\0';
}

apr_uint64_t certauthz_slot_version(const certauthz_slot_t *slot)
{
    return __atomic_load_n(&slot->version, __ATOMIC_ACQUIRE);
}

certauthz_storeslot_t *certauthz_table_stores(certauthz_table_t *t)
{
    /* Slots are 8-byte aligned, and so are store slots after them. */
    return (certauthz_storeslot_t *)(void *)&t->slots[t->nslots];
}

const certauthz_storeslot_t *
certauthz_table_stores_ro(const certauthz_table_t *t)
{
    return (const certauthz_storeslot_t *)(const void *)&t->slots[t->nslots];
}

void certauthz_storeslot_publish(certauthz_storeslot_t *slot,
                                 const certauthz_storeslot_view_t *st)
{
    apr_uint64_t seq = __atomic_load_n(&slot->seq, __ATOMIC_RELAXED);

    __atomic_store_n(&slot->seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    slot->since = st->since;
    slot->checked = st->checked;
    slot->outages = st->outages;
    memcpy(slot->last_error, st->last_error, sizeof(slot->last_error));
    slot->last_error[sizeof(slot->last_error) - 1] = '\0';
    __atomic_store_n(&slot->seq, seq + 2, __ATOMIC_RELEASE);
    __atomic_store_n(&slot->down, st->down ? 1u : 0u, __ATOMIC_RELEASE);
}

void certauthz_storeslot_read(const certauthz_storeslot_t *slot,
                              certauthz_storeslot_view_t *out)
{
    int tries;

    for (tries = 0; tries < 1000; tries++) {
        apr_uint64_t s1 = __atomic_load_n(&slot->seq, __ATOMIC_ACQUIRE);

        if (s1 & 1) {
            continue;
        }
        out->down = (int)__atomic_load_n(&slot->down, __ATOMIC_ACQUIRE);
        out->since = slot->since;
        out->checked = slot->checked;
        out->outages = slot->outages;
        memcpy(out->last_error, slot->last_error, sizeof(out->last_error));
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&slot->seq, __ATOMIC_RELAXED) == s1) {
            break;
        }
    }
    out->last_error[sizeof(out->last_error) - 1] = '\0';
}

int certauthz_storeslot_down(const certauthz_storeslot_t *slot)
{
    return (int)__atomic_load_n(&slot->down, __ATOMIC_ACQUIRE);
}

certauthz_counters_t *certauthz_counters_create(void)
{
    void *m = mmap(NULL, sizeof(certauthz_counters_t),
                   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    return m == MAP_FAILED ? NULL : m;
}

void certauthz_count(volatile apr_uint64_t *counter)
{
    __atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}
