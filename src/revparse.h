/*
 * revparse: the readers of the revocation file formats (INTERFACE §3),
 * each adding what a file revokes to an index builder.  Internal to src/:
 * src/revocation.c picks the reader by the file's content.
 *
 * Every reader returns NULL, or a message naming the file (`path`, or
 * `what` for one CRL of a file: "PATH: line N") and, for text, the line
 * and the token; or certauthz_rev_oom when memory ran out (the caller
 * names the file).
 */
#ifndef CERTAUTHZ_REVPARSE_H
#define CERTAUTHZ_REVPARSE_H

#include "crl_verify.h"
#include "revindex.h"

extern const char certauthz_rev_oom[];

/* The plain list: one serial or sha256: fingerprint a line. */
const char *certauthz_parse_list(apr_pool_t *p, const char *path,
                                 const char *buf, apr_size_t len,
                                 certauthz_revbuild_t *b);

/* The database of `openssl ca` (index.txt). */
const char *certauthz_parse_index(apr_pool_t *p, const char *path,
                                  const char *buf, apr_size_t len,
                                  certauthz_revbuild_t *b);

/* One DER CRL, read strictly (src/crl.c). */
const char *certauthz_crl_add(apr_pool_t *p, const char *what,
                              const unsigned char *der, apr_size_t len,
                              certauthz_revbuild_t *b);

/* One or more PEM CRLs with any text around them (as `openssl crl -text`
 * writes); each verified with v when not NULL. */
const char *certauthz_crl_parse_pem(apr_pool_t *p, const char *path,
                                    const char *buf, apr_size_t len,
                                    certauthz_revbuild_t *b,
                                    const certauthz_crl_verifier_t *v);

/* A token quoted for an error message: printable, and short. */
const char *certauthz_revtoken(apr_pool_t *p, const char *s, apr_size_t n);

/* Blanks within a line of the text formats. */
static APR_INLINE int certauthz_is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

#endif
