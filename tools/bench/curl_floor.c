/* The engine's floor for tools/bench/bench_client.sh and bench_load.sh: the
 * same GETs as dockscript's http.gather, from bare libcurl with nothing
 * around it: one thread, curl_multi_socket_action driven by epoll and curl's
 * timers (curl's ephiperfifo shape, a deadline instead of a timerfd), easy
 * handles reused from one request to the next, no Lua, no copy of a body.
 * dockscript's cost over libcurl is the difference to this; the kernel's and
 * the server's is floor_client's figure.
 *
 *   curl_floor [OPTIONS] URL [COUNT [LIMIT]]
 *       COUNT GETs of URL (20000), LIMIT in flight (64), after one GET that
 *       opens the first connection
 *   curl_floor [OPTIONS] --chain BASE_URL N [LIMIT]
 *       N chains of two GETs on one handle each, BASE_URL/users?name=John
 *       then BASE_URL/customers?salesId=1 (floor_client's chains), LIMIT in
 *       flight (N)
 *   OPTIONS: --shard-cap C; --cafile FILE (the CAs to trust for https);
 *       --http 1.1|2|h2c (as dockscript's http_version, with PIPEWAIT for
 *       2 and h2c); --fresh (a new connection for every GET)
 *
 * The handles are split into multis of at most C (256) on the one epoll set,
 * as src/core/sched.c splits its transfers: libcurl 7.88 walks a multi's
 * whole connection cache for every transfer, so 10,000 handles on one multi
 * (--shard-cap 0) measure that walk, not a floor.
 *
 * Prints one JSON line: requests, limit, seconds, rps, errors, bytes (and n,
 * the chains, with --chain). A GET that fails or answers anything but 200
 * fails its job; errors counts failed jobs. Exit 0 when every job got 200s,
 * 1 otherwise (the first failure on stderr), 2 on a usage error. Gives up
 * after 60 s. */
#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 512
#define GIVE_UP_S 60.0
#define REQUEST_TIMEOUT_MS 30000L
#define MAX_JOBS 10000000L
#define URL_MAX 2048

struct shard {
    CURLM *multi;
    struct run *run;
    uint32_t index;
    double timer_at; /* curl's timeout as a deadline; < 0: none */
};

struct job {
    CURL *easy;
    struct shard *shard; /* the multi this handle always runs on */
    int step;            /* which of run->urls it is fetching */
    char err[CURL_ERROR_SIZE];
};

struct run {
    int ep;
    const char *cafile; /* NULL: the system's CAs */
    long http;          /* CURL_HTTP_VERSION_*; 0: curl's default */
    int fresh;          /* no connection reuse */
    struct shard *shards;
    long nshards;
    const char *urls[2];
    int steps;
    long count, started, done, errors, requests;
    unsigned long long bytes;
    char first_error[URL_MAX + CURL_ERROR_SIZE + 32];
    const char *fatal; /* what stopped the run when curl or epoll failed */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    (void)data;
    struct job *j = userp;
    j->shard->run->bytes += size * n;
    return size * n;
}

/* CURLMOPT_SOCKETFUNCTION. A socket in the epoll set carries its shard as
 * its curl_multi_assign pointer; curl forgets it on CURL_POLL_REMOVE. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    struct shard *sh = userp;
    int ep = sh->run->ep;
    if (what == CURL_POLL_REMOVE) {
        /* curl may have closed it already, which took it out of the set */
        epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    struct epoll_event ev = {.data.u64 = (uint64_t)sh->index << 32 | (uint32_t)s};
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    int op = socketp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    /* a descriptor number curl reused after a close it did not report */
    if (epoll_ctl(ep, op, s, &ev) != 0 &&
        epoll_ctl(ep, op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev) != 0)
        return -1;
    if (!socketp && curl_multi_assign(sh->multi, s, sh) != CURLM_OK)
        return -1;
    return 0;
}

/* CURLMOPT_TIMERFUNCTION */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct shard *sh = userp;
    sh->timer_at = timeout_ms < 0 ? -1.0 : now() + (double)timeout_ms / 1000.0;
    return 0;
}

