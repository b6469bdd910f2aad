#include "store.h"

#include <stdlib.h>
#include <string.h>

static int is_decimal(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int decimal_cmp(const char *a, const char *b)
{
    const char *x = a, *y = b;
    while (*x == '0' && x[1])
        x++;
    while (*y == '0' && y[1])
        y++;
    size_t lx = strlen(x), ly = strlen(y);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    int c = strcmp(x, y);
    /* "01" and "1" are equal as numbers but distinct ids */
    return c ? c : strcmp(a, b);
}

int ds_id_cmp(const char *a, const char *b)
{
    int da = is_decimal(a), db = is_decimal(b);
    if (da && db)
        return decimal_cmp(a, b);
    if (da != db)
        return da ? -1 : 1;
    return strcmp(a, b);
}

static int user_key_cmp(const void *key, const void *elem)
{
    return ds_id_cmp(key, ((const struct ds_user *)elem)->id);
}

static int customer_key_cmp(const void *key, const void *elem)
{
    return ds_id_cmp(key, ((const struct ds_customer *)elem)->id);
}

const struct ds_user *ds_store_user(const struct ds_store *s, const char *id)
{
    return bsearch(id, s->users, s->nusers, sizeof *s->users, user_key_cmp);
}

const struct ds_customer *ds_store_customer(const struct ds_store *s, const char *id)
{
    return bsearch(id, s->customers, s->ncustomers, sizeof *s->customers,
                   customer_key_cmp);
}

size_t ds_store_by_sales(const struct ds_store *s, const char *sales_id, size_t *first)
{
    /* lower bound, then walk: the matching range is contiguous */
    size_t lo = 0, hi = s->ncustomers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ds_id_cmp(s->customers[s->by_sales[mid]].sales_id, sales_id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < s->ncustomers &&
           strcmp(s->customers[s->by_sales[end]].sales_id, sales_id) == 0)
        end++;
    *first = lo;
    return end - lo;
}
