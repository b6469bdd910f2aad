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

#include "clock.h"
#include "config.h"
#include "listen.h"
#include "schedule.h"
#include "seed.h"
#include "server_int.h"
#include "store.h"
#include "store_build.h"

/* Per-connection memory pool. libmicrohttpd's 32 KB default costs 168 MB
 * at 5,000 waiting connections. Measured peak RSS with 10,000 waiting:
 * 8 KB 94 MB, 6 KB 75 MB, 4 KB 54 MB. 6 KB leaves room for request
 * lines and headers of about 4 KB (beyond that: 414 / 431). Freed, it
 * stays in the heap for the next burst: the process has one heap policy,
 * main.c's, and the server does not trim (in-process, that would undo
 * the client's). */
#define CONN_MEMORY (6 * 1024)
/* Descriptors kept back from the connection limit for everything else. */
#define FD_RESERVE 64

static struct ds_server *fail(struct ds_server *srv, enum ds_server_err *kind,
                              enum ds_server_err k)
{
    *kind = k;
    if (srv) {
        ds_delay_stop(srv->delay);
        ds_sessions_free(srv->sessions);
        ds_store_free(srv->store);
        ds_tls_free(&srv->tls);
        if (srv->listen_fd >= 0)
            close(srv->listen_fd);
        free(srv);
    }
    return NULL;
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
                   | MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0);
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls.cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls.key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    /* libmicrohttpd 0.9.75 with TURBO spins its thread while a TLS
     * handshake waits for the client, and never times it out */
    flags |= srv->tls.cert_pem ? MHD_USE_TLS : MHD_USE_TURBO;
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
        MHD_OPTION_UNESCAPE_CALLBACK, ds_keep_escapes, NULL,
        MHD_OPTION_ARRAY, srv->tls.cert_pem ? tls : tls + 2,
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
    if (ds_planner_waits(&srv->planner)) {
        size_t queue_max = o->queue_max < 0 ? SIZE_MAX : (size_t)o->queue_max;
        srv->delay = ds_delay_start(o->workers, queue_max, ds_on_due, srv, err, errlen);
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

/* The settings the running server reads, from checked options. */
static void configure(struct ds_server *srv, const struct ds_server_opts *o,
                      const struct ds_plan_cfg *cfg, const struct ds_schedule *sched)
{
    srv->listen_fd = -1;
    srv->log = o->log;
    srv->stats_on = o->stats;
    srv->server_timing = o->server_timing;
    srv->workers = o->workers;
    srv->queue_max = o->queue_max;
    srv->hang_ns = o->timeout > 0 ? (uint64_t)(o->timeout * 1e9) : UINT64_MAX;
    ds_stats_init(&srv->stats);
    /* a schedule from the start counts from the stats' start */
    ds_planner_init(&srv->planner, cfg, sched, o->seed, srv->stats.start_ns);
    srv->drain_s = fmin(ds_planner_typical_max(&srv->planner) + 1.0, 10.0);
}

/* Checked options into srv's settings; -1 with one line in err. */
static int take_options(struct ds_server *srv, const struct ds_server_opts *o, char *err,
                        size_t errlen)
{
    struct ds_plan_cfg cfg;
    /* about 10 KB: on the heap, like the server */
    struct ds_schedule *sched = malloc(sizeof *sched);
    if (!sched) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = ds_config_check(o, &cfg, sched, err, errlen);
    if (rc == 0)
        configure(srv, o, &cfg, sched);
    free(sched);
    return rc;
}

struct ds_server *ds_server_start(const struct ds_server_opts *o, char *err,
                                  size_t errlen, enum ds_server_err *kind)
{
    *kind = DS_SERVER_OK;
    /* about 150 KB with the histograms: on the heap, zeroed */
    struct ds_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        ds_store_free(o->store);
        snprintf(err, errlen, "out of memory");
        return fail(NULL, kind, DS_SERVER_ERUNTIME);
    }
    srv->listen_fd = -1;
    if (take_options(srv, o, err, errlen) != 0) {
        ds_store_free(o->store);
        return fail(srv, kind, DS_SERVER_EUSAGE);
    }
    /* a bad certificate or key file is the user's to fix: exit 2 */
    if (ds_tls_load(o, &srv->tls, err, errlen) != 0) {
        ds_store_free(o->store);
        return fail(srv, kind, DS_SERVER_EUSAGE);
    }
    srv->store = o->store ? o->store : ds_store_seed();
    srv->sessions = ds_sessions_new(DS_SESSIONS_MAX);
    if (!srv->store || !srv->sessions) {
        snprintf(err, errlen, "out of memory");
        return fail(srv, kind, DS_SERVER_ERUNTIME);
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

int ds_server_tls(const struct ds_server *s)
{
    return s->tls.cert_pem != NULL;
}

void ds_server_url(const char *host, unsigned port, int tls, char *buf, size_t len)
{
    int v6 = strchr(host, ':') != NULL;
    snprintf(buf, len, "%s://%s%.256s%s:%u", tls ? "https" : "http", v6 ? "[" : "", host,
             v6 ? "]" : "", port);
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

/* In flight: read (headers in) and not yet answered or closed, /_stats
 * aside; a request still sending its headers is not waited for. */
static long in_flight(struct ds_server *srv)
{
    return (long)ds_stats_in_flight(&srv->stats);
}

/* No request in flight but the hung ones, which never get an answer. */
static int idle(struct ds_server *srv)
{
    return in_flight(srv) - atomic_load(&srv->hung) <= 0;
}

static int none_in_flight(struct ds_server *srv)
{
    return in_flight(srv) == 0;
}

static int none_suspended(struct ds_server *srv)
{
    return atomic_load(&srv->suspended) == 0;
}

static uint64_t after_s(double s)
{
    return ds_now_ns() + (uint64_t)(s * 1e9);
}

void ds_server_stats(struct ds_server *s, struct ds_server_stats *out)
{
    ds_stats_read(&s->stats, s->delay ? ds_delay_queued(s->delay) : 0, out);
    ds_schedule_read(&s->planner.sched, out);
}

void ds_server_stop(struct ds_server *s, struct ds_server_stats *final)
{
    if (!s)
        return;
    /* stop accepting; connections already open keep being served */
    int fd = MHD_quiesce_daemon(s->mhd);
    /* in-flight requests get their normal answer if it comes soon ... */
    wait_for(s, idle, after_s(s->drain_s));
    /* ... the rest (a long --workers queue) are answered at once, and hung
     * requests are closed */
    atomic_store(&s->stopping, 1);
    if (s->delay)
        ds_delay_flush(s->delay);
    /* libmicrohttpd must not be stopped with a connection suspended */
    wait_for(s, none_suspended, after_s(3600));
    wait_for(s, none_in_flight, after_s(1.0));
    MHD_stop_daemon(s->mhd);
    if (fd >= 0)
        close(fd);
    if (final) {
        ds_stats_read(&s->stats, 0, final);
        ds_schedule_read(&s->planner.sched, final);
    }
    ds_delay_stop(s->delay);
    ds_sessions_free(s->sessions);
    ds_store_free(s->store);
    ds_tls_free(&s->tls);
    free(s);
}
