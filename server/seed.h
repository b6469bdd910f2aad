/* The data set `dockscript serve` answers with when no --data file is
 * given: the original project's (README, "The Docking API"). */
#ifndef DS_SEED_H
#define DS_SEED_H

struct ds_store;

/* Built through store_build.h like a --data file; freed with
 * ds_store_free. NULL only when out of memory. */
struct ds_store *ds_store_seed(void);

#endif
