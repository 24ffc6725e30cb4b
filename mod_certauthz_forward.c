/*
 * mod_certauthz: the certificate identity handed to backends (INTERFACE §8):
 * CertAuthzForward and CertAuthzForwardDeviceHeader.
 *
 * A backend behind mod_proxy cannot tell a header this server wrote from one
 * the client sent, so every header a client could use to pose as a
 * verified certificate is removed before anything reads it, and only then
 * are Client-Cert (RFC 9440), Client-Cert-Chain and the device header set,
 * from the established identity alone.
 *
 * When:
 *
 * - post_read_request, before every other module's: the location is not
 *   known yet, so the removal covers every request of a virtual host where
 *   any section forwards.  mod_setenvif, mod_headers' "early" lines,
 *   mod_rewrite's server rules, access control (Require expr) and every
 *   later phase see the request without them.  mod_http2 runs this hook
 *   for each stream, and internal redirects (ErrorDocument, mod_rewrite's
 *   per-directory rules) run it again on the request table they share with
 *   the request before, which removes the values set for that one.
 * - fixups, before every other module's (mod_rewrite's per-directory rules,
 *   mod_headers' RequestHeader): the location is known; remove again (a
 *   subrequest starts from a copy of its parent's headers, set for the
 *   parent's location) and set the values this location forwards.
 * - the handler phase, before every handler: when mod_dir or
 *   mod_negotiation moved the request to another configuration after its
 *   fixups (ap_internal_fast_redirect), set the values again for the
 *   configuration the handler runs with.
 *
 * The values that depend on the certificate alone (the base64 of its DER,
 * the chain) are made once per identity, in ident_make, so that HTTP/2
 * streams and keep-alive requests share them.
 */
#include "mod_certauthz.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_lib.h"
#include "apr_strings.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

/* The highest CertAuthzForward level of the configuration, set by the
 * parent at post_config before any child exists: whether ident_make needs
 * to make the values, and the chain. */
static int forward_wanted;

/* Name prefixes of the headers proxies have used for client certificates
 * (lower case, '-' for '_'): a client that sends one may be believed by
 * some backend. */
static const char *const spoof_prefixes[] = {
    "x-ssl-client", "x-client-cert", "x-client-verif",
    "x-forwarded-client-cert", "x-forwarded-tls-client-cert", "ssl-client-",
    NULL
};

/* Whether header name starts with (or, with whole, is) want, compared
 * without case and with '_' and '-' alike: many backends (CGI-style
 * environments, PHP, WSGI) read X_SSL_Client_Verify as
 * X-SSL-Client-Verify.  want is lower case with '-'. */
static int name_is(const char *name, const char *want, int whole)
{
    for (; *want != '\0'; name++, want++) {
        char c = (char)apr_tolower(*name);

        if (c == '_') {
            c = '-';
        }
        if (c != *want) {
            return 0;
        }
    }
    return !whole || *name == '\0';
}

/* name_is for a configured header name, which keeps its spelling. */
static int name_is_header(const char *name, const char *header)
{
    for (; *header != '\0'; name++, header++) {
        char a = (char)apr_tolower(*name), b = (char)apr_tolower(*header);

        if (a == '_') {
            a = '-';
        }
        if (b == '_') {
            b = '-';
        }
        if (a != b) {
            return 0;
        }
    }
    return *name == '\0';
}

/* Whether a client may not send header name: one of ours (Client-Cert,
 * Client-Cert-Chain, a device header of the virtual host or of the
 * location) or, with families, of the families above. */
static int spoofable(const char *name, const apr_array_header_t *devhdrs,
                     const char *devhdr, int families)
{
    int i;

    if (name_is(name, "client-cert", 1)
        || name_is(name, "client-cert-chain", 1)) {
        return 1;
    }
    for (i = 0; families && spoof_prefixes[i] != NULL; i++) {
        if (name_is(name, spoof_prefixes[i], 0)) {
            return 1;
        }
    }
    if (devhdr != NULL && name_is_header(name, devhdr)) {
        return 1;
    }
    for (i = 0; devhdrs != NULL && i < devhdrs->nelts; i++) {
        if (name_is_header(name, APR_ARRAY_IDX(devhdrs, i, const char *))) {
            return 1;
        }
    }
    return 0;
}

