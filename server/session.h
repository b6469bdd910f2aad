/* Sessions of the Docking API: POST /login finds a user by name and sets a
 * `session` cookie, GET /me answers that user, POST /logout ends it. The
 * table is bounded: past its capacity a new login takes the oldest
 * session's place. Knows nothing of HTTP plumbing, like api.h. */
#ifndef DS_SESSION_H
#define DS_SESSION_H

#include <stddef.h>

#include "api.h"
#include "route.h"
#include "store.h"

/* A login body longer than this is answered 413. */
#define DS_LOGIN_BODY_MAX 4096
/* Sessions kept at once (about 24 bytes each). */
#define DS_SESSIONS_MAX 65536

struct ds_sessions;

/* A table for cap sessions; NULL when out of memory. Any thread may use
 * it (a mutex guards it). */
struct ds_sessions *ds_sessions_new(size_t cap);
void ds_sessions_free(struct ds_sessions *t);

/* What a session route reads of a request besides method and path. */
struct ds_session_in {
    const char *cookie;        /* the `session` cookie's value, or NULL */
    const char *content_type;  /* or NULL */
    const char *body;          /* its first DS_LOGIN_BODY_MAX bytes */
    size_t body_len;
    int body_over;             /* it was longer: 413 */
};

/* /login, /logout or /me. */
int ds_session_route(enum ds_route_kind k);
/* The method a session route takes ("POST" or "GET"). */
const char *ds_session_method(enum ds_route_kind k);
/* Fills *r for a session route (ds_session_route). t NULL: a server
 * without sessions (a login is 503); in NULL: no cookie and no body.
 * Returns -1 only when out of memory. */
int ds_session_reply(struct ds_sessions *t, const struct ds_store *s, const char *method,
                     const struct ds_route *rt, const struct ds_session_in *in,
                     struct ds_reply *r);

#endif
