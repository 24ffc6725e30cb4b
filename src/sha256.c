#include "sha256.h"

#include <pthread.h>

/* Written once under pthread_once, read-only afterwards, so threads share
 * it safely. */
static EVP_MD *sha256_fetched;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_fetched = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

const EVP_MD *certauthz_sha256(void)
{
    pthread_once(&sha256_once, sha256_fetch);
    return sha256_fetched != NULL ? sha256_fetched : EVP_sha256();
}
