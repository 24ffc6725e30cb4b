/*
 * mod_certauthz: what a request tells logs, CGI and SSI pages and backends
 * about its device (INTERFACE §4): the %{NAME}Z log format, the
 * certauthz-NAME notes, the CERTAUTHZ_NAME variables and REMOTE_USER.
 *
 * The values of a request are made in its own pool from its identity
 * (whose certificate fields are escaped once per identity) and its
 * decision, so nothing a log line reads can be freed before the request
 * is, and a connection's memory does not grow with its requests.
 */
#include "mod_certauthz.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_auth.h"
#include "mod_log_config.h"

#include "apr_optional.h"
#include "apr_strings.h"

static const char *const note_names[CERTAUTHZ_FIELD_COUNT] = {
    "certauthz-device", "certauthz-subject", "certauthz-issuer",
    "certauthz-serial", "certauthz-fingerprint", "certauthz-not_before",
    "certauthz-not_after", "certauthz-days_left", "certauthz-san",
    "certauthz-verify", "certauthz-decision", "certauthz-reason",
    "certauthz-rule"
};

static const char *const env_names[CERTAUTHZ_FIELD_COUNT] = {
    "CERTAUTHZ_DEVICE", "CERTAUTHZ_SUBJECT", "CERTAUTHZ_ISSUER",
    "CERTAUTHZ_SERIAL", "CERTAUTHZ_FINGERPRINT", "CERTAUTHZ_NOT_BEFORE",
    "CERTAUTHZ_NOT_AFTER", "CERTAUTHZ_DAYS_LEFT", "CERTAUTHZ_SAN",
    "CERTAUTHZ_VERIFY", "CERTAUTHZ_DECISION", "CERTAUTHZ_REASON",
    "CERTAUTHZ_RULE"
};

/* The log record of r as decided by d (or NULL): d's decision, and the
 * identity established for d (or for r itself when no cert-* provider
 * ran, so that an access log shows devices on every path). */
static certauthz_req_t *log_record(request_rec *r, request_rec *d,
                                   certauthz_logrec_t *rec,
                                   certauthz_outcome_t *o)
{
    request_rec *x = d ? d : r;
    certauthz_req_t *rq = certauthz_identity(x);
    certauthz_ident_t *id = rq->ident;

    memset(rec, 0, sizeof(*rec));
    if (d != NULL) {
        certauthz_outcome(r, d, o);
    }
    else {
        o->decision = CERTAUTHZ_DECISION_NONE;
        o->reason = CERTAUTHZ_REASON_NONE;
        o->rule = NULL;
    }
    rec->cert = id != NULL ? id->cert : NULL;
    rec->devid = certauthz_dir_conf(x)->device_id;
    rec->verify = rq->verify;
    rec->decision = o->decision;
    rec->reason = o->reason;
    rec->rule = o->rule != NULL ? o->rule->text : NULL;
    rec->now = (apr_int64_t)apr_time_sec(x->request_time);
    return rq;
}

const char **certauthz_fields(request_rec *r, request_rec *d, int mode)
{
    certauthz_req_t *own = certauthz_req(r);
    request_rec *x = d ? d : r;
    certauthz_logrec_t rec;
    certauthz_outcome_t o;
    certauthz_req_t *rq = log_record(r, d, &rec, &o);
    const char **v, *t;
    int f;

    /* Made again only when the decision they show moved (during
     * authorization, or from provisional to final). */
    if (own->fields[mode] != NULL && own->fields_from[mode] == (void *)x
        && memcmp(&own->fields_outcome[mode], &o, sizeof(o)) == 0) {
        return own->fields[mode];
    }
    v = apr_palloc(r->pool, sizeof(char *) * CERTAUTHZ_FIELD_COUNT);
    if (rq->ident != NULL) {
        /* The certificate's fields (and the verify result) as the
         * identity made them once; the rest are the request's own. */
        memcpy(v, rq->ident->text[mode], sizeof(char *) * CERTAUTHZ_FIELD_COUNT);
        if (rec.devid != NULL && rec.devid != certauthz_devid_default()) {
            v[CERTAUTHZ_FIELD_DEVICE] = certauthz_field_text(
                r->pool, &rec, CERTAUTHZ_FIELD_DEVICE, mode);
        }
    }
    else {
        for (f = 0; f < CERTAUTHZ_FIELD_COUNT; f++) {
            v[f] = "-";
        }
        v[CERTAUTHZ_FIELD_VERIFY] = certauthz_field_text(
            r->pool, &rec, CERTAUTHZ_FIELD_VERIFY, mode);
    }
    v[CERTAUTHZ_FIELD_DAYS_LEFT] =
        rec.cert != NULL
            ? apr_off_t_toa(r->pool, (apr_off_t)certauthz_days_left(
                                         rec.cert->not_after, rec.now))
            : "-";
    /* Names that need no escaping, and the rule escaped when compiled. */
    t = certauthz_decision_name(o.decision);
    v[CERTAUTHZ_FIELD_DECISION] = t != NULL ? t : "-";
    t = certauthz_reason_name(o.reason);
    v[CERTAUTHZ_FIELD_REASON] = t != NULL ? t : "-";
    v[CERTAUTHZ_FIELD_RULE] = o.rule != NULL ? o.rule->text_esc[mode] : "-";
    own->fields[mode] = v;
    own->fields_from[mode] = x;
    own->fields_outcome[mode] = o;
    return v;
}

