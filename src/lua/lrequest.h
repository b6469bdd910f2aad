/* A request as Lua writes it (method, URL and an options table) turned into
 * a transfer (core/xfer.h), and its outcome turned back into a response
 * table. The transfer lives in a userdata, so that a task dropped mid-way
 * still frees it. */
#ifndef DS_LREQUEST_H
#define DS_LREQUEST_H

#include <lua.h>

#include "core/xfer.h"

/* The cookie jar of a request made from L: its VU's (a task's), or the
 * runtime's. */
struct ds_jar *request_jar(lua_State *L);
/* Pushes a new transfer built from url and the options table at index
 * `opts` (0 or nil: none); raises a Lua error on a bad option or URL. */
struct ds_xfer *request_new(lua_State *L, struct ds_xfer_env *env, const char *method,
                            const char *url, int opts);
/* Pushes the response table of a finished transfer, or raises its
 * transport error ("METHOD URL: reason"). */
int request_push_result(lua_State *L, struct ds_xfer *x);
/* Registers the metatables of transfers and responses in L. */
void request_register(lua_State *L);

#endif
