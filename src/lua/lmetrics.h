#ifndef DS_LMETRICS_H
#define DS_LMETRICS_H
#include <lua.h>

#include "hist/hist.h"

int luaopen_metrics(lua_State *L);
/* The histogram of the metrics.histogram userdata at idx (raises a Lua
 * argument error otherwise). It stays owned by the userdata. */
struct ds_hist *lmetrics_check(lua_State *L, int idx);
/* Pushes a metrics.histogram userdata that takes ownership of h (freed by
 * its __gc), in any state, whether or not it opened the metrics module. On
 * a Lua memory error h is freed before the error propagates. */
void lmetrics_push(lua_State *L, struct ds_hist *h);
#endif
