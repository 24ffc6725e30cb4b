/*
 * mod_certauthz: the loader process (src/loader.h).
 *
 * httpd offers a module two places to work outside its children: the
 * monitor hook, which the parent runs only every tenth pass of its
 * one-second maintenance loop (server/mpm_common.c), far too seldom for a
 * reload within the check interval plus a second; and a process of its
 * own, forked from the parent at start-up and restarted by it if it dies,
 * as mod_cgid runs its daemon.  The loader is such a process.  It runs as
 * the user the parent runs as (root on a normal start), never as the
 * server's User, so the children cannot change what it publishes; it holds
 * no listening socket and serves nothing.  Besides the files it fetches
 * the distribution points (CertAuthzRevocationURL: libcurl, waiting on
 * its transfers between ticks) and, from a thread of its own, watches the
 * revocation stores (mod_certauthz_store.c).  A graceful restart or a stop
 * ends it (SIGTERM from the parent's pool cleanup), and the next
 * generation's configuration starts a new one.
 */
#include "mod_certauthz.h"

#include "ap_listen.h"
#include "ap_mpm.h"
#include "mpm_common.h"

#include "apr_signal.h"
#include "apr_thread_proc.h"

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "src/loader.h"

/* The generation's loader, set by the parent in post_config before the
 * fork; the forked process uses its copy. */
static certauthz_loader_t *the_loader;
static certauthz_shm_t *the_table;
static apr_pool_t *the_pool;
static server_rec *the_server;

/* Set by a signal in the loader process only. */
static volatile sig_atomic_t loader_exit;

static void loader_signal(int sig)
{
    (void)sig;
    loader_exit = 1;
}

static apr_time_t monotonic_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return apr_time_from_sec(ts.tv_sec) + ts.tv_nsec / 1000;
}

static void loader_log(void *baton, certauthz_revlog_e level, const char *msg)
{
    server_rec *s = baton;
    int lvl = level == CERTAUTHZ_REVLOG_ERROR  ? APLOG_ERR
              : level == CERTAUTHZ_REVLOG_WARN ? APLOG_WARNING
                                               : APLOG_NOTICE;

    ap_log_error(APLOG_MARK, lvl, 0, s, CERTAUTHZ_LOGNO(0100) "%s", msg);
}

static int loader_main(pid_t parent)
{
    apr_signal(SIGTERM, loader_signal);
    apr_signal(SIGHUP, loader_signal);
    apr_signal(SIGINT, loader_signal);
    /* The parent's graceful-restart signals reach its process group: the
     * restart itself ends this process through the pool cleanup. */
    apr_signal(SIGUSR1, SIG_IGN);
    apr_signal(SIGWINCH, SIG_IGN);
    apr_signal(SIGPIPE, SIG_IGN);
    ap_close_listeners();
    /* Started again after a loader died: number on from what it
     * published, and load everything again. */
    certauthz_loader_resume(the_loader);
    certauthz_store_heartbeat_start(the_pool);
    while (!loader_exit && getppid() == parent) {
        apr_interval_time_t t = certauthz_loader_tick(
            the_loader, monotonic_now(), apr_time_now(), loader_log,
            the_server);

        certauthz_store_watch();
        certauthz_loader_wait(the_loader, t);   /* a signal ends it early */
    }
    return 0;
}

static int loader_fork(apr_pool_t *p);

static void loader_maint(int reason, void *data, apr_wait_t status)
{
    apr_proc_t *proc = data;
    int state = AP_MPMQ_STOPPING;

    switch (reason) {
    case APR_OC_REASON_DEATH:
    case APR_OC_REASON_LOST:
        apr_proc_other_child_unregister(data);
        if (ap_mpm_query(AP_MPMQ_MPM_STATE, &state) == APR_SUCCESS
            && state != AP_MPMQ_STOPPING) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, the_server,
                         CERTAUTHZ_LOGNO(0110) "the revocation loader "
                         "(pid %ld) ended (status %d); starting it again",
                         (long)proc->pid, (int)status);
            loader_fork(the_pool);
        }
        break;
    case APR_OC_REASON_RESTART:
        apr_proc_other_child_unregister(data);
        break;
    case APR_OC_REASON_UNREGISTER:
        kill(proc->pid, SIGTERM);
        break;
    }
}

static int loader_fork(apr_pool_t *p)
{
    apr_proc_t *proc;
    pid_t parent = getpid(), pid;

    /* Only this fork inherits the table's writable mapping. */
    certauthz_shm_lend(the_table, 1);
    pid = fork();
    if (pid == 0) {
        /* No pool cleanup of the parent's may run here: _exit. */
        _exit(loader_main(parent));
    }
    certauthz_shm_lend(the_table, 0);
    if (pid < 0) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, errno, the_server,
                     CERTAUTHZ_LOGNO(0111) "cannot start the revocation "
                     "loader");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    proc = apr_pcalloc(p, sizeof(*proc));
    proc->pid = pid;
    apr_pool_note_subprocess(p, proc, APR_KILL_AFTER_TIMEOUT);
    apr_proc_other_child_register(proc, loader_maint, proc, NULL, p);
    return OK;
}

int certauthz_loader_start(apr_pool_t *pconf, server_rec *s,
                           certauthz_shm_t *table, certauthz_loader_t *ld)
{
    the_loader = ld;
    the_table = table;
    the_pool = pconf;
    the_server = s;
    return loader_fork(pconf);
}
