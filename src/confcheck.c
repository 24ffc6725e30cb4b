/*
 * confcheck: rules that cannot work as written, found in the parsed
 * configuration (INTERFACE §10).  It reads what the administrator wrote,
 * never mod_ssl's private structures, and mirrors how httpd combines it:
 *
 *  - mod_ssl's server settings (SSLEngine, SSLVerifyClient outside a
 *    section) of the main server are inherited by every virtual host that
 *    does not set its own; its per-directory SSLVerifyClient applies to the
 *    requests of the server whose sections hold it, and the main server's
 *    sections to every virtual host's requests;
 *  - mod_authz_core lets a "Require not" line only veto: when its provider
 *    denies, the line is neutral.  A cert-* provider denies whenever there
 *    is no established identity, so "Require not cert-..." alone keeps out
 *    nothing but the certificates it names.
 *
 * Where the configuration cannot be judged from the tree (no SSLEngine but
 * a certificate, <RequireNone> around a "Require not", AuthMerging And),
 * nothing is said: a warning must be worth acting on.
 */
#include "confcheck.h"

#include <string.h>
#include <strings.h>

#include <apr_hash.h>
#include <apr_strings.h>

/* The providers mod_certauthz registers; httpd looks providers up by their
 * exact name. */
static const char *const cert_providers[] = {
    "cert-valid",  "cert-subject",     "cert-issuer",
    "cert-serial", "cert-fingerprint", "cert-san",
};

/* SSLVerifyClient modes in the order of what they ask of a client: mod_ssl
 * renegotiates (or, under TLS 1.3, asks after the handshake) when a
 * directory asks for more than the handshake did (ssl_hook_Access). */
enum {
    VERIFY_UNSET = -1,
    VERIFY_NONE = 0,
    VERIFY_OPTIONAL = 1, /* optional and optional_no_ca */
    VERIFY_REQUIRE = 2
};

/* An alias may name another alias; a loop of them must not hang us. */
#define ALIAS_DEPTH 8

typedef struct {
    const certauthz_confnode_t *vhost; /* NULL for the main server */
    int engine;    /* SSLEngine: -1 unset, 0 off, 1 on (or optional) */
    int cert_file; /* an SSLCertificateFile at server level */
    int verify;    /* server-level SSLVerifyClient, VERIFY_* */
    const certauthz_confnode_t *verify_node;
    int dir_asks; /* a per-directory SSLVerifyClient asks for one */
    const certauthz_confnode_t *first_rule; /* first cert-* Require */
} host_t;

typedef struct {
    apr_pool_t *p;
    apr_hash_t *aliases;       /* alias name -> provider name */
    apr_array_header_t *hosts; /* host_t, [0] the main server */
    int vhosts_seen;           /* while walking: <VirtualHost>s so far */
    apr_array_header_t *out;   /* certauthz_confwarning_t */
} check_t;

#define HOST(c, i) (&APR_ARRAY_IDX((c)->hosts, (i), host_t))

static int is(const certauthz_confnode_t *n, const char *name)
{
    return n != NULL && strcasecmp(n->directive, name) == 0;
}

static int is_authz_section(const certauthz_confnode_t *n)
{
    return is(n, "<RequireAll") || is(n, "<RequireAny") ||
           is(n, "<RequireNone") || is(n, "<RequireNotAll");
}

static int is_limit(const certauthz_confnode_t *n)
{
    return is(n, "<Limit") || is(n, "<LimitExcept");
}

/* The container whose logic a Require line or section takes part in:
 * <Limit> only restricts the methods, it combines nothing. */
static const certauthz_confnode_t *authz_parent(const certauthz_confnode_t *n)
{
    const certauthz_confnode_t *p = n->parent;

    while (is_limit(p)) {
        p = p->parent;
    }
    return p;
}

/* The section a directive configures (<Location /x>, <If ...>, ...), or
 * for a server's own settings <VirtualHost> or NULL (the main server):
 * Require* sections and <Limit> only group rules. */
