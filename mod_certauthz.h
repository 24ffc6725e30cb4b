/*
 * mod_certauthz: what the glue files share (mod_certauthz*.c).  Nothing
 * here is for other modules.
 *
 *   mod_certauthz.c            module record, directive table, hooks
 *   mod_certauthz_config.c     configuration records and directives
 *   mod_certauthz_identity.c   the certificate identity of a connection
 *   mod_certauthz_authz.c      the Require cert-* providers, the decision
 *   mod_certauthz_log.c        %{NAME}Z, notes, variables, REMOTE_USER
 *   mod_certauthz_revocation.c revocation sources: start-up, children's view
 *   mod_certauthz_loader.c     the loader process
 *   mod_certauthz_store.c      the revocation store (socache), §9
 *   mod_certauthz_status.c     counters, certauthz-status, certauthz-metrics
 *   mod_certauthz_warnings.c   start-up warnings (src/confcheck.c)
 *   mod_certauthz_forward.c    the identity handed to backends (headers)
 */
#ifndef MOD_CERTAUTHZ_H
#define MOD_CERTAUTHZ_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "apr_thread_mutex.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "src/certinfo.h"
#include "src/loader.h"
#include "src/logfields.h"
#include "src/reason.h"
#include "src/rule.h"
#include "src/status.h"

extern module AP_MODULE_DECLARE_DATA certauthz_module;

/* Log lines of every glue file carry the module's name; AP_DECLARE_MODULE
 * does this for mod_certauthz.c itself. */
#ifndef CERTAUTHZ_MODULE_FILE
APLOG_USE_MODULE(certauthz);
#endif

/* Stable message tags of our own: APLOGNO numbers belong to httpd. */
#define CERTAUTHZ_LOGNO(n) "CERTAUTHZ" #n ": "

#define CERTAUTHZ_UNSET (-1)

/* ------------------------------------------------------------------ */
/* Configuration (mod_certauthz_config.c)                              */

typedef struct certauthz_store certauthz_store_t;

/* Server (virtual host) configuration: revocation sources. */
typedef struct {
    apr_array_header_t *revocation_files;   /* const char * paths */
    apr_array_header_t *revocation_where;   /* "line N of FILE", for errors */
    /* CertAuthzRevocationURL (certauthz_url_opts_t *), and where. */
    apr_array_header_t *revocation_urls;
    apr_array_header_t *revocation_urls_where;
    /* CertAuthzRevocationStore (mod_certauthz_store.c), or NULL. */
    certauthz_store_t *store;
    int store_cache_seconds;                /* UNSET */
    int store_deny;                         /* 1 deny, 0 allow, UNSET */
    int check_interval;                     /* seconds, UNSET */
    const char *crl_verify_ca;              /* path or NULL */
    const char *crl_verify_ca_where;        /* its directive, for errors */
    int stale_deny;                         /* 0 warn, 1 deny, UNSET */
    /* The loaded sources of revocation_files, set after the merge by the
     * revocation glue (its own type), shared between servers. */
    apr_array_header_t *sources;
    /* Forwarding anywhere in this server's sections (mod_certauthz_forward.c):
     * the highest CertAuthzForward level, and every device header named. */
    int forward_max;
    apr_array_header_t *forward_device_headers;     /* const char * */
} certauthz_srv_conf_t;

/* Per-directory configuration. */
typedef struct {
    const certauthz_devid_t *device_id;     /* compiled SOURCE, or NULL */
    int user;                               /* On/Off, UNSET */
    int export_vars;                        /* On/Off, UNSET */
    int forward;                            /* CERTAUTHZ_FORWARD_*, UNSET */
    const char *forward_device_header;      /* header name, or NULL */
    int report_only;                        /* On/Off, UNSET */
} certauthz_dir_conf_t;

/* CertAuthzForward */
enum {
    CERTAUTHZ_FORWARD_OFF = 0,
    CERTAUTHZ_FORWARD_ON = 1,
    CERTAUTHZ_FORWARD_CHAIN = 2
};

