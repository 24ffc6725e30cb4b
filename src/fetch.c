/*
 * fetch: libcurl's implementation of the loader's fetches (see fetch.h).
 */
#include "fetch.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_date.h>
#include <apr_strings.h>
#include <curl/curl.h>

struct certauthz_xfer {
    CURL *h;
    struct curl_slist *headers;
    certauthz_bigbuf_t body;
    const certauthz_url_opts_t *opts;
    int too_big, oom, done;
    CURLcode code;
};

typedef struct {
    CURLM *multi;
} fetcher_t;

static size_t on_body(char *data, size_t size, size_t n, void *baton)
{
    certauthz_xfer_t *x = baton;
    size_t len = size * n;

    /* A body larger than the limit (or growing without end) is cut off as
     * it arrives, whatever Content-Length said. */
    if (len > x->opts->max_size - x->body.len) {
        x->too_big = 1;
        return 0;
    }
    if (certauthz_bigbuf_reserve(&x->body, len + 1) != 0) {
        x->oom = 1;
        return 0;
    }
    memcpy(x->body.p + x->body.len, data, len);
    x->body.len += len;
    return len;
}

static void xfer_free(certauthz_xfer_t *x)
{
    if (x->h != NULL) {
        curl_easy_cleanup(x->h);
    }
    curl_slist_free_all(x->headers);
    certauthz_bigbuf_free(&x->body);
    free(x);
}

static const char *start(void *ctx, const certauthz_url_opts_t *o,
                         const certauthz_validators_t *v,
                         certauthz_xfer_t **out)
{
    fetcher_t *f = ctx;
    certauthz_xfer_t *x = calloc(1, sizeof(*x));
    char line[320];
    long ms = (long)(o->timeout / 1000);

    if (x == NULL || (x->h = curl_easy_init()) == NULL) {
        if (x != NULL) {
            free(x);
        }
        return "cannot start an HTTP client (out of memory)";
    }
    x->opts = o;
    if (v != NULL && v->etag[0] != '\0') {
        apr_snprintf(line, sizeof(line), "If-None-Match: %s", v->etag);
        x->headers = curl_slist_append(x->headers, line);
    }
    if (v != NULL && v->last_modified[0] != '\0') {
        apr_snprintf(line, sizeof(line), "If-Modified-Since: %s",
                     v->last_modified);
        x->headers = curl_slist_append(x->headers, line);
    }
    curl_easy_setopt(x->h, CURLOPT_URL, o->url);
    /* A distribution point speaks HTTP; no file://, no other scheme, not
     * even through a redirect. */
    curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
    /* An https: distribution point is not redirected to plain http:,
     * which would undo what https gave. */
    curl_easy_setopt(x->h, CURLOPT_REDIR_PROTOCOLS_STR,
                     strncasecmp(o->url, "https:", 6) == 0 ? "https"
                                                               : "http,https");
    curl_easy_setopt(x->h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(x->h, CURLOPT_MAXREDIRS, 5L);
    /* The loader has signal handlers of its own. */
    curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
    curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 1L);
    curl_easy_setopt(x->h, CURLOPT_MAXFILESIZE_LARGE,
                     (curl_off_t)o->max_size);
    curl_easy_setopt(x->h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(x->h, CURLOPT_USERAGENT, "mod_certauthz");
    curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
    if (o->ca_file != NULL) {
        curl_easy_setopt(x->h, CURLOPT_CAINFO, o->ca_file);
    }
    if (curl_multi_add_handle(f->multi, x->h) != CURLM_OK) {
        xfer_free(x);
        return "cannot start an HTTP transfer";
    }
    *out = x;
    return NULL;
}

/* Let libcurl work, and mark the transfers that ended. */
static void progress(fetcher_t *f)
{
    CURLMsg *m;
    int running, left;

    curl_multi_perform(f->multi, &running);
    while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
        certauthz_xfer_t *x = NULL;

        if (m->msg != CURLMSG_DONE) {
            continue;
        }
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (x != NULL) {
            x->done = 1;
            x->code = m->data.result;
        }
    }
}

/* A response header's value, or NULL. */
static const char *header(CURL *h, const char *name)
{
    struct curl_header *hd = NULL;

    if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK
        || hd == NULL) {
        return NULL;
    }
    return hd->value;
}