static const certauthz_confnode_t *section_of(const certauthz_confnode_t *n)
{
    const certauthz_confnode_t *p = n->parent;

    while (is_authz_section(p) || is_limit(p)) {
        p = p->parent;
    }
    return p;
}

/* Configures a server (the main one or a virtual host), not a section:
 * what mod_ssl tells apart by the command's path. */
static int server_level(const certauthz_confnode_t *n)
{
    const certauthz_confnode_t *s = section_of(n);

    return s == NULL || is(s, "<VirtualHost");
}

/* ------------------------------------------------------------------ */
/* How things are named in the messages                                */

static const char *where(check_t *c, const certauthz_confnode_t *n)
{
    return apr_psprintf(c->p, "line %d of %s", n->line, n->file);
}

/* A directive as written ("Require cert-valid"), a section as opened
 * ("<Location /x>"). */
static const char *written(check_t *c, const certauthz_confnode_t *n)
{
    const char *sep = n->args[0] != '\0' ? " " : "";

    return apr_pstrcat(c->p, n->directive, sep, n->args,
                       n->directive[0] == '<' ? ">" : "", NULL);
}

static const char *written_at(check_t *c, const certauthz_confnode_t *n)
{
    return apr_psprintf(c->p, "%s (%s)", written(c, n), where(c, n));
}

static const char *host_name(check_t *c, int i)
{
    const host_t *h = HOST(c, i);

    return h->vhost ? written_at(c, h->vhost) : "the main server";
}

/* ------------------------------------------------------------------ */
/* Reading directives                                                  */

/* The cert-* provider NAME stands for, directly or through
 * <AuthzProviderAlias>, or NULL. */
static const char *cert_provider(check_t *c, const char *name)
{
    int depth;
    size_t i;

    for (depth = 0; name != NULL && depth < ALIAS_DEPTH; depth++) {
        for (i = 0; i < sizeof(cert_providers) / sizeof(cert_providers[0]);
             i++) {
            if (strcmp(name, cert_providers[i]) == 0) {
                return cert_providers[i];
            }
        }
        name = apr_hash_get(c->aliases, name, APR_HASH_KEY_STRING);
    }
    return NULL;
}

/* For a Require line of a cert-* provider: the provider, and whether the
 * line is negated (mod_authz_core reads "not" in any case). */
static const char *cert_rule(check_t *c, const certauthz_confnode_t *n,
                             int *negated)
{
    int i = 0;

    if (!is(n, "Require") || n->argc < 1) {
        return NULL;
    }
    *negated = strcasecmp(n->argv[0], "not") == 0;
    if (*negated) {
        if (n->argc < 2) {
            return NULL;
        }
        i = 1;
    }
    return cert_provider(c, n->argv[i]);
}

/* As mod_ssl's ssl_cmd_verify_parse reads the mode. */
static int verify_mode(const certauthz_confnode_t *n)
{
    const char *m = n->argc > 0 ? n->argv[0] : "";

    if (strcasecmp(m, "none") == 0 || strcasecmp(m, "off") == 0) {
        return VERIFY_NONE;
    }
    if (strcasecmp(m, "optional") == 0 ||
        strcasecmp(m, "optional_no_ca") == 0) {
        return VERIFY_OPTIONAL;
    }
    if (strcasecmp(m, "require") == 0 || strcasecmp(m, "on") == 0) {
        return VERIFY_REQUIRE;
    }
    return VERIFY_UNSET;
}

/* ------------------------------------------------------------------ */
/* What each server does, with what it inherits from the main server   */

/* Aliases are providers of their own, known to every server; httpd
 * refuses a Require of one that is not defined yet, so order does not
 * matter here. */
static void collect_aliases(check_t *c, const certauthz_confnode_t *n)
{
    for (; n != NULL; n = n->next) {
        if (is(n, "<AuthzProviderAlias") && n->argc >= 2) {
            apr_hash_set(c->aliases, n->argv[1], APR_HASH_KEY_STRING,
                         n->argv[0]);
        }
        collect_aliases(c, n->first_child);
    }
}

