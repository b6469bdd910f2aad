/* HTTP transfers on the shared multi: building the request from Lua options,
 * collecting the response, turning it into a Lua table. */
#include "core/xfer.h"
#include "lua/opts.h"
#include "lua/task.h"

#include <ctype.h>
#include <lauxlib.h>
#include <lua-cjson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RESPONSE_MT "dockscript.response"
#define RAW_HEADERS "dockscript.raw_headers" /* response -> header block, weak keys */

/* The User-Agent goes in as a custom header: CURLOPT_USERAGENT costs a
 * formatted allocation per transfer, and this shared list costs nothing. */
#define USER_AGENT "User-Agent: dockscript/" DS_VERSION

/* (Keeping the transfers' buffers in the pool too was tried: 20 MB more peak
 * RSS at 10,000 lookups for 2% fewer instructions.) */
static CURL *easy_get(struct ds_xfer_env *env)
{
    if (env->npool)
        return env->pool[--env->npool];
    return curl_easy_init();
}

static void easy_put(struct ds_xfer_env *env, CURL *e)
{
    if (env->npool == XFER_POOL_MAX) {
        curl_easy_cleanup(e);
        return;
    }
    curl_easy_reset(e);
    env->pool[env->npool++] = e;
}

void xfer_env_free(struct ds_xfer_env *env)
{
    curl_slist_free_all(env->default_headers);
    env->default_headers = NULL;
    while (env->npool)
        curl_easy_cleanup(env->pool[--env->npool]);
}

static int buf_add(struct ds_buf *b, const char *p, size_t n)
{
    if (b->len + n > b->cap) {
        /* API answers are a few hundred bytes; 10,000 transfers in flight
         * each hold two of these. */
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static void buf_free(struct ds_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct ds_xfer *x = ud;
    return buf_add(&x->body, p, size * n) ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct ds_xfer *x = ud;
    /* A new status line starts a new response (100 Continue, redirects):
     * keep only the last one's headers. */
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        x->head.len = 0;
        x->body.len = 0;
    }
    return buf_add(&x->head, p, size * n) ? 0 : size * n;
}

void xfer_release(struct ds_xfer *x)
{
    if (x->easy) {
        if (x->in_multi)
            sched_remove(x->env->sched, x->easy, x->shard);
        x->in_multi = 0;
        easy_put(x->env, x->easy);
        x->easy = NULL;
    }
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    buf_free(&x->body);
    buf_free(&x->head);
    free(x->url);
    x->url = NULL;
    x->task = NULL;
}

static int xfer_gc(lua_State *L)
{
    xfer_release(luaL_checkudata(L, 1, DS_XFER_MT));
    return 0;
}

/* ---- building the request ---- */

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends key=value, escaped by curl; returns the type name on a bad value. */
static const char *add_param(lua_State *L, struct ds_buf *q, CURL *e, const char *key, int vidx)
{
    if (lua_isboolean(L, vidx))
        lua_pushstring(L, lua_toboolean(L, vidx) ? "true" : "false");
    else if (lua_type(L, vidx) == LUA_TSTRING || lua_type(L, vidx) == LUA_TNUMBER)
        lua_pushvalue(L, vidx);
    else
        return luaL_typename(L, vidx);
    size_t vn;
    const char *v = lua_tolstring(L, -1, &vn);
    char *ek = curl_easy_escape(e, key, 0);
    char *ev = curl_easy_escape(e, v, (int)vn);
    lua_pop(L, 1);
    int bad = !ek || !ev;
    if (!bad)
        bad = (q->len && buf_add(q, "&", 1)) || buf_add(q, ek, strlen(ek)) ||
              buf_add(q, "=", 1) || buf_add(q, ev, strlen(ev));
    curl_free(ek);
    curl_free(ev);
    return bad ? "(out of memory)" : NULL;
}

/* Appends params (table at index p) to the URL at the top of the stack,
 * keys sorted so that the same call always makes the same URL. */
static void build_query(lua_State *L, int p, CURL *e)
{
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, p)) {
        size_t kn;
        if (lua_type(L, -2) != LUA_TSTRING || strlen(lua_tolstring(L, -2, &kn)) != kn)
            luaL_error(L, "opts.params: keys must be strings without NUL bytes");
        n++;
        lua_pop(L, 1);
    }
    if (!n)
        return;
    const char **keys = lua_newuserdatauv(L, (size_t)n * sizeof *keys, 0);
    int k = 0;
    lua_pushnil(L);
    while (lua_next(L, p)) {
        keys[k++] = lua_tostring(L, -2); /* anchored by the params table */
        lua_pop(L, 1);
    }
    qsort(keys, (size_t)n, sizeof *keys, cmp_keys);
    struct ds_buf q = {0};
    const char *bad = NULL, *badkey = NULL;
    for (int i = 0; i < n && !bad; i++) {
        badkey = keys[i];
        lua_getfield(L, p, keys[i]);
        if (lua_istable(L, -1)) { /* a list: key=v1&key=v2 */
            lua_Integer len = (lua_Integer)lua_rawlen(L, -1);
            for (lua_Integer j = 1; j <= len && !bad; j++) {
                lua_rawgeti(L, -1, j);
                bad = add_param(L, &q, e, keys[i], lua_gettop(L));
                lua_pop(L, 1);
            }
        } else {
            bad = add_param(L, &q, e, keys[i], lua_gettop(L));
        }
        lua_pop(L, 1);
    }
    if (bad) {
        buf_free(&q);
        luaL_error(L, "opts.params.%s: expected a string, number, boolean or list, got %s",
                   badkey, bad);
    }
    const char *url = lua_tostring(L, -2);
    lua_pushstring(L, url);
    lua_pushstring(L, strchr(url, '?') ? "&" : "?");
    lua_pushlstring(L, q.p, q.len);
    buf_free(&q);
    lua_concat(L, 3);
    lua_replace(L, -3); /* over the old URL */
    lua_pop(L, 1);      /* the keys array */
}

