/* libFuzzer target: hist_decode (src/hist_codec.c) on hostile input.
 *
 * Input: the first byte picks how the rest reaches hist_decode: as text
 * (even byte: base64 characters, whitespace, garbage as they come), or as
 * bytes that this harness base64-encodes first (odd byte), so the fuzzer
 * can reach the binary parser (cookies, header, ZigZag payload, zlib)
 * without having to learn base64. Seeds: tests/fuzz/corpus_hist.
 *
 * Beyond "no crash", it checks that a decoded histogram is sound: a reason
 * is given on every rejection, and what decodes re-encodes and decodes to
 * the same counts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist/hist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *b64(const uint8_t *p, size_t n, size_t *len)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *s = malloc(n / 3 * 4 + 5), *o = s;
    if (!s)
        abort();
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)(i + 1 < n ? p[i + 1] << 8 : 0)
                     | (uint32_t)(i + 2 < n ? p[i + 2] : 0);
        *o++ = A[v >> 18];
        *o++ = A[v >> 12 & 63];
        *o++ = i + 1 < n ? A[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? A[v & 63] : '=';
    }
    *o = 0;
    *len = (size_t)(o - s);
    return s;
}

static void check(const char *s, size_t len)
{
    char err[200] = "";
    struct ds_hist *h = hist_decode(s, len, err, sizeof err);
    if (!h) {
        if (!*err) {
            fprintf(stderr, "fuzz_hist: rejected without a reason\n");
            abort();
        }
        return;
    }
    size_t elen;
    char *enc = hist_encode(h, &elen);
    struct ds_hist *back = enc ? hist_decode(enc, elen, err, sizeof err) : NULL;
    if (!back || !hist_equal(back, h) || hist_max(back) != hist_max(h)) {
        fprintf(stderr, "fuzz_hist: re-encoding does not round-trip: %s\n", back ? "" : err);
        abort();
    }
    hist_free(back);
    free(enc);
    hist_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] % 2 == 0) {
        check((const char *)data + 1, size - 1);
        return 0;
    }
    size_t len;
    char *s = b64(data + 1, size - 1, &len);
    check(s, len);
    free(s);
    return 0;
}
