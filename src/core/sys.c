#include "core/sys.h"

#include <sched.h>
#include <unistd.h>

int sys_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int sys_isatty(int fd)
{
    return isatty(fd) == 1;
}

const char *sys_cwd(char *buf, size_t len)
{
    return getcwd(buf, len);
}