static int new_host(check_t *c, const certauthz_confnode_t *vhost)
{
    host_t *h = apr_array_push(c->hosts);

    memset(h, 0, sizeof(*h));
    h->vhost = vhost;
    h->engine = -1;
    h->verify = VERIFY_UNSET;
    return c->hosts->nelts - 1;
}

static void collect(check_t *c, int i, const certauthz_confnode_t *n)
{
    for (; n != NULL; n = n->next) {
        host_t *h = HOST(c, i);
        int negated, mode;

        if (is(n, "<VirtualHost")) {
            collect(c, new_host(c, n), n->first_child);
            continue;
        }
        if (is(n, "SSLEngine") && server_level(n) && n->argc > 0) {
            /* On and Optional (RFC 2817 upgrade) may run TLS; only
             * Off surely does not. */
            h->engine = strcasecmp(n->argv[0], "off") != 0;
        }
        else if (is(n, "SSLCertificateFile") && server_level(n)) {
            h->cert_file = 1;
        }
        else if (is(n, "SSLVerifyClient") &&
                 (mode = verify_mode(n)) != VERIFY_UNSET) {
            if (server_level(n)) {
                h->verify = mode;
                h->verify_node = n;
            }
            else if (mode >= VERIFY_OPTIONAL) {
                h->dir_asks = 1;
            }
        }
        else if (h->first_rule == NULL && cert_rule(c, n, &negated)) {
            h->first_rule = n;
        }
        collect(c, i, n->first_child);
    }
}

static int ssl_on(check_t *c, int i)
{
    const host_t *h = HOST(c, i), *m = HOST(c, 0);
    int engine = h->engine != -1 ? h->engine : m->engine;

    if (engine != -1) {
        return engine;
    }
    /* Without SSLEngine, mod_ssl turns itself on for a server with a
     * certificate whose protocol is https (a port 443 Listen).  The
     * protocol is not in the tree: a certificate is taken as enough. */
    return h->cert_file || m->cert_file;
}

static int verify_of(check_t *c, int i)
{
    const host_t *h = HOST(c, i);

    return h->verify != VERIFY_UNSET ? h->verify : HOST(c, 0)->verify;
}

static const certauthz_confnode_t *verify_node_of(check_t *c, int i)
{
    const host_t *h = HOST(c, i);

    return h->verify_node ? h->verify_node : HOST(c, 0)->verify_node;
}

/* mod_ssl asks this server's clients for a certificate, at the handshake
 * or (per directory, with renegotiation) later. */
static int asks(check_t *c, int i)
{
    return ssl_on(c, i) && (verify_of(c, i) >= VERIFY_OPTIONAL ||
                            HOST(c, i)->dir_asks || HOST(c, 0)->dir_asks);
}

/* The first cert-* rule that applies to this server's requests: its own,
 * or the main server's, whose sections apply to every virtual host. */
static const certauthz_confnode_t *rule_of(check_t *c, int i)
{
    const host_t *h = HOST(c, i);

    return h->first_rule ? h->first_rule : HOST(c, 0)->first_rule;
}

/* ------------------------------------------------------------------ */
/* The warnings                                                        */

static void warn(check_t *c, certauthz_confcheck_e kind,
                 const certauthz_confnode_t *n, const char *message)
{
    certauthz_confwarning_t *w = apr_array_push(c->out);

    w->kind = kind;
    w->node = n;
    w->message = message;
}

/* 1. A cert-* rule where mod_ssl never asks for a certificate: its
 * provider always denies, with reason no-cert. */
