#include "session.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "buf.h"
#include "login_body.h"
#include "respond.h"

/* A session's token is its slot (8 hex digits) and a 128-bit random
 * secret (32): a lookup is one index and one compare, and a slot taken
 * by a newer login no longer matches the older token. */
#define TOKEN_LEN 40
#define COOKIE_ATTRS "; Path=/; HttpOnly; SameSite=Lax"

struct session {
    uint64_t secret[2];
    const struct ds_user *user;   /* NULL: free, or logged out */
};

struct ds_sessions {
    pthread_mutex_t lock;
    struct session *s;
    size_t cap, next;             /* next: the slot the next login takes */
};

struct ds_sessions *ds_sessions_new(size_t cap)
{
    struct ds_sessions *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    /* zeroed pages: only the slots logins use are ever touched */
    t->s = calloc(cap ? cap : 1, sizeof *t->s);
    if (!t->s) {
        free(t);
        return NULL;
    }
    t->cap = cap ? cap : 1;
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

void ds_sessions_free(struct ds_sessions *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t->s);
    free(t);
}

int ds_session_route(enum ds_route_kind k)
{
    return k == DS_ROUTE_LOGIN || k == DS_ROUTE_LOGOUT || k == DS_ROUTE_ME;
}

const char *ds_session_method(enum ds_route_kind k)
{
    return k == DS_ROUTE_ME ? "GET" : "POST";
}

/* ---- tokens ---- */

static void token_text(size_t slot, const uint64_t secret[2], char out[TOKEN_LEN + 1])
{
    snprintf(out, TOKEN_LEN + 1, "%08zx%016" PRIx64 "%016" PRIx64, slot, secret[0], secret[1]);
}

