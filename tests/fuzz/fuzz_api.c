/* libFuzzer target: the server's request routing, query parsing, X-Delay
 * parsing and /_stats output, from the bytes of a request to its status
 * and body, without the network.
 *
 * Input: "METHOD\nURL\nXDELAY" (no newline: the whole input is the URL of
 * a GET; no second newline: no X-Delay header). The URL is split the way
 * libmicrohttpd 0.9.75 hands it to the server: a C string (it ends at the
 * first NUL), the path before the first '?', arguments separated by '&',
 * each "key=value" or a bare "key" (value NULL), escapes kept (the
 * server's unescape callback keeps them). Then the same calls as
 * server/handler.c: ds_route_match once, ds_query_set per argument,
 * ds_api_route, ds_plan_request with the X-Delay value (client delays on)
 * and ds_api_reply, on the seed store built once; and the /_stats JSON of
 * counters taken from the input.
 *
 * Beyond "no crash", it checks what every answer must be: a known status,
 * Allow: GET exactly with 405, a body whose length is what it says, and for
 * JSON a body that lua-cjson decodes and that is valid UTF-8; a plan that
 * honours X-Delay exactly when it is plain seconds, cut to the maximum. */
#include <lauxlib.h>
#include <lua-cjson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "login_body.h"
#include "plan.h"
#include "seed.h"
#include "stats.h"
#include "store.h"
#include "utf8.h"

#define MAX_DELAY 60.0

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Built once by LLVMFuzzerInitialize; read-only afterwards except the
 * Lua stack, which every check leaves as it found it. */
static struct ds_store *store;
static lua_State *lua;

static void fail(const char *what, const char *method, const char *url)
{
    fprintf(stderr, "fuzz_api: %s (method \"%s\", url \"%s\")\n", what, method, url);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    store = ds_store_seed();
    lua = luaL_newstate();
    if (!store || !lua)
        abort();
    luaL_requiref(lua, "cjson", luaopen_cjson, 0);
    lua_getfield(lua, -1, "decode");
    lua_remove(lua, -2);  /* cjson.decode stays at index 1 */
    return 0;
}

/* Whether body is valid UTF-8 that lua-cjson decodes; leaves the decoded
 * value on the Lua stack (index 2) when it is. */
static int json_ok(const char *body, size_t len)
{
    const unsigned char *p = (const unsigned char *)body;
    for (size_t i = 0, n; i < len; i += n)
        if ((n = ds_utf8_len(p + i, len - i)) == 0)
            return 0;
    lua_pushvalue(lua, 1);
    lua_pushlstring(lua, body, len);
    if (lua_pcall(lua, 1, 1, 0) == LUA_OK)
        return 1;
    fprintf(stderr, "fuzz_api: %s\n", lua_tostring(lua, -1));
    lua_pop(lua, 1);
    return 0;
}

