/*
 * der: the one reader of DER in mod_certauthz.  Certificates, names and
 * CRLs are walked with it element by element, without building OpenSSL's
 * structures (which for a CRL of a million entries cost seconds and
 * hundreds of megabytes): every length is checked against its container,
 * so no walk ever reads outside the bytes it was given.
 *
 * It reads what OpenSSL's ASN1_get_object reads, less what no certificate
 * or CRL holds: definite lengths of up to four octets (a non-minimal
 * length is accepted, as OpenSSL accepts it) and one-octet tags.
 */
#ifndef CERTAUTHZ_DER_H
#define CERTAUTHZ_DER_H

#include <apr_pools.h>
#include <openssl/asn1.h>

/* The bytes still to read in one container. */
typedef struct {
    const unsigned char *p, *end;
} certauthz_der_t;

/* One element. */
typedef struct {
    unsigned tag;               /* the identifier octet */
    const unsigned char *tlv;   /* where the element starts */
    const unsigned char *val;   /* its content */
    apr_size_t len;             /* of the content */
    apr_size_t tlv_len;         /* of the whole element */
} certauthz_tlv_t;

static APR_INLINE void certauthz_der_init(certauthz_der_t *d,
                                          const unsigned char *p,
                                          apr_size_t n)
{
    d->p = p;
    d->end = p + n;
}

/* The content of an element, to be walked in turn. */
static APR_INLINE void certauthz_der_enter(certauthz_der_t *d,
                                           const certauthz_tlv_t *t)
{
    d->p = t->val;
    d->end = t->val + t->len;
}

/* The identifier octet of the next element, or -1 at the end. */
static APR_INLINE int certauthz_der_peek(const certauthz_der_t *d)
{
    return d->p < d->end ? *d->p : -1;
}

static APR_INLINE int certauthz_der_done(const certauthz_der_t *d)
{
    return d->p == d->end;
}

/* Read the next element into t and step over it: 0, or -1 when what
 * follows is not a whole element (truncated, indefinite length, a length
 * beyond the container, a multi-octet tag).  Inline: a CRL of a million
 * entries is a few million elements. */
static APR_INLINE int certauthz_der_next(certauthz_der_t *d,
                                         certauthz_tlv_t *t)
{
    const unsigned char *q = d->p;
    apr_size_t len, n, i;

    if (d->end - q < 2) {
        return -1;
    }
    t->tlv = q;
    t->tag = *q++;
    if ((t->tag & 0x1f) == 0x1f) {
        return -1;  /* high tag numbers occur nowhere we read */
    }
    len = *q++;
    if (len & 0x80) {
        n = len & 0x7f;
        if (n == 0 || n > 4 || (apr_size_t)(d->end - q) < n) {
            return -1;  /* indefinite, or longer than anything we read */
        }
        for (len = 0, i = 0; i < n; i++) {
            len = len << 8 | *q++;
        }
    }
    if ((apr_size_t)(d->end - q) < len) {
        return -1;
    }
    t->val = q;
    t->len = len;
    t->tlv_len = (apr_size_t)(q + len - t->tlv);
    d->p = q + len;
    return 0;
}

/* The same, and the element must have the given tag. */
static APR_INLINE int certauthz_der_expect(certauthz_der_t *d, unsigned tag,
                                           certauthz_tlv_t *t)
{
    return certauthz_der_next(d, t) == 0 && t->tag == tag ? 0 : -1;
}

/* A UTCTime or GeneralizedTime element as seconds since the epoch, read by
 * OpenSSL's rules (RFC 5280 forms and the variants OpenSSL accepts).  0 or
 * -1. */
int certauthz_der_time(const certauthz_tlv_t *t, apr_int64_t *out);

/* The same from OpenSSL's structure: the one conversion of both. */
int certauthz_asn1_time(const ASN1_TIME *t, apr_int64_t *out);

/*
 * The magnitude of the INTEGER whose content octets are v[0..n):
 * big-endian, without leading zero bytes (zero is the empty string), in
 * *len bytes at the pointer returned: inside v for a positive value, in
 * scratch (room for n bytes) for a negative one, whose magnitude is taken
 * from its two's complement (*negative set).  It is the value of the
 * integer whatever its padding, so a certificate's serial and a CRL
 * entry's serial are compared as numbers.  The one serial magnitude of
 * mod_certauthz: certificates, CRL entries and (through hexid's parser)
 * written serials all end up in this form.  NULL for no content.
 */
const unsigned char *certauthz_der_integer(const unsigned char *v,
                                           apr_size_t n,
                                           unsigned char *scratch,
                                           apr_size_t *len, int *negative);

/* An OBJECT IDENTIFIER element (tag and length included) for a message:
 * "2.5.29.99", followed by " (longName)" when OpenSSL knows it. */
const char *certauthz_der_oid_text(apr_pool_t *p, const certauthz_tlv_t *t);

#endif
