/* Unit tests of src/confcheck.c: which configurations get which start-up
 * warning (INTERFACE §10), on trees built as httpd builds ap_conftree
 * (<IfModule> and Include already resolved, arguments split as
 * ap_getword_conf splits them). */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "src/confcheck.h"
#include "src/requireline.h"
#include "t/unit/tap.h"

static apr_pool_t *pool;

/*
 * A tree from text: one directive a line, "<X args>" opens a section and
 * "</X>" closes it.  "Include FILE" makes the lines up to "@end" come from
 * FILE, numbered from 1, as httpd splices an included file into the tree.
 */
static const certauthz_confnode_t *tree(const char *text)
{
    const char *files[8], *file = "/etc/httpd.conf";
    int lines[8], depth = 0, line = 0;
    certauthz_confnode_t *first = NULL, *parent = NULL;
    char *copy = apr_pstrdup(pool, text), *state, *raw;

    for (raw = apr_strtok(copy, "\n", &state); raw != NULL;
         raw = apr_strtok(NULL, "\n", &state)) {
        certauthz_confnode_t *n, *k;
        apr_array_header_t *argv;
        const char *rest;
        char *args, *gt;
        size_t len;

        line++;
        while (*raw == ' ') {
            raw++;
        }
        if (strncmp(raw, "</", 2) == 0) {
            parent = (certauthz_confnode_t *)parent->parent;
            continue;
        }
        if (strncmp(raw, "Include ", 8) == 0) {
            files[depth] = file;
            lines[depth++] = line;
            file = raw + 8;
            line = 0;
            continue;
        }
        if (strcmp(raw, "@end") == 0) {
            file = files[--depth];
            line = lines[depth];
            continue;
        }
        n = apr_pcalloc(pool, sizeof(*n));
        len = strcspn(raw, " >");
        n->directive = apr_pstrmemdup(pool, raw, len);
        args = apr_pstrdup(pool, raw + len + (raw[len] == ' '));
        if (n->directive[0] == '<' && (gt = strrchr(args, '>')) != NULL) {
            *gt = '\0';
        }
        n->args = args;
        argv = apr_array_make(pool, 4, sizeof(const char *));
        for (rest = args; *rest != '\0';) {
            APR_ARRAY_PUSH(argv, const char *) =
                certauthz_getword_conf(pool, &rest);
        }
        n->argc = argv->nelts;
        n->argv = (const char *const *)argv->elts;
        n->file = file;
        n->line = line;
        n->parent = parent;
        if (parent == NULL && first == NULL) {
            first = n;
        }
        else {
            k = parent ? (certauthz_confnode_t *)parent->first_child : first;
            if (k == NULL) {
                parent->first_child = n;
            }
            else {
                while (k->next != NULL) {
                    k = (certauthz_confnode_t *)k->next;
                }
                k->next = n;
            }
        }
        if (n->directive[0] == '<') {
            parent = n;
        }
    }
    return first;
}

static const char *const kind_names[] = {"no-cert", "dir-verify", "require",
                                         "not-alone"};

static apr_array_header_t *check(const char *conf)
{
    return certauthz_confcheck(pool, tree(conf));
}

/* "kind[args of the line]; ..." in the order they were found. */
static const char *summary(apr_array_header_t *w)
{
    const char *out = "";
    int i;

    for (i = 0; i < w->nelts; i++) {
        const certauthz_confwarning_t *x =
            &APR_ARRAY_IDX(w, i, certauthz_confwarning_t);

        out = apr_psprintf(pool, "%s%s%s[%s]", out, i ? "; " : "",
                           kind_names[x->kind], x->node->args);
    }
    return out;
}

static const char *warnings(const char *conf)
{
    return summary(check(conf));
}

static const char *message(const char *conf, int i)
{
    apr_array_header_t *w = check(conf);

    return i < w->nelts ? APR_ARRAY_IDX(w, i, certauthz_confwarning_t).message
                        : "";
}

static int has(const char *text, const char *part)
{
    if (strstr(text, part) != NULL) {
        return 1;
    }
    printf("# '%s'\n#   not in '%s'\n", part, text);
    return 0;
}

#define SSL_VHOST                                                              \
    "<VirtualHost *:443>\n"                                                    \
    "SSLEngine on\n"                                                           \
    "SSLCertificateFile /etc/ssl/server.crt\n"

/* ------------------------------------------------------------------ */

