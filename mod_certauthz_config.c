/*
 * mod_certauthz: configuration records, their defaults and merge rules, and
 * the directives that fill them.
 */
#include "mod_certauthz.h"

#include "http_core.h"

#include "apr_strings.h"

certauthz_srv_conf_t *certauthz_srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &certauthz_module);
}

certauthz_dir_conf_t *certauthz_dir_conf(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &certauthz_module);
}

void *certauthz_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    certauthz_srv_conf_t *sc = apr_pcalloc(p, sizeof(*sc));

    (void)s;
    sc->revocation_files = apr_array_make(p, 2, sizeof(const char *));
    sc->revocation_where = apr_array_make(p, 2, sizeof(const char *));
    sc->revocation_urls = apr_array_make(p, 1, sizeof(void *));
    sc->revocation_urls_where = apr_array_make(p, 1, sizeof(const char *));
    sc->store_cache_seconds = CERTAUTHZ_UNSET;
    sc->store_deny = CERTAUTHZ_UNSET;
    sc->check_interval = CERTAUTHZ_UNSET;
    sc->stale_deny = CERTAUTHZ_UNSET;
    sc->forward_device_headers = apr_array_make(p, 1, sizeof(const char *));
    return sc;
}

void *certauthz_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    certauthz_srv_conf_t *base = basev, *add = addv;
    certauthz_srv_conf_t *sc = apr_pcalloc(p, sizeof(*sc));
    int own = add->revocation_files->nelts || add->revocation_urls->nelts;

    /* A virtual host with revocation files or URLs of its own uses those,
     * as mod_ssl's SSLCARevocationFile does; otherwise it inherits. */
    sc->revocation_files = own ? add->revocation_files
                               : base->revocation_files;
    sc->revocation_where = own ? add->revocation_where
                               : base->revocation_where;
    sc->revocation_urls = own ? add->revocation_urls : base->revocation_urls;
    sc->revocation_urls_where = own ? add->revocation_urls_where
                                    : base->revocation_urls_where;
    sc->store = add->store ? add->store : base->store;
    sc->store_cache_seconds = add->store_cache_seconds != CERTAUTHZ_UNSET
                                  ? add->store_cache_seconds
                                  : base->store_cache_seconds;
    sc->store_deny = add->store_deny != CERTAUTHZ_UNSET ? add->store_deny
                                                        : base->store_deny;
    sc->check_interval = add->check_interval != CERTAUTHZ_UNSET
                             ? add->check_interval
                             : base->check_interval;
    sc->crl_verify_ca = add->crl_verify_ca ? add->crl_verify_ca
                                           : base->crl_verify_ca;
    sc->crl_verify_ca_where = add->crl_verify_ca ? add->crl_verify_ca_where
                                                 : base->crl_verify_ca_where;
    sc->stale_deny = add->stale_deny != CERTAUTHZ_UNSET ? add->stale_deny
                                                        : base->stale_deny;
    /* Sections of the main server apply to every virtual host too: what
     * they forward is forwarded there as well. */
    sc->forward_max = add->forward_max > base->forward_max ? add->forward_max
                                                           : base->forward_max;
    sc->forward_device_headers = apr_array_append(
        p, base->forward_device_headers, add->forward_device_headers);
    return sc;
}

void *certauthz_create_dir_conf(apr_pool_t *p, char *dir)
{
    certauthz_dir_conf_t *dc = apr_pcalloc(p, sizeof(*dc));

    (void)dir;
    dc->user = CERTAUTHZ_UNSET;
    dc->export_vars = CERTAUTHZ_UNSET;
    dc->forward = CERTAUTHZ_UNSET;
    dc->report_only = CERTAUTHZ_UNSET;
    return dc;
}

void *certauthz_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    certauthz_dir_conf_t *base = basev, *add = addv;
    certauthz_dir_conf_t *dc = apr_pcalloc(p, sizeof(*dc));

    dc->device_id = add->device_id ? add->device_id : base->device_id;
    dc->user = add->user != CERTAUTHZ_UNSET ? add->user : base->user;
    dc->export_vars = add->export_vars != CERTAUTHZ_UNSET ? add->export_vars
                                                          : base->export_vars;
    dc->forward = add->forward != CERTAUTHZ_UNSET ? add->forward
                                                  : base->forward;
    dc->forward_device_header = add->forward_device_header
                                    ? add->forward_device_header
                                    : base->forward_device_header;
    dc->report_only = add->report_only != CERTAUTHZ_UNSET ? add->report_only
                                                          : base->report_only;
    return dc;
}

/* A file named by a directive, relative to ServerRoot. */
static const char *directive_path(cmd_parms *cmd, const char *arg,
                                  const char **path)
{
    *path = ap_server_root_relative(cmd->pool, arg);
    if (*path == NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

const char *certauthz_set_revocation_file(cmd_parms *cmd, void *dc,
                                          const char *arg)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(cmd->server);
    const char *path, *err = directive_path(cmd, arg, &path);

    (void)dc;
    if (err == NULL) {
        APR_ARRAY_PUSH(sc->revocation_files, const char *) = path;
        APR_ARRAY_PUSH(sc->revocation_where, const char *) =
            apr_psprintf(cmd->pool, "%s on line %d of %s", cmd->cmd->name,
                         cmd->directive->line_num, cmd->directive->filename);
    }
    return err;
}

const char *certauthz_set_check_interval(cmd_parms *cmd, void *dc,
                                         const char *arg)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(cmd->server);
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    (void)dc;
    if (*arg == '\0' || *end != '\0' || v < 0 || v > 86400) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of seconds "
                            "from 0 to 86400", cmd->cmd->name, arg);
    }
    sc->check_interval = (int)v;
    return NULL;
}

const char *certauthz_set_crl_verify_ca(cmd_parms *cmd, void *dc,
                                        const char *arg)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(cmd->server);

    (void)dc;
    sc->crl_verify_ca_where = apr_psprintf(
        cmd->pool, "%s on line %d of %s", cmd->cmd->name,
        cmd->directive->line_num, cmd->directive->filename);
    return directive_path(cmd, arg, &sc->crl_verify_ca);
}

const char *certauthz_set_stale_crl(cmd_parms *cmd, void *dc,
                                    const char *arg)
{
    certauthz_srv_conf_t *sc = certauthz_srv_conf(cmd->server);

    (void)dc;
    if (strcasecmp(arg, "warn") == 0) {
        sc->stale_deny = 0;
    }
    else if (strcasecmp(arg, "deny") == 0) {
        sc->stale_deny = 1;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither warn nor deny",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

const char *certauthz_set_device_id(cmd_parms *cmd, void *dcv,
                                    const char *arg)
{
    certauthz_dir_conf_t *dc = dcv;
    const char *err = certauthz_devid_compile(cmd->pool, arg, &dc->device_id);

    if (err != NULL) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " ", err, NULL);
    }
    return NULL;
}
