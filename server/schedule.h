/* --schedule: phases that change the options for a while.
 *   "10s-15s fail=0.5; 20s-25s delay=lognormal:0.5,2; 30s-31s hang=1"
 * A phase is a window START-END (times like 10s, 500ms, 1m, 1m30s, 1.5s,
 * 2h; a bare number is seconds) and KEY=VALUE pairs separated by spaces.
 * KEY is an option a phase may set (the option table's phase column),
 * spelled as its flag: delay, route-delay (route-delay=users=0.2),
 * client-delay (true or false), max-delay, fail, reset, hang; VALUE is
 * read by that option's parser, with its range and message. A phase runs
 * with the options as given plus its own, checked as a whole (fail +
 * reset + hang <= 1). Windows are [START, END), may not overlap, and
 * count from the first API request or, with --schedule-from start, from
 * the server's start. Lookup at request time is plan.c's. */
#ifndef DS_SCHEDULE_H
#define DS_SCHEDULE_H

#include <stddef.h>

#include "plan.h"
#include "server.h"
#include "server_opts.h"

/* The words --schedule-from takes, for messages. */
#define DS_SCHEDULE_FROM_FORMS "first-request or start"

/* 1 for "start", 0 for "first-request" (and NULL), -1 for anything else. */
int ds_schedule_from(const char *text);

/* Parses o->schedule (NULL: no phases) against the rest of o into out.
 * On a bad schedule returns -1 with one line in err that quotes the phase
 * and names options as a phase spells them, without the --schedule
 * option's own name: "'10s-15s fail=2': fail: expected a fraction 0..1,
 * got '2'". */
int ds_schedule_parse(const struct ds_server_opts *o, struct ds_schedule *out, char *err,
                      size_t errlen);

/* The phases, their counters, the active one and the elapsed time, into
 * out's schedule fields. Any thread. */
void ds_schedule_read(const struct ds_schedule *s, struct ds_server_stats *out);

#endif
