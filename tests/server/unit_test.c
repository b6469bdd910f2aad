/* Unit tests of the server's parts that need no network: the JSON reader,
 * the store and its id order, routing and %-decoding, the API answers, the
 * slot queue and the delay timer. Links dsserver directly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "delay.h"
#include "json.h"
#include "route.h"
#include "slots.h"
#include "store.h"

static int failures;

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++; \
        } \
    } while (0)

static int parse(const char *text, struct ds_json *v, char *err)
{
    return ds_json_parse(text, strlen(text), v, err, 200);
}

static void test_json(void)
{
    struct ds_json v;
    char err[200];
    CHECK(parse("{\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\ud83d\\ude00\"]}", &v, err) == 0);
    CHECK(v.type == DS_JSON_OBJECT && v.n == 1 && strcmp(v.items[0].key, "a") == 0);
    CHECK(v.items[0].n == 6 && v.items[0].items[1].type == DS_JSON_NUMBER);
    CHECK(strcmp(v.items[0].items[5].str, "x\xc3\xa9\xf0\x9f\x98\x80") == 0);
    ds_json_free(&v);
    static const char *bad[] = {"", "{", "[1,]", "{\"a\" 1}", "01", "\"\\x\"", "\"\x01\"",
                                "[1] 2", "\"\\ud800\"", "tru", "\"\xff\"", "{1:2}", "-", NULL};
    for (int i = 0; bad[i]; i++) {
        CHECK(parse(bad[i], &v, err) != 0);
        CHECK(strncmp(err, "line ", 5) == 0);
    }
    CHECK(parse("[\n\n  x]", &v, err) != 0 && strncmp(err, "line 3:", 7) == 0);
    char deep[200];
    memset(deep, '[', 100);
    deep[100] = '\0';
    CHECK(parse(deep, &v, err) != 0 && strstr(err, "nested deeper"));
}

static void test_id_order(void)
{
    CHECK(ds_id_cmp("2", "10") < 0);
    CHECK(ds_id_cmp("10", "2") > 0);
    CHECK(ds_id_cmp("9", "a") < 0);   /* decimal ids first */
    CHECK(ds_id_cmp("1", "01") != 0);
    CHECK(ds_id_cmp("abc", "abd") < 0);
    CHECK(ds_id_cmp("7", "7") == 0);
}

static void test_store_seed(void)
{
    struct ds_store *s = ds_store_seed();
    CHECK(s && s->nusers == 3 && s->ncustomers == 5);
    CHECK(strcmp(ds_store_user(s, "3")->name, "Jordan Lin") == 0);
    CHECK(ds_store_user(s, "4") == NULL);
    CHECK(strcmp(ds_store_customer(s, "5")->name, "Jack Bledie") == 0);
    size_t first, n = ds_store_by_sales(s, "2", &first);
    CHECK(n == 3 && strcmp(s->customers[s->by_sales[first]].id, "3") == 0);
    CHECK(ds_store_by_sales(s, "9", &first) == 0);
    ds_store_free(s);
}

