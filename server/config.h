/* What ds_server_start runs with: the options checked as a whole (the
 * schedule's phases too) and turned into the planner's settings. The one
 * caller of both options.c and schedule.c, so neither calls the other
 * back. ds_server_opts_check (server_opts.h) is defined here too. */
#ifndef DS_CONFIG_H
#define DS_CONFIG_H

#include <stddef.h>

#include "plan.h"
#include "server.h"

/* Fills cfg (the options as given) and sched (the --schedule phases)
 * from o. On a bad option returns -1 with one line in err. */
int ds_config_check(const struct ds_server_opts *o, struct ds_plan_cfg *cfg,
                    struct ds_schedule *sched, char *err, size_t errlen);

#endif
