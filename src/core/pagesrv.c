/* The page server (pagesrv.h). One libmicrohttpd daemon, a thread per
 * connection (few: a Prometheus server, a browser or two), so that an
 * event stream's reader may wait for the next event. */
#include "core/pagesrv.h"
#include "core/interrupt.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAGES_MAX 16
#define EVENTS_KEPT 8 /* a client further behind skips to the oldest kept */
#define CLIENTS_MAX 32

struct page {
    char path[96], type[64];
    char *csp, *body;
    size_t len;
    int stream;
};

struct ds_pagesrv {
    struct MHD_Daemon *d;
    int fd, port, stopping;
    pthread_mutex_t lock;
    pthread_cond_t posted;
    struct page pages[PAGES_MAX];
    int npages;
    /* the last events posted, "data: ...\n\n" each: event number n is in
     * slot n % EVENTS_KEPT while n > next - EVENTS_KEPT */
    char *event[EVENTS_KEPT];
    size_t eventlen[EVENTS_KEPT];
    uint64_t next;
};

/* What a stream's client has been sent: event `seq`, up to `off`. */
struct client { struct ds_pagesrv *p; uint64_t seq; size_t off; };

static struct page *find(struct ds_pagesrv *p, const char *path)
{
    for (int i = 0; i < p->npages; i++)
        if (strcmp(p->pages[i].path, path) == 0)
            return &p->pages[i];
    return NULL;
}

static struct page *page_for(struct ds_pagesrv *p, const char *path)
{
    struct page *pg = find(p, path);
    if (pg || p->npages == PAGES_MAX || strlen(path) >= sizeof pg->path)
        return pg;
    pg = &p->pages[p->npages++];
    memset(pg, 0, sizeof *pg);
    snprintf(pg->path, sizeof pg->path, "%s", path);
    return pg;
}

static void wait_1s(struct ds_pagesrv *p)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += 1;
    pthread_cond_timedwait(&p->posted, &p->lock, &ts);
}

/* The stream's body, as events are posted: a comment when none came in a
 * second (so that a client gone is noticed), the end when stopping. */
