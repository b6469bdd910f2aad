#include "datafile.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua-cjson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_build.h"

/* Data files are small; this only stops a wrong path (a disk image, a
 * device) from eating memory. */
#define MAX_FILE (1024L * 1024 * 1024)

struct job {
    const char *text;
    size_t len;
    struct ds_store *store;   /* built here; freed by the caller on error */
};

/* The whole file, NUL-terminated, or NULL with the reason in err. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open: %s", strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t n = 0, cap = 0, got = 1;
    while (got && n <= (size_t)MAX_FILE) {
        if (cap - n < 65536) {
            char *bigger = realloc(text, cap = cap * 2 + 65536 + 1);
            if (!bigger)
                break;
            text = bigger;
        }
        got = fread(text + n, 1, cap - n - 1, f);
        n += got;
    }
    int e = ferror(f) ? errno : 0;
    fclose(f);
    if (e || got || !text) {
        snprintf(err, errlen, e ? "cannot read: %s" : "too large or out of memory",
                 strerror(e));
        free(text);
        return NULL;
    }
    text[n] = '\0';
    *len = n;
    return text;
}

/* lua-cjson says where it stopped as "at character N" (a byte offset from
 * 1); people want a line and a column. */
static void json_error(lua_State *L, const struct job *j, const char *msg)
{
    const char *at = strstr(msg, " at character ");
    size_t pos = at ? strtoul(at + 14, NULL, 10) : 0;
    if (!at || pos == 0 || pos > j->len + 1)
        luaL_error(L, "not valid JSON: %s", msg);
    size_t line = 1, col = 1;
    for (size_t i = 0; i + 1 < pos; i++, col++)
        if (j->text[i] == '\n')
            line++, col = 0;
    luaL_error(L, "not valid JSON: line %d, column %d: %s", (int)line, (int)col,
               lua_pushlstring(L, msg, (size_t)(at - msg)));
}

/* JSON's name for the value at idx (a table is an array when its keys are
 * exactly 1..n and it is not empty: lua-cjson 2.1.0 decodes {} and []
 * alike). */
static const char *json_type(lua_State *L, int idx)
{
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: return "string";
    case LUA_TNUMBER: return "number";
    case LUA_TBOOLEAN: return "boolean";
    case LUA_TTABLE: break;
    default: return "null";
    }
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx), keys = 0;
    lua_pushnil(L);
    while (lua_next(L, idx < 0 ? idx - 1 : idx) != 0) {
        keys++;
        lua_pop(L, 1);
    }
    return n > 0 && keys == n ? "array" : "object";
}

static int is_empty(lua_State *L, int idx)
{
    lua_pushnil(L);
    if (lua_next(L, idx < 0 ? idx - 1 : idx) == 0)
        return 1;
    lua_pop(L, 2);
    return 0;
}

/* The fields of one record, checked; f[k].value point into the Lua state. */
struct field {
    const char *name;
    const char *value;
};

static void record(lua_State *L, int idx, const char *list, lua_Integer i, struct field *f,
                   int nf)
{
    const char *type = json_type(L, idx);
    if (strcmp(type, "object") != 0)
        luaL_error(L, "%s[%d] must be an object, got %s", list, (int)i, type);
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        const char *key = lua_tostring(L, -2);
        int k = 0;
        while (k < nf && strcmp(f[k].name, key) != 0)
            k++;
        if (k == nf)
            luaL_error(L, "%s[%d]: unknown field \"%s\"", list, (int)i, key);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s[%d].%s must be a string, got %s", list, (int)i, key,
                       json_type(L, -1));
        size_t len;
        f[k].value = lua_tolstring(L, -1, &len);
        if (strlen(f[k].value) != len)
            luaL_error(L, "%s[%d].%s contains a NUL character", list, (int)i, key);
        lua_pop(L, 1);
    }
    for (int k = 0; k < nf; k++)
        if (!f[k].value)
            luaL_error(L, "%s[%d]: missing field \"%s\"", list, (int)i, f[k].name);
    if (!*f[0].value)
        luaL_error(L, "%s[%d]: empty id", list, (int)i);
}

