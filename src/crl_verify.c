#include "crl_verify.h"
#include "bigbuf.h"
#include "file.h"

#include <unistd.h>

#include <apr_strings.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

struct certauthz_crl_verifier {
    const char *ca_file;
    STACK_OF(X509) *cas;
};

const char *certauthz_crl_verifier_open(apr_pool_t *p, const char *ca_file,
                                        certauthz_crl_verifier_t **out)
{
    certauthz_bigbuf_t data = {0};
    certauthz_crl_verifier_t *v;
    struct stat st;
    const char *err;
    STACK_OF(X509) *cas = NULL;
    BIO *bio = NULL;
    X509 *x;
    int fd, changed;

    err = certauthz_file_open(p, ca_file, 0, &fd, &st);
    if (err == NULL) {
        err = certauthz_file_read(p, ca_file, fd, &st, &data, &changed);
        close(fd);
    }
    if (err != NULL) {
        return apr_pstrcat(p, "CertAuthzCRLVerifyCA ", err, NULL);
    }
    if (data.len <= 0x7fffffff
        && (bio = BIO_new_mem_buf(data.p, (int)data.len)) != NULL
        && (cas = sk_X509_new_null()) != NULL) {
        while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
            if (!sk_X509_push(cas, x)) {
                X509_free(x);
                break;
            }
        }
    }
    BIO_free(bio);
    certauthz_bigbuf_free(&data);
    if (cas == NULL || sk_X509_num(cas) == 0) {
        sk_X509_pop_free(cas, X509_free);
        return apr_psprintf(p, "CertAuthzCRLVerifyCA %s: no PEM certificate "
                            "in the file", ca_file);
    }
    v = apr_pcalloc(p, sizeof(*v));
    v->ca_file = apr_pstrdup(p, ca_file);
    v->cas = cas;
    *out = v;
    return NULL;
}

void certauthz_crl_verifier_close(certauthz_crl_verifier_t *v)
{
    if (v != NULL) {
        sk_X509_pop_free(v->cas, X509_free);
        v->cas = NULL;
    }
}

const char *certauthz_crl_verify(apr_pool_t *p, const char *what,
                                 const unsigned char *der, apr_size_t len,
                                 const certauthz_crl_verifier_t *v)
{
    const unsigned char *q = der;
    X509_CRL *crl = len <= 0x7fffffff ? d2i_X509_CRL(NULL, &q, (long)len)
                                      : NULL;
    const X509_NAME *issuer;
    int i, named = 0, ok = 0;
    char dn[256];

    if (crl == NULL) {
        return apr_psprintf(p, "%s: OpenSSL cannot parse the CRL", what);
    }
    issuer = X509_CRL_get_issuer(crl);
    for (i = 0; i < sk_X509_num(v->cas) && !ok; i++) {
        X509 *ca = sk_X509_value(v->cas, i);

        if (X509_NAME_cmp(X509_get_subject_name(ca), issuer) == 0) {
            named = 1;
            ok = X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1;
        }
    }
    X509_NAME_oneline(issuer, dn, sizeof(dn));
    X509_CRL_free(crl);
    if (!named) {
        return apr_psprintf(p, "%s: no certificate in CertAuthzCRLVerifyCA %s "
                            "is the CRL's issuer %s", what, v->ca_file, dn);
    }
    if (!ok) {
        return apr_psprintf(p, "%s: the CRL's signature does not verify "
                            "against its issuer %s in CertAuthzCRLVerifyCA %s",
                            what, dn, v->ca_file);
    }
    return NULL;
}
