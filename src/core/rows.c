/* Data files shared by the worker threads (core/rows.h): the registry, the
 * arena, JSON lines, and which row an iteration gets. */
#include "core/rows.h"
#include "core/prng.h"
#include "core/rows_impl.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shuffle and random draw from the run's seed, salted: an iteration's own
 * math.random is seeded from (seed, i) too, and must not repeat the draw
 * that picked its row. */
#define DATA_SALT 0x6461746166696c65ull /* "datafile" */

struct ds_rows_perm { uint64_t seed; uint32_t *p; struct ds_rows_perm *next; };

/* The process's loaded files (rows.h says why this is global). */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ds_rows *registry;

/* ---- the arena ---- */

int rows_add(struct rows_build *b, const char *s, size_t len)
{
    struct ds_rows *r = b->r;
    if (len >= UINT32_MAX - b->used)
        return -1;
    if (b->cap - b->used < len + 1) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap - b->used < len + 1)
            cap *= 2;
        if (cap > UINT32_MAX)
            cap = UINT32_MAX;
        char *bigger = realloc(r->arena, cap);
        if (!bigger)
            return -1;
        r->arena = bigger;
        b->cap = cap;
    }
    if (r->nfields + 2 > b->capoff) {
        size_t capoff = b->capoff ? b->capoff * 2 : 4096;
        uint32_t *bigger = realloc(r->off, capoff * sizeof *bigger);
        if (!bigger)
            return -1;
        r->off = bigger;
        b->capoff = capoff;
    }
    if (len)
        memcpy(r->arena + b->used, s, len);
    r->arena[b->used + len] = '\0';
    r->off[r->nfields++] = (uint32_t)b->used;
    b->used += len + 1;
    r->off[r->nfields] = (uint32_t)b->used; /* where the next one starts */
    return 0;
}

/* Sizes the arena and the offsets from a first read of the file, so that
 * they never grow: glibc serves a large realloc from the heap, and the
 * copies it leaves behind stay resident (main.c keeps freed heap), which
 * cost a 1,000,000-row file a third of its size again. A field's bytes
 * and its NUL fit in the field and its separator; a field ends at a comma
 * or a newline (a CSV quote can only make fewer). The growth in rows_add
 * stays for a file that grows meanwhile. */
