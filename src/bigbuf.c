#include "bigbuf.h"

#include <string.h>
#include <sys/mman.h>

int certauthz_bigbuf_reserve(certauthz_bigbuf_t *b, apr_size_t need)
{
    apr_size_t cap;
    unsigned char *np;

    if (b->len + need <= b->cap) {
        return 0;
    }
    if (need > ((apr_size_t)-1) / 4 - b->len) {
        return -1;
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

void certauthz_bigbuf_free(certauthz_bigbuf_t *b)
{
    if (b->p != NULL) {
        munmap(b->p, b->cap);
    }
    memset(b, 0, sizeof(*b));
}
