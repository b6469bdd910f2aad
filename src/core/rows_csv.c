/* CSV data files through Debian's libcsv, strictly (RFC 4180): a quote
 * inside an unquoted field, text after a closing quote and a quoted field
 * never closed are errors, spaces belong to the field, and every row has
 * the header's number of fields. libcsv knows no line numbers, so the file
 * is fed to it one line at a time and the line each record began on is
 * kept for the messages. */
#include "core/rows_impl.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct csv_ctx {
    struct rows_build *b;
    const char *path;
    char *err;
    size_t errlen;
    size_t line, start;   /* the line fed now; the line the record began on */
    size_t fields;        /* of the record being read */
    int in_record, failed;
};

static void on_field(void *s, size_t len, void *data)
{
    struct csv_ctx *c = data;
    if (c->failed)
        return;
    c->fields++;
    if (rows_add(c->b, s, len) != 0) {
        snprintf(c->err, c->errlen, "%s:%zu: out of memory (or past 4 GiB)", c->path, c->line);
        c->failed = 1;
    }
}

static void on_record(int term, void *data)
{
    (void)term;
    struct csv_ctx *c = data;
    struct ds_rows *r = c->b->r;
    c->in_record = 0;
    if (c->failed)
        return;
    if (r->ncols == 0) {
        r->ncols = c->fields;
    } else if (c->fields != r->ncols) {
        snprintf(c->err, c->errlen, "%s:%zu: %zu field%s where the header has %zu", c->path,
                 c->start, c->fields, c->fields == 1 ? "" : "s", r->ncols);
        c->failed = 1;
        return;
    } else {
        r->nrows++;
    }
    c->fields = 0;
}

/* RFC 4180: "Spaces are considered part of a field". */
static int no_space(unsigned char ch)
{
    (void)ch;
    return 0;
}

static int feed(struct csv_parser *p, struct csv_ctx *c, const char *s, size_t len)
{
    if (!c->in_record && !(len == 1 && s[0] == '\n') && !(len == 2 && s[0] == '\r')) {
        c->in_record = 1;
        c->start = c->line;
    }
    if (csv_parse(p, s, len, on_field, on_record, c) == len)
        return c->failed ? -1 : 0;
    if (csv_error(p) == CSV_EPARSE)
        snprintf(c->err, c->errlen, "%s:%zu: a quote inside an unquoted field, or text after a "
                 "closing quote", c->path, c->line);
    else
        snprintf(c->err, c->errlen, "%s:%zu: %s", c->path, c->line, csv_strerror(csv_error(p)));
    return -1;
}

/* A UTF-8 byte order mark is not part of the first column's name. */
static size_t skip_bom(const char *s, size_t len)
{
    return len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

static int check_header(struct csv_ctx *c)
{
    struct ds_rows *r = c->b->r;
    for (size_t k = 0; k < r->ncols; k++) {
        size_t len, len2;
        const char *name = rows_name(r, k, &len);
        if (len == 0) {
            snprintf(c->err, c->errlen, "%s:1: column %zu has no name in the header", c->path,
                     k + 1);
            return -1;
        }
        for (size_t j = 0; j < k; j++) {
            const char *other = rows_name(r, j, &len2);
            if (len == len2 && memcmp(name, other, len) == 0) {
                snprintf(c->err, c->errlen, "%s:1: column name '%s' twice in the header",
                         c->path, name);
                return -1;
            }
        }
    }
    return 0;
}

int rows_load_csv(struct rows_build *b, FILE *f, const char *path, char *err, size_t errlen)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    csv_set_space_func(&p, no_space);
    struct csv_ctx c = {b, path, err, errlen, 0, 0, 0, 0, 0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int rc = 0;
    while (rc == 0 && (got = getline(&line, &cap, f)) >= 0) {
        size_t from = c.line++ == 0 ? skip_bom(line, (size_t)got) : 0;
        rc = feed(&p, &c, line + from, (size_t)got - from);
    }
    free(line);
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && csv_fini(&p, on_field, on_record, &c) != 0) {
        snprintf(err, errlen, "%s:%zu: a quoted field in the row that starts here is never closed",
                 path, c.start);
        rc = -1;
    }
    rc = rc == 0 && c.failed ? -1 : rc;
    if (rc == 0 && b->r->ncols == 0) {
        snprintf(err, errlen, "%s: empty: no header row", path);
        rc = -1;
    }
    if (rc == 0)
        rc = check_header(&c);
    csv_free(&p);
    return rc;
}
