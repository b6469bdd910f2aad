/* The Docking API itself: from (method, path, query) to status and body.
 * Knows nothing of HTTP plumbing, so unit tests call it directly. */
#ifndef DS_API_H
#define DS_API_H

#include <stddef.h>

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
    int allow_get;     /* 405: send Allow: GET */
};

/* Fills *r. Returns -1 only when out of memory (nothing to free then). */
int ds_api_answer(const struct ds_store *s, const char *method, const char *path,
                  const struct ds_query *q, struct ds_reply *r);

/* Whether this request waits out the delay: a GET of an API route. */
int ds_api_delayed(const char *method, const char *path);

#endif