static int fatal(struct run *r, const char *what)
{
    r->fatal = what;
    return -1;
}

static int launch(struct job *j)
{
    struct run *r = j->shard->run;
    j->err[0] = '\0';
    curl_easy_setopt(j->easy, CURLOPT_URL, r->urls[j->step]);
    if (curl_multi_add_handle(j->shard->multi, j->easy) != CURLM_OK)
        return fatal(r, "curl_multi_add_handle failed");
    return 0;
}

/* Starts the next job on j's handle if any is left. */
static int next_job(struct job *j)
{
    struct run *r = j->shard->run;
    if (r->started == r->count)
        return 0;
    r->started++;
    j->step = 0;
    return launch(j);
}

static void failed(struct job *j, CURLcode rc, long status)
{
    struct run *r = j->shard->run;
    if (r->errors++ > 0)
        return;
    const char *url = r->urls[j->step];
    if (rc != CURLE_OK)
        snprintf(r->first_error, sizeof r->first_error, "%s: %s", url,
                 j->err[0] ? j->err : curl_easy_strerror(rc));
    else
        snprintf(r->first_error, sizeof r->first_error, "%s answers HTTP %ld, not 200", url, status);
}

/* A shard's finished transfers: the job's next GET, or the next job on the
 * same handle. */
static int reap(struct shard *sh)
{
    struct run *r = sh->run;
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(sh->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *easy = m->easy_handle;
        CURLcode rc = m->data.result; /* m is gone after remove_handle */
        char *priv;
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        struct job *j = (struct job *)priv;
        if (curl_multi_remove_handle(sh->multi, easy) != CURLM_OK)
            return fatal(r, "curl_multi_remove_handle failed");
        r->requests++;
        if (rc == CURLE_OK && status == 200 && ++j->step < r->steps) {
            if (launch(j) != 0)
                return -1;
            continue;
        }
        if (rc != CURLE_OK || status != 200)
            failed(j, rc, status);
        r->done++;
        if (next_job(j) != 0)
            return -1;
    }
    return 0;
}

/* Until the first shard's timer, at most 100 ms (to check the give-up). */
static int wait_ms(const struct run *r)
{
    double first = -1.0;
    for (long i = 0; i < r->nshards; i++) {
        double at = r->shards[i].timer_at;
        if (at >= 0 && (first < 0 || at < first))
            first = at;
    }
    if (first < 0)
        return 100;
    double ms = (first - now()) * 1000.0;
    return ms <= 0 ? 0 : ms >= 100 ? 100 : (int)ms + 1;
}

static int action(struct shard *sh, curl_socket_t s, int flags)
{
    int running;
    if (curl_multi_socket_action(sh->multi, s, flags, &running) != CURLM_OK)
        return fatal(sh->run, "curl_multi_socket_action failed");
    return 0;
}

static int on_events(struct run *r, const struct epoll_event *evs, int k)
{
    for (int i = 0; i < k; i++) {
        struct shard *sh = &r->shards[evs[i].data.u64 >> 32];
        int flags = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                    (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                    (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
        if (action(sh, (curl_socket_t)(uint32_t)evs[i].data.u64, flags) != 0)
            return -1;
    }
    double t = now();
    for (long i = 0; i < r->nshards; i++) {
        struct shard *sh = &r->shards[i];
        if (sh->timer_at < 0 || t < sh->timer_at)
            continue;
        sh->timer_at = -1.0; /* curl sets the next one from inside the call */
        if (action(sh, CURL_SOCKET_TIMEOUT, 0) != 0)
            return -1;
    }
    for (long i = 0; i < r->nshards; i++)
        if (reap(&r->shards[i]) != 0)
            return -1;
    return 0;
}

/* COUNT jobs on the first LIMIT handles; -1 if curl or epoll failed. */
static int drive(struct run *r, struct job *jobs, long count, long limit)
{
    r->count = count;
    r->started = r->done = r->errors = r->requests = 0;
    r->bytes = 0;
    for (long i = 0; i < limit; i++)
        if (next_job(&jobs[i]) != 0)
            return -1;
    struct epoll_event evs[MAX_EVENTS];
    double t0 = now();
    while (r->done < r->count && now() - t0 < GIVE_UP_S) {
        int k = epoll_wait(r->ep, evs, MAX_EVENTS, wait_ms(r));
        if (k < 0 && errno != EINTR)
            return fatal(r, strerror(errno));
        if (on_events(r, evs, k < 0 ? 0 : k) != 0)
            return -1;
    }
    return 0;
}

/* nshards multis, each with room in its cache for one connection per handle. */
static int shards_new(struct run *r, long nshards, long cap)
{
    r->shards = calloc((size_t)nshards, sizeof *r->shards);
    if (!r->shards)
        return -1;
    for (; r->nshards < nshards; r->nshards++) {
        struct shard *sh = &r->shards[r->nshards];
        sh->run = r;
        sh->index = (uint32_t)r->nshards;
        sh->timer_at = -1.0;
        if (!(sh->multi = curl_multi_init()))
            return -1;
        curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, sh);
        curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, on_timer);
        curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, sh);
        curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS, cap);
    }
    return 0;
}

