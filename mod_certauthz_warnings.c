/*
 * mod_certauthz: start-up warnings for rules that cannot work as written
 * (INTERFACE §10).  The checks live in src/confcheck.c; this file hands
 * them httpd's parsed configuration (ap_conftree) and logs what they find.
 *
 * When to look (server/main.c): httpd reads its configuration twice on a
 * start (a trial read, then the real one) and once per restart; `httpd -t`
 * reads it once and stops before opening the logs.
 *  - check_config runs after every read, but before the error log is open:
 *    what it logs on the second read of a daemonized start is lost (stderr
 *    is by then the /dev/null apr_proc_detach made of it; tried with
 *    httpd 2.4.71, with and without a server_rec).
 *  - test_config runs only for `httpd -t` (and the -D DUMP_* modes), once,
 *    when stderr is still the terminal of `apachectl configtest`.
 *  - post_config runs after the logs are open.
 * So the warnings come from test_config in a configuration test, and from
 * post_config on a start or restart, except after the trial read: each
 * warning once, where the administrator looks.
 */
#include "mod_certauthz.h"

#include "http_core.h"
#include "util_cfgtree.h"

#include "apr_lib.h"
#include "apr_strings.h"

#include "src/confcheck.h"

static const char *const warning_tags[CERTAUTHZ_CONFCHECK_COUNT] = {
    CERTAUTHZ_LOGNO(0200), /* CERTAUTHZ_CONFCHECK_NO_CERT */
    CERTAUTHZ_LOGNO(0201), /* CERTAUTHZ_CONFCHECK_DIR_VERIFY */
    CERTAUTHZ_LOGNO(0202), /* CERTAUTHZ_CONFCHECK_REQUIRE */
    CERTAUTHZ_LOGNO(0203), /* CERTAUTHZ_CONFCHECK_NOT_ALONE */
};

/* The tree as src/confcheck.c reads it: arguments split by httpd's own
 * ap_getword_conf, so that quoting means what it means to the directives. */
static const certauthz_confnode_t *copy_tree(apr_pool_t *p,
                                             const ap_directive_t *d,
                                             const certauthz_confnode_t *up)
{
    certauthz_confnode_t *first = NULL, *prev = NULL;

    for (; d != NULL; d = d->next) {
        certauthz_confnode_t *n = apr_pcalloc(p, sizeof(*n));
        apr_array_header_t *argv = apr_array_make(p, 4, sizeof(char *));
        const char *args = d->args ? d->args : "", *gt;

        while (apr_isspace(*args)) {
            ++args;
        }
        /* A section keeps the '>' that closes its opening line. */
        if (d->directive[0] == '<' && (gt = strrchr(args, '>')) != NULL) {
            while (gt > args && apr_isspace(gt[-1])) {
                --gt;
            }
            args = apr_pstrmemdup(p, args, (apr_size_t)(gt - args));
        }
        n->directive = d->directive;
        n->args = args;
        while (*args != '\0') {
            APR_ARRAY_PUSH(argv, const char *) = ap_getword_conf(p, &args);
        }
        n->argc = argv->nelts;
        n->argv = (const char *const *)argv->elts;
        n->file = d->filename ? d->filename : "(unknown file)";
        n->line = d->line_num;
        n->parent = up;
        n->first_child = copy_tree(p, d->first_child, n);
        if (prev != NULL) {
            prev->next = n;
        }
        else {
            first = n;
        }
        prev = n;
    }
    return first;
}

static void log_warnings(apr_pool_t *p, int level, server_rec *s)
{
    apr_array_header_t *found =
        certauthz_confcheck(p, copy_tree(p, ap_conftree, NULL));
    int i;

    for (i = 0; i < found->nelts; i++) {
        const certauthz_confwarning_t *w =
            &APR_ARRAY_IDX(found, i, certauthz_confwarning_t);

        ap_log_error(APLOG_MARK, level, 0, s, "%s%s", warning_tags[w->kind],
                     w->message);
    }
}

static void warnings_test_config(apr_pool_t *pconf, server_rec *s)
{
    apr_pool_t *p;

    (void)s;
    /* Not for -M, -S and the other dumps, whose output scripts read. */
    if (ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_CONFIG_TEST) {
        return;
    }
    apr_pool_create(&p, pconf);
    /* No server: the logs are not open, the terminal is stderr. */
    log_warnings(p, APLOG_STARTUP | APLOG_WARNING, NULL);
    apr_pool_destroy(p);
}

static int warnings_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    /* In the error log with its time and the module's name, as a line
     * read days later needs (APLOG_STARTUP would print the bare text). */
    log_warnings(ptemp, APLOG_WARNING, s);
    return OK;
}

void certauthz_register_warning_hooks(void)
{
    ap_hook_test_config(warnings_test_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(warnings_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}
