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
#include "unixd.h"

#include "apr_atomic.h"
#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_optional.h"
#include "apr_strings.h"
#include "mod_log_config.h"

#include <errno.h>
#include <unistd.h>

#include "src/certinfo.h"
#include "src/logfields.h"
#include "src/reason.h"
#include "src/revocation.h"
#include "src/rule.h"
#include "src/status.h"

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
    /* The escaped text of the fields that depend on the certificate alone
     * (see field_values()), in pool, made once per connection. */
    const char **cert_fields;
    const void *cert_fields_devid;  /* CertAuthzDeviceId they were made for */
    int tls13;                      /* 1 TLS 1.3, -1 older, 0 not known yet */
    /* The last complete set of field values made on this connection and
     * what it was made from: a request decided by the same line, for the
     * same reason, in the same second (days_left) reuses it as it is. */
    const char **last_fields;
    const char *last_rule;
    certauthz_reason_e last_reason;
    apr_int64_t last_now;
    int fields_made;                /* sets made in pool, bounded */
    /* The revocation verdict on cert, and what it was computed from (see
     * revocation_reason()). */
    const void *rev_sc;             /* the server's configuration, or NULL */
    apr_uint64_t *rev_gen;          /* generation of each of its sources */
    int rev_n;                      /* room in rev_gen */
    apr_int64_t rev_sec;            /* the second it was computed in */
    certauthz_reason_e rev_reason;
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
    /* What the providers answered, line by line (see record()). */
    const char *grant_rule;         /* first cert-* line that granted */
    certauthz_reason_e deny_reason; /* strongest reason of a denial */
    const char *deny_rule;          /* ... and its line */
    int authorized;                 /* the request passed access control */
    /* The decision, settled from the above (see settle()). */
    int granted;
    certauthz_reason_e reason;
    const char *rule;               /* the Require line that decided */
    const char **fields;            /* escaped field values, see publish() */
    const char **published;         /* the values r's notes were set from */
    int exported;                   /* ...and whether exported as well */
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
    apr_array_header_t *revocation_where;   /* "line N of FILE", for errors */
    int check_interval;                     /* seconds, UNSET */
    const char *crl_verify_ca;              /* path or NULL */
    int stale_deny;                         /* 0 warn, 1 deny, UNSET */
    /* The loaded sources of revocation_files (certauthz_revsrc_t *), set by
     * revocation_check_config after the merge, shared between servers. */
    apr_array_header_t *sources;
} certauthz_srv_conf_t;

/* Per-directory configuration: device identity, user, exported variables. */
typedef struct {
    const certauthz_devid_t *device_id;     /* compiled SOURCE, or NULL */
    int user;                               /* On/Off, UNSET */
    int export_vars;                        /* On/Off, UNSET */
} certauthz_dir_conf_t;