static int exporting(request_rec *r, request_rec *d);

static void certauthz_publish_for(request_rec *r, request_rec *d)
{
    certauthz_req_t *own = certauthz_req(r);
    const char **v = certauthz_fields(r, d, CERTAUTHZ_TEXT_UTF8);
    int export = exporting(r, d);
    int first = own->published == NULL, f;

    if (own->published == v && own->exported >= export) {
        return;     /* already set from these values */
    }
    own->published = v;
    for (f = 0; f < CERTAUTHZ_FIELD_COUNT; f++) {
        /* The first time, the notes cannot be there yet (no client can
         * set a note): appending saves apr_table_setn's search. */
        if (first) {
            apr_table_addn(r->notes, note_names[f], v[f]);
        }
        else {
            apr_table_setn(r->notes, note_names[f], v[f]);
        }
        if (export) {
            apr_table_setn(r->subprocess_env, env_names[f], v[f]);
        }
    }
    own->exported = export;
}

void certauthz_publish(request_rec *r)
{
    certauthz_publish_for(r, certauthz_decider(r));
}

/* %{NAME}Z.  Escaped as mod_log_config escapes request headers; an
 * unknown NAME logs "-" (mod_log_config gives handlers no way to refuse a
 * format at configuration time). */
static const char *log_field(request_rec *r, char *a)
{
    int f = certauthz_field_lookup(a);
    request_rec *d;

    if (f < 0) {
        return "-";
    }
    d = certauthz_decider(r);
    if (f == CERTAUTHZ_FIELD_JSON) {
        const char *known[CERTAUTHZ_FIELD_COUNT];
        certauthz_logrec_t rec;
        certauthz_outcome_t o;
        certauthz_req_t *rq = log_record(r, d, &rec, &o);

        if (rq->ident != NULL) {
            memcpy(known, rq->ident->json, sizeof(known));
            if (rec.devid != NULL && rec.devid != certauthz_devid_default()) {
                known[CERTAUTHZ_FIELD_DEVICE] = NULL;
            }
        }
        else {
            memset(known, 0, sizeof(known));
        }
        if (o.rule != NULL) {
            known[CERTAUTHZ_FIELD_RULE] = o.rule->text_json;
        }
        return certauthz_fields_json_from(r->pool, &rec, known);
    }
    return certauthz_fields(r, d, CERTAUTHZ_TEXT_LOG)[f];
}

/* The device id of r's established identity, raw, as a user name: NULL
 * when there is none, or when it holds a NUL (a C string would cut it
 * short, and "admin\0x" must never pass for "admin"). */
static const char *device_user(request_rec *r, request_rec *x)
{
    certauthz_req_t *rq = certauthz_identity(x);
    const char *v;
    apr_size_t len = 0;

    if (rq->id_reason != CERTAUTHZ_REASON_OK) {
        return NULL;
    }
    v = certauthz_devid_value(certauthz_dir_conf(x)->device_id,
                              rq->ident->cert, &len);
    if (v == NULL || len == 0 || memchr(v, '\0', len) != NULL) {
        return NULL;
    }
    return apr_pstrmemdup(r->pool, v, len);
}

