/* Unit tests of the server's parts that need no network: the store and its
 * id order, routing and %-decoding, the API answers, delay specs and their
 * draws, request plans, the delay histogram, the slot queue and the delay
 * timer. Links dsserver directly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "delay.h"
#include "dhist.h"
#include "dist.h"
#include "heap.h"
#include "phist.h"
#include "plan.h"
#include "reply.h"
#include "route.h"
#include "seed.h"
#include "slots.h"
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

static void test_store_duplicates(void)
{
    struct ds_store *s = ds_store_new(0, 3);
    CHECK(ds_store_add_customer(s, "1", "c", "1", 0) == 0);
    CHECK(ds_store_add_customer(s, "2", "d", "1", 1) == 0);
    CHECK(ds_store_add_customer(s, "1", "e", "1", 2) == 0);
    char err[300];
    CHECK(ds_store_finish(s, err, sizeof err) != 0);
    CHECK(strcmp(err, "duplicate customer id \"1\" (customers[0] and customers[2])") == 0);
    ds_store_free(s);
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
    CHECK(ds_route_match("/_stats", &r) == 0 && r.kind == DS_ROUTE_STATS);
    CHECK(ds_route_match("/%5Fstats", &r) == 0 && r.kind == DS_ROUTE_STATS);
    CHECK(ds_route_match("/_stats/1", &r) == 0 && r.kind == DS_ROUTE_NONE);
    CHECK(ds_route_match("/metrics", &r) == 0 && r.kind == DS_ROUTE_METRICS);
    CHECK(ds_route_match("/metrics/1", &r) == 0 && r.kind == DS_ROUTE_NONE);
    CHECK(ds_route_api_index(DS_ROUTE_METRICS) == -1);
    CHECK(ds_route_api_find("customer") == 3 && ds_route_api_find("nosuch") == -1);
    CHECK(ds_route_api_index(DS_ROUTE_USERS) == 0 && ds_route_api_index(DS_ROUTE_STATS) == -1);
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
    /* without the handler (--no-stats), /_stats is a path like any other */
    expect(s, "GET", "/_stats", none, 404,
           "{\"message\":\"Path /_stats not found\",\"type\":\"NotFound\"}");
    struct ds_route rt;
    ds_route_match("/customers/2", &rt);
    CHECK(ds_api_route("GET", &rt) == 3 && ds_api_route("POST", &rt) == -1);
    ds_route_free(&rt);
    ds_route_match("/", &rt);
    CHECK(ds_api_route("GET", &rt) == -1);
    ds_store_free(s);
}