static struct job *jobs_new(struct run *r, long n, long cap)
{
    struct job *jobs = calloc((size_t)n, sizeof *jobs);
    for (long i = 0; jobs && i < n; i++) {
        struct job *j = &jobs[i];
        j->shard = &r->shards[i / cap];
        if (!(j->easy = curl_easy_init()))
            return jobs; /* jobs_free stops at the first missing handle */
        curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(j->easy, CURLOPT_PRIVATE, (char *)j);
        curl_easy_setopt(j->easy, CURLOPT_ERRORBUFFER, j->err);
        curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
        curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
        /* as dockscript does: no $http_proxy for a loopback server, and a
         * receive buffer the size of an API answer, not 16 KB per transfer */
        curl_easy_setopt(j->easy, CURLOPT_PROXY, "");
        curl_easy_setopt(j->easy, CURLOPT_BUFFERSIZE, 2048L);
        if (r->cafile)
            curl_easy_setopt(j->easy, CURLOPT_CAINFO, r->cafile);
        if (r->http) {
            curl_easy_setopt(j->easy, CURLOPT_HTTP_VERSION, r->http);
            curl_easy_setopt(j->easy, CURLOPT_PIPEWAIT, r->http != CURL_HTTP_VERSION_1_1);
        }
        if (r->fresh) {
            curl_easy_setopt(j->easy, CURLOPT_FRESH_CONNECT, 1L);
            curl_easy_setopt(j->easy, CURLOPT_FORBID_REUSE, 1L);
        }
    }
    return jobs;
}

static void jobs_free(struct job *jobs, long n)
{
    for (long i = 0; jobs && i < n && jobs[i].easy; i++) {
        curl_multi_remove_handle(jobs[i].shard->multi, jobs[i].easy);
        curl_easy_cleanup(jobs[i].easy);
    }
    free(jobs);
}

static void shards_free(struct run *r)
{
    for (long i = 0; i < r->nshards; i++)
        if (r->shards[i].multi)
            curl_multi_cleanup(r->shards[i].multi);
    free(r->shards);
}

/* The timed run, after the warm-up GET in URL mode; prints the JSON line. */
static int measure(struct run *r, struct job *jobs, long count, long limit)
{
    int chain = r->steps > 1;
    if (!chain) {
        if (drive(r, jobs, 1, 1) != 0)
            return -1;
        if (r->errors) {
            fprintf(stderr, "curl_floor: %s\n", r->first_error);
            return 1;
        }
    }
    double t0 = now();
    if (drive(r, jobs, count, limit) != 0)
        return -1;
    double seconds = now() - t0;
    r->errors += r->count - r->done; /* the jobs 60 s did not finish */
    printf("{");
    if (chain)
        printf("\"n\":%ld,", count);
    printf("\"requests\":%ld,\"limit\":%ld,\"seconds\":%.6f,\"rps\":%.1f,\"errors\":%ld,"
           "\"bytes\":%llu}\n",
           r->requests, limit, seconds, (double)r->requests / seconds, r->errors, r->bytes);
    if (!r->errors)
        return 0;
    fprintf(stderr, "curl_floor: %ld of %ld %s failed; first: %s\n", r->errors, count,
            chain ? "chains" : "requests", r->first_error[0] ? r->first_error : "gave up after 60 s");
    return 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: curl_floor [OPTIONS] URL [COUNT [LIMIT]]\n"
                    "       curl_floor [OPTIONS] --chain BASE_URL N [LIMIT]\n"
                    "OPTIONS: --shard-cap C, --cafile FILE, --http 1.1|2|h2c, --fresh\n");
    return 2;
}

