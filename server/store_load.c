/* ds_store_load: the --data file. Every problem becomes one line that
 * names the file, the place and what is wrong. */
#include "store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "store_build.h"

/* Data files are small; this only stops a wrong path (a disk image, a
 * device) from eating memory. */
#define MAX_FILE (1024L * 1024 * 1024)

struct loader {
    const char *path;
    char *err;
    size_t errlen;
};

static int problem(struct loader *l, unsigned line, const char *fmt, ...)
{
    int n = line ? snprintf(l->err, l->errlen, "data file '%s': line %u: ", l->path, line)
                 : snprintf(l->err, l->errlen, "data file '%s': ", l->path);
    if (n < 0 || (size_t)n >= l->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static char *read_all(struct loader *l, size_t *len)
{
    FILE *f = fopen(l->path, "rb");
    if (!f) {
        problem(l, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct ds_buf b;
    ds_buf_init(&b);
    char chunk[16384];
    size_t got;
    while (b.len <= (size_t)MAX_FILE && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        ds_buf_add(&b, chunk, got);
    int read_error = ferror(f) ? errno : 0;
    fclose(f);
    if (read_error) {
        problem(l, 0, "cannot read: %s", strerror(read_error));
        ds_buf_free(&b);
        return NULL;
    }
    char *text = b.len <= (size_t)MAX_FILE ? ds_buf_take(&b, len) : NULL;
    if (!text) {
        problem(l, 0, "too large or out of memory");
        ds_buf_free(&b);
    }
    return text;
}

/* The fields of one record, in the order the caller names them. */
struct field {
    const char *name;
    const char *value;
};

static int record(struct loader *l, const struct ds_json *obj, const char *what,
                  size_t index, struct field *f, size_t nf)
{
    if (obj->type != DS_JSON_OBJECT)
        return problem(l, obj->line, "%s[%zu] must be an object, got %s", what, index,
                       ds_json_type_name(obj->type));
    for (size_t i = 0; i < obj->n; i++) {
        const struct ds_json *m = &obj->items[i];
        size_t k = 0;
        while (k < nf && strcmp(f[k].name, m->key) != 0)
            k++;
        if (k == nf)
            return problem(l, m->line, "%s[%zu]: unknown field \"%s\"", what, index, m->key);
        if (f[k].value)
            return problem(l, m->line, "%s[%zu]: field \"%s\" given twice", what, index, m->key);
        if (m->type != DS_JSON_STRING)
            return problem(l, m->line, "%s[%zu].%s must be a string, got %s", what, index,
                           m->key, ds_json_type_name(m->type));
        if (strlen(m->str) != m->len)
            return problem(l, m->line, "%s[%zu].%s contains a NUL character", what, index, m->key);
        f[k].value = m->str;
    }
    for (size_t k = 0; k < nf; k++)
        if (!f[k].value)
            return problem(l, obj->line, "%s[%zu]: missing field \"%s\"", what, index, f[k].name);
    if (!*f[0].value)
        return problem(l, obj->line, "%s[%zu]: empty id", what, index);
    return 0;
}

static int add_users(struct loader *l, struct ds_store *s, const struct ds_json *arr)
{
    for (size_t i = 0; i < arr->n; i++) {
        struct field f[] = {{"id", NULL}, {"name", NULL}, {"role", NULL}};
        if (record(l, &arr->items[i], "users", i, f, 3) != 0)
            return -1;
        if (ds_store_add_user(s, f[0].value, f[1].value, f[2].value, arr->items[i].line) != 0)
            return problem(l, 0, "out of memory");
    }
    return 0;
}

static int add_customers(struct loader *l, struct ds_store *s, const struct ds_json *arr)
{
    for (size_t i = 0; i < arr->n; i++) {
        struct field f[] = {{"id", NULL}, {"name", NULL}, {"salesId", NULL}};
        if (record(l, &arr->items[i], "customers", i, f, 3) != 0)
            return -1;
        if (ds_store_add_customer(s, f[0].value, f[1].value, f[2].value,
                                  arr->items[i].line) != 0)
            return problem(l, 0, "out of memory");
    }
    return 0;
}

/* Finds "users" and "customers" in the top object; both must be arrays. */
static int top_level(struct loader *l, const struct ds_json *top,
                     const struct ds_json **users, const struct ds_json **customers)
{
    if (top->type != DS_JSON_OBJECT)
        return problem(l, top->line, "expected an object {\"users\":[...],\"customers\":[...]}, got %s",
                       ds_json_type_name(top->type));
    *users = *customers = NULL;
    for (size_t i = 0; i < top->n; i++) {
        const struct ds_json *m = &top->items[i];
        const struct ds_json **slot = strcmp(m->key, "users") == 0 ? users
                                    : strcmp(m->key, "customers") == 0 ? customers : NULL;
        if (!slot)
            return problem(l, m->line, "unknown top-level field \"%s\"", m->key);
        if (*slot)
            return problem(l, m->line, "field \"%s\" given twice", m->key);
        if (m->type != DS_JSON_ARRAY)
            return problem(l, m->line, "\"%s\" must be an array, got %s", m->key,
                           ds_json_type_name(m->type));
        *slot = m;
    }
    if (!*users)
        return problem(l, top->line, "missing field \"users\"");
    if (!*customers)
        return problem(l, top->line, "missing field \"customers\"");
    return 0;
}

static struct ds_store *build(struct loader *l, const struct ds_json *top)
{
    const struct ds_json *users, *customers;
    if (top_level(l, top, &users, &customers) != 0)
        return NULL;
    struct ds_store *s = ds_store_new(users->n, customers->n);
    if (!s) {
        problem(l, 0, "out of memory");
        return NULL;
    }
    char why[256];
    if (add_users(l, s, users) == 0 && add_customers(l, s, customers) == 0) {
        if (ds_store_finish(s, why, sizeof why) == 0)
            return s;
        problem(l, 0, "%s", why);
    }
    ds_store_free(s);
    return NULL;
}

struct ds_store *ds_store_load(const char *path, char *err, size_t errlen)
{
    struct loader l = {path, err, errlen};
    size_t len;
    char *text = read_all(&l, &len);
    if (!text)
        return NULL;
    struct ds_json top;
    char why[256];
    int rc = ds_json_parse(text, len, &top, why, sizeof why);
    free(text);
    if (rc != 0) {
        problem(&l, 0, "not valid JSON: %s", why);
        return NULL;
    }
    struct ds_store *s = build(&l, &top);
    ds_json_free(&top);
    return s;
}
