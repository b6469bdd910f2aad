/* The options checked as a whole, the --schedule with its every phase
 * included, and turned into what the server runs with. Above both the
 * option table (options.c) and the schedule (schedule.c), which reads
 * the table: neither of them calls this file. */
#include "config.h"

#include <stdio.h>

#include "options.h"
#include "schedule.h"
#include "tls.h"
#include "server_opts.h"

/* --schedule-from's word, and the schedule with every phase. */
static int check_schedule(const struct ds_server_opts *o, enum ds_opt_naming naming,
                          char *err, size_t errlen)
{
    char nm[64], why[600];
    if (ds_schedule_from(o->schedule_from) < 0) {
        snprintf(err, errlen, "%s: expected " DS_SCHEDULE_FROM_FORMS ", got '%.64s'",
                 ds_options_name(ds_server_opt_key("schedule_from"), naming, nm, sizeof nm),
                 o->schedule_from);
        return -1;
    }
    if (!o->schedule)
        return 0;
    /* about 10 KB: a startup check, once per front end */
    struct ds_schedule scratch;
    if (ds_schedule_parse(o, &scratch, why, sizeof why) == 0)
        return 0;
    snprintf(err, errlen, "%s: %s",
             ds_options_name(ds_server_opt_key("schedule"), naming, nm, sizeof nm), why);
    return -1;
}

int ds_server_opts_check(const struct ds_server_opts *o, enum ds_opt_naming naming, char *err,
                         size_t errlen)
{
    if (ds_options_check_fields(o, naming, err, errlen) != 0 ||
        check_schedule(o, naming, err, errlen) != 0)
        return -1;
    return ds_tls_check(o, naming, err, errlen);
}

int ds_config_check(const struct ds_server_opts *o, struct ds_plan_cfg *cfg,
                    struct ds_schedule *sched, char *err, size_t errlen)
{
    if (ds_server_opts_check(o, DS_NAME_KEY, err, errlen) != 0)
        return -1;
    ds_options_plan(o, cfg);
    /* checked: it parses */
    return ds_schedule_parse(o, sched, err, errlen);
}
