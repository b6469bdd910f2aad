/* Unit tests of the sessions' parts that need no network: a login's body
 * (form and JSON), the session routes, and the session table's answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "login_body.h"
#include "route.h"
#include "seed.h"
#include "session.h"
#include "store.h"
#include "store_build.h"

static int failures;

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++; \
        } \
    } while (0)

/* The name a body gives, or "" with the result in *rc. */
static const char *name_of(int json, const char *body, enum ds_login_body *rc)
{
    static char out[256];
    char *name;
    *rc = json ? ds_login_json(body, strlen(body), &name) : ds_login_form(body, strlen(body), &name);
    snprintf(out, sizeof out, "%s", name ? name : "");
    free(name);
    return out;
}

static int form_is(const char *body, const char *want)
{
    enum ds_login_body rc;
    return strcmp(name_of(0, body, &rc), want) == 0 && rc == DS_BODY_OK;
}

static int json_is(const char *body, const char *want)
{
    enum ds_login_body rc;
    return strcmp(name_of(1, body, &rc), want) == 0 && rc == DS_BODY_OK;
}

static enum ds_login_body json_rc(const char *body)
{
    enum ds_login_body rc;
    name_of(1, body, &rc);
    return rc;
}

static enum ds_login_body form_rc(const char *body)
{
    enum ds_login_body rc;
    name_of(0, body, &rc);
    return rc;
}

static void test_form(void)
{
    CHECK(form_is("name=John", "John"));
    CHECK(form_is("a=1&name=John+Liu&b", "John Liu"));
    CHECK(form_is("%6Eame=Wil%6Ciam", "William"));
    CHECK(form_is("name=a&name=b", "a"));          /* the first wins */
    CHECK(form_is("name=%C3%A9", "\xC3\xA9"));
    CHECK(form_rc("") == DS_BODY_NO_NAME);
    CHECK(form_rc("name=") == DS_BODY_NO_NAME);
    CHECK(form_rc("name") == DS_BODY_NO_NAME);
    CHECK(form_rc("nam=John") == DS_BODY_NO_NAME);
    CHECK(form_rc("name=a%00b") == DS_BODY_MALFORMED);
}

static void test_json(void)
{
    CHECK(json_is("{\"name\":\"John\"}", "John"));
    CHECK(json_is(" { \"id\" : [1, {\"x\": null}], \"name\" : \"Jo\\u0068n\" } ", "John"));
    CHECK(json_is("{\"name\":\"\\ud83d\\ude00\"}", "\xF0\x9F\x98\x80"));
    CHECK(json_is("{\"n\\u0061me\":\"a\\\"b\"}", "a\"b"));
    CHECK(json_is("{\"name\":\"a\",\"name\":\"b\"}", "a"));
    CHECK(json_is("{\"x\":-1.5e+3,\"y\":true,\"name\":\"z\",\"w\":false}", "z"));
    CHECK(json_rc("{}") == DS_BODY_NO_NAME);
    CHECK(json_rc("{\"name\":3}") == DS_BODY_NO_NAME);
    CHECK(json_rc("{\"name\":\"\"}") == DS_BODY_NO_NAME);
    CHECK(json_rc("{\"name\":null}") == DS_BODY_NO_NAME);
    CHECK(json_rc("") == DS_BODY_MALFORMED);
    CHECK(json_rc("[\"name\"]") == DS_BODY_MALFORMED);
    CHECK(json_rc("{\"name\":\"x\"") == DS_BODY_MALFORMED);
    CHECK(json_rc("{\"name\":\"x\"} x") == DS_BODY_MALFORMED);
    CHECK(json_rc("{\"name\":\"x\",}") == DS_BODY_MALFORMED);
    CHECK(json_rc("{\"name\":\"a\\u0000b\"}") == DS_BODY_MALFORMED);
    CHECK(json_rc("{\"name\":\"\\ud83d\"}") == DS_BODY_MALFORMED);
    CHECK(json_rc("{\"name\":\"a\nb\"}") == DS_BODY_MALFORMED);
    CHECK(json_rc("{\"x\":01,\"name\":\"a\"}") == DS_BODY_MALFORMED);
    CHECK(json_rc("{\"x\":tru,\"name\":\"a\"}") == DS_BODY_MALFORMED);
    char deep[300] = "{\"x\":";
    for (int i = 0; i < 100; i++)
        strcat(deep, "[");
    CHECK(json_rc(deep) == DS_BODY_MALFORMED);
}

static void test_routes(void)
{
    struct ds_route r;
    CHECK(ds_route_match("/login", &r) == 0 && r.kind == DS_ROUTE_LOGIN);
    CHECK(ds_route_match("/logout", &r) == 0 && r.kind == DS_ROUTE_LOGOUT);
    CHECK(ds_route_match("/me", &r) == 0 && r.kind == DS_ROUTE_ME);
    CHECK(ds_route_match("/me/1", &r) == 0 && r.kind == DS_ROUTE_NONE);
    ds_route_free(&r);
    /* the delays: login as /users, me and logout as /users/{id} */
    r.kind = DS_ROUTE_LOGIN;
    CHECK(ds_api_route("POST", &r) == 0 && ds_api_route("GET", &r) == -1);
    r.kind = DS_ROUTE_ME;
    CHECK(ds_api_route("GET", &r) == 1 && ds_api_route("POST", &r) == -1);
    r.kind = DS_ROUTE_LOGOUT;
    CHECK(ds_api_route("POST", &r) == 1);
}