/* CertAuthzUser On: the device id as the user of a request with an
 * established identity, unless another module set one. */
static void set_user_for(request_rec *r, request_rec *d)
{
    request_rec *x = d ? d : r;

    if (r->user == NULL && certauthz_dir_conf(x)->user == 1) {
        r->user = (char *)device_user(r, x);
    }
}

/* Authentication: with CertAuthzUser On, the device is the user, so that
 * "Require user device-1" and "Require valid-user" work on it.  First,
 * so that a client with a certificate is not asked for a password;
 * without an established identity other modules authenticate. */
static int check_user_id(request_rec *r)
{
    const char *user;

    if (certauthz_dir_conf(r)->user != 1 || r->user != NULL) {
        return DECLINED;
    }
    user = device_user(r, r);
    if (user == NULL) {
        certauthz_req_t *rq = certauthz_identity(r);

        if (ap_auth_type(r) != NULL) {
            return DECLINED;    /* AuthType Basic etc. may still */
        }
        /* Nothing else can authenticate this request: refuse it as
         * authorization would, not with mod_authn_core's 500 ("AuthType
         * not set"). */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CERTAUTHZ_LOGNO(0003)
                      "denied: no device for CertAuthzUser (reason=%s) "
                      "uri=%s",
                      rq->id_reason == CERTAUTHZ_REASON_OK
                          ? "no-device-id"
                          : certauthz_reason_name(rq->id_reason),
                      ap_escape_uri(r->pool, r->uri));
        return HTTP_FORBIDDEN;
    }
    r->user = (char *)user;
    return OK;
}

/* Whether r exports the variables: either side may enable it, the
 * refused location or the ErrorDocument that explains the refusal. */
static int exporting(request_rec *r, request_rec *d)
{
    return certauthz_dir_conf(r)->export_vars == 1
           || (d != NULL && certauthz_dir_conf(d)->export_vars == 1);
}

/* Runs first among fixups so that mod_rewrite's per-directory rules and
 * mod_headers see the variables; for an ErrorDocument this is the
 * redirected request, which gets the refused request's values under their
 * own names (not only as REDIRECT_CERTAUTHZ_*).  Without the variables the
 * notes wait for the log (log_transaction): set here, mod_http2 would copy
 * them into every stream's response headers bucket for nothing. */
static int log_fixups(request_rec *r)
{
    request_rec *d = certauthz_decider(r);

    if (d != NULL && d != r) {
        certauthz_request_ended(r);
    }
    if (exporting(r, d)) {
        certauthz_publish_for(r, d);
    }
    set_user_for(r, d);
    return DECLINED;
}

/* A refusal answered without an ErrorDocument: mod_headers' "always"
 * headers of the error response read the variables from here. */
static void log_insert_error_filter(request_rec *r)
{
    request_rec *d;

    d = certauthz_request_ended(r);
    if (d != NULL && exporting(r, d)) {
        certauthz_publish_for(r, d);
    }
}

/* Before mod_log_config's (APR_HOOK_MIDDLE): %u and the notes must hold
 * their values when the access log line is written, also on a 403. */
static int log_transaction(request_rec *r)
{
    request_rec *d = certauthz_request_ended(r);

    certauthz_count_once(r, d);
    if (d != NULL || certauthz_dir_conf(r)->export_vars == 1) {
        certauthz_publish_for(r, d);
    }
    set_user_for(r, d);
    return DECLINED;
}

/* mod_log_config creates its handler table in its own pre_config; ours
 * runs after it.  Without mod_log_config the module still loads. */
static int log_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
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

void certauthz_register_log_hooks(void)
{
    static const char *const after_log_config[] = {"mod_log_config.c",
                                                   NULL};

    ap_hook_pre_config(log_pre_config, after_log_config, NULL,
                       APR_HOOK_MIDDLE);
    ap_hook_check_authn(check_user_id, NULL, NULL, APR_HOOK_FIRST,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_fixups(log_fixups, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_insert_error_filter(log_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    ap_hook_log_transaction(log_transaction, NULL, NULL,
                            APR_HOOK_REALLY_FIRST);
}
