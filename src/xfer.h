/* One HTTP transfer: an easy handle, its buffers and its outcome. Lives in a
 * Lua full userdata so that a task dropped mid-transfer still frees it. */
#ifndef DS_XFER_H
#define DS_XFER_H

#include <stddef.h>
#include <curl/curl.h>
#include <lua.h>

struct ds_task;

struct ds_buf { char *p; size_t len, cap; };

struct ds_xfer {
    CURL *easy;               /* NULL once released */
    struct curl_slist *hdrs;
    struct ds_buf body, head; /* body; header block of the last response */
    char *url;
    char method[16];
    int in_multi, done;
    int shard;                /* scheduler shard while in_multi */
    CURLcode result;
    struct ds_task *task;     /* woken when done; NULL for a blocking call */
    double started, elapsed;
    char errbuf[CURL_ERROR_SIZE];
};

#define DS_XFER_MT "dockscript.xfer"

/* Pushes a new userdata; raises a Lua error on a bad option. opts at index
 * `opts` may be absent (0). */
struct ds_xfer *xfer_new(lua_State *L, const char *method, const char *url, int opts);
/* Adds the transfer to the scheduler; -1 if it could not. */
int xfer_start(struct ds_xfer *x, struct ds_task *t);
/* Called by the scheduler when curl reports the transfer finished. */
void xfer_complete(struct ds_xfer *x, CURLcode result);
/* Detaches from the multi and frees the handle; safe to call twice. */
void xfer_release(struct ds_xfer *x);
/* Pushes the response table, or raises the transport error. */
int xfer_push_result(lua_State *L, struct ds_xfer *x);
void xfer_pool_free(void);
int luaopen_xfer(lua_State *L);

#endif