static unsigned answer(struct ds_sessions *t, const struct ds_store *s, const char *method,
                       enum ds_route_kind kind, const struct ds_session_in *in,
                       struct ds_reply *r)
{
    struct ds_route rt = {kind, NULL};
    if (ds_session_reply(t, s, method, &rt, in, r) != 0)
        return 0;
    return r->status;
}

/* The token of a reply's Set-Cookie. */
static void token_of(const struct ds_reply *r, char *out, size_t len)
{
    const char *v = r->set_cookie + strlen("session=");
    snprintf(out, len, "%.*s", (int)strcspn(v, ";"), v);
}

static void test_sessions(void)
{
    struct ds_store *s = ds_store_seed();
    struct ds_sessions *t = ds_sessions_new(2);
    struct ds_reply r;
    struct ds_session_in in = {.body = "name=john", .body_len = 9};
    CHECK(answer(t, s, "POST", DS_ROUTE_LOGIN, &in, &r) == 200);
    CHECK(strcmp(r.body, "{\"id\":\"1\",\"name\":\"John Liu\",\"role\":\"sales\"}") == 0);
    CHECK(strncmp(r.set_cookie, "session=", 8) == 0 && strstr(r.set_cookie, "; HttpOnly") &&
          strstr(r.set_cookie, "; Path=/"));
    char john[64], william[64], jordan[64];
    token_of(&r, john, sizeof john);
    free(r.body);
    in = (struct ds_session_in){.content_type = "application/json; charset=utf-8",
                                .body = "{\"name\":\"OTT\"}", .body_len = 14};
    CHECK(answer(t, s, "POST", DS_ROUTE_LOGIN, &in, &r) == 200);
    token_of(&r, william, sizeof william);
    free(r.body);
    in = (struct ds_session_in){.cookie = john};
    CHECK(answer(t, s, "GET", DS_ROUTE_ME, &in, &r) == 200 && strstr(r.body, "John Liu"));
    free(r.body);
    in.cookie = william;
    CHECK(answer(t, s, "GET", DS_ROUTE_ME, &in, &r) == 200 && strstr(r.body, "William Ott"));
    free(r.body);
    /* a third login in a table of two takes the oldest session's place */
    in = (struct ds_session_in){.body = "name=jordan", .body_len = 11};
    CHECK(answer(t, s, "POST", DS_ROUTE_LOGIN, &in, &r) == 200);
    token_of(&r, jordan, sizeof jordan);
    free(r.body);
    in = (struct ds_session_in){.cookie = john};
    CHECK(answer(t, s, "GET", DS_ROUTE_ME, &in, &r) == 401 && strstr(r.body, "Unauthorized"));
    free(r.body);
    in.cookie = jordan;
    CHECK(answer(t, s, "GET", DS_ROUTE_ME, &in, &r) == 200 && strstr(r.body, "Jordan Lin"));
    free(r.body);
    /* logout ends it and expires the cookie */
    CHECK(answer(t, s, "POST", DS_ROUTE_LOGOUT, &in, &r) == 204 && r.len == 0 &&
          strstr(r.set_cookie, "Max-Age=0"));
    free(r.body);
    CHECK(answer(t, s, "GET", DS_ROUTE_ME, &in, &r) == 401);
    free(r.body);
    in.cookie = "0000000";
    CHECK(answer(t, s, "GET", DS_ROUTE_ME, &in, &r) == 401);
    free(r.body);
    /* a token with the right slot and a wrong secret */
    char forged[64];
    snprintf(forged, sizeof forged, "%s", william);
    forged[39] = forged[39] == '0' ? '1' : '0';
    in.cookie = forged;
    CHECK(answer(t, s, "GET", DS_ROUTE_ME, &in, &r) == 401);
    free(r.body);
    /* failures */
    struct { const char *ct, *body; int over; unsigned status; } bad[] = {
        {NULL, "name=jo", 0, 401},          /* John Liu and Jordan Lin */
        {NULL, "name=nobody", 0, 401},
        {NULL, "", 0, 400},
        {"application/json", "{\"name\":", 0, 400},
        {"text/plain", "name=john", 0, 415},
        {NULL, "name=john", 1, 413},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        in = (struct ds_session_in){.content_type = bad[i].ct, .body = bad[i].body,
                                    .body_len = strlen(bad[i].body), .body_over = bad[i].over};
        CHECK(answer(t, s, "POST", DS_ROUTE_LOGIN, &in, &r) == bad[i].status);
        CHECK(r.set_cookie[0] == '\0');
        free(r.body);
    }
    CHECK(answer(t, s, "PUT", DS_ROUTE_LOGIN, NULL, &r) == 405 && strcmp(r.allow, "POST") == 0);
    free(r.body);
    CHECK(answer(t, s, "POST", DS_ROUTE_ME, NULL, &r) == 405 && strcmp(r.allow, "GET") == 0);
    free(r.body);
    /* ds_api_answer: a request without cookie or body */
    CHECK(ds_api_answer(s, "GET", "/me", &(struct ds_query){0}, &r) == 0 && r.status == 401);
    free(r.body);
    CHECK(ds_api_answer(s, "POST", "/login", &(struct ds_query){0}, &r) == 0 && r.status == 400);
    free(r.body);
    ds_sessions_free(t);
    ds_store_free(s);
}

int main(void)
{
    test_form();
    test_json();
    test_routes();
    test_sessions();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("all session unit checks passed\n");
    return failures ? 1 : 0;
}