/* Adds the records of the list at idx ("users" or "customers"). */
static void add_all(lua_State *L, struct job *j, int idx, int users)
{
    const char *list = users ? "users" : "customers";
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
    for (lua_Integer i = 1; i <= n; i++) {
        struct field f[3] = {{"id", NULL}, {"name", NULL}, {users ? "role" : "salesId", NULL}};
        lua_rawgeti(L, idx, i);
        record(L, lua_gettop(L), list, i - 1, f, 3);
        int rc = users ? ds_store_add_user(j->store, f[0].value, f[1].value, f[2].value,
                                           (size_t)(i - 1))
                       : ds_store_add_customer(j->store, f[0].value, f[1].value, f[2].value,
                                               (size_t)(i - 1));
        if (rc != 0)
            luaL_error(L, "out of memory");
        lua_pop(L, 1);
    }
}

/* Checks the top object (at 1) and leaves its users and customers at 2, 3. */
static void top_level(lua_State *L, const struct job *j)
{
    const char *start = j->text + strspn(j->text, " \t\r\n");
    const char *type = lua_istable(L, 1) && *start == '[' ? "array" : json_type(L, 1);
    if (strcmp(type, "object") != 0)
        luaL_error(L, "expected an object {\"users\":[...],\"customers\":[...]}, got %s", type);
    lua_settop(L, 3);
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
        const char *key = lua_tostring(L, -2);
        int slot = strcmp(key, "users") == 0 ? 2 : strcmp(key, "customers") == 0 ? 3 : 0;
        if (!slot)
            luaL_error(L, "unknown top-level field \"%s\"", key);
        type = json_type(L, -1);
        /* lua-cjson decodes {} as it decodes []: an empty list either way */
        if (strcmp(type, "array") != 0 && !(lua_istable(L, -1) && is_empty(L, -1)))
            luaL_error(L, "\"%s\" must be an array, got %s", key, type);
        lua_replace(L, slot);
    }
    if (lua_isnil(L, 2))
        luaL_error(L, "missing field \"users\"");
    if (lua_isnil(L, 3))
        luaL_error(L, "missing field \"customers\"");
}

static int build(lua_State *L)
{
    struct job *j = lua_touserdata(L, 1);
    lua_settop(L, 0);
    /* a module of our own: not package.loaded's, which the script may
     * have replaced or configured */
    lua_pushcfunction(L, luaopen_cjson);
    lua_call(L, 0, 1);
    lua_getfield(L, -1, "decode");
    lua_pushlstring(L, j->text, j->len);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK)
        json_error(L, j, lua_tostring(L, -1));
    lua_replace(L, 1);
    top_level(L, j);
    j->store = ds_store_new(lua_rawlen(L, 2), lua_rawlen(L, 3));
    if (!j->store)
        return luaL_error(L, "out of memory");
    add_all(L, j, 2, 1);
    add_all(L, j, 3, 0);
    char why[300];
    if (ds_store_finish(j->store, why, sizeof why) != 0)
        return luaL_error(L, "%s", why);
    return 0;
}

struct ds_store *datafile_load_in(lua_State *L, const char *path, char *err, size_t errlen)
{
    char why[400];
    struct job j = {NULL, 0, NULL};
    /* before anything is allocated: this may raise */
    luaL_checkstack(L, 3, NULL);
    char *text = read_file(path, &j.len, why, sizeof why);
    if (text) {
        j.text = text;
        lua_pushcfunction(L, build);
        lua_pushlightuserdata(L, &j);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
            snprintf(why, sizeof why, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1)
                                                                 : "out of memory");
            lua_pop(L, 1);
            ds_store_free(j.store);
            j.store = NULL;
        }
    }
    free(text);
    if (!j.store)
        snprintf(err, errlen, "data file '%s': %s", path, why);
    return j.store;
}

struct ds_store *datafile_load(const char *path, char *err, size_t errlen)
{
    lua_State *L = luaL_newstate();
    if (!L) {
        snprintf(err, errlen, "data file '%s': out of memory", path);
        return NULL;
    }
    struct ds_store *store = datafile_load_in(L, path, err, errlen);
    lua_close(L);
    return store;
}
