/* A thread's scheduler. curl_multi_socket_action driven by epoll and curl's
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
#include "core/sched.h"
#include "core/grow.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
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
/* How often a scheduler with a cancel flag looks at it: an interrupt during
 * a load run's setup ends its requests within this. */
#define CANCEL_CHECK 0.05

struct shard {
    CURLM *multi;
    struct ds_sched *owner; /* for curl's callbacks */
    int index;
    double timer_at; /* curl's timer, absolute; < 0 none */
    int active;      /* transfers in this multi */
    struct ds_transfer *first; /* ... listed */
    int dead;        /* its multi failed: it takes no transfer */
    char why[64];    /* what our socket callback could not do */
};

struct ds_sched {
    const atomic_int *cancel; /* set by another thread: stop waiting (NULL: none) */
    struct shard *shards;
    int nshards;
    long sockets;             /* open sockets of all connection caches */
    long transfers;           /* transfers in all shards */
    int next_timer;           /* the shard whose timer runs first next time */
    int epfd;
    struct reg *regs;         /* by descriptor: what epoll holds */
    size_t nregs;
    int removing;             /* inside sched_remove */
    struct ds_waitlist ready;
    struct ds_waiter **heap;  /* sleepers, 1-based min-heap on wake_at */
    size_t heap_len, heap_cap;
};

/* ---- waiter lists ---- */

void waitlist_init(struct ds_waitlist *l) { l->head.prev = l->head.next = &l->head; }
int waitlist_empty(const struct ds_waitlist *l) { return l->head.next == &l->head; }

void waitlist_push(struct ds_waitlist *l, struct ds_waiter *w)
{
    w->prev = l->head.prev;
    w->next = &l->head;
    l->head.prev->next = w;
    l->head.prev = w;
}

void waitlist_unlink(struct ds_waiter *w)
{
    if (!w->next)
        return;
    w->prev->next = w->next;
    w->next->prev = w->prev;
    w->prev = w->next = NULL;
}

struct ds_waiter *waitlist_pop(struct ds_waitlist *l)
{
    if (waitlist_empty(l))
        return NULL;
    struct ds_waiter *w = l->head.next;
    waitlist_unlink(w);
    return w;
}

void waitlist_splice(struct ds_waitlist *dst, struct ds_waitlist *src)
{
    struct ds_waiter *w;
    while ((w = waitlist_pop(src)))
        waitlist_push(dst, w);
}

/* ---- clock ---- */

double ds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- sleep heap ---- */

static void heap_set(struct ds_sched *s, size_t i, struct ds_waiter *w)
{
    s->heap[i] = w;
    w->heap_pos = i;
}

static void heap_up(struct ds_sched *s, size_t i)
{
    struct ds_waiter *w = s->heap[i];
    while (i > 1 && s->heap[i / 2]->wake_at > w->wake_at) {
        heap_set(s, i, s->heap[i / 2]);
        i /= 2;
    }
    heap_set(s, i, w);
}

static void heap_down(struct ds_sched *s, size_t i)
{
    struct ds_waiter *w = s->heap[i];
    for (;;) {
        size_t c = 2 * i;
        if (c > s->heap_len)
            break;
        if (c < s->heap_len && s->heap[c + 1]->wake_at < s->heap[c]->wake_at)
            c++;
        if (s->heap[c]->wake_at >= w->wake_at)
            break;
        heap_set(s, i, s->heap[c]);
        i = c;
    }
    heap_set(s, i, w);
}

static void heap_remove(struct ds_sched *s, struct ds_waiter *w)
{
    size_t i = w->heap_pos;
    if (!i)
        return;
    w->heap_pos = 0;
    struct ds_waiter *last = s->heap[s->heap_len--];
    if (last == w)
        return;
    heap_set(s, i, last);
    heap_up(s, i);
    heap_down(s, last->heap_pos);
}

void sched_sleep_until(struct ds_sched *s, struct ds_waiter *w, double when)
{
    if (s->heap_len + 1 >= s->heap_cap) {
        size_t cap = s->heap_cap ? s->heap_cap * 2 : 64;
        struct ds_waiter **h = realloc(s->heap, cap * sizeof *h);
        if (!h)
            abort(); /* the Lua allocator would have failed first */
        s->heap = h;
        s->heap_cap = cap;
    }
    w->wake_at = when;
    s->heap[++s->heap_len] = w;
    heap_up(s, s->heap_len);
}

static void wake_sleepers(struct ds_sched *s, double now)
{
    while (s->heap_len && s->heap[1]->wake_at <= now) {
        struct ds_waiter *w = s->heap[1];
        heap_remove(s, w);
        sched_make_ready(s, w);
    }
}

/* ---- waiters ---- */

