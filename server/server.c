/* Daemon lifecycle: options, start, graceful stop. */
#include "server.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "listen.h"
#include "server_int.h"

/* Per-connection memory pool. libmicrohttpd's 32 KB default costs 168 MB
 * at 5,000 waiting connections. Measured peak RSS with 10,000 waiting:
 * 8 KB 94 MB, 6 KB 75 MB, 4 KB 54 MB. 6 KB leaves room for request
 * lines and headers of about 4 KB (beyond that: 414 / 431). */
#define CONN_MEMORY (6 * 1024)
/* Descriptors kept back from the connection limit for everything else. */
#define FD_RESERVE 64
/* Longest a delay may be: an hour is already absurd for a test server. */
#define MAX_DELAY 3600.0

void ds_server_opts_init(struct ds_server_opts *o)
{
    o->host = "127.0.0.1";
    o->port = 5000;
    o->delay = 0.5;
    o->workers = 0;
    o->data_file = NULL;
    o->log = 0;
    o->timeout = 10;
}

static struct ds_server *fail(struct ds_server *srv, enum ds_server_err *kind,
                              enum ds_server_err k)
{
    *kind = k;
    if (srv) {
        ds_delay_stop(srv->delay);
        ds_store_free(srv->store);
        if (srv->listen_fd >= 0)
            close(srv->listen_fd);
        free(srv);
    }
    return NULL;
}

static int check_opts(const struct ds_server_opts *o, char *err, size_t errlen)
{
    if (!o->host || !*o->host)
        snprintf(err, errlen, "host must not be empty");
    else if (o->port > 65535)
        snprintf(err, errlen, "port %u is out of range 0..65535", o->port);
    else if (!isfinite(o->delay) || o->delay < 0 || o->delay > MAX_DELAY)
        snprintf(err, errlen, "delay must be 0..%g seconds", MAX_DELAY);
    else
        return 0;
    return -1;
}

static unsigned connection_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 1000;
    if (rl.rlim_cur <= FD_RESERVE + 16)
        return 16;
    rlim_t n = rl.rlim_cur - FD_RESERVE;
    return n > 1000000 ? 1000000 : (unsigned)n;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct ds_server *srv = cls;
    if (!srv->log)
        return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    fprintf(stderr, "dockscript serve: libmicrohttpd: %s", line);
}

static struct MHD_Daemon *start_mhd(struct ds_server *srv, int ipv6, double timeout)
{
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME
                   | MHD_USE_TURBO | MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0);
    return MHD_start_daemon(
        flags, 0, NULL, NULL, ds_on_request, srv,
        /* first, or libmicrohttpd logs its complaint about the order itself */
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->listen_fd,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        /* libmicrohttpd counts whole seconds; a fraction rounds up, not to 0 */
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ceil(timeout),
        /* e.g. an HTTP/1.1 request without Host gets 400 */
        MHD_OPTION_STRICT_FOR_CLIENT, 1,
        MHD_OPTION_URI_LOG_CALLBACK, ds_on_uri, srv,
        MHD_OPTION_NOTIFY_COMPLETED, ds_on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, ds_on_connection, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, ds_keep_escapes, NULL,
        MHD_OPTION_END);
}

/* Starts the timer and libmicrohttpd with every signal blocked, so their
 * threads inherit that and signals go to the caller's threads only. */
static int start_threads(struct ds_server *srv, const struct ds_server_opts *o,
                         int ipv6, char *err, size_t errlen)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = 0;
    if (o->delay > 0) {
        srv->delay = ds_delay_start(o->delay, o->workers, ds_on_due, srv, err, errlen);
        rc = srv->delay ? 0 : -1;
    }
    if (rc == 0) {
        srv->mhd = start_mhd(srv, ipv6, o->timeout);
        if (!srv->mhd) {
            snprintf(err, errlen, "libmicrohttpd could not start on port %u", srv->port);
            /* its failure path already closed the socket it was given;
             * closing again could hit a descriptor another thread reused */
            srv->listen_fd = -1;
            rc = -1;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

struct ds_server *ds_server_start(const struct ds_server_opts *o, char *err,
                                  size_t errlen, enum ds_server_err *kind)
{
    *kind = DS_SERVER_OK;
    if (check_opts(o, err, errlen) != 0)
        return fail(NULL, kind, DS_SERVER_EUSAGE);
    struct ds_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errlen, "out of memory");
        return fail(NULL, kind, DS_SERVER_ERUNTIME);
    }
    srv->listen_fd = -1;
    srv->log = o->log;
    srv->delay_s = o->delay;
    srv->store = o->data_file ? ds_store_load(o->data_file, err, errlen) : ds_store_seed();
    if (!srv->store) {
        if (!o->data_file)
            snprintf(err, errlen, "out of memory");
        return fail(srv, kind, o->data_file ? DS_SERVER_EUSAGE : DS_SERVER_ERUNTIME);
    }
    int ipv6 = 0, usage = 0;
    srv->port = o->port;
    srv->listen_fd = ds_listen(o->host, &srv->port, &ipv6, err, errlen, &usage);
    if (srv->listen_fd < 0)
        return fail(srv, kind, usage ? DS_SERVER_EUSAGE : DS_SERVER_ERUNTIME);
    if (start_threads(srv, o, ipv6, err, errlen) != 0)
        return fail(srv, kind, DS_SERVER_ERUNTIME);
    return srv;
}

unsigned ds_server_port(const struct ds_server *s)
{
    return s->port;
}

void ds_server_url(const char *host, unsigned port, char *buf, size_t len)
{
    int v6 = strchr(host, ':') != NULL;
    snprintf(buf, len, "http://%s%.256s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls until cond(srv) holds or the deadline (monotonic ns) passes. */
static int wait_for(struct ds_server *srv, int (*cond)(struct ds_server *), uint64_t deadline)
{
    while (!cond(srv)) {
        if (ds_now_ns() >= deadline)
            return -1;
        nap_ms(5);
    }
    return 0;
}

static int idle(struct ds_server *srv)
{
    return atomic_load(&srv->inflight) == 0;
}

static int none_suspended(struct ds_server *srv)
{
    return atomic_load(&srv->suspended) == 0;
}

static uint64_t after_s(double s)
{
    return ds_now_ns() + (uint64_t)(s * 1e9);
}

void ds_server_stop(struct ds_server *s)
{
    if (!s)
        return;
    /* stop accepting; connections already open keep being served */
    int fd = MHD_quiesce_daemon(s->mhd);
    /* in-flight requests get their normal answer if it comes soon ... */
    wait_for(s, idle, after_s(fmin(s->delay_s + 1.0, 10.0)));
    /* ... the rest (a long --workers queue) are answered at once */
    atomic_store(&s->stopping, 1);
    if (s->delay)
        ds_delay_flush(s->delay);
    /* libmicrohttpd must not be stopped with a connection suspended */
    wait_for(s, none_suspended, after_s(3600));
    wait_for(s, idle, after_s(1.0));
    MHD_stop_daemon(s->mhd);
    if (fd >= 0)
        close(fd);
    ds_delay_stop(s->delay);
    ds_store_free(s->store);
    free(s);
}
