/*
 * mod_certauthz: the Require cert-* providers (INTERFACE §2) and the
 * decision they make for a request (INTERFACE §4: decision, reason, rule).
 *
 * A provider answers for one Require line; mod_authz_core combines the
 * answers (RequireAll/Any/None, Require not) and decides.  The decision a
 * log line reports is what happened to the request: granted when access
 * control let it through, denied when it refused it.  The reason and the
 * rule come from the lines that pushed that way: for a grant, the first
 * cert-* line that granted; for a refusal, the line with the strongest
 * reason against (a line written "Require not cert-..." counts against
 * when its provider granted: the certificate matched what it excludes,
 * reason no-match).
 *
 * Report-only lines (CertAuthzReportOnly On where the line is written)
 * are evaluated and recorded apart, per container, and answer
 * AUTHZ_NEUTRAL, which mod_authz_core treats as if the line were absent: a
 * container of report-only lines alone never grants.  Their would-be
 * result is the decision a log line reports only when no enforcing cert-*
 * line ran for the request; it is always logged (would-deny at info) and
 * counted apart, once per request, when the request is logged.
 */
#include "mod_certauthz.h"

#include "http_protocol.h"
#include "http_request.h"
#include "mod_auth.h"

#include "apr_lib.h"
#include "apr_strings.h"

/* A line as the container sees it has gone against the request. */
static void against(certauthz_req_t *rq, const certauthz_require_t *req,
                    certauthz_reason_e reason)
{
    if (rq->deny == NULL || reason > rq->deny_reason) {
        rq->deny_reason = reason;
        rq->deny = req;
    }
}

/* What the report-only lines of one container answered. */
typedef struct {
    const void *container;
    int op;                             /* CERTAUTHZ_CONTAINER_* */
    const certauthz_require_t *pro;     /* first line for the request */
    const certauthz_require_t *con;     /* line with the strongest reason */
    certauthz_reason_e con_reason;      /* ... against it */
} ro_group_t;

/*
 * Whether a line is report-only: CertAuthzReportOnly as set in the section
 * the line is written in, or, when that section does not set it, as in
 * force for the virtual host.  Not the request's merged setting: an
 * enforcing rule inherited from another section (AuthMerging) stays
 * enforcing under a report-only one.
 */
static int report_only(request_rec *r, const certauthz_require_t *req)
{
    const certauthz_dir_conf_t *dc = NULL;

    if (req->section != NULL) {
        dc = ap_get_module_config(req->section, &certauthz_module);
    }
    if (dc == NULL || dc->report_only == CERTAUTHZ_UNSET) {
        dc = ap_get_module_config(r->server->lookup_defaults,
                                  &certauthz_module);
    }
    return dc != NULL && dc->report_only == 1;
}

static ro_group_t *ro_group(request_rec *r, certauthz_req_t *rq,
                            const certauthz_require_t *req)
{
    ro_group_t *g;
    int i;

    if (rq->ro_groups == NULL) {
        rq->ro_groups = apr_array_make(r->pool, 1, sizeof(ro_group_t));
    }
    for (i = 0; i < rq->ro_groups->nelts; i++) {
        g = &APR_ARRAY_IDX(rq->ro_groups, i, ro_group_t);
        if (g->container == req->container) {
            return g;
        }
    }
    g = apr_array_push(rq->ro_groups);
    memset(g, 0, sizeof(*g));
    g->container = req->container;
    g->op = req->container_op;
    return g;
}

/* A report-only line answered: recorded as its container would take it. */
static authz_status record_report_only(request_rec *r, certauthz_req_t *rq,
                                       const certauthz_require_t *req,
                                       certauthz_reason_e reason)
{
    ro_group_t *g = ro_group(r, rq, req);
    int granted = reason == CERTAUTHZ_REASON_OK;

    if (req->negated) {
        /* The certificate matched what the line excludes; otherwise the
         * line is neutral, as mod_authz_core takes it. */
        if (granted) {
            reason = CERTAUTHZ_REASON_NO_MATCH;
            granted = 0;
        }
        else {
            reason = CERTAUTHZ_REASON_NONE;
        }
    }
    if (g->op == CERTAUTHZ_CONTAINER_NONE) {
        /* <RequireNone>: a line that grants refuses; one that refuses is
         * neutral. */
        reason = granted ? CERTAUTHZ_REASON_NO_MATCH : CERTAUTHZ_REASON_NONE;
        granted = 0;
    }
    if (granted) {
        if (g->pro == NULL) {
            g->pro = req;
        }
    }
    else if (reason != CERTAUTHZ_REASON_NONE
             && (g->con == NULL || reason > g->con_reason)) {
        g->con = req;
        g->con_reason = reason;
    }
    if (certauthz_dir_conf(r)->export_vars == 1) {
        certauthz_publish(r);
    }
    return AUTHZ_NEUTRAL;
}

