/*
 * utf8: reading well-formed UTF-8 (RFC 3629), the one definition every part
 * of mod_certauthz uses.
 */
#ifndef CERTAUTHZ_UTF8_H
#define CERTAUTHZ_UTF8_H

#include <apr.h>

/* Length of the well-formed UTF-8 character at s (at most n bytes: no
 * overlong forms, no surrogates, nothing above U+10FFFF) with its code
 * point in *cp, or 0 when the bytes at s are not one. */
apr_size_t certauthz_utf8_char(const unsigned char *s, apr_size_t n,
                               unsigned long *cp);

#endif
