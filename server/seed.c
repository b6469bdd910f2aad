/* The original project's data set, built like a --data file. */
#include "seed.h"

#include <stddef.h>

#include "store_build.h"

struct ds_store *ds_store_seed(void)
{
    static const char *users[][3] = {
        {"1", "John Liu", "sales"},
        {"2", "William Ott", "sales"},
        {"3", "Jordan Lin", "manager"},
    };
    static const char *customers[][3] = {
        {"1", "Andy Ziemmer", "1"},
        {"2", "Michael Jordan", "1"},
        {"3", "Kobe Bryant", "2"},
        {"4", "Nick Kamar", "2"},
        {"5", "Jack Bledie", "2"},
    };
    struct ds_store *s = ds_store_new(3, 5);
    if (!s)
        return NULL;
    for (size_t i = 0; i < 3; i++)
        if (ds_store_add_user(s, users[i][0], users[i][1], users[i][2], i) != 0)
            goto oom;
    for (size_t i = 0; i < 5; i++)
        if (ds_store_add_customer(s, customers[i][0], customers[i][1],
                                  customers[i][2], i) != 0)
            goto oom;
    if (ds_store_finish(s, NULL, 0) == 0)
        return s;
oom:
    ds_store_free(s);
    return NULL;
}
