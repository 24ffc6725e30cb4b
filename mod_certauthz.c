/*
 * mod_certauthz: authorization on the parsed fields of a client certificate.
 *
 * This file is the httpd glue only: configuration, hooks, providers.  The
 * logic (certificate fields, rules, revocation, log encoding) lives in src/,
 * which includes no httpd header and is unit-tested on its own.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_ssl.h"
#include "mod_auth.h"

#include "apr_lib.h"
#include "apr_strings.h"

#include "src/certinfo.h"
#include "src/reason.h"
#include "src/rule.h"

module AP_MODULE_DECLARE_DATA certauthz_module;

/* Stable message tags of our own: APLOGNO numbers belong to httpd. */
#define CERTAUTHZ_LOGNO(n) "CERTAUTHZ" #n ": "

/* ------------------------------------------------------------------ */
/* The certificate identity of a connection and of a request           */

typedef enum {
    ID_NO_CERT,
    ID_UNVERIFIED,
    ID_OK
} id_state_e;

/* Per connection (c->conn_config): the parsed certificate, reused by every
 * request until mod_ssl reports a different one.  A connection is served by
 * one thread at a time (HTTP/2 streams each have their own secondary
 * connection), so this needs no lock. */
typedef struct {
    apr_pool_t *pool;       /* holds cert and key; recreated on change */
    const char *key;        /* what identified the certificate when parsed */
    id_state_e state;
    const char *verify;     /* SSL_CLIENT_VERIFY at parse time */
    const certauthz_cert_t *cert;
} certauthz_conn_t;

/* Per request (r->request_config): the identity as established for this
 * request, and what the cert-* providers decided. */
typedef struct {
    int resolved;
    id_state_e state;
    const char *verify;
    const certauthz_cert_t *cert;   /* set when state == ID_OK */
    certauthz_reason_e id_reason;   /* OK, NO_CERT, UNVERIFIED, REVOKED... */
    int ran;                        /* a cert-* provider ran */
    int granted;                    /* a cert-* provider granted */
    certauthz_reason_e reason;      /* strongest reason so far */
    const char *rule;               /* the Require line that decided */
} certauthz_req_t;

/* A compiled Require line, kept with its text for logs. */
typedef struct {
    const certauthz_rule_t *rule;
    const char *text;               /* "cert-subject O=MyOrg" */
} certauthz_require_t;

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

#define UNSET (-1)

/* Server (virtual host) configuration: revocation sources. */
typedef struct {
    apr_array_header_t *revocation_files;   /* const char * paths */
    int check_interval;                     /* seconds, UNSET */
    const char *crl_verify_ca;              /* path or NULL */
    int stale_deny;                         /* 0 warn, 1 deny, UNSET */
} certauthz_srv_conf_t;

/* Per-directory configuration: device identity, user, exported variables. */
typedef struct {
    const char *device_id;                  /* SOURCE as written, or NULL */
    int user;                               /* On/Off, UNSET */
    int export_vars;                        /* On/Off, UNSET */
} certauthz_dir_conf_t;

static void *create_srv_conf(apr_pool_t *p, server_rec *s)
{
    certauthz_srv_conf_t *sc = apr_pcalloc(p, sizeof(*sc));

    (void)s;
    sc->revocation_files = apr_array_make(p, 2, sizeof(const char *));
    sc->check_interval = UNSET;
    sc->stale_deny = UNSET;
    return sc;
}

static void *merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    certauthz_srv_conf_t *base = basev, *add = addv;
    certauthz_srv_conf_t *sc = apr_pcalloc(p, sizeof(*sc));

    /* A virtual host with revocation files of its own uses those, as
     * mod_ssl's SSLCARevocationFile does; otherwise it inherits. */
    sc->revocation_files = add->revocation_files->nelts
                               ? add->revocation_files
                               : base->revocation_files;
    sc->check_interval = add->check_interval != UNSET ? add->check_interval
                                                      : base->check_interval;
    sc->crl_verify_ca = add->crl_verify_ca ? add->crl_verify_ca
                                           : base->crl_verify_ca;
    sc->stale_deny = add->stale_deny != UNSET ? add->stale_deny
                                              : base->stale_deny;
    return sc;
}

static void *create_dir_conf(apr_pool_t *p, char *dir)
{
    certauthz_dir_conf_t *dc = apr_pcalloc(p, sizeof(*dc));

    (void)dir;
    dc->user = UNSET;
    dc->export_vars = UNSET;
    return dc;
}

static void *merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    certauthz_dir_conf_t *base = basev, *add = addv;
    certauthz_dir_conf_t *dc = apr_pcalloc(p, sizeof(*dc));

    dc->device_id = add->device_id ? add->device_id : base->device_id;
    dc->user = add->user != UNSET ? add->user : base->user;
    dc->export_vars = add->export_vars != UNSET ? add->export_vars
                                                : base->export_vars;
    return dc;
}

