/* HTTP transfers on the thread's scheduler: the easy handle's options,
 * collecting the response, and what a finished transfer reports. */
#include "core/xfer.h"
#include "core/tlsinfo.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The User-Agent goes in as a custom header: CURLOPT_USERAGENT costs a
 * formatted allocation per transfer, and this shared list costs nothing. */
#define USER_AGENT "User-Agent: dockscript/" DS_VERSION

/* (Keeping the transfers' buffers in the pool too was tried: 20 MB more peak
 * RSS at 10,000 lookups for 2% fewer instructions.) */
static CURL *easy_get(struct ds_xfer_env *env)
{
    if (env->npool)
        return env->pool[--env->npool];
    return curl_easy_init();
}

static void easy_put(struct ds_xfer_env *env, CURL *e)
{
    if (env->npool == XFER_POOL_MAX) {
        curl_easy_cleanup(e);
        return;
    }
    curl_easy_reset(e);
    env->pool[env->npool++] = e;
}

CURL *xfer_env_scratch(struct ds_xfer_env *env)
{
    if (!env->scratch)
        env->scratch = curl_easy_init();
    return env->scratch;
}

void xfer_env_free(struct ds_xfer_env *env)
{
    curl_slist_free_all(env->default_headers);
    env->default_headers = NULL;
    while (env->npool)
        curl_easy_cleanup(env->pool[--env->npool]);
    if (env->scratch)
        curl_easy_cleanup(env->scratch);
    env->scratch = NULL;
}

