/* The TLS version and cipher of a transfer's connection, through
 * CURLINFO_TLS_SSL_PTR: curl has no getinfo for them. */
#include "core/tlsinfo.h"

#include <openssl/ssl.h>

void tlsinfo_read(CURL *e, const char **version, const char **cipher)
{
    struct curl_tlssessioninfo *info = NULL;
    *version = *cipher = NULL;
    if (curl_easy_getinfo(e, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || !info
        || info->backend != CURLSSLBACKEND_OPENSSL || !info->internals)
        return;
    SSL *ssl = info->internals;
    *version = SSL_get_version(ssl);
    const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
    *cipher = c ? SSL_CIPHER_get_name(c) : NULL;
}
