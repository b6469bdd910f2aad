/* Unit tests of the server's parts that need no network: the JSON reader,
 * the store and its id order, routing and %-decoding, the API answers, the
 * slot queue and the delay timer. Links dsserver directly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "delay.h"
#include "heap.h"
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

static void test_slots_remove(void)
{
    struct ds_slots sl;
    struct ds_delay_node a, b, c, d;
    ds_slots_init(&sl, 1);
    CHECK(ds_slots_acquire(&sl, &a) == 1);
    ds_slots_acquire(&sl, &b);
    ds_slots_acquire(&sl, &c);
    ds_slots_acquire(&sl, &d);
    ds_slots_remove(&sl, &c);               /* middle */
    ds_slots_remove(&sl, &d);               /* tail */
    CHECK(sl.waiting == 1 && sl.tail == &b);
    CHECK(ds_slots_release(&sl) == &b);
    ds_slots_acquire(&sl, &c);
    ds_slots_remove(&sl, &c);               /* the only one */
    CHECK(sl.head == NULL && sl.tail == NULL && sl.waiting == 0);
    CHECK(ds_slots_release(&sl) == NULL && sl.busy == 0);
}

/* Pushes pseudo-random due times, removes every third node from the
 * middle, and checks the rest pop in order. */
static void test_heap(void)
{
    enum { N = 300 };
    static struct ds_delay_node n[N];
    struct ds_heap h = {NULL, 0, 0};
    uint64_t x = 12345;
    for (size_t i = 0; i < N; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        n[i].due_ns = (x >> 33) % 50;      /* many ties */
        n[i].seq = i;
        CHECK(ds_heap_push(&h, &n[i]) == 0);
    }
    for (size_t i = 0; i < N; i += 3)
        ds_heap_remove(&h, &n[i]);
    CHECK(h.n == N - N / 3);
    struct ds_delay_node *prev = NULL;
    size_t popped = 0;
    while (h.n) {
        struct ds_delay_node *t = ds_heap_pop(&h);
        CHECK(t->seq % 3 != 0);
        CHECK(!prev || prev->due_ns < t->due_ns
              || (prev->due_ns == t->due_ns && prev->seq < t->seq));
        prev = t;
        popped++;
    }
    CHECK(popped == N - N / 3);
    ds_heap_free(&h);
}

struct fired {
    struct ds_delay_node *order[8];
    uint64_t at[8];
    size_t n;
};

static void on_fire(struct ds_delay_node **nodes, size_t n, void *ctx)
{
    struct fired *f = ctx;
    size_t k = f->n;
    for (size_t i = 0; i < n && k < 8; i++, k++) {
        f->at[k] = ds_now_ns();
        f->order[k] = nodes[i];
    }
    /* published last: the test thread polls n without the timer's lock */
    __atomic_store_n(&f->n, k, __ATOMIC_RELEASE);
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
        CHECK(ds_delay_add(d, &n[i], -1) == 0);
    for (int i = 0; i < 200 && ds_delay_pending(d); i++)
        usleep(5000);
    CHECK(ds_delay_pending(d) == 0);
    ds_delay_stop(d);   /* joins the timer thread: every fire call is over */
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
        ds_delay_add(d, &n[i], -1);
    uint64_t t0 = ds_now_ns();
    ds_delay_flush(d);
    for (int i = 0; i < 200 && ds_delay_pending(d); i++)
        usleep(5000);
    CHECK(ds_delay_pending(d) == 0);
    CHECK(ds_now_ns() - t0 < 500000000u);
    ds_delay_stop(d);
    CHECK(f.n == 3);
}

static uint64_t ms_since(uint64_t t0, uint64_t t)
{
    return (t - t0) / 1000000u;
}

static void wait_fired(struct fired *f, size_t n)
{
    for (int i = 0; i < 400 && __atomic_load_n(&f->n, __ATOMIC_ACQUIRE) < n; i++)
        usleep(5000);
}

/* --workers 1: a queued request whose client hangs up fires at once as
 * GONE and never takes the slot; data from a client is not a hang-up. */
static void test_delay_hangup_queued(void)
{
    char err[100];
    struct fired f = {{0}, {0}, 0};
    struct ds_delay *d = ds_delay_start(0.2, 1, on_fire, &f, err, sizeof err);
    int a[2], b[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, b) == 0);
    struct ds_delay_node n[3];
    uint64_t t0 = ds_now_ns();
    CHECK(ds_delay_add(d, &n[0], -1) == 0);     /* holds the slot */
    CHECK(ds_delay_add(d, &n[1], a[0]) == 0);   /* queued */
    CHECK(ds_delay_add(d, &n[2], b[0]) == 0);   /* queued */
    CHECK(write(b[1], "GET / HTTP/1.1\r\n", 16) == 16);  /* pipelined data */
    close(a[1]);
    wait_fired(&f, 1);
    CHECK(f.n >= 1 && f.order[0] == &n[1] && n[1].state == DS_NODE_GONE);
    CHECK(ms_since(t0, f.at[0]) < 150);
    wait_fired(&f, 3);
    CHECK(f.n == 3 && f.order[1] == &n[0] && f.order[2] == &n[2]);
    CHECK(n[0].state == DS_NODE_DUE && n[2].state == DS_NODE_DUE);
    /* n[2] got the slot after n[0], not after a slot n[1] never held */
    CHECK(ms_since(t0, f.at[1]) >= 200 && ms_since(t0, f.at[2]) >= 400);
    CHECK(ms_since(t0, f.at[2]) < 550);
    CHECK(ds_delay_pending(d) == 0);
    ds_delay_stop(d);
    close(a[0]);
    close(b[0]);
    close(b[1]);
}

/* A timed request whose client hangs up gives its slot to the next. */
static void test_delay_hangup_timed(void)
{
    char err[100];
    struct fired f = {{0}, {0}, 0};
    struct ds_delay *d = ds_delay_start(0.3, 1, on_fire, &f, err, sizeof err);
    int a[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0);
    struct ds_delay_node n[2];
    uint64_t t0 = ds_now_ns();
    CHECK(ds_delay_add(d, &n[0], a[0]) == 0);   /* holds the slot */
    CHECK(ds_delay_add(d, &n[1], -1) == 0);     /* queued */
    usleep(50000);
    CHECK(f.n == 0);
    shutdown(a[1], SHUT_RDWR);
    wait_fired(&f, 2);
    CHECK(f.n == 2 && f.order[0] == &n[0] && n[0].state == DS_NODE_GONE);
    CHECK(ms_since(t0, f.at[0]) < 200);
    /* n[1]'s delay starts when n[0] leaves, well before 2 x 0.3 s */
    CHECK(ms_since(t0, f.at[1]) >= 340 && ms_since(t0, f.at[1]) < 520);
    ds_delay_stop(d);
    close(a[0]);
    close(a[1]);
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
    test_slots_remove();
    test_heap();
    test_delay();
    test_delay_flush();
    test_delay_hangup_queued();
    test_delay_hangup_timed();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("all server unit checks passed\n");
    return failures ? 1 : 0;
}