static void *create_srv_conf(apr_pool_t *p, server_rec *s)
{
    certauthz_srv_conf_t *sc = apr_pcalloc(p, sizeof(*sc));

    (void)s;
    sc->revocation_files = apr_array_make(p, 2, sizeof(const char *));
    sc->revocation_where = apr_array_make(p, 2, sizeof(const char *));
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
    sc->revocation_where = add->revocation_files->nelts
                               ? add->revocation_where
                               : base->revocation_where;
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

/* The decision of a request, from what its cert-* lines answered.  A
 * grant decides when the request got through access control, or when no
 * cert-* line denied; otherwise the strongest denial decides.  So in
 * <RequireAll> a cert-valid that granted beside a cert-subject that did not
 * match logs "denied, no-match, cert-subject ...", and in <RequireAny> the
 * line that let the request in is the one logged.  Provisional during
 * authorization; final once fixups ran (authorized) or the request ended. */
static void settle(certauthz_req_t *rq)
{
    int granted = rq->grant_rule != NULL
                  && (rq->authorized || rq->deny_rule == NULL);

    rq->granted = granted;
    rq->reason = granted ? CERTAUTHZ_REASON_OK : rq->deny_reason;
    rq->rule = granted ? rq->grant_rule : rq->deny_rule;
    rq->fields = NULL;
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
 * per-request budget, so the cached parse is keyed on two cheap values that
 * change whenever a renegotiation can change the certificate: the verify
 * result and the TLS session id (a TLS 1.2 renegotiation is a full
 * handshake and makes a new session; mod_ssl's per-directory renegotiation
 * refuses to resume the old one).  TLS 1.3 has no renegotiation; its
 * post-handshake authentication keeps the session id (so under TLS 1.3
 * only the verify result is compared), and a client that
 * first presented certificate A and then answers mod_ssl's request with
 * another certificate B of a trusted CA stays judged as A, the certificate
 * it proved it holds on this connection (A's revocation is still checked
 * on every request).  Keying on the serial as well would catch that case
 * but costs more than all the rest of a decision (mod_ssl formats it
 * through a BIO: ~4k instructions per request).
 */
static void read_connection_identity(request_rec *r, certauthz_conn_t *cc,
                                     const char *verify)
{
    const char *key, *pem;
    certauthz_cert_t *cert = NULL;
    const char *err;

    if (cc->tls13 == 0) {
        /* The protocol of a connection never changes (a renegotiation
         * keeps it), so it is asked once. */
        const char *proto = ssl_var(r, "SSL_PROTOCOL");

        cc->tls13 = proto != NULL && strcmp(proto, "TLSv1.3") == 0 ? 1 : -1;
    }
    /* Under TLS 1.3 the session id tells nothing (see above): only the
     * verify result can change. */
    key = cc->tls13 > 0 ? verify
                        : apr_pstrcat(r->pool, verify, "|",
                                      ssl_var(r, "SSL_SESSION_ID"), NULL);
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
    cc->cert_fields = NULL;
    cc->last_fields = NULL;
    cc->fields_made = 0;
    cc->rev_sc = NULL;
    cc->rev_gen = NULL;
    cc->rev_n = 0;

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

/* ------------------------------------------------------------------ */
/* Revocation (INTERFACE §3)                                           */

#define REVOCATION_DEFAULT_INTERVAL 5

/*
 * The sources are loaded by the parent in check_config, which also runs for
 * `httpd -t`, so a bad file fails a configtest exactly as it fails a start.
 * They live in pconf: children inherit the loaded lists (the compiled
 * indexes are shared mappings) and each child then re-checks the files on
 * the request path, at most once per interval, in the thread whose request
 * finds the interval elapsed (src/revocation.c: certauthz_revsrc_acquire).
 * Checking there rather than in a thread of our own keeps prefork and
 * event alike and costs nothing while no requests come.
 */

static void revocation_log_request(void *baton, certauthz_revlog_e level,
                                   const char *msg)
{
    request_rec *r = baton;
    int lvl = level == CERTAUTHZ_REVLOG_ERROR  ? APLOG_ERR
              : level == CERTAUTHZ_REVLOG_WARN ? APLOG_WARNING
                                               : APLOG_NOTICE;

    ap_log_error(APLOG_MARK, lvl, 0, r->server, CERTAUTHZ_LOGNO(0100)
                 "CertAuthzRevocationFile %s", msg);
}

static void revocation_log_startup(void *baton, certauthz_revlog_e level,
                                   const char *msg)
{
    server_rec *s = baton;
    int lvl = level == CERTAUTHZ_REVLOG_ERROR  ? APLOG_ERR
              : level == CERTAUTHZ_REVLOG_WARN ? APLOG_WARNING
                                               : APLOG_NOTICE;

    ap_log_error(APLOG_MARK, APLOG_STARTUP | lvl, 0, s, CERTAUTHZ_LOGNO(0101)
                 "CertAuthzRevocationFile %s", msg);
}

/* The directory of the compiled indexes, writable by the children so that
 * a child reloading a changed file shares its index with the others.  NULL
 * (indexes in anonymous memory) when it cannot be made. */
static const char *revocation_cache_dir(apr_pool_t *p, server_rec *s)
{
    const char *dir = ap_runtime_dir_relative(p, "certauthz");
    apr_status_t rv;

    if (dir == NULL) {
        return NULL;
    }
    rv = apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, rv, s,
                     CERTAUTHZ_LOGNO(0102) "cannot create %s; revocation "
                     "indexes will not be shared between processes", dir);
        return NULL;
    }
    if (geteuid() == 0 && chown(dir, ap_unixd_config.user_id, -1) != 0) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, errno, s,
                     CERTAUTHZ_LOGNO(0103) "cannot give %s to the server's "
                     "User; lists reloaded by children will not be shared",
                     dir);
    }
    return dir;
}