static void test_correct(void)
{
    is_str(warnings(SSL_VHOST "SSLVerifyClient optional\n"
                              "<Location /a>\n"
                              "Require cert-valid\n"
                              "</Location>\n"
                              "<Location /b>\n"
                              "<RequireAll>\n"
                              "Require cert-valid\n"
                              "Require not cert-serial 1001\n"
                              "</RequireAll>\n"
                              "</Location>\n"
                              "<Location /c>\n"
                              "SSLVerifyClient optional\n"
                              "Require cert-subject \"O=My Org\"\n"
                              "</Location>\n"
                              "</VirtualHost>\n"),
           "",
           "the recommended set-up (vhost optional, cert-* per location, "
           "Require not beside cert-valid) gets no warning");
    is_str(warnings("<Location /x>\nRequire all granted\n</Location>\n"
                    "<Location /y>\nSSLVerifyClient none\n</Location>\n"),
           "", "a configuration without cert-* rules gets no warning");
    is_str(warnings(SSL_VHOST "SSLVerifyClient optional_no_ca\n"
                              "Require cert-valid\n"
                              "</VirtualHost>\n"),
           "", "optional_no_ca asks for a certificate");
    is_str(warnings(SSL_VHOST "SSLVerifyClient require\n"
                              "<Location />\nRequire all granted\n"
                              "</Location>\n</VirtualHost>\n"),
           "",
           "SSLVerifyClient require without cert-* rules is not ours "
           "to judge");
}

static void test_no_cert(void)
{
    const char *off = "<VirtualHost *:80>\n"
                      "<Location /x>\n"
                      "Require cert-valid\n"
                      "</Location>\n"
                      "</VirtualHost>\n";
    const char *m = message(off, 0);

    is_str(warnings(off), "no-cert[cert-valid]",
           "a cert-* rule on a vhost without SSL is named");
    ok(has(m, "Require cert-valid (line 3 of /etc/httpd.conf)") &&
           has(m, "SSL is off in <VirtualHost *:80> (line 1 of "
                  "/etc/httpd.conf)") &&
           has(m, "refuses every request with reason no-cert") &&
           has(m, "write \"SSLEngine on\" and \"SSLVerifyClient optional\""),
       "...with its file and line, the vhost, the effect and what to write");

    m = message(SSL_VHOST "<Location /x>\nRequire cert-subject O=A\n"
                          "</Location>\n</VirtualHost>\n",
                0);
    ok(has(m, "never asks for a client certificate in <VirtualHost *:443>") &&
           has(m, "write \"SSLVerifyClient optional\" in that virtual host"),
       "SSL on without SSLVerifyClient: add SSLVerifyClient optional");
    is_str(warnings(SSL_VHOST "SSLVerifyClient none\nRequire cert-valid\n"
                              "</VirtualHost>\n"),
           "no-cert[cert-valid]", "SSLVerifyClient none asks for nothing");
    is_str(warnings("SSLEngine on\nSSLVerifyClient optional\n"
                    "<VirtualHost *:443>\nRequire cert-valid\n"
                    "</VirtualHost>\n"),
           "",
           "SSLEngine and SSLVerifyClient are inherited from the main "
           "server");
    is_str(warnings("SSLEngine on\nSSLVerifyClient optional\n"
                    "<VirtualHost *:80>\nSSLEngine off\nRequire cert-valid\n"
                    "</VirtualHost>\n"),
           "no-cert[cert-valid]", "...unless the vhost turns SSL off");
    is_str(warnings("<VirtualHost *:443>\n"
                    "SSLCertificateFile /etc/ssl/server.crt\n"
                    "SSLVerifyClient optional\nRequire cert-valid\n"
                    "</VirtualHost>\n"),
           "",
           "without SSLEngine, a certificate may turn SSL on (https): "
           "not warned");
    is_str(warnings("sslengine ON\n<virtualhost *:443>\n"
                    "sslverifyclient \"Optional\"\nrequire cert-valid\n"
                    "</virtualhost>\n"),
           "", "directive names and modes in any case, quoted arguments");
    is_str(warnings("<VirtualHost *:80>\n<RequireAll>\nRequire ip 10.0.0.0/8\n"
                    "<RequireAny>\n<RequireAll>\nRequire cert-san dns:a.b\n"
                    "</RequireAll>\n</RequireAny>\n</RequireAll>\n"
                    "</VirtualHost>\n"),
           "no-cert[cert-san dns:a.b]", "rules nested in Require* sections");
    is_str(warnings("<AuthzProviderAlias cert-subject admins \"OU=Admins\">\n"
                    "</AuthzProviderAlias>\n"
                    "<AuthzProviderAlias admins superadmins>\n"
                    "</AuthzProviderAlias>\n"
                    "<VirtualHost *:80>\nRequire admins\n"
                    "<Location /s>\nRequire superadmins\n</Location>\n"
                    "<Location /o>\nRequire ip 10.0.0.1\n</Location>\n"
                    "</VirtualHost>\n"),
           "no-cert[admins]; no-cert[superadmins]",
           "AuthzProviderAlias of a cert-* provider, and of an alias");
    is_str(warnings("<AuthzProviderAlias a b>\n</AuthzProviderAlias>\n"
                    "<AuthzProviderAlias b a>\n</AuthzProviderAlias>\n"
                    "<Location /x>\nRequire a\n</Location>\n"),
           "", "a loop of aliases ends");
    m = message("<VirtualHost *:80>\n<RequireAll>\nRequire all granted\n"
                "Require not cert-valid\n</RequireAll>\n</VirtualHost>\n",
                0);
    ok(has(m, "never matches and keeps nobody out"),
       "a negated rule on such a vhost keeps nobody out");
}

