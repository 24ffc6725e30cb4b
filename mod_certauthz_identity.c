/*
 * mod_certauthz: the certificate identity of a connection and of a request
 * (INTERFACE §1 and §6).
 *
 * mod_ssl is read through ap_ssl_var_lookup (SSL_CLIENT_VERIFY, and the
 * certificate itself when nothing better is known) and through its
 * pre_handshake hook, which hands modules the connection's SSL so that a
 * change of certificate (TLS 1.2 renegotiation, TLS 1.3 post-handshake
 * authentication) is seen by comparing one pointer instead of the
 * certificate's text.
 *
 * HTTP/1.x: a connection serves one request at a time, on one thread; its
 * identity is compared with mod_ssl's certificate on every request and
 * replaced when the certificate changed.
 *
 * HTTP/2: every stream runs on a secondary connection (c->master is the
 * TLS connection), possibly at the same time as others on other threads.
 * HTTP/2 forbids renegotiation and post-handshake authentication (RFC 7540
 * §9.2.1, RFC 8740), so the certificate cannot change: it is read once per
 * TLS connection, by whichever stream comes first, and published on the
 * primary connection's record with one compare-and-swap; later streams
 * only take a reference.
 */
#include "mod_certauthz.h"

#include "http_connection.h"
#include "http_ssl.h"

#include "apr_atomic.h"
#include "apr_optional_hooks.h"
#include "apr_strings.h"

#include <openssl/ssl.h>

/* mod_ssl's pre_handshake hook, as mod_ssl_openssl.h declares it (an
 * installed header upstream, which Debian's apache2-dev leaves out).  It
 * is an optional hook: registering it needs no symbol of mod_ssl, and
 * without mod_ssl (or with a TLS module that does not run it) the
 * identity falls back to comparing the certificate's PEM. */
typedef int ssl_HOOK_pre_handshake_t(conn_rec *c, SSL *ssl, int is_proxy);

/* Per TLS connection (the primary connection's c->conn_config). */
typedef struct {
    SSL *ssl;                       /* mod_ssl's, or NULL when not known */
    /* The current identity, holding one reference.  HTTP/1.x: replaced by
     * the connection's thread.  HTTP/2 primary: set once (CAS). */
    certauthz_ident_t *volatile cur;
} certauthz_conn_t;

certauthz_req_t *certauthz_req(request_rec *r)
{
    certauthz_req_t *rq = ap_get_module_config(r->request_config,
                                               &certauthz_module);
    if (rq == NULL) {
        rq = apr_pcalloc(r->pool, sizeof(*rq));
        ap_set_module_config(r->request_config, &certauthz_module, rq);
    }
    return rq;
}

static void ident_release(certauthz_ident_t *id)
{
    if (id != NULL && apr_atomic_dec32(&id->refs) == 0) {
        if (id->x509 != NULL) {
            X509_free(id->x509);
        }
        apr_pool_destroy(id->pool);
    }
}

static apr_status_t ident_cleanup(void *data)
{
    ident_release(data);
    return APR_SUCCESS;
}

static apr_status_t conn_cleanup(void *data)
{
    certauthz_conn_t *cc = data;
    certauthz_ident_t *id = cc->cur;

    cc->cur = NULL;
    ident_release(id);
    return APR_SUCCESS;
}

static certauthz_conn_t *conn_get(conn_rec *c)
{
    return ap_get_module_config(c->conn_config, &certauthz_module);
}

/* Only ever called on a connection's own thread: a primary connection
 * before its first request (pre_handshake), or an HTTP/1.x connection
 * serving a request. */
static certauthz_conn_t *conn_make(conn_rec *c)
{
    certauthz_conn_t *cc = conn_get(c);

    if (cc == NULL) {
        cc = apr_pcalloc(c->pool, sizeof(*cc));
        ap_set_module_config(c->conn_config, &certauthz_module, cc);
        apr_pool_cleanup_register(c->pool, cc, conn_cleanup,
                                  apr_pool_cleanup_null);
    }
    return cc;
}

static int pre_handshake(conn_rec *c, SSL *ssl, int is_proxy)
{
    if (!is_proxy && !c->outgoing && c->master == NULL) {
        conn_make(c)->ssl = ssl;
    }
    return DECLINED;
}

static const char *ssl_var(request_rec *r, const char *name)
{
    return ap_ssl_var_lookup(r->pool, r->server, r->connection, r, name);
}

/* The fields that depend on the certificate (and the verify result) alone,
 * made once per identity; the device field for the default
 * CertAuthzDeviceId (subject:CN), which most locations use. */
