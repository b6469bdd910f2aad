/* The one scheduler. curl_multi_socket_action driven by epoll and curl's
 * own timers, so the cost of a wake-up depends on the sockets that are
 * ready, not on how many transfers exist (10,000 is a normal load).
 *
 * The multi is split into shards of at most SHARD_CAP transfers, each with
 * its own connection cache. libcurl 7.88 (Debian 12) walks a host's whole
 * connection list to find a reusable connection for every new transfer, and
 * the whole cache again in curl_multi_remove_handle: O(N) per transfer, so
 * 10,000 transfers on one multi cost seconds of CPU. Shards bound N. Blocking
 * calls always use shard 0 and a task keeps using the shard of its previous
 * transfer, so keep-alive works as it would with one cache. */
#include "sched.h"
#include "xfer.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 512
#define SHARD_CAP 256
#define MAX_SHARDS 1024
#define TIMERS_PER_POLL 1 /* 262,144 transfers: beyond any open-file limit */

struct shard {
    CURLM *multi;
    double timer_at; /* curl's timer, absolute; < 0 none */
    int active;      /* transfers in this multi */
};

static struct {
    struct shard *shards;
    int nshards;
    long sockets;             /* open sockets of all connection caches */
    long transfers;           /* transfers in all shards */
    int next_timer;           /* the shard whose timer runs first next time */
    int epfd;
    struct reg *regs;         /* by descriptor: what epoll holds */
    size_t nregs;
    struct ds_tasklist ready;
    struct ds_task **heap;    /* sleepers, 1-based min-heap on wake_at */
    size_t heap_len, heap_cap;
} S = { .epfd = -1 };

/* ---- task lists ---- */

void tasklist_init(struct ds_tasklist *l) { l->head.prev = l->head.next = &l->head; }
int tasklist_empty(const struct ds_tasklist *l) { return l->head.next == &l->head; }

void tasklist_push(struct ds_tasklist *l, struct ds_task *t)
{
    t->prev = l->head.prev;
    t->next = &l->head;
    l->head.prev->next = t;
    l->head.prev = t;
}

void tasklist_unlink(struct ds_task *t)
{
    if (!t->next)
        return;
    t->prev->next = t->next;
    t->next->prev = t->prev;
    t->prev = t->next = NULL;
}

struct ds_task *tasklist_pop(struct ds_tasklist *l)
{
    if (tasklist_empty(l))
        return NULL;
    struct ds_task *t = l->head.next;
    tasklist_unlink(t);
    return t;
}

void tasklist_splice(struct ds_tasklist *dst, struct ds_tasklist *src)
{
    struct ds_task *t;
    while ((t = tasklist_pop(src)))
        tasklist_push(dst, t);
}

/* ---- clock ---- */

double sched_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- sleep heap ---- */

static void heap_set(size_t i, struct ds_task *t)
{
    S.heap[i] = t;
    t->heap_pos = i;
}

static void heap_up(size_t i)
{
    struct ds_task *t = S.heap[i];
    while (i > 1 && S.heap[i / 2]->wake_at > t->wake_at) {
        heap_set(i, S.heap[i / 2]);
        i /= 2;
    }
    heap_set(i, t);
}

static void heap_down(size_t i)
{
    struct ds_task *t = S.heap[i];
    for (;;) {
        size_t c = 2 * i;
        if (c > S.heap_len)
            break;
        if (c < S.heap_len && S.heap[c + 1]->wake_at < S.heap[c]->wake_at)
            c++;
        if (S.heap[c]->wake_at >= t->wake_at)
            break;
        heap_set(i, S.heap[c]);
        i = c;
    }
    heap_set(i, t);
}

static void heap_remove(struct ds_task *t)
{
    size_t i = t->heap_pos;
    if (!i)
        return;
    t->heap_pos = 0;
    struct ds_task *last = S.heap[S.heap_len--];
    if (last == t)
        return;
    heap_set(i, last);
    heap_up(i);
    heap_down(last->heap_pos);
}

void sched_sleep_until(struct ds_task *t, double when)
{
    if (S.heap_len + 1 >= S.heap_cap) {
        size_t cap = S.heap_cap ? S.heap_cap * 2 : 64;
        struct ds_task **h = realloc(S.heap, cap * sizeof *h);
        if (!h)
            abort(); /* the Lua allocator would have failed first */
        S.heap = h;
        S.heap_cap = cap;
    }
    t->wake_at = when;
    t->state = DS_TASK_WAITING;
    S.heap[++S.heap_len] = t;
    heap_up(S.heap_len);
}

