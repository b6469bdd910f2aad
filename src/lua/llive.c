/* The live deltas of a run (load/live.h) into Lua, once a second and once
 * at the end, for the `live` function of runner.run's spec: each worker's
 * delta is a raw result fragment of the shape runner.run returns per
 * thread (threads 0, series holding only the seconds it touched), so the
 * one merge of load/report.lua adds fragments up as it adds threads. */
#include "lua/llive.h"
#include "load/live.h"
#include "lua/lraw.h"

#include <lauxlib.h>
#include <string.h>


static struct ds_livesec *sec_of(struct ds_live *l, int64_t s)
{
    for (size_t k = 0; k < l->nsecs; k++)
        if (l->secs[k].sec == s)
            return &l->secs[k];
    return NULL;
}

/* The seconds the delta touched: [*lo, *hi]; 0 when none. */
static int span(const struct ds_live *l, int64_t *lo, int64_t *hi)
{
    *lo = INT64_MAX, *hi = -1;
    for (size_t k = 0; k < l->nsecs; k++) {
        *lo = l->secs[k].sec < *lo ? l->secs[k].sec : *lo;
        *hi = l->secs[k].sec > *hi ? l->secs[k].sec : *hi;
    }
    const struct ds_rec *r = l->rec;
    for (size_t s = 0; s < r->nsec; s++)
        if (r->per_sec[s]) {
            *lo = (int64_t)s < *lo ? (int64_t)s : *lo;
            *hi = (int64_t)s > *hi ? (int64_t)s : *hi;
        }
    for (int i = 0; i < r->ntags; i++) {
        const struct ds_tagstat *t = r->tags[i];
        if (!t->nsecs)
            continue;
        *lo = t->secs[0].sec < *lo ? t->secs[0].sec : *lo;
        *hi = t->secs[t->nsecs - 1].sec > *hi ? t->secs[t->nsecs - 1].sec : *hi;
    }
    return *hi >= 0;
}

static void push_series(lua_State *L, struct ds_live *l, int open)
{
    int64_t lo, hi;
    lua_newtable(L);
    if (!span(l, &lo, &hi))
        return;
    size_t *cursor = lua_newuserdatauv(L, sizeof *cursor * REC_MAX_TAGS, 0);
    memset(cursor, 0, sizeof *cursor * REC_MAX_TAGS);
    for (int64_t s = lo; s <= hi; s++) {
        struct ds_livesec none = {.sec = s}, *sec = sec_of(l, s);
        if (!sec)
            sec = &none;
        lua_createtable(L, 0, 8);
        raw_int(L, "t", s + 1);
        raw_int(L, "iterations", sec->iterations);
        raw_int(L, "errors", sec->errors);
        lua_pushnumber(L, sec->busy);
        lua_setfield(L, -2, "inflight");
        raw_int(L, "requests", rec_requests_in(l->rec, (size_t)s));
        push_hist(L, &sec->latency, 2);
        lua_setfield(L, -2, "histogram");
        if (open) {
            push_hist(L, &sec->lag, 2);
            lua_setfield(L, -2, "start_lag");
        } else {
            hist_free(sec->lag);
            sec->lag = NULL;
        }
        push_tag_seconds(L, l->rec, s, cursor);
        lua_setfield(L, -2, "tags");
        lua_rawseti(L, -3, s - lo + 1);
    }
    lua_pop(L, 1); /* the cursors */
}

/* One worker's delta as a fragment; its histograms move into Lua. */
static void push_fragment(lua_State *L, const struct ds_run *run, struct ds_live *l)
{
    const struct ds_runspec *s = run->spec;
    lua_createtable(L, 0, 10);
    lua_pushstring(L, s->open ? "open" : "closed");
    lua_setfield(L, -2, "model");
    raw_int(L, "threads", 0);
    raw_int(L, "duration", 0); /* the caller's elapsed says */
    lua_pushnumber(L, run->t0_epoch);
    lua_setfield(L, -2, "start");
    lua_createtable(L, 2, 0);
    lua_pushinteger(L, s->shard_i);
    lua_rawseti(L, -2, 1);
    lua_pushinteger(L, s->shard_n);
    lua_rawseti(L, -2, 2);
    lua_setfield(L, -2, "shard");
    lua_createtable(L, 0, 3);
    raw_int(L, "done", l->done);
    raw_int(L, "failed", l->failed);
    raw_int(L, "dropped", l->dropped);
    lua_setfield(L, -2, "iterations");
    push_hist(L, &l->chain, 3);
    lua_setfield(L, -2, "chain");
    push_hist(L, &l->start_lag, 3);
    lua_setfield(L, -2, "start_lag");
    (void)rec_finish(l->rec); /* out of memory: a tag's last second is lost */
    push_series(L, l, s->open); /* before push_requests, which takes the histograms */
    lua_setfield(L, -2, "series");
    push_requests(L, l->rec);
    lua_setfield(L, -2, "requests");
    push_errors(L, l->errors, l->nerrors);
    lua_setfield(L, -2, "errors");
    push_checks(L, &l->rec->checks);
    lua_setfield(L, -2, "checks");
}

/* {fragment, ...}: each worker's delta, replaced by an empty one (none
 * when final). A worker whose fresh delta cannot be made keeps its own,
 * taken at the next call. */
static void push_deltas(lua_State *L, struct ds_run *run, int final)
{
    lua_createtable(L, run->nworkers, 0);
    int n = 0;
    for (int j = 0; j < run->nworkers; j++) {
        struct ds_live *fresh = final ? NULL : live_new(run->t0);
        if (!final && !fresh)
            continue;
        struct ds_live *l = live_take(&run->workers[j], fresh);
        if (!l)
            continue;
        push_fragment(L, run, l);
        live_free(l);
        lua_rawseti(L, -2, ++n);
    }
}

/* The run's length so far: as runner.run reports it at the end (its last
 * iteration's end), else the time since the start. */
static double run_length(const struct ds_run *run, double elapsed, int final)
{
    if (!final)
        return elapsed;
    double d = 0;
    for (int j = 0; j < run->nworkers; j++)
        if (run->workers[j].end - run->t0 > d)
            d = run->workers[j].end - run->t0;
    return d;
}

void llive_call(lua_State *L, int fn, struct ds_run *run, double elapsed, int final,
                int *broken)
{
    if (*broken || !fn)
        return;
    lua_pushvalue(L, fn);
    push_deltas(L, run, final);
    lua_pushnumber(L, run_length(run, elapsed, final));
    lua_pushboolean(L, final);
    int64_t inflight = 0;
    for (int j = 0; j < run->nworkers; j++)
        inflight += atomic_load(&run->workers[j].inflight);
    lua_pushinteger(L, inflight);
    if (lua_pcall(L, 4, 0, 0) != LUA_OK) {
        *broken = 1;
        lua_pop(L, 1);
    }
}
