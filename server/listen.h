/* The listening socket, made here rather than by libmicrohttpd so that a
 * failure says exactly what went wrong ("Address already in use"). */
#ifndef DS_LISTEN_H
#define DS_LISTEN_H

#include <stddef.h>

/* Returns the socket, or -1 with one line in err; *usage is set when the
 * host itself is bad (not an address), as opposed to a runtime failure.
 * *port is updated with the port bound, *ipv6 says which family. */
int ds_listen(const char *host, unsigned *port, int *ipv6, char *err, size_t errlen,
              int *usage);

#endif
