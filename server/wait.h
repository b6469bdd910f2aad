/* A request that waits: suspended in libmicrohttpd and handed to the one
 * delay timer, resumed by it (ds_on_due) when its time comes or its
 * client hangs up. */
#ifndef DS_WAIT_H
#define DS_WAIT_H

#include "server_int.h"

/* The connection's socket, or -1. */
int ds_conn_fd(struct MHD_Connection *conn);
/* Waits req->plan.wait_ns once it holds a --workers slot, then answers;
 * 503 at once when the slot queue is full. */
enum MHD_Result ds_wait_start(struct ds_server *srv, struct MHD_Connection *conn,
                              const char *method, const char *url, struct ds_req *req);
/* Holds a hung request (--hang) without a slot until its client leaves or
 * the timeout; then it is closed without an answer. */
enum MHD_Result ds_wait_hang(struct ds_server *srv, struct ds_req *req);
/* The call after the resume: the answer (or the close) the wait led to. */
enum MHD_Result ds_wait_done(struct ds_server *srv, struct MHD_Connection *conn,
                             const char *method, const char *url, struct ds_req *req);

#endif
