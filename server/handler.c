/* The libmicrohttpd callbacks: one request from request line to
 * completion, including the suspend/resume of its delay. */
#include "server_int.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

void *ds_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct ds_server *srv = cls;
    struct ds_req *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->conn = conn;
    req->t0 = ds_now_ns();
    req->target_end = uri + strlen(uri);
    if (srv->log)
        req->uri = strdup(uri);
    atomic_fetch_add(&srv->inflight, 1);
    return req;
}

void ds_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                     enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    struct ds_server *srv = cls;
    struct ds_req *req = *con_cls;
    if (!req)
        return;
    if (srv->log) {
        double secs = (double)(ds_now_ns() - req->t0) / 1e9;
        if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
            fprintf(stderr, "%s %s %u %.3fs\n", req->method, req->uri ? req->uri : "?",
                    req->status, secs);
        else
            fprintf(stderr, "%s %s - %.3fs (connection ended early, code %d)\n",
                    req->method[0] ? req->method : "-", req->uri ? req->uri : "?",
                    secs, (int)toe);
    }
    free(req->uri);
    free(req);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

/* Connections closed before the allocator is asked to give memory back. */
#define TRIM_AFTER 256

/* glibc keeps freed connection memory for reuse: after 1,000 clients
 * hung up mid-delay the RSS stayed ~6 MB above its baseline. Once the
 * last connection of a burst is gone (libmicrohttpd calls this after it
 * freed the others), hand that memory back to the system. */
void ds_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                      enum MHD_ConnectionNotificationCode code)
{
    (void)conn;
    (void)socket_context;
    struct ds_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&srv->conns, 1);
        return;
    }
    long closed = atomic_fetch_add(&srv->closed, 1) + 1;
    if (atomic_fetch_sub(&srv->conns, 1) != 1 || closed < TRIM_AFTER)
        return;
    atomic_store(&srv->closed, 0);
    malloc_trim(0);
}

/* Percent-decoding is route.c's job, after the path is split; keeping
 * the escapes here is what makes "/users/a%2Fb" the user "a/b". */
size_t ds_keep_escapes(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strlen(s);
}

static enum MHD_Result query_value(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    (void)kind;
    ds_query_set(cls, key, value);
    return MHD_YES;
}

static enum MHD_Result queue_static(struct MHD_Connection *conn, struct ds_req *req,
                                   unsigned status, const char *body)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    req->status = status;
    return ret;
}

static enum MHD_Result queue_oom(struct MHD_Connection *conn, struct ds_req *req)
{
    return queue_static(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR,
                        "{\"message\":\"Out of memory\",\"type\":\"ServerError\"}");
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

static enum MHD_Result answer(struct ds_server *srv, struct MHD_Connection *conn,
                              const char *method, const char *url, struct ds_req *req)
{
    struct ds_query q = {NULL, NULL, NULL};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_value, &q);
    struct ds_reply r;
    if (ds_api_answer(srv->store, method, url, &q, &r) != 0)
        return queue_oom(conn, req);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r.len, r.body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(r.body);
        return queue_oom(conn, req);
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r.text_plain ? "text/plain; charset=utf-8" : "application/json");
    if (r.allow_get)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET");
    enum MHD_Result ret = MHD_queue_response(conn, r.status, resp);
    MHD_destroy_response(resp);
    req->status = r.status;
    return ret;
}

/* The connection's socket, watched so a client that hangs up mid-delay is
 * dropped at once: libmicrohttpd does not poll a suspended connection. */
static int socket_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? (int)ci->connect_fd : -1;
}

static enum MHD_Result start_wait(struct ds_server *srv, struct ds_req *req,
                                  const char *method, const char *url)
{
    /* counted before the stopping check, so ds_server_stop either sees
     * this request suspended or this request sees it stopping */
    atomic_fetch_add(&srv->suspended, 1);
    if (atomic_load(&srv->stopping)) {
        atomic_fetch_sub(&srv->suspended, 1);
        return answer(srv, req->conn, method, url, req);
    }
    req->phase = DS_PHASE_WAITING;
    MHD_suspend_connection(req->conn);
    if (ds_delay_add(srv->delay, &req->node, socket_of(req->conn)) != 0) {
        /* out of memory: no timer will resume it, so do it now */
        req->phase = DS_PHASE_READY;
        MHD_resume_connection(req->conn);
        atomic_fetch_sub(&srv->suspended, 1);
    }
    return MHD_YES;
}

void ds_on_due(struct ds_delay_node **nodes, size_t n, void *ctx)
{
    struct ds_server *srv = ctx;
    for (size_t i = 0; i < n; i++) {
        struct ds_req *req = (struct ds_req *)nodes[i];
        req->phase = nodes[i]->state == DS_NODE_GONE ? DS_PHASE_GONE : DS_PHASE_READY;
        /* from here the request belongs to the MHD thread again */
        MHD_resume_connection(req->conn);
    }
    atomic_fetch_sub(&srv->suspended, (long)n);
}

enum MHD_Result ds_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    (void)upload_data;
    struct ds_server *srv = cls;
    struct ds_req *req = *con_cls;
    if (!req)
        return MHD_NO;  /* ds_on_uri ran out of memory: drop the connection */
    if (req->phase == DS_PHASE_GONE)
        return MHD_NO;  /* nobody to answer: libmicrohttpd closes and frees it */
    if (req->phase == DS_PHASE_NEW) {
        /* queueing on this first call would cost keep-alive (DESIGN) */
        req->phase = DS_PHASE_STARTED;
        snprintf(req->method, sizeof req->method, "%s", method);
        req->nul_in_target = target_cut_short(req, version);
        return MHD_YES;
    }
    if (*upload_data_size) {
        /* no route takes a body: read and drop it, then answer (answering
         * early would close the connection under a client still sending) */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->nul_in_target)
        return queue_static(conn, req, MHD_HTTP_BAD_REQUEST,
                            "{\"message\":\"Request target contains a NUL byte\","
                            "\"type\":\"BadRequest\"}");
    if (req->phase == DS_PHASE_STARTED && srv->delay && ds_api_delayed(method, url))
        return start_wait(srv, req, method, url);
    return answer(srv, conn, method, url, req);
}
