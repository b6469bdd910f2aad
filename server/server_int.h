/* What the server's files share: the daemon handle and the per-request
 * state. Not part of the public interface. */
#ifndef DS_SERVER_INT_H
#define DS_SERVER_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include <microhttpd.h>

#include "delay.h"
#include "store.h"

struct ds_server {
    struct MHD_Daemon *mhd;
    struct ds_store *store;
    struct ds_delay *delay;      /* NULL when the delay is 0 */
    int listen_fd;               /* ours again after MHD_quiesce_daemon */
    unsigned port;
    int log;
    double delay_s;
    atomic_int stopping;         /* answer at once, never suspend again */
    atomic_long inflight;        /* requests between request line and completion */
    atomic_long suspended;       /* suspended and not yet resumed */
    atomic_long conns;           /* open connections */
    atomic_long closed;          /* connections closed since the last trim */
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
    uint64_t t0;
    char method[16];
    char *uri;                   /* only kept for the access log */
    const char *target_end;      /* end of the request target as a C string */
    int nul_in_target;           /* a NUL byte cut the target short: 400 */
};

/* libmicrohttpd callbacks (handler.c); cls is the ds_server. */
enum MHD_Result ds_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **con_cls);
void *ds_on_uri(void *cls, const char *uri, struct MHD_Connection *conn);
void ds_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                     enum MHD_RequestTerminationCode toe);
void ds_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                      enum MHD_ConnectionNotificationCode code);
size_t ds_keep_escapes(void *cls, struct MHD_Connection *conn, char *s);
/* The delay timer's batch callback (ctx is the ds_server). */
void ds_on_due(struct ds_delay_node **nodes, size_t n, void *ctx);

#endif
