/* The --data file of `dockscript serve` and server.start{data = ...}:
 * decoded by lua-cjson (the JSON library the host already links) and
 * built into the server's store through server/store_build.h, so the
 * Lua-free server needs no JSON reader of its own. */
#ifndef DS_DATAFILE_H
#define DS_DATAFILE_H

#include <stddef.h>

#include <lua.h>

struct ds_store;

/* Reads {"users":[...],"customers":[...]} from path. On failure returns
 * NULL and writes one line into err: the file, what is wrong and where
 * (line and column for bad JSON, the record and field otherwise). */
struct ds_store *datafile_load(const char *path, char *err, size_t errlen);
/* The same in the state L (server.start's caller): no state of its own.
 * L's stack is as it was when this returns; it raises only when L's stack
 * cannot grow by 3. */
struct ds_store *datafile_load_in(lua_State *L, const char *path, char *err, size_t errlen);

#endif
