/* The one scheduler: a curl_multi driven by epoll + curl's timer, a heap of
 * sleeping tasks and a queue of tasks ready to resume. It knows nothing of
 * Lua beyond the task record; resuming tasks is lgather.c's job. */
#ifndef DS_SCHED_H
#define DS_SCHED_H

#include <stddef.h>
#include <curl/curl.h>
#include <lua.h>

struct ds_group;
struct ds_xfer;

enum ds_task_state { DS_TASK_IDLE, DS_TASK_READY, DS_TASK_WAITING, DS_TASK_DONE };

/* One http.gather task: a coroutine plus what it waits for. */
struct ds_task {
    lua_State *co;            /* NULL until started */
    int ref;                  /* registry ref that keeps co alive */
    struct ds_group *group;
    int index;                /* 1-based position in the group */
    enum ds_task_state state;
    struct ds_task *prev, *next; /* ready queue / deferred list links */
    double wake_at;           /* when sleeping */
    size_t heap_pos;          /* 0 = not in the sleep heap */
    struct ds_xfer *xfer;     /* transfer it waits for */
    struct ds_group *child;   /* nested gather it waits for */
    int shard;                /* of its previous transfer, for keep-alive */
};

/* A circular list of tasks with a sentinel node. */
struct ds_tasklist { struct ds_task head; };

void tasklist_init(struct ds_tasklist *l);
int tasklist_empty(const struct ds_tasklist *l);
void tasklist_push(struct ds_tasklist *l, struct ds_task *t);
struct ds_task *tasklist_pop(struct ds_tasklist *l);
void tasklist_unlink(struct ds_task *t);
void tasklist_splice(struct ds_tasklist *dst, struct ds_tasklist *src);

int sched_init(char *err, size_t errlen);
void sched_free(void);
double sched_now(void);

/* Transfers. Returns the shard the transfer went to (keep it for
 * sched_remove), or -1; `preferred` is the shard of the caller's previous
 * transfer, or -1. A finished transfer is marked done and its task made
 * ready. */
int sched_add(CURL *easy, int preferred);
void sched_remove(CURL *easy, int shard);
/* Makes the easy handle's sockets counted (set on every transfer). */
void sched_count_sockets(CURL *easy);
/* Connections open in the caches beyond the transfers in flight: about how
 * many a new batch of transfers can reuse without a new descriptor. */
long sched_idle_connections(void);

/* The task a Lua thread runs, or NULL for threads the scheduler did not
 * create. */
struct ds_task *sched_task_of(lua_State *L);
void sched_bind(lua_State *co, struct ds_task *t);

void sched_make_ready(struct ds_task *t);
struct ds_tasklist *sched_ready(void);
void sched_sleep_until(struct ds_task *t, double when);
void sched_cancel_wait(struct ds_task *t);

/* Waits for socket events, curl's timer or a sleeper, at most until the
 * absolute time `deadline` (< 0: no bound of its own), and dispatches them.
 * Never runs Lua. */
void sched_poll(double deadline);

#endif
