/* libFuzzer target: the server's request routing and query parsing, from
 * the bytes of a request to its status and body, without the network.
 *
 * Input: "METHOD\nURL" (no newline: the whole input is the URL of a GET).
 * The URL is split the way libmicrohttpd 0.9.75 hands it to the server:
 * a C string (it ends at the first NUL), the path before the first '?',
 * arguments separated by '&', each "key=value" or a bare "key" (value
 * NULL), escapes kept (the server's unescape callback keeps them). Then
 * the same calls as server/handler.c: ds_query_set per argument,
 * ds_api_delayed and ds_api_answer, on the seed store built once.
 *
 * Beyond "no crash", it checks what every answer must be: a known status,
 * Allow: GET exactly with 405, a body whose length is what it says, and
 * for JSON a body our strict RFC 8259 reader accepts (so valid UTF-8). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "json.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ds_store *store;

static void fail(const char *what, const char *method, const char *url)
{
    fprintf(stderr, "fuzz_api: %s (method \"%s\", url \"%s\")\n", what, method, url);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    store = ds_store_seed();
    if (!store)
        abort();
    return 0;
}

/* Splits the query in place into q, as libmicrohttpd does. */
static void parse_query(char *qs, struct ds_query *q)
{
    while (qs && *qs) {
        char *amp = strchr(qs, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(qs, '=');
        if (eq)
            *eq = '\0';
        ds_query_set(q, qs, eq ? eq + 1 : NULL);
        qs = amp ? amp + 1 : NULL;
    }
}

static void check_reply(const struct ds_reply *r, const char *method, const char *url,
                        int delayed)
{
    if (r->status != 200 && r->status != 400 && r->status != 404 && r->status != 405)
        fail("unexpected status", method, url);
    if ((r->status == 405) != (r->allow_get != 0))
        fail("Allow: GET and 405 disagree", method, url);
    if (!r->body || strlen(r->body) != r->len)
        fail("body length is wrong", method, url);
    if (delayed && (strcmp(method, "GET") != 0 || r->status == 405))
        fail("a delayed request that is not an API GET", method, url);
    if (r->text_plain) {
        if (strcmp(r->body, "Docking API") != 0)
            fail("text/plain answer other than the root", method, url);
        return;
    }
    struct ds_json v;
    char err[200];
    if (ds_json_parse(r->body, r->len, &v, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_api: body %s: %s\n", r->body, err);
        fail("body is not valid JSON", method, url);
    }
    int list = v.type == DS_JSON_ARRAY;
    ds_json_free(&v);
    if (r->status != 200 && list)
        fail("an error answered with a list", method, url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    if (!in)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    char *nl = memchr(in, '\n', strlen(in));
    const char *method = nl ? in : "GET";
    char *url = nl ? nl + 1 : in;
    if (nl)
        *nl = '\0';
    char *qs = strchr(url, '?');
    if (qs)
        *qs++ = '\0';
    struct ds_query q = {NULL, NULL, NULL};
    parse_query(qs, &q);
    int delayed = ds_api_delayed(method, url);
    struct ds_reply r;
    if (ds_api_answer(store, method, url, &q, &r) != 0)
        fail("out of memory", method, url);
    check_reply(&r, method, url, delayed);
    free(r.body);
    free(in);
    return 0;
}
