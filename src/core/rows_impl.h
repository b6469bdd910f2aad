/* What the loaders of rows.c and rows_csv.c share: appending to a file's
 * arena. Not for other files. */
#ifndef DS_ROWS_IMPL_H
#define DS_ROWS_IMPL_H

#include <stdio.h>

#include "core/rows.h"

/* The arena's growth, kept beside it while loading. */
struct rows_build {
    struct ds_rows *r;
    size_t used, cap, capoff;
};

/* Appends one field (or line); 0, or -1 when out of memory or past the
 * 4 GiB that 32-bit offsets reach. */
int rows_add(struct rows_build *b, const char *s, size_t len);

/* Reads CSV from f into b (a header row, then rows of as many fields);
 * 0, or -1 with "PATH:LINE: reason" in err. */
int rows_load_csv(struct rows_build *b, FILE *f, const char *path, char *err, size_t errlen);

#endif