/* Splits the query in place into q, as libmicrohttpd does. */
static void parse_query(char *qs, struct ds_query *q)
{
    while (qs && *qs) {
        char *amp = strchr(qs, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(qs, '=');
        if (eq)
            *eq = '\0';
        ds_query_set(q, qs, eq ? eq + 1 : NULL);
        qs = amp ? amp + 1 : NULL;
    }
}

static void check_reply(const struct ds_reply *r, const char *method, const char *url,
                        int api)
{
    /* 401: GET /me without a cookie; 204: POST /logout; 400: POST /login
     * without a body (session.h) */
    if (r->status != 200 && r->status != 400 && r->status != 404 && r->status != 405 &&
        r->status != 401 && r->status != 204)
        fail("unexpected status", method, url);
    if ((r->status == 405) != (r->allow != NULL))
        fail("Allow and 405 disagree", method, url);
    if (!r->body || strlen(r->body) != r->len)
        fail("body length is wrong", method, url);
    if (api >= 0 && r->status == 405)
        fail("an API request with a method its route does not take", method, url);
    if (r->status == 204) {
        if (r->len)
            fail("a 204 with a body", method, url);
        return;
    }
    if (r->text_plain) {
        if (strcmp(r->body, "Docking API") != 0)
            fail("text/plain answer other than the root", method, url);
        return;
    }
    if (!json_ok(r->body, r->len)) {
        fprintf(stderr, "fuzz_api: body %s\n", r->body);
        fail("body is not valid UTF-8 JSON", method, url);
    }
    int list = lua_istable(lua, -1) && lua_rawlen(lua, -1) > 0;
    lua_pop(lua, 1);
    if (r->status != 200 && list)
        fail("an error answered with a list", method, url);
}

/* X-Delay as the handler plans it: honoured exactly when it is plain
 * seconds, cut to the maximum; a bad value draws nothing. */
static void check_xdelay(const char *xdelay, int api, const char *url)
{
    struct ds_plan_cfg cfg = {.client_delay = 1, .max_delay = MAX_DELAY, .fault[DS_SERVER_FAULT_FAIL] = 0.5};
    for (int i = 0; i < DS_API_ROUTES; i++)
        cfg.delay[i] = (struct ds_dist){.kind = DS_DIST_EXP, .a = 0.1};
    static struct ds_schedule none;
    static struct ds_planner p;
    ds_planner_init(&p, &cfg, &none, 1, 1);
    struct ds_plan plan;
    ds_plan_request(&p, api < 0 ? 0 : api, xdelay, 1, &plan);
    double v;
    int plain = ds_seconds_scan(xdelay, &v) == 0;
    if (plan.bad_xdelay == plain)
        fail("X-Delay accepted or refused wrongly", xdelay, url);
    if (plan.bad_xdelay && p.planned != 0)
        fail("a refused X-Delay drew a fault", xdelay, url);
    if (plain && plan.wait_ns != (uint64_t)llround(fmin(v, MAX_DELAY) * 1e9))
        fail("X-Delay not honoured or not cut to the maximum", xdelay, url);
}

/* The /_stats body for counters made of the input's bytes. */
static void check_stats(const uint8_t *data, size_t size)
{
    static struct ds_server_stats st;
    memset(&st, 0, sizeof st);
    for (size_t i = 0; i + 8 <= size && i < 64; i += 8) {
        uint64_t v;
        memcpy(&v, data + i, 8);
        st.by_status[v % DS_SERVER_STATUSES] = v;
        st.by_route[v % DS_SERVER_STAT_ROUTES] += v >> 3;
        st.in_flight_max = v;
        st.delay_p99 = (double)(v % 7200000) / 1000;
    }
    /* a phase named with the input's bytes, as a schedule could name it */
    st.phases = 1;
    st.phase = 0;
    snprintf(st.phase_list[0].name, sizeof st.phase_list[0].name, "%.*s",
             (int)(size < 64 ? size : 64), (const char *)data);
    struct ds_buf b;
    ds_buf_init(&b);
    ds_stats_json(&st, &b);
    size_t len;
    char *body = ds_buf_take(&b, &len);
    if (!body || !json_ok(body, len))
        fail("the /_stats body is not valid JSON", "GET", "/_stats");
    static const char *keys[] = {"uptime", "in_flight", "in_flight_max", "queued",
                                 "requests", "faults", "delay", "cpu", "phase", "schedule",
                                 "server_timing", NULL};
    for (int i = 0; keys[i]; i++) {
        if (lua_getfield(lua, -1, keys[i]) == LUA_TNIL)
            fail("the /_stats body lacks a field", keys[i], body);
        lua_pop(lua, 1);
    }
    lua_pop(lua, 1);
    free(body);
}

/* The input as a login body (session.h): a name the parsers give is not
 * empty and holds no NUL, and a body the JSON parser reads is JSON that
 * cjson decodes into an object too. */
static void check_login_body(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    char *name;
    if (ds_login_form(p, size, &name) == DS_BODY_OK && !name[0])
        fail("an empty name from a login form", "POST", "/login");
    free(name);
    enum ds_login_body rc = ds_login_json(p, size, &name);
    if (rc == DS_BODY_OK && !name[0])
        fail("an empty name from a login JSON body", "POST", "/login");
    free(name);
    if (rc != DS_BODY_OK && rc != DS_BODY_NO_NAME)
        return;
    lua_pushvalue(lua, 1);
    lua_pushlstring(lua, p, size);
    if (lua_pcall(lua, 1, 1, 0) != LUA_OK || !lua_istable(lua, -1))
        fail("a login body read as JSON that cjson rejects", "POST", "/login");
    lua_pop(lua, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_login_body(data, size);
    char *in = malloc(size + 1);
    if (!in)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    char *nl = memchr(in, '\n', strlen(in));
    const char *method = nl ? in : "GET";
    char *url = nl ? nl + 1 : in;
    if (nl)
        *nl = '\0';
    char *nl2 = strchr(url, '\n');
    const char *xdelay = nl2 ? nl2 + 1 : NULL;
    if (nl2)
        *nl2 = '\0';
    char *qs = strchr(url, '?');
    if (qs)
        *qs++ = '\0';
    struct ds_route rt;
    if (ds_route_match(url, &rt) != 0)
        fail("out of memory", method, url);
    if (rt.kind == DS_ROUTE_STATS && !strstr(url, "stats") && !strstr(url, "%"))
        fail("/_stats matched a path that does not name it", method, url);
    struct ds_query q = {NULL, NULL, NULL};
    parse_query(qs, &q);
    int api = ds_api_route(method, &rt);
    if (xdelay)
        check_xdelay(xdelay, api, url);
    struct ds_reply r;
    if (ds_api_reply(store, method, url, &rt, &q, &r) != 0)
        fail("out of memory", method, url);
    check_reply(&r, method, url, api);
    if (rt.kind == DS_ROUTE_STATS)
        check_stats(data, size);
    ds_route_free(&rt);
    free(r.body);
    free(in);
    return 0;
}