static ssize_t read_events(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct client *c = cls;
    struct ds_pagesrv *p = c->p;
    pthread_mutex_lock(&p->lock);
    if (c->seq == p->next && !p->stopping)
        wait_1s(p);
    if (p->stopping) {
        pthread_mutex_unlock(&p->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (c->seq == p->next) {
        pthread_mutex_unlock(&p->lock);
        static const char ping[] = ": \n\n";
        size_t n = sizeof ping - 1 < max ? sizeof ping - 1 : max;
        memcpy(buf, ping, n);
        return (ssize_t)n;
    }
    if (p->next - c->seq > EVENTS_KEPT) {
        c->seq = p->next - EVENTS_KEPT;
        c->off = 0;
    }
    int k = (int)(c->seq % EVENTS_KEPT);
    size_t n = p->eventlen[k] - c->off < max ? p->eventlen[k] - c->off : max;
    memcpy(buf, p->event[k] + c->off, n);
    c->off += n;
    if (c->off == p->eventlen[k]) {
        c->seq++;
        c->off = 0;
    }
    pthread_mutex_unlock(&p->lock);
    return (ssize_t)n;
}

static void client_free(void *cls)
{
    free(cls);
}

static enum MHD_Result answer(struct MHD_Connection *conn, struct MHD_Response *r,
                              unsigned status)
{
    if (!r)
        return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result plain(struct MHD_Connection *conn, unsigned status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (r)
        MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    return answer(conn, r, status);
}

/* A page's response, made under the lock (its body copied). */
static struct MHD_Response *respond(struct ds_pagesrv *p, struct page *pg)
{
    struct MHD_Response *r;
    if (pg->stream) {
        struct client *c = calloc(1, sizeof *c);
        if (!c)
            return NULL;
        *c = (struct client){p, p->next, 0};
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, read_events, c,
                                              client_free);
        if (!r) {
            free(c);
            return NULL;
        }
    } else {
        r = MHD_create_response_from_buffer(pg->len, pg->body, MHD_RESPMEM_MUST_COPY);
        if (!r)
            return NULL;
    }
    MHD_add_response_header(r, "Content-Type", pg->type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (pg->csp)
        MHD_add_response_header(r, "Content-Security-Policy", pg->csp);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_len, void **state)
{
    (void)version, (void)upload, (void)upload_len, (void)state;
    struct ds_pagesrv *p = cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return plain(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
    pthread_mutex_lock(&p->lock);
    struct page *pg = find(p, url);
    struct MHD_Response *r = pg && (pg->body || pg->stream) ? respond(p, pg) : NULL;
    pthread_mutex_unlock(&p->lock);
    if (!pg)
        return plain(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    if (!r)
        return plain(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "not yet\n");
    return answer(conn, r, MHD_HTTP_OK);
}

/* The listening socket, made here so that its error is errno's. */
static int listen_on(const char *host, int port, int *family, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *ai;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: not a numeric address", host, port);
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    *family = ai->ai_family;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    if (sa.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
    return ntohs(((struct sockaddr_in *)&sa)->sin_port);
}

struct ds_pagesrv *pagesrv_start(const char *host, int port, char *err, size_t errlen)
{
    int family;
    int fd = listen_on(host, port, &family, err, errlen);
    if (fd < 0)
        return NULL;
    struct ds_pagesrv *p = calloc(1, sizeof *p);
    if (!p) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->fd = fd;
    p->port = bound_port(fd);
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->posted, &ca);
    pthread_condattr_destroy(&ca);
    /* its threads leave SIGINT and SIGTERM to the main thread */
    sigset_t old;
    intr_block(&old);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     (family == AF_INET6 ? MHD_USE_IPv6 : 0);
    p->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, p, MHD_OPTION_LISTEN_SOCKET,
                            (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CLIENTS_MAX,
                            MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    intr_restore(&old);
    if (!p->d) {
        snprintf(err, errlen, "cannot serve on %s:%d", host, port);
        p->fd = -1;
        close(fd);
        pagesrv_stop(p);
        return NULL;
    }
    p->fd = -1; /* the daemon's now: it closes it */
    return p;
}

int pagesrv_port(const struct ds_pagesrv *p)
{
    return p->port;
}

int pagesrv_set(struct ds_pagesrv *p, const char *path, const char *type, const char *csp,
                const char *body, size_t len)
{
    char *copy = malloc(len ? len : 1), *cspcopy = csp ? strdup(csp) : NULL;
    if (!copy || (csp && !cspcopy)) {
        free(copy);
        free(cspcopy);
        return -1;
    }
    memcpy(copy, body, len);
    pthread_mutex_lock(&p->lock);
    struct page *pg = page_for(p, path);
    if (pg) {
        free(pg->body);
        free(pg->csp);
        *pg = (struct page){.body = copy, .len = len, .csp = cspcopy};
        snprintf(pg->path, sizeof pg->path, "%s", path);
        snprintf(pg->type, sizeof pg->type, "%s", type);
    }
    pthread_mutex_unlock(&p->lock);
    if (!pg) {
        free(copy);
        free(cspcopy);
        return -1;
    }
    return 0;
}

int pagesrv_event(struct ds_pagesrv *p, const char *path, const char *data, size_t len)
{
    char *ev = malloc(len + 8);
    if (!ev)
        return -1;
    memcpy(ev, "data: ", 6);
    memcpy(ev + 6, data, len);
    memcpy(ev + 6 + len, "\n\n", 2);
    pthread_mutex_lock(&p->lock);
    struct page *pg = page_for(p, path);
    if (pg && !pg->stream) {
        pg->stream = 1;
        snprintf(pg->type, sizeof pg->type, "text/event-stream");
    }
    int k = (int)(p->next % EVENTS_KEPT);
    if (pg) {
        free(p->event[k]);
        p->event[k] = ev;
        p->eventlen[k] = len + 8;
        p->next++;
        pthread_cond_broadcast(&p->posted);
    }
    pthread_mutex_unlock(&p->lock);
    if (!pg)
        free(ev);
    return pg ? 0 : -1;
}

void pagesrv_stop(struct ds_pagesrv *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->posted);
    pthread_mutex_unlock(&p->lock);
    if (p->d)
        MHD_stop_daemon(p->d);
    if (p->fd >= 0)
        close(p->fd);
    for (int i = 0; i < p->npages; i++) {
        free(p->pages[i].body);
        free(p->pages[i].csp);
    }
    for (int k = 0; k < EVENTS_KEPT; k++)
        free(p->event[k]);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->posted);
    free(p);
}
