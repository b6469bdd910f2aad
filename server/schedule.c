#include "schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "options.h"
#include "suggest.h"

/* Longest phase text; a longer one is an error, not cut. */
#define PHASE_TEXT 512
/* Latest time a window may name: a week. */
#define MAX_TIME_NS (7 * 86400ull * 1000000000ull)
#define NS_PER_S 1e9
#define SPACES " \t\n"

int ds_schedule_from(const char *text)
{
    if (!text || strcmp(text, "first-request") == 0)
        return 0;
    return strcmp(text, "start") == 0 ? 1 : -1;
}

/* A decimal number without sign or exponent ("1", "1.5") at the start of
 * p: its length, or 0. */
static size_t scan_number(const char *p, double *v)
{
    size_t n = strspn(p, "0123456789");
    if (n == 0)
        return 0;
    if (p[n] == '.') {
        size_t frac = strspn(p + n + 1, "0123456789");
        if (frac == 0)
            return 0;
        n += 1 + frac;
    }
    char num[40];
    if (n >= sizeof num)
        return 0;
    memcpy(num, p, n);
    num[n] = '\0';
    *v = strtod(num, NULL);
    return n;
}

/* "1m30s": number-unit pairs, units in the order h, m, s, ms, each at most
 * once; or one bare number of seconds. */
static int parse_time(const char *s, uint64_t *ns)
{
    /* "ms" before "m": the longer unit is tried first */
    static const struct { const char *unit; double ns; int rank; } units[] = {
        {"h", 3600 * NS_PER_S, 0}, {"ms", 1e6, 3}, {"m", 60 * NS_PER_S, 1},
        {"s", NS_PER_S, 2}};
    double total = 0, v;
    int last = -1;
    for (const char *p = s; *p;) {
        size_t n = scan_number(p, &v);
        if (n == 0)
            return -1;
        p += n;
        if (!*p && p == s + n) {
            total = v * NS_PER_S;   /* a bare number: seconds */
            break;
        }
        size_t u = 0;
        while (u < 4 && strncmp(p, units[u].unit, strlen(units[u].unit)) != 0)
            u++;
        if (u == 4 || units[u].rank <= last)
            return -1;
        last = units[u].rank;
        total += v * units[u].ns;
        p += strlen(units[u].unit);
    }
    if (!*s || total > (double)MAX_TIME_NS)
        return -1;
    *ns = (uint64_t)(total + 0.5);
    return 0;
}

/* The phase keys, for messages: "delay, route-delay, ... or hang". */
static void phase_keys(char *buf, size_t len, const char **names, size_t *count)
{
    size_t n, k = 0, used = 0;
    const struct ds_server_opt *t = ds_server_opt_table(&n);
    for (size_t i = 0; i < n; i++)
        if (t[i].phase)
            names[k++] = t[i].flag;
    for (size_t i = 0; i < k && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s",
                                 i == 0 ? "" : i + 1 == k ? " or " : ", ", names[i]);
    *count = k;
}

/* A key no phase takes: did you mean, or why not. */
static int bad_key(const char *phase, const char *key, char *err, size_t errlen)
{
    const char *names[64];
    char list[256];
    size_t n;
    phase_keys(list, sizeof list, names, &n);
    const struct ds_server_opt *r = ds_server_opt_flag(key);
    const char *guess = r ? NULL : ds_suggest(key, names, n);
    if (r)
        snprintf(err, errlen, "'%s': %s cannot change in a phase (a phase sets %s)", phase,
                 key, list);
    else if (guess)
        snprintf(err, errlen, "'%s': unknown key '%.32s'; did you mean '%s'?", phase, key,
                 guess);
    else
        snprintf(err, errlen, "'%s': unknown key '%.32s' (a phase sets %s)", phase, key, list);
    return -1;
}

/* KEY=VALUE on the phase's options o; value points into the phase's
 * text, which outlives o. */
static int set_pair(struct ds_server_opts *o, const char *phase, char *pair, char *err,
                    size_t errlen)
{
    char why[400];
    char *eq = strchr(pair, '=');
    if (!eq || eq == pair) {
        snprintf(err, errlen, "'%s': expected KEY=VALUE, got '%.64s'", phase, pair);
        return -1;
    }
    *eq = '\0';
    const struct ds_server_opt *r = ds_server_opt_flag(pair);
    if (!r || !r->phase || !r->flag || strcmp(r->flag, pair) != 0)
        return bad_key(phase, pair, err, errlen);
    struct ds_opt_value v = {DS_VAL_TEXT, eq + 1};
    if (r->type == DS_OPT_FLAG) {
        if (strcmp(v.text, "true") != 0 && strcmp(v.text, "false") != 0) {
            snprintf(err, errlen, "'%s': %s: expected true or false, got '%.64s'", phase,
                     r->flag, v.text);
            return -1;
        }
        v.kind = DS_VAL_BOOL;
    }
    if (ds_server_opt_set(o, r, v, DS_NAME_PHASE, why, sizeof why) != 0) {
        snprintf(err, errlen, "'%s': %s", phase, why);
        return -1;
    }
    return 0;
}

