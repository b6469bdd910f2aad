#include "core/interrupt.h"

#include <pthread.h>
#include <stddef.h>

static volatile sig_atomic_t received;
static int depth;
static struct sigaction old_int, old_term;

static void on_signal(int sig)
{
    if (++received < 3)
        return;
    /* the third: the run is not stopping; let the signal do what it would */
    signal(sig, SIG_DFL);
    raise(sig);
}

int intr_trap(void)
{
    if (depth++ > 0)
        return 0;
    received = 0;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: epoll_wait returns EINTR and the loop looks */
    if (sigaction(SIGINT, &sa, &old_int) != 0 || sigaction(SIGTERM, &sa, &old_term) != 0) {
        depth--;
        return -1;
    }
    return 0;
}

void intr_untrap(void)
{
    if (depth == 0 || --depth > 0)
        return;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
}

int intr_count(void)
{
    return received;
}

void intr_block(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, old);
}

void intr_restore(const sigset_t *old)
{
    pthread_sigmask(SIG_SETMASK, old, NULL);
}