static void test_no_cert_scope(void)
{
    const char *m;

    is_str(warnings("<Location /x>\nRequire cert-valid\n</Location>\n"
                    "<VirtualHost *:80>\n</VirtualHost>\n" SSL_VHOST
                    "SSLVerifyClient optional\n</VirtualHost>\n"),
           "", "a main-server rule works if any server asks");
    m = message("<Location /x>\nRequire cert-valid\n</Location>\n"
                "<VirtualHost *:80>\n</VirtualHost>\n",
                0);
    ok(has(m, "asks for a client certificate on no server"),
       "a main-server rule where no server asks is named");
    is_str(warnings(SSL_VHOST "<Location /a>\nSSLVerifyClient optional\n"
                              "</Location>\n<Location /b>\n"
                              "Require cert-valid\n</Location>\n"
                              "</VirtualHost>\n"),
           "dir-verify[optional]",
           "a per-directory SSLVerifyClient counts as asking (warned as "
           "such)");
    is_str(
        warnings(
            "<Location /a>\nSSLVerifyClient optional\n</Location>\n" SSL_VHOST
            "Require cert-valid\n</VirtualHost>\n"),
        "dir-verify[optional]",
        "...also in the main server's sections, which apply to every "
        "vhost");
}

static void test_dir_verify(void)
{
    const char *conf = SSL_VHOST "SSLVerifyClient optional\n"
                                 "<Location /admin>\n"
                                 "SSLVerifyClient require\n"
                                 "Require cert-valid\n"
                                 "</Location>\n"
                                 "</VirtualHost>\n";
    const char *m = message(conf, 0);

    is_str(warnings(conf), "dir-verify[require]",
           "require in a <Location> of an optional vhost is named");
    ok(has(m, "SSLVerifyClient require (line 6 of /etc/httpd.conf) in "
              "<Location /admin>") &&
           has(m, "TLS handshake of <VirtualHost *:443> (line 1 of "
                  "/etc/httpd.conf) (SSLVerifyClient optional)") &&
           has(m, "Chrome never offers and HTTP/2 forbids") &&
           has(m, "Cannot perform Post-Handshake Authentication") &&
           has(m, "HTTP_1_1_REQUIRED") &&
           has(m, "write \"SSLVerifyClient optional\" in the virtual host"),
       "...with file, line, section, why, and what to write instead");
    is_str(warnings(SSL_VHOST "<Directory /srv>\n<Files x.cgi>\n"
                              "SSLVerifyClient optional_no_ca\n"
                              "</Files>\n</Directory>\n</VirtualHost>\n"),
           "dir-verify[optional_no_ca]",
           "a vhost that asks nothing, a nested <Files>");
    ok(has(message(SSL_VHOST "<Directory /srv>\n<Files x.cgi>\n"
                             "SSLVerifyClient on\n</Files>\n</Directory>\n"
                             "</VirtualHost>\n",
                   0),
           "in <Files x.cgi> asks for more than the TLS handshake of "
           "<VirtualHost *:443> (line 1 of /etc/httpd.conf) (no "
           "SSLVerifyClient)"),
       "...names the innermost section and the vhost's mode");
    is_str(warnings(SSL_VHOST "SSLVerifyClient optional\n"
                              "<Location /a>\nSSLVerifyClient optional\n"
                              "</Location>\n"
                              "<Location /b>\nSSLVerifyClient none\n"
                              "</Location>\n</VirtualHost>\n"),
           "", "asking for no more than the handshake needs no renegotiation");
    is_str(warnings(SSL_VHOST "SSLVerifyClient require\n"
                              "<Location /a>\nSSLVerifyClient require\n"
                              "</Location>\n</VirtualHost>\n"),
           "", "...require under require neither");
    is_str(warnings("<VirtualHost *:80>\n<Location /a>\n"
                    "SSLVerifyClient require\n</Location>\n</VirtualHost>\n"),
           "", "no warning where SSL is off (mod_ssl ignores it there)");
    is_str(warnings("SSLVerifyClient optional\n<Location /a>\n"
                    "SSLVerifyClient require\n</Location>\n"
                    "<VirtualHost *:80>\n</VirtualHost>\n" SSL_VHOST
                    "</VirtualHost>\n"),
           "dir-verify[require]",
           "a main-server section reaches the vhosts, warned once");
    is_str(warnings(SSL_VHOST "SSLVerifyClient optional\n"
                              "<If \"%{HTTPS} == 'on'\">\n"
                              "SSLVerifyClient require\n</If>\n"
                              "</VirtualHost>\n"),
           "dir-verify[require]", "<If> is a section too");
    ok(has(message(SSL_VHOST "<Location /x>\n<RequireAll>\n"
                             "SSLVerifyClient require\n"
                             "Require cert-valid\n</RequireAll>\n"
                             "</Location>\n</VirtualHost>\n",
                   0),
           "SSLVerifyClient require (line 6 of /etc/httpd.conf) in "
           "<Location /x> asks"),
       "inside a <RequireAll> it belongs to the <Location> around it");
}

