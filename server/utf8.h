/* UTF-8 validation, so every JSON answer is valid UTF-8 whatever bytes a
 * client or a data file sent. */
#ifndef DS_UTF8_H
#define DS_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence starting at s (1..4), or 0 if the
 * bytes there are not valid UTF-8 (overlong, surrogate, truncated). */
size_t ds_utf8_len(const unsigned char *s, size_t n);

#endif
