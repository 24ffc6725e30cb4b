/*
 * rule: compile the arguments of the cert-* providers once, at configuration
 * time, into a form that request time only compares.
 */
#include "rule.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <apr_strings.h>

#include "hexid.h"

/* Bounds on one regex match against one attribute value.  A value comes
 * from a certificate, so a pattern with catastrophic backtracking must not
 * let a certificate pin a worker thread: hitting a limit is "no match". */
#define RULE_MATCH_LIMIT 100000
#define RULE_HEAP_LIMIT_KIB 1024

/* One ATTR=VALUE or ATTR~REGEX of cert-subject / cert-issuer. */
typedef struct {
    certauthz_attr_t attr;
    const char *value; /* for '=': exact bytes */
    apr_size_t len;
    pcre2_code *re; /* for '~' */
} dn_cond_t;

/* One TYPE:PATTERN of cert-san. */
typedef struct {
    certauthz_san_type_e type;
    int wildcard;     /* dns "*.", email "*@", uri trailing '*' */
    const char *text; /* dns: the name, or the suffix from the first '.'
                       * of a wildcard (lower case); email: the domain
                       * (lower case); uri: the URI or the prefix */
    apr_size_t len;
    const char *local; /* email: the local part unless wildcard */
    apr_size_t local_len;
    unsigned char ip[16];
    int iplen;  /* 4 or 16 */
    int prefix; /* CIDR prefix length in bits */
} san_pat_t;

typedef struct {
    const unsigned char *bytes;
    apr_size_t len;
} serial_t;

struct certauthz_rule {
    certauthz_rule_kind_e kind;
    int n;
    dn_cond_t *conds;
    serial_t *serials;
    unsigned char (*fps)[32];
    san_pat_t *sans;
    pcre2_match_context *mctx; /* shared, read-only at request time */
};

/* ------------------------------------------------------------------ */
/* PCRE2 match data                                                    */

/*
 * pcre2_match() needs a match data block, which is written during the match,
 * so it cannot live in the (shared, read-only) compiled rule.  Allocating
 * one per match would be a malloc/free per condition per request; instead
 * each thread keeps one block of a single ovector pair (enough: we only ask
 * whether a pattern matches) and reuses it, together with the backtracking
 * frames PCRE2 caches in it.  The key is process-global state written once
 * under pthread_once and never changed; its destructor frees the block when
 * a thread exits.  Only threads that serve requests (in children) ever set
 * a value, and they all end before the child exits, so the destructor never
 * outlives this DSO across a restart.
 */
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static pthread_key_t md_key;
static int md_key_ok;

static void md_free(void *md)
{
    pcre2_match_data_free(md);
}

static void md_key_init(void)
{
    md_key_ok = pthread_key_create(&md_key, md_free) == 0;
}

static pcre2_match_data *thread_match_data(void)
{
    pcre2_match_data *md;

    if (pthread_once(&md_once, md_key_init) != 0 || !md_key_ok) {
        return NULL;
    }
    md = pthread_getspecific(md_key);
    if (md == NULL) {
        md = pcre2_match_data_create(1, NULL);
        if (md != NULL && pthread_setspecific(md_key, md) != 0) {
            pcre2_match_data_free(md);
            md = NULL;
        }
    }
    return md;
}

static apr_status_t re_cleanup(void *re)
{
    pcre2_code_free(re);
    return APR_SUCCESS;
}

static apr_status_t mctx_cleanup(void *mctx)
{
    pcre2_match_context_free(mctx);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Case-insensitive for ASCII letters only, whatever the locale: DNS names
 * and email domains.  b is already lower case. */
static int ascii_caseeq(const char *a, const char *b, apr_size_t n)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        if (ascii_lower((unsigned char)a[i]) != (unsigned char)b[i]) {
            return 0;
        }
    }
    return 1;
}

static char *ascii_lowerdup(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *d = apr_pstrmemdup(p, s, n);
    apr_size_t i;

    for (i = 0; i < n; i++) {
        d[i] = (char)ascii_lower((unsigned char)d[i]);
    }
    return d;
}

/* ------------------------------------------------------------------ */
/* Compiling                                                           */

