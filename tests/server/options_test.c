/* Unit tests of the option table (server_opts.h): its rows, the defaults,
 * one message per problem whichever front end names the option, the checks
 * of a struct filled in by hand, and "did you mean". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_opts.h"
#include "suggest.h"

static int failures;

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++; \
        } \
    } while (0)

/* err equals want, or the failure says what it was. */
#define CHECK_MSG(err, want) \
    do { \
        if (strcmp(err, want) != 0) { \
            fprintf(stderr, "%s:%d: got \"%s\"\n  want \"%s\"\n", __FILE__, __LINE__, err, want); \
            failures++; \
        } \
    } while (0)

static struct ds_opt_value text(const char *s)
{
    return (struct ds_opt_value){DS_VAL_TEXT, s};
}

/* ds_server_opt_set(key, v) on fresh options: its message, "" when it took. */
static const char *set(const char *key, struct ds_opt_value v, enum ds_opt_naming naming)
{
    static char err[512];
    struct ds_server_opts o;
    ds_server_opts_init(&o);
    err[0] = '\0';
    if (ds_server_opt_set(&o, ds_server_opt_key(key), v, naming, err, sizeof err) == 0)
        CHECK(err[0] == '\0');
    return err;
}

static void test_rows(void)
{
    size_t n;
    const struct ds_server_opt *t = ds_server_opt_table(&n);
    CHECK(n >= 16);
    for (size_t i = 0; i < n; i++) {
        char key_as_flag[32];
        snprintf(key_as_flag, sizeof key_as_flag, "%s", t[i].key);
        for (char *p = key_as_flag; *p; p++)
            *p = *p == '_' ? '-' : *p;
        CHECK(t[i].help && *t[i].help);
        CHECK(t[i].flag || t[i].no_flag);
        /* a flag is its key spelled with dashes: --max-delay, max_delay */
        CHECK(!t[i].flag || strcmp(t[i].flag, key_as_flag) == 0);
        CHECK((t[i].metavar != NULL) == (t[i].type != DS_OPT_FLAG));
        CHECK(ds_server_opt_key(t[i].key) == &t[i]);
        CHECK(!t[i].flag || ds_server_opt_flag(t[i].flag) == &t[i]);
        CHECK(!t[i].no_flag || ds_server_opt_flag(t[i].no_flag) == &t[i]);
    }
    CHECK(ds_server_opt_key("dely") == NULL && ds_server_opt_flag("max_delay") == NULL);
    CHECK(ds_server_opt_flag("quiet") == ds_server_opt_key("log"));
}

static void test_defaults(void)
{
    struct ds_server_opts o;
    char err[256];
    ds_server_opts_init(&o);
    CHECK(strcmp(o.host, "127.0.0.1") == 0 && o.port == 5000 && strcmp(o.delay, "0.5") == 0);
    CHECK(o.seed == 1 && o.max_delay == 60 && o.timeout == 10 && o.workers == 0);
    CHECK(o.queue_max == -1 && o.stats == 1 && o.log == 0 && o.client_delay == 0);
    CHECK(o.server_timing == 1 && !o.schedule && strcmp(o.schedule_from, "first-request") == 0);
    CHECK(o.fault[DS_SERVER_FAULT_FAIL] == 0 && o.fault[DS_SERVER_FAULT_RESET] == 0
          && o.fault[DS_SERVER_FAULT_HANG] == 0 && !o.data && !o.store);
    for (int i = 0; i < DS_SERVER_ROUTES; i++)
        CHECK(o.route_delay[i] == NULL);
    CHECK(ds_server_opts_check(&o, DS_NAME_FLAG, err, sizeof err) == 0);
}