static certauthz_conn_t *conn_record(conn_rec *c)
{
    certauthz_conn_t *cc = ap_get_module_config(c->conn_config,
                                                &certauthz_module);
    if (cc == NULL) {
        cc = apr_pcalloc(c->pool, sizeof(*cc));
        ap_set_module_config(c->conn_config, &certauthz_module, cc);
    }
    return cc;
}

static certauthz_req_t *req_record(request_rec *r)
{
    certauthz_req_t *rq = ap_get_module_config(r->request_config,
                                               &certauthz_module);
    if (rq == NULL) {
        rq = apr_pcalloc(r->pool, sizeof(*rq));
        ap_set_module_config(r->request_config, &certauthz_module, rq);
    }
    return rq;
}

static const char *ssl_var(request_rec *r, const char *name)
{
    return ap_ssl_var_lookup(r->pool, r->server, r->connection, r, name);
}

/*
 * Read the client certificate of r's connection, parsing it only when it
 * differs from the one already parsed on this connection.
 *
 * Turning the certificate into PEM costs about 2 us, as much as our whole
 * per-request budget, so the cached parse is keyed on cheaper values that
 * change whenever the certificate can: the TLS session id (a renegotiation
 * is a full handshake and makes a new session), the verify result, and the
 * serial (a TLS 1.3 post-handshake authentication keeps the session id).
 */
static void read_connection_identity(request_rec *r, certauthz_conn_t *cc,
                                     const char *verify)
{
    const char *key, *pem;
    certauthz_cert_t *cert = NULL;
    const char *err;

    key = apr_pstrcat(r->pool, verify, "|", ssl_var(r, "SSL_SESSION_ID"),
                      "|", ssl_var(r, "SSL_CLIENT_M_SERIAL"), NULL);
    if (cc->key != NULL && strcmp(cc->key, key) == 0) {
        return;
    }
    if (cc->pool != NULL) {
        apr_pool_destroy(cc->pool);
    }
    apr_pool_create(&cc->pool, r->connection->pool);
    apr_pool_tag(cc->pool, "certauthz_conn");
    cc->key = apr_pstrdup(cc->pool, key);
    cc->verify = apr_pstrdup(cc->pool, verify);
    cc->cert = NULL;

    if (strcmp(verify, "SUCCESS") != 0) {
        cc->state = ID_UNVERIFIED;
        return;
    }
    pem = ssl_var(r, "SSL_CLIENT_CERT");
    if (pem == NULL || *pem == '\0') {
        /* Verified yet no certificate: never trust it. */
        cc->state = ID_UNVERIFIED;
        return;
    }
    err = certauthz_cert_from_pem(cc->pool, pem, strlen(pem), &cert);
    if (err != NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CERTAUTHZ_LOGNO(0001)
                      "cannot parse the client certificate: %s", err);
        cc->state = ID_UNVERIFIED;
        return;
    }
    cc->cert = cert;
    cc->state = ID_OK;
}

/* Revocation sources are consulted here (INTERFACE §3). */
static certauthz_reason_e revocation_reason(request_rec *r,
                                            const certauthz_cert_t *cert)
{
    (void)r;
    (void)cert;
    return CERTAUTHZ_REASON_OK;
}

/* Establish the request's certificate identity (INTERFACE §1), once per
 * request. */
static certauthz_req_t *identity(request_rec *r)
{
    certauthz_req_t *rq = req_record(r);
    const char *verify;

    if (rq->resolved) {
        return rq;
    }
    rq->resolved = 1;
    rq->state = ID_NO_CERT;
    rq->id_reason = CERTAUTHZ_REASON_NO_CERT;

    if (!ap_ssl_conn_is_ssl(r->connection)) {
        return rq;
    }
    verify = ssl_var(r, "SSL_CLIENT_VERIFY");
    rq->verify = verify;
    if (verify == NULL || *verify == '\0' || strcmp(verify, "NONE") == 0) {
        return rq;
    }
    {
        certauthz_conn_t *cc = conn_record(r->connection);

        read_connection_identity(r, cc, verify);
        rq->state = cc->state;
        rq->cert = cc->cert;
    }
    if (rq->state != ID_OK) {
        rq->state = ID_UNVERIFIED;
        rq->id_reason = CERTAUTHZ_REASON_UNVERIFIED;
        rq->cert = NULL;
        return rq;
    }
    rq->id_reason = revocation_reason(r, rq->cert);
    return rq;
}

/* ------------------------------------------------------------------ */
/* Authorization providers                                             */

