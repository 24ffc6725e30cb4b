/*
 * pool_asan.c: linked into the fuzz targets and the sanitizer build of the
 * unit tests, so that AddressSanitizer sees every APR pool allocation.
 *
 * APR hands out pool memory as pieces of 8 kB blocks, so reading or writing
 * past an apr_palloc() buffer stays inside the block and no sanitizer
 * notices.  This file interposes apr_palloc (apr_pcalloc is a macro over
 * it; apr_pstrdup, apr_pmemdup and apr_array_* call it through the PLT):
 * each allocation is its own malloc() block, with ASan's red zones around
 * it, freed by a cleanup when the pool is cleared or destroyed.
 * apr_psprintf() still writes into the pool's own blocks.
 *
 * Test builds only: the module itself never links this.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

#include <apr_pools.h>

typedef struct block {
    struct block *next;
} block_t;

/* The blocks of one pool.  APR may take its own memory with mmap, which
 * LeakSanitizer does not scan, so the lists hang off a global registry
 * rather than off pool memory: what a live pool holds stays reachable. */
typedef struct blocks {
    block_t *head;
    struct blocks *prev, *next;
} blocks_t;

static blocks_t registry = {NULL, &registry, &registry};
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static void *(*real_palloc)(apr_pool_t *, apr_size_t);
/* Set while this thread registers a cleanup, whose record APR allocates
 * with apr_palloc: that one allocation goes to the real pool. */
static __thread int in_register;

static apr_status_t free_blocks(void *data)
{
    blocks_t *list = data;
    block_t *b = list->head, *next;

    for (; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    pthread_mutex_lock(&registry_lock);
    list->prev->next = list->next;
    list->next->prev = list->prev;
    pthread_mutex_unlock(&registry_lock);
    free(list);
    return APR_SUCCESS;
}

/* The malloc blocks of a pool, found through the pool's user data. */
static blocks_t *pool_blocks(apr_pool_t *p)
{
    static const char key[] = "certauthz-pool-asan";
    void *data = NULL;
    blocks_t *list;

    apr_pool_userdata_get(&data, key, p);
    if (data != NULL) {
        return data;
    }
    list = malloc(sizeof(*list));
    if (list == NULL) {
        abort();
    }
    list->head = NULL;
    pthread_mutex_lock(&registry_lock);
    list->next = registry.next;
    list->prev = &registry;
    registry.next->prev = list;
    registry.next = list;
    pthread_mutex_unlock(&registry_lock);
    in_register = 1;
    /* userdata_setn stores the pointer; its table lives in the pool. */
    apr_pool_userdata_setn(list, key, free_blocks, p);
    in_register = 0;
    return list;
}

void *apr_palloc(apr_pool_t *p, apr_size_t size)
{
    blocks_t *list;
    block_t *b;

    if (real_palloc == NULL) {
        real_palloc = (void *(*)(apr_pool_t *, apr_size_t))dlsym(RTLD_NEXT,
                                                                "apr_palloc");
        if (real_palloc == NULL) {
            abort();
        }
    }
    if (in_register) {
        return real_palloc(p, size);
    }
    list = pool_blocks(p);
    /* Keep the user's bytes right at the end of nothing: the header comes
     * first, the buffer ends exactly at the malloc block's end, so one byte
     * past it is in ASan's red zone. */
    b = malloc(sizeof(*b) + size);
    if (b == NULL) {
        abort();
    }
    b->next = list->head;
    list->head = b;
    return b + 1;
}