/* The same problem reads the same with either name. */
static void test_messages(void)
{
    CHECK_MSG(set("port", text("70000"), DS_NAME_FLAG),
              "--port: expected an integer 0..65535, got '70000'");
    CHECK_MSG(set("port", text("70000"), DS_NAME_KEY),
              "'port': expected an integer 0..65535, got '70000'");
    CHECK_MSG(set("port", (struct ds_opt_value){DS_VAL_NUMBER, "70000"}, DS_NAME_KEY),
              "'port': expected an integer 0..65535, got '70000'");
    CHECK_MSG(set("port", (struct ds_opt_value){DS_VAL_BOOL, "true"}, DS_NAME_KEY),
              "'port': expected an integer 0..65535, got boolean");
    CHECK_MSG(set("port", text(" 80"), DS_NAME_FLAG),
              "--port: expected an integer 0..65535, got ' 80'");
    CHECK_MSG(set("port", text("0x50"), DS_NAME_FLAG),
              "--port: expected an integer 0..65535, got '0x50'");
    CHECK_MSG(set("port", text("65535"), DS_NAME_FLAG), "");
    CHECK_MSG(set("fail", text("2"), DS_NAME_FLAG), "--fail: expected a fraction 0..1, got '2'");
    CHECK_MSG(set("fail", text("2"), DS_NAME_KEY), "'fail': expected a fraction 0..1, got '2'");
    CHECK_MSG(set("max_delay", text("3601"), DS_NAME_FLAG),
              "--max-delay: expected seconds 0..3600, got '3601'");
    CHECK_MSG(set("timeout", text("inf"), DS_NAME_KEY),
              "'timeout': expected seconds 0..86400, got 'inf'");
    CHECK_MSG(set("seed", text("18446744073709551615"), DS_NAME_FLAG), "");
    CHECK_MSG(set("seed", text("18446744073709551616"), DS_NAME_FLAG),
              "--seed: expected an integer 0..2^64-1, got '18446744073709551616'");
    CHECK_MSG(set("delay", text("exp:0"), DS_NAME_FLAG),
              "--delay: expected exp:MEAN with MEAN seconds > 0 and <= 3600, got 'exp:0'");
    CHECK_MSG(set("host", text(""), DS_NAME_FLAG), "--host: must not be empty");
    CHECK_MSG(set("host", (struct ds_opt_value){DS_VAL_OTHER, "table"}, DS_NAME_KEY),
              "'host': expected a string, got table");
    CHECK_MSG(set("log", text("yes"), DS_NAME_KEY), "'log': expected a boolean, got string");
    CHECK_MSG(set("route_delay", text("users"), DS_NAME_FLAG),
              "--route-delay: expected ROUTE=SPEC, got 'users'");
    CHECK_MSG(set("route_delay", text("nosuch=1"), DS_NAME_FLAG),
              "--route-delay: unknown route 'nosuch' (routes: users, user, customers, customer)");
    CHECK_MSG(set("route_delay", text("users=x"), DS_NAME_FLAG),
              "--route-delay users: expected seconds 0..3600 or uniform:A,B, exp:MEAN or "
              "lognormal:MEDIAN,P99, got 'x'");
}

static void test_route_delay(void)
{
    struct ds_server_opts o;
    char err[256];
    ds_server_opts_init(&o);
    const struct ds_server_opt *r = ds_server_opt_key("route_delay");
    CHECK(ds_server_opt_set(&o, r, text("customer=exp:0.2"), DS_NAME_FLAG, err, sizeof err) == 0);
    CHECK(ds_server_opt_route(&o, "users", text("0.1"), DS_NAME_KEY, err, sizeof err) == 0);
    CHECK(strcmp(o.route_delay[ds_server_route_find("customer")], "exp:0.2") == 0);
    CHECK(strcmp(o.route_delay[ds_server_route_find("users")], "0.1") == 0);
    CHECK(ds_server_opt_route(&o, "user", text("-1"), DS_NAME_KEY, err, sizeof err) != 0);
    CHECK_MSG(err, "'route_delay.user': expected seconds 0..3600 or uniform:A,B, exp:MEAN or "
                   "lognormal:MEDIAN,P99, got '-1'");
}

/* ds_server_start takes the struct as it comes: its fields are checked
 * against the same table. */
static void test_check_by_hand(void)
{
    struct ds_server_opts o;
    char err[256];
    ds_server_opts_init(&o);
    o.port = 70000;
    CHECK(ds_server_opts_check(&o, DS_NAME_KEY, err, sizeof err) != 0);
    CHECK_MSG(err, "'port': expected an integer 0..65535, got '70000'");
    ds_server_opts_init(&o);
    o.timeout = NAN;
    CHECK(ds_server_opts_check(&o, DS_NAME_FLAG, err, sizeof err) != 0);
    CHECK(strstr(err, "--timeout: expected seconds 0..86400, got '") == err);
    ds_server_opts_init(&o);
    o.host = NULL;
    CHECK(ds_server_opts_check(&o, DS_NAME_FLAG, err, sizeof err) != 0);
    CHECK_MSG(err, "--host: must not be empty");
    ds_server_opts_init(&o);
    o.delay = "uniform:2,1";
    CHECK(ds_server_opts_check(&o, DS_NAME_FLAG, err, sizeof err) != 0);
    ds_server_opts_init(&o);
    o.queue_max = -5;
    CHECK(ds_server_opts_check(&o, DS_NAME_FLAG, err, sizeof err) != 0);
    CHECK_MSG(err, "--queue-max: expected an integer 0..1000000, got '-5'");
}