void sched_make_ready(struct ds_sched *s, struct ds_waiter *w)
{
    if (!w->next)
        waitlist_push(&s->ready, w);
}

struct ds_waitlist *sched_ready(struct ds_sched *s) { return &s->ready; }

void sched_unwait(struct ds_sched *s, struct ds_waiter *w)
{
    heap_remove(s, w);
    waitlist_unlink(w);
}

/* ---- curl callbacks: only record; never run Lua from here ---- */

/* epoll's data names the shard and the socket. */
static uint64_t ev_key(int shard, curl_socket_t fd)
{
    return (uint64_t)(uint32_t)shard << 32 | (uint32_t)fd;
}

/* What epoll holds for one descriptor number.
 *
 * curl drops its interest in a socket after every transfer (CURL_POLL_REMOVE)
 * and asks again when the next transfer reuses the kept-alive connection:
 * removing and adding it each time costs two epoll_ctl calls per request. So
 * a socket we opened (on_open_socket) keeps its registration, "parked", and
 * leaves epoll when it reports an event while parked, or by close().
 *
 * A parked registration is only true while that socket lives, and curl 7.88
 * closes some sockets without the close callback: a transfer removed while
 * it connects (measured), and its threaded resolver's socketpair always,
 * which never passed through on_open_socket. Had the record outlived them, a
 * later socket given the same number and asking for the same events would
 * skip EPOLL_CTL_ADD and wait for curl's timeouts instead (200 ms for a
 * connect, the resolver's polling for a host name). Hence: a number our
 * callback opens starts a fresh record (closing took the old socket out of
 * epoll); sockets we did not open, and any socket of a transfer removed
 * unfinished, leave epoll on CURL_POLL_REMOVE, as in curl's ephiperfifo.c.
 * (Still taken for ours: a socketpair given the number of one of ours that
 * curl closed silently elsewhere; counted in the tests: never.) */
struct reg {
    uint32_t events;
    unsigned char in_epoll, wanted, ours;
};

static struct reg *reg_of(struct ds_sched *s, curl_socket_t fd)
{
    if (fd < 0)
        return NULL;
    struct reg *r = grow_zeroed(s->regs, &s->nregs, (size_t)fd, sizeof *r);
    if (!r)
        return NULL;
    s->regs = r;
    return &r[fd];
}

/* The socket leaves epoll; it may be closed already (EBADF) or out of the
 * set (ENOENT), which is the same to us. */
static void forget(struct ds_sched *s, curl_socket_t fd)
{
    if (fd < 0 || (size_t)fd >= s->nregs)
        return;
    if (s->regs[fd].in_epoll)
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
    s->regs[fd] = (struct reg){0};
}

static int watch(struct shard *sh, curl_socket_t fd, int what)
{
    struct ds_sched *s = sh->owner;
    struct reg *r = reg_of(s, fd);
    if (!r) {
        snprintf(sh->why, sizeof sh->why, "out of memory");
        return -1;
    }
    struct epoll_event ev = {0};
    ev.data.u64 = ev_key(sh->index, fd);
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    r->wanted = 1;
    /* a socket stays in its shard's cache, so its epoll key never changes */
    if (r->in_epoll && r->events == ev.events)
        return 0;
    int op = r->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(s->epfd, op, fd, &ev) < 0 &&
        epoll_ctl(s->epfd, op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0) {
        snprintf(sh->why, sizeof sh->why, "epoll_ctl: %s", strerror(errno));
        return -1; /* curl then fails the multi (CURLM_ABORTED_BY_CALLBACK) */
    }
    r->in_epoll = 1;
    r->events = ev.events;
    return 0;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    (void)socketp;
    struct shard *sh = userp;
    struct ds_sched *s = sh->owner;
    if (what != CURL_POLL_REMOVE)
        return watch(sh, fd, what);
    if (fd < 0 || (size_t)fd >= s->nregs)
        return 0; /* never registered */
    if (s->regs[fd].ours && !s->removing)
        s->regs[fd].wanted = 0; /* parked */
    else
        forget(s, fd);
    return 0;
}

/* An event on a socket curl is not watching: an idle kept-alive connection
 * the server closed, say. curl notices when it next tries to reuse it. */
static int unwatched(struct ds_sched *s, curl_socket_t fd)
{
    if (fd < 0 || (size_t)fd >= s->nregs || s->regs[fd].wanted)
        return 0;
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
    s->regs[fd].in_epoll = 0;
    return 1;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct shard *sh = userp;
    sh->timer_at = timeout_ms < 0 ? -1 : ds_now() + (double)timeout_ms / 1000.0;
    return 0;
}

