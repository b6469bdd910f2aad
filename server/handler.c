/* The libmicrohttpd callbacks: one request from request line to
 * completion. What a request gets is decided once, when its headers are
 * in (plan.h); waiting is wait.c's job, answers are reply.c's. */
#include "server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "reply.h"
#include "wait.h"

void *ds_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct ds_server *srv = cls;
    struct ds_req *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->conn = conn;
    req->t0 = ds_now_ns();
    req->target_end = uri + strlen(uri);
    req->api = -1;
    req->plan.fault = DS_FAULT_NONE;
    if (srv->log)
        req->uri = strdup(uri);
    return req;
}

/* " phase=10s-15s": the window of the phase it fell in. */
static void phase_text(const struct ds_server *srv, int phase, char *buf, size_t len)
{
    const char *name = srv->planner.sched.w[phase].name;
    snprintf(buf, len, " phase=%.*s", (int)strcspn(name, " "), name);
}

/* METHOD URI STATUS SECONDS [delay=S] [fault=F] [phase=WINDOW]
 * [queue_ms=Q delay_ms=D total_ms=T]: the planned delay and fault show
 * what the seeded draws gave this request, the last three are its
 * Server-Timing figures. */
static void log_request(const struct ds_server *srv, const struct ds_req *req,
                        enum MHD_RequestTerminationCode toe)
{
    double secs = (double)(ds_now_ns() - req->t0) / 1e9;
    char plan[64] = "", phase[48] = "", timing[128] = "";
    if (req->planned)
        snprintf(plan, sizeof plan, " delay=%.6f%s%s", (double)req->plan.wait_ns / 1e9,
                 req->plan.fault == DS_FAULT_NONE ? "" : " fault=",
                 ds_server_fault_name((unsigned)req->plan.fault));
    if (req->planned && req->plan.phase >= 0)
        phase_text(srv, req->plan.phase, phase, sizeof phase);
    if (req->timed) {
        char q[24], d[24], t[24];
        ds_reply_ms(req->queue_ns, q, sizeof q);
        ds_reply_ms(req->delay_ns, d, sizeof d);
        ds_reply_ms(req->total_ns, t, sizeof t);
        snprintf(timing, sizeof timing, " queue_ms=%s delay_ms=%s total_ms=%s", q, d, t);
    }
    const char *uri = req->uri ? req->uri : "?";
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        fprintf(stderr, "%s %s %u %.3fs%s%s%s\n", req->method, uri, req->status, secs, plan,
                phase, timing);
    else
        fprintf(stderr, "%s %s - %.3fs (connection ended early, code %d)%s%s%s\n",
                req->method[0] ? req->method : "-", uri, secs, (int)toe, plan, phase, timing);
}

/* The status that went out: ours, or one libmicrohttpd answered itself
 * (414, 431, 505 ...); 0 when nothing did. */
static unsigned status_sent(struct MHD_Connection *conn, const struct ds_req *req,
                            enum MHD_RequestTerminationCode toe)
{
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        return 0;
    if (req->status)
        return req->status;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
    return ci ? ci->http_status : 0;
}

void ds_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                     enum MHD_RequestTerminationCode toe)
{
    struct ds_server *srv = cls;
    struct ds_req *req = *con_cls;
    if (!req)
        return;
    if (srv->log)
        log_request(srv, req, toe);
    /* hung first: ds_server_stop reads in flight, then hung, and must
     * never see fewer than are to be answered */
    if (ds_fault_act(req->plan.fault) == DS_ACT_HOLD)
        atomic_fetch_sub(&srv->hung, 1);
    if (req->in_flight)
        ds_stats_end(&srv->stats);
    ds_stats_done(&srv->stats, req->route.kind, status_sent(conn, req, toe));
    ds_route_free(&req->route);
    free(req->body);
    free(req->uri);
    free(req);
    *con_cls = NULL;
}

/* Percent-decoding is route.c's job, after the path is split; keeping
 * the escapes here is what makes "/users/a%2Fb" the user "a/b". */
size_t ds_keep_escapes(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strlen(s);
}

/* libmicrohttpd 0.9.75 parses the request line in place and hands out C
 * strings, so a NUL byte inside the target would silently cut it short
 * ("/us\0ers" answered as "/us"). In place, the target's string ends one
 * byte (the space, now a NUL) before the version; if it ends earlier, the
 * target held a NUL. Only pointers are compared, nothing is read. */
static int target_cut_short(const struct ds_req *req, const char *version)
{
    return version != req->target_end + 1;
}

/* The first call: headers are in. Nothing is queued yet: libmicrohttpd
 * 0.9.75 answers "Connection: close" to a response queued on the first
 * call for a request (measured with wrk -t1 -c64: 20,000 req/s that way,
 * 128,000 when queued on the second call). The route is matched here,
 * once. */
