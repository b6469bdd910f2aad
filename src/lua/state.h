/* A dockscript Lua state, for the main thread and for every worker
 * thread alike: the standard libraries and every module (http, json,
 * clock, server, metrics, sys, runner), each thread with its own runtime
 * (lua/rt.h). */
#ifndef DS_STATE_H
#define DS_STATE_H

#include <lua.h>
#include <stddef.h>

/* scripts: the bundled scripts folder, as sys.scripts. NULL with one line
 * in err when the state cannot be made (out of memory included). */
lua_State *state_new(const char *scripts, char *err, size_t errlen);
/* Closes L, then frees what its finalizers released into its runtime. */
void state_free(lua_State *L);

#endif
