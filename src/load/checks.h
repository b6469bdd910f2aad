/* What a load run counts of `check`: passes and fails per check name, one
 * table per thread; the load module adds them by name across threads and
 * shards, so the counts merge exactly. */
#ifndef DS_CHECKS_H
#define DS_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#define CHECK_NAME_MAX 96   /* longer names are cut */
#define CHECK_MAX 256       /* beyond: one CHECK_OTHER */
#define CHECK_OTHER "(other checks)"

struct ds_check { char name[CHECK_NAME_MAX]; int64_t passes, fails; };

struct ds_checks {
    struct ds_check *v;
    size_t n, cap;
};

/* Counts one result of the check `name` (len bytes). -1 when out of
 * memory (not counted). */
int checks_add(struct ds_checks *c, const char *name, size_t len, int pass);
void checks_free(struct ds_checks *c);

#endif
