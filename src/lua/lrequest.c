/* From Lua's request (method, URL, options table) to a transfer, and from
 * the finished transfer to the response table. */
#include "lua/lrequest.h"
#include "core/servertiming.h"
#include "lua/opts.h"
#include "lua/rt.h"
#include "lua/task.h"

#include <ctype.h>
#include <lauxlib.h>
#include <lua-cjson.h>
#include <stdlib.h>
#include <string.h>

#define XFER_MT "dockscript.xfer"
#define RESPONSE_MT "dockscript.response"
#define RAW_HEADERS "dockscript.raw_headers" /* response -> header block, weak keys */

static int request_gc(lua_State *L)
{
    xfer_release(luaL_checkudata(L, 1, XFER_MT));
    return 0;
}

/* ---- building the request ---- */

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Adds key=value; returns the type name of a value that is none of a
 * string, number or boolean. */
static const char *add_param(lua_State *L, struct ds_xfer *x, const char *key, int vidx)
{
    size_t vn;
    const char *v;
    if (lua_isboolean(L, vidx)) {
        v = lua_toboolean(L, vidx) ? "true" : "false";
        vn = strlen(v);
    } else if (lua_type(L, vidx) == LUA_TSTRING || lua_type(L, vidx) == LUA_TNUMBER) {
        v = lua_tolstring(L, vidx, &vn); /* a number becomes a string in its slot */
    } else {
        return luaL_typename(L, vidx);
    }
    if (xfer_add_param(x, key, strlen(key), v, vn) != 0)
        luaL_error(L, "out of memory");
    return NULL;
}

/* Adds opts.params (the table at index p), keys sorted so that the same
 * call always makes the same URL; a list value repeats its key. */
static void add_params(lua_State *L, struct ds_xfer *x, int p)
{
    if (!lua_istable(L, p))
        luaL_error(L, "opts.params: expected a table, got %s", luaL_typename(L, p));
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
    for (int i = 0; i < n; i++) {
        const char *bad = NULL;
        lua_getfield(L, p, keys[i]);
        if (lua_istable(L, -1)) {
            lua_Integer len = (lua_Integer)lua_rawlen(L, -1);
            for (lua_Integer j = 1; j <= len && !bad; j++) {
                lua_rawgeti(L, -1, j);
                bad = add_param(L, x, keys[i], lua_gettop(L));
                lua_pop(L, 1);
            }
        } else {
            bad = add_param(L, x, keys[i], lua_gettop(L));
        }
        if (bad)
            luaL_error(L, "opts.params.%s: expected a string, number, boolean or list, got %s",
                       keys[i], bad);
        lua_pop(L, 1);
    }
    lua_pop(L, 1); /* the keys */
}

/* opts.headers: a table of name = value. A key is checked before anything
 * converts it: lua_tolstring on a number key would break lua_next. */
static void add_headers(lua_State *L, struct ds_xfer *x, int opts)
{
    int t = lua_getfield(L, opts, "headers");
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (t != LUA_TTABLE)
        luaL_error(L, "opts.headers: expected a table, got %s", luaL_typename(L, -1));
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -2) == LUA_TNUMBER)
            luaL_error(L, "opts.headers: expected a table of name = value (like "
                          "{[\"X-A\"] = \"b\"}), got a list");
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "opts.headers: names must be strings, got a %s", luaL_typename(L, -2));
        size_t kn, vn;
        const char *k = lua_tolstring(L, -2, &kn);
        int vt = lua_type(L, -1);
        if (vt != LUA_TSTRING && vt != LUA_TNUMBER)
            luaL_error(L, "opts.headers[\"%s\"]: expected a string, got %s", k,
                       luaL_typename(L, -1));
        const char *v = lua_tolstring(L, -1, &vn); /* the value's slot, not the key's */
        /* curl sends custom headers verbatim: a CR or LF would smuggle in
         * headers or a second request, a NUL would cut the line. */
        if (strcspn(k, "\r\n:") != kn || !kn || strcspn(v, "\r\n") != vn)
            luaL_error(L, "opts.headers: '%s' has a CR, LF, NUL or ':' in its name, "
                          "or a CR, LF or NUL in its value", k);
        lua_pushfstring(L, "%s: %s", k, v);
        if (xfer_add_header(x, lua_tostring(L, -1)) != 0)
            luaL_error(L, "out of memory");
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
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

/* opts.name, when given, names the transfer for an observer instead of
 * "METHOD /path". */
