/* ds_server_opts checked and turned into what the server runs with. Every
 * caller (dockscript serve, server.start) gets the same checks and the
 * same messages. */
#ifndef DS_OPTIONS_H
#define DS_OPTIONS_H

#include <stddef.h>

#include "plan.h"
#include "server.h"

/* Fills cfg (the options as given) and sched (the --schedule phases)
 * from o. On a bad option returns -1 with one line in err. */
int ds_options_check(const struct ds_server_opts *o, struct ds_plan_cfg *cfg,
                     struct ds_schedule *sched, char *err, size_t errlen);
/* What the planner reads of checked options o. */
void ds_options_plan(const struct ds_server_opts *o, struct ds_plan_cfg *cfg);

#endif