static const char *compile_dn_cond(apr_pool_t *p, const char *arg,
                                   pcre2_match_context **mctx, dn_cond_t *cond)
{
    apr_size_t split = strcspn(arg, "=~");
    const char *name, *value;

    if (arg[split] == '\0') {
        return apr_psprintf(p, "expected ATTR=VALUE or ATTR~REGEX, got '%s'",
                            arg);
    }
    if (split == 0) {
        return apr_psprintf(p, "missing attribute name in '%s'", arg);
    }
    /* argv lives in the configuration's temporary pool; keep our copy. */
    arg = apr_pstrdup(p, arg);
    name = apr_pstrmemdup(p, arg, split);
    value = arg + split + 1;
    if (certauthz_attr_lookup(p, name, &cond->attr) != 0) {
        return apr_psprintf(p,
                            "unknown attribute '%s' in '%s' (use an "
                            "OpenSSL short or long name such as CN, O, OU, "
                            "or a dotted OID)",
                            name, arg);
    }
    if (arg[split] == '=') {
        cond->value = value;
        cond->len = strlen(value);
        return NULL;
    }
    {
        int errcode;
        PCRE2_SIZE erroff;
        PCRE2_UCHAR msg[256];

        cond->re = pcre2_compile((PCRE2_SPTR)value, PCRE2_ZERO_TERMINATED,
                                 PCRE2_UTF, &errcode, &erroff, NULL);
        if (cond->re == NULL) {
            if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0) {
                apr_cpystrn((char *)msg, "invalid pattern", sizeof(msg));
            }
            return apr_psprintf(p, "bad regex '%s' in '%s': %s at offset %lu",
                                value, arg, (const char *)msg,
                                (unsigned long)erroff);
        }
        apr_pool_cleanup_register(p, cond->re, re_cleanup,
                                  apr_pool_cleanup_null);
    }
    if (*mctx == NULL) {
        *mctx = pcre2_match_context_create(NULL);
        if (*mctx == NULL) {
            return "out of memory compiling a regex";
        }
        pcre2_set_match_limit(*mctx, RULE_MATCH_LIMIT);
        pcre2_set_heap_limit(*mctx, RULE_HEAP_LIMIT_KIB);
        apr_pool_cleanup_register(p, *mctx, mctx_cleanup,
                                  apr_pool_cleanup_null);
    }
    return NULL;
}

/* A DNS name or a domain: non-empty labels of non-blank characters, no
 * wildcard, no trailing dot.  Returns NULL or what is wrong. */
static const char *check_domain(const char *s, apr_size_t n)
{
    apr_size_t i;

    if (n == 0) {
        return "empty name";
    }
    if (s[0] == '.' || s[n - 1] == '.') {
        return "a name neither starts nor ends with '.'";
    }
    for (i = 0; i < n; i++) {
        if (s[i] == '*') {
            return "'*' is only allowed as the whole leftmost label "
                   "('*.example.com')";
        }
        if (s[i] == '.' && s[i + 1] == '.') {
            return "empty label";
        }
        if ((unsigned char)s[i] <= ' ' || s[i] == '@' || s[i] == '/') {
            return "not a DNS name";
        }
    }
    return NULL;
}

static const char *compile_ip(apr_pool_t *p, const char *arg, const char *pat,
                              san_pat_t *sp)
{
    const char *slash = strchr(pat, '/');
    char addr[64];
    apr_size_t alen = slash ? (apr_size_t)(slash - pat) : strlen(pat);
    int bits, i;

    if (alen == 0 || alen >= sizeof(addr)) {
        return apr_psprintf(p, "bad IP address in '%s'", arg);
    }
    memcpy(addr, pat, alen);
    addr[alen] = '\0';
    if (inet_pton(AF_INET, addr, sp->ip) == 1) {
        sp->iplen = 4;
    }
    else if (inet_pton(AF_INET6, addr, sp->ip) == 1) {
        sp->iplen = 16;
    }
    else {
        return apr_psprintf(p, "bad IP address '%s' in '%s'", addr, arg);
    }
    bits = sp->iplen * 8;
    sp->prefix = bits;
    if (slash != NULL) {
        const char *d = slash + 1;
        long v = 0;

        if (*d == '\0' || strlen(d) > 3) {
            return apr_psprintf(p, "bad CIDR prefix length in '%s' (0-%d)", arg,
                                bits);
        }
        for (; *d; d++) {
            if (*d < '0' || *d > '9') {
                return apr_psprintf(p, "bad CIDR prefix length in '%s' (0-%d)",
                                    arg, bits);
            }
            v = v * 10 + (*d - '0');
        }
        if (v > bits) {
            return apr_psprintf(p, "CIDR prefix length %ld exceeds %d in '%s'",
                                v, bits, arg);
        }
        sp->prefix = (int)v;
    }
    /* Host bits below the prefix are ignored, as `Require ip 10.1.2.3/8`
     * does: clear them so that matching compares the network only. */
    for (i = 0; i < sp->iplen; i++) {
        int keep = sp->prefix - i * 8;

        if (keep <= 0) {
            sp->ip[i] = 0;
        }
        else if (keep < 8) {
            sp->ip[i] &= (unsigned char)(0xff << (8 - keep));
        }
    }
    return NULL;
}