static void ident_fields(certauthz_ident_t *id)
{
    static const int per_ident[] = {
        CERTAUTHZ_FIELD_DEVICE, CERTAUTHZ_FIELD_SUBJECT, CERTAUTHZ_FIELD_ISSUER,
        CERTAUTHZ_FIELD_SERIAL, CERTAUTHZ_FIELD_FINGERPRINT,
        CERTAUTHZ_FIELD_NOT_BEFORE, CERTAUTHZ_FIELD_NOT_AFTER,
        CERTAUTHZ_FIELD_SAN, CERTAUTHZ_FIELD_VERIFY
    };
    certauthz_logrec_t rec;
    size_t i;

    memset(&rec, 0, sizeof(rec));
    rec.cert = id->cert;
    rec.verify = id->verify;
    for (i = 0; i < sizeof(per_ident) / sizeof(per_ident[0]); i++) {
        int f = per_ident[i];

        id->text[CERTAUTHZ_TEXT_LOG][f] =
            certauthz_field_text(id->pool, &rec, f, 0);
        id->text[CERTAUTHZ_TEXT_UTF8][f] =
            certauthz_field_text(id->pool, &rec, f, 1);
        id->json[f] = certauthz_field_json(id->pool, &rec, f);
    }
}

/*
 * A new identity holding one reference: verify is mod_ssl's verdict, x the
 * peer certificate of the connection's SSL (or NULL, and then pem, the
 * certificate as mod_ssl exports it, or NULL to ask mod_ssl for it); ssl
 * the connection's SSL when known (the chain it verified).
 */
static certauthz_ident_t *ident_make(request_rec *r, const char *verify,
                                     X509 *x, const char *pem, SSL *ssl)
{
    apr_pool_t *p;
    certauthz_ident_t *id;
    certauthz_cert_t *cert = NULL;
    const char *err = NULL;

    /* Unmanaged: the identity's life is its reference count, not any
     * connection's or request's pool. */
    apr_pool_create_unmanaged_ex(&p, NULL, NULL);
    apr_pool_tag(p, "certauthz_ident");
    id = apr_pcalloc(p, sizeof(*id));
    id->refs = 1;
    id->pool = p;
    id->verify = verify ? apr_pstrdup(p, verify) : NULL;
    apr_thread_mutex_create(&id->rev_lock, APR_THREAD_MUTEX_DEFAULT, p);
    if (x != NULL) {
        X509_up_ref(x);
        id->x509 = x;
    }
    if (verify == NULL || *verify == '\0' || strcmp(verify, "NONE") == 0) {
        id->state = CERTAUTHZ_ID_NO_CERT;
    }
    else if (strcmp(verify, "SUCCESS") != 0) {
        id->state = CERTAUTHZ_ID_UNVERIFIED;
    }
    else {
        if (x != NULL) {
            int len = i2d_X509(x, NULL);
            unsigned char *der, *d;

            if (len > 0) {
                der = d = apr_palloc(p, (apr_size_t)len);
                if (i2d_X509(x, &d) == len) {
                    err = certauthz_cert_from_der(p, der, (apr_size_t)len,
                                                  &cert);
                }
                else {
                    err = "cannot encode the peer certificate";
                }
            }
            else {
                err = "cannot encode the peer certificate";
            }
        }
        else {
            if (pem == NULL) {
                pem = ssl_var(r, "SSL_CLIENT_CERT");
            }
            id->pem = pem ? apr_pstrdup(p, pem) : NULL;
            err = pem == NULL || *pem == '\0'
                      ? "mod_ssl has no certificate"
                      : certauthz_cert_from_pem(p, pem, strlen(pem), &cert);
        }
        if (err != NULL) {
            /* Verified yet unreadable: never trusted. */
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CERTAUTHZ_LOGNO(0001)
                          "cannot parse the client certificate: %s", err);
            id->state = CERTAUTHZ_ID_UNVERIFIED;
        }
        else {
            id->cert = cert;
            id->state = CERTAUTHZ_ID_OK;
            certauthz_forward_ident(r, id, ssl, x);
        }
    }
    ident_fields(id);
    return id;
}

/* Whether id is still the identity of an HTTP/1.x connection whose
 * mod_ssl now says verify.  With the connection's SSL known, the peer
 * certificate object decides (id holds a reference to its own, so a new
 * certificate cannot sit at the same address); otherwise the PEM. */
