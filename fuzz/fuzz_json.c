/*
 * The log encoder: whatever bytes a certificate carries, %{json}Z is one
 * line of valid JSON (checked by a strict validator) with the documented
 * keys, and every %{NAME}Z text field stays one line of printable text.
 *
 * The first input byte picks the certificate: 0 parses the rest as DER (the
 * real path, values as OpenSSL decodes them); anything else builds the
 * parsed record directly from the bytes, so that every field, including
 * those a DER parse would normalise, carries arbitrary bytes.
 */
#include "fuzz/fuzz_common.h"
#include "fuzz/json_check.h"

#include <openssl/objects.h>

#include "src/certinfo.h"
#include "src/logfields.h"

typedef struct {
    const uint8_t *d;
    size_t n;
} input_t;

static unsigned take_byte(input_t *in)
{
    unsigned v = 0;

    if (in->n > 0) {
        v = *in->d++;
        in->n--;
    }
    return v;
}

/* A length-prefixed run of arbitrary bytes, NUL-terminated after len. */
static const char *take_bytes(apr_pool_t *p, input_t *in, apr_size_t *len)
{
    apr_size_t n = take_byte(in);

    if (n > in->n) {
        n = in->n;
    }
    *len = n;
    in->d += n;
    in->n -= n;
    return apr_pstrmemdup(p, (const char *)in->d - n, n);
}

/* A C string field (the DN strings, serial and fingerprint are C strings
 * in certauthz_cert_t). */
static const char *take_cstr(apr_pool_t *p, input_t *in)
{
    apr_size_t len;

    return take_bytes(p, in, &len);
}

static void take_dn(apr_pool_t *p, input_t *in, certauthz_dn_t *dn)
{
    static const int nids[] = {NID_commonName, NID_organizationName,
                               NID_organizationalUnitName, NID_countryName,
                               NID_pkcs9_emailAddress, NID_undef};
    int i, n = (int)(take_byte(in) % 6);
    certauthz_ava_t *a = apr_pcalloc(p, sizeof(*a) * (apr_size_t)(n + 1));

    for (i = 0; i < n; i++) {
        unsigned b = take_byte(in);

        a[i].nid = nids[b % 6];
        a[i].oid = a[i].nid == NID_undef ? "1.2.3.4"
                                         : OBJ_nid2sn(a[i].nid);
        a[i].undecodable = (b >> 4) & 1;
        a[i].set = i;
        a[i].value = take_bytes(p, in, &a[i].len);
    }
    dn->avas = a;
    dn->n = n;
}

/* Any time certinfo can produce: ASN1_TIME years 0000 to 9999. */
static apr_int64_t take_time(input_t *in)
{
    apr_uint64_t v = 0;
    int i;

    for (i = 0; i < 5; i++) {
        v = (v << 8) | take_byte(in);
    }
    return (apr_int64_t)(v % 315569520000ULL) - 62167219200LL;
}

static certauthz_cert_t *synthetic(apr_pool_t *p, input_t *in)
{
    certauthz_cert_t *c = apr_pcalloc(p, sizeof(*c));
    certauthz_san_t *s;
    int i, n;

    take_dn(p, in, &c->subject);
    take_dn(p, in, &c->issuer);
    c->subject_dn = take_cstr(p, in);
    c->issuer_dn = take_cstr(p, in);
    c->serial_hex = take_cstr(p, in);
    c->fingerprint = take_cstr(p, in);
    c->not_before = take_time(in);
    c->not_after = take_time(in);
    n = (int)(take_byte(in) % 8);
    s = apr_pcalloc(p, sizeof(*s) * (apr_size_t)(n + 1));
    for (i = 0; i < n; i++) {
        s[i].type = (certauthz_san_type_e)(take_byte(in) % 4);
        s[i].value = take_bytes(p, in, &s[i].len);
        if (s[i].type == CERTAUTHZ_SAN_IP) {
            s[i].iplen = 4;
        }
    }
    c->sans = s;
    c->n_sans = n;
    return c;
}

/* A text field: printable ASCII only (keep_utf8 0), or additionally
 * well-formed UTF-8 (keep_utf8 1); never a control character. */
static void check_text(const char *t, int keep_utf8)
{
    const unsigned char *u = (const unsigned char *)t;
    size_t n = strlen(t);

    while (n > 0) {
        unsigned long cp;
        size_t k;

        if (*u < 0x80) {
            if (*u < 0x20 || *u == 0x7f) {
                abort();
            }
            u++;
            n--;
            continue;
        }
        k = json_utf8(u, n, &cp);
        if (!keep_utf8 || k == 0 || (cp >= 0x80 && cp < 0xa0)) {
            abort();
        }
        u += k;
        n -= k;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    input_t in = {data, size};
    certauthz_logrec_t rec;
    certauthz_cert_t *c = NULL;
    const char *json, *k;
    apr_size_t vlen;
    unsigned mode = take_byte(&in);
    int f;

    memset(&rec, 0, sizeof(rec));
    if (mode == 0) {
        if (certauthz_cert_from_der(p, in.d, in.n, &c) != NULL) {
            c = NULL;
        }
        in.n = 0;
    }
    else if (mode & 1) {
        c = synthetic(p, &in);
    }
    rec.cert = c;
    rec.verify = (mode & 2) ? take_cstr(p, &in) : NULL;
    rec.rule = (mode & 4) ? take_cstr(p, &in) : NULL;
    rec.reason = (certauthz_reason_e)(take_byte(&in) % CERTAUTHZ_REASON_COUNT);
    rec.now = take_time(&in);
    if (mode & 8) {
        /* A device id source as an administrator could write one. */
        const char *src = take_cstr(p, &in);

        if (certauthz_devid_compile(p, src, &rec.devid) != NULL) {
            rec.devid = NULL;
        }
    }

    json = certauthz_fields_json(p, &rec);
    if (strchr(json, '\n') != NULL || strchr(json, '\r') != NULL
        || !json_valid(json, strlen(json))) {
        abort();
    }
    /* The documented keys, in order. */
    k = json;
    for (f = 0; f < CERTAUTHZ_FIELD_COUNT; f++) {
        const char *key = apr_pstrcat(p, "\"", certauthz_field_name(f),
                                      "\": ", NULL);

        k = strstr(k, key);
        if (k == NULL) {
            abort();
        }
    }
    for (f = 0; f < CERTAUTHZ_FIELD_COUNT; f++) {
        check_text(certauthz_field_text(p, &rec, f, 0), 0);
        check_text(certauthz_field_text(p, &rec, f, 1), 1);
    }
    /* The string encoder alone, on the raw bytes. */
    {
        const char *s = take_bytes(p, &in, &vlen);
        const char *js = certauthz_json_string(p, s, vlen);

        if (!json_valid(js, strlen(js)) || strchr(js, '\n') != NULL) {
            abort();
        }
    }
    apr_pool_destroy(p);
    return 0;
}
