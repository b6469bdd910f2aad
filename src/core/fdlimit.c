/* Open-file limits: 10,000 concurrent lookups plus an in-process server
 * need 20,000+ descriptors, far above the usual soft limit of 1,024. */
#include "core/fdlimit.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/resource.h>

#define NO_LIMIT 1048576L

static long soft_limit(const struct rlimit *r)
{
    return r->rlim_cur == RLIM_INFINITY ? NO_LIMIT : (long)r->rlim_cur;
}

long fd_raise_limit(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0)
        return -1;
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
    getrlimit(RLIMIT_NOFILE, &r);
    return soft_limit(&r);
}

long fd_available(long *limit)
{
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    *limit = soft_limit(&r);
    long open = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        while (readdir(d))
            open++;
        closedir(d);
        open -= 3; /* ".", ".." and the directory's own descriptor */
    }
    return *limit - open;
}