static int shard_new(struct ds_sched *s)
{
    if (s->nshards == MAX_SHARDS)
        return -1;
    struct shard *sh = &s->shards[s->nshards];
    sh->multi = curl_multi_init();
    if (!sh->multi)
        return -1;
    sh->owner = s;
    sh->index = s->nshards;
    sh->timer_at = -1;
    curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, sh);
    curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, sh);
    /* Room for one idle connection per transfer the shard can hold; curl's
     * default (4 x handles added) shrinks as handles leave and then walks the
     * cache to close the oldest. */
    curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS, (long)SHARD_CAP);
    /* HTTP/2 transfers of a shard share a connection (curl's default since
     * 7.62, said here because a gather's connection count depends on it) */
    curl_multi_setopt(sh->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    return s->nshards++;
}

static int has_room(const struct shard *sh)
{
    return !sh->dead && sh->active < SHARD_CAP;
}

/* The task's previous shard if it has room, else the first shard with room. */
static int shard_pick(struct ds_sched *s, int preferred)
{
    if (preferred >= 0 && preferred < s->nshards && has_room(&s->shards[preferred]))
        return preferred;
    for (int i = 0; i < s->nshards; i++)
        if (has_room(&s->shards[i]))
            return i;
    return shard_new(s);
}

struct ds_sched *sched_new(char *err, size_t errlen)
{
    struct ds_sched *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    waitlist_init(&s->ready);
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
        sched_free(s);
        return NULL;
    }
    /* Fixed: curl's callbacks hold pointers to the shards. */
    s->shards = calloc(MAX_SHARDS, sizeof *s->shards);
    if (!s->shards || shard_new(s) != 0) {
        snprintf(err, errlen, "curl_multi_init failed");
        sched_free(s);
        return NULL;
    }
    return s;
}

void sched_free(struct ds_sched *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nshards; i++)
        curl_multi_cleanup(s->shards[i].multi);
    free(s->shards);
    if (s->epfd >= 0)
        close(s->epfd);
    free(s->heap);
    free(s->regs); /* last: closing the caches' sockets above clears entries */
    free(s);
}

/* ---- transfers ---- */

/* curl's socket hooks, to know how many connections sit idle in the caches
 * (a new batch of transfers reuses those instead of opening descriptors),
 * and which descriptors are ours. */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose,
                                    struct curl_sockaddr *a)
{
    (void)purpose;
    struct ds_sched *s = clientp;
    curl_socket_t fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd == CURL_SOCKET_BAD)
        return fd;
    struct reg *r = reg_of(s, fd);
    if (!r) {
        close(fd);
        return CURL_SOCKET_BAD; /* curl fails the connect */
    }
    *r = (struct reg){.ours = 1};
    s->sockets++;
    return fd;
}

static int on_close_socket(void *clientp, curl_socket_t fd)
{
    struct ds_sched *s = clientp;
    s->sockets--;
    /* close() takes it out of epoll; a later socket may get its number */
    if (fd >= 0 && (size_t)fd < s->nregs)
        s->regs[fd] = (struct reg){0};
    return close(fd);
}

static void list_unlink(struct shard *sh, struct ds_transfer *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        sh->first = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
}

int sched_add(struct ds_sched *s, struct ds_transfer *t, CURL *easy, int preferred)
{
    int shard = shard_pick(s, preferred);
    if (shard < 0)
        return -1;
    struct shard *sh = &s->shards[shard];
    curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, s);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, s);
    if (curl_multi_add_handle(sh->multi, easy) != CURLM_OK)
        return -1;
    t->easy = easy;
    t->shard = shard;
    t->prev = NULL;
    t->next = sh->first;
    if (sh->first)
        sh->first->prev = t;
    sh->first = t;
    sh->active++;
    s->transfers++;
    return 0;
}

/* Out of the multi and the shard's list. */
static void detach(struct ds_sched *s, struct ds_transfer *t)
{
    struct shard *sh = &s->shards[t->shard];
    curl_multi_remove_handle(sh->multi, t->easy);
    list_unlink(sh, t);
    t->easy = NULL;
    sh->active--;
    s->transfers--;
}

void sched_remove(struct ds_sched *s, struct ds_transfer *t)
{
    if (!t->easy)
        return;
    s->removing = 1; /* its sockets may close without on_close_socket */
    detach(s, t);
    s->removing = 0;
}

long sched_idle_connections(const struct ds_sched *s)
{
    long idle = s->sockets - s->transfers;
    return idle > 0 ? idle : 0;
}

static void drain_done(struct ds_sched *s, struct shard *sh)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(sh->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct ds_transfer *t = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        CURLcode result = m->data.result; /* m is invalid after removal */
        if (!t || !t->easy)
            continue;
        detach(s, t);
        t->done(t, result, NULL);
    }
}

