/* `dockscript serve`: the Docking API server in the foreground until
 * SIGINT or SIGTERM. Its options, their checks and --help come from the
 * server's option table (server_opts.h). */
#include "cmd_serve.h"

#include <curl/curl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datafile.h"
#include "server.h"
#include "server_opts.h"

/* getopt_long's value for a row's flag (no_flag: + 1); above any char */
#define LONG_VAL(i) (256 + 2 * (int)(i))
#define HELP_COL 23
#define WIDTH 79
/* Room in the getopt table; more rows is a bug caught at the first run. */
#define MAX_ROWS 32
/* Stands for a space that --help does not break a line at. */
#define NBSP '\x1f'

static int usage_error(const char *msg)
{
    fprintf(stderr, "dockscript serve: %s (see --help)\n", msg);
    return 2;
}

/* Writes text from column HELP_COL on, wrapped at WIDTH; col is where the
 * cursor is. */
static void wrap(FILE *f, int col, const char *text)
{
    /* a left column too wide for the gap: the text starts on the next line */
    if (col >= HELP_COL) {
        fputc('\n', f);
        col = 0;
    }
    while (*text) {
        size_t word = strcspn(text, " ");
        if (col > HELP_COL && col + 1 + (int)word > WIDTH) {
            fputc('\n', f);
            col = 0;
        }
        if (col < HELP_COL) {
            fprintf(f, "%*s", HELP_COL - col, "");
            col = HELP_COL;
        } else {
            fputc(' ', f);
            col++;
        }
        for (size_t i = 0; i < word; i++)
            fputc(text[i] == NBSP ? ' ' : text[i], f);
        col += (int)word;
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', f);
}

/* "  --port N" or "  --log / --quiet": the row's left column. */
static int flags_column(FILE *f, const struct ds_server_opt *r)
{
    int n = fprintf(f, "  ");
    if (r->flag)
        n += fprintf(f, "--%s", r->flag);
    if (r->flag && r->no_flag)
        n += fprintf(f, " / ");
    if (r->no_flag)
        n += fprintf(f, "--%s", r->no_flag);
    if (r->metavar)
        n += fprintf(f, " %s", r->metavar);
    return n;
}

static void print_help(FILE *f)
{
    size_t n;
    const struct ds_server_opt *t = ds_server_opt_table(&n);
    fputs("usage: dockscript serve [OPTIONS]\n"
          "Runs the Docking API server until SIGINT or SIGTERM.\n", f);
    for (size_t i = 0; i < n; i++) {
        char help[400];
        /* a flag's help says what it changes from */
        if (t[i].def && t[i].type != DS_OPT_FLAG)
            snprintf(help, sizeof help, "%s (default%c%s)", t[i].help, NBSP, t[i].def);
        else
            snprintf(help, sizeof help, "%s", t[i].help);
        wrap(f, flags_column(f, &t[i]), help);
    }
    wrap(f, fprintf(f, "  --help"), "this text");
    fputs("A summary line goes to stderr at the stop.\n"
          "Exit codes: 0 stopped by a signal, 1 runtime error, 2 usage error.\n", f);
}

/* getopt_long's table from the option table, and --help. */
static void getopt_table(struct option *longs)
{
    size_t n, k = 0;
    const struct ds_server_opt *t = ds_server_opt_table(&n);
    for (size_t i = 0; i < n; i++) {
        int arg = t[i].type == DS_OPT_FLAG ? no_argument : required_argument;
        if (t[i].flag)
            longs[k++] = (struct option){t[i].flag, arg, NULL, LONG_VAL(i)};
        if (t[i].no_flag)
            longs[k++] = (struct option){t[i].no_flag, no_argument, NULL, LONG_VAL(i) + 1};
    }
    longs[k++] = (struct option){"help", no_argument, NULL, 'h'};
    longs[k] = (struct option){NULL, 0, NULL, 0};
}

/* The row getopt_long's c stands for (NULL for --help); *on is 0 for a
 * no_flag. */
static const struct ds_server_opt *row_of(int c, int *on)
{
    size_t n;
    const struct ds_server_opt *t = ds_server_opt_table(&n);
    *on = (c - LONG_VAL(0)) % 2 == 0;
    return c >= LONG_VAL(0) && c < LONG_VAL(n) ? &t[(c - LONG_VAL(0)) / 2] : NULL;
}

/* getopt_long takes any unambiguous prefix ("--del" for --delay); the
 * command takes whole names only, so that a new option never changes what
 * an old command line means. The argument of the option just read: */
static const char *option_arg(char **argv)
{
    /* optind is past it, and past its value when that came separately */
    return optarg && optarg == argv[optind - 1] ? argv[optind - 2] : argv[optind - 1];
}

static int abbreviated(const char *arg, const char *name)
{
    return strncmp(arg, "--", 2) == 0 && strcspn(arg + 2, "=") != strlen(name);
}

/* The long name of getopt_long's value c: "port", "quiet", "help". */
static const char *flag_name(int c)
{
    int on;
    const struct ds_server_opt *r = row_of(c, &on);
    return !r ? "help" : on && r->flag ? r->flag : r->no_flag;
}

/* The argument holding the unknown short option c: getopt_long moves on
 * only after the last letter of "-xyz". */
static const char *short_arg(int argc, char **argv, int c)
{
    const char *next = optind < argc ? argv[optind] : "";
    return next[0] == '-' && next[1] == c ? next : argv[optind - 1];
}

/* getopt_long said '?' with optopt: a flag given a value (optopt is its
 * value), an unknown short option (the letter: "-port" is one, -p) or an
 * unknown, ambiguous or abbreviated long option (0; arg is the argument
 * it was reading). */
static int bad_option(const char *arg, int optopt_was)
{
    char msg[300], nm[64];
    int flag = optopt_was >= LONG_VAL(0) || optopt_was == 'h';
    if (flag && !abbreviated(arg, flag_name(optopt_was))) {
        snprintf(msg, sizeof msg, "--%s takes no value", flag_name(optopt_was));
        return usage_error(msg);
    }
    snprintf(nm, sizeof nm, "%.*s", (int)strcspn(arg, "="), arg);
    ds_server_opt_unknown(nm, DS_NAME_FLAG, msg, sizeof msg);
    return usage_error(msg);
}

/* One option from getopt_long; 0, or the exit code 2. */
static int take(struct ds_server_opts *o, int c, const char *value)
{
    char err[512];
    int on;
    const struct ds_server_opt *r = row_of(c, &on);
    struct ds_opt_value v = {DS_VAL_TEXT, value};
    if (r->type == DS_OPT_FLAG)
        v = (struct ds_opt_value){DS_VAL_BOOL, on ? "true" : "false"};
    if (ds_server_opt_set(o, r, v, DS_NAME_FLAG, err, sizeof err) != 0)
        return usage_error(err);
    return 0;
}

/* Returns -1 to go on, or an exit code (0 for --help, 2 for errors). */
static int parse_args(int argc, char **argv, struct ds_server_opts *o)
{
    size_t n;
    ds_server_opt_table(&n);
    if (n > MAX_ROWS)
        abort();
    struct option longs[2 * MAX_ROWS + 2];
    char msg[300];
    getopt_table(longs);
    opterr = 0;
    optind = 1;
    /* "+": stop at the first argument that is not an option; ":": report
     * a missing value as ':' */
    for (int c, li = -1; (c = getopt_long(argc, argv, "+:h", longs, &li)) != -1; li = -1) {
        int rc = 0;
        if (li >= 0 && abbreviated(option_arg(argv), longs[li].name))
            return bad_option(option_arg(argv), 0);
        if (c == 'h') {
            print_help(stdout);
            return 0;
        }
        if (c == '?' && optopt > 0 && optopt < LONG_VAL(0) && optopt != 'h')
            return bad_option(short_arg(argc, argv, optopt), 0);
        if (c == '?')
            return bad_option(argv[optind - 1], optopt);
        if (c == ':') {
            if (abbreviated(argv[optind - 1], flag_name(optopt)))
                return bad_option(argv[optind - 1], 0);
            snprintf(msg, sizeof msg, "--%s needs a value", flag_name(optopt));
            return usage_error(msg);
        }
        if ((rc = take(o, c, optarg)) != 0)
            return rc;
    }
    if (optind < argc) {
        snprintf(msg, sizeof msg, "unexpected argument '%.64s'", argv[optind]);
        return usage_error(msg);
    }
    if (ds_server_opts_check(o, DS_NAME_FLAG, msg, sizeof msg) != 0)
        return usage_error(msg);
    return -1;
}

/* The start line: the URL (tests and scripts read it), then the settings
 * that shape the answers. */
static void print_listening(const struct ds_server_opts *o, const struct ds_server *srv)
{
    char url[300], more[512] = "";
    size_t n = 0;
    ds_server_url(o->host, ds_server_port(srv), ds_server_tls(srv), url, sizeof url);
    for (int i = 0; i < DS_SERVER_ROUTES; i++)
        if (o->route_delay[i])
            n += (size_t)snprintf(more + n, sizeof more - n, ", %s delay %.64s",
                                  ds_server_route_name(i), o->route_delay[i]);
    if (o->client_delay && n < sizeof more)
        n += (size_t)snprintf(more + n, sizeof more - n, ", X-Delay up to %gs", o->max_delay);
    double faults = 0;
    for (int k = 0; k < DS_SERVER_FAULTS; k++)
        faults += o->fault[k];
    /* ", fail 0.1 reset 0 hang 0.05" */
    for (unsigned k = 0; faults > 0 && k < DS_SERVER_FAULTS && n < sizeof more; k++)
        n += (size_t)snprintf(more + n, sizeof more - n, "%s%s %g", k ? " " : ", ",
                              ds_server_fault_name(k), o->fault[k]);
    if (o->queue_max >= 0 && n < sizeof more)
        n += (size_t)snprintf(more + n, sizeof more - n, ", queue max %ld", o->queue_max);
    if (o->schedule && n < sizeof more)
        n += (size_t)snprintf(more + n, sizeof more - n, ", schedule from the %s: %.200s",
                              strcmp(o->schedule_from, "start") == 0 ? "start"
                                                                     : "first API request",
                              o->schedule);
    if (!o->server_timing && n < sizeof more)
        snprintf(more + n, sizeof more - n, ", no Server-Timing");
    char workers[32] = "unlimited";
    if (o->workers)
        snprintf(workers, sizeof workers, "%u", o->workers);
    printf("dockscript serve: listening on %s (delay %s, seed %llu, workers %s%s)\n", url,
           o->delay, (unsigned long long)o->seed, workers, more);
    fflush(stdout);
}

static size_t keep_body(char *p, size_t size, size_t n, void *ud)
{
    char *body = ud;
    size_t have = strlen(body), len = size * n;
    size_t room = 31 - have;
    memcpy(body + have, p, len < room ? len : room);
    body[have + (len < room ? len : room)] = 0;
    return len;
}

/* Who holds the port we could not listen on. A `serve ... &` whose error
 * scrolls by unnoticed leaves the commands after it talking to the earlier
 * server: the message says so, in words a reader of a failed example needs. */
static void explain_occupant(const struct ds_server_opts *o)
{
    char url[300], body[32] = "";
    snprintf(url, sizeof url, strchr(o->host, ':') ? "http://[%s]:%u/" : "http://%s:%u/", o->host,
             o->port);
    CURL *c = curl_easy_init();
    if (!c)
        return;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)body);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK && rc != CURLE_WRITE_ERROR)
        return;
    fprintf(stderr, "dockscript serve: %s already answers at %.*s: requests there reach it, not "
            "this server; stop it, or pick another --port (--port 0: a free one)\n",
            strcmp(body, "Docking API") == 0 ? "an earlier dockscript serve" : "another server",
            (int)strlen(url) - 1, url);
}

