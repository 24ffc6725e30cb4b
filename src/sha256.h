/*
 * sha256: SHA-256 as mod_certauthz computes it everywhere (fingerprints,
 * issuer keys).  OpenSSL 3 looks up the implementation behind EVP_sha256()
 * on every use (a few thousand instructions, more than hashing a
 * certificate's name); it is fetched once per process instead.
 */
#ifndef CERTAUTHZ_SHA256_H
#define CERTAUTHZ_SHA256_H

#include <openssl/evp.h>

const EVP_MD *certauthz_sha256(void);

#endif