static void wake_sleepers(double now)
{
    while (S.heap_len && S.heap[1]->wake_at <= now) {
        struct ds_task *t = S.heap[1];
        heap_remove(t);
        sched_make_ready(t);
    }
}

/* ---- tasks ---- */

struct ds_task *sched_task_of(lua_State *L)
{
    return *(struct ds_task **)lua_getextraspace(L);
}

void sched_bind(lua_State *co, struct ds_task *t)
{
    *(struct ds_task **)lua_getextraspace(co) = t;
}

void sched_make_ready(struct ds_task *t)
{
    if (t->state == DS_TASK_DONE || t->state == DS_TASK_READY)
        return;
    t->state = DS_TASK_READY;
    tasklist_push(&S.ready, t);
}

struct ds_tasklist *sched_ready(void) { return &S.ready; }

void sched_cancel_wait(struct ds_task *t)
{
    heap_remove(t);
    tasklist_unlink(t);
    if (t->xfer) {
        xfer_release(t->xfer);
        t->xfer = NULL;
    }
}

/* ---- curl callbacks: only record; never run Lua from here ---- */

/* epoll's data names the shard and the socket. */
static uint64_t ev_key(int shard, curl_socket_t s)
{
    return (uint64_t)(uint32_t)shard << 32 | (uint32_t)s;
}

/* What epoll holds for one socket. curl drops its interest in a socket after
 * every transfer (CURL_POLL_REMOVE) and asks again when the next transfer
 * reuses the kept-alive connection: removing and adding it each time costs
 * two epoll_ctl calls per request. The registration is kept instead, and
 * removed only if the socket reports an event while curl is not watching it;
 * close() takes a socket out of epoll by itself. */
struct reg {
    uint32_t events;
    unsigned char in_epoll, wanted;
};

static struct reg *reg_of(curl_socket_t s)
{
    if (s < 0)
        return NULL;
    if ((size_t)s >= S.nregs) {
        size_t n = S.nregs ? S.nregs : 64;
        while (n <= (size_t)s)
            n *= 2;
        struct reg *r = realloc(S.regs, n * sizeof *r);
        if (!r)
            return NULL;
        memset(r + S.nregs, 0, (n - S.nregs) * sizeof *r);
        S.regs = r;
        S.nregs = n;
    }
    return &S.regs[s];
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    (void)socketp;
    struct reg *r = reg_of(s);
    if (!r)
        return -1;
    if (what == CURL_POLL_REMOVE) {
        r->wanted = 0;
        return 0;
    }
    struct epoll_event ev = {0};
    ev.data.u64 = ev_key((int)(intptr_t)userp, s);
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    r->wanted = 1;
    /* a socket stays in its shard's cache, so its epoll key never changes */
    if (r->in_epoll && r->events == ev.events)
        return 0;
    int op = r->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(S.epfd, op, s, &ev) < 0 &&
        epoll_ctl(S.epfd, op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev) < 0)
        return -1;
    r->in_epoll = 1;
    r->events = ev.events;
    return 0;
}

/* An event on a socket curl is not watching: an idle kept-alive connection
 * the server closed, say. curl notices when it next tries to reuse it. */
static int unwatched(curl_socket_t s)
{
    if (s < 0 || (size_t)s >= S.nregs || S.regs[s].wanted)
        return 0;
    epoll_ctl(S.epfd, EPOLL_CTL_DEL, s, NULL);
    S.regs[s].in_epoll = 0;
    return 1;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct shard *sh = &S.shards[(int)(intptr_t)userp];
    sh->timer_at = timeout_ms < 0 ? -1 : sched_now() + (double)timeout_ms / 1000.0;
    return 0;
}

static int shard_new(void)
{
    if (S.nshards == MAX_SHARDS)
        return -1;
    struct shard *sh = &S.shards[S.nshards];
    sh->multi = curl_multi_init();
    if (!sh->multi)
        return -1;
    sh->timer_at = -1;
    sh->active = 0;
    void *id = (void *)(intptr_t)S.nshards;
    curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, id);
    curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, id);
    /* Room for one idle connection per transfer the shard can hold; curl's
     * default (4 x handles added) shrinks as handles leave and then walks the
     * cache to close the oldest. */
    curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS, (long)SHARD_CAP);
    return S.nshards++;
}

/* The task's previous shard if it has room, else the first shard with room. */
static int shard_pick(int preferred)
{
    if (preferred >= 0 && preferred < S.nshards && S.shards[preferred].active < SHARD_CAP)
        return preferred;
    for (int i = 0; i < S.nshards; i++)
        if (S.shards[i].active < SHARD_CAP)
            return i;
    return shard_new();
}

