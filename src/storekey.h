/*
 * storekey: how a revocation is written in a shared store (INTERFACE §9,
 * CertAuthzRevocationStore), defined once for the module, which reads it
 * through an httpd socache provider, and for `certauthz revoke --store`,
 * which writes it with APR-util's apr_redis.
 *
 * An entry's id (the bytes a socache provider is given):
 *
 *   revoked serial:       'S' (0x53) | issuer key (32 bytes) | serial
 *   revoked certificate:  'F' (0x46) | SHA-256 of its DER (32 bytes)
 *   store marker:         "alive" (0x61 0x6c 0x69 0x76 0x65)
 *
 * The issuer key is certauthz_name_key of the issuer's name (a SHA-256 of
 * its canonical encoding, src/names.h): the certificate's issuer_key, the
 * CA certificate's subject for the command.  The serial is its magnitude,
 * big-endian, without leading zero bytes (certauthz_cert_t.serial): 0x00:01
 * and 1 are one serial, as everywhere in the module.
 *
 * mod_socache_redis and mod_socache_memcache store an id under the key
 * NAMESPACE ":" followed by the id in lower-case hex; the module's
 * namespace is "certauthz".  So the serial 0x4005 of an issuer whose key
 * starts 9f2c... is the Redis key "certauthz:539f2c...4005", and anyone can
 * write one with redis-cli.  An entry's value says nothing the module
 * relies on (its presence revokes): "revoked" and, for people, when and
 * why.
 *
 * The marker is what tells "not revoked" from "no answer": APR-util's
 * clients answer a lookup with "not found" when they hold the server for
 * dead, so a miss counts only when the marker is found after it.  The
 * loader of every server writes it once a second; a store that lost its
 * data (a restart without persistence) is trusted again once it is back.
 */
#ifndef CERTAUTHZ_STOREKEY_H
#define CERTAUTHZ_STOREKEY_H

#include <apr.h>
#include <apr_pools.h>

/* The socache namespace (at most 15 bytes, the socache API's limit). */
#define CERTAUTHZ_STORE_NAMESPACE "certauthz"

/* The longest serial a key is made for: a key of the serial's 'S' id in
 * hex with the namespace stays under mod_socache_redis's 254 bytes.
 * RFC 5280 serials have at most 20 octets. */
#define CERTAUTHZ_STORE_SERIAL_MAX 64

/* The longest id. */
#define CERTAUTHZ_STORE_ID_MAX (1 + 32 + CERTAUTHZ_STORE_SERIAL_MAX)

/* The id of a revoked serial of an issuer into id; its length, or 0 when
 * the serial is longer than CERTAUTHZ_STORE_SERIAL_MAX. */
apr_size_t certauthz_store_id_serial(const unsigned char issuer_key[32],
                                     const unsigned char *serial,
                                     apr_size_t serial_len,
                                     unsigned char id[CERTAUTHZ_STORE_ID_MAX]);

/* The id of a revoked certificate; its length. */
apr_size_t certauthz_store_id_fingerprint(
    const unsigned char sha256[32], unsigned char id[CERTAUTHZ_STORE_ID_MAX]);

/* The id of the marker. */
extern const unsigned char certauthz_store_marker_id[];
extern const apr_size_t certauthz_store_marker_len;

/* The key mod_socache_redis and mod_socache_memcache make of an id:
 * "certauthz:" and the id in lower-case hex, from p. */
const char *certauthz_store_key(apr_pool_t *p, const unsigned char *id,
                                apr_size_t len);

/* The value written for a revocation at `when` (seconds since the epoch)
 * with an optional reason, from p: "revoked 2026-11-24T06:27:59Z
 * keyCompromise". */
const char *certauthz_store_value(apr_pool_t *p, apr_int64_t when,
                                  const char *reason);

/* Seconds an entry for a certificate expiring at not_after should live
 * when written at now: until its notAfter (expired certificates are
 * refused anyway), at least one second; 0 when it has expired. */
apr_uint32_t certauthz_store_ttl(apr_int64_t not_after, apr_int64_t now);

#endif
