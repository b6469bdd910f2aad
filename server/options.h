/* ds_server_opts checked and turned into what the server runs with. Every
 * caller (dockscript serve, server.start) gets the same checks and the
 * same messages. */
#ifndef DS_OPTIONS_H
#define DS_OPTIONS_H

#include <stddef.h>

#include "plan.h"
#include "server.h"

/* Fills cfg from o. On a bad option returns -1 with one line in err. */
int ds_options_check(const struct ds_server_opts *o, struct ds_plan_cfg *cfg, char *err,
                     size_t errlen);

#endif
