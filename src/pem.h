/*
 * pem: the one base64 and PEM reader of mod_certauthz, for the client
 * certificate mod_ssl hands over (SSL_CLIENT_CERT) and for PEM CRL files.
 */
#ifndef CERTAUTHZ_PEM_H
#define CERTAUTHZ_PEM_H

#include <apr_pools.h>

/* One "-----BEGIN L-----" ... "-----END L-----" block. */
typedef struct {
    const char *body;       /* the base64, after the BEGIN line */
    apr_size_t body_len;    /* up to the END line */
    const char *next;       /* just past the END line's last '-' */
} certauthz_pem_block_t;

/* How strictly a block is read. */
typedef enum {
    /* The shape PEM writers give it (PEM_write_bio_X509 and the like):
     * nothing after BEGIN on its line, lines of 64 characters but the
     * last, LF or CRLF line ends, nothing but base64 in between. */
    CERTAUTHZ_PEM_EXACT,
    /* Also blanks at the end of the BEGIN line and lines of any length,
     * blanks and CR anywhere between quanta (what people paste, and what
     * other tools write). */
    CERTAUTHZ_PEM_LENIENT
} certauthz_pem_how_e;

/* Where the next "-----BEGIN " starts a line in buf[from..len): its
 * offset, or len when there is none. */
apr_size_t certauthz_pem_find(const char *buf, apr_size_t len,
                              apr_size_t from);

/* Read the block starting at s (a "-----BEGIN " line, end its end):
 * NULL with *blk set, or a static message saying what is wrong.  The label
 * must be `label`; the END line must follow the base64 directly. */
const char *certauthz_pem_block(const char *s, const char *end,
                                const char *label, certauthz_pem_how_e how,
                                certauthz_pem_block_t *blk);

/* Decode a block's base64 into out (room for body_len / 4 * 3 + 3 bytes):
 * 0 with *outlen set, or -1 when it is not base64 read `how`. */
int certauthz_base64_decode(const certauthz_pem_block_t *blk,
                            certauthz_pem_how_e how, unsigned char *out,
                            apr_size_t *outlen);

/* The DER of a PEM certificate in the shape PEM writers give it, and
 * nothing else around it but line ends: 1 with *der (in p) and *dlen set,
 * or 0 for any other text, which certauthz_cert_from_pem leaves to
 * OpenSSL's PEM reader (fuzz/fuzz_cert.c: this reading takes nothing that
 * one refuses). */
int certauthz_pem_read_direct(apr_pool_t *p, const char *pem, apr_size_t len,
                              unsigned char **der, apr_size_t *dlen);

#endif