static void test_store_load(void)
{
    char path[] = "/tmp/ds_unit_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *text = "{\"users\":[{\"id\":\"1\",\"name\":\"A\",\"role\":\"r\"}],\n"
                       "\"customers\":[{\"id\":\"1\",\"name\":\"c\",\"salesId\":\"1\"},\n"
                       "{\"id\":\"1\",\"name\":\"d\",\"salesId\":\"1\"}]}";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    char err[300];
    CHECK(ds_store_load(path, err, sizeof err) == NULL);
    CHECK(strstr(err, path) && strstr(err, "duplicate customer id \"1\" (lines 2 and 3)"));
    unlink(path);
}

static void test_route(void)
{
    struct ds_route r;
    CHECK(ds_route_match("/", &r) == 0 && r.kind == DS_ROUTE_ROOT);
    CHECK(ds_route_match("/users", &r) == 0 && r.kind == DS_ROUTE_USERS);
    CHECK(ds_route_match("/users/1", &r) == 0 && r.kind == DS_ROUTE_USER && strcmp(r.id, "1") == 0);
    ds_route_free(&r);
    CHECK(ds_route_match("/customers/%41b", &r) == 0 && strcmp(r.id, "Ab") == 0);
    ds_route_free(&r);
    CHECK(ds_route_match("/users/", &r) == 0 && r.kind == DS_ROUTE_NONE);
    CHECK(ds_route_match("/users/1/2", &r) == 0 && r.kind == DS_ROUTE_NONE);
    CHECK(ds_route_match("users", &r) == 0 && r.kind == DS_ROUTE_NONE);
    CHECK(ds_route_match("/users/%00", &r) == 0 && r.kind == DS_ROUTE_BAD);
    CHECK(ds_route_match("HTTP://h:1/customers", &r) == 0 && r.kind == DS_ROUTE_CUSTOMERS);
    int bad;
    char *d = ds_pct_decode("%zz%4", 5, &bad);
    CHECK(d && strcmp(d, "%zz%4") == 0);
    free(d);
    d = ds_pct_decode("a%2fb%20", 8, &bad);
    CHECK(d && strcmp(d, "a/b ") == 0);
    free(d);
    CHECK(ds_pct_decode("%00", 3, &bad) == NULL && bad);
}

static void expect(const struct ds_store *s, const char *method, const char *path,
                   struct ds_query q, unsigned status, const char *body)
{
    struct ds_reply r;
    CHECK(ds_api_answer(s, method, path, &q, &r) == 0);
    if (r.status != status || strcmp(r.body, body) != 0) {
        fprintf(stderr, "%s %s: got %u %s\n", method, path, r.status, r.body);
        failures++;
    }
    free(r.body);
}

static void test_api(void)
{
    struct ds_store *s = ds_store_seed();
    struct ds_query none = {NULL, NULL, NULL};
    expect(s, "GET", "/", none, 200, "Docking API");
    expect(s, "GET", "/users", (struct ds_query){"JOHN", NULL, NULL}, 200,
           "[{\"id\":\"1\",\"name\":\"John Liu\",\"role\":\"sales\"}]");
    expect(s, "GET", "/users", (struct ds_query){"%6a", "man", NULL}, 200,
           "[{\"id\":\"3\",\"name\":\"Jordan Lin\",\"role\":\"manager\"}]");
    expect(s, "GET", "/customers", (struct ds_query){"ja", NULL, "2"}, 200,
           "[{\"id\":\"5\",\"name\":\"Jack Bledie\",\"salesId\":\"2\"}]");
    expect(s, "GET", "/users/9", none, 404,
           "{\"message\":\"User ID 9 not found\",\"type\":\"ResourceNotFound\"}");
    expect(s, "GET", "/customers/%22", none, 404,
           "{\"message\":\"Customer ID \\\" not found\",\"type\":\"ResourceNotFound\"}");
    expect(s, "DELETE", "/users/1", none, 405,
           "{\"message\":\"Method DELETE not allowed\",\"type\":\"MethodNotAllowed\"}");
    expect(s, "GET", "/x\x01", none, 404,
           "{\"message\":\"Path /x\\u0001 not found\",\"type\":\"NotFound\"}");
    CHECK(ds_api_delayed("GET", "/users/1") && ds_api_delayed("GET", "/customers"));
    CHECK(!ds_api_delayed("GET", "/") && !ds_api_delayed("POST", "/users"));
    CHECK(!ds_api_delayed("GET", "/nope"));
    ds_store_free(s);
}

static void test_slots(void)
{
    struct ds_slots sl;
    struct ds_delay_node a, b, c;
    ds_slots_init(&sl, 1);
    CHECK(ds_slots_acquire(&sl, &a) == 1);
    CHECK(ds_slots_acquire(&sl, &b) == 0);
    CHECK(ds_slots_acquire(&sl, &c) == 0);
    CHECK(ds_slots_release(&sl) == &b);   /* arrival order */
    CHECK(ds_slots_release(&sl) == &c);
    CHECK(ds_slots_release(&sl) == NULL && sl.busy == 0);
}

struct fired {
    struct ds_delay_node *order[8];
    uint64_t at[8];
    size_t n;
};

static void on_fire(struct ds_delay_node **nodes, size_t n, void *ctx)
{
    struct fired *f = ctx;
    for (size_t i = 0; i < n && f->n < 8; i++) {
        f->at[f->n] = ds_now_ns();
        f->order[f->n++] = nodes[i];
    }
}

static void test_delay(void)
{
    char err[100];
    struct fired f = {{0}, {0}, 0};
    struct ds_delay *d = ds_delay_start(0.05, 2, on_fire, &f, err, sizeof err);
    CHECK(d != NULL);
    struct ds_delay_node n[4];
    uint64_t t0 = ds_now_ns();
    for (int i = 0; i < 4; i++)
        CHECK(ds_delay_add(d, &n[i]) == 0);
    for (int i = 0; i < 200 && ds_delay_pending(d); i++)
        usleep(5000);
    CHECK(ds_delay_pending(d) == 0);
    ds_delay_stop(d);
    CHECK(f.n == 4);
    /* two slots: 0 and 1 after one delay, 2 and 3 after two */
    CHECK(f.at[1] - t0 >= 50000000u && f.at[1] - t0 < 90000000u);
    CHECK(f.at[3] - t0 >= 100000000u && f.at[3] - t0 < 150000000u);
    CHECK(f.order[2] == &n[2] && f.order[3] == &n[3]);
}

static void test_delay_flush(void)
{
    char err[100];
    struct fired f = {{0}, {0}, 0};
    struct ds_delay *d = ds_delay_start(60, 1, on_fire, &f, err, sizeof err);
    struct ds_delay_node n[3];
    for (int i = 0; i < 3; i++)
        ds_delay_add(d, &n[i]);
    uint64_t t0 = ds_now_ns();
    ds_delay_flush(d);
    for (int i = 0; i < 200 && ds_delay_pending(d); i++)
        usleep(5000);
    CHECK(ds_delay_pending(d) == 0 && f.n == 3);
    CHECK(ds_now_ns() - t0 < 500000000u);
    ds_delay_stop(d);
}

int main(void)
{
    test_json();
    test_id_order();
    test_store_seed();
    test_store_load();
    test_route();
    test_api();
    test_slots();
    test_delay();
    test_delay_flush();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("all server unit checks passed\n");
    return failures ? 1 : 0;
}
