#include "api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "respond.h"
#include "route.h"
#include "session.h"

/* A decoded, lower-cased filter value; NULL text means "no filter". */
struct filter {
    char *text;
};

/* 0 ok, 1 undecodable (%00), -1 out of memory. Empty means no filter. */
static int filter_init(struct filter *f, const char *raw, int lower)
{
    f->text = NULL;
    if (!raw || !*raw)
        return 0;
    int bad;
    f->text = ds_pct_decode(raw, strlen(raw), &bad);
    if (!f->text)
        return bad ? 1 : -1;
    for (char *p = f->text; lower && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return 0;
}

static int contains(const char *lower_hay, const struct filter *f)
{
    return !f->text || strstr(lower_hay, f->text) != NULL;
}

static void list_users(struct ds_buf *b, const struct ds_store *s,
                       const struct filter *name, const struct filter *role)
{
    int first = 1;
    ds_buf_addc(b, '[');
    for (size_t i = 0; i < s->nusers; i++) {
        const struct ds_user *u = &s->users[i];
        if (!contains(u->lname, name) || !contains(u->lrole, role))
            continue;
        if (!first)
            ds_buf_addc(b, ',');
        first = 0;
        ds_write_user(b, u);
    }
    ds_buf_addc(b, ']');
}

static void list_customers(struct ds_buf *b, const struct ds_store *s,
                           const struct filter *name, const struct filter *sales)
{
    size_t start = 0, n = s->ncustomers;
    if (sales->text)
        n = ds_store_by_sales(s, sales->text, &start);
    int first = 1;
    ds_buf_addc(b, '[');
    for (size_t i = start; i < start + n; i++) {
        /* the salesId index keeps id order inside one salesId */
        const struct ds_customer *c = &s->customers[sales->text ? s->by_sales[i] : i];
        if (!contains(c->lname, name))
            continue;
        if (!first)
            ds_buf_addc(b, ',');
        first = 0;
        ds_write_customer(b, c);
    }
    ds_buf_addc(b, ']');
}

static void not_found(struct ds_buf *b, const char *what, const char *id)
{
    /* the message embeds any id a client sends; bound it */
    char msg[300];
    snprintf(msg, sizeof msg, "%s ID %.256s not found", what, id);
    ds_write_error(b, "ResourceNotFound", msg);
}

/* Filters for a list route; returns the status (200 or 400) or -1. */
static int list(struct ds_buf *b, const struct ds_store *s, enum ds_route_kind kind,
                const struct ds_query *q)
{
    struct filter f1, f2;
    int users = kind == DS_ROUTE_USERS;
    int rc1 = filter_init(&f1, q->name, 1);
    int rc2 = filter_init(&f2, users ? q->role : q->sales_id, users);
    int status = (rc1 < 0 || rc2 < 0) ? -1 : (rc1 || rc2) ? 400 : 200;
    if (status == 400)
        ds_write_error(b, "BadRequest", "Query value decodes to a NUL byte");
    else if (status == 200 && users)
        list_users(b, s, &f1, &f2);
    else if (status == 200)
        list_customers(b, s, &f1, &f2);
    free(f1.text);
    free(f2.text);
    return status;
}

static int one(struct ds_buf *b, const struct ds_store *s, const struct ds_route *rt)
{
    if (rt->kind == DS_ROUTE_USER) {
        const struct ds_user *u = ds_store_user(s, rt->id);
        if (u)
            ds_write_user(b, u);
        else
            not_found(b, "User", rt->id);
        return u ? 200 : 404;
    }
    const struct ds_customer *c = ds_store_customer(s, rt->id);
    if (c)
        ds_write_customer(b, c);
    else
        not_found(b, "Customer", rt->id);
    return c ? 200 : 404;
}

static int dispatch(struct ds_buf *b, const struct ds_store *s, const char *method,
                    const char *path, const struct ds_route *rt, const struct ds_query *q,
                    struct ds_reply *r)
{
    char msg[300];
    switch (rt->kind) {
    case DS_ROUTE_NONE:
        snprintf(msg, sizeof msg, "Path %.256s not found", path);
        ds_write_error(b, "NotFound", msg);
        return 404;
    case DS_ROUTE_BAD:
        ds_write_error(b, "BadRequest", "Path decodes to a NUL byte");
        return 400;
    default:
        break;
    }
    if (strcmp(method, "GET") != 0) {
        snprintf(msg, sizeof msg, "Method %.32s not allowed", method);
        ds_write_error(b, "MethodNotAllowed", msg);
        r->allow = "GET";
        return 405;
    }
    switch (rt->kind) {
    case DS_ROUTE_ROOT:
        ds_buf_adds(b, "Docking API");
        r->text_plain = 1;
        return 200;
    case DS_ROUTE_STATS:
    case DS_ROUTE_METRICS:
        /* the handler answers them from the server's counters; here they
         * are only what --no-stats leaves: nothing */
        snprintf(msg, sizeof msg, "Path %.256s not found", path);
        ds_write_error(b, "NotFound", msg);
        return 404;
    case DS_ROUTE_USERS:
    case DS_ROUTE_CUSTOMERS:
        return list(b, s, rt->kind, q);
    default:
        return one(b, s, rt);
    }
}

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

int ds_api_reply(const struct ds_store *s, const char *method, const char *path,
                 const struct ds_route *rt, const struct ds_query *q, struct ds_reply *r)
{
    if (ds_session_route(rt->kind))
        return ds_session_reply(NULL, s, method, rt, NULL, r);
    memset(r, 0, sizeof *r);
    struct ds_buf b;
    ds_buf_init(&b);
    int status = dispatch(&b, s, method, path, rt, q, r);
    return finish(&b, status, r);
}

int ds_api_answer(const struct ds_store *s, const char *method, const char *path,
                  const struct ds_query *q, struct ds_reply *r)
{
    struct ds_route rt;
    if (ds_route_match(path, &rt) != 0)
        return -1;
    int rc = ds_api_reply(s, method, path, &rt, q, r);
    ds_route_free(&rt);
    return rc;
}

int ds_api_error(struct ds_reply *r, unsigned status, const char *type, const char *message)
{
    memset(r, 0, sizeof *r);
    struct ds_buf b;
    ds_buf_init(&b);
    ds_write_error(&b, type, message);
    return finish(&b, (int)status, r);
}

void ds_query_set(struct ds_query *q, const char *key, const char *value)
{
    char *decoded = NULL;
    if (strchr(key, '%')) {
        int bad;
        decoded = ds_pct_decode(key, strlen(key), &bad);
        if (!decoded)
            return; /* a NUL in it, or out of memory: no key we know */
        key = decoded;
    }
    const char **slot = strcmp(key, "name") == 0 ? &q->name
                      : strcmp(key, "role") == 0 ? &q->role
                      : strcmp(key, "salesId") == 0 ? &q->sales_id : NULL;
    if (slot && !*slot)
        *slot = value ? value : "";
    free(decoded);
}

int ds_api_route(const char *method, const struct ds_route *rt)
{
    if (ds_session_route(rt->kind)) {
        if (strcmp(method, ds_session_method(rt->kind)) != 0)
            return -1;
        return ds_route_api_index(rt->kind == DS_ROUTE_LOGIN ? DS_ROUTE_USERS : DS_ROUTE_USER);
    }
    return strcmp(method, "GET") == 0 ? ds_route_api_index(rt->kind) : -1;
}
