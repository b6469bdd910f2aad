/* The floor for tools/bench/bench_client.sh: N chains of two GETs on one
 * kept-alive connection each (GET /users?name=John, then
 * GET /customers?salesId=1), written as plainly as C allows: one thread, one
 * epoll set, edge-triggered, no libcurl, no Lua, no allocation per request.
 * What it measures on a machine is what the kernel and the server cost, so
 * dockscript's own overhead is the difference to this.
 *
 *   floor_client PORT N [MAX_CONNECTING]
 *
 * Connects to 127.0.0.1:PORT, keeps at most MAX_CONNECTING (default 256)
 * connects in progress, and prints one JSON line: n, seconds, errors. Gives
 * up after 60 s. Exit 0 when every chain got two 200 answers. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RESP_MAX 2048
#define GIVE_UP_S 60.0

enum step { CONNECTING, SEND1, READ1, SEND2, READ2, DONE, FAILED };

struct chain {
    int fd;
    enum step step;
    size_t off; /* bytes sent of the request, or read of the response */
    char resp[RESP_MAX];
};

static const char *const REQ[2] = {
    "GET /users?name=John HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n",
    "GET /customers?salesId=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n",
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1: a whole 200 answer; 0: not all there yet; -1: anything else. */
static int response_state(const struct chain *c)
{
    const char *end = memmem(c->resp, c->off, "\r\n\r\n", 4);
    if (!end)
        return c->off < RESP_MAX ? 0 : -1;
    if (c->off < 12 || memcmp(c->resp, "HTTP/1.1 200", 12) != 0)
        return -1;
    size_t head = (size_t)(end - c->resp) + 4;
    const char *cl = NULL;
    /* each header follows a CRLF; the status line before the first is none */
    for (const char *p = c->resp; (p = memmem(p, (size_t)(end - p), "\r\n", 2));) {
        p += 2;
        if (strncasecmp(p, "Content-Length:", 15) == 0) {
            cl = p + 15;
            break;
        }
    }
    if (!cl)
        return -1;
    size_t len = strtoul(cl, NULL, 10);
    if (c->off < head + len)
        return c->off < RESP_MAX ? 0 : -1;
    return c->off == head + len ? 1 : -1;
}

/* Advances c as far as its socket allows; returns 1 when c just ended. */
static int drive(struct chain *c)
{
    for (;;) {
        switch (c->step) {
        case CONNECTING: {
            int err = 0;
            socklen_t len = sizeof err;
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err)
                goto failed;
            c->step = SEND1;
            c->off = 0;
            break;
        }
        case SEND1:
        case SEND2: {
            const char *req = REQ[c->step == SEND2];
            size_t len = strlen(req);
            ssize_t n = send(c->fd, req + c->off, len - c->off, MSG_NOSIGNAL);
            if (n < 0)
                return errno == EAGAIN ? 0 : (c->step = FAILED, 1);
            c->off += (size_t)n;
            if (c->off < len)
                return 0;
            c->step++;
            c->off = 0;
            break;
        }
        case READ1:
        case READ2: {
            ssize_t n = recv(c->fd, c->resp + c->off, RESP_MAX - c->off, 0);
            if (n < 0 && errno == EAGAIN)
                return 0;
            if (n <= 0)
                goto failed;
            c->off += (size_t)n;
            int st = response_state(c);
            if (st < 0)
                goto failed;
            if (st == 0)
                break;
            c->step++;
            c->off = 0;
            if (c->step == DONE)
                return 1;
            break;
        }
        case DONE:
        case FAILED:
            return 0;
        }
    }
failed:
    c->step = FAILED;
    return 1;
}

static int start(struct chain *c, int ep, const struct sockaddr_in *to, uint32_t id)
{
    c->step = CONNECTING;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = id};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        return -1;
    if (connect(c->fd, (const struct sockaddr *)to, sizeof *to) != 0 && errno != EINPROGRESS)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    long port = argc > 2 ? strtol(argv[1], NULL, 10) : 0;
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
    long max_connecting = argc > 3 ? strtol(argv[3], NULL, 10) : 256;
    if (argc < 3 || argc > 4 || port <= 0 || port > 65535 || n <= 0 || n > 1000000 ||
        max_connecting <= 0) {
        fprintf(stderr, "usage: floor_client PORT N [MAX_CONNECTING]\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct chain *chains = calloc((size_t)n, sizeof *chains);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!chains || ep < 0) {
        perror("floor_client");
        return 1;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    long started = 0, ended = 0, failed = 0, connecting = 0;
    struct epoll_event evs[1024];
    double t0 = now();
    while (ended < n && now() - t0 < GIVE_UP_S) {
        for (; started < n && connecting < max_connecting; started++, connecting++)
            if (start(&chains[started], ep, &to, (uint32_t)started) != 0) {
                chains[started].step = FAILED;
                failed++, ended++, connecting--;
            }
        int k = epoll_wait(ep, evs, 1024, 100);
        for (int i = 0; i < k; i++) {
            struct chain *c = &chains[evs[i].data.u32];
            int was_connecting = c->step == CONNECTING;
            int over = drive(c);
            if (was_connecting && c->step != CONNECTING)
                connecting--;
            if (over) {
                ended++;
                failed += c->step == FAILED;
            }
        }
    }
    double seconds = now() - t0;
    for (long i = 0; i < started; i++)
        if (chains[i].fd >= 0)
            close(chains[i].fd);
    long errors = failed + (n - ended);
    printf("{\"n\":%ld,\"seconds\":%.6f,\"errors\":%ld}\n", n, seconds, errors);
    free(chains);
    close(ep);
    return errors ? 1 : 0;
}