static const char *compile_san(apr_pool_t *p, const char *arg, san_pat_t *sp)
{
    const char *colon, *pat, *why;
    apr_size_t tlen, n;

    /* argv lives in the configuration's temporary pool; keep our copy. */
    arg = apr_pstrdup(p, arg);
    colon = strchr(arg, ':');
    if (colon == NULL) {
        return apr_psprintf(p,
                            "expected TYPE:PATTERN (email, dns, uri or "
                            "ip), got '%s'",
                            arg);
    }
    tlen = (apr_size_t)(colon - arg);
    pat = colon + 1;
    n = strlen(pat);
    if (tlen == 5 && strncasecmp(arg, "email", 5) == 0) {
        sp->type = CERTAUTHZ_SAN_EMAIL;
    }
    else if (tlen == 3 && strncasecmp(arg, "dns", 3) == 0) {
        sp->type = CERTAUTHZ_SAN_DNS;
    }
    else if (tlen == 3 && strncasecmp(arg, "uri", 3) == 0) {
        sp->type = CERTAUTHZ_SAN_URI;
    }
    else if (tlen == 2 && strncasecmp(arg, "ip", 2) == 0) {
        sp->type = CERTAUTHZ_SAN_IP;
    }
    else {
        return apr_psprintf(p,
                            "unknown SAN type '%s' in '%s' (use email, "
                            "dns, uri or ip)",
                            apr_pstrmemdup(p, arg, tlen), arg);
    }
    if (n == 0) {
        return apr_psprintf(p, "empty pattern in '%s'", arg);
    }

    switch (sp->type) {
    case CERTAUTHZ_SAN_DNS:
        if (pat[0] == '*' && pat[1] == '.') {
            sp->wildcard = 1;
            why = check_domain(pat + 2, n - 2);
            sp->text = ascii_lowerdup(p, pat + 1, n - 1);
            sp->len = n - 1;
        }
        else {
            why = check_domain(pat, n);
            sp->text = ascii_lowerdup(p, pat, n);
            sp->len = n;
        }
        if (why != NULL) {
            return apr_psprintf(p, "bad DNS pattern '%s': %s", arg, why);
        }
        return NULL;

    case CERTAUTHZ_SAN_EMAIL: {
        const char *at = strrchr(pat, '@');

        if (at == NULL || at == pat) {
            return apr_psprintf(p,
                                "bad email pattern '%s': expected "
                                "LOCAL@DOMAIN or *@DOMAIN",
                                arg);
        }
        why = check_domain(at + 1, strlen(at + 1));
        if (why != NULL) {
            return apr_psprintf(p, "bad email pattern '%s': domain: %s", arg,
                                why);
        }
        if (at - pat == 1 && pat[0] == '*') {
            sp->wildcard = 1;
        }
        else if (memchr(pat, '*', (apr_size_t)(at - pat)) != NULL) {
            return apr_psprintf(p,
                                "bad email pattern '%s': '*' is only "
                                "allowed as the whole local part",
                                arg);
        }
        else {
            sp->local = pat;
            sp->local_len = (apr_size_t)(at - pat);
        }
        sp->text = ascii_lowerdup(p, at + 1, strlen(at + 1));
        sp->len = strlen(at + 1);
        return NULL;
    }

    case CERTAUTHZ_SAN_URI: {
        const char *star = strchr(pat, '*');

        if (star != NULL && star[1] != '\0') {
            return apr_psprintf(p,
                                "bad URI pattern '%s': '*' is only "
                                "allowed at the end (prefix match)",
                                arg);
        }
        sp->wildcard = star != NULL;
        sp->text = pat;
        sp->len = star != NULL ? n - 1 : n;
        return NULL;
    }

    case CERTAUTHZ_SAN_IP:
        return compile_ip(p, arg, pat, sp);
    }
    return "unreachable SAN type";
}