static int revocation_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                   apr_pool_t *ptemp, server_rec *main_s)
{
    apr_hash_t *loaded = apr_hash_make(ptemp);
    const char *cache_dir = NULL;
    int need_cache = 0;
    server_rec *s;

    (void)plog;
    for (s = main_s; s != NULL && !need_cache; s = s->next) {
        certauthz_srv_conf_t *sc = ap_get_module_config(s->module_config,
                                                        &certauthz_module);
        need_cache = sc->revocation_files->nelts > 0;
    }
    if (need_cache) {
        cache_dir = revocation_cache_dir(pconf, main_s);
    }
    for (s = main_s; s != NULL; s = s->next) {
        certauthz_srv_conf_t *sc = ap_get_module_config(s->module_config,
                                                        &certauthz_module);
        int i;

        sc->sources = apr_array_make(pconf, sc->revocation_files->nelts,
                                     sizeof(certauthz_revsrc_t *));
        for (i = 0; i < sc->revocation_files->nelts; i++) {
            const char *path = APR_ARRAY_IDX(sc->revocation_files, i,
                                             const char *);
            /* A CRL checked against one CA file is not a CRL checked
             * against another: the verify CA is part of the identity. */
            const char *key = apr_pstrcat(ptemp, path, "\n",
                                          sc->crl_verify_ca, NULL);
            certauthz_revsrc_t *src = apr_hash_get(loaded, key,
                                                   APR_HASH_KEY_STRING);

            if (src == NULL) {
                certauthz_revopts_t opts;
                const char *err;

                opts.cache_dir = cache_dir;
                opts.verify_ca = sc->crl_verify_ca;
                err = certauthz_revsrc_create(pconf, path, &opts,
                                              revocation_log_startup, s, &src);
                if (err != NULL) {
                    /* Loading runs after the configuration is read, so
                     * say which directive named the file. */
                    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0,
                                 NULL, CERTAUTHZ_LOGNO(0104) "%s%s (%s)",
                                 strncmp(err, "CertAuthz", 9) == 0
                                     ? "" : "CertAuthzRevocationFile ",
                                 err, APR_ARRAY_IDX(sc->revocation_where, i,
                                                    const char *));
                    return HTTP_INTERNAL_SERVER_ERROR;
                }
                apr_hash_set(loaded, key, APR_HASH_KEY_STRING, src);
            }
            APR_ARRAY_PUSH(sc->sources, certauthz_revsrc_t *) = src;
        }
    }
    return OK;
}

/*
 * OK, REVOKED or CRL_STALE for the connection's certificate (cc->cert) on
 * the request's server: a few hash probes per source.  Each list is
 * referenced while it is consulted, so a reload never pulls it from under
 * the lookup.
 *
 * The verdict on a connection's certificate is kept on the connection and
 * reused by its next requests while every source still has the same list,
 * no check of a file is due, and the second has not changed (a CRL passing
 * its nextUpdate is seen within a second).  A list replaced by a reload is
 * consulted by the very next request.  This spares the lookups' memory
 * accesses into a large index, which cost more than their instructions.
 */
