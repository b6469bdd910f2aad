/* A growable byte buffer. An allocation failure is sticky: later appends
 * are ignored and ds_buf_take() reports it, so callers check once. */
#ifndef DS_BUF_H
#define DS_BUF_H

#include <stddef.h>

struct ds_buf {
    char *p;
    size_t len, cap;
    int oom;
};

void ds_buf_init(struct ds_buf *b);
void ds_buf_add(struct ds_buf *b, const void *s, size_t n);
void ds_buf_adds(struct ds_buf *b, const char *s);
void ds_buf_addc(struct ds_buf *b, char c);
/* Hands the NUL-terminated bytes to the caller (free()), or NULL after an
 * allocation failure. The buffer is empty afterwards. */
char *ds_buf_take(struct ds_buf *b, size_t *len);
void ds_buf_free(struct ds_buf *b);

#endif
