/*
 * bigbuf: the large, short-lived buffers of a revocation load (the file
 * read whole, a decoded PEM CRL, the index being built), tens of megabytes
 * for a million entries.  They are taken straight from mmap and given back
 * with munmap, not from malloc: glibc raises its mmap threshold after such
 * a free, so later large allocations would stay in the heap of the parent,
 * whose pages every child then inherits.
 */
#ifndef CERTAUTHZ_BIGBUF_H
#define CERTAUTHZ_BIGBUF_H

#include <apr.h>

typedef struct {
    unsigned char *p;
    apr_size_t len, cap;
} certauthz_bigbuf_t;

/* Room for `need` more bytes after len; fresh room reads as zeros.  0, or
 * -1 when memory ran out (the buffer is unchanged). */
int certauthz_bigbuf_reserve(certauthz_bigbuf_t *b, apr_size_t need);

/* Give the memory back; the buffer is empty again. */
void certauthz_bigbuf_free(certauthz_bigbuf_t *b);

#endif
