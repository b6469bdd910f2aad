/* One HTTP transfer on the thread's scheduler: an easy handle from a pool,
 * its buffers, curl's callbacks, and its outcome. Knows nothing of Lua: the
 * caller owns the record's memory (lua/lrequest.c keeps it in a userdata so
 * that a task dropped mid-transfer still frees it) and builds the request
 * through the functions below. */
#ifndef DS_XFER_H
#define DS_XFER_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

#include "core/jar.h"
#include "core/sched.h"

#define XFER_POOL_MAX 1024
#define XFER_TAG_MAX 96 /* what an observer files a transfer under; longer is cut */

struct ds_xfer;

/* What the transfers of one thread share. */
struct ds_xfer_env {
    struct ds_sched *sched;
    /* Idle easy handles: curl_easy_init costs more than a reset, and a
     * batch of lookups creates thousands of transfers. */
    CURL *pool[XFER_POOL_MAX];
    int npool;
    struct curl_slist *default_headers; /* built on first use */
    CURL *scratch;                      /* xfer_env_scratch's */
    /* Called once for every finished transfer, before its waiter is woken
     * (a load run's recorder), or NULL. */
    void (*observe)(void *ud, const struct ds_xfer *x);
    void *observe_ud;
    /* Every request's HTTP version and TLS settings unless its own options
     * say otherwise (a load run's --http-version, --cafile, ...); the
     * strings are the caller's and outlive the env. Zero: curl's. */
    int http;                 /* enum xfer_http */
    const struct xfer_tls *tls; /* NULL: none */
};

/* Frees the pooled handles and headers; not the scheduler. */
void xfer_env_free(struct ds_xfer_env *env);
/* env's easy handle for work that is not a transfer (a jar's, jar.h):
 * never in a multi, never reset (that costs more than the work); whoever
 * uses it leaves it attached to no jar. NULL when out of memory. */
CURL *xfer_env_scratch(struct ds_xfer_env *env);

struct ds_buf { char *p; size_t len, cap; };

struct ds_xfer {
    struct ds_transfer tr;    /* the scheduler's: in a multi while tr.easy */
    struct ds_xfer_env *env;
    CURL *easy;               /* NULL once released */
    struct curl_slist *hdrs;  /* opts.headers, then the User-Agent */
    int has_user_agent;       /* hdrs name one */
    struct ds_buf body, head; /* body; header block of the last response */
    char *url;
    char method[16];
    int finished;
    struct ds_waiter *waiter; /* woken when done; NULL for a blocking call */
    struct ds_jar *jar;       /* the cookie jar easy is attached to, or NULL */
    /* The outcome, once finished: */
    CURLcode result;
    long status;              /* HTTP status; 0 if no response came */
    double elapsed;           /* curl's total time */
    /* curl's clock, seconds from the start: name looked up, TCP connected,
     * TLS handshake done (0 without one), first byte in */
    double t_dns, t_connect, t_tls, t_first_byte;
    long http_version;        /* CURL_HTTP_VERSION_1_0, _1_1, _2_0, _3; 0: none */
    long connects;            /* connections it opened: 0 when it reused one */
    int https;                /* the URL says https:// */
    const char *tls_version;  /* "TLSv1.3" (the TLS library's static text), */
    const char *tls_cipher;   /* its cipher; NULL for plain HTTP */
    /* For the observer (set only when there is one): */
    double finished_at;       /* ds_now() at completion */
    int64_t bytes;            /* headers and body received */
    char tag[XFER_TAG_MAX];   /* what the observer files it under */
    char errbuf[CURL_ERROR_SIZE];
};

/* Building a request, in this order: init, params, url, then headers and
 * setup. Memory taken on the way is released by xfer_release, also after
 * a step failed. */

/* Prepares zeroed memory x as a transfer of env: keeps method (upper-cased)
 * and takes an easy handle. -1 when out of memory. */
int xfer_init(struct ds_xfer *x, struct ds_xfer_env *env, const char *method);
/* Appends key=value to the query the URL will get, both escaped by curl
 * (space as %20, hex digits upper case). -1 when out of memory. */
int xfer_add_param(struct ds_xfer *x, const char *key, size_t klen, const char *value,
                   size_t vlen);
/* The URL: url with the params appended to its query (before any
 * #fragment). When env has an observer, the tag becomes "METHOD /path" (no
 * query: one route is one tag). -1 when out of memory. */
int xfer_set_url(struct ds_xfer *x, const char *url);
/* Adds a custom header line ("Name: value"; the caller has checked it has no
 * CR or LF). -1 when out of memory. */
int xfer_add_header(struct ds_xfer *x, const char *line);
/* Which HTTP: curl's default (HTTP/2 by ALPN over TLS, else 1.1), 1.1
 * only, HTTP/2 by ALPN over TLS, or HTTP/2 without TLS by prior
 * knowledge (h2c). */
enum xfer_http { XFER_HTTP_DEFAULT, XFER_HTTP_1_1, XFER_HTTP_2, XFER_HTTP_H2C };

/* The TLS side of a request; NULL strings are curl's defaults. */
struct xfer_tls {
    int insecure;       /* verify neither the peer's certificate nor its name */
    const char *cafile; /* PEM CA certificates to trust instead of the system's */
    const char *capath; /* a directory of them (c_rehash'ed) */
    const char *cert;   /* the client's PEM certificate (mutual TLS) */
    const char *key;    /* its private key, when not in cert's file */
};

/* What a request may carry besides its URL, method and headers. */
struct xfer_opts {
    double timeout;   /* seconds, > 0 */
    int follow;       /* follow redirects */
    const char *body; /* NULL: none */
    size_t body_len;
    struct ds_jar *jar; /* the cookies it sends and stores; NULL: none */
    enum xfer_http http;
    struct xfer_tls tls;
};

/* A finished transfer's time by phase, seconds; they add up to total. */
struct xfer_phases {
    double dns;     /* name lookup */
    double connect; /* TCP connect */
    double tls;     /* TLS handshake */
    double wait;    /* from connected (or start, on a reused connection) to
                       the first byte of the answer: sending the request and
                       the server's time */
    double receive; /* from the first byte to the last */
    double total;
};
void xfer_phases(const struct ds_xfer *x, struct xfer_phases *p);
/* Sets every curl option of the transfer. -1 when out of memory. */
int xfer_setup(struct ds_xfer *x, const struct xfer_opts *o);
/* Adds the transfer to the scheduler, on the shard `preferred` if it has
 * room (a task's previous shard, for keep-alive; -1 none); -1 if it could
 * not. w (NULL for a blocking call) is made ready when the transfer is
 * done; x->tr.shard says where it went. */
int xfer_start(struct ds_xfer *x, struct ds_waiter *w, int preferred);
/* Detaches from the multi and frees the handle and buffers; safe to call
 * twice. The outcome fields stay. */
void xfer_release(struct ds_xfer *x);

#endif
