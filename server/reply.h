/* Queueing answers on a connection: the API's, /_stats, /metrics and the
 * server's own errors, each but /_stats' and /metrics' with its
 * Server-Timing. Called on the
 * libmicrohttpd thread from the handler. */
#ifndef DS_REPLY_H
#define DS_REPLY_H

#include "api.h"
#include "server_int.h"

/* A JSON error {"message":...,"type":...}. */
enum MHD_Result ds_reply_error(struct ds_server *srv, struct MHD_Connection *conn,
                               struct ds_req *req, unsigned status, const char *type,
                               const char *message);
/* The API's answer to the request, or the 500 of an injected fault. */
enum MHD_Result ds_reply_api(struct ds_server *srv, struct MHD_Connection *conn,
                             const char *method, const char *url, struct ds_req *req);
/* ns as milliseconds with 3 decimals ("500.664"), as Server-Timing and
 * the access log write them. */
void ds_reply_ms(uint64_t ns, char *buf, size_t len);
/* GET /_stats. */
enum MHD_Result ds_reply_stats(struct ds_server *srv, struct MHD_Connection *conn,
                               struct ds_req *req);
/* GET /metrics (metrics.h). */
enum MHD_Result ds_reply_metrics(struct ds_server *srv, struct MHD_Connection *conn,
                                 struct ds_req *req);

#endif