/* Remove every spoofable header of t, each spelling and every copy; the
 * names removed are added to removed (when not NULL). */
static void strip(apr_table_t *t, const apr_array_header_t *devhdrs,
                  const char *devhdr, int families,
                  apr_array_header_t *removed)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    int i = 0;

    while (i < arr->nelts) {
        const char *key = APR_ARRAY_IDX(arr, i, apr_table_entry_t).key;

        if (key != NULL && spoofable(key, devhdrs, devhdr, families)) {
            if (removed != NULL) {
                APR_ARRAY_PUSH(removed, const char *) = key;
            }
            /* Removes every entry of that name, this one too: entries
             * before i matched nothing, so i is the next to look at. */
            apr_table_unset(t, key);
            continue;
        }
        i++;
    }
}

/*
 * mod_proxy drops the headers a request's Connection header lists, as
 * hop-by-hop (ap_proxy_clear_connection): a client listing Client-Cert or
 * the device header there would have it removed on the way to the
 * backend.  Such tokens are taken out of Connection.
 */
static void clean_connection(request_rec *r, const apr_array_header_t *devhdrs,
                             const char *devhdr)
{
    const apr_array_header_t *arr = apr_table_elts(r->headers_in);
    apr_array_header_t *keep = NULL;
    int i, changed = 0;

    for (i = 0; i < arr->nelts; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(arr, i, apr_table_entry_t);
        const char *list;
        char *token, *state;

        if (e->key == NULL || strcasecmp(e->key, "Connection") != 0) {
            continue;
        }
        if (keep == NULL) {
            keep = apr_array_make(r->pool, 4, sizeof(const char *));
        }
        list = e->val != NULL ? e->val : "";
        for (token = apr_strtok(apr_pstrdup(r->pool, list), ", \t", &state);
             token != NULL; token = apr_strtok(NULL, ", \t", &state)) {
            if (spoofable(token, devhdrs, devhdr, 1)) {
                changed = 1;
            }
            else {
                APR_ARRAY_PUSH(keep, const char *) = token;
            }
        }
    }
    if (!changed) {
        return;
    }
    apr_table_unset(r->headers_in, "Connection");
    if (keep->nelts > 0) {
        apr_table_setn(r->headers_in, "Connection",
                       apr_array_pstrcat(r->pool, keep, ','));
    }
}

/* Whether this server forwards, or names a device header, anywhere. */
static int server_forwards(const certauthz_srv_conf_t *sc)
{
    return sc->forward_max > CERTAUTHZ_FORWARD_OFF
           || sc->forward_device_headers->nelts > 0;
}

/* The request as read: remove before any module can read them. */
static int forward_post_read_request(request_rec *r)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(r->server);
    apr_array_header_t *removed = NULL;

    if (!server_forwards(sc)) {
        return DECLINED;
    }
    /* What a client sent, not what an earlier request of an internal
     * redirect chain set: worth a line in the error log. */
    if (r->prev == NULL && r->main == NULL
        && APLOG_R_IS_LEVEL(r, APLOG_INFO)) {
        removed = apr_array_make(r->pool, 2, sizeof(const char *));
    }
    strip(r->headers_in, sc->forward_device_headers, NULL, 1, removed);
    if (removed != NULL && removed->nelts > 0) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CERTAUTHZ_LOGNO(0300)
                      "removed client-sent certificate header(s): %s "
                      "(CertAuthzForward)",
                      ap_escape_logitem(r->pool,
                                        apr_array_pstrcat(r->pool, removed,
                                                          ',')));
    }
    return DECLINED;
}

/* Whether a device id can travel as a header value and reach the backend
 * as it is: no control character (a NUL would cut it short in C, CR LF
 * would start another header), no DEL, and no space or tab at either end
 * (HTTP parsers trim them, and "admin " must not arrive as "admin"). */