/* "START-END" into w's times. */
static int set_window(struct ds_window *w, const char *phase, const char *text, char *err,
                      size_t errlen)
{
    char start[64], end[64];
    const char *dash = strchr(text, '-');
    if (!dash || strlen(text) >= sizeof start) {
        snprintf(err, errlen, "'%s': expected START-END (e.g. 10s-15s) first, got '%.64s'",
                 phase, text);
        return -1;
    }
    snprintf(start, sizeof start, "%.*s", (int)(dash - text), text);
    snprintf(end, sizeof end, "%s", dash + 1);
    const char *bad = parse_time(start, &w->start_ns) != 0 ? start
                    : parse_time(end, &w->end_ns) != 0 ? end : NULL;
    if (bad) {
        snprintf(err, errlen, "'%s': bad time '%s' (e.g. 10s, 500ms, 1m30s; at most 7 days)",
                 phase, bad);
        return -1;
    }
    if (w->end_ns <= w->start_ns) {
        snprintf(err, errlen, "'%s': the end %s must be after the start %s", phase, end,
                 start);
        return -1;
    }
    return 0;
}

/* One phase's text (trimmed, not empty; modified in place) into w: its
 * window, its name, and the options it runs with. */
static int parse_phase(const struct ds_server_opts *base, char *text, struct ds_window *w,
                       char *err, size_t errlen)
{
    char phase[DS_SERVER_PHASE_NAME], why[400];
    size_t used = 0;
    /* the name: the tokens joined by one space, cut to fit */
    /* PHASE_TEXT bounds the tokens: each takes a character and a space */
    char *save = NULL, *tokens[PHASE_TEXT / 2];
    size_t n = 0;
    for (char *tok = strtok_r(text, SPACES, &save); tok; tok = strtok_r(NULL, SPACES, &save))
        tokens[n++] = tok;
    for (size_t i = 0; i < n && used < sizeof phase; i++)
        used += (size_t)snprintf(phase + used, sizeof phase - used, "%s%s", i ? " " : "",
                                 tokens[i]);
    snprintf(w->name, sizeof w->name, "%s", phase);
    if (set_window(w, phase, tokens[0], err, errlen) != 0)
        return -1;
    if (n == 1) {
        snprintf(err, errlen, "'%s': expected KEY=VALUE after the window", phase);
        return -1;
    }
    struct ds_server_opts o = *base;
    o.schedule = NULL;
    for (size_t i = 1; i < n; i++)
        if (set_pair(&o, phase, tokens[i], err, errlen) != 0)
            return -1;
    if (ds_options_check_fields(&o, DS_NAME_PHASE, why, sizeof why) != 0) {
        snprintf(err, errlen, "'%s': %s", phase, why);
        return -1;
    }
    ds_options_plan(&o, &w->cfg);
    return 0;
}

/* The windows sorted by start (a few dozen: insertion sort), then
 * checked for overlaps. */
static int sort_windows(struct ds_schedule *s, char *err, size_t errlen)
{
    for (unsigned i = 1; i < s->n; i++) {
        struct ds_window w = s->w[i];
        unsigned j = i;
        for (; j > 0 && s->w[j - 1].start_ns > w.start_ns; j--)
            s->w[j] = s->w[j - 1];
        s->w[j] = w;
    }
    for (unsigned i = 1; i < s->n; i++)
        if (s->w[i].start_ns < s->w[i - 1].end_ns) {
            snprintf(err, errlen, "'%s' overlaps '%s'", s->w[i].name, s->w[i - 1].name);
            return -1;
        }
    return 0;
}

int ds_schedule_parse(const struct ds_server_opts *o, struct ds_schedule *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->from_start = ds_schedule_from(o->schedule_from) == 1;
    if (!o->schedule)
        return 0;
    for (const char *p = o->schedule; *p;) {
        size_t len = strcspn(p, ";");
        char text[PHASE_TEXT];
        size_t lead = strspn(p, SPACES);
        if (lead < len) {
            if (len - lead >= sizeof text) {
                snprintf(err, errlen, "a phase is at most %d characters: '%.40s...'",
                         PHASE_TEXT - 1, p + lead);
                return -1;
            }
            if (out->n == DS_SERVER_PHASES) {
                snprintf(err, errlen, "at most %d phases", DS_SERVER_PHASES);
                return -1;
            }
            snprintf(text, sizeof text, "%.*s", (int)(len - lead), p + lead);
            if (parse_phase(o, text, &out->w[out->n], err, errlen) != 0)
                return -1;
            out->n++;
        }
        p += len + (p[len] == ';');
    }
    if (out->n == 0) {
        snprintf(err, errlen, "expected phases \"START-END KEY=VALUE ...; ...\", got '%.64s'",
                 o->schedule);
        return -1;
    }
    return sort_windows(out, err, errlen);
}

void ds_schedule_read(const struct ds_schedule *s, struct ds_server_stats *out)
{
    out->phases = s->n;
    out->from_start = s->from_start;
    out->phase = -1;
    out->schedule_elapsed = -1;
    for (unsigned i = 0; i < s->n; i++) {
        struct ds_server_phase *ph = &out->phase_list[i];
        memcpy(ph->name, s->w[i].name, sizeof ph->name);
        ph->start = (double)s->w[i].start_ns / NS_PER_S;
        ph->end = (double)s->w[i].end_ns / NS_PER_S;
        ph->requests = atomic_load_explicit(&s->requests[i], memory_order_relaxed);
    }
    /* the origin first: now is never before it */
    uint64_t origin = atomic_load_explicit(&s->origin_ns, memory_order_relaxed);
    if (!s->n || !origin)
        return;
    uint64_t t = ds_now_ns() - origin;
    out->schedule_elapsed = (double)t / NS_PER_S;
    for (unsigned i = 0; i < s->n; i++)
        if (t >= s->w[i].start_ns && t < s->w[i].end_ns)
            out->phase = (int)i;
}