void *certauthz_create_srv_conf(apr_pool_t *p, server_rec *s);
void *certauthz_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);
void *certauthz_create_dir_conf(apr_pool_t *p, char *dir);
void *certauthz_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);

certauthz_srv_conf_t *certauthz_srv_conf(const server_rec *s);
certauthz_dir_conf_t *certauthz_dir_conf(const request_rec *r);

const char *certauthz_set_revocation_file(cmd_parms *cmd, void *dc,
                                          const char *arg);
const char *certauthz_set_check_interval(cmd_parms *cmd, void *dc,
                                         const char *arg);
const char *certauthz_set_crl_verify_ca(cmd_parms *cmd, void *dc,
                                        const char *arg);
const char *certauthz_set_stale_crl(cmd_parms *cmd, void *dc,
                                    const char *arg);
const char *certauthz_set_device_id(cmd_parms *cmd, void *dc,
                                    const char *arg);
/* mod_certauthz_revocation.c */
const char *certauthz_set_revocation_url(cmd_parms *cmd, void *dc, int argc,
                                         char *const argv[]);
/* mod_certauthz_store.c */
const char *certauthz_set_store(cmd_parms *cmd, void *dc, const char *arg);
const char *certauthz_set_store_cache(cmd_parms *cmd, void *dc,
                                      const char *arg);
const char *certauthz_set_store_unavailable(cmd_parms *cmd, void *dc,
                                            const char *arg);

/* ------------------------------------------------------------------ */
/* Identity (mod_certauthz_identity.c)                                 */

typedef enum {
    CERTAUTHZ_ID_NO_CERT,
    CERTAUTHZ_ID_UNVERIFIED,
    CERTAUTHZ_ID_OK
} certauthz_id_state_e;

/* The two escapings of a field's text: for a log line (as mod_log_config
 * escapes headers), and for notes and variables (UTF-8 kept). */
enum {
    CERTAUTHZ_TEXT_LOG = 0,
    CERTAUTHZ_TEXT_UTF8 = 1
};

/*
 * One client certificate as mod_ssl judged it on one TLS connection: an
 * immutable snapshot, reference counted.  The connection holds a reference
 * to its current identity, and every request that used it holds one until
 * its pool is cleaned up, so a request chain (r->prev of an ErrorDocument,
 * r->main of a subrequest) or an HTTP/2 stream whose log line is written
 * while mod_http2 tears its pools down never sees it freed, even when a
 * renegotiation gave the connection a new identity meanwhile.  Everything
 * in it is made before it is shared, except the revocation verdict, which
 * has its own lock: on HTTP/2, streams on several threads read one
 * identity at once.
 */
typedef struct certauthz_ident {
    apr_uint32_t refs;              /* atomic */
    apr_pool_t *pool;               /* owns the snapshot; unmanaged */
    certauthz_id_state_e state;
    const char *verify;             /* SSL_CLIENT_VERIFY when made */
    /* What this identity was read from: the peer certificate object of the
     * connection's SSL (held, so that no later certificate can have its
     * address), or when that is not available the PEM mod_ssl gave. */
    X509 *x509;
    const char *pem;
    /* HTTP/1.x: keyed on x509 and the SSL's verify result (vresult), the
     * connection's thread alone reads and writes these two. */
    int keyed;
    long vresult;
    const certauthz_cert_t *cert;   /* state OK only */
    /* Fields that depend on the certificate alone, made once: text in
     * both escapings and JSON values, NULL for the others.  The device
     * field is the one of the default CertAuthzDeviceId. */
    const char *text[2][CERTAUTHZ_FIELD_COUNT];
    const char *json[CERTAUTHZ_FIELD_COUNT];
    /* The revocation verdict and what it was computed from (see
     * mod_certauthz_revocation.c). */
    apr_thread_mutex_t *rev_lock;
    const void *rev_sc;
    apr_time_t rev_until;
    apr_uint64_t rev_stamp;
    certauthz_reason_e rev_reason;
    /* RFC 9440 values for CertAuthzForward (mod_certauthz_forward.c), made
     * with the rest when some configuration forwards: Client-Cert, and
     * Client-Cert-Chain (NULL when there is none to send). */
    const char *fwd_cert;
    const char *fwd_chain;
} certauthz_ident_t;

