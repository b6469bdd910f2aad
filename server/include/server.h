/* The Docking API server (libmicrohttpd). Runs on its own threads; the
 * caller keeps the handle and stops it. */
#ifndef DS_SERVER_H
#define DS_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct ds_store;

/* The fault kinds, one row each: X(ID, name, ACT, help). Everything about
 * a kind comes from its row:
 *   name  its option, the fraction P of API requests it hits (--fail,
 *         server.start{fail = P}, a --schedule phase's fail=P; the options
 *         struct's field fault[DS_SERVER_FAULT_FAIL]); its count's key in
 *         /_stats and srv:stats() (faults.fail) and the summary line; the
 *         access log's fault=fail; /metrics' kind="fail"
 *   ACT   what the handler does (server/fault.h): ERROR waits the
 *         request's delay, then answers 500 InjectedFault; RESET resets
 *         the connection at once, without an answer; HOLD keeps the
 *         request without a --workers slot, never answered, until
 *         --timeout or its client leaves
 *   help  its --help text
 * How a kind is planned: one seeded draw per API request splits [0, 1)
 * into the kinds' fractions in row order (plan.c), so a new kind goes
 * last and leaves the others' draws as they were. */
#define DS_SERVER_FAULT_KINDS(X)                                                             \
    X(FAIL, fail, ERROR, "answer a fraction P of API requests 500 InjectedFault")           \
    X(RESET, reset, RESET, "reset the connection of a fraction P, without an answer")       \
    X(HANG, hang, HOLD, "never answer a fraction P (until --timeout)")

#define DS_SERVER_FAULT_ID(id, name, act, help) DS_SERVER_FAULT_##id,
/* DS_SERVER_FAULT_FAIL ...: a kind's index; DS_SERVER_FAULTS of them. */
enum ds_server_fault { DS_SERVER_FAULT_KINDS(DS_SERVER_FAULT_ID) DS_SERVER_FAULTS };

/* API routes with a delay of their own, in this order: users, user,
 * customers, customer (ds_server_route_find gives the index). */
#define DS_SERVER_ROUTES 4

struct ds_server_opts {
    const char *host;      /* listen address, default "127.0.0.1" */
    unsigned port;         /* 0 picks a free port */
    const char *delay;     /* spec for every API route: SECONDS, uniform:A,B,
                              exp:MEAN or lognormal:MEDIAN,P99; default "0.5" */
    const char *route_delay[DS_SERVER_ROUTES]; /* a route's own spec, or NULL */
    uint64_t seed;         /* of the delay and fault draws, default 1 */
    int client_delay;      /* an X-Delay: SECONDS header sets the delay */
    double max_delay;      /* X-Delay is cut to this, default 60 */
    double fault[DS_SERVER_FAULTS]; /* by kind: the fraction of API requests
                              it hits; together at most 1 */
    unsigned workers;      /* request slots; 0 = unlimited */
    long queue_max;        /* requests waiting for a slot at most (503
                              beyond); -1 = unlimited; needs workers */
    const char *data;      /* a JSON data file: the caller loads it into
                              store (src/datafile.c); the server reads no
                              JSON and ignores this */
    struct ds_store *store;/* the data set, taken over by ds_server_start
                              (freed even when it fails); NULL = seed data */
    int stats;             /* GET /_stats and /metrics answer (1, default)
                              or 404 */
    int log;               /* access log on stderr */
    double timeout;        /* seconds before an idle or stalled connection
                              (or a hung request) is closed; default 10,
                              0 = never */
    int server_timing;     /* a Server-Timing header on every answer but
                              /_stats' and /metrics' (1, default) */
    const char *schedule;  /* fault phases: "10s-15s fail=0.5; 20s-25s
                              delay=2" (server/schedule.h), or NULL */
    const char *schedule_from; /* "first-request" (default): the phases' times
                              count from the first API request; "start":
                              from the server's start */
    const char *tls_cert;  /* PEM certificate (chain) file: serve HTTPS */
    const char *tls_key;   /* its PEM private key file, unencrypted */
    const char *tls_self_signed; /* a directory: serve HTTPS with a key and
                              certificate made at start, the certificate
                              written to DIR/cert.pem for clients to trust */
};