/* A multi that returned an error cannot be trusted with its transfers (after
 * our socket callback fails, curl 7.88 marks it dead for good): they end now
 * with the reason, and the shard takes no new ones. */
static void shard_fail(struct ds_sched *s, struct shard *sh, CURLMcode rc)
{
    char why[160];
    snprintf(why, sizeof why, "the scheduler's curl multi failed: %s%s%s%s",
             curl_multi_strerror(rc), sh->why[0] ? " (" : "", sh->why, sh->why[0] ? ")" : "");
    CURLcode result = rc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_ABORTED_BY_CALLBACK;
    sh->dead = 1;
    sh->timer_at = -1;
    struct ds_transfer *t;
    while ((t = sh->first)) {
        detach(s, t);
        t->done(t, result, why);
    }
}

static void socket_action(struct ds_sched *s, struct shard *sh, curl_socket_t fd, int mask)
{
    int running;
    CURLMcode rc = curl_multi_socket_action(sh->multi, fd, mask, &running);
    if (rc != CURLM_OK)
        shard_fail(s, sh, rc);
}

/* How long epoll may wait: until the deadline, curl's timers or the first
 * sleeper, at most 1 s. To the microsecond (epoll_pwait2): an open-model
 * iteration due in 0.3 ms must not wait for a whole millisecond. */
static struct timespec wait_for(struct ds_sched *s, double deadline, double now)
{
    double until = deadline;
    for (int i = 0; i < s->nshards; i++) {
        double t = s->shards[i].timer_at;
        if (t >= 0 && (until < 0 || t < until))
            until = t;
    }
    if (s->heap_len && (until < 0 || s->heap[1]->wake_at < until))
        until = s->heap[1]->wake_at;
    double wait = until < 0 ? 1 : until - now; /* nothing scheduled: look now and then */
    if (wait <= 0)
        return (struct timespec){0, 0};
    if (wait > 1)
        wait = 1;
    if (s->cancel && wait > CANCEL_CHECK)
        wait = CANCEL_CHECK;
    long ns = (long)(wait * 1e9);
    return (struct timespec){ns / 1000000000L, ns % 1000000000L};
}

static int wait_events(struct ds_sched *s, struct epoll_event *evs, double deadline)
{
    struct timespec ts = wait_for(s, deadline, ds_now());
    int n = epoll_pwait2(s->epfd, evs, MAX_EVENTS, &ts, NULL);
    if (n >= 0 || errno != ENOSYS)
        return n;
    /* a kernel before 5.11: milliseconds, rounded up */
    long ms = ts.tv_sec * 1000 + (ts.tv_nsec + 999999) / 1000000;
    return epoll_wait(s->epfd, evs, MAX_EVENTS, (int)ms);
}

/* Runs at most TIMERS_PER_POLL due shard timers, round robin. A batch of
 * 10,000 new transfers makes every shard due at once, and each timer
 * connects its 256 sockets: running them all before the next epoll_wait
 * would send the first request only after the last connect. Taking turns
 * with socket events sends requests while later shards still connect, so
 * the server's delays start earlier. */
static void fire_timers(struct ds_sched *s, double now)
{
    int fired = 0;
    for (int k = 0; k < s->nshards && fired < TIMERS_PER_POLL; k++) {
        struct shard *sh = &s->shards[s->next_timer];
        s->next_timer = (s->next_timer + 1) % s->nshards;
        if (sh->timer_at < 0 || sh->timer_at > now)
            continue;
        sh->timer_at = -1;
        socket_action(s, sh, CURL_SOCKET_TIMEOUT, 0);
        fired++;
    }
}

void sched_set_cancel(struct ds_sched *s, const atomic_int *flag)
{
    s->cancel = flag;
}

int sched_cancelled(const struct ds_sched *s)
{
    return s->cancel && atomic_load(s->cancel);
}

void sched_poll(struct ds_sched *s, double deadline)
{
    struct epoll_event evs[MAX_EVENTS];
    int n = wait_events(s, evs, deadline);
    for (int i = 0; i < n; i++) {
        int mask = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                   (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                   (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
        struct shard *sh = &s->shards[evs[i].data.u64 >> 32];
        curl_socket_t fd = (curl_socket_t)(evs[i].data.u64 & 0xffffffffu);
        if (unwatched(s, fd))
            continue;
        if (sh->dead) { /* nobody will read it again */
            forget(s, fd);
            continue;
        }
        socket_action(s, sh, fd, mask);
    }
    double now = ds_now();
    fire_timers(s, now);
    for (int i = 0; i < s->nshards; i++)
        drain_done(s, &s->shards[i]);
    wake_sleepers(s, ds_now());
}