static void test_require(void)
{
    const char *conf = SSL_VHOST "SSLVerifyClient require\n"
                                 "<Location /x>\n"
                                 "Require cert-subject O=A\n"
                                 "</Location>\n"
                                 "<Location /y>\n"
                                 "Require cert-valid\n"
                                 "</Location>\n"
                                 "</VirtualHost>\n";
    const char *m = message(conf, 0);

    is_str(warnings(conf), "require[require]",
           "SSLVerifyClient require with cert-* rules: one warning");
    ok(has(m, "SSLVerifyClient require (line 4 of /etc/httpd.conf)") &&
           has(m, "first: Require cert-subject O=A (line 6 of") &&
           has(m, "TLS error instead of the page") &&
           has(m, "write \"SSLVerifyClient optional\""),
       "...naming the directive's line, the first rule, and the advice");
    is_str(warnings("SSLEngine on\nSSLVerifyClient require\n"
                    "<VirtualHost *:443>\nRequire cert-valid\n"
                    "</VirtualHost>\n"
                    "<VirtualHost *:443>\nRequire cert-valid\n"
                    "</VirtualHost>\n"),
           "require[require]",
           "inherited by vhosts: named once, at the main server's line");
    is_str(warnings("SSLEngine on\nSSLVerifyClient require\n"
                    "<VirtualHost *:443>\nSSLVerifyClient optional\n"
                    "Require cert-valid\n</VirtualHost>\n"),
           "", "...not where the vhost overrides it");
    is_str(warnings(SSL_VHOST
                    "SSLVerifyClient on\n</VirtualHost>\n"
                    "<Location /x>\nRequire cert-valid\n</Location>\n"),
           "require[on]",
           "main-server rules apply to the vhost ('on' is "
           "require)");
}

