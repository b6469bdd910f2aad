/* Building a ds_store record by record (used by the seed and by the host's
 * --data loader, src/datafile.c). The store's layout is the server's own
 * (server/store.h). */
#ifndef DS_STORE_BUILD_H
#define DS_STORE_BUILD_H

#include <stddef.h>

struct ds_store;

/* An empty store with room for the given counts. NULL when out of memory. */
struct ds_store *ds_store_new(size_t users, size_t customers);
/* Copy the strings in; pos is the record's index in its list, for the
 * duplicate id message. -1 when out of memory or over the reserved count. */
int ds_store_add_user(struct ds_store *s, const char *id, const char *name,
                      const char *role, size_t pos);
int ds_store_add_customer(struct ds_store *s, const char *id, const char *name,
                          const char *sales_id, size_t pos);
/* Sorts, rejects duplicate ids and builds the salesId index. On failure
 * returns -1 with the problem in err (if err is not NULL), e.g.
 * duplicate user id "7" (users[2] and users[5]). */
int ds_store_finish(struct ds_store *s, char *err, size_t errlen);
void ds_store_free(struct ds_store *s);

#endif
