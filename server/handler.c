/* The libmicrohttpd callbacks: one request from request line to
 * completion, including the suspend/resume of its delay. */
#include "server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "route.h"

void *ds_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct ds_server *srv = cls;
    struct ds_req *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->srv = srv;
    req->conn = conn;
    req->t0 = ds_now_ns();
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

/* Percent-decoding is route.c's job, after the path is split; keeping
 * the escapes here is what makes "/users/a%2Fb" the user "a/b". */
size_t ds_keep_escapes(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strlen(s);
}

static int key_is(const char *key, const char *want)
{
    if (!strchr(key, '%'))
        return strcmp(key, want) == 0;
    int bad;
    char *d = ds_pct_decode(key, strlen(key), &bad);
    int same = d && strcmp(d, want) == 0;
    free(d);
    return same;
}

static enum MHD_Result query_value(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    (void)kind;
    struct ds_query *q = cls;
    const char **slot = key_is(key, "name") ? &q->name
                      : key_is(key, "role") ? &q->role
                      : key_is(key, "salesId") ? &q->sales_id : NULL;
    /* the first of repeated keys wins, as in Flask's request.args.get */
    if (slot && !*slot)
        *slot = value ? value : "";
    return MHD_YES;
}

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
    if (ds_delay_add(srv->delay, &req->node) != 0) {
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
        req->phase = DS_PHASE_READY;
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
    (void)version;
    (void)upload_data;
    struct ds_server *srv = cls;
    struct ds_req *req = *con_cls;
    if (!req)
        return MHD_NO;  /* ds_on_uri ran out of memory: drop the connection */
    if (req->phase == DS_PHASE_NEW) {
        /* queueing on this first call would cost keep-alive (DESIGN) */
        req->phase = DS_PHASE_STARTED;
        snprintf(req->method, sizeof req->method, "%s", method);
        return MHD_YES;
    }
    if (*upload_data_size) {
        /* no route takes a body: read and drop it, then answer (answering
         * early would close the connection under a client still sending) */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->phase == DS_PHASE_STARTED && srv->delay && ds_api_delayed(method, url))
        return start_wait(srv, req, method, url);
    return answer(srv, conn, method, url, req);
}