static void test_invariants(void)
{
    struct ds_server_opts o;
    char err[256];
    ds_server_opts_init(&o);
    o.fault[DS_SERVER_FAULT_FAIL] = 0.1;
    o.fault[DS_SERVER_FAULT_RESET] = 0.2;
    /* 1.0000000000000002 in doubles: still at most 1 */
    o.fault[DS_SERVER_FAULT_HANG] = 0.7;
    CHECK(ds_server_opts_check(&o, DS_NAME_FLAG, err, sizeof err) == 0);
    o.fault[DS_SERVER_FAULT_HANG] = 0.8;
    CHECK(ds_server_opts_check(&o, DS_NAME_FLAG, err, sizeof err) != 0);
    CHECK_MSG(err, "--fail + --reset + --hang must be at most 1, got 1.1");
    CHECK(ds_server_opts_check(&o, DS_NAME_KEY, err, sizeof err) != 0);
    CHECK_MSG(err, "'fail' + 'reset' + 'hang' must be at most 1, got 1.1");
    ds_server_opts_init(&o);
    o.queue_max = 0;
    CHECK(ds_server_opts_check(&o, DS_NAME_FLAG, err, sizeof err) != 0);
    CHECK_MSG(err, "--queue-max needs --workers: a queue forms only when every worker is busy");
    o.workers = 1;
    CHECK(ds_server_opts_check(&o, DS_NAME_FLAG, err, sizeof err) == 0);
}

/* The message ds_server_opts_check gives for --schedule s, "" if none. */
static const char *schedule(const char *s, enum ds_opt_naming naming)
{
    static char err[600];
    struct ds_server_opts o;
    ds_server_opts_init(&o);
    o.schedule = s;
    err[0] = '\0';
    if (ds_server_opts_check(&o, naming, err, sizeof err) == 0)
        CHECK(err[0] == '\0');
    return err;
}