/* The server, from the parsed options; an exit code when it cannot start. */
static struct ds_server *start(struct ds_server_opts *o, int *code)
{
    char err[512];
    if (o->data) {
        o->store = datafile_load(o->data, err, sizeof err);
        if (!o->store) {
            fprintf(stderr, "dockscript serve: %s\n", err);
            *code = 2;
            return NULL;
        }
    }
    enum ds_server_err kind;
    struct ds_server *srv = ds_server_start(o, err, sizeof err, &kind);
    if (!srv) {
        fprintf(stderr, "dockscript serve: %s\n", err);
        *code = kind == DS_SERVER_EUSAGE ? 2 : 1;
        if (kind != DS_SERVER_EUSAGE && o->port)
            explain_occupant(o);
    }
    return srv;
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
    struct ds_server *srv = start(&o, &rc);
    if (!srv)
        return rc;
    print_listening(&o, srv);
    int sig = 0;
    sigwait(&stop, &sig);
    if (o.log)
        fprintf(stderr, "dockscript serve: %s, stopping\n", strsignal(sig));
    struct ds_server_stats st;
    ds_server_stop(srv, &st);
    char line[1024];
    ds_server_stats_line(&st, line, sizeof line);
    fprintf(stderr, "dockscript serve: stopped: %s\n", line);
    return 0;
}
