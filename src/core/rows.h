/* The data files of load scenarios (require("load").data): a CSV file
 * (RFC 4180, a header row) or JSON lines, read once per process and shared
 * read-only by the Lua states of every worker thread. A file is held in
 * one arena: its fields (CSV) or lines (JSON lines), each NUL-terminated,
 * found by one 32-bit offset each, so a file costs about its own size.
 *
 * The process-wide registry of loaded files is global state, on purpose:
 * each worker thread has its own Lua state, and a file loaded by each of
 * them must still be read and held once. One mutex guards it; a file is
 * freed when its last holder releases it. Rows never change after the
 * load, so reading them needs no lock. */
#ifndef DS_ROWS_H
#define DS_ROWS_H

#include <stddef.h>
#include <stdint.h>

enum { ROWS_CSV, ROWS_LINES };
enum { ROWS_CIRCULAR, ROWS_QUEUE, ROWS_SHUFFLE, ROWS_RANDOM };

struct ds_rows_perm;

struct ds_rows {
    char *key;               /* the format and the canonical path */
    int format;
    size_t nrows, ncols;     /* ncols: the header's (CSV), 1 (lines) */
    char *arena;             /* fields, each followed by a NUL */
    uint32_t *off;           /* field k: arena + off[k], up to off[k + 1] - 1 */
    size_t nfields;          /* CSV: the header's fields first */
    int refs;                /* the rest: the registry's, under its lock */
    struct ds_rows_perm *perms;
    struct ds_rows *next;
};

/* A JSON line's check: 0, or -1 with the reason in err. */
typedef int rows_check_fn(void *ud, const char *line, size_t len, char *err, size_t errlen);

/* The rows of path in format, loaded by the first caller and shared with
 * the rest (the same file under any name: the key is its real path). NULL
 * with one line "PATH:LINE: reason" (or "PATH: reason") in err. check
 * (ROWS_LINES) sees each line once, under the registry's lock. */
struct ds_rows *rows_acquire(const char *path, int format, rows_check_fn *check, void *ud,
                             char *err, size_t errlen);
void rows_release(struct ds_rows *r);
/* The files held in this process and their holders, summed: what shows
 * that a file is read once. */
void rows_held(int *files, int *refs);

/* Field `col` of data row `row` (0-based), its length in *len. */
static inline const char *rows_field(const struct ds_rows *r, size_t row, size_t col, size_t *len)
{
    size_t k = (r->format == ROWS_CSV ? (row + 1) * r->ncols : row) + col;
    *len = r->off[k + 1] - r->off[k] - 1;
    return r->arena + r->off[k];
}

/* The header's column names (CSV). */
static inline const char *rows_name(const struct ds_rows *r, size_t col, size_t *len)
{
    *len = r->off[col + 1] - r->off[col] - 1;
    return r->arena + r->off[col];
}

/* The order shuffle gives n rows under seed, made once per process and
 * held with r; NULL when out of memory. */
const uint32_t *rows_permutation(struct ds_rows *r, uint64_t seed);
/* The same order in p (for rows that are not a file). */
void rows_shuffle(uint32_t *p, size_t n, uint64_t seed);
/* The row (0-based) of run-wide iteration i >= 1 among n under strategy,
 * or -1 when a strategy that takes each row once has run out. perm:
 * shuffle's order. */
int64_t rows_pick(int strategy, size_t n, int64_t i, uint64_t seed, const uint32_t *perm);

#endif
