/* The Docking API server (libmicrohttpd). Runs on its own threads; the
 * caller keeps the handle and stops it. */
#ifndef DS_SERVER_H
#define DS_SERVER_H

#include <stddef.h>

struct ds_server_opts {
    const char *host;      /* listen address, default "127.0.0.1" */
    unsigned port;         /* 0 picks a free port */
    double delay;          /* seconds per API request; 0 disables */
    unsigned workers;      /* request slots; 0 = unlimited */
    const char *data_file; /* JSON data set; NULL = the seed data */
    int log;               /* access log on stderr */
    double timeout;        /* seconds before an idle or stalled connection
                              is closed; default 10, 0 = never */
};

enum ds_server_err { DS_SERVER_OK = 0, DS_SERVER_EUSAGE = 2, DS_SERVER_ERUNTIME = 1 };

struct ds_server;

/* Defaults for every field. */
void ds_server_opts_init(struct ds_server_opts *o);

/* Starts listening. On failure returns NULL, writes one line (no newline)
 * into err and sets *kind: DS_SERVER_EUSAGE for a bad data file or option,
 * DS_SERVER_ERUNTIME for e.g. a port in use. */
struct ds_server *ds_server_start(const struct ds_server_opts *o, char *err,
                                  size_t errlen, enum ds_server_err *kind);

/* The port actually bound (useful with port 0). */
unsigned ds_server_port(const struct ds_server *s);

/* "http://HOST:PORT", with an IPv6 host in brackets. */
void ds_server_url(const char *host, unsigned port, char *buf, size_t len);

/* Stops accepting, lets in-flight requests finish within a bounded time,
 * frees everything. */
void ds_server_stop(struct ds_server *s);

#endif