static void set_name(lua_State *L, struct ds_xfer *x, int opts)
{
    if (lua_getfield(L, opts, "name") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    const char *name = lua_tostring(L, -1);
    if (!name || lua_type(L, -1) != LUA_TSTRING || !*name)
        luaL_error(L, "opts.name: expected a non-empty string");
    if (x->env->observe)
        snprintf(x->tag, sizeof x->tag, "%s", name);
    lua_pop(L, 1);
}

struct ds_jar *request_jar(lua_State *L)
{
    struct ds_rt *rt = rt_get(L);
    struct ds_task *t = task_of(L);
    if (!t) /* a coroutine of the script's own, maybe inside a task */
        t = rt->current;
    return t && t->jar ? t->jar : &rt->jar;
}

/* opts.NAME: a non-empty string, or NULL when absent; it stays on the
 * stack (anchored by opts anyway) until the caller's settop. */
static const char *opt_string(lua_State *L, int opts, const char *name)
{
    if (lua_getfield(L, opts, name) == LUA_TNIL)
        return NULL;
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (!s || !*s)
        luaL_error(L, "opts.%s: expected a non-empty string, got %s", name,
                   s ? "\"\"" : luaL_typename(L, -1));
    return s;
}

/* opts.http_version: "1.1", "2" (ALPN over TLS) or "h2c" (prior knowledge). */
static enum xfer_http opt_http_version(lua_State *L, int opts)
{
    static const char *const names[] = {"1.1", "2", "h2c", NULL};
    static const enum xfer_http values[] = {XFER_HTTP_1_1, XFER_HTTP_2, XFER_HTTP_H2C};
    if (lua_getfield(L, opts, "http_version") == LUA_TNIL) {
        lua_pop(L, 1);
        return XFER_HTTP_DEFAULT;
    }
    const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    for (int i = 0; v && names[i]; i++)
        if (strcmp(v, names[i]) == 0) {
            lua_pop(L, 1);
            return values[i];
        }
    return luaL_error(L, "opts.http_version: expected \"1.1\", \"2\" or \"h2c\", got %s",
                      v ? lua_pushfstring(L, "'%s'", v) : luaL_typename(L, -1));
}

/* opts.insecure, cafile, capath, cert, key over t's defaults (a load
 * run's): the strings stay on the stack until xfer_setup has given them to
 * curl. */
static void opt_tls(lua_State *L, int opts, struct xfer_tls *t)
{
    int type = lua_getfield(L, opts, "insecure");
    if (type != LUA_TNIL && type != LUA_TBOOLEAN)
        luaL_error(L, "opts.insecure: expected a boolean, got %s", luaL_typename(L, -1));
    if (type != LUA_TNIL)
        t->insecure = lua_toboolean(L, -1);
    const char *v;
    if ((v = opt_string(L, opts, "cafile")))
        t->cafile = v;
    if ((v = opt_string(L, opts, "capath")))
        t->capath = v;
    if ((v = opt_string(L, opts, "cert")))
        t->cert = v;
    if ((v = opt_string(L, opts, "key")))
        t->key = v;
    if (t->key && !t->cert)
        luaL_error(L, "opts.key needs opts.cert (the client certificate)");
}

/* The options, in the order of their bits in opts_check_keys's answer. */
enum { O_PARAMS, O_HEADERS, O_BODY, O_TIMEOUT, O_FOLLOW, O_NAME, O_HTTP_VERSION, O_INSECURE,
       O_CAFILE, O_CAPATH, O_CERT, O_KEY };
#define HAS(set, o) ((set) & (1u << (o)))
#define TLS_OPTS ((1u << O_INSECURE) | (1u << O_CAFILE) | (1u << O_CAPATH) | (1u << O_CERT) \
                  | (1u << O_KEY))

/* The options given (set: which), into o; values that must live until
 * xfer_setup stay on the stack. A lookup of each absent key cost 2% of a
 * request's instructions once there were twelve. */
