/* Server-Timing parsing (W3C Server Timing, its header field grammar):
 *   Server-Timing = #server-timing-metric
 *   metric = name *( OWS ";" OWS param ), param = name [ OWS "=" OWS value ]
 *   value = token / quoted-string
 * A quoted string may hold ',' and ';', so the walk knows quoting. */
#include "core/servertiming.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static const char *skip_ows(const char *p, const char *end)
{
    while (p < end && is_ows(*p))
        p++;
    return p;
}

static int is_separator(char c)
{
    switch (c) {
    case ',': case ';': case '=': case ' ': case '\t': case '"':
        return 1;
    default:
        return 0;
    }
}

/* End of a token (up to a separator). A switch, not strchr: this runs on
 * every byte of every response's header in a load run. */
static const char *token_end(const char *p, const char *end)
{
    while (p < end && !is_separator(*p))
        p++;
    return p;
}

/* Past a quoted string starting at p (on the '"'), escapes honoured. */
static const char *quoted_end(const char *p, const char *end)
{
    for (p++; p < end && *p != '"'; p++)
        if (*p == '\\' && p + 1 < end)
            p++;
    return p < end ? p + 1 : end;
}

/* Past the value at p: a token or a quoted string. */
static const char *value_end(const char *p, const char *end)
{
    return p < end && *p == '"' ? quoted_end(p, end) : token_end(p, end);
}

/* DIGITS[.DIGITS], the form servers write, without strtod's locale and
 * generality (most of the cost of a header); -1 for anything else. */
static int parse_plain(const char *v, const char *ve, double *out)
{
    double x = 0, scale = 1;
    int digits = 0, dot = 0;
    for (const char *p = v; p < ve; p++) {
        if (*p >= '0' && *p <= '9') {
            x = x * 10 + (*p - '0');
            if (dot)
                scale *= 10;
            digits++;
        } else if (*p == '.' && !dot) {
            dot = 1;
        } else {
            return -1;
        }
    }
    if (!digits || digits > 15)
        return -1;
    *out = x / scale;
    return 0;
}

/* The duration of "dur" in ms, when v..ve is a number. */
static int parse_dur(const char *v, const char *ve, double *ms)
{
    if (parse_plain(v, ve, ms) == 0)
        return 0;
    char buf[48];
    size_t n = (size_t)(ve - v);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, v, n);
    buf[n] = '\0';
    char *stop;
    double d = strtod(buf, &stop);
    if (*stop != '\0' || !(d >= 0 && d < 1e12))
        return -1;
    *ms = d;
    return 0;
}

/* The params of one metric, from p to the next ',' (returned). */
static const char *params(const char *p, const char *end, double *ms)
{
    for (;;) {
        p = skip_ows(p, end);
        if (p >= end || *p == ',')
            return p;
        if (*p != ';') { /* junk: skip to the next metric */
            p = value_end(p, end);
            if (p < end && *p != ',' && *p != ';')
                p++;
            continue;
        }
        p = skip_ows(p + 1, end);
        const char *k = p, *ke = token_end(p, end);
        p = skip_ows(ke, end);
        if (p < end && *p == '=') {
            const char *v = skip_ows(p + 1, end), *ve = value_end(v, end);
            if (ke - k == 3 && strncasecmp(k, "dur", 3) == 0)
                (void)parse_dur(v, ve, ms);
            p = ve;
        }
    }
}

int st_parse(const char *v, size_t len, struct st_metric *out, int max)
{
    const char *p = v, *end = v + len;
    int n = 0;
    while (p < end && n < max) {
        p = skip_ows(p, end);
        const char *name = p, *ne = token_end(p, end);
        double ms = 0;
        p = params(ne, end, &ms);
        if (ne > name) {
            size_t k = (size_t)(ne - name);
            if (k >= ST_NAME_MAX)
                k = ST_NAME_MAX - 1;
            memcpy(out[n].name, name, k);
            out[n].name[k] = '\0';
            out[n].dur = ms / 1000;
            n++;
        }
        if (p < end && *p == ',')
            p++;
        else if (p < end) /* a stray separator: step over it */
            p++;
    }
    return n;
}

int st_from_headers(const char *head, size_t len, struct st_metric *out, int max)
{
    static const char field[] = "server-timing:";
    const size_t flen = sizeof field - 1;
    const char *p = head, *end = head + len;
    int n = 0;
    while (p && p < end && n < max) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        if ((*p == 's' || *p == 'S') && (size_t)(le - p) > flen &&
            strncasecmp(p, field, flen) == 0) {
            const char *v = p + flen, *ve = le;
            while (ve > v && (ve[-1] == '\r' || is_ows(ve[-1])))
                ve--;
            n += st_parse(v, (size_t)(ve - v), out + n, max - n);
        }
        p = eol ? eol + 1 : end;
    }
    return n;
}

double st_outside(double latency, const struct st_metric *m, int n)
{
    double server = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(m[i].name, "total") == 0) {
            server = m[i].dur;
            break;
        }
        server += m[i].dur;
    }
    double rest = latency - server;
    return rest > 0 ? rest : 0;
}
