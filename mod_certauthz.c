/*
 * mod_certauthz: authorization on the parsed fields of a client certificate.
 *
 * This file holds the module record, the directive table and the hook
 * registration; the glue lives in mod_certauthz_*.c (one concern each,
 * listed in mod_certauthz.h) and the logic in src/, which includes no
 * httpd header and is unit-tested on its own.
 */
#define CERTAUTHZ_MODULE_FILE
#include "mod_certauthz.h"

#include "http_core.h"

static void register_hooks(apr_pool_t *p)
{
    certauthz_register_authz(p);
    certauthz_register_identity_hooks();
    certauthz_register_log_hooks();
    certauthz_register_revocation_hooks();
    certauthz_register_store_hooks();
    certauthz_register_status_hooks();
    certauthz_register_warning_hooks();
    certauthz_register_forward_hooks();
}

static const command_rec certauthz_cmds[] = {
    /* Revocation sources (INTERFACE §3): server config and virtual host. */
    AP_INIT_TAKE1("CertAuthzRevocationFile", certauthz_set_revocation_file,
                  NULL, RSRC_CONF, "A revocation file (PEM or DER CRL, "
                  "openssl ca index.txt, or a list of serials and sha256: "
                  "fingerprints); repeatable"),
    AP_INIT_TAKE1("CertAuthzRevocationCheckInterval",
                  certauthz_set_check_interval, NULL, RSRC_CONF,
                  "Seconds between checks of the revocation files for "
                  "changes (default 5)"),
    AP_INIT_TAKE1("CertAuthzCRLVerifyCA", certauthz_set_crl_verify_ca, NULL,
                  RSRC_CONF, "PEM file of the CA certificates that must have "
                  "signed every CRL"),
    AP_INIT_TAKE1("CertAuthzStaleCRL", certauthz_set_stale_crl, NULL,
                  RSRC_CONF, "warn (default) or deny: what a CRL past its "
                  "nextUpdate does to the certificates of its issuer"),

    /* Revocation for a fleet (INTERFACE §9). */
    AP_INIT_TAKE_ARGV("CertAuthzRevocationURL", certauthz_set_revocation_url,
                      NULL, RSRC_CONF, "A CRL distribution point (http: or "
                      "https: URL) fetched by the loader, then "
                      "[timeout=SECONDS] [maxsize=BYTES] [ca=FILE]; "
                      "repeatable"),
    AP_INIT_TAKE1("CertAuthzRevocationStore", certauthz_set_store, NULL,
                  RSRC_CONF, "A socache provider and its arguments holding "
                  "revocations shared by a fleet (redis:HOST:PORT, "
                  "memcache:HOST:PORT)"),
    AP_INIT_TAKE1("CertAuthzStoreCacheSeconds", certauthz_set_store_cache,
                  NULL, RSRC_CONF, "Seconds a process keeps what the "
                  "revocation store said of a certificate (default 1)"),
    AP_INIT_TAKE1("CertAuthzStoreUnavailable",
                  certauthz_set_store_unavailable, NULL, RSRC_CONF,
                  "deny (default) or allow: what happens while the "
                  "revocation store does not answer"),

    /* Device identity, logging (INTERFACE §4). */
    AP_INIT_TAKE1("CertAuthzDeviceId", certauthz_set_device_id, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Where the device id comes from: subject:ATTR, san:email, "
                  "san:dns, san:uri, serial or fingerprint"),
    AP_INIT_FLAG("CertAuthzUser", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(certauthz_dir_conf_t, user),
                 RSRC_CONF | ACCESS_CONF,
                 "On: the device id becomes REMOTE_USER when no other "
                 "module set a user"),
    AP_INIT_FLAG("CertAuthzExportVars", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(certauthz_dir_conf_t, export_vars),
                 OR_AUTHCFG | OR_OPTIONS,
                 "On: export the CERTAUTHZ_* environment variables"),

    /* Identity to backends, report-only rules (INTERFACE §8). */
    AP_INIT_TAKE1("CertAuthzForward", certauthz_set_forward, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Off, On or Chain: remove client-sent certificate headers "
                  "and send the verified certificate (RFC 9440 Client-Cert, "
                  "with Chain also Client-Cert-Chain) to backends"),
    AP_INIT_TAKE1("CertAuthzForwardDeviceHeader",
                  certauthz_set_forward_device_header, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "A request header that carries the device id to backends"),
    AP_INIT_FLAG("CertAuthzReportOnly", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(certauthz_dir_conf_t, report_only),
                 OR_AUTHCFG,
                 "On: the cert-* lines written here are evaluated and "
                 "logged (would-grant, would-deny) but decide nothing"),

    {NULL}
};

AP_DECLARE_MODULE(certauthz) = {
    STANDARD20_MODULE_STUFF,
    certauthz_create_dir_conf,  /* create per-directory config */
    certauthz_merge_dir_conf,   /* merge per-directory config */
    certauthz_create_srv_conf,  /* create per-server config */
    certauthz_merge_srv_conf,   /* merge per-server config */
    certauthz_cmds,             /* command table */
    register_hooks
};