static enum MHD_Result first_call(struct ds_server *srv, struct ds_req *req,
                                  const char *method, const char *url, const char *version)
{
    req->phase = DS_PHASE_STARTED;
    req->read_t0 = ds_now_ns();
    snprintf(req->method, sizeof req->method, "%s", method);
    req->nul_in_target = target_cut_short(req, version);
    if (ds_route_match(url, &req->route) != 0)
        return MHD_NO;  /* out of memory: drop the connection */
    int counters = req->route.kind == DS_ROUTE_STATS || req->route.kind == DS_ROUTE_METRICS;
    if (counters && !srv->stats_on) {
        req->route.kind = DS_ROUTE_NONE;
        counters = 0;
    }
    req->api = ds_api_route(method, &req->route);
    if (!counters) {
        /* /_stats and /metrics are not counted, so an idle server shows 0
         * in flight */
        req->in_flight = 1;
        ds_stats_begin(&srv->stats);
    }
    return MHD_YES;
}

/* --reset: the client sees the connection reset (RST, not a clean close:
 * linger 0 makes the close abortive), with no byte of an answer. */
static enum MHD_Result reset(struct MHD_Connection *conn)
{
    int fd = ds_conn_fd(conn);
    struct linger lg = {1, 0};
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    return MHD_NO;
}

/* An API request: its plan, then its fault or its wait or its answer. */
static enum MHD_Result api_call(struct ds_server *srv, struct MHD_Connection *conn,
                                const char *method, const char *url, struct ds_req *req)
{
    const char *xdelay = ds_planner_reads_xdelay(&srv->planner)
        ? MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Delay") : NULL;
    ds_plan_request(&srv->planner, req->api, xdelay, ds_now_ns(), &req->plan);
    if (req->plan.bad_xdelay) {
        char msg[160];
        snprintf(msg, sizeof msg, "X-Delay must be a number of seconds >= 0, got '%.64s'",
                 xdelay);
        return ds_reply_error(srv, conn, req, MHD_HTTP_BAD_REQUEST, "BadRequest", msg);
    }
    req->planned = 1;
    ds_stats_fault(&srv->stats, req->plan.fault);
    switch (ds_fault_act(req->plan.fault)) {
    case DS_ACT_RESET:
        return reset(conn);
    case DS_ACT_HOLD:
        atomic_fetch_add(&srv->hung, 1);
        return ds_wait_hang(srv, req);
    case DS_ACT_ERROR:  /* its delay first, then the 500 (ds_reply_api) */
    case DS_ACT_NONE:
        break;
    }
    if (req->plan.wait_ns && srv->delay)
        return ds_wait_start(srv, conn, method, url, req);
    return ds_reply_api(srv, conn, method, url, req);
}

/* Up to DS_LOGIN_BODY_MAX bytes; beyond, only that it was longer. Out
 * of memory keeps nothing: the login then reads an empty body. */
static void keep_body(struct ds_req *req, const char *data, size_t n)
{
    if (req->body_over || req->body_len + n > DS_LOGIN_BODY_MAX) {
        req->body_over = 1;
        return;
    }
    if (!req->body && !(req->body = malloc(DS_LOGIN_BODY_MAX)))
        return;
    memcpy(req->body + req->body_len, data, n);
    req->body_len += n;
}

enum MHD_Result ds_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    struct ds_server *srv = cls;
    struct ds_req *req = *con_cls;
    if (!req)
        return MHD_NO;  /* ds_on_uri ran out of memory: drop the connection */
    if (req->phase == DS_PHASE_GONE)
        return MHD_NO;  /* nobody to answer: libmicrohttpd closes and frees it */
    if (req->phase == DS_PHASE_NEW)
        return first_call(srv, req, method, url, version);
    if (*upload_data_size) {
        /* only a login's body is kept; any other is read and dropped, and
         * the answer waits for its end (answering early would close the
         * connection under a client still sending) */
        if (req->route.kind == DS_ROUTE_LOGIN)
            keep_body(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->phase == DS_PHASE_READY)
        return ds_wait_done(srv, conn, method, url, req);
    if (req->nul_in_target)
        return ds_reply_error(srv, conn, req, MHD_HTTP_BAD_REQUEST, "BadRequest",
                              "Request target contains a NUL byte");
    if (req->route.kind == DS_ROUTE_STATS && strcmp(method, "GET") == 0)
        return ds_reply_stats(srv, conn, req);
    if (req->route.kind == DS_ROUTE_METRICS && strcmp(method, "GET") == 0)
        return ds_reply_metrics(srv, conn, req);
    if (req->api >= 0)
        return api_call(srv, conn, method, url, req);
    return ds_reply_api(srv, conn, method, url, req);
}