static void read_opts(lua_State *L, struct ds_xfer *x, int opts, unsigned set,
                      struct xfer_opts *o)
{
    if (HAS(set, O_FOLLOW)) {
        lua_getfield(L, opts, "follow");
        o->follow = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    if (HAS(set, O_HEADERS))
        add_headers(L, x, opts);
    if (HAS(set, O_BODY)) { /* stays until xfer_setup copies it */
        lua_getfield(L, opts, "body");
        o->body = lua_tolstring(L, -1, &o->body_len);
        if (!o->body)
            luaL_error(L, "opts.body: expected a string, got %s", luaL_typename(L, -1));
    }
    if (HAS(set, O_NAME))
        set_name(L, x, opts);
    if (HAS(set, O_HTTP_VERSION))
        o->http = opt_http_version(L, opts);
    if (set & TLS_OPTS)
        opt_tls(L, opts, &o->tls);
}

struct ds_xfer *request_new(lua_State *L, struct ds_xfer_env *env, const char *method,
                            const char *url, int opts)
{
    static const char *const known[] = {"params", "headers", "body", "timeout", "follow",
                                        "name", "http_version", "insecure", "cafile",
                                        "capath", "cert", "key", NULL};
    unsigned set = 0;
    if (opts && !lua_isnoneornil(L, opts)) {
        luaL_checktype(L, opts, LUA_TTABLE);
        set = opts_check_keys(L, opts, known);
        opts = lua_absindex(L, opts);
    } else {
        opts = 0;
    }
    struct xfer_opts o = {0};
    o.jar = request_jar(L);
    o.http = (enum xfer_http)env->http;
    if (env->tls)
        o.tls = *env->tls;
    o.timeout = HAS(set, O_TIMEOUT) ? opt_number(L, opts, "timeout", 30.0) : 30.0;
    if (!(o.timeout > 0 && o.timeout <= 1e6)) /* and fits curl's long milliseconds */
        luaL_error(L, "opts.timeout: must be a number of seconds in (0, 1e6]");
    struct ds_xfer *x = lua_newuserdatauv(L, sizeof *x, 0);
    memset(x, 0, sizeof *x);
    luaL_setmetatable(L, XFER_MT);
    int xi = lua_gettop(L);
    if (xfer_init(x, env, method) != 0)
        luaL_error(L, "curl_easy_init failed");
    if (HAS(set, O_PARAMS) && lua_getfield(L, opts, "params") != LUA_TNIL)
        add_params(L, x, lua_gettop(L));
    lua_settop(L, xi);
    if (xfer_set_url(x, url) != 0)
        luaL_error(L, "out of memory");
    read_opts(L, x, opts, set, &o);
    if (xfer_setup(x, &o) != 0)
        luaL_error(L, "out of memory");
    lua_settop(L, xi);
    return x;
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

/* What a response carries that few scripts read, kept as bytes before the
 * raw header block (RAW_HEADERS) and made into fields on first read: a
 * table of 7 timings and 3 more fields for every response cost 2% of a
 * request's instructions in a load run. */
struct resp_info {
    struct xfer_phases phases;
    double first_byte;
    long http_version, connects;
    const char *tls_version, *tls_cipher; /* static text of the TLS library */
};

static void info_of(const struct ds_xfer *x, struct resp_info *i)
{
    xfer_phases(x, &i->phases);
    i->first_byte = x->t_first_byte;
    i->http_version = x->http_version;
    i->connects = x->connects;
    i->tls_version = x->tls_version;
    i->tls_cipher = x->tls_cipher;
}

/* {dns, connect, tls, wait, receive, total, first_byte} (core/xfer.h). */
static void push_timings(lua_State *L, const struct resp_info *i)
{
    const struct xfer_phases *p = &i->phases;
    lua_createtable(L, 0, 7);
    lua_pushnumber(L, p->dns);
    lua_setfield(L, -2, "dns");
    lua_pushnumber(L, p->connect);
    lua_setfield(L, -2, "connect");
    lua_pushnumber(L, p->tls);
    lua_setfield(L, -2, "tls");
    lua_pushnumber(L, p->wait);
    lua_setfield(L, -2, "wait");
    lua_pushnumber(L, p->receive);
    lua_setfield(L, -2, "receive");
    lua_pushnumber(L, p->total);
    lua_setfield(L, -2, "total");
    lua_pushnumber(L, i->first_byte);
    lua_setfield(L, -2, "first_byte");
}

static void push_http_version(lua_State *L, long v)
{
    switch (v) {
    case CURL_HTTP_VERSION_1_0: lua_pushliteral(L, "1.0"); break;
    case CURL_HTTP_VERSION_1_1: lua_pushliteral(L, "1.1"); break;
    case CURL_HTTP_VERSION_2_0: lua_pushliteral(L, "2"); break;
    case CURL_HTTP_VERSION_3: lua_pushliteral(L, "3"); break;
    default: lua_pushnil(L); break;
    }
}

static void push_tls(lua_State *L, const struct resp_info *i)
{
    if (!i->tls_version) {
        lua_pushnil(L);
        return;
    }
    lua_createtable(L, 0, 2);
    lua_pushstring(L, i->tls_version);
    lua_setfield(L, -2, "version");
    if (i->tls_cipher) {
        lua_pushstring(L, i->tls_cipher);
        lua_setfield(L, -2, "cipher");
    }
}

int request_push_result(lua_State *L, struct ds_xfer *x)
{
    if (x->result != CURLE_OK) {
        const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->result);
        /* no position: the same message whether the call blocked or yielded
         * (a continuation would name the caller's line) */
        lua_pushfstring(L, "%s %s: %s", x->method, x->url, why);
        return lua_error(L);
    }
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, x->status);
    lua_setfield(L, -2, "status");
    lua_pushlstring(L, x->body.p ? x->body.p : "", x->body.len);
    lua_setfield(L, -2, "body");
    lua_pushnumber(L, x->elapsed);
    lua_setfield(L, -2, "elapsed");
    lua_pushstring(L, x->url);
    lua_setfield(L, -2, "url");
    lua_pushstring(L, x->method);
    lua_setfield(L, -2, "method");
    luaL_setmetatable(L, RESPONSE_MT);
    /* Parsing headers into a table costs more than the rest of the response;
     * most lookups never read them. Keep the raw block (after the rarely
     * read resp_info) until r.headers is first read. */
    struct resp_info info;
    info_of(x, &info);
    lua_getfield(L, LUA_REGISTRYINDEX, RAW_HEADERS);
    lua_pushvalue(L, -2);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, sizeof info + x->head.len);
    memcpy(p, &info, sizeof info);
    if (x->head.len)
        memcpy(p + sizeof info, x->head.p, x->head.len);
    luaL_pushresultsize(&b, sizeof info + x->head.len);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    return 1;
}

