/*
 * tap.h: the smallest TAP producer, so that prove and Apache::Test's harness
 * run the C unit tests beside the server tests.
 *
 *   plan(N); ok(cond, "what a user relies on"); is_str(a, b, msg);
 *   return done_testing();
 */
#ifndef CERTAUTHZ_TAP_H
#define CERTAUTHZ_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned;

static inline void plan(int n)
{
    tap_planned = n;
    printf("1..%d\n", n);
}

static inline int tap_vok(int cond, const char *fmt, va_list ap)
{
    tap_n++;
    printf("%sok %d - ", cond ? "" : "not ", tap_n);
    vprintf(fmt, ap);
    printf("\n");
    if (!cond) {
        tap_failed++;
    }
    fflush(stdout);
    return cond;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline int ok(int cond, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = tap_vok(cond, fmt, ap);
    va_end(ap);
    return r;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline int is_str(const char *got, const char *want, const char *fmt, ...)
{
    va_list ap;
    int cond = got != NULL && want != NULL ? strcmp(got, want) == 0
                                           : got == want;
    int r;

    va_start(ap, fmt);
    r = tap_vok(cond, fmt, ap);
    va_end(ap);
    if (!cond) {
        printf("#   got:      '%s'\n#   expected: '%s'\n", got ? got : "(null)",
               want ? want : "(null)");
    }
    return r;
}

static inline int done_testing(void)
{
    if (tap_planned == 0) {
        printf("1..%d\n", tap_n);
    }
    else if (tap_planned != tap_n) {
        printf("# planned %d tests, ran %d\n", tap_planned, tap_n);
        return 1;
    }
    return tap_failed ? 1 : 0;
}

/* How many of n iterations a loop runs: all of them, or a tenth under
 * valgrind (scripts/harness.pl sets CERTAUTHZ_MEMCHECK), where the point
 * is memory errors, not coverage, and every instruction costs fifty. */
static inline int tap_scale(int n)
{
    return getenv("CERTAUTHZ_MEMCHECK") != NULL ? (n + 9) / 10 : n;
}

#endif
