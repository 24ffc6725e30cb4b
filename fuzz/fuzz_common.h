/*
 * fuzz_common.h: what every libFuzzer target of mod_certauthz shares.  One
 * APR pool per input, destroyed after it, so that LeakSanitizer sees any
 * allocation a parser makes outside its pool.  Fuzzing code only.
 */
#ifndef CERTAUTHZ_FUZZ_COMMON_H
#define CERTAUTHZ_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The process-wide parent of the per-input pools; libFuzzer runs inputs one
 * at a time on one thread. */
static apr_pool_t *fuzz_root;

static inline apr_pool_t *fuzz_pool(void)
{
    apr_pool_t *p;

    if (fuzz_root == NULL) {
        apr_initialize();
        apr_pool_create(&fuzz_root, NULL);
    }
    apr_pool_create(&p, fuzz_root);
    return p;
}

/* A NUL-terminated copy of the input (parsers of configuration text take C
 * strings: an embedded NUL simply ends the string, as in httpd). */
static inline char *fuzz_cstr(apr_pool_t *p, const uint8_t *data, size_t size)
{
    return apr_pstrmemdup(p, (const char *)data, size);
}

/* Split text at '\n' into a NULL-terminated argv, the way a Require line
 * reaches the provider as words (a word can hold anything but a newline). */
static inline const char **fuzz_argv(apr_pool_t *p, char *text, int *argc)
{
    int n = 1, i = 0;
    char *s, **argv;

    for (s = text; *s; s++) {
        n += *s == '\n';
    }
    argv = apr_palloc(p, sizeof(*argv) * (size_t)(n + 1));
    argv[i++] = text;
    for (s = text; *s; s++) {
        if (*s == '\n') {
            *s = '\0';
            argv[i++] = s + 1;
        }
    }
    argv[i] = NULL;
    *argc = i;
    return (const char **)argv;
}

#endif
