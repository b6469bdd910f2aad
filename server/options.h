/* What the option table (options.c) gives the rest of the server: a
 * check of the options without the schedule (a --schedule phase's own
 * options go through it, config.c checks the whole), an option's name in
 * messages, and the planner's settings of checked options. */
#ifndef DS_OPTIONS_H
#define DS_OPTIONS_H

#include <stddef.h>

#include "plan.h"
#include "server.h"
#include "server_opts.h"

/* Every field in its range and the invariants between options (the
 * fault fractions sum to at most 1, queue_max needs workers); not the
 * schedule. 0, or -1 with one line in err. */
int ds_options_check_fields(const struct ds_server_opts *o, enum ds_opt_naming naming,
                            char *err, size_t errlen);
/* "--max-delay", "'max_delay'" or a phase's "max-delay". */
const char *ds_options_name(const struct ds_server_opt *r, enum ds_opt_naming naming, char *buf,
                            size_t len);
/* What the planner reads of checked options o. */
void ds_options_plan(const struct ds_server_opts *o, struct ds_plan_cfg *cfg);

#endif