const char *certauthz_rule_compile(apr_pool_t *p, certauthz_rule_kind_e kind,
                                   int argc, const char *const *argv,
                                   certauthz_rule_t **out)
{
    certauthz_rule_t *rule = apr_pcalloc(p, sizeof(*rule));
    const char *err = NULL;
    int i;

    rule->kind = kind;
    rule->n = argc;
    if (kind == CERTAUTHZ_RULE_VALID) {
        if (argc > 0) {
            return apr_psprintf(p, "takes no arguments, got '%s'", argv[0]);
        }
        *out = rule;
        return NULL;
    }
    if (argc < 1) {
        switch (kind) {
        case CERTAUTHZ_RULE_SUBJECT:
        case CERTAUTHZ_RULE_ISSUER:
            return "missing argument: at least one ATTR=VALUE or ATTR~REGEX";
        case CERTAUTHZ_RULE_SERIAL:
            return "missing argument: at least one hex serial";
        case CERTAUTHZ_RULE_FINGERPRINT:
            return "missing argument: at least one SHA-256 fingerprint";
        default:
            return "missing argument: at least one TYPE:PATTERN "
                   "(email, dns, uri or ip)";
        }
    }

    switch (kind) {
    case CERTAUTHZ_RULE_SUBJECT:
    case CERTAUTHZ_RULE_ISSUER:
        rule->conds = apr_pcalloc(p, sizeof(*rule->conds) * (apr_size_t)argc);
        for (i = 0; i < argc && err == NULL; i++) {
            err = compile_dn_cond(p, argv[i], &rule->mctx, &rule->conds[i]);
        }
        break;
    case CERTAUTHZ_RULE_SERIAL:
        rule->serials =
            apr_pcalloc(p, sizeof(*rule->serials) * (apr_size_t)argc);
        for (i = 0; i < argc && err == NULL; i++) {
            unsigned char *b = apr_palloc(p, strlen(argv[i]) / 2 + 1);
            const char *why =
                certauthz_serial_parse(argv[i], b, &rule->serials[i].len);
            if (why != NULL) {
                err = apr_psprintf(p, "'%s' is not a hex serial: %s", argv[i],
                                   why);
            }
            rule->serials[i].bytes = b;
        }
        break;
    case CERTAUTHZ_RULE_FINGERPRINT:
        rule->fps = apr_palloc(p, sizeof(*rule->fps) * (apr_size_t)argc);
        for (i = 0; i < argc && err == NULL; i++) {
            const char *why =
                certauthz_fingerprint_parse(argv[i], rule->fps[i]);
            if (why != NULL) {
                err = apr_psprintf(p, "'%s' is not a SHA-256 fingerprint: %s",
                                   argv[i], why);
            }
        }
        break;
    case CERTAUTHZ_RULE_SAN:
        rule->sans = apr_pcalloc(p, sizeof(*rule->sans) * (apr_size_t)argc);
        for (i = 0; i < argc && err == NULL; i++) {
            err = compile_san(p, argv[i], &rule->sans[i]);
        }
        break;
    default:
        return "unknown provider";
    }
    if (err != NULL) {
        return err;
    }
    *out = rule;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Matching: no allocation, no parsing                                 */

/* 1 when the value satisfies the condition, 0 when it does not, -1 when
 * it cannot be told: a value that could not be decoded to UTF-8, or a
 * regex that failed (its match or heap limit: a backtracking bomb). */
static int ava_satisfies(const dn_cond_t *cond, const certauthz_ava_t *a,
                         const pcre2_match_context *mctx)
{
    pcre2_match_data *md;
    int rc;

    if (a->undecodable) {
        return -1;
    }
    if (cond->re == NULL) {
        return a->len == cond->len &&
               memcmp(a->value, cond->value, a->len) == 0;
    }
    md = thread_match_data();
    if (md == NULL) {
        return -1;
    }
    rc = pcre2_match(cond->re, (PCRE2_SPTR)a->value, a->len, 0, 0, md,
                     (pcre2_match_context *)mctx);
    /* >= 0: matched (0 only says the one-pair ovector was too small). */
    if (rc >= 0) {
        return 1;
    }
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

/* Every condition holds (1), one does not (0), or none is refuted and one
 * cannot be told (-1). */
static int dn_match(const certauthz_rule_t *rule, const certauthz_dn_t *dn)
{
    int i, j, unknown = 0;

    for (i = 0; i < rule->n; i++) {
        const dn_cond_t *cond = &rule->conds[i];
        int held = 0, cond_unknown = 0;

        for (j = 0; j < dn->n && !held; j++) {
            if (certauthz_ava_is(&dn->avas[j], &cond->attr)) {
                int r = ava_satisfies(cond, &dn->avas[j], rule->mctx);

                held = r > 0;
                cond_unknown |= r < 0;
            }
        }
        if (!held && !cond_unknown) {
            return 0;
        }
        unknown |= !held;
    }
    return unknown ? -1 : 1;
}

static int ip_match(const san_pat_t *sp, const certauthz_san_t *s)
{
    int full = sp->prefix / 8, rest = sp->prefix % 8;

    if (s->iplen != sp->iplen) {
        return 0;
    }
    if (memcmp(s->ip, sp->ip, (size_t)full) != 0) {
        return 0;
    }
    if (rest != 0) {
        unsigned char mask = (unsigned char)(0xff << (8 - rest));
        return (s->ip[full] & mask) == sp->ip[full];
    }
    return 1;
}

static int san_match_one(const san_pat_t *sp, const certauthz_san_t *s)
{
    const char *v = s->value;
    apr_size_t n = s->len;

    if (s->type != sp->type) {
        return 0;
    }
    if (sp->type == CERTAUTHZ_SAN_IP) {
        return ip_match(sp, s);
    }
    /* A NUL inside an IA5String is never legitimate and is the classic way
     * to make "good.example.com\0.evil.net" look like a good name. */
    if (memchr(v, '\0', n) != NULL) {
        return 0;
    }
    switch (sp->type) {
    case CERTAUTHZ_SAN_DNS:
        if (!sp->wildcard) {
            return n == sp->len && ascii_caseeq(v, sp->text, n);
        }
        /* "*.example.com": exactly one non-empty label before ".example.com" */
        return n > sp->len &&
               ascii_caseeq(v + n - sp->len, sp->text, sp->len) &&
               memchr(v, '.', n - sp->len) == NULL;
    case CERTAUTHZ_SAN_EMAIL: {
        const char *at = NULL;
        apr_size_t i, local_len;

        for (i = n; i > 0; i--) {
            if (v[i - 1] == '@') {
                at = v + i - 1;
                break;
            }
        }
        if (at == NULL || at == v) {
            return 0;
        }
        local_len = (apr_size_t)(at - v);
        if (n - local_len - 1 != sp->len ||
            !ascii_caseeq(at + 1, sp->text, sp->len)) {
            return 0;
        }
        return sp->wildcard || (local_len == sp->local_len &&
                                memcmp(v, sp->local, local_len) == 0);
    }
    case CERTAUTHZ_SAN_URI:
        if (sp->wildcard) {
            return n >= sp->len && memcmp(v, sp->text, sp->len) == 0;
        }
        return n == sp->len && memcmp(v, sp->text, n) == 0;
    default:
        return 0;
    }
}

int certauthz_rule_match(const certauthz_rule_t *rule,
                         const certauthz_cert_t *cert)
{
    int i, j;

    if (cert == NULL) {
        return 0;
    }
    switch (rule->kind) {
    case CERTAUTHZ_RULE_VALID:
        return 1;
    case CERTAUTHZ_RULE_SUBJECT:
        return dn_match(rule, &cert->subject);
    case CERTAUTHZ_RULE_ISSUER:
        return dn_match(rule, &cert->issuer);
    case CERTAUTHZ_RULE_SERIAL:
        /* A negative serial (invalid under RFC 5280) is never equal to a
         * written serial, which is always a magnitude. */
        if (cert->serial_negative) {
            return 0;
        }
        for (i = 0; i < rule->n; i++) {
            if (rule->serials[i].len == cert->serial_len &&
                memcmp(rule->serials[i].bytes, cert->serial,
                       cert->serial_len) == 0) {
                return 1;
            }
        }
        return 0;
    case CERTAUTHZ_RULE_FINGERPRINT:
        for (i = 0; i < rule->n; i++) {
            if (memcmp(rule->fps[i], cert->sha256, 32) == 0) {
                return 1;
            }
        }
        return 0;
    case CERTAUTHZ_RULE_SAN:
        for (j = 0; j < cert->n_sans; j++) {
            for (i = 0; i < rule->n; i++) {
                if (san_match_one(&rule->sans[i], &cert->sans[j])) {
                    return 1;
                }
            }
        }
        return 0;
    }
    return 0;
}