static certauthz_reason_e revocation_reason(request_rec *r,
                                            certauthz_conn_t *cc)
{
    const certauthz_cert_t *cert = cc->cert;
    certauthz_srv_conf_t *sc = ap_get_module_config(r->server->module_config,
                                                    &certauthz_module);
    certauthz_reason_e reason = CERTAUTHZ_REASON_OK;
    apr_time_t now;
    int i, n, interval;

    if (sc->sources == NULL || sc->sources->nelts == 0) {
        return reason;
    }
    n = sc->sources->nelts;
    now = apr_time_now();
    interval = sc->check_interval != UNSET ? sc->check_interval
                                           : REVOCATION_DEFAULT_INTERVAL;
    if (cc->rev_sc == (const void *)sc
        && cc->rev_sec == (apr_int64_t)apr_time_sec(now)) {
        for (i = 0; i < n; i++) {
            if (!certauthz_revsrc_unchanged(
                    APR_ARRAY_IDX(sc->sources, i, certauthz_revsrc_t *), now,
                    cc->rev_gen[i])) {
                break;
            }
        }
        if (i == n) {
            return cc->rev_reason;
        }
    }
    if (cc->rev_n < n) {
        cc->rev_gen = apr_palloc(cc->pool, sizeof(apr_uint64_t) * n);
        cc->rev_n = n;
    }
    for (i = 0; i < n; i++) {
        certauthz_revsrc_t *src = APR_ARRAY_IDX(sc->sources, i,
                                                certauthz_revsrc_t *);
        /* Read before acquiring: a list swapped in meanwhile only makes
         * the next request look again. */
        apr_uint64_t gen = certauthz_revsrc_generation(src);
        certauthz_revlist_t *list = certauthz_revsrc_acquire(
            src, now, interval, revocation_log_request, r);
        certauthz_reason_e got;

        got = certauthz_revlist_check(list, cert, now, sc->stale_deny == 1);
        certauthz_revlist_release(list);
        if (got > reason) {
            reason = got;
        }
        cc->rev_gen[i] = gen;
    }
    cc->rev_sc = sc;
    cc->rev_sec = (apr_int64_t)apr_time_sec(now);
    cc->rev_reason = reason;
    return reason;
}

/* The revocation sources of the request's server, for the status page. */
static apr_array_header_t *revocation_status(request_rec *r)
{
    certauthz_srv_conf_t *sc = ap_get_module_config(r->server->module_config,
                                                    &certauthz_module);
    int n = sc->sources ? sc->sources->nelts : 0, i;
    apr_array_header_t *out = apr_array_make(r->pool, n ? n : 1,
                                             sizeof(certauthz_revinfo_t));
    apr_time_t now = apr_time_now();

    for (i = 0; i < n; i++) {
        certauthz_revinfo_t *info = apr_array_push(out);

        certauthz_revsrc_info(APR_ARRAY_IDX(sc->sources, i,
                                            certauthz_revsrc_t *),
                              r->pool, now, info);
    }
    return out;
}

/* A file named by a directive, relative to ServerRoot. */
static const char *directive_path(cmd_parms *cmd, const char *arg,
                                  const char **path)
{
    *path = ap_server_root_relative(cmd->pool, arg);
    if (*path == NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

static const char *set_revocation_file(cmd_parms *cmd, void *dc,
                                       const char *arg)
{
    certauthz_srv_conf_t *sc = ap_get_module_config(
        cmd->server->module_config, &certauthz_module);
    const char *path, *err = directive_path(cmd, arg, &path);

    (void)dc;
    if (err == NULL) {
        APR_ARRAY_PUSH(sc->revocation_files, const char *) = path;
        APR_ARRAY_PUSH(sc->revocation_where, const char *) =
            apr_psprintf(cmd->pool, "CertAuthzRevocationFile on line %d of %s",
                         cmd->directive->line_num, cmd->directive->filename);
    }
    return err;
}

static const char *set_check_interval(cmd_parms *cmd, void *dc,
                                      const char *arg)
{
    certauthz_srv_conf_t *sc = ap_get_module_config(
        cmd->server->module_config, &certauthz_module);
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    (void)dc;
    if (*arg == '\0' || *end != '\0' || v < 0 || v > 86400) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of seconds "
                            "from 0 to 86400", cmd->cmd->name, arg);
    }
    sc->check_interval = (int)v;
    return NULL;
}

static const char *set_crl_verify_ca(cmd_parms *cmd, void *dc,
                                     const char *arg)
{
    certauthz_srv_conf_t *sc = ap_get_module_config(
        cmd->server->module_config, &certauthz_module);

    (void)dc;
    return directive_path(cmd, arg, &sc->crl_verify_ca);
}

