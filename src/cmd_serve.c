/* `dockscript serve`: the Docking API server in the foreground until
 * SIGINT or SIGTERM. */
#include "cmd_serve.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datafile.h"
#include "server.h"

static const char usage[] =
    "usage: dockscript serve [OPTIONS]\n"
    "Runs the Docking API server until SIGINT or SIGTERM.\n"
    "  --host ADDR          listen address (default 127.0.0.1)\n"
    "  --port N             TCP port (default 5000); 0 picks a free port\n"
    "  --delay SPEC         wait per API request (default 0.5); SPEC is SECONDS or\n"
    "                       uniform:A,B, exp:MEAN, lognormal:MEDIAN,P99 (seconds)\n"
    "  --route-delay R=SPEC one route's delay (users, user, customers, customer);\n"
    "                       repeatable\n"
    "  --seed S             seed of the delay and fault draws (default 1)\n"
    "  --client-delay       a request's X-Delay: SECONDS header sets its delay\n"
    "  --max-delay SECONDS  longest X-Delay honoured (default 60; longer is cut)\n"
    "  --fail P             answer a fraction P of API requests 500 InjectedFault\n"
    "  --reset P            reset the connection of a fraction P, without an answer\n"
    "  --hang P             never answer a fraction P (until --timeout)\n"
    "  --workers N          emulate N request slots, queue the rest (default 0 = unlimited)\n"
    "  --queue-max Q        with --workers: 503 at once when Q requests already wait\n"
    "  --no-stats           GET /_stats answers 404 (default: the server's counters)\n"
    "  --data FILE          JSON {\"users\":[...],\"customers\":[...]} (default: the seed data)\n"
    "  --timeout SECONDS    close idle or stalled connections (default 10; 0 = never)\n"
    "  --log / --quiet      access log on stderr on / off (default off)\n"
    "  --help               this text\n"
    "A summary line goes to stderr at the stop.\n"
    "Exit codes: 0 stopped by a signal, 1 runtime error, 2 usage error.\n";

/* The options, and what the server does not take as they come. */
struct args {
    struct ds_server_opts o;
    const char *data;
};

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "dockscript serve: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, " (see dockscript serve --help)\n");
    return 2;
}