int sched_init(char *err, size_t errlen)
{
    tasklist_init(&S.ready);
    S.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (S.epfd < 0) {
        snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
        return -1;
    }
    S.shards = calloc(MAX_SHARDS, sizeof *S.shards);
    if (!S.shards || shard_new() != 0) {
        snprintf(err, errlen, "curl_multi_init failed");
        return -1;
    }
    return 0;
}

void sched_free(void)
{
    for (int i = 0; i < S.nshards; i++)
        curl_multi_cleanup(S.shards[i].multi);
    free(S.shards);
    S.shards = NULL;
    S.nshards = 0;
    if (S.epfd >= 0)
        close(S.epfd);
    S.epfd = -1;
    free(S.heap);
    S.heap = NULL;
    S.heap_len = S.heap_cap = 0;
    xfer_pool_free();
    free(S.regs); /* last: closing the caches' sockets above clears entries */
    S.regs = NULL;
    S.nregs = 0;
}

int sched_add(CURL *easy, int preferred)
{
    int shard = shard_pick(preferred);
    if (shard < 0)
        return -1;
    if (curl_multi_add_handle(S.shards[shard].multi, easy) != CURLM_OK)
        return -1;
    S.shards[shard].active++;
    S.transfers++;
    return shard;
}

void sched_remove(CURL *easy, int shard)
{
    curl_multi_remove_handle(S.shards[shard].multi, easy);
    S.shards[shard].active--;
    S.transfers--;
}

/* curl's socket hooks, to know how many connections sit idle in the caches:
 * a new batch of transfers reuses those instead of opening descriptors. */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose,
                                    struct curl_sockaddr *a)
{
    (void)clientp;
    (void)purpose;
    curl_socket_t s = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (s != CURL_SOCKET_BAD)
        S.sockets++;
    return s;
}

static int on_close_socket(void *clientp, curl_socket_t s)
{
    (void)clientp;
    S.sockets--;
    /* close() takes it out of epoll; a later socket may get its number */
    if (s >= 0 && (size_t)s < S.nregs)
        S.regs[s] = (struct reg){0};
    return close(s);
}

void sched_count_sockets(CURL *easy)
{
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
}

long sched_idle_connections(void)
{
    long idle = S.sockets - S.transfers;
    return idle > 0 ? idle : 0;
}

static void drain_done(CURLM *multi)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct ds_xfer *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        CURLcode result = m->data.result; /* m is invalid after removal */
        if (x)
            xfer_complete(x, result);
    }
}

static int wait_ms(double deadline, double now)
{
    double until = deadline;
    for (int i = 0; i < S.nshards; i++) {
        double t = S.shards[i].timer_at;
        if (t >= 0 && (until < 0 || t < until))
            until = t;
    }
    if (S.heap_len && (until < 0 || S.heap[1]->wake_at < until))
        until = S.heap[1]->wake_at;
    if (until < 0)
        return 1000; /* nothing scheduled: wake up now and then anyway */
    double ms = ceil((until - now) * 1000.0);
    return ms <= 0 ? 0 : ms > 1000 ? 1000 : (int)ms;
}

/* Runs at most TIMERS_PER_POLL due shard timers, round robin. A batch of
 * 10,000 new transfers makes every shard due at once, and each timer
 * connects its 256 sockets: running them all before the next epoll_wait
 * would send the first request only after the last connect. Taking turns
 * with socket events sends requests while later shards still connect, so
 * the server's delays start earlier. */
static void fire_timers(double now)
{
    int running, fired = 0;
    for (int k = 0; k < S.nshards && fired < TIMERS_PER_POLL; k++) {
        struct shard *sh = &S.shards[S.next_timer];
        S.next_timer = (S.next_timer + 1) % S.nshards;
        if (sh->timer_at < 0 || sh->timer_at > now)
            continue;
        sh->timer_at = -1;
        curl_multi_socket_action(sh->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        fired++;
    }
}

void sched_poll(double deadline)
{
    struct epoll_event evs[MAX_EVENTS];
    int running;
    int n = epoll_wait(S.epfd, evs, MAX_EVENTS, wait_ms(deadline, sched_now()));
    for (int i = 0; i < n; i++) {
        int mask = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                   (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                   (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
        int shard = (int)(evs[i].data.u64 >> 32);
        curl_socket_t fd = (curl_socket_t)(evs[i].data.u64 & 0xffffffffu);
        if (unwatched(fd))
            continue;
        curl_multi_socket_action(S.shards[shard].multi, fd, mask, &running);
    }
    double now = sched_now();
    fire_timers(now);
    for (int i = 0; i < S.nshards; i++)
        drain_done(S.shards[i].multi);
    wake_sleepers(sched_now());
}
