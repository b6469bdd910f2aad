/* What the server's files share: the daemon handle and the per-request
 * state. Not part of the public interface. */
#ifndef DS_SERVER_INT_H
#define DS_SERVER_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include <microhttpd.h>

#include "delay.h"
#include "plan.h"
#include "route.h"
#include "session.h"
#include "stats.h"
#include "store.h"
#include "tls.h"

struct ds_server {
    struct MHD_Daemon *mhd;
    struct ds_store *store;
    struct ds_delay *delay;      /* NULL when no request can wait */
    struct ds_planner planner;   /* used by the libmicrohttpd thread only */
    struct ds_stats stats;
    struct ds_sessions *sessions; /* POST /login's (session.h) */
    struct ds_tls tls;           /* PEM for libmicrohttpd; empty: plain HTTP */
    int listen_fd;               /* ours again after MHD_quiesce_daemon */
    unsigned port;
    int log;
    int stats_on;                /* GET /_stats answers */
    int server_timing;           /* answers carry a Server-Timing header */
    unsigned workers;
    long queue_max;
    uint64_t hang_ns;            /* a hung request's wait: --timeout, or never */
    double drain_s;              /* how long a stop waits for answers due */
    atomic_int stopping;         /* answer at once, never suspend again */
    atomic_long hung;            /* in flight (stats), hung on purpose (--hang) */
    atomic_long suspended;       /* suspended and not yet resumed */
};

enum ds_phase {
    DS_PHASE_NEW,        /* the request line is in; headers may follow */
    DS_PHASE_STARTED,    /* the handler has seen it once */
    DS_PHASE_WAITING,    /* suspended, in the delay timer */
    DS_PHASE_READY,      /* delay over, resumed: answer now */
    DS_PHASE_GONE        /* the client hung up while waiting: drop it */
};

struct ds_req {
    struct ds_delay_node node;   /* first: the timer hands back this address */
    struct MHD_Connection *conn;
    enum ds_phase phase;
    unsigned status;
    uint64_t t0;                 /* the request line read */
    uint64_t read_t0;            /* its headers read: Server-Timing's start */
    uint64_t wait_t0;            /* when its wait began */
    uint64_t queue_ns, delay_ns; /* waited for a slot, then held (wait.c) */
    uint64_t total_ns;           /* read to answer queued; set when answered */
    int timed;                   /* total_ns and the rest are its answer's */
    char method[16];
    char *uri;                   /* only kept for the access log */
    const char *target_end;      /* end of the request target as a C string */
    int nul_in_target;           /* a NUL byte cut the target short: 400 */
    struct ds_route route;       /* matched once, on the first call */
    int api;                     /* API route index, or -1 (plan.h) */
    struct ds_plan plan;         /* its fault and delay, for API requests */
    int planned;                 /* plan holds a decision (for the log) */
    int in_flight;               /* counted in the stats' in_flight */
    int full;                    /* the slot queue turned it away: 503 */
    char *body;                  /* a login's body (session.h), else NULL */
    size_t body_len;
    int body_over;               /* longer than DS_LOGIN_BODY_MAX */
};

/* libmicrohttpd callbacks (handler.c); cls is the ds_server. */
enum MHD_Result ds_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **con_cls);
void *ds_on_uri(void *cls, const char *uri, struct MHD_Connection *conn);
void ds_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                     enum MHD_RequestTerminationCode toe);
size_t ds_keep_escapes(void *cls, struct MHD_Connection *conn, char *s);
/* The delay timer's batch callback (ctx is the ds_server). */
void ds_on_due(struct ds_delay_node **nodes, size_t n, void *ctx);

#endif
