/* Lua module `rows` (require "rows"), the C side of require("load").data
 * (scripts/lib/load/data.lua): a handle per Lua state on rows held once
 * per process (core/rows.h), or on a Lua table of this state.
 *   rows.open(PATH, "csv" | "jsonl", STRATEGY, NAME) -> handle | nil, message
 *   rows.wrap(TABLE, STRATEGY, NAME) -> handle | nil, message
 *   h:row(i) -> the row of run-wide iteration i; h:count(), #h
 *   rows.held() -> files held by the process, handles on them (all states)
 * A CSV row is a new table {header name = field text}; a JSON line is
 * decoded for each call, so no iteration sees another's changes. */
#include "lua/lrows.h"
#include "core/rows.h"
#include "lua/ljson.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#define MT "dockscript.rows"
#define SEED_KEY "dockscript.seed" /* lrows_set_seed */

static const char *const strategies[] = {"circular", "queue", "shuffle", "random", NULL};

/* uservalue 1: the Lua table (wrap) or nil; 2: the name for messages */
struct handle {
    struct ds_rows *rows;     /* NULL for a Lua table */
    int strategy;
    size_t n;
    int seeded;               /* seed read from the registry */
    uint64_t seed;
    const uint32_t *perm;     /* shuffle: the file's, shared; or own_perm */
    uint32_t *own_perm;
};

static int h_gc(lua_State *L)
{
    struct handle *h = luaL_checkudata(L, 1, MT);
    rows_release(h->rows);
    h->rows = NULL;
    free(h->own_perm);
    h->own_perm = NULL;
    return 0;
}

static struct handle *push_handle(lua_State *L, int strategy, int name)
{
    struct handle *h = lua_newuserdatauv(L, sizeof *h, 2);
    memset(h, 0, sizeof *h);
    h->strategy = strategy;
    luaL_setmetatable(L, MT);
    lua_pushvalue(L, name);
    lua_setiuservalue(L, -2, 2);
    return h;
}

/* ---- JSON lines: checked once, where the file is loaded ---- */

struct line { const char *s; size_t len; };

static int decode_protected(lua_State *L)
{
    const struct line *l = lua_touserdata(L, 1);
    ljson_push_decode(L);
    lua_pushlstring(L, l->s, l->len);
    lua_call(L, 1, 1);
    return 0;
}