/* A compiled Require line, kept with its text for logs. */
typedef struct {
    const certauthz_rule_t *rule;
    const char *text;               /* as written: "cert-subject O=MyOrg" */
    const char *text_esc[2];        /* text escaped, both ways */
    const char *text_json;          /* text as a JSON string */
    int negated;                    /* written as "Require not ..." */
    /* Where the line is written, for CertAuthzReportOnly: the
     * configuration of its section, and its container (identity only)
     * with the container's logic (CERTAUTHZ_CONTAINER_*). */
    const ap_conf_vector_t *section;
    const void *container;
    int container_op;
} certauthz_require_t;

enum {
    CERTAUTHZ_CONTAINER_ANY = 0,    /* <RequireAny>, or a section's lines */
    CERTAUTHZ_CONTAINER_ALL,
    CERTAUTHZ_CONTAINER_NONE
};

/* The decision of a request (mod_certauthz_authz.c). */
typedef struct {
    certauthz_decision_e decision;
    certauthz_reason_e reason;
    const certauthz_require_t *rule;
} certauthz_outcome_t;

/* Per request (r->request_config). */
typedef struct {
    int resolved;
    certauthz_ident_t *ident;       /* referenced until r->pool's cleanup */
    const char *verify;             /* SSL_CLIENT_VERIFY, NULL without TLS */
    /* OK, NO_CERT, UNVERIFIED, CRL_STALE or REVOKED. */
    certauthz_reason_e id_reason;

    /* What the cert-* lines answered (mod_certauthz_authz.c). */
    int ran;
    const certauthz_require_t *grant;   /* first line that granted */
    certauthz_reason_e deny_reason;     /* strongest reason against */
    const certauthz_require_t *deny;    /* ... and its line */
    /* Authorization let the request through (the type checker ran), or
     * the request ended without (an error response, the log). */
    int authorized;
    int ended;
    int denial_logged;
    int counted;

    /* Field values made for this request (mod_certauthz_log.c), both
     * escapings, with what they were made from: the request whose
     * identity and decision they show, and that decision. */
    const char **fields[2];
    const void *fields_from[2];
    certauthz_outcome_t fields_outcome[2];
    const char **published;         /* the values r's notes were set from */
    int exported;

    /* What report-only lines answered, per container (an array of
     * mod_certauthz_authz.c's own type; NULL when none ran), and whether
     * that was logged and counted. */
    apr_array_header_t *ro_groups;
    int ro_reported;
    /* The configuration the forwarded headers were last set for. */
    const ap_conf_vector_t *fwd_applied;
} certauthz_req_t;

certauthz_req_t *certauthz_req(request_rec *r);
/* The request's identity (INTERFACE §1), established once per request. */
certauthz_req_t *certauthz_identity(request_rec *r);
void certauthz_register_identity_hooks(void);

/* ------------------------------------------------------------------ */
/* Decision (mod_certauthz_authz.c)                                    */

/* The request of r's chain whose cert-* decision r reports (r, an earlier
 * request of an internal redirect, or the request a subrequest belongs
 * to), or NULL when no cert-* provider ran for any of them. */
request_rec *certauthz_decider(request_rec *r);
/* The decision of d as r sees it (d is r or earlier in its chain). */
void certauthz_outcome(request_rec *r, request_rec *d,
                       certauthz_outcome_t *out);
/* The request (r) is over as far as access control goes: an error
 * response or its log line.  Logs a refusal, once per refused request;
 * returns r's decider. */
