/* `dockscript serve`: the Docking API server in the foreground until
 * SIGINT or SIGTERM. */
#include "cmd_serve.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

static const char usage[] =
    "usage: dockscript serve [OPTIONS]\n"
    "Runs the Docking API server until SIGINT or SIGTERM.\n"
    "  --host ADDR        listen address (default 127.0.0.1)\n"
    "  --port N           TCP port (default 5000); 0 picks a free port\n"
    "  --delay SECONDS    wait per API request (default 0.5); 0 disables\n"
    "  --workers N        emulate N request slots, queue the rest (default 0 = unlimited)\n"
    "  --data FILE        JSON {\"users\":[...],\"customers\":[...]} (default: the seed data)\n"
    "  --timeout SECONDS  close idle or stalled connections (default 10; 0 = never)\n"
    "  --log / --quiet    access log on stderr on / off (default off)\n"
    "  --help             this text\n"
    "Exit codes: 0 stopped by a signal, 1 runtime error, 2 usage error.\n";

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

static int parse_seconds(const char *s, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || errno || *end || !isfinite(v) || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* One option with its value; returns 0 or the exit code 2. */
static int take_value(struct ds_server_opts *o, const char *name, const char *v)
{
    if (strcmp(name, "--host") == 0) {
        if (!*v)
            return usage_error("%s: expected an address, got '%s'", name, v);
        o->host = v;
    } else if (strcmp(name, "--port") == 0) {
        if (parse_uint(v, 65535, &o->port) != 0)
            return usage_error("%s: expected an integer 0..65535, got '%s'", name, v);
    } else if (strcmp(name, "--delay") == 0) {
        if (parse_seconds(v, 3600, &o->delay) != 0)
            return usage_error("%s: expected seconds 0..3600, got '%s'", name, v);
    } else if (strcmp(name, "--workers") == 0) {
        if (parse_uint(v, 1000000, &o->workers) != 0)
            return usage_error("%s: expected an integer 0..1000000, got '%s'", name, v);
    } else if (strcmp(name, "--timeout") == 0) {
        if (parse_seconds(v, 86400, &o->timeout) != 0)
            return usage_error("%s: expected seconds 0..86400, got '%s'", name, v);
    } else if (strcmp(name, "--data") == 0) {
        o->data_file = v;
    } else {
        return usage_error("unknown option '%s'%s", name, "");
    }
    return 0;
}

static int is_valued(const char *name)
{
    static const char *names[] = {"--host", "--port", "--delay", "--workers",
                                  "--timeout", "--data"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

/* Returns -1 to go on, or an exit code (0 for --help, 2 for errors). */
static int parse_args(int argc, char **argv, struct ds_server_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char name[32];
        const char *eq = strchr(a, '=');
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(a, "--log") == 0 || strcmp(a, "--quiet") == 0) {
            o->log = a[2] == 'l';
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            return usage_error("unexpected argument '%s'%s", a, "");
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
        if (!is_valued(name))
            return usage_error("unknown option '%s'%s", a, "");
        if (!eq && i + 1 >= argc)
            return usage_error("%s needs a value%s", name, "");
        int rc = take_value(o, name, eq ? eq + 1 : argv[++i]);
        if (rc)
            return rc;
    }
    return -1;
}

static void print_listening(const struct ds_server_opts *o, unsigned port)
{
    char url[300], workers[32];
    ds_server_url(o->host, port, url, sizeof url);
    if (o->workers)
        snprintf(workers, sizeof workers, "%u", o->workers);
    else
        snprintf(workers, sizeof workers, "unlimited");
    printf("dockscript serve: listening on %s (delay %gs, workers %s)\n", url, o->delay,
           workers);
    fflush(stdout);
}

int cmd_serve(int argc, char **argv)
{
    struct ds_server_opts o;
    ds_server_opts_init(&o);
    int rc = parse_args(argc, argv, &o);
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
    char err[512];
    enum ds_server_err kind;
    struct ds_server *srv = ds_server_start(&o, err, sizeof err, &kind);
    if (!srv) {
        fprintf(stderr, "dockscript serve: %s\n", err);
        return kind == DS_SERVER_EUSAGE ? 2 : 1;
    }
    print_listening(&o, ds_server_port(srv));
    int sig = 0;
    sigwait(&stop, &sig);
    if (o.log)
        fprintf(stderr, "dockscript serve: %s, stopping\n", strsignal(sig));
    ds_server_stop(srv);
    return 0;
}