static int buf_add(struct ds_buf *b, const char *p, size_t n)
{
    if (b->len + n > b->cap) {
        /* API answers are a few hundred bytes; 10,000 transfers in flight
         * each hold two of these. */
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static void buf_free(struct ds_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct ds_xfer *x = ud;
    return buf_add(&x->body, p, size * n) ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct ds_xfer *x = ud;
    /* A new status line starts a new response (100 Continue, redirects):
     * keep only the last one's headers. */
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        x->head.len = 0;
        x->body.len = 0;
        /* while the connection is the transfer's: curl forgets it at the end */
        if (x->https)
            tlsinfo_read(x->easy, &x->tls_version, &x->tls_cipher);
    }
    /* the jar may hold cookies now: the next iteration empties it */
    if (x->jar && n > 11 && (p[0] == 'S' || p[0] == 's') && strncasecmp(p, "Set-Cookie:", 11) == 0)
        x->jar->dirty = 1;
    return buf_add(&x->head, p, size * n) ? 0 : size * n;
}

static void xfer_complete(struct ds_transfer *t, CURLcode result, const char *why);

int xfer_init(struct ds_xfer *x, struct ds_xfer_env *env, const char *method)
{
    x->env = env;
    x->tr.done = xfer_complete;
    snprintf(x->method, sizeof x->method, "%s", method);
    for (char *c = x->method; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    x->easy = easy_get(env);
    return x->easy ? 0 : -1;
}

/* Until the URL is set, the body buffer holds the query: it is the
 * transfer's own memory, unused before the transfer starts. */
int xfer_add_param(struct ds_xfer *x, const char *key, size_t klen, const char *value,
                   size_t vlen)
{
    char *ek = curl_easy_escape(x->easy, key, (int)klen);
    char *ev = curl_easy_escape(x->easy, value, (int)vlen);
    struct ds_buf *q = &x->body;
    int bad = !ek || !ev || (q->len && buf_add(q, "&", 1)) || buf_add(q, ek, strlen(ek)) ||
              buf_add(q, "=", 1) || buf_add(q, ev, strlen(ev));
    curl_free(ek);
    curl_free(ev);
    return bad ? -1 : 0;
}

/* "METHOD /path": the path without query or fragment ("/" if none). curl's
 * URL API would also normalize it (dot segments), but parsing every URL once
 * more cost 7% more instructions per request in a recorded load run. */
static void set_tag(struct ds_xfer *x)
{
    const char *p = strstr(x->url, "://"); /* none when curl is to guess the scheme */
    p = p ? p + 3 : x->url;
    p += strcspn(p, "/?#"); /* past the authority */
    int n = (int)strcspn(p, "?#");
    snprintf(x->tag, sizeof x->tag, "%s %.*s", x->method, n ? n : 1, n ? p : "/");
}

int xfer_set_url(struct ds_xfer *x, const char *url)
{
    struct ds_buf *q = &x->body;
    /* A '#' can only start the fragment (RFC 3986): the query goes before. */
    size_t at = strcspn(url, "#"), len = strlen(url);
    const char *sep = !q->len ? "" : memchr(url, '?', at) ? "&" : "?";
    size_t ns = strlen(sep);
    char *u = malloc(len + ns + q->len + 1);
    if (!u)
        return -1;
    memcpy(u, url, at);
    memcpy(u + at, sep, ns);
    if (q->len)
        memcpy(u + at + ns, q->p, q->len);
    memcpy(u + at + ns + q->len, url + at, len - at + 1); /* the fragment and the NUL */
    x->url = u;
    x->https = strncasecmp(u, "https://", 8) == 0;
    q->len = 0;
    if (x->env->observe)
        set_tag(x);
    return 0;
}

int xfer_add_header(struct ds_xfer *x, const char *line)
{
    struct curl_slist *n = curl_slist_append(x->hdrs, line);
    if (!n)
        return -1;
    x->hdrs = n;
    x->has_user_agent |= strncasecmp(line, "User-Agent:", 11) == 0;
    return 0;
}

/* Every request names dockscript unless its headers name a User-Agent. */
static int finish_headers(struct ds_xfer *x)
{
    if (!x->hdrs) {
        struct ds_xfer_env *env = x->env;
        if (!env->default_headers)
            env->default_headers = curl_slist_append(NULL, USER_AGENT);
        if (!env->default_headers)
            return -1;
        curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, env->default_headers);
        return 0;
    }
    if (!x->has_user_agent && xfer_add_header(x, USER_AGENT) != 0)
        return -1;
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
    return 0;
}

static int set_method(struct ds_xfer *x, const struct xfer_opts *o)
{
    CURL *e = x->easy;
    if (strcmp(x->method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (strcmp(x->method, "GET") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
    if (!o->body)
        return 0;
    if (xfer_add_header(x, "Expect:") != 0) /* no 100-continue pause on large bodies */
        return -1;
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
    if (curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, o->body) != CURLE_OK)
        return -1;
    if (strcmp(x->method, "POST") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
    return 0;
}

static void set_http(CURL *e, enum xfer_http v)
{
    static const long versions[] = {
        [XFER_HTTP_1_1] = CURL_HTTP_VERSION_1_1,
        [XFER_HTTP_2] = CURL_HTTP_VERSION_2TLS,
        [XFER_HTTP_H2C] = CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE,
    };
    if (v == XFER_HTTP_DEFAULT)
        return;
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, versions[v]);
    /* Before 8.0.0 (Debian 12 has 7.88.1) curl puts a second HTTP/2 layer
     * on a prior-knowledge connection it reuses, and the request fails
     * ("Error in the HTTP2 framing layer", curl issue 10634): there, each
     * h2c request gets a connection of its own. */
    if (v == XFER_HTTP_H2C && curl_version_info(CURLVERSION_NOW)->version_num < 0x080000) {
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
        return;
    }
    /* a transfer that finds a connection being set up waits to multiplex
     * on it rather than open its own */
    if (v != XFER_HTTP_1_1)
        curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
}

/* curl copies the strings. -1 when out of memory. */
static int set_tls(CURL *e, const struct xfer_tls *t)
{
    if (t->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    CURLcode rc = CURLE_OK;
    if (t->cafile && rc == CURLE_OK)
        rc = curl_easy_setopt(e, CURLOPT_CAINFO, t->cafile);
    if (t->capath && rc == CURLE_OK)
        rc = curl_easy_setopt(e, CURLOPT_CAPATH, t->capath);
    if (t->cert && rc == CURLE_OK)
        rc = curl_easy_setopt(e, CURLOPT_SSLCERT, t->cert);
    if (t->key && rc == CURLE_OK)
        rc = curl_easy_setopt(e, CURLOPT_SSLKEY, t->key);
    return rc == CURLE_OK ? 0 : -1;
}

int xfer_setup(struct ds_xfer *x, const struct xfer_opts *o)
{
    CURL *e = x->easy;
    if (curl_easy_setopt(e, CURLOPT_URL, x->url) != CURLE_OK)
        return -1;
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(o->timeout * 1000.0 + 0.5));
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, o->follow ? 1L : 0L);
    /* A benchmark of a loopback server must not go through $http_proxy;
     * this also spares curl an environment lookup per transfer. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    /* curl allocates this receive buffer for every transfer in flight (16 KB
     * by default): 10,000 waiting lookups pay it 10,000 times, while an API
     * answer is a few hundred bytes. Measured: 10,000 lookups peak at 177 MB
     * RSS with 2 KB (197 MB with 4 KB); a 10 MB body takes 14 ms (12 ms). */
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 2048L);
    set_http(e, o->http);
    if (set_tls(e, &o->tls) != 0 || set_method(x, o) != 0)
        return -1;
    if (o->jar) {
        if (jar_attach(o->jar, e) != 0)
            return -1;
        x->jar = o->jar;
    }
    return finish_headers(x);
}

int xfer_start(struct ds_xfer *x, struct ds_waiter *w, int preferred)
{
    x->waiter = w;
    return sched_add(x->env->sched, &x->tr, x->easy, preferred);
}

void xfer_release(struct ds_xfer *x)
{
    if (x->easy) {
        sched_remove(x->env->sched, &x->tr);
        if (x->jar)
            jar_detach(x->easy);
        x->jar = NULL;
        easy_put(x->env, x->easy);
        x->easy = NULL;
    }
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    buf_free(&x->body);
    buf_free(&x->head);
    free(x->url);
    x->url = NULL;
    x->waiter = NULL;
}

static double info_seconds(CURL *e, CURLINFO what)
{
    curl_off_t us = 0;
    curl_easy_getinfo(e, what, &us);
    return (double)us / 1e6;
}

/* The scheduler's callback: the transfer has finished and left the multi.
 * curl's own clock for the phases: the scheduler's wake-ups do not count. */
static void xfer_complete(struct ds_transfer *t, CURLcode result, const char *why)
{
    struct ds_xfer *x = (struct ds_xfer *)(void *)((char *)t - offsetof(struct ds_xfer, tr));
    CURL *e = x->easy;
    x->result = result;
    x->finished = 1;
    if (why)
        snprintf(x->errbuf, sizeof x->errbuf, "%s", why);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &x->status);
    x->elapsed = info_seconds(e, CURLINFO_TOTAL_TIME_T);
    x->t_dns = info_seconds(e, CURLINFO_NAMELOOKUP_TIME_T);
    x->t_connect = info_seconds(e, CURLINFO_CONNECT_TIME_T);
    x->t_tls = info_seconds(e, CURLINFO_APPCONNECT_TIME_T);
    x->t_first_byte = info_seconds(e, CURLINFO_STARTTRANSFER_TIME_T);
    curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &x->http_version);
    curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &x->connects);
    struct ds_xfer_env *env = x->env;
    if (env->observe) {
        curl_off_t body = 0;
        long head = 0;
        curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &body);
        curl_easy_getinfo(e, CURLINFO_HEADER_SIZE, &head);
        x->bytes = (int64_t)body + head;
        x->finished_at = ds_now();
        env->observe(env->observe_ud, x);
    }
    if (x->waiter)
        sched_make_ready(env->sched, x->waiter);
}

static double since(double t, double from)
{
    return t > from ? t - from : 0.0;
}

/* curl's times are cumulative from the start. A transfer that opened no
 * connection (reused one, or multiplexed on one) has no lookup, connect or
 * handshake: all of its time before the first byte is wait. With follow,
 * the phases are the last request's connection's and wait holds the
 * redirects. */
void xfer_phases(const struct ds_xfer *x, struct xfer_phases *p)
{
    /* curl still times a lookup in its cache on reuse: that is wait too */
    int fresh = x->connects > 0;
    double dns = fresh ? x->t_dns : 0.0, conn = fresh ? x->t_connect : 0.0;
    double tls = fresh ? x->t_tls : 0.0;
    double ready = conn > dns ? conn : dns;
    ready = tls > ready ? tls : ready;
    double first = x->t_first_byte > ready ? x->t_first_byte : ready;
    p->dns = dns;
    p->connect = since(conn, dns);
    p->tls = tls > 0 ? since(tls, conn) : 0.0;
    p->wait = since(first, ready);
    p->receive = since(x->elapsed, first);
    p->total = x->elapsed;
}