static void check_asked(check_t *c, int i, const certauthz_confnode_t *n,
                        int negated)
{
    const char *rule = written_at(c, n), *host, *effect;
    int k;

    effect = negated ? "so it never matches and keeps nobody out"
                     : "so it refuses every request with reason no-cert";
    if (i > 0) {
        if (asks(c, i)) {
            return;
        }
        host = host_name(c, i);
        if (!ssl_on(c, i)) {
            warn(c, CERTAUTHZ_CONFCHECK_NO_CERT, n,
                 apr_psprintf(c->p,
                              "%s cannot work: SSL is off in %s, so no "
                              "client certificate is ever asked for, %s; "
                              "write \"SSLEngine on\" and \"SSLVerifyClient "
                              "optional\" in that virtual host, or move the "
                              "rule to one that has them",
                              rule, host, effect));
        }
        else {
            warn(c, CERTAUTHZ_CONFCHECK_NO_CERT, n,
                 apr_psprintf(c->p,
                              "%s cannot work: mod_ssl never asks for a "
                              "client certificate in %s (no SSLVerifyClient "
                              "optional, optional_no_ca or require applies "
                              "there), %s; write \"SSLVerifyClient "
                              "optional\" in that virtual host",
                              rule, host, effect));
        }
        return;
    }
    /* Outside any virtual host the rule applies to every server's
     * requests: it can work if any of them asks. */
    for (k = 0; k < c->hosts->nelts; k++) {
        if (asks(c, k)) {
            return;
        }
    }
    warn(c, CERTAUTHZ_CONFCHECK_NO_CERT, n,
         apr_psprintf(c->p,
                      "%s cannot work: mod_ssl asks for a client certificate "
                      "on no server of this configuration (none has "
                      "\"SSLEngine on\" with SSLVerifyClient optional, "
                      "optional_no_ca or require), %s; write "
                      "\"SSLVerifyClient optional\" in the virtual host with "
                      "\"SSLEngine on\" that serves these URLs",
                      rule, effect));
}

/* 2. A per-directory SSLVerifyClient asking for more than the handshake
 * did; 3. SSLVerifyClient require where cert-* rules would refuse. */
static void check_verify(check_t *c, int i, const certauthz_confnode_t *n)
{
    int mode = verify_mode(n), from = i, to = i, k;
    const certauthz_confnode_t *rule, *hv;

    if (i == 0) {
        /* The main server's settings reach every virtual host. */
        to = c->hosts->nelts - 1;
    }
    if (server_level(n)) {
        if (mode != VERIFY_REQUIRE) {
            return;
        }
        for (k = from; k <= to; k++) {
            if (verify_node_of(c, k) != n || !ssl_on(c, k) ||
                (rule = rule_of(c, k)) == NULL) {
                continue;
            }
            warn(c, CERTAUTHZ_CONFCHECK_REQUIRE, n,
                 apr_psprintf(c->p,
                              "%s makes the TLS handshake fail for a client "
                              "without an acceptable certificate in %s, "
                              "where cert-* rules would refuse it with a "
                              "403 page (first: %s): the user sees a TLS "
                              "error instead of the page that says why; "
                              "write \"SSLVerifyClient optional\" and let "
                              "the Require cert-* rules refuse",
                              written_at(c, n), host_name(c, k),
                              written_at(c, rule)));
            return;
        }
        return;
    }
    if (mode < VERIFY_OPTIONAL) {
        return;
    }
    for (k = from; k <= to; k++) {
        if (!ssl_on(c, k) || verify_of(c, k) >= mode) {
            continue;
        }
        hv = verify_node_of(c, k);
        warn(c, CERTAUTHZ_CONFCHECK_DIR_VERIFY, n,
             apr_psprintf(c->p,
                          "%s in %s asks for more than the TLS handshake "
                          "of %s (%s): mod_ssl must then renegotiate, or "
                          "under TLS 1.3 use post-handshake authentication, "
                          "which Chrome never offers and HTTP/2 forbids, so "
                          "users get 403 \"Cannot perform Post-Handshake "
                          "Authentication\" or an HTTP_1_1_REQUIRED stream "
                          "error; write \"SSLVerifyClient optional\" in the "
                          "virtual host and a Require cert-* rule (such as "
                          "\"Require cert-valid\") in this section instead",
                          written_at(c, n), written(c, section_of(n)),
                          host_name(c, k),
                          hv ? written(c, hv) : "no SSLVerifyClient"));
        return;
    }
}

