/* The `http` module: one request primitive that blocks, or yields when it
 * runs in a task of http.gather. */
#include "lua/lhttp.h"
#include "lua/lrequest.h"
#include "lua/rt.h"
#include "lua/task.h"

#include <lauxlib.h>
#include <string.h>
#include <time.h>

static int request_done(lua_State *L, int xi)
{
    struct ds_xfer *x = lua_touserdata(L, xi);
    int n = request_push_result(L, x);
    xfer_release(x);
    return n;
}

static int request_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    struct ds_xfer *x = lua_touserdata(L, (int)ctx);
    struct ds_task *t = task_of(L);
    if (!t) /* its task is gone: the transfer went with it */
        return luaL_error(L, "http: a request resumed after its task was cancelled");
    if (!x->finished) /* resumed by a stray coroutine.resume: keep waiting */
        return lua_yieldk(L, 0, ctx, request_k);
    t->xfer = NULL;
    return request_done(L, (int)ctx);
}

static int request(lua_State *L, const char *method, int urli, int optsi)
{
    size_t len;
    const char *url = luaL_checklstring(L, urli, &len);
    luaL_argcheck(L, strlen(url) == len, urli, "URL contains a NUL byte");
    struct ds_rt *rt = rt_get(L);
    struct ds_xfer *x = request_new(L, &rt->xfers, method, url, optsi);
    int xi = lua_gettop(L);
    struct ds_task *t = task_of(L);
    int yield = t && lua_isyieldable(L);
    /* a task keeps its shard, so its next request finds its connection;
     * blocking calls use shard 0 */
    if (xfer_start(x, yield ? &t->w : NULL, yield ? t->shard : 0) != 0)
        return luaL_error(L, "%s %s: cannot add the transfer to the scheduler", x->method, x->url);
    if (yield) {
        t->shard = x->tr.shard;
        t->xfer = x;
        return lua_yieldk(L, 0, xi, request_k);
    }
    /* Not in a task (or not yieldable): drive the same multi until this
     * transfer is done. Other tasks' transfers progress meanwhile. The
     * transfer still running when cancelled is the userdata's to remove. */
    if (rt->waiting) {
        char what[160];
        snprintf(what, sizeof what, "%s %.140s", x->method, x->url);
        rt_waiting(rt, what);
    }
    while (!x->finished && !sched_cancelled(rt->sched))
        sched_poll(rt->sched, -1);
    rt_waiting(rt, NULL);
    if (!x->finished)
        return luaL_error(L, "%s %s: interrupted", x->method, x->url);
    return request_done(L, xi);
}

#define TOKEN_CHARS "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/* http.request(method, url [, opts]) */
static int lhttp_request(lua_State *L)
{
    const char *method = luaL_checkstring(L, 1);
    /* An HTTP token (RFC 9110): anything else would reshape the request line. */
    size_t n = lua_rawlen(L, 1);
    luaL_argcheck(L, n > 0 && n < 16 && strspn(method, TOKEN_CHARS) == n, 1,
                  "not an HTTP method");
    return request(L, method, 2, 3);
}

/* http.get(url [, opts]) */
static int lhttp_get(lua_State *L)
{
    return request(L, "GET", 1, 2);
}

/* curl's list lives in a userdata while the table is built, so that a
 * Lua memory error on the way still frees it. */
#define COOKIES_MT "dockscript.cookielist"

static int cookielist_gc(lua_State *L)
{
    struct curl_slist **list = lua_touserdata(L, 1);
    curl_slist_free_all(*list);
    *list = NULL;
    return 0;
}

static void set_str(lua_State *L, const char *k, const char *v)
{
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}

static void set_bool(lua_State *L, const char *k, int v)
{
    lua_pushboolean(L, v);
    lua_setfield(L, -2, k);
}

/* http.cookies() -> {{name, value, domain, path, expires, secure,
 * httponly}, ...}: the jar the next request here would use. */
static int lhttp_cookies(lua_State *L)
{
    struct ds_rt *rt = rt_get(L);
    struct curl_slist **list = lua_newuserdatauv(L, sizeof *list, 0);
    *list = NULL;
    if (luaL_newmetatable(L, COOKIES_MT)) {
        lua_pushcfunction(L, cookielist_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    CURL *scratch = xfer_env_scratch(&rt->xfers);
    if (!scratch)
        return luaL_error(L, "http.cookies: out of memory");
    *list = jar_list(request_jar(L), scratch);
    lua_newtable(L);
    int n = 0;
    long long now = (long long)time(NULL);
    for (struct curl_slist *p = *list; p; p = p->next) {
        struct ds_cookie c;
        /* curl drops an expired cookie (a logout's Max-Age=0) only when it
         * next sends cookies; it would never send it */
        if (jar_parse(p->data, &c) != 0 || (c.expires && c.expires <= now))
            continue;
        lua_createtable(L, 0, 7);
        set_str(L, "name", c.name);
        set_str(L, "value", c.value);
        set_str(L, "domain", c.domain);
        set_str(L, "path", c.path);
        lua_pushinteger(L, c.expires);
        lua_setfield(L, -2, "expires");
        set_bool(L, "secure", c.secure);
        set_bool(L, "httponly", c.httponly);
        lua_rawseti(L, -2, ++n);
    }
    curl_slist_free_all(*list);
    *list = NULL;
    return 1;
}

int luaopen_http(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"get", lhttp_get},
        {"request", lhttp_request},
        {"gather", lhttp_gather},
        {"map", lhttp_map},
        {"cookies", lhttp_cookies},
        {NULL, NULL},
    };
    request_register(L);
    luaL_newlib(L, fns);
    return 1;
}
