#include "respond.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

static int plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

static void escape_byte(struct ds_buf *b, unsigned char c)
{
    static const char short_esc[] = "\"\\\b\f\n\r\t", short_to[] = "\"\\bfnrt";
    const char *at = c ? strchr(short_esc, c) : NULL;
    if (at) {
        char out[2] = {'\\', short_to[at - short_esc]};
        ds_buf_add(b, out, 2);
        return;
    }
    char out[8];
    snprintf(out, sizeof out, "\\u%04x", c);
    ds_buf_add(b, out, 6);
}

void ds_write_str(struct ds_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    ds_buf_addc(b, '"');
    while (n) {
        size_t run = 0;
        while (run < n && plain(p[run]))
            run++;
        ds_buf_add(b, p, run);
        p += run;
        n -= run;
        if (!n)
            break;
        size_t u = *p >= 0x80 ? ds_utf8_len(p, n) : 0;
        if (u) {
            ds_buf_add(b, p, u);
        } else if (*p >= 0x80) {
            ds_buf_adds(b, "\\ufffd");
            u = 1;
        } else {
            escape_byte(b, *p);
            u = 1;
        }
        p += u;
        n -= u;
    }
    ds_buf_addc(b, '"');
}

static void member(struct ds_buf *b, const char *key_with_sep, const char *value)
{
    ds_buf_adds(b, key_with_sep);
    ds_write_str(b, value);
}

void ds_write_user(struct ds_buf *b, const struct ds_user *u)
{
    member(b, "{\"id\":", u->id);
    member(b, ",\"name\":", u->name);
    member(b, ",\"role\":", u->role);
    ds_buf_addc(b, '}');
}

void ds_write_customer(struct ds_buf *b, const struct ds_customer *c)
{
    member(b, "{\"id\":", c->id);
    member(b, ",\"name\":", c->name);
    member(b, ",\"salesId\":", c->sales_id);
    ds_buf_addc(b, '}');
}

void ds_write_error(struct ds_buf *b, const char *type, const char *message)
{
    member(b, "{\"message\":", message);
    member(b, ",\"type\":", type);
    ds_buf_addc(b, '}');
}