/* Messages are the same for the same failure (no byte counts, no
 * timings): the loader reports a failure once until it changes. */
static const char *failure(apr_pool_t *p, certauthz_xfer_t *x)
{
    const certauthz_url_opts_t *o = x->opts;
    long os_errno = 0;

    if (x->code == CURLE_FILESIZE_EXCEEDED) {
        return apr_psprintf(p, "%s: the response announces more than %"
                            APR_SIZE_T_FMT " bytes (maxsize=)", o->url,
                            o->max_size);
    }
    if (x->too_big) {
        return apr_psprintf(p, "%s: the response is larger than %"
                            APR_SIZE_T_FMT " bytes (maxsize=)", o->url,
                            o->max_size);
    }
    if (x->oom) {
        return apr_psprintf(p, "%s: out of memory while fetching", o->url);
    }
    if (x->code == CURLE_OPERATION_TIMEDOUT) {
        return apr_psprintf(p, "%s: no complete response within %"
                            APR_TIME_T_FMT " ms (timeout=)", o->url,
                            (apr_time_t)(o->timeout / 1000));
    }
    curl_easy_getinfo(x->h, CURLINFO_OS_ERRNO, &os_errno);
    if (os_errno != 0) {
        char buf[128];

        return apr_psprintf(p, "%s: %s (%s)", o->url,
                            curl_easy_strerror(x->code),
                            apr_strerror((apr_status_t)os_errno, buf,
                                         sizeof(buf)));
    }
    return apr_psprintf(p, "%s: %s", o->url, curl_easy_strerror(x->code));
}

static int finished(void *ctx, certauthz_xfer_t *x, apr_pool_t *p,
                    certauthz_fetch_result_t *res)
{
    long status = 0;
    const char *v;

    if (!x->done) {
        progress(ctx);
    }
    if (!x->done) {
        return 0;
    }
    memset(res, 0, sizeof(*res));
    if (x->code != CURLE_OK) {
        res->error = failure(p, x);
        return 1;
    }
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    if (status == 304) {
        res->status = 304;
        return 1;
    }
    if (status != 200) {
        res->error = apr_psprintf(p, "%s: HTTP status %ld", x->opts->url,
                                  status);
        return 1;
    }
    res->status = 200;
    if ((v = header(x->h, "ETag")) != NULL
        && strlen(v) < sizeof(res->validators.etag)) {
        apr_cpystrn(res->validators.etag, v, sizeof(res->validators.etag));
    }
    if ((v = header(x->h, "Last-Modified")) != NULL) {
        res->last_modified = apr_date_parse_http(v);
        if (strlen(v) < sizeof(res->validators.last_modified)) {
            apr_cpystrn(res->validators.last_modified, v,
                        sizeof(res->validators.last_modified));
        }
    }
    res->body = x->body;
    memset(&x->body, 0, sizeof(x->body));
    return 1;
}

static void release(void *ctx, certauthz_xfer_t *x)
{
    fetcher_t *f = ctx;

    curl_multi_remove_handle(f->multi, x->h);
    xfer_free(x);
}

static void wait_(void *ctx, apr_interval_time_t t)
{
    fetcher_t *f = ctx;
    int ms = (int)(t / 1000);

    /* Unlike curl_multi_wait, curl_multi_poll sleeps the whole time when
     * nothing is being fetched. */
    curl_multi_poll(f->multi, NULL, 0, ms > 0 ? ms : 1, NULL);
    progress(f);
}

static apr_status_t fetcher_cleanup(void *data)
{
    fetcher_t *f = data;

    curl_multi_cleanup(f->multi);
    return APR_SUCCESS;
}

const char *certauthz_fetch_curl(apr_pool_t *p, certauthz_fetch_ops_t *ops)
{
    static int initialized;
    fetcher_t *f = apr_pcalloc(p, sizeof(*f));

    if (!initialized) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            return "libcurl cannot be initialized";
        }
        initialized = 1;
    }
    if ((f->multi = curl_multi_init()) == NULL) {
        return "libcurl cannot be initialized (out of memory)";
    }
    apr_pool_cleanup_register(p, f, fetcher_cleanup, apr_pool_cleanup_null);
    memset(ops, 0, sizeof(*ops));
    ops->ctx = f;
    ops->start = start;
    ops->finished = finished;
    ops->release = release;
    ops->wait = wait_;
    return NULL;
}