/* A count argument in [min, MAX_JOBS], or -1. */
static long count_arg(const char *s, long min)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno || end == s || *end || v < min || v > MAX_JOBS ? -1 : v;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int run_all(struct run *r, long count, long limit, long cap)
{
    raise_fd_limit();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return fprintf(stderr, "curl_floor: curl_global_init failed\n"), 1;
    r->ep = epoll_create1(EPOLL_CLOEXEC);
    long nshards = (limit + cap - 1) / cap;
    struct job *jobs = NULL;
    int rc = -1;
    if (r->ep >= 0 && shards_new(r, nshards, cap) == 0 && (jobs = jobs_new(r, limit, cap)) &&
        jobs[limit - 1].easy)
        rc = measure(r, jobs, count, limit);
    if (rc < 0)
        fprintf(stderr, "curl_floor: %s\n", r->fatal ? r->fatal : "out of memory or descriptors");
    jobs_free(jobs, limit);
    shards_free(r);
    if (r->ep >= 0)
        close(r->ep);
    curl_global_cleanup();
    return rc < 0 ? 1 : rc;
}

/* "1.1", "2", "h2c" as curl's version, or -1. */
static long http_arg(const char *s)
{
    return strcmp(s, "1.1") == 0 ? CURL_HTTP_VERSION_1_1
         : strcmp(s, "2") == 0   ? CURL_HTTP_VERSION_2TLS
         : strcmp(s, "h2c") == 0 ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : -1;
}

/* The options before the URL into r and *cap; the next argument's index,
 * or -1. */
static int options(int argc, char **argv, struct run *r, long *cap)
{
    int a = 1;
    while (a < argc && strncmp(argv[a], "--", 2) == 0 && strcmp(argv[a], "--chain") != 0) {
        const char *o = argv[a++];
        if (strcmp(o, "--fresh") == 0) {
            r->fresh = 1;
            continue;
        }
        if (a == argc)
            return -1;
        const char *v = argv[a++];
        if (strcmp(o, "--shard-cap") == 0 && (*cap = count_arg(v, 0)) >= 0)
            continue;
        if (strcmp(o, "--cafile") == 0) {
            r->cafile = v;
            continue;
        }
        if (strcmp(o, "--http") == 0 && (r->http = http_arg(v)) >= 0)
            continue;
        return -1;
    }
    return a;
}

int main(int argc, char **argv)
{
    long cap = 256;
    struct run r = {.ep = -1};
    int a = options(argc, argv, &r, &cap); /* the next argument */
    if (a < 0)
        return usage();
    int chain = argc > a && strcmp(argv[a], "--chain") == 0;
    a += chain; /* the URL's index */
    if (argc <= a + chain || argc > a + 3 || argv[a][0] == '-')
        return usage();
    long count = argc > a + 1 ? count_arg(argv[a + 1], 1) : 20000;
    long limit = argc > a + 2 ? count_arg(argv[a + 2], 1) : chain ? count : 64;
    if (count < 0 || limit < 0 || strlen(argv[a]) > URL_MAX - 32)
        return usage();
    if (limit > count)
        limit = count;
    if (cap == 0 || cap > limit)
        cap = limit;

    r.steps = chain ? 2 : 1;
    char users[URL_MAX], customers[URL_MAX];
    snprintf(users, sizeof users, "%s/users?name=John", argv[a]);
    snprintf(customers, sizeof customers, "%s/customers?salesId=1", argv[a]);
    r.urls[0] = chain ? users : argv[a];
    r.urls[1] = customers;
    return run_all(&r, count, limit, cap);
}