/* Whatever the request, N grants only with an established certificate
 * identity (INTERFACE §1). */
static int establishes(check_t *c, const certauthz_confnode_t *n)
{
    const certauthz_confnode_t *k;
    int negated, any = 0;

    if (cert_rule(c, n, &negated)) {
        return !negated;
    }
    if (is(n, "<RequireAll")) {
        for (k = n->first_child; k != NULL; k = k->next) {
            if (establishes(c, k)) {
                return 1;
            }
        }
        return 0;
    }
    if (is(n, "<RequireAny")) {
        for (k = n->first_child; k != NULL; k = k->next) {
            if (is(k, "Require") || is_authz_section(k) || is_limit(k)) {
                if (!establishes(c, k)) {
                    return 0;
                }
                any = 1;
            }
        }
        return any;
    }
    /* A rule under <Limit> does not apply to the other methods, where the
     * container ignores it: it establishes nothing for them. */
    return 0;
}

static int merges_and(const certauthz_confnode_t *section)
{
    const certauthz_confnode_t *k;

    for (k = section ? section->first_child : NULL; k != NULL; k = k->next) {
        if (is(k, "AuthMerging") && k->argc > 0 &&
            strcasecmp(k->argv[0], "and") == 0) {
            return 1;
        }
    }
    return 0;
}

/* 4. "Require not cert-..." where nothing asks for a certificate. */
static void check_not(check_t *c, const certauthz_confnode_t *n,
                      const char *provider)
{
    const certauthz_confnode_t *all = authz_parent(n), *s, *k;

    if (!is(all, "<RequireAll")) {
        /* httpd refuses a negated line anywhere else */
        return;
    }
    for (s = all; is_authz_section(s); s = authz_parent(s)) {
        if (is(s, "<RequireNone") || is(s, "<RequireNotAll")) {
            /* Negated: admitting turns into refusing; not judged. */
            return;
        }
        if (is(s, "<RequireAll")) {
            for (k = s->first_child; k != NULL; k = k->next) {
                if (establishes(c, k)) {
                    return;
                }
            }
        }
    }
    /* With AuthMerging And, the rules of an earlier section may ask. */
    if (merges_and(s)) {
        return;
    }
    warn(c, CERTAUTHZ_CONFCHECK_NOT_ALONE, n,
         apr_psprintf(c->p,
                      "%s admits clients with no certificate, an "
                      "unverified or a revoked one: for them %s denies, "
                      "which \"Require not\" turns into no objection, and "
                      "no cert-* rule of its <RequireAll> (%s) asks for a "
                      "certificate; add \"Require cert-valid\" to that "
                      "<RequireAll>",
                      written_at(c, n), provider, where(c, all)));
}

static void check_tree(check_t *c, int i, const certauthz_confnode_t *n)
{
    for (; n != NULL; n = n->next) {
        const char *provider;
        int negated;

        if (is(n, "<VirtualHost")) {
            /* The hosts were numbered in this same order. */
            check_tree(c, ++c->vhosts_seen, n->first_child);
            continue;
        }
        if (is(n, "SSLVerifyClient")) {
            check_verify(c, i, n);
        }
        else if ((provider = cert_rule(c, n, &negated)) != NULL) {
            check_asked(c, i, n, negated);
            if (negated) {
                check_not(c, n, provider);
            }
        }
        check_tree(c, i, n->first_child);
    }
}

apr_array_header_t *certauthz_confcheck(apr_pool_t *p,
                                        const certauthz_confnode_t *first)
{
    check_t c;

    memset(&c, 0, sizeof(c));
    c.p = p;
    c.aliases = apr_hash_make(p);
    c.hosts = apr_array_make(p, 8, sizeof(host_t));
    c.out = apr_array_make(p, 4, sizeof(certauthz_confwarning_t));
    collect_aliases(&c, first);
    new_host(&c, NULL);
    collect(&c, 0, first);
    check_tree(&c, 0, first);
    return c.out;
}
