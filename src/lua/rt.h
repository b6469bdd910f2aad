/* What one thread's Lua state owns besides Lua: its scheduler (the curl
 * multi and its connection caches), its pool of easy handles, and the
 * bookkeeping of the modules. One per Lua state, so one per thread; C
 * functions find it from their Lua state. */
#ifndef DS_RT_H
#define DS_RT_H

#include <lua.h>

#include "core/sched.h"
#include "core/xfer.h"
#include "load/checks.h"

struct ds_task;

struct ds_rt {
    struct ds_sched *sched;
    struct ds_xfer_env xfers; /* its sched is the one above */
    /* The cookies of requests made outside a VU: a plain script's, a
     * scenario's setup (a VU's jar is lscenario.c's). */
    struct ds_jar jar;
    /* The task being resumed (lgather.c): code it runs in a coroutine of
     * its own is no task, but its requests are still the task's VU's. */
    struct ds_task *current;
    int gather_depth;  /* blocking gathers on the C stack (lgather.c) */
    int servers;       /* server.start servers running (lserver.c) */
    /* Told what a blocking call waits for ("GET URL"), NULL when it is
     * over: a load run's setup shows it on the progress line. */
    void (*waiting)(void *ud, const char *what);
    void *waiting_ud;
    /* where check() counts (a load run's thread), or NULL: only returns */
    struct ds_checks *checks;
    /* told each result check() counted too (load.lua's live figures) */
    void (*on_check)(void *ud, const char *name, size_t len, int pass);
    void *on_check_ud;
};

/* A new runtime stored in L's registry; NULL and a message in err. */
struct ds_rt *rt_attach(lua_State *L, char *err, size_t errlen);
/* The runtime of L (any of its threads). */
struct ds_rt *rt_get(lua_State *L);
/* Tells rt's waiting hook, if any, what a blocking call waits for (NULL:
 * nothing now). */
void rt_waiting(struct ds_rt *rt, const char *what);
/* After lua_close: frees what the state's finalizers released into it. */
void rt_detach(struct ds_rt *rt);

#endif