/*
 * What the report-only lines would have decided: would-deny when one of
 * their containers would have refused (a <RequireAny>, or a section's
 * lines, when none of its lines granted and one refused; a <RequireAll>
 * or <RequireNone> when one of its lines went against), with the
 * strongest reason; would-grant otherwise.  Containers nested in one
 * another are taken as if all were required.
 */
static void would_outcome(const certauthz_req_t *rq, certauthz_outcome_t *out)
{
    const certauthz_require_t *pro = NULL, *con = NULL;
    certauthz_reason_e reason = CERTAUTHZ_REASON_NONE;
    int i;

    for (i = 0; i < rq->ro_groups->nelts; i++) {
        const ro_group_t *g = &APR_ARRAY_IDX(rq->ro_groups, i, ro_group_t);

        if (pro == NULL) {
            pro = g->pro;
        }
        if (g->con == NULL
            || (g->op == CERTAUTHZ_CONTAINER_ANY && g->pro != NULL)) {
            continue;
        }
        if (con == NULL || g->con_reason > reason) {
            con = g->con;
            reason = g->con_reason;
        }
    }
    if (con != NULL) {
        out->decision = CERTAUTHZ_DECISION_WOULD_DENY;
        out->reason = reason;
        out->rule = con;
    }
    else {
        out->decision = CERTAUTHZ_DECISION_WOULD_GRANT;
        out->reason = CERTAUTHZ_REASON_OK;
        out->rule = pro;
    }
}

static authz_status record(request_rec *r, certauthz_req_t *rq,
                           const certauthz_require_t *req,
                           certauthz_reason_e reason)
{
    int granted = reason == CERTAUTHZ_REASON_OK;

    if (report_only(r, req)) {
        return record_report_only(r, rq, req, reason);
    }
    rq->ran = 1;
    if (req->negated) {
        /* A denial under "not" is neutral to the container. */
        if (granted) {
            against(rq, req, CERTAUTHZ_REASON_NO_MATCH);
        }
    }
    else if (granted) {
        if (rq->grant == NULL) {
            rq->grant = req;
        }
    }
    else {
        against(rq, req, reason);
    }
    /* Exported variables are visible to the Require lines that follow
     * (Require expr "%{ENV:CERTAUTHZ_DEVICE} ..."). */
    if (certauthz_dir_conf(r)->export_vars == 1) {
        certauthz_publish(r);
    }
    return granted ? AUTHZ_GRANTED : AUTHZ_DENIED;
}

void certauthz_outcome(request_rec *r, request_rec *d,
                       certauthz_outcome_t *out)
{
    certauthz_req_t *rq = ap_get_module_config(d->request_config,
                                               &certauthz_module);
    int granted;

    out->decision = CERTAUTHZ_DECISION_NONE;
    out->reason = CERTAUTHZ_REASON_NONE;
    out->rule = NULL;
    if (rq == NULL) {
        return;
    }
    if (!rq->ran) {
        /* Only report-only lines (or none) ran: what they would do. */
        if (rq->ro_groups != NULL) {
            would_outcome(rq, out);
        }
        return;
    }
    if (d != r || rq->authorized || rq->ended) {
        /* Access control is over for d: it let d through or not. */
        granted = rq->authorized;
    }
    else {
        /* Still deciding (a variable read by a later Require line): what
         * the lines said so far. */
        granted = rq->grant != NULL && rq->deny == NULL;
    }
    if (granted) {
        out->decision = CERTAUTHZ_DECISION_GRANTED;
        out->reason = CERTAUTHZ_REASON_OK;
        out->rule = rq->grant;
    }
    else {
        out->decision = CERTAUTHZ_DECISION_DENIED;
        out->reason = rq->deny != NULL ? rq->deny_reason
                                       : CERTAUTHZ_REASON_NONE;
        out->rule = rq->deny;
    }
}

/*
 * mod_log_config hands log handlers the final request of an internal
 * redirect chain, and an ErrorDocument is such a redirect;
 * AP_AUTH_INTERNAL_PER_CONF also lets a redirect with the same
 * configuration skip authorization.  So the decision may live on any
 * earlier request of the chain (r->prev) or on the request a subrequest
 * belongs to (r->main).  A refusal wins over a grant: when a request was
 * refused, the refusal is what the response, the ErrorDocument and the log
 * line are about, even if the ErrorDocument itself passed a cert-* rule.
 * What enforcing lines decided wins over what report-only lines would
 * have (would-deny over would-grant).
 */