/* Each bad schedule says what is wrong, in one line, naming the phase. */
static void test_schedule_messages(void)
{
    CHECK_MSG(schedule("10s-15s fail=0.5; 20s-25s delay=lognormal:0.5,2; 30s-31s hang=1",
                       DS_NAME_FLAG), "");
    CHECK_MSG(schedule(" 1m-1m30s  reset=0.1 ; 500ms-1s client-delay=true max-delay=2;", 0), "");
    CHECK_MSG(schedule("0-1.5 route-delay=users=0.2 route-delay=customer=exp:1", 0), "");
    CHECK_MSG(schedule("1s-2s fail=1; 2s-3s fail=1", 0), "");   /* adjacent */
    CHECK_MSG(schedule("10s-5s fail=0.5", DS_NAME_FLAG),
              "--schedule: '10s-5s fail=0.5': the end 5s must be after the start 10s");
    CHECK_MSG(schedule("5s-5s fail=0.5", DS_NAME_KEY),
              "'schedule': '5s-5s fail=0.5': the end 5s must be after the start 5s");
    CHECK_MSG(schedule("20s-25s delay=1; 10s-21s fail=0.5", DS_NAME_FLAG),
              "--schedule: '20s-25s delay=1' overlaps '10s-21s fail=0.5'");
    CHECK_MSG(schedule("1s-2s fial=0.5", DS_NAME_FLAG),
              "--schedule: '1s-2s fial=0.5': unknown key 'fial'; did you mean 'fail'?");
    CHECK_MSG(schedule("1s-2s bogus=1", DS_NAME_FLAG),
              "--schedule: '1s-2s bogus=1': unknown key 'bogus' (a phase sets delay, "
              "route-delay, client-delay, max-delay, fail, reset or hang)");
    CHECK_MSG(schedule("1s-2s workers=4", DS_NAME_FLAG),
              "--schedule: '1s-2s workers=4': workers cannot change in a phase (a phase sets "
              "delay, route-delay, client-delay, max-delay, fail, reset or hang)");
    CHECK_MSG(schedule("1s-2s fail=2", DS_NAME_FLAG),
              "--schedule: '1s-2s fail=2': fail: expected a fraction 0..1, got '2'");
    CHECK_MSG(schedule("1s-2s delay=exp:0", DS_NAME_KEY),
              "'schedule': '1s-2s delay=exp:0': delay: expected exp:MEAN with MEAN seconds > 0 "
              "and <= 3600, got 'exp:0'");
    CHECK_MSG(schedule("1s-2s route-delay=users=x", DS_NAME_FLAG),
              "--schedule: '1s-2s route-delay=users=x': route-delay users: expected seconds "
              "0..3600 or uniform:A,B, exp:MEAN or lognormal:MEDIAN,P99, got 'x'");
    CHECK_MSG(schedule("1s-2s client-delay=1", DS_NAME_FLAG),
              "--schedule: '1s-2s client-delay=1': client-delay: expected true or false, "
              "got '1'");
    CHECK_MSG(schedule("1s-2s hang=0.6 fail=0.5", DS_NAME_FLAG),
              "--schedule: '1s-2s hang=0.6 fail=0.5': fail + reset + hang must be at most 1, "
              "got 1.1");
    CHECK_MSG(schedule("1x-2s fail=1", DS_NAME_FLAG),
              "--schedule: '1x-2s fail=1': bad time '1x' (e.g. 10s, 500ms, 1m30s; at most 7 "
              "days)");
    static const char *const bad_times[] = {"1s30m", "1.s", ".5s", "1ss", "s", "1m1m", "8d",
                                            "169h", "-1s", "1e3", NULL};
    for (int i = 0; bad_times[i]; i++) {
        char text[64], want[160];
        snprintf(text, sizeof text, "0s-%s fail=1", bad_times[i]);
        snprintf(want, sizeof want, "--schedule: '%s': bad time '%s' (e.g. 10s, 500ms, "
                 "1m30s; at most 7 days)", text, bad_times[i]);
        CHECK_MSG(schedule(text, DS_NAME_FLAG), want);
    }
    CHECK_MSG(schedule("1s-2s", DS_NAME_FLAG),
              "--schedule: '1s-2s': expected KEY=VALUE after the window");
    CHECK_MSG(schedule("1s-2s fail", DS_NAME_FLAG),
              "--schedule: '1s-2s fail': expected KEY=VALUE, got 'fail'");
    CHECK_MSG(schedule("fail=1", DS_NAME_FLAG),
              "--schedule: 'fail=1': expected START-END (e.g. 10s-15s) first, got 'fail=1'");
    CHECK_MSG(schedule(" ; ;", DS_NAME_FLAG),
              "--schedule: expected phases \"START-END KEY=VALUE ...; ...\", got ' ; ;'");
    CHECK_MSG(schedule("", DS_NAME_FLAG), "--schedule: must not be empty");
    /* the options as given count: a phase adds to them */
    struct ds_server_opts o;
    char err[600];
    ds_server_opts_init(&o);
    o.fault[DS_SERVER_FAULT_FAIL] = 0.5;
    o.schedule = "1s-2s hang=0.6";
    CHECK(ds_server_opts_check(&o, DS_NAME_FLAG, err, sizeof err) != 0);
    CHECK_MSG(err, "--schedule: '1s-2s hang=0.6': fail + reset + hang must be at most 1, got 1.1");
    ds_server_opts_init(&o);
    o.schedule_from = "end";
    CHECK(ds_server_opts_check(&o, DS_NAME_KEY, err, sizeof err) != 0);
    CHECK_MSG(err, "'schedule_from': expected first-request or start, got 'end'");
    o.schedule_from = "start";
    CHECK(ds_server_opts_check(&o, DS_NAME_KEY, err, sizeof err) == 0);
}