static void add_header(lua_State *L, struct ds_xfer *x, const char *line)
{
    struct curl_slist *n = curl_slist_append(x->hdrs, line);
    if (!n)
        luaL_error(L, "out of memory");
    x->hdrs = n;
}

/* Collects opts.headers into x->hdrs; returns whether they name a
 * User-Agent. */
static int set_headers(lua_State *L, struct ds_xfer *x, int opts)
{
    int has_ua = 0;
    if (lua_getfield(L, opts, "headers") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            size_t kn, vn;
            const char *k = lua_tolstring(L, -2, &kn), *v = lua_tolstring(L, -1, &vn);
            if (lua_type(L, -2) != LUA_TSTRING || !v)
                luaL_error(L, "opts.headers: names and values must be strings");
            /* curl sends custom headers verbatim: a CR or LF would smuggle
             * in headers or a second request, a NUL would cut the line. */
            if (strcspn(k, "\r\n:") != kn || !kn || strcspn(v, "\r\n") != vn)
                luaL_error(L, "opts.headers: '%s' has a CR, LF, NUL or ':' in its name, "
                              "or a CR, LF or NUL in its value", k);
            has_ua |= strcasecmp(k, "user-agent") == 0;
            lua_pushfstring(L, "%s: %s", k, v);
            add_header(L, x, lua_tostring(L, -1));
            lua_pop(L, 2);
        }
    } else if (!lua_isnil(L, -1)) {
        luaL_error(L, "opts.headers: expected a table, got %s", luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return has_ua;
}

/* Every request names dockscript unless opts.headers name a User-Agent. */
static void finish_headers(lua_State *L, struct ds_xfer *x, int has_ua)
{
    if (!x->hdrs) {
        struct ds_xfer_env *env = x->env;
        if (!env->default_headers)
            env->default_headers = curl_slist_append(NULL, USER_AGENT);
        curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, env->default_headers);
        return;
    }
    if (!has_ua)
        add_header(L, x, USER_AGENT);
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
}

