#include "watch.h"

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Upper bound of hang-ups taken per wait; more just take another round. */
#define MAX_EVENTS 256

int ds_watch_init(struct ds_watch *w)
{
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (w->ep >= 0 && w->wake >= 0 && epoll_ctl(w->ep, EPOLL_CTL_ADD, w->wake, &ev) == 0)
        return 0;
    int e = errno;
    ds_watch_close(w);
    errno = e;
    return -1;
}

void ds_watch_close(struct ds_watch *w)
{
    if (w->ep >= 0)
        close(w->ep);
    if (w->wake >= 0)
        close(w->wake);
    w->ep = w->wake = -1;
}

int ds_watch_add(struct ds_watch *w, int fd, void *ptr)
{
    /* one report is all it takes; a half-closed socket stays readable for
     * EOF and would otherwise be reported on every wait */
    struct epoll_event ev = {.events = EPOLLRDHUP | EPOLLONESHOT, .data.ptr = ptr};
    return epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
}

void ds_watch_del(struct ds_watch *w, int fd)
{
    struct epoll_event ev = {0};   /* kernels before 2.6.9 wanted non-NULL */
    epoll_ctl(w->ep, EPOLL_CTL_DEL, fd, &ev);
}

void ds_watch_wake(struct ds_watch *w)
{
    uint64_t one = 1;
    if (write(w->wake, &one, sizeof one) < 0) {
        /* EAGAIN: the counter is full, which already means "wake up" */
    }
}

size_t ds_watch_wait(struct ds_watch *w, void **out, size_t max, int timeout_ms)
{
    struct epoll_event ev[MAX_EVENTS];
    int cap = max < MAX_EVENTS ? (int)max : MAX_EVENTS;
    int n = epoll_wait(w->ep, ev, cap, timeout_ms);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (ev[i].data.ptr) {
            out[k++] = ev[i].data.ptr;
            continue;
        }
        uint64_t count;
        if (read(w->wake, &count, sizeof count) < 0) {
            /* EAGAIN: another wait already drained it */
        }
    }
    return k;
}
