#include "route.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *ds_pct_decode(const char *s, size_t n, int *bad)
{
    *bad = 0;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n
            && (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
        if (out[o - 1] == '\0') {
            *bad = 1;
            free(out);
            return NULL;
        }
    }
    out[o] = '\0';
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

int ds_route_delayed(enum ds_route_kind k)
{
    return k == DS_ROUTE_USERS || k == DS_ROUTE_USER || k == DS_ROUTE_CUSTOMERS
        || k == DS_ROUTE_CUSTOMER;
}
