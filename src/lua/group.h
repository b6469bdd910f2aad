/* The task engine of http.gather, for C code that starts tasks one at a
 * time (the load runner): an open group has a fixed number of slots, each
 * running at most one coroutine, and tells its owner when one finishes. */
#ifndef DS_GROUP_H
#define DS_GROUP_H

#include <lua.h>
#include <stdint.h>

struct ds_group;
struct ds_jar;

struct ds_group_hooks {
    /* Task `slot` (0-based) finished: status is lua_resume's; co holds its
     * nres results, or the error object. Must not resume Lua code that
     * could yield; it may call Lua functions with lua_pcall on co. */
    void (*finished)(void *ud, int slot, lua_State *co, int status, int nres);
};

/* Pushes a new open group (a userdata: keep it referenced while it runs;
 * collecting it cancels its tasks). NULL, with nothing pushed, when there
 * is no memory for the slots; like any Lua API call it may also raise
 * Lua's memory error, so call it under lua_pcall. */
struct ds_group *group_open(lua_State *L, int slots, const struct ds_group_hooks *hooks,
                            void *ud);
/* Starts a coroutine in the free `slot`: a function and nargs arguments
 * on top of L's stack (popped). */
void group_launch(lua_State *L, struct ds_group *g, int slot, int nargs);
/* Resumes every task that is ready; unless one of them finished, then
 * waits for the scheduler at most until the absolute time deadline (< 0:
 * until something happens). */
void group_pump(lua_State *L, struct ds_group *g, double deadline);
int group_running(const struct ds_group *g);
/* Gives the task in `slot` its own generator for math.random, seeded from
 * (seed, stream); the gathers it starts seed theirs from it, in order. */
void group_seed(struct ds_group *g, int slot, uint64_t seed, uint64_t stream);
/* Gives the task in `slot` a cookie jar (its VU's): its requests and
 * those of the gathers it starts use it. */
void group_jar(struct ds_group *g, int slot, struct ds_jar *jar);
/* The slot of g whose task t is, or runs inside of (through nested
 * gathers); -1 for a task outside g. */
struct ds_task;
int group_slot_of(const struct ds_group *g, const struct ds_task *t);
/* Cancels every running task: transfers leave the multi now. */
void group_stop(lua_State *L, struct ds_group *g);

#endif
