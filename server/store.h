/* The data set the API serves: users and customers, immutable once
 * built, so the server threads read it without locks. */
#ifndef DS_STORE_H
#define DS_STORE_H

#include <stddef.h>

struct ds_user {
    char *id, *name, *role;
    char *lname, *lrole;    /* lower-cased copies for the filters */
    size_t pos;             /* index in the data file's list, for messages */
};

struct ds_customer {
    char *id, *name, *sales_id;
    char *lname;
    size_t pos;
};

/* Built and freed through store_build.h: the seed data by seed.c, a --data
 * file by the host (src/datafile.c). */
struct ds_store {
    struct ds_user *users;          /* sorted by ds_id_cmp on id */
    size_t nusers;
    struct ds_customer *customers;  /* sorted by ds_id_cmp on id */
    size_t ncustomers;
    size_t *by_sales;               /* customer indexes by (salesId, id) */
};

const struct ds_user *ds_store_user(const struct ds_store *s, const char *id);
const struct ds_customer *ds_store_customer(const struct ds_store *s, const char *id);

/* Customers whose salesId equals sales_id, in id order: returns how many
 * and sets *first to their start in s->by_sales. */
size_t ds_store_by_sales(const struct ds_store *s, const char *sales_id, size_t *first);

/* Id order: decimal ids numerically first, then the rest bytewise. It is
 * a total order, so "lists in id order" reads 1, 2, 10 as people expect. */
int ds_id_cmp(const char *a, const char *b);

#endif