/* Pushes the raw bytes of response 1 (resp_info, then the header block);
 * *info gets the first part. */
static const char *push_raw(lua_State *L, struct resp_info *info, size_t *head_len)
{
    lua_getfield(L, LUA_REGISTRYINDEX, RAW_HEADERS);
    lua_pushvalue(L, 1);
    lua_rawget(L, -2);
    size_t len = 0;
    const char *raw = lua_tolstring(L, -1, &len);
    if (!raw || len < sizeof *info) /* not a response of ours */
        luaL_error(L, "not a response");
    memcpy(info, raw, sizeof *info); /* a Lua string's bytes need not be aligned */
    *head_len = len - sizeof *info;
    return raw + sizeof *info;
}

/* r.timings, r.http_version, r.connects, r.tls on first read; 0 when k is
 * none of them. */
static int push_info(lua_State *L, const char *k)
{
    static const char *const names[] = {"timings", "http_version", "connects", "tls", NULL};
    int which = 0;
    while (names[which] && strcmp(k, names[which]) != 0)
        which++;
    if (!names[which])
        return 0;
    struct resp_info info;
    size_t head_len;
    push_raw(L, &info, &head_len);
    switch (which) {
    case 0: push_timings(L, &info); break;
    case 1: push_http_version(L, info.http_version); break;
    case 2: lua_pushinteger(L, info.connects); break;
    default: push_tls(L, &info); break;
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, 1, k);
    return 1;
}

/* r.server_timing: {name = seconds} of the Server-Timing header(s), from
 * any server ({} without one). */
static int push_server_timing(lua_State *L)
{
    lua_getfield(L, 1, "headers");
    lua_getfield(L, -1, "server-timing");
    size_t len = 0;
    const char *v = lua_tolstring(L, -1, &len);
    struct st_metric m[ST_MAX];
    int n = v ? st_parse(v, len, m, ST_MAX) : 0;
    lua_createtable(L, 0, n);
    for (int i = 0; i < n; i++) {
        lua_pushnumber(L, m[i].dur);
        lua_setfield(L, -2, m[i].name);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, 1, "server_timing");
    return 1;
}

/* The response's __index: r.headers, r.server_timing and push_info's on
 * first use, and the methods. */
static int response_index(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    if (k && strcmp(k, "server_timing") == 0)
        return push_server_timing(L);
    if (k && strcmp(k, "headers") == 0) {
        struct resp_info info;
        size_t len;
        const char *head = push_raw(L, &info, &len);
        push_headers(L, head, len);
        lua_pushvalue(L, 1);
        lua_pushlstring(L, (const char *)&info, sizeof info);
        lua_rawset(L, -5); /* forget the header block, keep the info */
        lua_pushvalue(L, -1);
        lua_setfield(L, 1, "headers");
        return 1;
    }
    if (k && push_info(L, k))
        return 1;
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

void request_register(lua_State *L)
{
    luaL_newmetatable(L, XFER_MT);
    lua_pushcfunction(L, request_gc);
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