/* Runs under the registry's lock: nothing here may raise past it. */
static int check_line(void *ud, const char *s, size_t len, char *err, size_t errlen)
{
    lua_State *L = ud;
    size_t k = strspn(s, " \t");
    if (k == len || s[k] != '{') {
        snprintf(err, errlen, "not a JSON object (one object per line)");
        return -1;
    }
    struct line l = {s, len};
    if (!lua_checkstack(L, 3)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    lua_pushcfunction(L, decode_protected);
    lua_pushlightuserdata(L, &l);
    if (lua_pcall(L, 1, 0, 0) == LUA_OK)
        return 0;
    const char *msg = lua_tostring(L, -1);
    snprintf(err, errlen, "not JSON: %s", msg ? msg : "?");
    lua_pop(L, 1);
    return -1;
}

/* ---- opening ---- */

static int l_open(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    static const char *const formats[] = {"csv", "jsonl", NULL};
    int format = luaL_checkoption(L, 2, NULL, formats) == 0 ? ROWS_CSV : ROWS_LINES;
    int strategy = luaL_checkoption(L, 3, NULL, strategies);
    luaL_checkstring(L, 4);
    struct handle *h = push_handle(L, strategy, 4);
    char err[512];
    h->rows = rows_acquire(path, format, check_line, L, err, sizeof err);
    if (!h->rows) {
        luaL_pushfail(L);
        lua_pushstring(L, err);
        return 2;
    }
    h->n = h->rows->nrows;
    return 1;
}

static int l_wrap(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int strategy = luaL_checkoption(L, 2, NULL, strategies);
    luaL_checkstring(L, 3);
    lua_Integer n = luaL_len(L, 1);
    if (n < 1 || (uint64_t)n > UINT32_MAX) {
        luaL_pushfail(L);
        lua_pushstring(L, n < 1 ? "the table has no rows (a list {row, row, ...})"
                                : "the table has too many rows");
        return 2;
    }
    struct handle *h = push_handle(L, strategy, 3);
    h->n = (size_t)n;
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

/* ---- rows ---- */

static void need_seed(lua_State *L, struct handle *h)
{
    if (h->seeded)
        return;
    lua_getfield(L, LUA_REGISTRYINDEX, SEED_KEY);
    h->seed = (uint64_t)lua_tointeger(L, -1); /* none: 0 */
    lua_pop(L, 1);
    h->seeded = 1;
}

static void need_perm(lua_State *L, struct handle *h)
{
    if (h->perm)
        return;
    need_seed(L, h);
    if (h->rows) {
        h->perm = rows_permutation(h->rows, h->seed);
    } else if ((h->own_perm = malloc(h->n * sizeof *h->own_perm))) {
        rows_shuffle(h->own_perm, h->n, h->seed);
        h->perm = h->own_perm;
    }
    if (!h->perm)
        luaL_error(L, "out of memory for the order of %d rows", (int)h->n);
}

static void push_csv_row(lua_State *L, const struct ds_rows *r, size_t row)
{
    lua_createtable(L, 0, (int)r->ncols);
    for (size_t c = 0; c < r->ncols; c++) {
        size_t len;
        const char *s = rows_name(r, c, &len);
        lua_pushlstring(L, s, len);
        s = rows_field(r, row, c, &len);
        lua_pushlstring(L, s, len);
        lua_rawset(L, -3);
    }
}

static int h_row(lua_State *L)
{
    struct handle *h = luaL_checkudata(L, 1, MT);
    lua_Integer i = luaL_checkinteger(L, 2);
    luaL_argcheck(L, i >= 1, 2, "the iteration number must be >= 1");
    if (h->strategy == ROWS_SHUFFLE)
        need_perm(L, h);
    else if (h->strategy == ROWS_RANDOM)
        need_seed(L, h);
    int64_t k = rows_pick(h->strategy, h->n, i, h->seed, h->perm);
    if (k < 0) {
        lua_getiuservalue(L, 1, 2);
        return luaL_error(L, "data '%s' ran out: iteration %I of %d rows", lua_tostring(L, -1),
                          i, (int)h->n);
    }
    if (!h->rows) {
        lua_getiuservalue(L, 1, 1);
        lua_rawgeti(L, -1, (lua_Integer)k + 1);
        return 1;
    }
    if (h->rows->format == ROWS_CSV) {
        push_csv_row(L, h->rows, (size_t)k);
        return 1;
    }
    size_t len;
    const char *s = rows_field(h->rows, (size_t)k, 0, &len);
    ljson_push_decode(L);
    lua_pushlstring(L, s, len);
    lua_call(L, 1, 1);
    return 1;
}

static int h_count(lua_State *L)
{
    struct handle *h = luaL_checkudata(L, 1, MT);
    lua_pushinteger(L, (lua_Integer)h->n);
    return 1;
}

static int h_tostring(lua_State *L)
{
    struct handle *h = luaL_checkudata(L, 1, MT);
    lua_getiuservalue(L, 1, 2);
    lua_pushfstring(L, "data '%s' (%d rows, %s)", lua_tostring(L, -1), (int)h->n,
                    strategies[h->strategy]);
    return 1;
}

static int l_held(lua_State *L)
{
    int files, refs;
    rows_held(&files, &refs);
    lua_pushinteger(L, files);
    lua_pushinteger(L, refs);
    return 2;
}

void lrows_set_seed(lua_State *L, lua_Integer seed)
{
    lua_pushinteger(L, seed);
    lua_setfield(L, LUA_REGISTRYINDEX, SEED_KEY);
}

int luaopen_rows(lua_State *L)
{
    static const luaL_Reg methods[] = {{"row", h_row}, {"count", h_count}, {NULL, NULL}};
    static const luaL_Reg meta[] = {{"__gc", h_gc}, {"__len", h_count},
                                    {"__tostring", h_tostring}, {NULL, NULL}};
    static const luaL_Reg fns[] = {{"open", l_open}, {"wrap", l_wrap}, {"held", l_held},
                                  {NULL, NULL}};
    if (luaL_newmetatable(L, MT)) {
        luaL_setfuncs(L, meta, 0);
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    luaL_newlib(L, fns);
    return 1;
}
