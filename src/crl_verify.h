/*
 * crl_verify: CertAuthzCRLVerifyCA, the CA certificates every CRL's
 * signature must verify against (INTERFACE §3).  The issuer is found with
 * X509_NAME_cmp, the comparison the issuer keys of src/names.h reproduce:
 * a CRL accepted here applies to exactly that issuer's certificates.
 */
#ifndef CERTAUTHZ_CRL_VERIFY_H
#define CERTAUTHZ_CRL_VERIFY_H

#include <apr_pools.h>

typedef struct certauthz_crl_verifier certauthz_crl_verifier_t;

/* Read the PEM certificates of ca_file.  NULL with *out set (release it
 * with certauthz_crl_verifier_close), or a message starting with
 * "CertAuthzCRLVerifyCA PATH: ". */
const char *certauthz_crl_verifier_open(apr_pool_t *p, const char *ca_file,
                                        certauthz_crl_verifier_t **out);

void certauthz_crl_verifier_close(certauthz_crl_verifier_t *v);

/* Verify one DER CRL: NULL, or why it is refused, naming `what`. */
const char *certauthz_crl_verify(apr_pool_t *p, const char *what,
                                 const unsigned char *der, apr_size_t len,
                                 const certauthz_crl_verifier_t *v);

#endif