static int ident_current(request_rec *r, const certauthz_conn_t *cc,
                         const certauthz_ident_t *id, const char *verify,
                         X509 *peer, const char **pem)
{
    if (id == NULL || id->verify == NULL || verify == NULL
        || strcmp(id->verify, verify) != 0) {
        return 0;
    }
    if (cc->ssl != NULL) {
        return id->x509 == peer;
    }
    if (id->state != CERTAUTHZ_ID_OK) {
        return 1;   /* no certificate was read: the verdict is the key */
    }
    *pem = ssl_var(r, "SSL_CLIENT_CERT");
    return *pem != NULL && id->pem != NULL && strcmp(*pem, id->pem) == 0;
}

/* The identity of an HTTP/1.x request, with a reference for the caller. */
static certauthz_ident_t *h1_identity(request_rec *r)
{
    certauthz_conn_t *cc = conn_make(r->connection);
    certauthz_ident_t *id = cc->cur;
    X509 *peer = NULL;
    long vresult = 0;
    const char *verify, *pem = NULL;

    if (cc->ssl != NULL) {
        peer = SSL_get0_peer_certificate(cc->ssl);
        vresult = SSL_get_verify_result(cc->ssl);
        /* mod_ssl makes SSL_CLIENT_VERIFY from the peer certificate, the
         * verify result and what its verify callback noted during the
         * handshake that brought that certificate: the same certificate
         * object (id holds it, so no other can take its address) and the
         * same result are the same verdict, and the lookup (a tenth of
         * this module's cost per request) is spared. */
        if (id != NULL && id->keyed && id->x509 == peer
            && id->vresult == vresult) {
            apr_atomic_inc32(&id->refs);
            return id;
        }
    }
    verify = ssl_var(r, "SSL_CLIENT_VERIFY");
    if (!ident_current(r, cc, id, verify, peer, &pem)) {
        certauthz_ident_t *old = id;

        id = ident_make(r, verify, peer, pem, cc->ssl);
        cc->cur = id;
        /* Requests still using the old one hold their own references. */
        ident_release(old);
    }
    /* Only this connection's thread reads or writes the key. */
    id->keyed = cc->ssl != NULL;
    id->vresult = vresult;
    apr_atomic_inc32(&id->refs);
    return id;
}

/* The identity of an HTTP/2 stream (c->master is the TLS connection), with
 * a reference for the caller. */
static certauthz_ident_t *h2_identity(request_rec *r)
{
    certauthz_conn_t *cc = conn_get(r->connection->master);
    certauthz_ident_t *id = cc != NULL ? apr_atomic_casptr(
                                             (volatile void **)&cc->cur,
                                             NULL, NULL)
                                       : NULL;

    if (id == NULL) {
        certauthz_ident_t *won;

        id = ident_make(r, ssl_var(r, "SSL_CLIENT_VERIFY"), NULL, NULL,
                        cc != NULL ? cc->ssl : NULL);
        if (cc == NULL) {
            /* No record on the TLS connection (mod_ssl never ran our
             * pre_handshake hook): this stream keeps its own. */
            return id;
        }
        won = apr_atomic_casptr((volatile void **)&cc->cur, id, NULL);
        if (won != NULL) {
            /* Another stream published first: use that one. */
            ident_release(id);
            id = won;
        }
        /* Otherwise the connection now holds the first reference. */
    }
    apr_atomic_inc32(&id->refs);
    return id;
}

certauthz_req_t *certauthz_identity(request_rec *r)
{
    certauthz_req_t *rq = certauthz_req(r);
    conn_rec *c = r->connection;
    certauthz_ident_t *id;

    if (rq->resolved) {
        return rq;
    }
    rq->resolved = 1;
    rq->id_reason = CERTAUTHZ_REASON_NO_CERT;
    if (!ap_ssl_conn_is_ssl(c->master ? c->master : c)) {
        return rq;
    }
    if (c->master != NULL) {
        id = h2_identity(r);
    }
    else {
        id = h1_identity(r);
    }
    apr_pool_cleanup_register(r->pool, id, ident_cleanup,
                              apr_pool_cleanup_null);
    rq->ident = id;
    rq->verify = id->verify;
    switch (id->state) {
    case CERTAUTHZ_ID_NO_CERT:
        break;
    case CERTAUTHZ_ID_UNVERIFIED:
        rq->id_reason = CERTAUTHZ_REASON_UNVERIFIED;
        break;
    case CERTAUTHZ_ID_OK:
        rq->id_reason = certauthz_revocation_reason(r, id);
        break;
    }
    return rq;
}

void certauthz_register_identity_hooks(void)
{
    APR_OPTIONAL_HOOK(ssl, pre_handshake, pre_handshake, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