static int device_value_ok(const char *v, apr_size_t len)
{
    apr_size_t i;

    if (v[0] == ' ' || v[len - 1] == ' ') {
        return 0;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];

        if (c < 0x20 || c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* Remove (the families too, or only the headers this module sets), then
 * set what dc forwards.  OK, or HTTP_FORBIDDEN when the device id cannot
 * be sent as it is (fail closed: the backend would otherwise see another
 * device, or none, for this certificate). */
static int forward_apply(request_rec *r, const certauthz_dir_conf_t *dc,
                         const certauthz_srv_conf_t *sc, int families)
{
    certauthz_req_t *rq = certauthz_req(r);
    const char *devhdr = dc->forward_device_header;
    const char *v;
    apr_size_t len = 0;

    rq->fwd_applied = r->per_dir_config;
    strip(r->headers_in, sc->forward_device_headers, devhdr, families, NULL);
    clean_connection(r, sc->forward_device_headers, devhdr);
    if (dc->forward <= CERTAUTHZ_FORWARD_OFF) {
        return OK;
    }
    rq = certauthz_identity(r);
    if (rq->id_reason != CERTAUTHZ_REASON_OK) {
        return OK;
    }
    if (rq->ident->fwd_cert != NULL) {
        apr_table_setn(r->headers_in, "Client-Cert", rq->ident->fwd_cert);
    }
    if (dc->forward == CERTAUTHZ_FORWARD_CHAIN && rq->ident->fwd_chain) {
        apr_table_setn(r->headers_in, "Client-Cert-Chain",
                       rq->ident->fwd_chain);
    }
    if (devhdr == NULL) {
        return OK;
    }
    v = certauthz_devid_value(dc->device_id, rq->ident->cert, &len);
    if (v == NULL || len == 0) {
        return OK;      /* no device id: as for a request without one */
    }
    if (!device_value_ok(v, len)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CERTAUTHZ_LOGNO(0301)
                      "CertAuthzForwardDeviceHeader %s: the device id "
                      "\"%s\" holds a control character or starts or ends "
                      "with a space and cannot be sent as it is; request "
                      "refused (uri %s)",
                      devhdr,
                      certauthz_escape_text(r->pool, v, len, 0), r->uri);
        apr_table_unset(r->headers_in, "Client-Cert");
        apr_table_unset(r->headers_in, "Client-Cert-Chain");
        return HTTP_FORBIDDEN;
    }
    apr_table_setn(r->headers_in, devhdr, apr_pstrmemdup(r->pool, v, len));
    return OK;
}

static int forward_fixups(request_rec *r)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(r->server);
    int rv;

    if (!server_forwards(sc)) {
        return DECLINED;
    }
    rv = forward_apply(r, certauthz_dir_conf(r), sc, 1);
    return rv == OK ? DECLINED : rv;
}

/* Runs before every handler: a request whose configuration changed after
 * its fixups (ap_internal_fast_redirect by mod_dir or mod_negotiation)
 * gets the values of the configuration its handler runs with.  The
 * families were removed already; what mod_headers added to them since
 * (RequestHeader, after ours in the fixups) stays. */
static int forward_handler(request_rec *r)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(r->server);
    certauthz_req_t *rq;
    int rv;

    if (!server_forwards(sc)) {
        return DECLINED;
    }
    rq = ap_get_module_config(r->request_config, &certauthz_module);
    if (rq != NULL && rq->fwd_applied == r->per_dir_config) {
        return DECLINED;
    }
    rv = forward_apply(r, certauthz_dir_conf(r), sc, 0);
    return rv == OK ? DECLINED : rv;
}

/* ------------------------------------------------------------------ */
/* The values of an identity                                           */

/* An RFC 8941 byte sequence: ':' base64 ':'. */
static const char *sf_binary(apr_pool_t *p, X509 *x)
{
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    char *out;
    int n;

    if (len <= 0) {
        return NULL;
    }
    out = apr_palloc(p, 4 * (((apr_size_t)len + 2) / 3) + 3);
    out[0] = ':';
    n = EVP_EncodeBlock((unsigned char *)out + 1, der, len);
    out[n + 1] = ':';
    out[n + 2] = '\0';
    OPENSSL_free(der);
    return out;
}