/* The phase column: what the schedule's --help says a phase sets. */
static void test_phase_keys(void)
{
    size_t n;
    const struct ds_server_opt *t = ds_server_opt_table(&n);
    const char *help = ds_server_opt_key("schedule")->help;
    char list[256] = "";
    size_t used = 0, keys = 0;
    for (size_t i = 0; i < n; i++) {
        if (!t[i].phase)
            continue;
        CHECK(t[i].flag != NULL && t[i].no_flag == NULL);
        keys++;
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", keys == 1 ? "" : ", ",
                                 t[i].flag);
    }
    /* delay, route-delay, client-delay, max-delay and the fault kinds */
    CHECK(keys == 4 + DS_SERVER_FAULTS);
    const char *at = strstr(help, "KEY is one of ");
    CHECK(at && strcmp(at + strlen("KEY is one of "), list) == 0);
}

static void test_numbers(void)
{
    char buf[48];
    static const double round_trip[] = {0.1, 1.0 / 3, 1e-7, 123456.789, 3599.9999999};
    ds_server_opt_number(5000.0, buf, sizeof buf);
    CHECK(strcmp(buf, "5000") == 0);
    ds_server_opt_number(-0.0, buf, sizeof buf);
    CHECK(strcmp(buf, "0") == 0);
    ds_server_opt_number(0.25, buf, sizeof buf);
    CHECK(strcmp(buf, "0.25") == 0);
    for (size_t i = 0; i < sizeof round_trip / sizeof *round_trip; i++) {
        ds_server_opt_number(round_trip[i], buf, sizeof buf);
        CHECK(strtod(buf, NULL) == round_trip[i]);
    }
    ds_server_opt_number(0.1, buf, sizeof buf);
    CHECK(strcmp(buf, "0.1") == 0);
}

static void test_suggest(void)
{
    static const char *const names[] = {"delay", "data", "workers", "port", "log", "hang",
                                        "host"};
    size_t n = sizeof names / sizeof *names;
    const char *s;
    CHECK((s = ds_suggest("dely", names, n)) && strcmp(s, "delay") == 0);
    CHECK((s = ds_suggest("dealy", names, n)) && strcmp(s, "delay") == 0);   /* a swap */
    CHECK((s = ds_suggest("wrokers", names, n)) && strcmp(s, "workers") == 0);
    CHECK((s = ds_suggest("workerss", names, n)) && strcmp(s, "workers") == 0);
    CHECK((s = ds_suggest("port", names, n)) && strcmp(s, "port") == 0);
    CHECK(ds_suggest("bogus", names, n) == NULL);
    CHECK((s = ds_suggest("wor", names, n)) && strcmp(s, "workers") == 0);   /* a start */
    CHECK(ds_suggest("d", names, n) == NULL);      /* delay or data? */
    CHECK(ds_suggest("xo", names, n) == NULL);     /* too short to guess */
    CHECK((s = ds_suggest("hots", names, n)) && strcmp(s, "host") == 0);
    static const char *const twins[] = {"abcd", "abce"};
    CHECK(ds_suggest("abcf", twins, 2) == NULL);   /* one or the other? */
    CHECK(ds_suggest("", names, n) == NULL);
    char long_name[200];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CHECK(ds_suggest(long_name, names, n) == NULL);

    char err[256];
    ds_server_opt_unknown("--dely", DS_NAME_FLAG, err, sizeof err);
    CHECK_MSG(err, "unknown option '--dely'; did you mean '--delay'?");
    ds_server_opt_unknown("-port", DS_NAME_FLAG, err, sizeof err);
    CHECK_MSG(err, "unknown option '-port'; did you mean '--port'?");
    ds_server_opt_unknown("--no-stat", DS_NAME_FLAG, err, sizeof err);
    CHECK_MSG(err, "unknown option '--no-stat'; did you mean '--no-stats'?");
    ds_server_opt_unknown("dely", DS_NAME_KEY, err, sizeof err);
    CHECK_MSG(err, "unknown option 'dely'; did you mean 'delay'?");
    ds_server_opt_unknown("max-delay", DS_NAME_KEY, err, sizeof err);
    CHECK_MSG(err, "unknown option 'max-delay'; did you mean 'max_delay'?");
    ds_server_opt_unknown("bogus", DS_NAME_KEY, err, sizeof err);
    CHECK_MSG(err, "unknown option 'bogus'");
}

int main(void)
{
    test_rows();
    test_defaults();
    test_messages();
    test_route_delay();
    test_check_by_hand();
    test_invariants();
    test_schedule_messages();
    test_phase_keys();
    test_numbers();
    test_suggest();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("all option table checks passed\n");
    return failures ? 1 : 0;
}
