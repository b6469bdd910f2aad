/* "Did you mean": the closest of a list of names to a typo. */
#ifndef DS_SUGGEST_H
#define DS_SUGGEST_H

#include <stddef.h>

/* The name in names[0..n-1] nearest to typed by edit distance (insert,
 * delete, substitute, swap two neighbours) when it is near enough to be
 * what was meant: at most 2 edits and at most a third of typed's length
 * (0 edits too: the caller may have stripped "-" from "-port"); failing
 * that, the one name that begins with typed ("del" for "delay"). NULL
 * otherwise, or when two names are equally near or begin with typed. */
const char *ds_suggest(const char *typed, const char *const *names, size_t n);

#endif
