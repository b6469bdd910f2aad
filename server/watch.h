/* An epoll set of the sockets of requests waiting out their delay.
 * libmicrohttpd does not poll a suspended connection, so without this a
 * client that hangs up mid-delay would keep its connection and memory
 * until the delay ends. Only a hang-up counts (EPOLLRDHUP, EPOLLHUP,
 * EPOLLERR): data alone, e.g. a pipelined next request, is not watched.
 * Also carries an eventfd so another thread can wake the waiter. */
#ifndef DS_WATCH_H
#define DS_WATCH_H

#include <stddef.h>

struct ds_watch {
    int ep;      /* epoll set */
    int wake;    /* eventfd, in the set with a NULL pointer */
};

/* 0, or -1 with errno set. */
int ds_watch_init(struct ds_watch *w);
void ds_watch_close(struct ds_watch *w);
/* Reports ptr once when fd's peer hangs up. -1 when fd cannot be
 * watched (then nobody notices a hang-up, as before). */
int ds_watch_add(struct ds_watch *w, int fd, void *ptr);
/* Forgets fd; after this no wait reports its pointer. */
void ds_watch_del(struct ds_watch *w, int fd);
/* Makes the current or next ds_watch_wait return. Thread-safe. */
void ds_watch_wake(struct ds_watch *w);
/* Sleeps up to timeout_ms (-1: until woken) and returns how many
 * hung-up pointers it wrote into out (at most max). */
size_t ds_watch_wait(struct ds_watch *w, void **out, size_t max, int timeout_ms);

#endif
