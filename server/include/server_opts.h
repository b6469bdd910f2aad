/* The server's options as one table: `dockscript serve` builds its
 * getopt_long options and --help from it, server.start{} its keys, and
 * both set values through ds_server_opt_set, so a range, a default and a
 * message exist once (server/options.c). */
#ifndef DS_SERVER_OPTS_H
#define DS_SERVER_OPTS_H

#include <stddef.h>

#include "server.h"

/* What a row's value is; it decides the field's C type, the parser and
 * the message. */
enum ds_opt_type {
    DS_OPT_TEXT,        /* const char *, not empty */
    DS_OPT_UINT,        /* unsigned, an integer min..max */
    DS_OPT_LIMIT,       /* long, an integer min..max; -1 until set */
    DS_OPT_U64,         /* uint64_t, an integer 0..2^64-1 */
    DS_OPT_SECONDS,     /* double, min..max */
    DS_OPT_FRACTION,    /* double, 0..1 */
    DS_OPT_DELAY,       /* const char *, a delay spec (SECONDS or a distribution) */
    DS_OPT_ROUTE_DELAY, /* const char *[DS_SERVER_ROUTES]: ROUTE=SPEC, per route */
    DS_OPT_FLAG         /* int, 0 or 1 */
};

struct ds_server_opt {
    const char *key;       /* server.start{} key: "max_delay" */
    const char *flag;      /* serve's long flag without "--": "max-delay";
                              a FLAG's sets 1; NULL when there is none */
    const char *no_flag;   /* a FLAG's flag that sets 0 ("quiet"), or NULL */
    enum ds_opt_type type;
    size_t offset;         /* of its field in struct ds_server_opts */
    double min, max;       /* UINT, LIMIT, SECONDS */
    const char *def;       /* the default as serve would take it; NULL when
                              the field starts at 0 (-1 for a LIMIT) */
    const char *metavar;   /* --help: "SECONDS" */
    const char *help;      /* --help, without the default */
    int phase;             /* a --schedule phase may set it (it changes a
                              request's fate or delay) */
};

/* The rows, in --help order; *n gets their count. */
const struct ds_server_opt *ds_server_opt_table(size_t *n);
/* The row of a server.start key or a serve long flag (no "--"), or NULL. */
const struct ds_server_opt *ds_server_opt_key(const char *key);
const struct ds_server_opt *ds_server_opt_flag(const char *flag);

/* How a message names an option: serve's "--delay", server.start's
 * 'delay', or a --schedule phase's "delay" (as a phase spells it). */
enum ds_opt_naming { DS_NAME_FLAG, DS_NAME_KEY, DS_NAME_PHASE };

/* A value as a front end has it. TEXT is text to parse (a command line
 * argument, a Lua string); NUMBER is a number written as text that reads
 * back as the same number; BOOL's text is "true" or "false"; OTHER's text
 * is its type's name ("table"). */
enum ds_opt_kind { DS_VAL_TEXT, DS_VAL_NUMBER, DS_VAL_BOOL, DS_VAL_OTHER };
struct ds_opt_value {
    enum ds_opt_kind kind;
    const char *text;
};

/* Sets opt's field of o from v: 0, or -1 with one line in err, e.g.
 * "--port: expected an integer 0..65535, got '70000'". Text is not
 * copied: it must live until ds_server_start returns. A ROUTE_DELAY takes
 * "ROUTE=SPEC". */
int ds_server_opt_set(struct ds_server_opts *o, const struct ds_server_opt *opt,
                      struct ds_opt_value v, enum ds_opt_naming naming, char *err,
                      size_t errlen);
/* One route's delay (server.start{route_delay = {users = SPEC}}). */
int ds_server_opt_route(struct ds_server_opts *o, const char *route, struct ds_opt_value v,
                        enum ds_opt_naming naming, char *err, size_t errlen);
/* Every field in its range and the invariants between options (fail +
 * reset + hang <= 1, queue_max needs workers), and the schedule with its
 * every phase; ds_server_start checks the same, naming keys. 0, or -1
 * with one line in err. */
int ds_server_opts_check(const struct ds_server_opts *o, enum ds_opt_naming naming, char *err,
                         size_t errlen);

/* How messages name r: "--tls-cert" or "'tls_cert'" (buf, returned). */
const char *ds_server_opt_name(const struct ds_server_opt *r, enum ds_opt_naming naming,
                               char *buf, size_t len);

/* v as the text of a DS_VAL_NUMBER: the shortest that reads back as v. */
void ds_server_opt_number(double v, char *buf, size_t len);

/* "unknown option 'dely'; did you mean 'delay'?" (the suggestion only when
 * a flag or key is a typo away) for what the user typed, as typed. */
void ds_server_opt_unknown(const char *typed, enum ds_opt_naming naming, char *err,
                           size_t errlen);

#endif