static const char *set_stale_crl(cmd_parms *cmd, void *dc, const char *arg)
{
    certauthz_srv_conf_t *sc = ap_get_module_config(
        cmd->server->module_config, &certauthz_module);

    (void)dc;
    if (strcasecmp(arg, "warn") == 0) {
        sc->stale_deny = 0;
    }
    else if (strcasecmp(arg, "deny") == 0) {
        sc->stale_deny = 1;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither warn nor deny",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

/* Establish the request's certificate identity (INTERFACE §1), once per
 * request. */
static certauthz_req_t *identity(request_rec *r)
{
    certauthz_req_t *rq = req_record(r);
    certauthz_conn_t *cc;
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
    cc = conn_record(r->connection);
    read_connection_identity(r, cc, verify);
    rq->state = cc->state;
    rq->cert = cc->cert;
    if (rq->state != ID_OK) {
        rq->state = ID_UNVERIFIED;
        rq->id_reason = CERTAUTHZ_REASON_UNVERIFIED;
        rq->cert = NULL;
        return rq;
    }
    rq->id_reason = revocation_reason(r, cc);
    return rq;
}

/* ------------------------------------------------------------------ */
/* Logging and status (INTERFACE §4)                                   */

/* The request whose cert-* decision a request reports.  mod_log_config
 * hands log handlers the final request of an internal redirect chain, and
 * an ErrorDocument is such a redirect; AP_AUTH_INTERNAL_PER_CONF also lets
 * a redirect with the same configuration skip authorization.  So the
 * decision may live on any earlier request of the chain (r->prev) or on
 * the request a subrequest belongs to (r->main).  A denial wins over a
 * grant: when a request was refused, the refusal is what the response,
 * the ErrorDocument and the log line are about, even if the ErrorDocument
 * itself passed a cert-* rule.  NULL when no cert-* provider ran. */
static request_rec *decider(request_rec *r)
{
    request_rec *x, *granted = NULL;

    for (x = r; x != NULL; x = x->prev ? x->prev : x->main) {
        certauthz_req_t *rq = ap_get_module_config(x->request_config,
                                                   &certauthz_module);
        if (rq != NULL && rq->ran) {
            if (!rq->granted) {
                return x;
            }
            if (granted == NULL) {
                granted = x;
            }
        }
    }
    return granted;
}

static certauthz_dir_conf_t *dir_conf(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &certauthz_module);
}

/* The log record of a request whose decider (see decider()) is d: the
 * decision of d, and the identity established for d (or for r itself when
 * no cert-* provider ran, d NULL, so that an access log shows devices on
 * every path). */
static certauthz_req_t *log_record(request_rec *r, request_rec *d,
                                   certauthz_logrec_t *rec)
{
    certauthz_req_t *rq = identity(d ? d : r);

    if (d == NULL) {
        d = r;
    }
    rec->cert = rq->state == ID_OK ? rq->cert : NULL;
    rec->devid = dir_conf(d)->device_id;
    rec->verify = rq->verify;
    rec->reason = !rq->ran ? CERTAUTHZ_REASON_NONE
                  : rq->granted ? CERTAUTHZ_REASON_OK
                                : rq->reason;
    rec->rule = rq->rule;
    rec->now = (apr_int64_t)apr_time_sec(d->request_time);
    return rq;
}

/* Sets of field values kept on one connection for reuse; past this many
 * (a long HTTP/2 or keep-alive connection whose requests keep changing
 * rule or second), further sets live in their request's pool only, so a
 * connection's memory stays bounded. */
#define CONN_FIELD_SETS 32

/* The escaped fields of the record of r, whose decider is dr (or NULL),
 * computed once per decision (rq->fields is dropped by record() when the
 * decision changes). */
static const char **field_values(request_rec *r, request_rec *dr)
{
    request_rec *d = dr ? dr : r;
    certauthz_req_t *rq = identity(d);
    int f;

    if (rq->fields == NULL) {
        certauthz_logrec_t rec;
        certauthz_conn_t *cc = NULL;
        apr_pool_t *pool = d->pool;
        const char **v;

        log_record(r, dr, &rec);
        /* The certificate's own fields are escaped once per connection,
         * not once per request: only the decision, the reason, the rule,
         * the verify result and days_left can differ between requests,
         * and on one connection they seldom do. */
        if (rec.cert != NULL) {
            cc = conn_record(d->connection);
            if (cc->cert != rec.cert) {
                cc = NULL;
            }
            else if (cc->cert_fields == NULL
                     || cc->cert_fields_devid != (const void *)rec.devid) {
                cc->cert_fields = apr_pcalloc(
                    cc->pool, sizeof(char *) * CERTAUTHZ_FIELD_COUNT);
                cc->cert_fields_devid = rec.devid;
                cc->last_fields = NULL;
            }
        }
        /* The verify result is part of what identified cc->cert (see
         * read_connection_identity), so it is the same here. */
        if (cc != NULL && cc->last_fields != NULL
            && cc->last_rule == rec.rule && cc->last_reason == rec.reason
            && cc->last_now == rec.now) {
            rq->fields = cc->last_fields;
            return rq->fields;
        }
        if (cc != NULL && cc->fields_made < CONN_FIELD_SETS) {
            pool = cc->pool;
        }
        v = apr_palloc(pool, sizeof(char *) * CERTAUTHZ_FIELD_COUNT);
        for (f = 0; f < CERTAUTHZ_FIELD_COUNT; f++) {
            int per_cert = cc != NULL && f != CERTAUTHZ_FIELD_VERIFY
                           && f != CERTAUTHZ_FIELD_DAYS_LEFT
                           && f != CERTAUTHZ_FIELD_DECISION
                           && f != CERTAUTHZ_FIELD_REASON
                           && f != CERTAUTHZ_FIELD_RULE;

            /* UTF-8 kept: a CGI or an SSI page shows "Zoë", while every
             * control and line-breaking character is still escaped. */
            if (!per_cert) {
                v[f] = certauthz_field_text(pool, &rec, f, 1);
                continue;
            }
            if (cc->cert_fields[f] == NULL) {
                cc->cert_fields[f] = certauthz_field_text(cc->pool, &rec, f,
                                                          1);
            }
            v[f] = cc->cert_fields[f];
        }
        if (pool != d->pool) {
            cc->fields_made++;
            cc->last_fields = v;
            cc->last_rule = rec.rule;
            cc->last_reason = rec.reason;
            cc->last_now = rec.now;
        }
        rq->fields = v;
    }
    return rq->fields;
}

/* Set the request notes certauthz-NAME on r, and with CertAuthzExportVars
 * On the environment variables CERTAUTHZ_NAME, from r's decider dr (or r
 * itself when dr is NULL). */
static void publish(request_rec *r, request_rec *dr)
{
    static const char *const note[CERTAUTHZ_FIELD_COUNT] = {
        "certauthz-device", "certauthz-subject", "certauthz-issuer",
        "certauthz-serial", "certauthz-fingerprint", "certauthz-not_before",
        "certauthz-not_after", "certauthz-days_left", "certauthz-san",
        "certauthz-verify", "certauthz-decision", "certauthz-reason",
        "certauthz-rule"
    };
    static const char *const env[CERTAUTHZ_FIELD_COUNT] = {
        "CERTAUTHZ_DEVICE", "CERTAUTHZ_SUBJECT", "CERTAUTHZ_ISSUER",
        "CERTAUTHZ_SERIAL", "CERTAUTHZ_FINGERPRINT", "CERTAUTHZ_NOT_BEFORE",
        "CERTAUTHZ_NOT_AFTER", "CERTAUTHZ_DAYS_LEFT", "CERTAUTHZ_SAN",
        "CERTAUTHZ_VERIFY", "CERTAUTHZ_DECISION", "CERTAUTHZ_REASON",
        "CERTAUTHZ_RULE"
    };
    request_rec *d = dr ? dr : r;
    const char **v = field_values(r, dr);
    certauthz_req_t *own = req_record(r);
    /* Either side may enable the export: the refused location or the
     * ErrorDocument that explains the refusal. */
    int export = dir_conf(r)->export_vars == 1
                 || dir_conf(d)->export_vars == 1;
    int f;

    int first = own->published == NULL;

    if (own->published == v && own->exported >= export) {
        return;     /* already set from these values */
    }
    own->published = v;
    /* The first time, the notes cannot be there yet (no client can set a
     * note): appending them saves apr_table_setn's search of the table,
     * most of this function's cost. */
    for (f = 0; f < CERTAUTHZ_FIELD_COUNT; f++) {
        if (first) {
            apr_table_addn(r->notes, note[f], v[f]);
        }
        else {
            apr_table_setn(r->notes, note[f], v[f]);
        }
        if (export) {
            apr_table_setn(r->subprocess_env, env[f], v[f]);
        }
    }
    own->exported = export;
}

/* %{NAME}Z.  Escaped as mod_log_config escapes request headers; an
 * unknown NAME logs "-" (mod_log_config gives handlers no way to refuse a
 * format at configuration time). */
static const char *log_field(request_rec *r, char *a)
{
    int f = certauthz_field_lookup(a);
    certauthz_logrec_t rec;

    if (f < 0) {
        return "-";
    }
    log_record(r, decider(r), &rec);
    return certauthz_field_text(r->pool, &rec, f, 0);
}

/* CertAuthzUser On: the device id as the user of a request with an
 * established identity, unless another module set one. */
static void set_user(request_rec *r, request_rec *d)
{
    certauthz_req_t *rq;
    const char **v;

    if (r->user != NULL || dir_conf(d ? d : r)->user != 1) {
        return;
    }
    rq = identity(d ? d : r);
    if (rq->id_reason != CERTAUTHZ_REASON_OK) {
        return;
    }
    v = field_values(r, d);
    if (strcmp(v[CERTAUTHZ_FIELD_DEVICE], "-") != 0) {
        r->user = (char *)v[CERTAUTHZ_FIELD_DEVICE];
    }
}

/* Runs first among fixups so that mod_rewrite's per-directory rules and
 * mod_headers see the variables; for an ErrorDocument this is the
 * redirected request, which gets the refused request's values under their
 * own names (not only as REDIRECT_CERTAUTHZ_*). */
static int logging_fixups(request_rec *r)
{
    certauthz_req_t *rq = ap_get_module_config(r->request_config,
                                               &certauthz_module);
    request_rec *d;

    if (rq != NULL && rq->ran) {
        rq->authorized = 1;
        settle(rq);
    }
    /* The notes and variables are wanted when a cert-* provider decided r
     * (or the request it answers), or the variables are exported.
     * Requests this module has nothing to say about cost it nothing. */
    d = decider(r);
    if (d != NULL || dir_conf(r)->export_vars == 1) {
        publish(r, d);
    }
    set_user(r, d);
    return DECLINED;
}

/* A refusal answered without an ErrorDocument: mod_headers' "always"
 * headers of the error response read the variables from here. */
static void logging_insert_error_filter(request_rec *r)
{
    request_rec *d = decider(r);

    if (d != NULL) {
        publish(r, d);
    }
}

/* This process's decisions by reason (index certauthz_reason_e), for the
 * status page.  Process-global on purpose: the page reports what this
 * process decided; each child of a forking MPM has its own copy.  Updated
 * with atomic increments, so threads need no lock. */
static volatile apr_uint64_t decision_counts[CERTAUTHZ_REASON_COUNT];

/* Before mod_log_config's (APR_HOOK_MIDDLE): %u and the notes must hold
 * their values when the access log line is written, also on a 403. */
static int logging_log_transaction(request_rec *r)
{
    request_rec *d = decider(r);

    if (d != NULL) {
        certauthz_req_t *rq = req_record(d);

        apr_atomic_inc64(&decision_counts[rq->granted ? CERTAUTHZ_REASON_OK
                                                      : rq->reason]);
    }
    if (d != NULL || dir_conf(r)->export_vars == 1) {
        publish(r, d);
    }
    set_user(r, d);
    return DECLINED;
}

static int status_handler(request_rec *r)
{
    apr_uint64_t counts[CERTAUTHZ_REASON_COUNT];
    int i;

    if (r->handler == NULL || strcmp(r->handler, "certauthz-status") != 0) {
        return DECLINED;
    }
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    for (i = 0; i < CERTAUTHZ_REASON_COUNT; i++) {
        counts[i] = apr_atomic_read64(&decision_counts[i]);
    }
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) {
        ap_rputs(certauthz_status_json(r->pool, revocation_status(r), counts,
                                       (long)getpid()),
                 r);
        ap_rputs("\n", r);
    }
    return OK;
}

