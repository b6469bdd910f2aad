#include "store.h"
#include "store_build.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct store_cap {
    struct ds_store s;
    size_t ucap, ccap;
};

struct ds_store *ds_store_new(size_t users, size_t customers)
{
    /* the capacities live right after the public struct, so ds_store_free
     * (which frees the first member's address) frees them too */
    struct store_cap *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->s.users = calloc(users ? users : 1, sizeof *c->s.users);
    c->s.customers = calloc(customers ? customers : 1, sizeof *c->s.customers);
    c->s.by_sales = calloc(customers ? customers : 1, sizeof *c->s.by_sales);
    c->ucap = users;
    c->ccap = customers;
    if (!c->s.users || !c->s.customers || !c->s.by_sales) {
        ds_store_free(&c->s);
        return NULL;
    }
    return &c->s;
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    if (d)
        for (char *p = d; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    return d;
}

int ds_store_add_user(struct ds_store *s, const char *id, const char *name,
                      const char *role, size_t pos)
{
    struct store_cap *c = (struct store_cap *)s;
    if (s->nusers == c->ucap)
        return -1;
    struct ds_user *u = &s->users[s->nusers++];
    u->id = strdup(id);
    u->name = strdup(name);
    u->role = strdup(role);
    u->lname = lower_dup(name);
    u->lrole = lower_dup(role);
    u->pos = pos;
    return (u->id && u->name && u->role && u->lname && u->lrole) ? 0 : -1;
}

int ds_store_add_customer(struct ds_store *s, const char *id, const char *name,
                          const char *sales_id, size_t pos)
{
    struct store_cap *c = (struct store_cap *)s;
    if (s->ncustomers == c->ccap)
        return -1;
    struct ds_customer *cu = &s->customers[s->ncustomers++];
    cu->id = strdup(id);
    cu->name = strdup(name);
    cu->sales_id = strdup(sales_id);
    cu->lname = lower_dup(name);
    cu->pos = pos;
    return (cu->id && cu->name && cu->sales_id && cu->lname) ? 0 : -1;
}

static int user_cmp(const void *a, const void *b)
{
    return ds_id_cmp(((const struct ds_user *)a)->id, ((const struct ds_user *)b)->id);
}

static int customer_cmp(const void *a, const void *b)
{
    return ds_id_cmp(((const struct ds_customer *)a)->id,
                     ((const struct ds_customer *)b)->id);
}

static int sales_cmp(const void *a, const void *b, void *arg)
{
    const struct ds_customer *all = arg;
    const struct ds_customer *x = &all[*(const size_t *)a];
    const struct ds_customer *y = &all[*(const size_t *)b];
    int c = ds_id_cmp(x->sales_id, y->sales_id);
    return c ? c : ds_id_cmp(x->id, y->id);
}

static int dup_error(char *err, size_t errlen, const char *what, const char *id,
                     size_t p1, size_t p2)
{
    if (err)
        snprintf(err, errlen, "duplicate %s id \"%.256s\" (%ss[%zu] and %ss[%zu])", what, id,
                 what, p1 < p2 ? p1 : p2, what, p1 < p2 ? p2 : p1);
    return -1;
}

int ds_store_finish(struct ds_store *s, char *err, size_t errlen)
{
    qsort(s->users, s->nusers, sizeof *s->users, user_cmp);
    for (size_t i = 1; i < s->nusers; i++)
        if (strcmp(s->users[i - 1].id, s->users[i].id) == 0)
            return dup_error(err, errlen, "user", s->users[i].id,
                             s->users[i - 1].pos, s->users[i].pos);
    qsort(s->customers, s->ncustomers, sizeof *s->customers, customer_cmp);
    for (size_t i = 1; i < s->ncustomers; i++)
        if (strcmp(s->customers[i - 1].id, s->customers[i].id) == 0)
            return dup_error(err, errlen, "customer", s->customers[i].id,
                             s->customers[i - 1].pos, s->customers[i].pos);
    for (size_t i = 0; i < s->ncustomers; i++)
        s->by_sales[i] = i;
    qsort_r(s->by_sales, s->ncustomers, sizeof *s->by_sales, sales_cmp, s->customers);
    return 0;
}

void ds_store_free(struct ds_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nusers; i++) {
        struct ds_user *u = &s->users[i];
        free(u->id); free(u->name); free(u->role); free(u->lname); free(u->lrole);
    }
    for (size_t i = 0; i < s->ncustomers; i++) {
        struct ds_customer *c = &s->customers[i];
        free(c->id); free(c->name); free(c->sales_id); free(c->lname);
    }
    free(s->users);
    free(s->customers);
    free(s->by_sales);
    free(s);
}
