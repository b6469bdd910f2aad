#include "suggest.h"

#include <string.h>

/* Names longer than this are never near a flag or key. */
#define MAX_LEN 32

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Optimal string alignment distance (Levenshtein plus adjacent swaps),
 * with three rows of the table. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > MAX_LEN || lb > MAX_LEN)
        return (size_t)-1;
    size_t rows[3][MAX_LEN + 1];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
                && prev2[j - 2] + 1 < cur[j])
                cur[j] = prev2[j - 2] + 1;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

const char *ds_suggest(const char *typed, const char *const *names, size_t n)
{
    size_t best = (size_t)-1, limit = strlen(typed) / 3;
    const char *found = NULL;
    if (limit > 2)
        limit = 2;
    for (size_t i = 0; i < n; i++) {
        size_t d = distance(typed, names[i]);
        if (d < best) {
            best = d;
            found = names[i];
        } else if (d == best) {
            found = NULL;  /* a tie: no single guess */
        }
    }
    if (best <= limit)
        return found;
    /* not a typo but the start of a name: "--del" for --delay */
    found = NULL;
    size_t len = strlen(typed), starts = 0;
    for (size_t i = 0; i < n && len > 0; i++)
        if (strncmp(names[i], typed, len) == 0) {
            found = names[i];
            starts++;
        }
    return starts == 1 ? found : NULL;
}