static authz_status record(request_rec *r, certauthz_req_t *rq,
                           const certauthz_require_t *req,
                           certauthz_reason_e reason)
{
    rq->ran = 1;
    if (reason == CERTAUTHZ_REASON_OK) {
        if (!rq->granted) {
            rq->granted = 1;
            rq->reason = CERTAUTHZ_REASON_OK;
            rq->rule = req->text;
        }
        return AUTHZ_GRANTED;
    }
    if (!rq->granted && reason > rq->reason) {
        rq->reason = reason;
        rq->rule = req->text;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CERTAUTHZ_LOGNO(0002)
                  "denied: device=%s reason=%s rule=\"%s\" uri=%s",
                  rq->cert && rq->cert->subject_dn ? rq->cert->subject_dn : "-",
                  certauthz_reason_name(reason), req->text, r->uri);
    return AUTHZ_DENIED;
}

static authz_status cert_check(request_rec *r, const char *require_line,
                               const void *parsed)
{
    const certauthz_require_t *req = parsed;
    certauthz_req_t *rq = identity(r);

    (void)require_line;
    if (rq->id_reason != CERTAUTHZ_REASON_OK) {
        return record(r, rq, req, rq->id_reason);
    }
    if (!certauthz_rule_match(req->rule, rq->cert)) {
        return record(r, rq, req, CERTAUTHZ_REASON_NO_MATCH);
    }
    return record(r, rq, req, CERTAUTHZ_REASON_OK);
}

static const char *parse_require(cmd_parms *cmd, const char *require_line,
                                 const void **parsed,
                                 certauthz_rule_kind_e kind, const char *name)
{
    apr_array_header_t *argv = apr_array_make(cmd->temp_pool, 4,
                                              sizeof(const char *));
    const char *line = require_line, *word, *err;
    certauthz_rule_t *rule = NULL;
    certauthz_require_t *req;

    /* Stop at the end of the line, not at the first empty word: a quoted
     * "" must reach the compiler (and be refused), never silently drop the
     * conditions after it. */
    while (apr_isspace(*line)) {
        line++;
    }
    while (*line != '\0') {
        word = ap_getword_conf(cmd->temp_pool, &line);
        APR_ARRAY_PUSH(argv, const char *) = word;
    }
    err = certauthz_rule_compile(cmd->pool, kind, argv->nelts,
                                 (const char *const *)argv->elts, &rule);
    if (err != NULL) {
        return apr_psprintf(cmd->pool, "Require %s: %s", name, err);
    }
    req = apr_palloc(cmd->pool, sizeof(*req));
    req->rule = rule;
    req->text = *require_line
                    ? apr_pstrcat(cmd->pool, name, " ", require_line, NULL)
                    : name;
    *parsed = req;
    return NULL;
}

#define CERTAUTHZ_PROVIDER(fn, kind, name)                                   \
    static const char *fn(cmd_parms *cmd, const char *require_line,          \
                          const void **parsed)                               \
    {                                                                        \
        return parse_require(cmd, require_line, parsed, kind, name);         \
    }                                                                        \
    static const authz_provider fn##_provider = {&cert_check, &fn};

CERTAUTHZ_PROVIDER(parse_valid, CERTAUTHZ_RULE_VALID, "cert-valid")
CERTAUTHZ_PROVIDER(parse_subject, CERTAUTHZ_RULE_SUBJECT, "cert-subject")
CERTAUTHZ_PROVIDER(parse_issuer, CERTAUTHZ_RULE_ISSUER, "cert-issuer")
CERTAUTHZ_PROVIDER(parse_serial, CERTAUTHZ_RULE_SERIAL, "cert-serial")
CERTAUTHZ_PROVIDER(parse_fingerprint, CERTAUTHZ_RULE_FINGERPRINT,
                   "cert-fingerprint")
CERTAUTHZ_PROVIDER(parse_san, CERTAUTHZ_RULE_SAN, "cert-san")

static void register_provider(apr_pool_t *p, const char *name,
                              const authz_provider *provider)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, name,
                              AUTHZ_PROVIDER_VERSION, provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}

static void register_hooks(apr_pool_t *p)
{
    register_provider(p, "cert-valid", &parse_valid_provider);
    register_provider(p, "cert-subject", &parse_subject_provider);
    register_provider(p, "cert-issuer", &parse_issuer_provider);
    register_provider(p, "cert-serial", &parse_serial_provider);
    register_provider(p, "cert-fingerprint", &parse_fingerprint_provider);
    register_provider(p, "cert-san", &parse_san_provider);
}

/* ------------------------------------------------------------------ */
/* Directives                                                          */

static const command_rec certauthz_cmds[] = {
    /* Revocation sources (INTERFACE §3): server config and virtual host. */

    /* Device identity, logging (INTERFACE §4). */

    {NULL}
};

AP_DECLARE_MODULE(certauthz) = {
    STANDARD20_MODULE_STUFF,
    create_dir_conf,    /* create per-directory config */
    merge_dir_conf,     /* merge per-directory config */
    create_srv_conf,    /* create per-server config */
    merge_srv_conf,     /* merge per-server config */
    certauthz_cmds,     /* command table */
    register_hooks
};