request_rec *certauthz_decider(request_rec *r)
{
    request_rec *x, *granted = NULL, *would = NULL;
    certauthz_decision_e would_decision = CERTAUTHZ_DECISION_NONE;

    for (x = r; x != NULL; x = x->prev ? x->prev : x->main) {
        certauthz_req_t *rq = ap_get_module_config(x->request_config,
                                                   &certauthz_module);
        certauthz_outcome_t o;

        if (rq == NULL || (!rq->ran && rq->ro_groups == NULL)) {
            continue;
        }
        certauthz_outcome(r, x, &o);
        if (o.decision == CERTAUTHZ_DECISION_DENIED) {
            return x;
        }
        if (o.decision == CERTAUTHZ_DECISION_GRANTED) {
            if (granted == NULL) {
                granted = x;
            }
        }
        else if (would == NULL
                 || (o.decision == CERTAUTHZ_DECISION_WOULD_DENY
                     && would_decision != CERTAUTHZ_DECISION_WOULD_DENY)) {
            would = x;
            would_decision = o.decision;
        }
    }
    return granted != NULL ? granted : would;
}

/* Runs right after authorization let a request through. */
static int authz_passed(request_rec *r)
{
    certauthz_req_t *rq = ap_get_module_config(r->request_config,
                                               &certauthz_module);

    if (rq != NULL && rq->ran) {
        rq->authorized = 1;
    }
    return DECLINED;
}

request_rec *certauthz_request_ended(request_rec *r)
{
    certauthz_req_t *rq = ap_get_module_config(r->request_config,
                                               &certauthz_module);
    request_rec *d;
    certauthz_outcome_t o;

    if (rq != NULL) {
        rq->ended = 1;
    }
    d = certauthz_decider(r);
    if (d == NULL) {
        return NULL;
    }
    rq = certauthz_req(d);
    certauthz_outcome(r, d, &o);
    if (o.decision != CERTAUTHZ_DECISION_DENIED || rq->denial_logged) {
        return d;
    }
    /* One line per refused request, however many lines refused it. */
    rq->denial_logged = 1;
    if (APLOG_R_IS_LEVEL(r, APLOG_INFO)) {
        const char **v = certauthz_fields(r, d, CERTAUTHZ_TEXT_LOG);

        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CERTAUTHZ_LOGNO(0002)
                      "denied: device=\"%s\" reason=%s rule=\"%s\" uri=%s",
                      v[CERTAUTHZ_FIELD_DEVICE], v[CERTAUTHZ_FIELD_REASON],
                      v[CERTAUTHZ_FIELD_RULE], ap_escape_uri(r->pool, d->uri));
    }
    return d;
}

void certauthz_count_once(request_rec *r, request_rec *d)
{
    certauthz_req_t *rq;
    certauthz_outcome_t o;

    if (d == NULL) {
        return;
    }
    rq = certauthz_req(d);
    if (rq->counted) {
        return;
    }
    rq->counted = 1;
    certauthz_outcome(r, d, &o);
    if (o.decision == CERTAUTHZ_DECISION_WOULD_GRANT
        || o.decision == CERTAUTHZ_DECISION_WOULD_DENY) {
        return;     /* counted by report_only_logged, per request */
    }
    certauthz_count_decision(o.decision, o.reason);
}

/*
 * When a request is logged: the would-be result of the report-only lines
 * of each request of its chain (an ErrorDocument's refused request too),
 * counted once and logged once: would-deny at info, beside the refusals,
 * so that one grep of the error log lists the devices a new rule would
 * refuse; would-grant at debug.
 */
static int report_only_logged(request_rec *r)
{
    request_rec *x;

    for (x = r; x != NULL; x = x->prev) {
        certauthz_req_t *rq = ap_get_module_config(x->request_config,
                                                   &certauthz_module);
        certauthz_outcome_t o;
        int level;

        if (rq == NULL || rq->ro_groups == NULL || rq->ro_reported) {
            continue;
        }
        rq->ro_reported = 1;
        would_outcome(rq, &o);
        certauthz_count_decision(o.decision, o.reason);
        level = o.decision == CERTAUTHZ_DECISION_WOULD_DENY ? APLOG_INFO
                                                           : APLOG_DEBUG;
        if (APLOG_R_IS_LEVEL(r, level)) {
            const char **v = certauthz_fields(x, x, CERTAUTHZ_TEXT_LOG);
            const char *reason = certauthz_reason_name(o.reason);

            ap_log_rerror(APLOG_MARK, level, 0, r, CERTAUTHZ_LOGNO(0310)
                          "%s: device=\"%s\" reason=%s rule=\"%s\" uri=%s "
                          "(CertAuthzReportOnly)",
                          certauthz_decision_name(o.decision),
                          v[CERTAUTHZ_FIELD_DEVICE], reason ? reason : "-",
                          o.rule ? o.rule->text_esc[CERTAUTHZ_TEXT_LOG] : "-",
                          ap_escape_uri(r->pool, x->uri));
        }
    }
    return DECLINED;
}

