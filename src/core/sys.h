/* Facts of the machine and the process, asked of the kernel rather than
 * of a shell: a container's CPU set, a terminal, the working directory. */
#ifndef DS_SYS_H
#define DS_SYS_H

#include <stddef.h>

/* CPUs this process may run on (sched_getaffinity: a container's or
 * taskset's set counts, unlike /proc/cpuinfo); at least 1. */
int sys_cores(void);
/* 1 when descriptor fd is a terminal. */
int sys_isatty(int fd);
/* The working directory into buf; NULL (errno set) when it cannot be had. */
const char *sys_cwd(char *buf, size_t len);

#endif