static int reserve(struct rows_build *b, FILE *f, int format, const char *path, char *err,
                   size_t errlen)
{
    char buf[65536];
    size_t got, size = 0, seps = 0;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        size += got;
        for (size_t k = 0; k < got; k++)
            seps += buf[k] == '\n' || (format == ROWS_CSV && buf[k] == ',');
    }
    if (ferror(f) || fseek(f, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    struct ds_rows *r = b->r;
    b->cap = size + 2;
    b->capoff = seps + 3;
    if (size + 2 < UINT32_MAX && (r->arena = malloc(b->cap)) &&
        (r->off = malloc(b->capoff * sizeof *r->off)))
        return 0;
    snprintf(err, errlen, "%s: too large (4 GiB at most) or out of memory", path);
    return -1;
}

/* Gives back what the reserve left unused (a smaller realloc keeps the
 * block where it is, so a failure changes nothing). */
static void trim(struct rows_build *b)
{
    struct ds_rows *r = b->r;
    char *a = realloc(r->arena, b->used ? b->used : 1);
    if (a)
        r->arena = a;
    uint32_t *o = realloc(r->off, (r->nfields + 1) * sizeof *o);
    if (o)
        r->off = o;
}

static void rows_free(struct ds_rows *r)
{
    if (!r)
        return;
    while (r->perms) {
        struct ds_rows_perm *next = r->perms->next;
        free(r->perms->p);
        free(r->perms);
        r->perms = next;
    }
    free(r->arena);
    free(r->off);
    free(r->key);
    free(r);
}

/* ---- JSON lines ---- */

static int blank(const char *s, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if (!strchr(" \t\r\n", s[k]))
            return 0;
    return 1;
}

/* One row per line that is not blank, each checked by check. */
static int load_lines(struct rows_build *b, FILE *f, const char *path, rows_check_fn *check,
                      void *ud, char *err, size_t errlen)
{
    char *line = NULL, why[256];
    size_t cap = 0, lineno = 0;
    ssize_t got;
    int rc = 0;
    while (rc == 0 && (got = getline(&line, &cap, f)) >= 0) {
        size_t len = (size_t)got;
        /* a UTF-8 byte order mark is not part of the first object */
        int bom = lineno++ == 0 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0;
        char *s = bom ? line + 3 : line;
        len -= (size_t)(s - line);
        if (blank(s, len))
            continue;
        while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
            len--;
        s[len] = '\0';
        if (check && check(ud, s, len, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
            rc = -1;
        } else if (rows_add(b, s, len) != 0) {
            snprintf(err, errlen, "%s:%zu: out of memory (or past 4 GiB)", path, lineno);
            rc = -1;
        }
    }
    free(line);
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        rc = -1;
    }
    b->r->nrows = b->r->nfields;
    b->r->ncols = 1;
    return rc;
}

/* ---- the registry ---- */

static struct ds_rows *load(const char *path, const char *key, int format, rows_check_fn *check,
                            void *ud, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct ds_rows *r = calloc(1, sizeof *r);
    struct rows_build b = {r, 0, 0, 0};
    int rc = -1;
    if (!r || !(r->key = strdup(key)))
        snprintf(err, errlen, "%s: out of memory", path);
    else if (reserve(&b, f, format, path, err, errlen) == 0)
        rc = format == ROWS_CSV ? rows_load_csv(&b, f, path, err, errlen)
                                : load_lines(&b, f, path, check, ud, err, errlen);
    fclose(f);
    if (rc == 0 && r->nrows == 0) {
        snprintf(err, errlen, "%s: no rows%s", path, format == ROWS_CSV ? " after the header" : "");
        rc = -1;
    }
    if (rc != 0) {
        rows_free(r);
        return NULL;
    }
    r->format = format;
    trim(&b);
    return r;
}

struct ds_rows *rows_acquire(const char *path, int format, rows_check_fn *check, void *ud,
                             char *err, size_t errlen)
{
    char *real = realpath(path, NULL);
    if (!real) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t n = strlen(real) + 3;
    char *key = malloc(n);
    if (!key) {
        free(real);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    snprintf(key, n, "%d:%s", format, real);
    free(real);
    /* loaded under the lock: a second thread asking for the same file
     * waits for the first one's copy instead of reading its own */
    pthread_mutex_lock(&registry_lock);
    struct ds_rows *r = registry;
    while (r && strcmp(r->key, key) != 0)
        r = r->next;
    if (!r && (r = load(path, key, format, check, ud, err, errlen))) {
        r->next = registry;
        registry = r;
    }
    if (r)
        r->refs++;
    pthread_mutex_unlock(&registry_lock);
    free(key);
    return r;
}

void rows_release(struct ds_rows *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&registry_lock);
    if (--r->refs > 0) {
        pthread_mutex_unlock(&registry_lock);
        return;
    }
    struct ds_rows **p = &registry;
    while (*p != r)
        p = &(*p)->next;
    *p = r->next;
    pthread_mutex_unlock(&registry_lock);
    rows_free(r);
}

void rows_held(int *files, int *refs)
{
    *files = *refs = 0;
    pthread_mutex_lock(&registry_lock);
    for (const struct ds_rows *r = registry; r; r = r->next) {
        (*files)++;
        *refs += r->refs;
    }
    pthread_mutex_unlock(&registry_lock);
}

/* ---- which row ---- */

void rows_shuffle(uint32_t *p, size_t n, uint64_t seed)
{
    struct prng g;
    prng_seed(&g, seed ^ DATA_SALT, 0);
    for (size_t k = 0; k < n; k++)
        p[k] = (uint32_t)k;
    for (size_t k = n; k > 1; k--) { /* Fisher-Yates */
        size_t j = (size_t)prng_below(&g, k - 1);
        uint32_t t = p[k - 1];
        p[k - 1] = p[j];
        p[j] = t;
    }
}

const uint32_t *rows_permutation(struct ds_rows *r, uint64_t seed)
{
    pthread_mutex_lock(&registry_lock);
    struct ds_rows_perm *q = r->perms;
    while (q && q->seed != seed)
        q = q->next;
    if (!q && (q = calloc(1, sizeof *q))) {
        q->p = malloc(r->nrows * sizeof *q->p);
        if (q->p) {
            rows_shuffle(q->p, r->nrows, seed);
            q->seed = seed;
            q->next = r->perms;
            r->perms = q;
        } else {
            free(q);
            q = NULL;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    return q ? q->p : NULL;
}

int64_t rows_pick(int strategy, size_t n, int64_t i, uint64_t seed, const uint32_t *perm)
{
    uint64_t k = (uint64_t)(i - 1);
    struct prng g;
    switch (strategy) {
    case ROWS_QUEUE:
        return k < n ? (int64_t)k : -1;
    case ROWS_SHUFFLE:
        return k < n ? (int64_t)perm[k] : -1;
    case ROWS_RANDOM:
        prng_seed(&g, seed ^ DATA_SALT, (uint64_t)i);
        return (int64_t)prng_below(&g, n - 1);
    default:
        return (int64_t)(k % n);
    }
}
