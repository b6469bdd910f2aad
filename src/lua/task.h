/* A task of http.gather: a coroutine and what it waits for. lgather.c owns
 * the record; http.get and clock.sleep, running inside the coroutine, say
 * what it waits for. A Lua thread finds its task in its extra space. */
#ifndef DS_TASK_H
#define DS_TASK_H

#include <lua.h>

#include "core/prng.h"
#include "core/sched.h"

struct ds_group;
struct ds_jar;
struct ds_xfer;

struct ds_task {
    struct ds_waiter w;       /* first: the scheduler hands back this address */
    lua_State *co;            /* NULL until started and once finished or cancelled */
    int ref;                  /* registry ref that keeps co alive */
    struct ds_group *group;
    int index;                /* 1-based position in the group */
    struct ds_xfer *xfer;     /* transfer it waits for */
    struct ds_group *child;   /* nested gather it waits for */
    int shard;                /* of its previous transfer, for keep-alive */
    struct ds_jar *jar;       /* its VU's cookies; NULL: the runtime's */
    int seeded;               /* math.random draws from rng (load.lua --seed) */
    struct prng rng;
};

/* The task a Lua thread runs, or NULL for threads no gather created (new
 * threads copy the main thread's extra space, which the runtime sets to
 * NULL). */
static inline struct ds_task *task_of(lua_State *L)
{
    return *(struct ds_task **)lua_getextraspace(L);
}

static inline void task_bind(lua_State *co, struct ds_task *t)
{
    *(struct ds_task **)lua_getextraspace(co) = t;
}

static inline struct ds_task *task_of_waiter(struct ds_waiter *w)
{
    return (struct ds_task *)(void *)w;
}

#endif
