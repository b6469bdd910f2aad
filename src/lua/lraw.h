/* A worker's raw figures into Lua tables, as runner.run returns them
 * (lrunner.c); shared with the live deltas of llive.c. */
#ifndef DS_LRAW_H
#define DS_LRAW_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#include "load/record.h"

/* t[k] = v for the table on top of the stack. */
void raw_int(lua_State *L, const char *k, int64_t v);
void raw_num(lua_State *L, const char *k, double v);

/* Pushes *h (a new empty one of `digits` if NULL) as a metrics histogram,
 * which now owns it: *h becomes NULL. */
void push_hist(lua_State *L, struct ds_hist **h, int digits);
/* {[tag] = {count, bytes, histogram, status, errors, ...}}; the
 * histograms move into Lua. */
void push_requests(lua_State *L, struct ds_rec *r);
/* {[tag] = {requests, errors, histogram}} of second s (ascending calls;
 * cursor[i] where tag i's list stands, REC_MAX_TAGS of them). */
void push_tag_seconds(lua_State *L, struct ds_rec *r, int64_t s, size_t *cursor);

/* [{message, count, first}, ...] of n failure messages. */
struct ds_errcount;
void push_errors(lua_State *L, const struct ds_errcount *e, int n);

/* {[name] = {passes, fails}} */
void push_checks(lua_State *L, const struct ds_checks *c);

/* {threads = {raw, ...}, interrupted, stopped_after, start}: every
 * worker's figures, which move into Lua (the run keeps none). */
struct ds_run;
void push_run(lua_State *L, struct ds_run *run);

#endif
