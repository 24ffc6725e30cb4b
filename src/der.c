#include "der.h"

#include <string.h>
#include <time.h>

#include <apr_strings.h>
#include <openssl/objects.h>

int certauthz_asn1_time(const ASN1_TIME *t, apr_int64_t *out)
{
    struct tm tm;

    if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) {
        return -1;
    }
    *out = (apr_int64_t)timegm(&tm);
    return 0;
}

int certauthz_der_time(const certauthz_tlv_t *t, apr_int64_t *out)
{
    const unsigned char *q = t->tlv;
    ASN1_TIME *at;
    int rv;

    if ((t->tag != V_ASN1_UTCTIME && t->tag != V_ASN1_GENERALIZEDTIME)
        || t->tlv_len > 64) {
        return -1;
    }
    at = d2i_ASN1_TIME(NULL, &q, (long)t->tlv_len);
    rv = at != NULL && q == t->tlv + t->tlv_len ? certauthz_asn1_time(at, out)
                                                : -1;
    ASN1_TIME_free(at);
    return rv;
}

const unsigned char *certauthz_der_integer(const unsigned char *v,
                                           apr_size_t n,
                                           unsigned char *scratch,
                                           apr_size_t *len, int *negative)
{
    apr_size_t i;

    if (n == 0) {
        return NULL;
    }
    *negative = (v[0] & 0x80) != 0;
    if (*negative) {
        unsigned carry = 1;

        /* The magnitude of a negative number: invert, add one. */
        for (i = n; i-- > 0;) {
            unsigned x = (unsigned)(unsigned char)~v[i] + carry;

            scratch[i] = (unsigned char)x;
            carry = x >> 8;
        }
        v = scratch;
    }
    while (n > 0 && v[0] == 0) {
        v++;
        n--;
    }
    *len = n;
    return v;
}

const char *certauthz_der_oid_text(apr_pool_t *p, const certauthz_tlv_t *t)
{
    const unsigned char *q = t->tlv;
    ASN1_OBJECT *obj = NULL;
    const char *text = "(malformed OID)";
    char buf[128];
    int n, nid;

    if (t->tag == V_ASN1_OBJECT && t->tlv_len < 1024) {
        obj = d2i_ASN1_OBJECT(NULL, &q, (long)t->tlv_len);
    }
    if (obj != NULL && (n = OBJ_obj2txt(buf, sizeof(buf), obj, 1)) > 0
        && (apr_size_t)n < sizeof(buf)) {
        nid = OBJ_obj2nid(obj);
        text = nid != NID_undef && OBJ_nid2ln(nid) != NULL
                   ? apr_psprintf(p, "%s (%s)", buf, OBJ_nid2ln(nid))
                   : apr_pstrdup(p, buf);
    }
    ASN1_OBJECT_free(obj);
    return text;
}
