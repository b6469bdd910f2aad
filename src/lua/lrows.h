#ifndef DS_LROWS_H
#define DS_LROWS_H
#include <lua.h>
/* require "rows": data files shared by the worker threads (lrows.c). */
int luaopen_rows(lua_State *L);
/* The seed of L's shuffle and random orders (a worker's --seed); without
 * one they use 0, so that every thread and shard still agrees. */
void lrows_set_seed(lua_State *L, lua_Integer seed);
#endif