/*
 * The chain of leaf as OpenSSL builds it against the server's trust store
 * (SSL_get_SSL_CTX of the connection: the virtual host's
 * SSLCACertificateFile/Path), with what the client sent as untrusted
 * certificates.  For a resumed TLS session, where OpenSSL verified
 * nothing: the certificate was verified when the session was made, so
 * validity times and CRLs are not checked again; only the path is wanted.
 */
static STACK_OF(X509) *chain_rebuild(SSL *ssl, X509 *leaf)
{
    SSL_CTX *sctx = SSL_get_SSL_CTX(ssl);
    X509_STORE *store = sctx != NULL ? SSL_CTX_get_cert_store(sctx) : NULL;
    X509_STORE_CTX *ctx;
    X509_VERIFY_PARAM *vp;
    STACK_OF(X509) *chain = NULL;

    if (store == NULL || (ctx = X509_STORE_CTX_new()) == NULL) {
        return NULL;
    }
    if (X509_STORE_CTX_init(ctx, store, leaf, SSL_get_peer_cert_chain(ssl))) {
        /* As OpenSSL verifies a client certificate (ssl_verify_cert_chain):
         * the SSL's depth and purpose. */
        X509_STORE_CTX_set_default(ctx, "ssl_client");
        vp = X509_STORE_CTX_get0_param(ctx);
        X509_VERIFY_PARAM_set1(vp, SSL_get0_param(ssl));
        X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_NO_CHECK_TIME);
        X509_VERIFY_PARAM_clear_flags(vp, X509_V_FLAG_CRL_CHECK
                                              | X509_V_FLAG_CRL_CHECK_ALL);
        if (X509_verify_cert(ctx) == 1) {
            chain = X509_STORE_CTX_get1_chain(ctx);
        }
    }
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return chain;
}

/*
 * Client-Cert-Chain: the chain OpenSSL verified, without the leaf, from the
 * leaf's issuer up to and including the trust anchor (mod_ssl's
 * SSL_CLIENT_CERT_CHAIN_n is what the client sent: neither verified, nor
 * with the anchor).  *none is set when the chain is known to be empty (a
 * trusted self-signed leaf).
 */
static const char *chain_value(apr_pool_t *p, SSL *ssl, X509 *leaf,
                               int *none)
{
    STACK_OF(X509) *chain, *built = NULL;
    apr_array_header_t *parts;
    const char *v = NULL;
    int i, n;

    *none = 0;
    if (ssl == NULL) {
        return NULL;
    }
    chain = SSL_get0_verified_chain(ssl);
    if (chain == NULL || sk_X509_num(chain) < 1
        || X509_cmp(sk_X509_value(chain, 0), leaf) != 0) {
        chain = built = chain_rebuild(ssl, leaf);
    }
    if (chain == NULL) {
        return NULL;
    }
    n = sk_X509_num(chain);
    parts = apr_array_make(p, n > 1 ? n - 1 : 1, sizeof(const char *));
    for (i = 1; i < n; i++) {
        const char *b = sf_binary(p, sk_X509_value(chain, i));

        if (b == NULL) {
            parts = NULL;
            break;
        }
        APR_ARRAY_PUSH(parts, const char *) = i > 1 ? apr_pstrcat(p, " ", b,
                                                                  NULL)
                                                    : b;
    }
    if (parts != NULL && parts->nelts > 0) {
        v = apr_array_pstrcat(p, parts, ',');
    }
    *none = parts != NULL && parts->nelts == 0;
    if (built != NULL) {
        sk_X509_pop_free(built, X509_free);
    }
    return v;
}

void certauthz_forward_ident(request_rec *r, certauthz_ident_t *id,
                             SSL *ssl, X509 *x)
{
    X509 *owned = NULL;
    int none;

    if (forward_wanted <= CERTAUTHZ_FORWARD_OFF) {
        return;
    }
    if (x == NULL && id->pem != NULL) {
        BIO *b = BIO_new_mem_buf(id->pem, -1);

        owned = x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
    }
    if (x == NULL || (id->fwd_cert = sf_binary(id->pool, x)) == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CERTAUTHZ_LOGNO(0302)
                      "CertAuthzForward: cannot encode the client "
                      "certificate; Client-Cert is not sent");
    }
    else if (forward_wanted >= CERTAUTHZ_FORWARD_CHAIN) {
        id->fwd_chain = chain_value(id->pool, ssl, x, &none);
        if (id->fwd_chain == NULL && !none) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          CERTAUTHZ_LOGNO(0303)
                          "CertAuthzForward Chain: the verified chain of "
                          "this connection's certificate is not known (a "
                          "resumed TLS session whose intermediate CA is not "
                          "in SSLCACertificateFile/Path?); Client-Cert-Chain "
                          "is not sent");
        }
    }
    if (owned != NULL) {
        X509_free(owned);
    }
    ERR_clear_error();
}

