/*
 * confcheck: the configuration mistakes that make cert-* rules fail as
 * written (INTERFACE §10), found in httpd's parsed configuration tree.
 *
 * No httpd header here: the module copies ap_conftree into
 * certauthz_confnode_t (mod_certauthz_warnings.c) and the unit tests build
 * trees by hand, so every case is tested without a server.
 */
#ifndef CERTAUTHZ_CONFCHECK_H
#define CERTAUTHZ_CONFCHECK_H

#include <apr_pools.h>
#include <apr_tables.h>

/* One directive of the tree, as httpd's ap_directive_t holds it once
 * <IfModule>, <IfDefine> and Include are resolved. */
typedef struct certauthz_confnode certauthz_confnode_t;
struct certauthz_confnode {
    const char *directive; /* as written: "Require", "<Location" */
    const char *args;      /* as written; a section's closing '>' removed */
    int argc;
    const char *const *argv; /* args split as ap_getword_conf splits them */
    const char *file;
    int line;
    const certauthz_confnode_t *first_child;
    const certauthz_confnode_t *next;
    const certauthz_confnode_t *parent;
};

typedef enum {
    /* A cert-* rule where mod_ssl never asks for a certificate. */
    CERTAUTHZ_CONFCHECK_NO_CERT = 0,
    /* A per-directory SSLVerifyClient that needs renegotiation. */
    CERTAUTHZ_CONFCHECK_DIR_VERIFY,
    /* SSLVerifyClient require with cert-* rules. */
    CERTAUTHZ_CONFCHECK_REQUIRE,
    /* Require not cert-* in a <RequireAll> that establishes no identity. */
    CERTAUTHZ_CONFCHECK_NOT_ALONE,
    CERTAUTHZ_CONFCHECK_COUNT
} certauthz_confcheck_e;

typedef struct {
    certauthz_confcheck_e kind;
    const certauthz_confnode_t *node; /* the line the warning is about */
    const char *message; /* where, what cannot work, what to write instead */
} certauthz_confwarning_t;

/*
 * Check the configuration whose top-level directives start at FIRST (the
 * main server's, <VirtualHost> sections among them).  Returns an array of
 * certauthz_confwarning_t in the order of the lines they are about, empty
 * when nothing is wrong.
 */
apr_array_header_t *certauthz_confcheck(apr_pool_t *p,
                                        const certauthz_confnode_t *first);

#endif
