#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Deep enough for any sane data file, shallow enough for the C stack. */
#define MAX_DEPTH 64

struct parser {
    const char *s, *end;
    unsigned line;
    char *err;
    size_t errlen;
    int failed;
};

static int fail(struct parser *p, const char *fmt, ...)
{
    if (p->failed)
        return -1;
    p->failed = 1;
    int n = snprintf(p->err, p->errlen, "line %u: ", p->line);
    if (n < 0 || (size_t)n >= p->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static void skip_ws(struct parser *p)
{
    for (; p->s < p->end; p->s++) {
        if (*p->s == '\n')
            p->line++;
        else if (*p->s != ' ' && *p->s != '\t' && *p->s != '\r')
            return;
    }
}

size_t ds_utf8_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    size_t len;
    unsigned cp;
    if ((s[0] & 0xE0) == 0xC0) { len = 2; cp = s[0] & 0x1F; }
    else if ((s[0] & 0xF0) == 0xE0) { len = 3; cp = s[0] & 0x0F; }
    else if ((s[0] & 0xF8) == 0xF0) { len = 4; cp = s[0] & 0x07; }
    else return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static void put_utf8(struct ds_buf *b, unsigned cp)
{
    char out[4];
    size_t n;
    if (cp < 0x80) { out[0] = (char)cp; n = 1; }
    else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    ds_buf_add(b, out, n);
}

static int hex4(struct parser *p, unsigned *out)
{
    if (p->end - p->s < 4)
        return fail(p, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *p->s++;
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return fail(p, "bad \\u escape");
    }
    *out = v;
    return 0;
}

static int unicode_escape(struct parser *p, struct ds_buf *b)
{
    unsigned cp, lo;
    if (hex4(p, &cp) != 0)
        return -1;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail(p, "lone low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (p->end - p->s < 2 || p->s[0] != '\\' || p->s[1] != 'u')
            return fail(p, "lone high surrogate in \\u escape");
        p->s += 2;
        if (hex4(p, &lo) != 0)
            return -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(p, "bad surrogate pair in \\u escape");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    put_utf8(b, cp);
    return 0;
}

static int escape(struct parser *p, struct ds_buf *b)
{
    if (p->s >= p->end)
        return fail(p, "unterminated string");
    char c = *p->s++;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *at = strchr(from, c);
    if (c != '\0' && at) {
        ds_buf_addc(b, to[at - from]);
        return 0;
    }
    if (c == 'u')
        return unicode_escape(p, b);
    return fail(p, "bad escape '\\%c' in string", c);
}

/* p->s is just past the opening quote. */
static int string_body(struct parser *p, char **out, size_t *outlen)
{
    struct ds_buf b;
    ds_buf_init(&b);
    for (;;) {
        if (p->s >= p->end) {
            ds_buf_free(&b);
            return fail(p, "unterminated string");
        }
        unsigned char c = (unsigned char)*p->s;
        int rc = 0;
        if (c == '"') {
            p->s++;
            break;
        } else if (c == '\\') {
            p->s++;
            rc = escape(p, &b);
        } else if (c < 0x20) {
            rc = fail(p, "control character in string (escape it)");
        } else {
            size_t n = ds_utf8_len((const unsigned char *)p->s, (size_t)(p->end - p->s));
            if (n == 0)
                rc = fail(p, "invalid UTF-8 in string");
            else {
                ds_buf_add(&b, p->s, n);
                p->s += n;
            }
        }
        if (rc != 0) {
            ds_buf_free(&b);
            return -1;
        }
    }
    *out = ds_buf_take(&b, outlen);
    return *out ? 0 : fail(p, "out of memory");
}

static int number(struct parser *p, struct ds_json *v)
{
    const char *start = p->s;
    if (p->s < p->end && *p->s == '-')
        p->s++;
    size_t digits = strspn(p->s, "0123456789");
    if (digits == 0 || p->s + digits > p->end)
        return fail(p, "bad number");
    if (*p->s == '0' && digits > 1)
        return fail(p, "number with a leading zero");
    p->s += digits;
    if (p->s < p->end && *p->s == '.') {
        p->s++;
        digits = strspn(p->s, "0123456789");
        if (digits == 0)
            return fail(p, "bad number");
        p->s += digits;
    }
    if (p->s < p->end && (*p->s == 'e' || *p->s == 'E')) {
        p->s++;
        if (p->s < p->end && (*p->s == '+' || *p->s == '-'))
            p->s++;
        digits = strspn(p->s, "0123456789");
        if (digits == 0)
            return fail(p, "bad number");
        p->s += digits;
    }
    v->type = DS_JSON_NUMBER;
    v->len = (size_t)(p->s - start);
    v->str = strndup(start, v->len);
    return v->str ? 0 : fail(p, "out of memory");
}

static int literal(struct parser *p, struct ds_json *v, const char *word,
                   enum ds_json_type t, int boolean)
{
    size_t n = strlen(word);
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
        return fail(p, "unexpected character '%c'", *p->s);
    p->s += n;
    v->type = t;
    v->boolean = boolean;
    return 0;
}

static int value(struct parser *p, struct ds_json *v, int depth);

/* Appends a zeroed item to v->items; the array only ever grows. */
static struct ds_json *push(struct parser *p, struct ds_json *v, size_t *cap)
{
    if (v->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        struct ds_json *items = realloc(v->items, ncap * sizeof *items);
        if (!items) {
            fail(p, "out of memory");
            return NULL;
        }
        v->items = items;
        *cap = ncap;
    }
    struct ds_json *it = &v->items[v->n++];
    memset(it, 0, sizeof *it);
    return it;
}

static int container(struct parser *p, struct ds_json *v, int depth, int is_obj)
{
    char close = is_obj ? '}' : ']';
    size_t cap = 0;
    v->type = is_obj ? DS_JSON_OBJECT : DS_JSON_ARRAY;
    p->s++;
    skip_ws(p);
    if (p->s < p->end && *p->s == close) {
        p->s++;
        return 0;
    }
    for (;;) {
        skip_ws(p);
        struct ds_json *it = push(p, v, &cap);
        if (!it)
            return -1;
        if (is_obj) {
            size_t klen;
            if (p->s >= p->end || *p->s != '"')
                return fail(p, "expected a member name in quotes");
            p->s++;
            if (string_body(p, &it->key, &klen) != 0)
                return -1;
            skip_ws(p);
            if (p->s >= p->end || *p->s != ':')
                return fail(p, "expected ':' after member name");
            p->s++;
        }
        if (value(p, it, depth + 1) != 0)
            return -1;
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == close) {
            p->s++;
            return 0;
        }
        return fail(p, "expected ',' or '%c'", close);
    }
}

static int value(struct parser *p, struct ds_json *v, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(p, "nested deeper than %d levels", MAX_DEPTH);
    skip_ws(p);
    v->line = p->line;
    if (p->s >= p->end)
        return fail(p, "unexpected end of input");
    switch (*p->s) {
    case '{': return container(p, v, depth, 1);
    case '[': return container(p, v, depth, 0);
    case '"':
        p->s++;
        v->type = DS_JSON_STRING;
        return string_body(p, &v->str, &v->len);
    case 't': return literal(p, v, "true", DS_JSON_BOOL, 1);
    case 'f': return literal(p, v, "false", DS_JSON_BOOL, 0);
    case 'n': return literal(p, v, "null", DS_JSON_NULL, 0);
    default:
        if (*p->s == '-' || (*p->s >= '0' && *p->s <= '9'))
            return number(p, v);
        return fail(p, "unexpected character '%c'", *p->s);
    }
}

int ds_json_parse(const char *text, size_t len, struct ds_json *out,
                  char *err, size_t errlen)
{
    struct parser p = {text, text + len, 1, err, errlen, 0};
    memset(out, 0, sizeof *out);
    if (memchr(text, '\0', len)) {
        fail(&p, "NUL byte in the text");
        return -1;
    }
    if (value(&p, out, 0) == 0) {
        skip_ws(&p);
        if (p.s == p.end)
            return 0;
        fail(&p, "unexpected data after the JSON value");
    }
    ds_json_free(out);
    return -1;
}

void ds_json_free(struct ds_json *v)
{
    for (size_t i = 0; i < v->n; i++)
        ds_json_free(&v->items[i]);
    free(v->items);
    free(v->key);
    free(v->str);
    memset(v, 0, sizeof *v);
}

const char *ds_json_type_name(enum ds_json_type t)
{
    static const char *names[] = {"null", "boolean", "number", "string", "array", "object"};
    return names[t];
}