static double opt_number(lua_State *L, int opts, const char *name, double dflt)
{
    int t = opts ? lua_getfield(L, opts, name) : LUA_TNIL;
    double v = dflt;
    if (t == LUA_TNUMBER)
        v = lua_tonumber(L, -1);
    else if (t != LUA_TNIL)
        luaL_error(L, "opts.%s: expected a number, got %s", name, luaL_typename(L, -1));
    if (opts)
        lua_pop(L, 1);
    return v;
}

static void set_method(lua_State *L, struct ds_xfer *x, int opts)
{
    CURL *e = x->easy;
    if (strcmp(x->method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (strcmp(x->method, "GET") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
    if (!opts || lua_getfield(L, opts, "body") == LUA_TNIL) {
        if (opts)
            lua_pop(L, 1);
        return;
    }
    size_t n;
    const char *body = lua_tolstring(L, -1, &n);
    if (!body)
        luaL_error(L, "opts.body: expected a string, got %s", luaL_typename(L, -1));
    add_header(L, x, "Expect:"); /* no 100-continue pause on large bodies */
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
    if (strcmp(x->method, "POST") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
    lua_pop(L, 1);
}

static void xfer_complete(struct ds_done *d, CURLcode result);

/* opts.name, else "METHOD /path": the query is left out so that one route
 * is one tag whatever its parameters. */
static void set_tag(lua_State *L, struct ds_xfer *x, int opts)
{
    if (opts && lua_getfield(L, opts, "name") != LUA_TNIL) {
        const char *name = lua_tostring(L, -1);
        if (!name || lua_type(L, -1) != LUA_TSTRING || !*name)
            luaL_error(L, "opts.name: expected a non-empty string");
        snprintf(x->tag, sizeof x->tag, "%s", name);
        lua_pop(L, 1);
        return;
    }
    if (opts)
        lua_pop(L, 1);
    const char *p = strstr(x->url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    if (!p)
        p = "/";
    snprintf(x->tag, sizeof x->tag, "%s %.*s", x->method, (int)strcspn(p, "?#"), p);
}

struct ds_xfer *xfer_new(lua_State *L, struct ds_xfer_env *env, const char *method,
                         const char *url, int opts)
{
    static const char *const known[] = {"params", "headers", "body", "timeout", "follow",
                                        "name", NULL};
    if (opts && !lua_isnoneornil(L, opts)) {
        luaL_checktype(L, opts, LUA_TTABLE);
        opts_check_keys(L, opts, known);
    } else {
        opts = 0;
    }
    double timeout = opt_number(L, opts, "timeout", 30.0);
    if (!(timeout > 0 && timeout <= 1e6)) /* and fits curl's long milliseconds */
        luaL_error(L, "opts.timeout: must be a number of seconds in (0, 1e6]");
    struct ds_xfer *x = lua_newuserdatauv(L, sizeof *x, 0);
    memset(x, 0, sizeof *x);
    luaL_setmetatable(L, DS_XFER_MT);
    x->done.fn = xfer_complete;
    x->env = env;
    int xi = lua_gettop(L);
    snprintf(x->method, sizeof x->method, "%s", method);
    for (char *c = x->method; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    x->easy = easy_get(env);
    if (!x->easy)
        luaL_error(L, "curl_easy_init failed");

    lua_pushstring(L, url);
    if (opts && lua_getfield(L, opts, "params") != LUA_TNIL) {
        luaL_checktype(L, -1, LUA_TTABLE);
        lua_insert(L, -2); /* params, url */
        build_query(L, lua_gettop(L) - 1, x->easy);
        lua_remove(L, -2);
    } else if (opts) {
        lua_pop(L, 1);
    }
    x->url = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    if (!x->url)
        luaL_error(L, "out of memory");

    CURL *e = x->easy;
    int has_ua = 0;
    curl_easy_setopt(e, CURLOPT_URL, x->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    sched_count_sockets(env->sched, e);
    curl_easy_setopt(e, CURLOPT_PRIVATE, &x->done);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000.0 + 0.5));
    /* A benchmark of a loopback server must not go through $http_proxy;
     * this also spares curl an environment lookup per transfer. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    /* curl allocates this receive buffer for every transfer in flight (16 KB
     * by default): 10,000 waiting lookups pay it 10,000 times, while an API
     * answer is a few hundred bytes. Measured: 10,000 lookups peak at 177 MB
     * RSS with 2 KB (197 MB with 4 KB); a 10 MB body takes 14 ms (12 ms). */
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 2048L);
    if (opts) {
        lua_getfield(L, opts, "follow");
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, lua_toboolean(L, -1) ? 1L : 0L);
        lua_pop(L, 1);
        has_ua = set_headers(L, x, opts);
    }
    set_method(L, x, opts);
    finish_headers(L, x, has_ua);
    if (env->rec)
        set_tag(L, x, opts);
    lua_settop(L, xi);
    return x;
}

int xfer_start(struct ds_xfer *x, struct ds_task *t)
{
    x->task = t;
    x->shard = sched_add(x->env->sched, x->easy, t ? t->shard : 0);
    x->in_multi = x->shard >= 0;
    if (t && x->in_multi)
        t->shard = x->shard;
    return x->in_multi ? 0 : -1;
}

static double info_seconds(CURL *e, CURLINFO what)
{
    curl_off_t us = 0;
    curl_easy_getinfo(e, what, &us);
    return (double)us / 1e6;
}

/* curl's own clock for the phases: the scheduler's wake-ups do not count. */
static void record_timings(struct ds_xfer *x)
{
    x->elapsed = info_seconds(x->easy, CURLINFO_TOTAL_TIME_T);
    x->t_connect = info_seconds(x->easy, CURLINFO_CONNECT_TIME_T);
    x->t_first_byte = info_seconds(x->easy, CURLINFO_STARTTRANSFER_TIME_T);
}

static void record(struct ds_xfer *x)
{
    long status = 0;
    curl_off_t body = 0;
    long head = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(x->easy, CURLINFO_SIZE_DOWNLOAD_T, &body);
    curl_easy_getinfo(x->easy, CURLINFO_HEADER_SIZE, &head);
    /* the recorder cannot fail a request; on out of memory it is one
     * request fewer in the report */
    (void)rec_request(x->env->rec, x->tag, ds_now(), x->elapsed,
                      x->result == CURLE_OK ? status : 0, x->result, (int64_t)body + head);
}

/* The scheduler's callback when curl reports the transfer finished. */
static void xfer_complete(struct ds_done *d, CURLcode result)
{
    struct ds_xfer *x = (struct ds_xfer *)(void *)d;
    x->result = result;
    x->finished = 1;
    record_timings(x);
    if (x->env->rec)
        record(x);
    if (x->in_multi)
        sched_remove(x->env->sched, x->easy, x->shard);
    x->in_multi = 0;
    if (x->task)
        sched_make_ready(x->env->sched, &x->task->w);
}

/* ---- the response ---- */

static void push_headers(lua_State *L, const char *p, size_t len)
{
    lua_newtable(L);
    const char *end = p + len;
    while (p && p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol ? eol + 1 : end;
        const char *colon = memchr(p, ':', (size_t)((eol ? eol : end) - p));
        if (colon && memcmp(p, "HTTP/", 5) != 0) {
            const char *v = colon + 1, *ve = eol ? eol : end;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            luaL_Buffer name;
            luaL_buffinit(L, &name);
            for (const char *c = p; c < colon; c++)
                luaL_addchar(&name, (char)tolower((unsigned char)*c));
            luaL_pushresult(&name);
            lua_pushvalue(L, -1);
            if (lua_rawget(L, -3) == LUA_TSTRING) { /* repeated: join like RFC 9110 */
                lua_pushliteral(L, ", ");
                lua_pushlstring(L, v, (size_t)(ve - v));
                lua_concat(L, 3);
            } else {
                lua_pop(L, 1);
                lua_pushlstring(L, v, (size_t)(ve - v));
            }
            lua_rawset(L, -3);
        }
        p = next;
    }
}

int xfer_push_result(lua_State *L, struct ds_xfer *x)
{
    if (x->result != CURLE_OK) {
        const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->result);
        /* no position: the same message whether the call blocked or yielded
         * (a continuation would name the caller's line) */
        lua_pushfstring(L, "%s %s: %s", x->method, x->url, why);
        return lua_error(L);
    }
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, status);
    lua_setfield(L, -2, "status");
    lua_pushlstring(L, x->body.p ? x->body.p : "", x->body.len);
    lua_setfield(L, -2, "body");
    lua_pushnumber(L, x->elapsed);
    lua_setfield(L, -2, "elapsed");
    lua_createtable(L, 0, 3);
    lua_pushnumber(L, x->t_connect);
    lua_setfield(L, -2, "connect");
    lua_pushnumber(L, x->t_first_byte);
    lua_setfield(L, -2, "first_byte");
    lua_pushnumber(L, x->elapsed);
    lua_setfield(L, -2, "total");
    lua_setfield(L, -2, "timings");
    lua_pushstring(L, x->url);
    lua_setfield(L, -2, "url");
    lua_pushstring(L, x->method);
    lua_setfield(L, -2, "method");
    luaL_setmetatable(L, RESPONSE_MT);
    /* Parsing headers into a table costs more than the rest of the response;
     * most lookups never read them. Keep the raw block until r.headers is
     * first read. */
    lua_getfield(L, LUA_REGISTRYINDEX, RAW_HEADERS);
    lua_pushvalue(L, -2);
    lua_pushlstring(L, x->head.p ? x->head.p : "", x->head.len);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    return 1;
}

/* The response's __index: r.headers on first use, and the methods. */
static int response_index(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    if (k && strcmp(k, "headers") == 0) {
        lua_getfield(L, LUA_REGISTRYINDEX, RAW_HEADERS);
        lua_pushvalue(L, 1);
        lua_rawget(L, -2);
        size_t len = 0;
        const char *raw = lua_tolstring(L, -1, &len);
        push_headers(L, raw ? raw : "", len);
        lua_pushvalue(L, 1);
        lua_pushnil(L);
        lua_rawset(L, -5); /* forget the raw block */
        lua_pushvalue(L, -1);
        lua_setfield(L, 1, "headers");
        return 1;
    }
    lua_getfield(L, LUA_REGISTRYINDEX, RESPONSE_MT);
    lua_getfield(L, -1, "methods");
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

/* r:json(): the body decoded by lua-cjson; the error names the URL. */
static int response_json(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, LUA_REGISTRYINDEX, "dockscript.cjson_decode");
    lua_getfield(L, 1, "body");
    if (lua_pcall(L, 1, 1, 0) == LUA_OK)
        return 1;
    lua_getfield(L, 1, "method");
    lua_getfield(L, 1, "url");
    return luaL_error(L, "%s %s: response is not JSON: %s", luaL_optstring(L, -2, "GET"),
                      luaL_optstring(L, -1, "?"), lua_tostring(L, -3));
}

void xfer_register(lua_State *L)
{
    luaL_newmetatable(L, DS_XFER_MT);
    lua_pushcfunction(L, xfer_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);

    luaL_newmetatable(L, RESPONSE_MT);
    lua_newtable(L);
    lua_pushcfunction(L, response_json);
    lua_setfield(L, -2, "json");
    lua_setfield(L, -2, "methods");
    lua_pushcfunction(L, response_index);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, RAW_HEADERS);

    luaL_requiref(L, "cjson", luaopen_cjson, 0);
    lua_getfield(L, -1, "decode");
    lua_setfield(L, LUA_REGISTRYINDEX, "dockscript.cjson_decode");
    lua_pop(L, 1);
}
