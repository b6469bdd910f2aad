/* A tiny HTTP server of pages the program replaces as it goes (load.lua
 * --metrics and --dashboard): GET PATH answers the latest body set for
 * PATH, on its own libmicrohttpd thread, so a slow or vanished client
 * never holds up the caller, which only swaps a copy under a mutex. An
 * event stream (Server-Sent Events) path holds each client open and sends
 * every event posted after it connected. */
#ifndef DS_PAGESRV_H
#define DS_PAGESRV_H

#include <stddef.h>

struct ds_pagesrv;

/* Listens on host (numeric IPv4 or IPv6) and port (0: any free one); NULL
 * with one line in err ("cannot listen on 127.0.0.1:9090: Address already
 * in use"). */
struct ds_pagesrv *pagesrv_start(const char *host, int port, char *err, size_t errlen);
int pagesrv_port(const struct ds_pagesrv *p);
/* GET path answers body (copied) with this Content-Type and, when csp is
 * not NULL, this Content-Security-Policy. -1 when out of memory. */
int pagesrv_set(struct ds_pagesrv *p, const char *path, const char *type, const char *csp,
                const char *body, size_t len);
/* path becomes an event stream; every client connected gets `data` as one
 * event (data must hold no newline: JSON on one line). -1 when out of memory. */
int pagesrv_event(struct ds_pagesrv *p, const char *path, const char *data, size_t len);
/* Ends every stream and stops the server. */
void pagesrv_stop(struct ds_pagesrv *p);

#endif
