#include "buf.h"

#include <stdlib.h>
#include <string.h>

void ds_buf_init(struct ds_buf *b)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

static int grow(struct ds_buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void ds_buf_add(struct ds_buf *b, const void *s, size_t n)
{
    if (b->oom)
        return;
    /* +1 keeps room for the terminating NUL of ds_buf_take */
    if (b->len + n + 1 > b->cap && grow(b, b->len + n + 1) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void ds_buf_adds(struct ds_buf *b, const char *s)
{
    ds_buf_add(b, s, strlen(s));
}

void ds_buf_addc(struct ds_buf *b, char c)
{
    ds_buf_add(b, &c, 1);
}

char *ds_buf_take(struct ds_buf *b, size_t *len)
{
    if (!b->oom && !b->p)
        grow(b, 1);
    if (b->oom) {
        ds_buf_free(b);
        return NULL;
    }
    char *p = b->p;
    p[b->len] = '\0';
    if (len)
        *len = b->len;
    ds_buf_init(b);
    return p;
}

void ds_buf_free(struct ds_buf *b)
{
    free(b->p);
    ds_buf_init(b);
}