enum ds_server_err { DS_SERVER_OK = 0, DS_SERVER_EUSAGE = 2, DS_SERVER_ERUNTIME = 1 };

struct ds_server;

/* Defaults for every field (the option table's, server_opts.h). */
void ds_server_opts_init(struct ds_server_opts *o);
/* The index (0..DS_SERVER_ROUTES-1) of an API route name, or -1. */
int ds_server_route_find(const char *name);
const char *ds_server_route_name(int i);

/* Starts listening. On failure returns NULL, writes one line (no newline)
 * into err and sets *kind: DS_SERVER_EUSAGE for a bad option,
 * DS_SERVER_ERUNTIME for e.g. a port in use. */
struct ds_server *ds_server_start(const struct ds_server_opts *o, char *err,
                                  size_t errlen, enum ds_server_err *kind);

/* The port actually bound (useful with port 0). */
unsigned ds_server_port(const struct ds_server *s);

/* Whether it serves HTTPS. */
int ds_server_tls(const struct ds_server *s);

/* "http://HOST:PORT" ("https://" when tls), with an IPv6 host in brackets. */
void ds_server_url(const char *host, unsigned port, int tls, char *buf, size_t len);

/* What GET /_stats shows, as numbers. */
#define DS_SERVER_STATUSES 500      /* by_status[i] counts status 100 + i */
#define DS_SERVER_STAT_ROUTES 8     /* named by ds_server_stats_route */
#define DS_SERVER_PHASES 32         /* phases of a schedule, at most */
#define DS_SERVER_PHASE_NAME 128    /* a phase's name, cut to fit */

/* One Server-Timing metric over every answer that carried the header. */
struct ds_server_timing {
    double sum, p50, p99, max;      /* seconds */
};

/* A phase of --schedule: its window from the schedule's origin and the
 * API requests planned in it. */
struct ds_server_phase {
    char name[DS_SERVER_PHASE_NAME];/* "20s-25s delay=lognormal:0.5,2" */
    double start, end;              /* seconds */
    uint64_t requests;
};

struct ds_server_stats {
    double uptime;                  /* seconds since start */
    uint64_t in_flight;             /* read and not yet answered or closed */
    uint64_t in_flight_max;
    uint64_t queued;                /* waiting for a --workers slot */
    uint64_t total;                 /* requests finished, answered or not */
    uint64_t by_status[DS_SERVER_STATUSES];
    uint64_t by_route[DS_SERVER_STAT_ROUTES];
    uint64_t faults[DS_SERVER_FAULTS]; /* injected, by kind */
    double delay_p50, delay_p99, delay_max; /* seconds a waiting request was
                                               held, 0 when none waited */
    /* The Server-Timing figures of the answers (all but /_stats'; kept
     * with the header off too): how many, each metric's sum and
     * percentiles. */
    uint64_t timed;
    struct ds_server_timing timing_queue, timing_delay, timing_total;
    /* CPU seconds of the whole process (getrusage RUSAGE_SELF): with
     * server.start, the script's own threads count too. */
    double cpu_user, cpu_system;
    /* --schedule: `phases` of them (0: none); the one whose window holds
     * now (-1: none); seconds since the origin (-1: the first API request
     * has not come yet). */
    unsigned phases;
    int from_start;
    int phase;
    double schedule_elapsed;
    struct ds_server_phase phase_list[DS_SERVER_PHASES];
};
/* A fault kind's name ("fail"), i < DS_SERVER_FAULTS. */
const char *ds_server_fault_name(unsigned i);
/* "users", "user", "customers", "customer", "root", "stats", "other",
 * "metrics". */
const char *ds_server_stats_route(unsigned i);
/* Any thread, any time while the server runs. */
void ds_server_stats(struct ds_server *s, struct ds_server_stats *out);
/* One line without a newline: requests, statuses, in flight, delays,
 * CPU. */
void ds_server_stats_line(const struct ds_server_stats *st, char *buf, size_t len);

/* Stops accepting, lets in-flight requests finish within a bounded time,
 * frees everything. The last figures go to *final unless it is NULL. */
void ds_server_stop(struct ds_server *s, struct ds_server_stats *final);

#endif
