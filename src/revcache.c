#include "revcache.h"
#include "hexid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

/* Bumped with the index layout (src/revindex.c), so that no file of an
 * older layout is ever looked for. */
#define CACHE_NAMES_VERSION 5

char *certauthz_revcache_name(const char *dir, const char *path,
                              const certauthz_revopts_t *opts,
                              const certauthz_filesig_t *sig)
{
    unsigned char md[32];
    char hex[33], *out;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint64_t v[6];
    struct stat st;

    memset(v, 0, sizeof(v));
    v[0] = CACHE_NAMES_VERSION;
    if (sig != NULL) {
        v[1] = sig->dev;
        v[2] = sig->ino;
        v[3] = sig->size;
        v[4] = (uint64_t)sig->mtime_sec;
        v[5] = (uint64_t)sig->mtime_nsec;
    }
    if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    EVP_DigestUpdate(ctx, v, sizeof(v));
    EVP_DigestUpdate(ctx, path, strlen(path) + 1);
    if (opts->verify_ca != NULL) {
        certauthz_filesig_t cs;

        /* A CRL verified against one CA file is not verified against
         * another, nor against a changed one. */
        EVP_DigestUpdate(ctx, opts->verify_ca, strlen(opts->verify_ca) + 1);
        if (stat(opts->verify_ca, &st) == 0) {
            certauthz_filesig_of(&st, &cs);
            EVP_DigestUpdate(ctx, &cs, sizeof(cs));
        }
    }
    EVP_DigestFinal_ex(ctx, md, NULL);
    EVP_MD_CTX_free(ctx);
    certauthz_hex_encode(hex, md, 16, 0);
    out = malloc(strlen(dir) + sizeof("/rev-.idx") + 32);
    if (out != NULL) {
        sprintf(out, sig ? "%s/rev-%s.idx" : "%s/src-%s.cur", dir, hex);
    }
    return out;
}

certauthz_revlist_t *certauthz_revcache_map(const char *name,
                                            const certauthz_filesig_t *sig)
{
    certauthz_revlist_t *l = NULL;
    struct stat st;
    apr_pool_t *tmp;
    int fd;

    if (apr_pool_create(&tmp, NULL) != APR_SUCCESS) {
        return NULL;
    }
    if (certauthz_file_open(tmp, name, 1, &fd, &st) == NULL) {
        if (certauthz_revlist_map(fd, &l) == NULL
            && (sig != NULL && !certauthz_filesig_same(&l->sig, sig))) {
            certauthz_revlist_release(l);
            l = NULL;
        }
        close(fd);
    }
    apr_pool_destroy(tmp);
    if (l != NULL && (l->index_path = strdup(name)) == NULL) {
        certauthz_revlist_release(l);
        l = NULL;
    }
    return l;
}

certauthz_revlist_t *certauthz_revcache_store(const certauthz_revlist_t *l,
                                              char *name)
{
    char *tmp = malloc(strlen(name) + 8);
    certauthz_revlist_t *m = NULL;
    int fd = -1;

    if (tmp != NULL) {
        sprintf(tmp, "%s.XXXXXX", name);
        fd = mkstemp(tmp);
    }
    if (fd >= 0) {
        /* Another process renaming the same version meanwhile writes the
         * same bytes, so either file is right. */
        if (fchmod(fd, 0644) == 0 && certauthz_revlist_save(l, fd) == 0
            && rename(tmp, name) == 0) {
            if (certauthz_revlist_map(fd, &m) == NULL) {
                m->index_path = name;
                m->sig = l->sig;
                name = NULL;
            }
        }
        else {
            unlink(tmp);
        }
        close(fd);
    }
    free(tmp);
    free(name);
    return m;
}
