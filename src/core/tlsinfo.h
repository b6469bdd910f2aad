/* What TLS a transfer's connection speaks, from curl's TLS backend
 * (OpenSSL in Debian's libcurl4-openssl-dev). */
#ifndef DS_TLSINFO_H
#define DS_TLSINFO_H

#include <curl/curl.h>

/* The protocol ("TLSv1.3") and cipher ("TLS_AES_256_GCM_SHA384") of e's
 * connection, as static strings of the TLS library; both NULL when e has
 * no TLS connection now (read it while the transfer runs: curl forgets
 * the connection once it is done) or another backend. */
void tlsinfo_read(CURL *e, const char **version, const char **cipher);

#endif
