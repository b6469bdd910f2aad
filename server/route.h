/* Which route a request path names, and percent-decoding of its parts. */
#ifndef DS_ROUTE_H
#define DS_ROUTE_H

#include <stddef.h>

enum ds_route_kind {
    DS_ROUTE_NONE,       /* no such path: 404 */
    DS_ROUTE_ROOT,       /* "/" */
    DS_ROUTE_USERS,      /* "/users" */
    DS_ROUTE_USER,       /* "/users/{id}" */
    DS_ROUTE_CUSTOMERS,  /* "/customers" */
    DS_ROUTE_CUSTOMER,   /* "/customers/{id}" */
    DS_ROUTE_STATS,      /* "/_stats": the server's counters (handler.c) */
    DS_ROUTE_METRICS,    /* "/metrics": the same for Prometheus (handler.c) */
    DS_ROUTE_LOGIN,      /* "/login": sessions (session.h) */
    DS_ROUTE_LOGOUT,     /* "/logout" */
    DS_ROUTE_ME,         /* "/me" */
    DS_ROUTE_BAD         /* undecodable (%00): 400 */
};

struct ds_route {
    enum ds_route_kind kind;
    char *id;            /* decoded {id}, owned; NULL for other routes */
};

/* Matches a raw (still percent-encoded) path. Segments are decoded after
 * splitting, so "/users/a%2Fb" asks for the user "a/b". Returns -1 only
 * when out of memory. Free with ds_route_free. */
int ds_route_match(const char *path, struct ds_route *r);
void ds_route_free(struct ds_route *r);

/* The four API routes, the ones that wait out a delay and draw faults
 * ("/", "/_stats" and "/metrics" answer at once), numbered 0..3 in this order:
 * users, user, customers, customer (the names --route-delay takes). */
#define DS_API_ROUTES 4
/* 0..3 for an API route, -1 for any other. */
int ds_route_api_index(enum ds_route_kind k);
/* The API route index for a name, or -1. */
int ds_route_api_find(const char *name);
const char *ds_route_api_name(int i);

/* Decodes %XX escapes in s[0..n) into a new string (libmicrohttpd's
 * MHD_http_unescape): escapes that are not two hex digits stay as they
 * are, as Flask's werkzeug leaves them. Sets *bad and returns NULL when
 * the result would contain a NUL byte; returns NULL with *bad == 0 when
 * out of memory. */
char *ds_pct_decode(const char *s, size_t n, int *bad);

#endif
