#include "route.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

static const char *const api_names[DS_API_ROUTES] = {"users", "user", "customers",
                                                     "customer"};

char *ds_pct_decode(const char *s, size_t n, int *bad)
{
    *bad = 0;
    char *out = strndup(s, n);
    if (!out)
        return NULL;
    /* a NUL inside the first n bytes ends the copy early: that is a bad
     * input too, not a shorter one */
    size_t len = strlen(out);
    if (len != n || memchr(out, '\0', MHD_http_unescape(out))) {
        *bad = 1;
        free(out);
        return NULL;
    }
    return out;
}

/* Sets r->kind from the first segment; 0 on success, -1 on failure. */
static int first_segment(const char *s, size_t n, int has_id, struct ds_route *r)
{
    int bad;
    char *d = ds_pct_decode(s, n, &bad);
    if (!d)
        return bad ? (r->kind = DS_ROUTE_BAD, 0) : -1;
    if (strcmp(d, "users") == 0)
        r->kind = has_id ? DS_ROUTE_USER : DS_ROUTE_USERS;
    else if (strcmp(d, "customers") == 0)
        r->kind = has_id ? DS_ROUTE_CUSTOMER : DS_ROUTE_CUSTOMERS;
    else if (strcmp(d, "_stats") == 0 && !has_id)
        r->kind = DS_ROUTE_STATS;
    else if (strcmp(d, "metrics") == 0 && !has_id)
        r->kind = DS_ROUTE_METRICS;
    else if (strcmp(d, "login") == 0 && !has_id)
        r->kind = DS_ROUTE_LOGIN;
    else if (strcmp(d, "logout") == 0 && !has_id)
        r->kind = DS_ROUTE_LOGOUT;
    else if (strcmp(d, "me") == 0 && !has_id)
        r->kind = DS_ROUTE_ME;
    free(d);
    return 0;
}

/* RFC 9112 3.2.2: a server accepts the absolute form
 * "http://host/users/1" (what a client talking to a proxy sends). */
static const char *origin_form(const char *path)
{
    const char *rest = strncasecmp(path, "http://", 7) == 0 ? path + 7
                     : strncasecmp(path, "https://", 8) == 0 ? path + 8 : NULL;
    if (!rest)
        return path;
    const char *slash = strchr(rest, '/');
    return slash ? slash : "/";
}

int ds_route_match(const char *path, struct ds_route *r)
{
    r->kind = DS_ROUTE_NONE;
    r->id = NULL;
    path = origin_form(path);
    if (path[0] != '/')
        return 0;
    if (path[1] == '\0') {
        r->kind = DS_ROUTE_ROOT;
        return 0;
    }
    const char *seg = path + 1;
    const char *slash = strchr(seg, '/');
    size_t seglen = slash ? (size_t)(slash - seg) : strlen(seg);
    const char *id = slash ? slash + 1 : NULL;
    /* "/users/" and "/users/a/b" are not routes */
    if (id && (*id == '\0' || strchr(id, '/')))
        return 0;
    if (first_segment(seg, seglen, id != NULL, r) != 0)
        return -1;
    if (!id || r->kind == DS_ROUTE_NONE || r->kind == DS_ROUTE_BAD)
        return 0;
    int bad;
    r->id = ds_pct_decode(id, strlen(id), &bad);
    if (r->id)
        return 0;
    if (!bad)
        return -1;
    r->kind = DS_ROUTE_BAD;
    return 0;
}

void ds_route_free(struct ds_route *r)
{
    free(r->id);
    r->id = NULL;
}

int ds_route_api_index(enum ds_route_kind k)
{
    switch (k) {
    case DS_ROUTE_USERS: return 0;
    case DS_ROUTE_USER: return 1;
    case DS_ROUTE_CUSTOMERS: return 2;
    case DS_ROUTE_CUSTOMER: return 3;
    default: return -1;
    }
}

int ds_route_api_find(const char *name)
{
    for (int i = 0; i < DS_API_ROUTES; i++)
        if (strcmp(name, api_names[i]) == 0)
            return i;
    return -1;
}

const char *ds_route_api_name(int i)
{
    return api_names[i];
}