static int hex_field(const char *s, int n, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        int c = tolower((unsigned char)s[i]);
        int d = isdigit(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return 0;
}

/* The user of the session token names, or NULL. */
static const struct ds_user *session_user(struct ds_sessions *t, const char *token)
{
    uint64_t slot, secret[2];
    if (!t || !token || strlen(token) != TOKEN_LEN || hex_field(token, 8, &slot) != 0 ||
        hex_field(token + 8, 16, &secret[0]) != 0 || hex_field(token + 24, 16, &secret[1]) != 0 ||
        slot >= t->cap)
        return NULL;
    pthread_mutex_lock(&t->lock);
    const struct session *s = &t->s[slot];
    const struct ds_user *u =
        s->secret[0] == secret[0] && s->secret[1] == secret[1] ? s->user : NULL;
    pthread_mutex_unlock(&t->lock);
    return u;
}

/* A new session for u: its token into out; -1 when no random bytes. */
static int session_start(struct ds_sessions *t, const struct ds_user *u,
                         char out[TOKEN_LEN + 1])
{
    uint64_t secret[2];
    if (getrandom(secret, sizeof secret, 0) != (ssize_t)sizeof secret)
        return -1;
    pthread_mutex_lock(&t->lock);
    size_t slot = t->next;
    t->next = (t->next + 1) % t->cap;
    t->s[slot] = (struct session){{secret[0], secret[1]}, u};
    pthread_mutex_unlock(&t->lock);
    token_text(slot, secret, out);
    return 0;
}

static void session_end(struct ds_sessions *t, const char *token)
{
    uint64_t slot;
    if (!t || !token || strlen(token) != TOKEN_LEN || hex_field(token, 8, &slot) != 0 ||
        slot >= t->cap || !session_user(t, token))
        return;
    pthread_mutex_lock(&t->lock);
    t->s[slot].user = NULL;
    pthread_mutex_unlock(&t->lock);
}

/* ---- answers ---- */

static int finish(struct ds_buf *b, int status, struct ds_reply *r)
{
    r->body = ds_buf_take(b, &r->len);
    if (status < 0 || !r->body) {
        free(r->body);
        memset(r, 0, sizeof *r);
        return -1;
    }
    r->status = (unsigned)status;
    return 0;
}

static int error(struct ds_buf *b, int status, const char *type, const char *msg)
{
    ds_write_error(b, type, msg);
    return status;
}

enum body_kind { BODY_FORM, BODY_JSON, BODY_OTHER };

/* The media type without parameters; no Content-Type is read as a form
 * (what curl -d sends). */
static enum body_kind body_kind(const char *content_type)
{
    if (!content_type)
        return BODY_FORM;
    size_t n = strcspn(content_type, ";");
    while (n && isspace((unsigned char)content_type[n - 1]))
        n--;
    if (n == 0)
        return BODY_FORM;
    if (n == 16 && strncasecmp(content_type, "application/json", n) == 0)
        return BODY_JSON;
    if (n == 33 && strncasecmp(content_type, "application/x-www-form-urlencoded", n) == 0)
        return BODY_FORM;
    return BODY_OTHER;
}

/* The name a login body gives: a status other than 0 is the answer. */
static int login_name(struct ds_buf *b, const struct ds_session_in *in, char **name)
{
    static const struct ds_session_in none = {0};
    char msg[200];
    *name = NULL;
    if (!in)
        in = &none;
    if (in->body_over) {
        snprintf(msg, sizeof msg, "A login body is at most %d bytes", DS_LOGIN_BODY_MAX);
        return error(b, 413, "PayloadTooLarge", msg);
    }
    enum body_kind kind = body_kind(in->content_type);
    if (kind == BODY_OTHER) {
        snprintf(msg, sizeof msg, "Content-Type must be application/x-www-form-urlencoded or "
                 "application/json, not '%.64s'", in->content_type);
        return error(b, 415, "UnsupportedMediaType", msg);
    }
    const char *body = in->body ? in->body : "";
    enum ds_login_body rc = kind == BODY_JSON ? ds_login_json(body, in->body_len, name)
                                              : ds_login_form(body, in->body_len, name);
    switch (rc) {
    case DS_BODY_OK:
        return 0;
    case DS_BODY_OOM:
        return -1;
    case DS_BODY_MALFORMED:
        return error(b, 400, "BadRequest", kind == BODY_JSON
            ? "Login body is not a JSON object (or its name holds a NUL)"
            : "Login form does not decode (a NUL byte in it)");
    default:
        return error(b, 400, "BadRequest",
                     "Login needs a name: form name=... or JSON {\"name\": \"...\"}");
    }
}

/* The one user whose name contains name (case-insensitively, as
 * /users?name= matches); otherwise NULL and *count matches. */
static const struct ds_user *match_user(const struct ds_store *s, char *name, size_t *count)
{
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    const struct ds_user *found = NULL;
    *count = 0;
    for (size_t i = 0; i < s->nusers; i++)
        if (strstr(s->users[i].lname, name)) {
            found = &s->users[i];
            ++*count;
        }
    return *count == 1 ? found : NULL;
}

static int login(struct ds_buf *b, struct ds_sessions *t, const struct ds_store *s,
                 const struct ds_session_in *in, struct ds_reply *r)
{
    char *name;
    int status = login_name(b, in, &name);
    if (status != 0)
        return status;
    char msg[360];
    size_t count;
    const struct ds_user *u = match_user(s, name, &count);
    if (!u && count == 0)
        snprintf(msg, sizeof msg, "No user's name contains '%.256s'", name);
    else if (!u)
        snprintf(msg, sizeof msg, "%zu users' names contain '%.256s': give more of the name",
                 count, name);
    free(name);
    if (!u)
        return error(b, 401, "Unauthorized", msg);
    char token[TOKEN_LEN + 1];
    if (!t)
        return error(b, 503, "ServiceUnavailable", "This server keeps no sessions");
    if (session_start(t, u, token) != 0)
        return error(b, 500, "ServerError", "No random bytes for a session");
    snprintf(r->set_cookie, sizeof r->set_cookie, "session=%s" COOKIE_ATTRS, token);
    ds_write_user(b, u);
    return 200;
}

static int me(struct ds_buf *b, struct ds_sessions *t, const struct ds_session_in *in)
{
    const char *cookie = in ? in->cookie : NULL;
    const struct ds_user *u = session_user(t, cookie);
    if (u) {
        ds_write_user(b, u);
        return 200;
    }
    return error(b, 401, "Unauthorized", cookie
        ? "Not logged in: the session cookie names no session (logged out, or replaced)"
        : "Not logged in: no session cookie (POST /login first)");
}

static int logout(struct ds_sessions *t, const struct ds_session_in *in, struct ds_reply *r)
{
    session_end(t, in ? in->cookie : NULL);
    snprintf(r->set_cookie, sizeof r->set_cookie, "session=; Max-Age=0" COOKIE_ATTRS);
    return 204;
}

int ds_session_reply(struct ds_sessions *t, const struct ds_store *s, const char *method,
                     const struct ds_route *rt, const struct ds_session_in *in,
                     struct ds_reply *r)
{
    memset(r, 0, sizeof *r);
    struct ds_buf b;
    ds_buf_init(&b);
    int status;
    const char *allowed = ds_session_method(rt->kind);
    if (strcmp(method, allowed) != 0) {
        char msg[64];
        snprintf(msg, sizeof msg, "Method %.32s not allowed", method);
        status = error(&b, 405, "MethodNotAllowed", msg);
        r->allow = allowed;
    } else if (rt->kind == DS_ROUTE_LOGIN) {
        status = login(&b, t, s, in, r);
    } else if (rt->kind == DS_ROUTE_ME) {
        status = me(&b, t, in);
    } else {
        status = logout(t, in, r);
    }
    return finish(&b, status, r);
}