static void test_not_alone(void)
{
    const char *conf = SSL_VHOST "SSLVerifyClient optional\n"
                                 "<Location /x>\n"
                                 "<RequireAll>\n"
                                 "Require all granted\n"
                                 "Require not cert-serial 1001\n"
                                 "</RequireAll>\n"
                                 "</Location>\n"
                                 "</VirtualHost>\n";
    const char *m = message(conf, 0);

    is_str(warnings(conf), "not-alone[not cert-serial 1001]",
           "Require not cert-* beside Require all granted is named");
    ok(has(m, "Require not cert-serial 1001 (line 8 of /etc/httpd.conf)") &&
           has(m, "no certificate, an unverified or a revoked one") &&
           has(m, "its <RequireAll> (line 6 of /etc/httpd.conf)") &&
           has(m, "add \"Require cert-valid\""),
       "...with its line, the container's, and the advice");

#define NOT_IN(body)                                                           \
    SSL_VHOST "SSLVerifyClient optional\n<Location /x>\n" body                 \
              "</Location>\n</VirtualHost>\n"
    is_str(warnings(NOT_IN("<RequireAll>\nRequire ip 10.0.0.0/8\n"
                           "Require NOT cert-subject OU=Lab\n"
                           "</RequireAll>\n")),
           "not-alone[NOT cert-subject OU=Lab]",
           "beside Require ip, 'not' in any case");
    is_str(warnings(NOT_IN("<RequireAll>\nRequire cert-issuer O=CA\n"
                           "Require not cert-subject OU=Lab\n"
                           "</RequireAll>\n")),
           "", "a positive cert-* rule beside it establishes the identity");
    is_str(warnings(NOT_IN("<RequireAll>\n<RequireAny>\n"
                           "Require cert-subject OU=A\n"
                           "Require cert-subject OU=B\n</RequireAny>\n"
                           "Require not cert-serial 1\n</RequireAll>\n")),
           "", "...or a <RequireAny> of cert-* rules only");
    is_str(warnings(NOT_IN("<RequireAll>\n<RequireAny>\n"
                           "Require cert-subject OU=A\n"
                           "Require ip 10.0.0.1\n</RequireAny>\n"
                           "Require not cert-serial 1\n</RequireAll>\n")),
           "not-alone[not cert-serial 1]",
           "a <RequireAny> with a non-cert alternative does not");
    is_str(warnings(NOT_IN("<RequireAll>\nRequire cert-valid\n<RequireAny>\n"
                           "Require ip 10.0.0.1\n<RequireAll>\n"
                           "Require all granted\n"
                           "Require not cert-serial 1\n</RequireAll>\n"
                           "</RequireAny>\n</RequireAll>\n")),
           "", "an enclosing <RequireAll> with cert-valid establishes it");
    is_str(warnings(NOT_IN("<RequireAny>\nRequire cert-valid\n<RequireAll>\n"
                           "Require all granted\n"
                           "Require not cert-serial 1\n</RequireAll>\n"
                           "</RequireAny>\n")),
           "not-alone[not cert-serial 1]",
           "an alternative cert-valid in a <RequireAny> does not");
    is_str(warnings(NOT_IN("<RequireAll>\n<Limit GET>\nRequire cert-valid\n"
                           "</Limit>\nRequire not cert-serial 1\n"
                           "</RequireAll>\n")),
           "not-alone[not cert-serial 1]",
           "a cert-* rule limited to some methods does not");
    is_str(warnings(NOT_IN("<RequireAll>\nRequire all granted\n<Limit POST>\n"
                           "Require not cert-serial 1\n</Limit>\n"
                           "</RequireAll>\n")),
           "not-alone[not cert-serial 1]", "a negated rule under <Limit>");
    is_str(warnings(NOT_IN("<RequireAll>\nRequire cert-valid\n<RequireNone>\n"
                           "<RequireAll>\nRequire all granted\n"
                           "Require not cert-serial 1\n</RequireAll>\n"
                           "</RequireNone>\n</RequireAll>\n")),
           "", "under <RequireNone> (negated logic) nothing is said");
    is_str(warnings(NOT_IN("AuthMerging And\n<RequireAll>\n"
                           "Require all granted\nRequire not cert-serial 1\n"
                           "</RequireAll>\n")),
           "", "with AuthMerging And an earlier section may ask");
    is_str(warnings("<AuthzProviderAlias cert-serial lost 1001 1002>\n"
                    "</AuthzProviderAlias>\n" NOT_IN(
                        "<RequireAll>\nRequire all granted\n"
                        "Require not lost\n</RequireAll>\n")),
           "not-alone[not lost]", "through an alias");
}

static void test_files_and_order(void)
{
    const char *conf = "<VirtualHost *:80>\n"           /* 1 */
                       "Include /etc/httpd/site.conf\n" /* 2 */
                       "<Location /a>\n"                /* site 1 */
                       "Require cert-valid\n"           /* site 2 */
                       "</Location>\n"                  /* site 3 */
                       "@end\n"                         /* - */
                       "Require cert-serial 7\n"        /* 3 */
                       "</VirtualHost>\n";
    apr_array_header_t *w = check(conf);
    const certauthz_confwarning_t *x = (const void *)w->elts;

    ok(w->nelts == 2 && strcmp(x[0].node->file, "/etc/httpd/site.conf") == 0 &&
           x[0].node->line == 2 &&
           has(x[0].message, "(line 2 of "
                             "/etc/httpd/site.conf)") &&
           x[1].node->line == 3 &&
           strcmp(x[1].node->file, "/etc/httpd.conf") == 0,
       "a rule in an included file is named by that file and its line, in "
       "the order of the configuration");
    is_str(warnings(SSL_VHOST "SSLVerifyClient require\n"
                              "<Location /a>\n<RequireAll>\n"
                              "Require all granted\nRequire not cert-valid\n"
                              "</RequireAll>\n</Location>\n</VirtualHost>\n"),
           "require[require]; not-alone[not cert-valid]",
           "several kinds on one configuration, in line order");
    ok(check("")->nelts == 0, "an empty tree");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_correct();
    test_no_cert();
    test_no_cert_scope();
    test_dir_verify();
    test_require();
    test_not_alone();
    test_files_and_order();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
