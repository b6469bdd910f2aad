/* One HTTP transfer: an easy handle, its buffers and its outcome. Lives in a
 * Lua full userdata so that a task dropped mid-transfer still frees it. */
#ifndef DS_XFER_H
#define DS_XFER_H

#include <stddef.h>
#include <curl/curl.h>
#include <lua.h>

#include "load/record.h"
#include "core/sched.h"

struct ds_task;

#define XFER_POOL_MAX 1024

/* What the transfers of one thread share. */
struct ds_xfer_env {
    struct ds_sched *sched;
    /* Idle easy handles: curl_easy_init costs more than a reset, and a
     * batch of lookups creates thousands of transfers. */
    CURL *pool[XFER_POOL_MAX];
    int npool;
    struct curl_slist *default_headers; /* built on first use */
    struct ds_rec *rec;                 /* a load run's recorder, or NULL */
};

/* Frees the pooled handles and headers; not the scheduler. */
void xfer_env_free(struct ds_xfer_env *env);

struct ds_buf { char *p; size_t len, cap; };

struct ds_xfer {
    struct ds_done done;      /* first: curl's private pointer is to it */
    struct ds_xfer_env *env;
    CURL *easy;               /* NULL once released */
    struct curl_slist *hdrs;
    struct ds_buf body, head; /* body; header block of the last response */
    char *url;
    char method[16];
    int in_multi, finished;
    int shard;                /* scheduler shard while in_multi */
    CURLcode result;
    struct ds_task *task;     /* woken when done; NULL for a blocking call */
    double elapsed;           /* curl's total time */
    double t_connect, t_first_byte; /* curl's, from the start */
    char tag[REC_TAG_MAX];    /* what the recorder files it under */
    char errbuf[CURL_ERROR_SIZE];
};

#define DS_XFER_MT "dockscript.xfer"

/* Pushes a new userdata; raises a Lua error on a bad option. opts at index
 * `opts` may be absent (0). */
struct ds_xfer *xfer_new(lua_State *L, struct ds_xfer_env *env, const char *method,
                         const char *url, int opts);
/* Adds the transfer to the scheduler; -1 if it could not. t (NULL for a
 * blocking call) is made ready when the transfer is done. */
int xfer_start(struct ds_xfer *x, struct ds_task *t);
/* Detaches from the multi and frees the handle; safe to call twice. */
void xfer_release(struct ds_xfer *x);
/* Pushes the response table, or raises the transport error. */
int xfer_push_result(lua_State *L, struct ds_xfer *x);
/* Registers the metatables transfers and responses use in L. */
void xfer_register(lua_State *L);

#endif
