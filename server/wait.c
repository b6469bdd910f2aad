#include "wait.h"

#include <stdio.h>

#include "clock.h"
#include "reply.h"

int ds_conn_fd(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? (int)ci->connect_fd : -1;
}

/* Suspends req and gives it to the timer; -1 when the server is stopping
 * (then nothing happened and the caller answers or closes at once). The
 * socket is watched so a client that hangs up mid-wait is dropped at
 * once: libmicrohttpd does not poll a suspended connection. */
static int suspend(struct ds_server *srv, struct ds_req *req)
{
    /* counted before the stopping check, so ds_server_stop either sees
     * this request suspended or this request sees it stopping */
    atomic_fetch_add(&srv->suspended, 1);
    if (atomic_load(&srv->stopping)) {
        atomic_fetch_sub(&srv->suspended, 1);
        return -1;
    }
    req->phase = DS_PHASE_WAITING;
    req->wait_t0 = ds_now_ns();
    MHD_suspend_connection(req->conn);
    int rc = ds_delay_add(srv->delay, &req->node, ds_conn_fd(req->conn));
    if (rc != 0) {
        /* no timer will resume it, so do it now: out of memory answers at
         * once, a full queue (see ds_wait_start) with 503 */
        req->full = rc == DS_DELAY_FULL;
        req->phase = DS_PHASE_READY;
        MHD_resume_connection(req->conn);
        atomic_fetch_sub(&srv->suspended, 1);
    }
    return 0;
}

static enum MHD_Result reply_full(struct ds_server *srv, struct MHD_Connection *conn,
                                  struct ds_req *req)
{
    char msg[160];
    snprintf(msg, sizeof msg, "All %u workers are busy and %ld requests are waiting already",
             srv->workers, srv->queue_max);
    return ds_reply_error(srv, conn, req, MHD_HTTP_SERVICE_UNAVAILABLE, "ServiceUnavailable",
                          msg);
}

enum MHD_Result ds_wait_start(struct ds_server *srv, struct MHD_Connection *conn,
                              const char *method, const char *url, struct ds_req *req)
{
    /* only this thread adds to the timer and the timer only ever frees
     * room, so a queue found not full here is not full at the add */
    if (ds_delay_full(srv->delay))
        return reply_full(srv, conn, req);
    req->node.wait_ns = req->plan.wait_ns;
    req->node.slotless = 0;
    if (suspend(srv, req) != 0)
        return ds_reply_api(srv, conn, method, url, req);
    return MHD_YES;
}

enum MHD_Result ds_wait_hang(struct ds_server *srv, struct ds_req *req)
{
    req->node.wait_ns = srv->hang_ns;
    req->node.slotless = 1;
    return suspend(srv, req) == 0 ? MHD_YES : MHD_NO;
}

enum MHD_Result ds_wait_done(struct ds_server *srv, struct MHD_Connection *conn,
                             const char *method, const char *url, struct ds_req *req)
{
    if (ds_fault_act(req->plan.fault) == DS_ACT_HOLD)
        return MHD_NO;  /* its timeout, or the server stops: close, no answer */
    if (req->full)
        return reply_full(srv, conn, req);
    return ds_reply_api(srv, conn, method, url, req);
}

static uint64_t since(uint64_t t, uint64_t now)
{
    return now > t ? now - t : 0;
}

/* The delay a request got is measured here, on the timer thread (the
 * histogram's one writer): from its suspension to its release, waiting for
 * a slot included; Server-Timing splits it at the slot. The answer goes
 * out on the libmicrohttpd thread right after (Server-Timing's total
 * counts up to then). */
void ds_on_due(struct ds_delay_node **nodes, size_t n, void *ctx)
{
    struct ds_server *srv = ctx;
    uint64_t now = ds_now_ns();
    for (size_t i = 0; i < n; i++) {
        struct ds_req *req = (struct ds_req *)nodes[i];
        uint64_t slot = nodes[i]->slot_ns;
        req->queue_ns = since(req->wait_t0, slot ? slot : now);
        req->delay_ns = slot ? since(slot, now) : 0;
        req->phase = nodes[i]->state == DS_NODE_GONE ? DS_PHASE_GONE : DS_PHASE_READY;
        if (req->phase == DS_PHASE_READY && ds_fault_act(req->plan.fault) != DS_ACT_HOLD)
            ds_stats_delay(&srv->stats, now - req->wait_t0);
        /* from here the request belongs to the MHD thread again */
        MHD_resume_connection(req->conn);
    }
    atomic_fetch_sub(&srv->suspended, (long)n);
}