static int parse_uint(const char *s, unsigned long max, unsigned *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-' || *s == '+')
        return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_number(const char *s, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || errno || *end || !isfinite(v) || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

static int delay_spec(const char *name, const char *v, const char **out)
{
    char why[256];
    if (ds_server_check_delay(v, why, sizeof why) != 0)
        return usage_error("%s %s", name, why);
    *out = v;
    return 0;
}

/* --route-delay ROUTE=SPEC */
static int route_delay(struct ds_server_opts *o, const char *v)
{
    const char *eq = strchr(v, '=');
    char route[32];
    snprintf(route, sizeof route, "%.*s", eq ? (int)(eq - v) : (int)strlen(v), v);
    int i = ds_server_route_find(route);
    if (!eq)
        return usage_error("--route-delay: expected ROUTE=SPEC, got '%s'%s", v, "");
    if (i < 0)
        return usage_error("--route-delay: unknown route '%s' (routes: users, user, "
                           "customers, customer)%s", route, "");
    return delay_spec("--route-delay", eq + 1, &o->route_delay[i]);
}

static int fraction(const char *name, const char *v, double *out)
{
    if (parse_number(v, 1, out) != 0)
        return usage_error("%s: expected a fraction 0..1, got '%s'", name, v);
    return 0;
}

static int counts(struct ds_server_opts *o, const char *name, const char *v)
{
    unsigned q;
    if (strcmp(name, "--port") == 0) {
        if (parse_uint(v, 65535, &o->port) != 0)
            return usage_error("%s: expected an integer 0..65535, got '%s'", name, v);
    } else if (strcmp(name, "--workers") == 0) {
        if (parse_uint(v, 1000000, &o->workers) != 0)
            return usage_error("%s: expected an integer 0..1000000, got '%s'", name, v);
    } else if (strcmp(name, "--queue-max") == 0) {
        if (parse_uint(v, 1000000, &q) != 0)
            return usage_error("%s: expected an integer 0..1000000, got '%s'", name, v);
        o->queue_max = q;
    } else {
        char *end;
        errno = 0;
        o->seed = strtoull(v, &end, 10);
        if (!*v || *v == '-' || *v == '+' || errno || *end)
            return usage_error("%s: expected an integer 0..2^64-1, got '%s'", name, v);
    }
    return 0;
}

/* One option with its value; returns 0 or the exit code 2. */
static int take_value(struct args *a, const char *name, const char *v)
{
    struct ds_server_opts *o = &a->o;
    if (strcmp(name, "--host") == 0) {
        if (!*v)
            return usage_error("%s: expected an address, got '%s'", name, v);
        o->host = v;
    } else if (strcmp(name, "--delay") == 0) {
        return delay_spec(name, v, &o->delay);
    } else if (strcmp(name, "--route-delay") == 0) {
        return route_delay(o, v);
    } else if (strcmp(name, "--max-delay") == 0) {
        if (parse_number(v, 3600, &o->max_delay) != 0)
            return usage_error("%s: expected seconds 0..3600, got '%s'", name, v);
    } else if (strcmp(name, "--timeout") == 0) {
        if (parse_number(v, 86400, &o->timeout) != 0)
            return usage_error("%s: expected seconds 0..86400, got '%s'", name, v);
    } else if (strcmp(name, "--fail") == 0 || strcmp(name, "--reset") == 0
               || strcmp(name, "--hang") == 0) {
        return fraction(name, v, name[2] == 'f' ? &o->fail : name[2] == 'r' ? &o->reset
                                                                           : &o->hang);
    } else if (strcmp(name, "--data") == 0) {
        a->data = v;
    } else {
        return counts(o, name, v);
    }
    return 0;
}

static int is_valued(const char *name)
{
    static const char *names[] = {"--host", "--port", "--delay", "--route-delay", "--seed",
                                  "--max-delay", "--fail", "--reset", "--hang", "--workers",
                                  "--queue-max", "--timeout", "--data"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

/* A flag: 1 when a is one (and set), 0 when it is not a flag. */
static int take_flag(struct ds_server_opts *o, const char *a)
{
    if (strcmp(a, "--log") == 0 || strcmp(a, "--quiet") == 0)
        o->log = a[2] == 'l';
    else if (strcmp(a, "--client-delay") == 0)
        o->client_delay = 1;
    else if (strcmp(a, "--no-stats") == 0)
        o->stats = 0;
    else
        return 0;
    return 1;
}

/* Returns -1 to go on, or an exit code (0 for --help, 2 for errors). */
static int parse_args(int argc, char **argv, struct args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        char name[32];
        const char *eq = strchr(arg, '=');
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (take_flag(&a->o, arg))
            continue;
        if (strncmp(arg, "--", 2) != 0)
            return usage_error("unexpected argument '%s'%s", arg, "");
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
        if (!is_valued(name))
            return usage_error("unknown option '%s'%s", arg, "");
        if (!eq && i + 1 >= argc)
            return usage_error("%s needs a value%s", name, "");
        int rc = take_value(a, name, eq ? eq + 1 : argv[++i]);
        if (rc)
            return rc;
    }
    if (a->o.queue_max >= 0 && a->o.workers == 0)
        return usage_error("--queue-max needs --workers N: a queue forms only when every "
                           "worker is busy%s%s", "", "");
    return -1;
}

/* The start line: the URL (tests and scripts read it), then the settings
 * that shape the answers. */
static void print_listening(const struct ds_server_opts *o, unsigned port)
{
    char url[300], more[512] = "";
    size_t n = 0;
    ds_server_url(o->host, port, url, sizeof url);
    for (int i = 0; i < DS_SERVER_ROUTES; i++)
        if (o->route_delay[i])
            n += (size_t)snprintf(more + n, sizeof more - n, ", %s delay %.64s",
                                  ds_server_route_name(i), o->route_delay[i]);
    if (o->client_delay && n < sizeof more)
        n += (size_t)snprintf(more + n, sizeof more - n, ", X-Delay up to %gs", o->max_delay);
    if (o->fail + o->reset + o->hang > 0 && n < sizeof more)
        n += (size_t)snprintf(more + n, sizeof more - n, ", fail %g reset %g hang %g",
                              o->fail, o->reset, o->hang);
    if (o->queue_max >= 0 && n < sizeof more)
        snprintf(more + n, sizeof more - n, ", queue max %ld", o->queue_max);
    char workers[32] = "unlimited";
    if (o->workers)
        snprintf(workers, sizeof workers, "%u", o->workers);
    printf("dockscript serve: listening on %s (delay %s, seed %llu, workers %s%s)\n", url,
           o->delay, (unsigned long long)o->seed, workers, more);
    fflush(stdout);
}

/* The server, from the parsed options; an exit code when it cannot start. */
static struct ds_server *start(struct args *a, int *code)
{
    char err[512];
    if (a->data) {
        a->o.store = datafile_load(a->data, err, sizeof err);
        if (!a->o.store) {
            fprintf(stderr, "dockscript serve: %s\n", err);
            *code = 2;
            return NULL;
        }
    }
    enum ds_server_err kind;
    struct ds_server *srv = ds_server_start(&a->o, err, sizeof err, &kind);
    if (!srv) {
        fprintf(stderr, "dockscript serve: %s\n", err);
        *code = kind == DS_SERVER_EUSAGE ? 2 : 1;
    }
    return srv;
}

int cmd_serve(int argc, char **argv)
{
    struct args a = {.data = NULL};
    ds_server_opts_init(&a.o);
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    /* blocked before any server thread exists, so sigwait below is the
     * only place these signals go */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct ds_server *srv = start(&a, &rc);
    if (!srv)
        return rc;
    print_listening(&a.o, ds_server_port(srv));
    int sig = 0;
    sigwait(&stop, &sig);
    if (a.o.log)
        fprintf(stderr, "dockscript serve: %s, stopping\n", strsignal(sig));
    struct ds_server_stats st;
    ds_server_stop(srv, &st);
    char line[1024];
    ds_server_stats_line(&st, line, sizeof line);
    fprintf(stderr, "dockscript serve: stopped: %s\n", line);
    return 0;
}
