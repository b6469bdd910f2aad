#include "core/jar.h"

#include <stdlib.h>
#include <string.h>

static int share_new(struct ds_jar *j)
{
    j->sh = curl_share_init();
    if (!j->sh)
        return -1;
    if (curl_share_setopt(j->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE) != CURLSHE_OK) {
        curl_share_cleanup(j->sh);
        j->sh = NULL;
        return -1;
    }
    return 0;
}

int jar_attach(struct ds_jar *j, CURL *e)
{
    if (!j->sh && share_new(j) != 0)
        return -1;
    if (curl_easy_setopt(e, CURLOPT_SHARE, j->sh) != CURLE_OK)
        return -1;
    /* "" reads no file: it turns the cookie engine on (the share alone
     * does in curl 7.88, but its documentation promises only this) */
    if (curl_easy_setopt(e, CURLOPT_COOKIEFILE, "") != CURLE_OK) {
        jar_detach(e);
        return -1;
    }
    return 0;
}

void jar_detach(CURL *e)
{
    /* curl 7.88's curl_easy_reset forgets the list COOKIEFILE made without
     * freeing it: NULL frees it (and, the share still attached, leaves the
     * share's cookies alone) */
    curl_easy_setopt(e, CURLOPT_COOKIEFILE, NULL);
    /* a pooled handle still attached would keep the share busy, and
     * curl_share_cleanup would refuse it */
    curl_easy_setopt(e, CURLOPT_SHARE, NULL);
}

void jar_clear(struct ds_jar *j, CURL *scratch)
{
    if (!j->sh || !j->dirty)
        return;
    if (curl_easy_setopt(scratch, CURLOPT_SHARE, j->sh) == CURLE_OK)
        curl_easy_setopt(scratch, CURLOPT_COOKIELIST, "ALL");
    jar_detach(scratch);
    j->dirty = 0;
}

struct curl_slist *jar_list(struct ds_jar *j, CURL *scratch)
{
    struct curl_slist *list = NULL;
    if (!j->sh)
        return NULL;
    if (curl_easy_setopt(scratch, CURLOPT_SHARE, j->sh) == CURLE_OK)
        curl_easy_getinfo(scratch, CURLINFO_COOKIELIST, &list);
    jar_detach(scratch);
    return list;
}

/* The tab-separated fields of line, in place; how many (at most max). */
static int split_tabs(char *line, char **f, int max)
{
    int n = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n;
}

int jar_parse(char *line, struct ds_cookie *c)
{
    static const char httponly[] = "#HttpOnly_";
    /* domain, tailmatch, path, secure, expires, name, value (Netscape's
     * cookie file; curl marks HttpOnly with a prefix on the domain) */
    char *f[7];
    if (split_tabs(line, f, 7) != 7)
        return -1;
    c->httponly = strncmp(f[0], httponly, sizeof httponly - 1) == 0;
    c->domain = f[0] + (c->httponly ? sizeof httponly - 1 : 0);
    c->tailmatch = strcmp(f[1], "TRUE") == 0;
    c->path = f[2];
    c->secure = strcmp(f[3], "TRUE") == 0;
    c->expires = strtoll(f[4], NULL, 10);
    c->name = f[5];
    c->value = f[6];
    return 0;
}

void jar_free(struct ds_jar *j)
{
    if (j->sh)
        curl_share_cleanup(j->sh);
    j->sh = NULL;
    j->dirty = 0;
}
