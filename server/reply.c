#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "metrics.h"
#include "session.h"

static enum MHD_Result queue_oom(struct MHD_Connection *conn, struct ds_req *req)
{
    static const char body[] = "{\"message\":\"Out of memory\",\"type\":\"ServerError\"}";
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, resp);
    MHD_destroy_response(resp);
    req->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    return ret;
}

/* "500.664" at p (room for 25 bytes): ns as milliseconds with three
 * decimals, rounded to the microsecond. By hand, as it runs three times
 * on every answer. Returns the end. */
static char *put_ms(char *p, uint64_t ns)
{
    uint64_t us = ns / 1000 + (ns % 1000 >= 500);
    char digits[24];
    int n = 0;
    /* at least "0.000": the integer part's one digit and three decimals */
    do {
        digits[n++] = (char)('0' + us % 10);
        us /= 10;
    } while (us || n < 4);
    while (n > 3)
        *p++ = digits[--n];
    *p++ = '.';
    while (n > 0)
        *p++ = digits[--n];
    return p;
}

void ds_reply_ms(uint64_t ns, char *buf, size_t len)
{
    char tmp[32];
    *put_ms(tmp, ns) = '\0';
    snprintf(buf, len, "%s", tmp);
}

/* "queue;dur=Q, delay;dur=D, total;dur=T" into buf (room for 128). */
static void timing_value(const struct ds_req *req, char *buf)
{
    static const char q[] = "queue;dur=", d[] = ", delay;dur=", t[] = ", total;dur=";
    char *p = buf;
    memcpy(p, q, sizeof q - 1);
    p = put_ms(p + sizeof q - 1, req->queue_ns);
    memcpy(p, d, sizeof d - 1);
    p = put_ms(p + sizeof d - 1, req->delay_ns);
    memcpy(p, t, sizeof t - 1);
    p = put_ms(p + sizeof t - 1, req->total_ns);
    *p = '\0';
}

/* Server-Timing (W3C): the time from the headers read to now, the answer
 * about to be queued, and what of it went to a slot and to the delay
 * (0 for a request that never waited). The figures also go to the stats
 * and the access log, header or not. */
static void add_timing(struct ds_server *srv, struct MHD_Response *resp, struct ds_req *req)
{
    req->total_ns = ds_now_ns() - req->read_t0;
    req->timed = 1;
    ds_stats_timing(&srv->stats, req->queue_ns, req->delay_ns, req->total_ns);
    if (!srv->server_timing)
        return;
    char value[128];
    timing_value(req, value);
    MHD_add_response_header(resp, "Server-Timing", value);
}

/* Hands r's body to libmicrohttpd (freed by it) and queues it; timed: the
 * answer gets Server-Timing (all but /_stats'). */
static enum MHD_Result queue(struct ds_server *srv, struct MHD_Connection *conn,
                             struct ds_req *req, struct ds_reply *r, int timed)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(r->body);
        return queue_oom(conn, req);
    }
    const char *type = r->content_type ? r->content_type
                     : r->text_plain   ? "text/plain; charset=utf-8"
                                       : "application/json";
    if (r->status != MHD_HTTP_NO_CONTENT)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (r->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->set_cookie[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
    if (timed)
        add_timing(srv, resp, req);
    enum MHD_Result ret = MHD_queue_response(conn, r->status, resp);
    MHD_destroy_response(resp);
    req->status = r->status;
    return ret;
}

enum MHD_Result ds_reply_error(struct ds_server *srv, struct MHD_Connection *conn,
                               struct ds_req *req, unsigned status, const char *type,
                               const char *message)
{
    struct ds_reply r;
    if (ds_api_error(&r, status, type, message) != 0)
        return queue_oom(conn, req);
    return queue(srv, conn, req, &r, 1);
}

static enum MHD_Result query_value(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    (void)kind;
    ds_query_set(cls, key, value);
    return MHD_YES;
}

/* A session route: its cookie and body from the connection. */
static int session_reply(struct ds_server *srv, struct MHD_Connection *conn, const char *method,
                         const struct ds_req *req, struct ds_reply *r)
{
    struct ds_session_in in = {
        .cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "session"),
        .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_CONTENT_TYPE),
        .body = req->body,
        .body_len = req->body_len,
        .body_over = req->body_over,
    };
    return ds_session_reply(srv->sessions, srv->store, method, &req->route, &in, r);
}

enum MHD_Result ds_reply_api(struct ds_server *srv, struct MHD_Connection *conn,
                             const char *method, const char *url, struct ds_req *req)
{
    if (ds_fault_act(req->plan.fault) == DS_ACT_ERROR) {
        char msg[128];
        snprintf(msg, sizeof msg, "Injected fault: this request was chosen to fail (--%s)",
                 ds_server_fault_name((unsigned)req->plan.fault));
        return ds_reply_error(srv, conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "InjectedFault",
                              msg);
    }
    struct ds_reply r;
    if (ds_session_route(req->route.kind)) {
        if (session_reply(srv, conn, method, req, &r) != 0)
            return queue_oom(conn, req);
        return queue(srv, conn, req, &r, 1);
    }
    struct ds_query q = {NULL, NULL, NULL};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_value, &q);
    if (ds_api_reply(srv->store, method, url, &req->route, &q, &r) != 0)
        return queue_oom(conn, req);
    return queue(srv, conn, req, &r, 1);
}

enum MHD_Result ds_reply_stats(struct ds_server *srv, struct MHD_Connection *conn,
                               struct ds_req *req)
{
    struct ds_server_stats st;
    ds_server_stats(srv, &st);
    struct ds_buf b;
    ds_buf_init(&b);
    ds_stats_json(&st, &b);
    struct ds_reply r = {.status = MHD_HTTP_OK};
    r.body = ds_buf_take(&b, &r.len);
    if (!r.body)
        return queue_oom(conn, req);
    return queue(srv, conn, req, &r, 0);
}

enum MHD_Result ds_reply_metrics(struct ds_server *srv, struct MHD_Connection *conn,
                                 struct ds_req *req)
{
    struct ds_buf b;
    ds_buf_init(&b);
    ds_metrics_text(&srv->stats, srv->delay ? ds_delay_queued(srv->delay) : 0, &b);
    struct ds_reply r = {.status = MHD_HTTP_OK, .content_type = DS_METRICS_TYPE};
    r.body = ds_buf_take(&b, &r.len);
    if (!r.body)
        return queue_oom(conn, req);
    return queue(srv, conn, req, &r, 0);
}
