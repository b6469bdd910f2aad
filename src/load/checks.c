/* Check counts. A scenario has a handful of check names, so a name is
 * found by a linear scan, as the recorder finds its tags. */
#include "load/checks.h"
#include "core/grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ds_check *find(struct ds_checks *c, const char *name, size_t len)
{
    if (len >= CHECK_NAME_MAX)
        len = CHECK_NAME_MAX - 1;
    for (size_t i = 0; i < c->n; i++)
        if (strncmp(c->v[i].name, name, len) == 0 && c->v[i].name[len] == 0)
            return &c->v[i];
    if (c->n == CHECK_MAX - 1 && strcmp(name, CHECK_OTHER) != 0)
        return find(c, CHECK_OTHER, strlen(CHECK_OTHER));
    if (c->n == c->cap) {
        struct ds_check *v = grow_zeroed(c->v, &c->cap, c->n, sizeof *c->v);
        if (!v)
            return NULL;
        c->v = v;
    }
    struct ds_check *k = &c->v[c->n++];
    memcpy(k->name, name, len);
    return k;
}

int checks_add(struct ds_checks *c, const char *name, size_t len, int pass)
{
    struct ds_check *k = find(c, name, len);
    if (!k)
        return -1;
    if (pass)
        k->passes++;
    else
        k->fails++;
    return 0;
}

void checks_free(struct ds_checks *c)
{
    free(c->v);
    *c = (struct ds_checks){0};
}
