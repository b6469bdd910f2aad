/* The fault kinds (server.h's DS_SERVER_FAULT_KINDS) as the server reads
 * them: a request's fault is a kind's index or DS_FAULT_NONE, and each
 * kind's row names one of the actions below, which the handler carries
 * out (handler.c, wait.c, reply.c). A new kind that acts like an existing
 * one is its row alone; a new action is a value here and its case there. */
#ifndef DS_FAULT_H
#define DS_FAULT_H

#include "server.h"

/* No fault drawn (and a request that is not an API request). */
#define DS_FAULT_NONE (-1)

enum ds_fault_act {
    DS_ACT_NONE,   /* no fault: the request's normal answer */
    DS_ACT_ERROR,  /* the request waits its delay, then 500 InjectedFault */
    DS_ACT_RESET,  /* the connection is reset at once (RST), no answer */
    DS_ACT_HOLD    /* held without a --workers slot, never answered, until
                      --timeout or its client leaves; needs the delay timer */
};

/* What the handler does for fault f (a kind or DS_FAULT_NONE). */
enum ds_fault_act ds_fault_act(int f);

#endif