request_rec *certauthz_request_ended(request_rec *r);
/* Count the decision of r's chain (decided by d) in the counters, once. */
void certauthz_count_once(request_rec *r, request_rec *d);
void certauthz_register_authz(apr_pool_t *p);

/* ------------------------------------------------------------------ */
/* Logging (mod_certauthz_log.c)                                       */

/* The value of every field for r as decided by d (r's decider, or NULL),
 * escaped one way or the other (CERTAUTHZ_TEXT_*), "-" for no value. */
const char **certauthz_fields(request_rec *r, request_rec *d, int mode);
/* Set r's notes (and with CertAuthzExportVars On its variables) from the
 * decision r reports. */
void certauthz_publish(request_rec *r);
void certauthz_register_log_hooks(void);

/* ------------------------------------------------------------------ */
/* Revocation (mod_certauthz_revocation.c)                             */

/* OK, REVOKED or CRL_STALE for the verified identity id on r's server. */
certauthz_reason_e certauthz_revocation_reason(request_rec *r,
                                               certauthz_ident_t *id);
/* The status of the sources of r's server: certauthz_revinfo_t. */
apr_array_header_t *certauthz_revocation_status(request_rec *r);
/* The same for every source of the server. */
apr_array_header_t *certauthz_revocation_status_all(apr_pool_t *p);
void certauthz_register_revocation_hooks(void);

/* ------------------------------------------------------------------ */
/* Revocation store (mod_certauthz_store.c)                            */

/* OK, REVOKED or STORE_UNAVAILABLE (CertAuthzStoreUnavailable deny) for
 * the verified certificate cert on r's server at now; *until: how long
 * that verdict holds (set unless the server has no store). */
certauthz_reason_e certauthz_store_reason(request_rec *r,
                                          const certauthz_cert_t *cert,
                                          apr_time_t now, apr_time_t *until);
/* The stores of the generation (post_config, before the loader). */
int certauthz_store_count(void);
/* The table the loader publishes their state in. */
void certauthz_store_attach(const certauthz_shm_t *table);
/* The loader process: watch the stores from a thread (0, or -1), and
 * notice one that holds a heartbeat too long (each tick). */
int certauthz_store_heartbeat_start(apr_pool_t *p);
void certauthz_store_watch(void);
/* The stores of r's server: certauthz_storeinfo_t. */
apr_array_header_t *certauthz_store_status(request_rec *r);
void certauthz_register_store_hooks(void);

/* ------------------------------------------------------------------ */
/* The loader process (mod_certauthz_loader.c)                         */

/* Fork the loader of this configuration generation (post_config). */
int certauthz_loader_start(apr_pool_t *pconf, server_rec *s,
                           certauthz_shm_t *table, certauthz_loader_t *ld);

/* ------------------------------------------------------------------ */
/* Status and counters (mod_certauthz_status.c)                        */

/* The counters of the whole server (shared by its processes). */
certauthz_counters_t *certauthz_counters(void);
/* Counts a decision (a would-grant or would-deny apart from the others). */
void certauthz_count_decision(certauthz_decision_e decision,
                              certauthz_reason_e reason);
void certauthz_register_status_hooks(void);

/* ------------------------------------------------------------------ */
/* Start-up warnings (mod_certauthz_warnings.c)                        */

void certauthz_register_warning_hooks(void);

/* ------------------------------------------------------------------ */
/* Identity to backends (mod_certauthz_forward.c)                      */

const char *certauthz_set_forward(cmd_parms *cmd, void *dc, const char *arg);
const char *certauthz_set_forward_device_header(cmd_parms *cmd, void *dc,
                                                const char *arg);
/* Fill id's fwd_* values (ident_make): x is the peer certificate, or NULL
 * to read id->pem; ssl the connection's, or NULL when unknown. */
void certauthz_forward_ident(request_rec *r, certauthz_ident_t *id,
                             SSL *ssl, X509 *x);
void certauthz_register_forward_hooks(void);

#endif