/* ------------------------------------------------------------------ */
/* Directives                                                          */

const char *certauthz_set_forward(cmd_parms *cmd, void *dcv, const char *arg)
{
    certauthz_dir_conf_t *dc = dcv;
    certauthz_srv_conf_t *sc = certauthz_srv_conf(cmd->server);

    if (strcasecmp(arg, "Off") == 0) {
        dc->forward = CERTAUTHZ_FORWARD_OFF;
    }
    else if (strcasecmp(arg, "On") == 0) {
        dc->forward = CERTAUTHZ_FORWARD_ON;
    }
    else if (strcasecmp(arg, "Chain") == 0) {
        dc->forward = CERTAUTHZ_FORWARD_CHAIN;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is not Off, On or Chain",
                            cmd->cmd->name, arg);
    }
    /* The server learns that some section of it forwards: its requests
     * are cleaned before their location is known. */
    if (dc->forward > sc->forward_max) {
        sc->forward_max = dc->forward;
    }
    return NULL;
}

const char *certauthz_set_forward_device_header(cmd_parms *cmd, void *dcv,
                                                const char *arg)
{
    /* Headers that carry the message's framing or routing, or that
     * mod_proxy rewrites: a device id there would break the request. */
    static const char *const reserved[] = {
        "client-cert", "client-cert-chain", "host", "content-length",
        "content-type", "content-encoding", "transfer-encoding",
        "connection", "keep-alive", "proxy-connection", "te", "trailer",
        "upgrade", "expect", "via", "cookie", "authorization",
        "proxy-authorization", "forwarded", "x-forwarded-for",
        "x-forwarded-host", "x-forwarded-server", NULL
    };
    certauthz_dir_conf_t *dc = dcv;
    certauthz_srv_conf_t *sc = certauthz_srv_conf(cmd->server);
    const char *c;
    int i;

    for (c = arg; *c != '\0'; c++) {
        if (!apr_isalnum(*c) && strchr("!#$%&'*+-.^_`|~", *c) == NULL) {
            break;
        }
    }
    if (*arg == '\0' || *c != '\0') {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a header name (an "
                            "HTTP token such as X-Remote-User)",
                            cmd->cmd->name, arg);
    }
    for (i = 0; reserved[i] != NULL; i++) {
        if (name_is(arg, reserved[i], 1)) {
            return apr_psprintf(cmd->pool, "%s: '%s' cannot carry the "
                                "device id (the request or mod_proxy "
                                "needs that header for itself)",
                                cmd->cmd->name, arg);
        }
    }
    dc->forward_device_header = arg;
    APR_ARRAY_PUSH(sc->forward_device_headers, const char *) = arg;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Hooks                                                               */

static int forward_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    forward_wanted = CERTAUTHZ_FORWARD_OFF;
    for (; s != NULL; s = s->next) {
        certauthz_srv_conf_t *sc = certauthz_srv_conf(s);

        if (sc->forward_max > forward_wanted) {
            forward_wanted = sc->forward_max;
        }
    }
    return OK;
}

void certauthz_register_forward_hooks(void)
{
    /* Before every module's own hook, even those registered REALLY_FIRST:
     * nothing may read a client's Client-Cert or X-SSL-Client-Verify. */
    ap_hook_post_read_request(forward_post_read_request, NULL, NULL,
                              APR_HOOK_REALLY_FIRST - 1);
    ap_hook_fixups(forward_fixups, NULL, NULL, APR_HOOK_REALLY_FIRST - 1);
    ap_hook_handler(forward_handler, NULL, NULL, APR_HOOK_REALLY_FIRST - 1);
    ap_hook_post_config(forward_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}
