/* JSON output: keys in alphabetical order (as the original Flask server
 * emitted them), compact, always valid UTF-8 whatever the input bytes. */
#ifndef DS_RESPOND_H
#define DS_RESPOND_H

#include "buf.h"
#include "store.h"

/* A JSON string literal; invalid UTF-8 bytes become U+FFFD. */
void ds_write_str(struct ds_buf *b, const char *s);
void ds_write_user(struct ds_buf *b, const struct ds_user *u);
void ds_write_customer(struct ds_buf *b, const struct ds_customer *c);
/* {"message":...,"type":...} */
void ds_write_error(struct ds_buf *b, const char *type, const char *message);

#endif