static authz_status cert_check(request_rec *r, const char *require_line,
                               const void *parsed)
{
    const certauthz_require_t *req = parsed;
    certauthz_req_t *rq = certauthz_identity(r);

    (void)require_line;
    if (rq->id_reason != CERTAUTHZ_REASON_OK) {
        return record(r, rq, req, rq->id_reason);
    }
    switch (certauthz_rule_match(req->rule, rq->ident->cert)) {
    case 1:
        break;
    case 0:
        return record(r, rq, req, CERTAUTHZ_REASON_NO_MATCH);
    default:
        /* Neither a grant nor a refusal can be trusted (a negated line
         * would turn the refusal into a pass): an error, 500. */
        record(r, rq, req, CERTAUTHZ_REASON_NO_MATCH);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CERTAUTHZ_LOGNO(0004)
                      "\"%s\": cannot tell whether the certificate matches "
                      "(a value that cannot be decoded, or a regex past its "
                      "limits); refusing the request",
                      req->text_esc[CERTAUTHZ_TEXT_LOG]);
        return AUTHZ_GENERAL_ERROR;
    }
    return record(r, rq, req, CERTAUTHZ_REASON_OK);
}

/* Whether the Require directive being parsed reads "Require not ...". */
static int written_negated(cmd_parms *cmd)
{
    const char *args;

    if (cmd->directive == NULL || cmd->directive->args == NULL
        || strcasecmp(cmd->directive->directive, "Require") != 0) {
        return 0;
    }
    args = cmd->directive->args;
    return strcasecmp(ap_getword_conf(cmd->temp_pool, &args), "not") == 0;
}

/*
 * Where the line is written, for CertAuthzReportOnly: the configuration of
 * its section (complete by the time a request reads it, even when the
 * directive comes after the line), and its container.  Lines outside
 * <RequireAll>/<RequireNone> belong to a <RequireAny>, written or implied
 * (mod_authz_core's rule for several Require lines of a section).
 */
static void where_written(cmd_parms *cmd, certauthz_require_t *req)
{
    const ap_directive_t *parent = cmd->directive ? cmd->directive->parent
                                                  : NULL;

    req->section = cmd->context;
    req->container = parent;
    req->container_op = CERTAUTHZ_CONTAINER_ANY;
    if (parent != NULL && parent->directive != NULL) {
        if (strcasecmp(parent->directive, "<RequireAll") == 0) {
            req->container_op = CERTAUTHZ_CONTAINER_ALL;
        }
        else if (strcasecmp(parent->directive, "<RequireNone") == 0) {
            req->container_op = CERTAUTHZ_CONTAINER_NONE;
        }
    }
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
    req = apr_pcalloc(cmd->pool, sizeof(*req));
    req->rule = rule;
    req->negated = written_negated(cmd);
    where_written(cmd, req);
    req->text = apr_pstrcat(cmd->pool, req->negated ? "not " : "", name,
                            *require_line ? " " : "", require_line, NULL);
    req->text_esc[CERTAUTHZ_TEXT_LOG] = certauthz_escape_text(
        cmd->pool, req->text, strlen(req->text), 0);
    req->text_esc[CERTAUTHZ_TEXT_UTF8] = certauthz_escape_text(
        cmd->pool, req->text, strlen(req->text), 1);
    req->text_json = certauthz_json_string(cmd->pool, req->text,
                                           strlen(req->text));
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

void certauthz_register_authz(apr_pool_t *p)
{
    register_provider(p, "cert-valid", &parse_valid_provider);
    register_provider(p, "cert-subject", &parse_subject_provider);
    register_provider(p, "cert-issuer", &parse_issuer_provider);
    register_provider(p, "cert-serial", &parse_serial_provider);
    register_provider(p, "cert-fingerprint", &parse_fingerprint_provider);
    register_provider(p, "cert-san", &parse_san_provider);
    /* The type checker runs right after authorization, only for a
     * request it let through. */
    ap_hook_type_checker(authz_passed, NULL, NULL, APR_HOOK_REALLY_FIRST);
    /* Before mod_log_config's, as the log glue's. */
    ap_hook_log_transaction(report_only_logged, NULL, NULL,
                            APR_HOOK_REALLY_FIRST);
}