/* mod_log_config creates its handler table in its own pre_config; ours
 * runs after it.  Without mod_log_config the module still loads. */
static int logging_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp)
{
    APR_OPTIONAL_FN_TYPE(ap_register_log_handler) *reg;

    (void)plog;
    (void)ptemp;
    reg = APR_RETRIEVE_OPTIONAL_FN(ap_register_log_handler);
    if (reg != NULL) {
        reg(pconf, "Z", log_field, 0);
    }
    return OK;
}

static const char *set_device_id(cmd_parms *cmd, void *dcv, const char *arg)
{
    certauthz_dir_conf_t *dc = dcv;
    const char *err = certauthz_devid_compile(cmd->pool, arg, &dc->device_id);

    if (err != NULL) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " ", err, NULL);
    }
    return NULL;
}

static void register_logging_hooks(void)
{
    static const char *const after_log_config[] = {"mod_log_config.c",
                                                   NULL};

    ap_hook_pre_config(logging_pre_config, after_log_config, NULL,
                       APR_HOOK_MIDDLE);
    ap_hook_fixups(logging_fixups, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_insert_error_filter(logging_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    ap_hook_log_transaction(logging_log_transaction, NULL, NULL,
                            APR_HOOK_REALLY_FIRST);
    ap_hook_handler(status_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

/* ------------------------------------------------------------------ */
/* Authorization providers                                             */

static authz_status record(request_rec *r, certauthz_req_t *rq,
                           const certauthz_require_t *req,
                           certauthz_reason_e reason)
{
    const char **fields;

    rq->ran = 1;
    if (reason == CERTAUTHZ_REASON_OK) {
        if (rq->grant_rule == NULL) {
            rq->grant_rule = req->text;
        }
    }
    else if (reason > rq->deny_reason) {
        rq->deny_reason = reason;
        rq->deny_rule = req->text;
    }
    settle(rq);
    /* Exported variables are visible to the Require lines that follow
     * (Require expr "%{ENV:CERTAUTHZ_DEVICE} ..."); without the export the
     * fields are only computed when something reads them. */
    if (dir_conf(r)->export_vars == 1) {
        publish(r, decider(r));
    }
    if (reason == CERTAUTHZ_REASON_OK) {
        return AUTHZ_GRANTED;
    }
    if (!APLOG_R_IS_LEVEL(r, APLOG_INFO)) {
        return AUTHZ_DENIED;
    }
    fields = field_values(r, decider(r));
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CERTAUTHZ_LOGNO(0002)
                  "denied: device=\"%s\" reason=%s rule=\"%s\" uri=%s",
                  fields[CERTAUTHZ_FIELD_DEVICE],
                  certauthz_reason_name(reason),
                  certauthz_escape_text(r->pool, req->text,
                                        strlen(req->text), 1),
                  r->uri);
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
    register_logging_hooks();
    ap_hook_check_config(revocation_check_config, NULL, NULL, APR_HOOK_MIDDLE);
}

/* ------------------------------------------------------------------ */
/* Directives                                                          */

static const command_rec certauthz_cmds[] = {
    /* Revocation sources (INTERFACE §3): server config and virtual host. */
    AP_INIT_TAKE1("CertAuthzRevocationFile", set_revocation_file, NULL,
                  RSRC_CONF, "A revocation file (PEM or DER CRL, openssl ca "
                  "index.txt, or a list of serials and sha256: fingerprints); "
                  "repeatable"),
    AP_INIT_TAKE1("CertAuthzRevocationCheckInterval", set_check_interval,
                  NULL, RSRC_CONF, "Seconds between checks of the revocation "
                  "files for changes (default 5)"),
    AP_INIT_TAKE1("CertAuthzCRLVerifyCA", set_crl_verify_ca, NULL, RSRC_CONF,
                  "PEM file of the CA certificates that must have signed "
                  "every CRL"),
    AP_INIT_TAKE1("CertAuthzStaleCRL", set_stale_crl, NULL, RSRC_CONF,
                  "warn (default) or deny: what a CRL past its nextUpdate "
                  "does to the certificates of its issuer"),

    /* Device identity, logging (INTERFACE §4). */
    AP_INIT_TAKE1("CertAuthzDeviceId", set_device_id, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Where the device id comes from: subject:ATTR, san:email, "
                  "san:dns, san:uri, serial or fingerprint"),
    AP_INIT_FLAG("CertAuthzUser", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(certauthz_dir_conf_t, user),
                 RSRC_CONF | ACCESS_CONF,
                 "On: the device id becomes REMOTE_USER when no other "
                 "module set a user"),
    AP_INIT_FLAG("CertAuthzExportVars", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(certauthz_dir_conf_t, export_vars),
                 OR_AUTHCFG | OR_OPTIONS,
                 "On: export the CERTAUTHZ_* environment variables"),

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
