/* The --data file of `dockscript serve` and server.start{data = ...}:
 * decoded by lua-cjson (the JSON library the host already links) and
 * built into the server's store through server/store_build.h, so the
 * Lua-free server needs no JSON reader of its own. */
#ifndef DS_DATAFILE_H
#define DS_DATAFILE_H

#include <stddef.h>

struct ds_store;

/* Reads {"users":[...],"customers":[...]} from path. On failure returns
 * NULL and writes one line into err: the file, what is wrong and where
 * (line and column for bad JSON, the record and field otherwise). */
struct ds_store *datafile_load(const char *path, char *err, size_t errlen);

#endif
