/* The Docking API itself: from (method, path, query) to status and body.
 * Knows nothing of HTTP plumbing, so unit tests call it directly. */
#ifndef DS_API_H
#define DS_API_H

#include <stddef.h>

#include "route.h"
#include "store.h"

/* Query values as sent (percent-encoded); NULL when absent. */
struct ds_query {
    const char *name, *role, *sales_id;
};

/* One query argument as libmicrohttpd hands it over (escapes kept; value
 * NULL for a bare "key"): fills the matching field of q. A key matches
 * after %-decoding ("%6Eame" is "name"); the first of repeated keys wins,
 * as in Flask's request.args.get. */
void ds_query_set(struct ds_query *q, const char *key, const char *value);

struct ds_reply {
    unsigned status;
    char *body;        /* malloc'd, NUL-terminated; owned by the caller */
    size_t len;
    int text_plain;    /* "/" answers text/plain, everything else JSON */
    const char *allow; /* 405: the Allow header's value */
    char set_cookie[128]; /* a Set-Cookie header's value, or "" */
    const char *content_type; /* NULL: text/plain or JSON, as text_plain */
};

/* Fills *r for a request whose path matched rt (path is only quoted in a
 * 404); a session route is answered as one without cookie or body
 * (session.h). Returns -1 only when out of memory (nothing to free then). */
int ds_api_reply(const struct ds_store *s, const char *method, const char *path,
                 const struct ds_route *rt, const struct ds_query *q, struct ds_reply *r);
/* ds_route_match, then ds_api_reply. */
int ds_api_answer(const struct ds_store *s, const char *method, const char *path,
                  const struct ds_query *q, struct ds_reply *r);
/* A JSON error {"message":...,"type":...} with this status. -1 when out
 * of memory. */
int ds_api_error(struct ds_reply *r, unsigned status, const char *type, const char *message);

/* The API route index (0..3, route.h) when this request waits out a delay
 * and may draw a fault: a GET of an API route, or a session route with its
 * method: POST /login as /users (it finds a user by name), GET /me and
 * POST /logout as /users/{id}. Otherwise -1. */
int ds_api_route(const char *method, const struct ds_route *rt);

#endif
