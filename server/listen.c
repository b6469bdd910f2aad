#include "listen.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The kernel caps this at net.core.somaxconn; thousands of clients may
 * connect in the same instant in the benchmarks. */
#define BACKLOG 4096

static unsigned bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int open_bound(const struct addrinfo *ai, const char *host, unsigned port,
                      char *err, size_t errlen)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    /* lets a restarted server bind while old connections sit in TIME_WAIT;
     * a second listener on the port still fails */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, BACKLOG) != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot listen on %s port %u: %s", host, port, strerror(e));
        close(fd);
        return -1;
    }
    return fd;
}

int ds_listen(const char *host, unsigned *port, int *ipv6, char *err, size_t errlen,
              int *usage)
{
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char service[16];
    snprintf(service, sizeof service, "%u", *port);
    *usage = 0;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot use host '%s': %s", host, gai_strerror(rc));
        *usage = 1;
        return -1;
    }
    int fd = open_bound(res, host, *port, err, errlen);
    if (fd >= 0) {
        *ipv6 = res->ai_family == AF_INET6;
        *port = bound_port(fd);
    }
    freeaddrinfo(res);
    return fd;
}
