/* Unit tests of src/requireline.c: a Require line split as httpd's
 * ap_getword_conf splits it, compiled by src/rule.c, and the conditions a
 * certificate fails named with what it holds there. */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "src/certinfo.h"
#include "src/requireline.h"
#include "t/unit/certgen.h"
#include "t/unit/tap.h"

/* The words of line joined by '|'. */
static const char *words(apr_pool_t *p, const char *line)
{
    const char *out = NULL;

    while (*line) {
        const char *w = certauthz_getword_conf(p, &line);

        out = out ? apr_pstrcat(p, out, "|", w, NULL) : w;
    }
    return out ? out : "";
}

static const certauthz_cert_t *cert(apr_pool_t *p, const char *san)
{
    X509_NAME *n = X509_NAME_new();
    static const unsigned char serial[] = {0x10, 0x01};
    certauthz_cert_t *c = NULL;
    X509 *x;

    certgen_add(n, "O", MBSTRING_UTF8, "MyOrg", -1, 0);
    certgen_add(n, "OU", MBSTRING_UTF8, "a", -1, 0);
    certgen_add(n, "OU", MBSTRING_UTF8, "b", -1, 1);
    certgen_add(n, "CN", MBSTRING_UTF8, "dev\n1", -1, 0);
    x = certgen_cert(n, serial, 2, san);
    certauthz_cert_from_x509(p, x, &c);
    X509_free(x);
    X509_NAME_free(n);
    return c;
}

static const char *failed(apr_pool_t *p, const char *line,
                          const certauthz_cert_t *c)
{
    certauthz_require_t req;
    apr_array_header_t *f;
    const char *out = "";
    const char *err = certauthz_require_parse(p, line, &req);
    int i;

    if (err != NULL) {
        return err;
    }
    f = certauthz_require_explain(p, &req, c);
    for (i = 0; i < f->nelts; i++) {
        const certauthz_failed_t *e = &APR_ARRAY_IDX(f, i, certauthz_failed_t);

        out = apr_pstrcat(p, out, i ? "; " : "", e->condition, " -> ", e->holds,
                          NULL);
    }
    return out;
}

int main(void)
{
    apr_pool_t *p;
    certauthz_require_t req;
    const certauthz_cert_t *c, *c2;
    const char *err;

    apr_initialize();
    apr_pool_create(&p, NULL);
    plan(26);

    is_str(words(p, "  O=MyOrg   OU=a "), "O=MyOrg|OU=a",
           "words: blanks separate, leading and trailing ignored");
    is_str(words(p, "\"O=My Org\" 'CN=x y'"), "O=My Org|CN=x y",
           "words: double and single quotes group");
    is_str(words(p, "\"a \\\"q\\\" b\""), "a \"q\" b",
           "words: a backslash escapes the quote inside quotes");
    is_str(words(p, "a\\\\b \"c\\\\d\""), "a\\b|c\\d",
           "words: two backslashes are one, quoted or not");
    is_str(words(p, "a\\b"), "a\\b", "words: a lone backslash stays");
    is_str(words(p, "x\"y z\""), "x\"y|z\"",
           "words: a quote inside a word is a character, as in httpd");
    is_str(words(p, "\"unterminated word"), "unterminated word",
           "words: an unterminated quote runs to the end of the line");
    is_str(words(p, "\"\" x"), "|x", "words: an empty quoted word is a word");

    err = certauthz_require_parse(p, "Require  cert-subject \"O=My Org\"  ",
                                  &req);
    ok(err == NULL && req.kind == CERTAUTHZ_RULE_SUBJECT && req.argc == 1 &&
           strcmp(req.argv[0], "O=My Org") == 0,
       "parse: a leading Require, quotes removed");
    is_str(req.text, "cert-subject \"O=My Org\"",
           "parse: the rule as the module logs it (provider and the rest)");
    err = certauthz_require_parse(p, "cert-valid", &req);
    ok(err == NULL && req.kind == CERTAUTHZ_RULE_VALID && req.argc == 0 &&
           strcmp(req.text, "cert-valid") == 0,
       "parse: cert-valid alone");
    err = certauthz_require_parse(p, "cert-valid x", &req);
    ok(err && strstr(err, "Require cert-valid: takes no arguments"),
       "parse: the provider's own message for a bad argument (%s)", err);
    err = certauthz_require_parse(p, "Cert-Valid", &req);
    ok(err && strstr(err, "'Cert-Valid' is not a cert-* provider"),
       "parse: provider names are exact, as httpd looks them up");
    err = certauthz_require_parse(p, "require not cert-valid", &req);
    ok(err && strstr(err, "'Require not'"), "parse: Require not refused");
    err = certauthz_require_parse(p, "  ", &req);
    ok(err && strstr(err, "empty Require line"), "parse: an empty line");
    err = certauthz_require_parse(p, "cert-subject \"\"", &req);
    ok(err != NULL, "parse: a quoted empty argument reaches the compiler "
                    "and is refused, as in the module");

    c = cert(p, NULL);
    c2 = cert(p, "email:x@example.com,DNS:h.example.com");
    ok(c != NULL && c2 != NULL, "test certificates parsed");
    is_str(failed(p, "cert-subject O=MyOrg OU=a", c), "",
           "explain: nothing fails on a grant");
    is_str(failed(p, "cert-subject O=MyOrg OU=z CN~^x title=t", c),
           "OU=z -> OU=a, OU=b; CN~^x -> CN=dev\\n1; title=t -> no title",
           "explain: every failing condition, the values held (escaped), "
           "or none");
    is_str(failed(p, "cert-subject ou=z", c), "ou=z -> ou=a, ou=b",
           "explain: the attribute as the rule spells it");
    is_str(failed(p, "cert-issuer CN=Other", c), "CN=Other -> CN=Unit CA",
           "explain: the issuer");
    is_str(failed(p, "cert-serial 1002 5", c), "1002 5 -> serial 1001",
           "explain: serials held");
    ok(strstr(failed(p,
                     "cert-fingerprint sha256:"
                     "0000000000000000000000000"
                     "000000000000000000000000000000000000000",
                     c),
              "-> fingerprint sha256:") != NULL,
       "explain: the fingerprint held");
    is_str(failed(p, "cert-san dns:*.example.org", c),
           "dns:*.example.org -> no subjectAltName", "explain: no SAN at all");
    is_str(failed(p, "cert-san dns:*.example.org uri:x:*", c2),
           "dns:*.example.org uri:x:* -> subjectAltName "
           "email:x@example.com, dns:h.example.com",
           "explain: every SAN held");
    is_str(failed(p, "cert-san dns:*.example.com", c2), "",
           "explain: a SAN rule that grants");

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
