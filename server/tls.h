/* The server's certificate and key (serve --tls-cert/--tls-key, or
 * --tls-self-signed DIR): checked, read or made with GnuTLS, and kept as
 * PEM text for libmicrohttpd. */
#ifndef DS_TLS_H
#define DS_TLS_H

#include <stddef.h>

#include "server.h"
#include "server_opts.h"

struct ds_tls {
    char *cert_pem;   /* NULL: plain HTTP */
    char *key_pem;
};

/* The TLS options of o as a whole: cert and key together, readable and
 * a matching pair, or self_signed alone and a writable directory. 0, or
 * -1 with one line in err naming the option as naming says. */
int ds_tls_check(const struct ds_server_opts *o, enum ds_opt_naming naming, char *err,
                 size_t errlen);
/* Fills t from checked options: the files' PEM, or a new key and a
 * self-signed certificate for host, 127.0.0.1, ::1 and localhost, the
 * certificate written to DIR/cert.pem. t stays empty without TLS. 0, or
 * -1 with one line in err. */
int ds_tls_load(const struct ds_server_opts *o, struct ds_tls *t, char *err, size_t errlen);
void ds_tls_free(struct ds_tls *t);

#endif
