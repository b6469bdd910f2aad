/* A cookie jar: libcurl's cookie engine kept in a share handle, so every
 * transfer attached to the jar sends and stores the same cookies (a VU's
 * requests, the concurrent ones of a gather included). The share is made
 * on first use; a jar never used costs nothing. One thread only: the
 * share has no lock callbacks, and all of a jar's transfers run on one
 * thread's scheduler. */
#ifndef DS_JAR_H
#define DS_JAR_H

#include <curl/curl.h>

struct ds_jar {
    CURLSH *sh;   /* NULL until first used */
    int dirty;    /* it may hold cookies: an answer through it set one
                     since it was last emptied (xfer.c) */
};

/* The cookie of a jar's list: views into the line it was parsed from. */
struct ds_cookie {
    const char *domain, *path, *name, *value;
    long long expires;   /* Unix seconds; 0 for a session cookie */
    int secure, httponly, tailmatch;
};

/* Attaches easy handle e (not in a multi) to the jar: it sends and stores
 * the jar's cookies. -1 when out of memory (e is then unchanged). */
int jar_attach(struct ds_jar *j, CURL *e);
/* Detaches e from whatever jar it was attached to. */
void jar_detach(CURL *e);
/* Empties the jar; scratch is an idle easy handle to do it through.
 * Nothing to do (and no curl call) when no cookie came in. */
void jar_clear(struct ds_jar *j, CURL *scratch);
/* The jar's cookies as curl lists them (one Netscape cookie-file line
 * each; free with curl_slist_free_all), through scratch. NULL when empty. */
struct curl_slist *jar_list(struct ds_jar *j, CURL *scratch);
/* Splits one line of jar_list into c, in place (line is modified). -1
 * when it is not such a line. */
int jar_parse(char *line, struct ds_cookie *c);
/* Frees the share; every handle must be detached first. */
void jar_free(struct ds_jar *j);

#endif