static void test_slots(void)
{
    struct ds_slots sl;
    struct ds_delay_node a, b, c;
    ds_slots_init(&sl, 1, SIZE_MAX);
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
    ds_slots_init(&sl, 1, SIZE_MAX);
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

/* n waits s seconds once it holds a slot. */
static struct ds_delay_node *waits(struct ds_delay_node *n, double s)
{
    memset(n, 0, sizeof *n);
    n->wait_ns = (uint64_t)(s * 1e9);
    return n;
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
    struct ds_delay *d = ds_delay_start(2, SIZE_MAX, on_fire, &f, err, sizeof err);
    CHECK(d != NULL);
    struct ds_delay_node n[4];
    uint64_t t0 = ds_now_ns();
    for (int i = 0; i < 4; i++)
        CHECK(ds_delay_add(d, waits(&n[i], 0.05), -1) == 0);
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
    struct ds_delay *d = ds_delay_start(1, SIZE_MAX, on_fire, &f, err, sizeof err);
    struct ds_delay_node n[3];
    for (int i = 0; i < 3; i++)
        ds_delay_add(d, waits(&n[i], 60), -1);
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
    struct ds_delay *d = ds_delay_start(1, SIZE_MAX, on_fire, &f, err, sizeof err);
    int a[2], b[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, b) == 0);
    struct ds_delay_node n[3];
    uint64_t t0 = ds_now_ns();
    CHECK(ds_delay_add(d, waits(&n[0], 0.2), -1) == 0);     /* holds the slot */
    CHECK(ds_delay_add(d, waits(&n[1], 0.2), a[0]) == 0);   /* queued */
    CHECK(ds_delay_add(d, waits(&n[2], 0.2), b[0]) == 0);   /* queued */
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
    struct ds_delay *d = ds_delay_start(1, SIZE_MAX, on_fire, &f, err, sizeof err);
    int a[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0);
    struct ds_delay_node n[2];
    uint64_t t0 = ds_now_ns();
    CHECK(ds_delay_add(d, waits(&n[0], 0.3), a[0]) == 0);   /* holds the slot */
    CHECK(ds_delay_add(d, waits(&n[1], 0.3), -1) == 0);     /* queued */
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

/* Per-node waits on one timer: a later, shorter wait fires first; a
 * slotless node neither takes nor waits for a slot; a full queue turns a
 * node away. */
static void test_delay_mixed(void)
{
    char err[100];
    struct fired f = {{0}, {0}, 0};
    struct ds_delay *d = ds_delay_start(1, 1, on_fire, &f, err, sizeof err);
    struct ds_delay_node n[4];
    uint64_t t0 = ds_now_ns();
    CHECK(ds_delay_add(d, waits(&n[0], 0.15), -1) == 0);    /* the slot */
    CHECK(ds_delay_add(d, waits(&n[1], 0.05), -1) == 0);    /* the queue's one place */
    CHECK(ds_delay_full(d));
    CHECK(ds_delay_add(d, waits(&n[2], 0.01), -1) == DS_DELAY_FULL);
    CHECK(n[2].state == DS_NODE_OUT && ds_delay_queued(d) == 1);
    waits(&n[3], 0.02)->slotless = 1;
    CHECK(ds_delay_add(d, &n[3], -1) == 0);                  /* no slot needed */
    wait_fired(&f, 3);
    ds_delay_stop(d);
    CHECK(f.n == 3 && f.order[0] == &n[3] && f.order[1] == &n[0] && f.order[2] == &n[1]);
    CHECK(ms_since(t0, f.at[0]) >= 20 && ms_since(t0, f.at[0]) < 120);
    /* n[1] starts its 50 ms when n[0] leaves the slot at 150 ms */
    CHECK(ms_since(t0, f.at[2]) >= 200 && ms_since(t0, f.at[2]) < 320);
}

/* A node that waits forever fires only on a flush (the stop of a hung
 * request). */
static void test_delay_never(void)
{
    char err[100];
    struct fired f = {{0}, {0}, 0};
    struct ds_delay *d = ds_delay_start(0, SIZE_MAX, on_fire, &f, err, sizeof err);
    struct ds_delay_node n;
    waits(&n, 0)->wait_ns = UINT64_MAX;
    n.slotless = 1;
    CHECK(ds_delay_add(d, &n, -1) == 0);
    usleep(50000);
    CHECK(__atomic_load_n(&f.n, __ATOMIC_ACQUIRE) == 0);
    ds_delay_flush(d);
    wait_fired(&f, 1);
    CHECK(f.n == 1 && n.state == DS_NODE_DUE);
    ds_delay_stop(d);
}

static int parses(const char *spec, struct ds_dist *d)
{
    char err[200];
    return ds_dist_parse(spec, d, err, sizeof err) == 0;
}

static void test_dist_parse(void)
{
    struct ds_dist d;
    char err[200];
    CHECK(parses("0.5", &d) && d.kind == DS_DIST_FIXED && d.a == 0.5);
    CHECK(parses("0", &d) && parses("3600", &d) && parses("1e-3", &d));
    CHECK(parses("uniform:0.1,0.3", &d) && d.kind == DS_DIST_UNIFORM && d.b == 0.3);
    CHECK(parses("uniform:1,1", &d));
    CHECK(parses("exp:0.2", &d) && d.kind == DS_DIST_EXP && d.a == 0.2);
    CHECK(parses("lognormal:0.1,0.5", &d) && d.kind == DS_DIST_LOGNORMAL);
    static const char *bad[] = {"", "-1", "abc", "nan", "inf", "0x10", "1e9", "3601", " 1",
                                "exp:-1", "exp:0", "exp:", "exp:1,2", "uniform:3,1",
                                "uniform:1", "uniform:1,2,3", "uniform:,1", "lognormal:1,0.5",
                                "lognormal:1,1", "lognormal:0,1", "normal:1", ":1", "exp:+1",
                                NULL};
    for (int i = 0; bad[i]; i++) {
        CHECK(ds_dist_parse(bad[i], &d, err, sizeof err) != 0);
        /* "what is wrong, got 'SPEC'" */
        size_t n = strlen(err), k = strlen(bad[i]);
        CHECK(n > k + 8 && strncmp(err + n - k - 8, ", got '", 7) == 0
              && strncmp(err + n - k - 1, bad[i], k) == 0 && err[n - 1] == '\'');
    }
    ds_dist_parse("uniform:3,1", &d, err, sizeof err);
    CHECK(strcmp(err, "expected uniform:A,B with A <= B, got 'uniform:3,1'") == 0);
    ds_dist_parse("lognormal:1,0.5", &d, err, sizeof err);
    CHECK(strcmp(err, "expected lognormal:MEDIAN,P99 with P99 > MEDIAN, got 'lognormal:1,0.5'")
          == 0);
    ds_dist_parse("gamma:1", &d, err, sizeof err);
    CHECK(strstr(err, "unknown distribution 'gamma'") != NULL);
    double v;
    CHECK(ds_seconds_scan("1e999", &v) == 0 && isinf(v));
    CHECK(ds_seconds_scan("-1", &v) != 0 && ds_seconds_scan("1.5x", &v) != 0);
}

/* Sample moments of 200,000 draws against the distributions' own. */
static void test_dist_sample(void)
{
    enum { N = 200000 };
    struct ds_rng r;
    struct ds_dist d;
    double sum = 0, lo = 1e9, hi = 0;
    ds_rng_seed(&r, 1, 1);
    parses("uniform:0.1,0.3", &d);
    for (int i = 0; i < N; i++) {
        double v = ds_dist_sample(&d, &r);
        sum += v;
        lo = fmin(lo, v);
        hi = fmax(hi, v);
    }
    CHECK(lo >= 0.1 && hi < 0.3 && fabs(sum / N - 0.2) < 0.001);
    parses("exp:0.1", &d);
    int over_p99 = 0;
    sum = 0;
    for (int i = 0; i < N; i++) {
        double v = ds_dist_sample(&d, &r);
        sum += v;
        over_p99 += v > 0.1 * log(100.0);
    }
    CHECK(fabs(sum / N - 0.1) < 0.002 && abs(over_p99 - N / 100) < N / 500);
    parses("lognormal:0.1,0.5", &d);
    int below_median = 0, over = 0;
    for (int i = 0; i < N; i++) {
        double v = ds_dist_sample(&d, &r);
        below_median += v < 0.1;
        over += v > 0.5;
    }
    CHECK(abs(below_median - N / 2) < N / 100 && abs(over - N / 100) < N / 500);
    CHECK(fabs(ds_dist_p99(&d) - 0.5) < 1e-12);
}

/* Same seed, same draws; a fault stream that does not move the delays. */
static void test_plan(void)
{
    static struct ds_schedule none;
    struct ds_plan_cfg cfg = {0};
    for (int i = 0; i < DS_API_ROUTES; i++)
        parses("exp:0.1", &cfg.delay[i]);
    static struct ds_planner a, b;
    ds_planner_init(&a, &cfg, &none, 7, 1);
    cfg.fault[DS_SERVER_FAULT_FAIL] = 0.3;
    cfg.fault[DS_SERVER_FAULT_RESET] = 0.2;
    ds_planner_init(&b, &cfg, &none, 7, 1);
    int fails = 0, resets = 0;
    for (int i = 0; i < 10000; i++) {
        struct ds_plan pa, pb;
        ds_plan_request(&a, i % 4, NULL, 1, &pa);
        ds_plan_request(&b, i % 4, NULL, 1, &pb);
        CHECK(pa.wait_ns == pb.wait_ns && pa.fault == DS_FAULT_NONE && pa.phase == -1);
        fails += pb.fault == DS_SERVER_FAULT_FAIL;
        resets += pb.fault == DS_SERVER_FAULT_RESET;
    }
    CHECK(abs(fails - 3000) < 200 && abs(resets - 2000) < 200);
    cfg.client_delay = 1;
    cfg.max_delay = 60;
    ds_planner_init(&a, &cfg, &none, 7, 1);
    struct ds_plan p;
    ds_plan_request(&a, 0, "0.25", 1, &p);
    CHECK(!p.bad_xdelay && p.wait_ns == 250000000u);
    ds_plan_request(&a, 0, "1e9", 1, &p);
    CHECK(!p.bad_xdelay && p.wait_ns == 60000000000u);
    static const char *bad[] = {"-1", "abc", "", "0x1", "nan", "1,5", NULL};
    for (int i = 0; bad[i]; i++) {
        ds_plan_request(&a, 0, bad[i], 1, &p);
        CHECK(p.bad_xdelay);
    }
    cfg.client_delay = 0;
    ds_planner_init(&a, &cfg, &none, 7, 1);
    ds_plan_request(&a, 0, "abc", 1, &p);   /* ignored without client delays */
    CHECK(!p.bad_xdelay);
}

/* ds_rng_at(r, i) is r after i draws. */
static void test_rng_at(void)
{
    struct ds_rng r, walk;
    ds_rng_seed(&r, 42, 1);
    walk = r;
    for (uint64_t i = 0; i < 1000; i++) {
        struct ds_rng at = ds_rng_at(&r, i);
        CHECK(ds_rng_next(&at) == ds_rng_next(&walk));
    }
}

#define MS 1000000ull

/* A schedule's windows: the requests read in one get its options, the
 * rest the options as given; the n-th request's draws do not depend on
 * the phases before it. */
static void test_plan_schedule(void)
{
    static struct ds_schedule sched;
    static struct ds_planner p, plain;
    struct ds_plan_cfg cfg = {0};
    for (int i = 0; i < DS_API_ROUTES; i++)
        parses("uniform:0,1", &cfg.delay[i]);
    memset(&sched, 0, sizeof sched);
    sched.n = 2;
    sched.w[0] = (struct ds_window){.start_ns = 100 * MS, .end_ns = 200 * MS, .cfg = cfg};
    sched.w[0].cfg.fault[DS_SERVER_FAULT_FAIL] = 1;
    sched.w[1] = (struct ds_window){.start_ns = 300 * MS, .end_ns = 400 * MS, .cfg = cfg};
    for (int i = 0; i < DS_API_ROUTES; i++)
        parses("lognormal:0.5,2", &sched.w[1].cfg.delay[i]);
    ds_planner_init(&p, &cfg, &sched, 3, 5);
    static struct ds_schedule none;
    ds_planner_init(&plain, &cfg, &none, 3, 5);
    CHECK(atomic_load(&p.sched.origin_ns) == 0);    /* from the first request */
    uint64_t origin = 1000 * MS;
    int in_fail = 0, out_fail = 0;
    for (uint64_t t = 0; t < 500; t++) {
        struct ds_plan a, b;
        ds_plan_request(&p, 0, NULL, origin + t * MS, &a);
        ds_plan_request(&plain, 0, NULL, origin + t * MS, &b);
        int want = t >= 100 && t < 200 ? 0 : t >= 300 && t < 400 ? 1 : -1;
        CHECK(a.phase == want);
        if (want == 0)
            in_fail += a.fault == DS_SERVER_FAULT_FAIL;
        else
            out_fail += a.fault != DS_FAULT_NONE;
        /* outside the lognormal window, the same delay as without phases */
        if (want != 1)
            CHECK(a.wait_ns == b.wait_ns);
        else
            CHECK(a.wait_ns > 0);
    }
    CHECK(in_fail == 100 && out_fail == 0);
    CHECK(atomic_load(&p.sched.origin_ns) == origin);
    CHECK(atomic_load(&p.sched.requests[0]) == 100 && atomic_load(&p.sched.requests[1]) == 100);
    /* from the start: the clock runs before any request */
    sched.from_start = 1;
    ds_planner_init(&p, &cfg, &sched, 3, 5);
    struct ds_plan a;
    ds_plan_request(&p, 0, NULL, 5 + 150 * MS, &a);
    CHECK(a.phase == 0 && a.fault == DS_SERVER_FAULT_FAIL);
    CHECK(ds_planner_waits(&p) && ds_planner_typical_max(&p) >= 2.0);
}

/* Server-Timing's figures: milliseconds, 3 decimals, rounded to 1 us. */
static void test_ms(void)
{
    static const struct { uint64_t ns; const char *text; } cases[] = {
        {0, "0.000"}, {499, "0.000"}, {500, "0.001"}, {999, "0.001"}, {1000, "0.001"},
        {1234567, "1.235"}, {500664000, "500.664"}, {9999999, "10.000"},
        {3600000000000ull, "3600000.000"}, {UINT64_MAX, "18446744073709.552"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[32];
        ds_reply_ms(cases[i].ns, buf, sizeof buf);
        if (strcmp(buf, cases[i].text) != 0)
            fprintf(stderr, "ds_reply_ms(%llu): %s, want %s\n",
                    (unsigned long long)cases[i].ns, buf, cases[i].text);
        CHECK(strcmp(buf, cases[i].text) == 0);
    }
}

static void test_dhist(void)
{
    static struct ds_dhist h;
    CHECK(ds_dhist_quantile(&h, 0.5) == 0 && ds_dhist_max(&h) == 0);
    for (int i = 1; i <= 1000; i++)
        ds_dhist_record(&h, (uint64_t)i * 1000000u);      /* 1 ms .. 1 s */
    CHECK(fabs(ds_dhist_quantile(&h, 0.5) - 0.5) < 0.5 * 0.005);
    CHECK(fabs(ds_dhist_quantile(&h, 0.99) - 0.99) < 0.99 * 0.005);
    CHECK(ds_dhist_max(&h) == 1.0 && ds_dhist_quantile(&h, 1.0) <= 1.0);
    CHECK(fabs(ds_dhist_quantile(&h, 0.001) - 0.001) < 0.001 * 0.005);
    ds_dhist_record(&h, 7200ull * 1000000000u);           /* beyond the range */
    CHECK(ds_dhist_max(&h) == 7200.0);
}

/* Prometheus buckets: a value on a bound counts in that bound's bucket
 * (le), the buckets come out cumulative, the sum to the nanosecond. */
static void test_phist(void)
{
    static struct ds_phist h;
    ds_phist_record(&h, 0);                       /* le 0.0005 */
    ds_phist_record(&h, 500000);                  /* on 0.0005 */
    ds_phist_record(&h, 500001);                  /* le 0.001 */
    ds_phist_record(&h, 60000000000ull);          /* on 60 */
    ds_phist_record(&h, 60000000001ull);          /* +Inf */
    struct ds_buf b;
    ds_buf_init(&b);
    ds_phist_write(&h, "x", &b);
    size_t len;
    char *text = ds_buf_take(&b, &len);
    CHECK(text != NULL);
    if (!text)
        return;
    CHECK(strstr(text, "x_bucket{le=\"0.0005\"} 2\nx_bucket{le=\"0.001\"} 3\n"));
    CHECK(strstr(text, "x_bucket{le=\"30\"} 3\nx_bucket{le=\"60\"} 4\n"));
    CHECK(strstr(text, "x_bucket{le=\"+Inf\"} 5\nx_sum 120.001000002\nx_count 5\n"));
    int lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    CHECK(lines == DS_PHIST_BOUNDS + 3);
    free(text);
}

int main(void)
{
    test_id_order();
    test_store_seed();
    test_store_duplicates();
    test_route();
    test_api();
    test_slots();
    test_slots_remove();
    test_heap();
    test_delay();
    test_delay_flush();
    test_delay_hangup_queued();
    test_delay_hangup_timed();
    test_delay_mixed();
    test_delay_never();
    test_dist_parse();
    test_dist_sample();
    test_plan();
    test_rng_at();
    test_plan_schedule();
    test_ms();
    test_dhist();
    test_phist();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("all server unit checks passed\n");
    return failures ? 1 : 0;
}
