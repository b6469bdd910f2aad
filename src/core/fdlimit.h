#ifndef DS_FDLIMIT_H
#define DS_FDLIMIT_H
/* Raises the open-file soft limit to the hard limit; returns the new soft
 * limit. The hard limit is the user's to set (ulimit -Hn), not ours. */
long fd_raise_limit(void);
/* Descriptors still available under the soft limit, counted from
 * /proc/self/fd; sets *limit to the soft limit. */
long fd_available(long *limit);
#endif
