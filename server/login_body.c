#include "login_body.h"

#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "buf.h"

#define MAX_DEPTH 64

/* ---- form ---- */

/* s[0..n) with '+' as a space and %XX decoded; NULL with *bad for a NUL. */
static char *form_decode(const char *s, size_t n, int *bad)
{
    *bad = 0;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        out[i] = s[i] == '+' ? ' ' : s[i];
    out[n] = '\0';
    if (memchr(out, '\0', n) || memchr(out, '\0', MHD_http_unescape(out))) {
        *bad = 1;
        free(out);
        return NULL;
    }
    return out;
}

enum ds_login_body ds_login_form(const char *p, size_t n, char **name)
{
    *name = NULL;
    const char *end = p + n;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *field_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(field_end - p));
        const char *key_end = eq ? eq : field_end;
        int bad;
        char *key = form_decode(p, (size_t)(key_end - p), &bad);
        if (!key)
            return bad ? DS_BODY_MALFORMED : DS_BODY_OOM;
        int is_name = strcmp(key, "name") == 0;
        free(key);
        if (is_name) {
            const char *v = eq ? eq + 1 : field_end;
            *name = form_decode(v, (size_t)(field_end - v), &bad);
            if (!*name)
                return bad ? DS_BODY_MALFORMED : DS_BODY_OOM;
            if (!**name) {
                free(*name);
                *name = NULL;
                return DS_BODY_NO_NAME;
            }
            return DS_BODY_OK;
        }
        p = amp ? amp + 1 : end;
    }
    return DS_BODY_NO_NAME;
}

/* ---- JSON ---- */

struct jp {
    const char *p, *end;
};

static void ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int eat(struct jp *j, char c)
{
    ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return 1;
    }
    return 0;
}

static int hex4(struct jp *j, unsigned *out)
{
    if (j->end - j->p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = j->p[i];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
        if (d > 15)
            return -1;
        v = v * 16 + d;
    }
    j->p += 4;
    *out = v;
    return 0;
}

static void put_utf8(struct ds_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    ds_buf_add(b, u, n);
}

/* \uXXXX, with a surrogate pair as one code point; -1 when malformed. */
static int unicode_escape(struct jp *j, struct ds_buf *b)
{
    unsigned cp, lo;
    if (hex4(j, &cp) != 0)
        return -1;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return -1;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
            return -1;
        j->p += 2;
        if (hex4(j, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
            return -1;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (b)
        put_utf8(b, cp);
    return 0;
}

/* A string at j->p (its opening quote next, after blanks), decoded into b
 * when b is not NULL. -1 when malformed. */
static int string(struct jp *j, struct ds_buf *b)
{
    if (!eat(j, '"'))
        return -1;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    while (j->p < j->end) {
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"')
            return 0;
        if (c < 0x20)
            return -1;
        if (c != '\\') {
            if (b)
                ds_buf_addc(b, (char)c);
            continue;
        }
        if (j->p == j->end)
            return -1;
        char e = *j->p++;
        const char *k = e ? strchr(from, e) : NULL;
        if (e == 'u') {
            if (unicode_escape(j, b) != 0)
                return -1;
        } else if (k) {
            if (b)
                ds_buf_addc(b, to[k - from]);
        } else {
            return -1;
        }
    }
    return -1;
}

static int digits(struct jp *j)
{
    const char *start = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++;
    return j->p > start ? 0 : -1;
}

static int number(struct jp *j)
{
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p < j->end && *j->p == '0')
        j->p++;
    else if (digits(j) != 0)
        return -1;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (digits(j) != 0)
            return -1;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (digits(j) != 0)
            return -1;
    }
    return 0;
}

static int literal(struct jp *j, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return -1;
    j->p += n;
    return 0;
}

static int value(struct jp *j, int depth);

/* The members or elements after '{' or '[', up to the closing one. */
static int members(struct jp *j, int depth, int object)
{
    char close = object ? '}' : ']';
    if (eat(j, close))
        return 0;
    do {
        if (object && (string(j, NULL) != 0 || !eat(j, ':')))
            return -1;
        if (value(j, depth + 1) != 0)
            return -1;
    } while (eat(j, ','));
    return eat(j, close) ? 0 : -1;
}

/* Skips one value. */
static int value(struct jp *j, int depth)
{
    if (depth > MAX_DEPTH)
        return -1;
    ws(j);
    if (j->p == j->end)
        return -1;
    switch (*j->p) {
    case '"': return string(j, NULL);
    case '{': j->p++; return members(j, depth, 1);
    case '[': j->p++; return members(j, depth, 0);
    case 't': return literal(j, "true");
    case 'f': return literal(j, "false");
    case 'n': return literal(j, "null");
    default: return number(j);
    }
}

/* One member of the top object: its key decoded into key (emptied
 * first). A "name" that is the first one seen and holds a string is
 * decoded into name; *seen then 1 (2: it was not a string). */
static int member(struct jp *j, struct ds_buf *key, struct ds_buf *name, int *seen)
{
    key->len = 0;
    if (string(j, key) != 0 || !eat(j, ':'))
        return -1;
    int is_name = !*seen && key->len == 4 && memcmp(key->p, "name", 4) == 0;
    if (!is_name)
        return value(j, 1);
    ws(j);
    if (j->p < j->end && *j->p == '"') {
        *seen = 1;
        return string(j, name);
    }
    *seen = 2;
    return value(j, 1);
}

enum ds_login_body ds_login_json(const char *p, size_t n, char **out)
{
    *out = NULL;
    struct jp j = {p, p + n};
    struct ds_buf key, name;
    ds_buf_init(&key);
    ds_buf_init(&name);
    int seen = 0, rc = eat(&j, '{') ? 0 : -1;
    if (rc == 0 && !eat(&j, '}')) {
        do
            rc = member(&j, &key, &name, &seen);
        while (rc == 0 && eat(&j, ','));
        if (rc == 0 && !eat(&j, '}'))
            rc = -1;
    }
    ws(&j);
    if (rc == 0 && j.p != j.end)
        rc = -1;
    int oom = key.oom || name.oom;
    ds_buf_free(&key);
    if (oom) {
        ds_buf_free(&name);
        return DS_BODY_OOM;
    }
    if (rc != 0 || (seen == 1 && name.len && memchr(name.p, '\0', name.len))) {
        ds_buf_free(&name);
        return DS_BODY_MALFORMED;
    }
    if (seen != 1 || name.len == 0) {
        ds_buf_free(&name);
        return DS_BODY_NO_NAME;
    }
    size_t len;
    *out = ds_buf_take(&name, &len);
    return *out ? DS_BODY_OK : DS_BODY_OOM;
}
