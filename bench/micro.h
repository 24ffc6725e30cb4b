/*
 * micro: the benchmark program of src/, sections of which live in several
 * files (one per area of src/) so that an area joins the benchmark by adding
 * its file to MICRO_SRC in the Makefile.
 */
#ifndef CERTAUTHZ_BENCH_MICRO_H
#define CERTAUTHZ_BENCH_MICRO_H

#include <apr_pools.h>

/* One measured operation.  setup() prepares what loop() uses (outside the
 * timing and outside callgrind's collection) and returns NULL, or a reason
 * the section cannot run here, printed as "skip".  loop() performs the
 * operation n times; it is what is timed and what callgrind collects
 * (--toggle-collect=NAME_loop), so it must not be inlined. */
typedef struct {
    const char *name;   /* printed, and the argument that selects it */
    const char *unit;   /* "ns/op" or "ms/op" */
    const char *(*setup)(apr_pool_t *p, const char *lists_dir, long entries);
    void (*loop)(long n);
    long min_n;         /* iterations of the smallest timed batch */
} micro_section_t;

/* A value the compiler must assume is read, so no loop is optimised away. */
extern volatile long micro_sink;

/* Sections of the rule language and certificate parsing (micro.c). */
extern const micro_section_t micro_rule_sections[];

/* Sections of the revocation sources (micro_revocation.c), when
 * src/revocation.h exists on this branch. */
extern const micro_section_t micro_revocation_sections[];

#endif
