/* HdrHistogram's V2 encoding, written from its documented format:
 *
 *   compressed: int32 cookie 0x1c849314, int32 length N, N bytes of zlib
 *               (deflate with the zlib header) holding the plain form;
 *   plain:      int32 cookie 0x1c849313, int32 payload length,
 *               int32 normalizing index offset (0), int32 significant digits,
 *               int64 lowest discernible value, int64 highest trackable value,
 *               double integer-to-double ratio (1.0), then the payload:
 *               the counts array from index 0 to the index of the max, each
 *               a ZigZag LEB128 integer of at most 9 bytes (the 9th carries 8
 *               bits), a negative one -k standing for k zero counts.
 *
 * Integers are big-endian. The base64 of the compressed form is what
 * HdrHistogram's log files hold (it starts "HISTFAAA"). Decoding trusts
 * nothing: every length is checked against what is present and against the
 * layout the header describes, and errors say which check failed. */
#include "hist/hist_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define COOKIE_V2 0x1c849303u
#define COOKIE_V2_COMPRESSED 0x1c849304u
#define COOKIE_WORD_BITS 0x10u /* V2's word-size nibble: LEB128, 9 bytes at most */
#define HEADER_LEN 40
#define MAX_CHARS (64u << 20)  /* base64 characters we accept */

struct buf {
    unsigned char *p;
    size_t len;
};

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (24 - 8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* ZigZag then LEB128-64b9B: 7 bits a byte for 8 bytes, then 8 bits. */
static size_t put_zigzag(unsigned char *p, int64_t v)
{
    uint64_t u = v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
    size_t n = 0;
    while (n < 8 && u >= 0x80) {
        p[n++] = (unsigned char)(u | 0x80);
        u >>= 7;
    }
    p[n++] = (unsigned char)u;
    return n;
}

/* Reads one value at *pos (< end); -1 when it runs past end. */
static int get_zigzag(const unsigned char *p, size_t end, size_t *pos, int64_t *out)
{
    uint64_t u = 0;
    size_t i = *pos;
    for (int shift = 0;; shift += 7) {
        if (i >= end)
            return -1;
        unsigned char c = p[i++];
        if (shift == 56) {  /* the 9th byte: all 8 bits, no continuation */
            u |= (uint64_t)c << 56;
            break;
        }
        u |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            break;
    }
    *pos = i;
    *out = (u & 1) ? (int64_t)~(u >> 1) : (int64_t)(u >> 1);
    return 0;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64(const unsigned char *p, size_t n, size_t *len)
{
    size_t out_len = (n + 2) / 3 * 4;
    char *s = malloc(out_len + 1), *o = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? B64[v & 63] : '=';
    }
    *o = '\0';
    if (len)
        *len = out_len;
    return s;
}

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int b64_value(unsigned char c)
{
    const char *at = c ? strchr(B64, c) : NULL;
    return at ? (int)(at - B64) : -1;
}

/* Base64 to bytes; whitespace is skipped, padding optional. */
static int unbase64(const char *s, size_t n, struct buf *out, char *err, size_t errlen)
{
    out->p = malloc(n / 4 * 3 + 3);
    out->len = 0;
    if (!out->p) {
        fail(err, errlen, "out of memory");
        return -1;
    }
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c == '=' && (bits == 4 || bits == 2 || pad)) {  /* after 2 or 3 of 4 */
            pad++;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || pad) {
            fail(err, errlen, "not base64: %s at offset %zu",
                 pad ? "data after '=' padding" : "a character outside the alphabet", i);
            return -1;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->p[out->len++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (bits >= 6) {
        fail(err, errlen, "not base64: the length leaves a lone character at the end");
        return -1;
    }
    return 0;
}

/* ---- encoding ---- */

/* The plain V2 form; NULL on out of memory. */
static unsigned char *encode_plain(const struct ds_hist *h, size_t *n)
{
    int32_t relevant = hist_index_of(&h->lay, h->total ? h->max : 0) + 1;
    unsigned char *p = malloc(HEADER_LEN + (size_t)relevant * 9);
    if (!p)
        return NULL;
    size_t at = HEADER_LEN;
    for (int32_t i = 0; i < relevant;) {
        int64_t c = h->counts[i++];
        int64_t zeros = 0;
        if (c == 0) {  /* a run of zeros as one negative number */
            zeros = 1;
            while (i < relevant && h->counts[i] == 0) {
                zeros++;
                i++;
            }
        }
        at += put_zigzag(p + at, zeros > 1 ? -zeros : c);
    }
    double ratio = 1.0;
    uint64_t ratio_bits;
    memcpy(&ratio_bits, &ratio, sizeof ratio_bits);
    put32(p, COOKIE_V2 | COOKIE_WORD_BITS);
    put32(p + 4, (uint32_t)(at - HEADER_LEN));
    put32(p + 8, 0);
    put32(p + 12, (uint32_t)h->sigfigs);
    put64(p + 16, 1);
    put64(p + 24, (uint64_t)HIST_HIGHEST);
    put64(p + 32, ratio_bits);
    *n = at;
    return p;
}

char *hist_encode(const struct ds_hist *h, size_t *len)
{
    size_t plain_len;
    unsigned char *plain = encode_plain(h, &plain_len);
    if (!plain)
        return NULL;
    uLongf zlen = compressBound((uLong)plain_len);
    unsigned char *out = malloc(8 + zlen);
    char *s = NULL;
    if (out && compress2(out + 8, &zlen, plain, (uLong)plain_len, Z_DEFAULT_COMPRESSION) == Z_OK) {
        put32(out, COOKIE_V2_COMPRESSED | COOKIE_WORD_BITS);
        put32(out + 4, (uint32_t)zlen);
        s = base64(out, 8 + zlen, len);
    }
    free(out);
    free(plain);
    return s;
}

/* ---- decoding ---- */

struct header {
    uint32_t payload_len;
    int32_t offset, digits;
    int64_t lowest, highest;
};

static int parse_header(const unsigned char *p, struct header *hd, struct layout *lay,
                        int *unit_mag, char *err, size_t errlen)
{
    hd->payload_len = get32(p + 4);
    hd->offset = (int32_t)get32(p + 8);
    hd->digits = (int32_t)get32(p + 12);
    hd->lowest = (int64_t)get64(p + 16);
    hd->highest = (int64_t)get64(p + 24);
    if (hd->offset != 0) {
        fail(err, errlen, "a shifted histogram (normalizing index offset %d) is not supported",
             (int)hd->offset);
        return -1;
    }
    if (hd->digits < 0 || hd->digits > HIST_SIGFIGS_MAX) {
        fail(err, errlen, "bad header: %d significant digits (0..5)", (int)hd->digits);
        return -1;
    }
    if (hd->lowest < 1) {
        fail(err, errlen, "bad header: lowest discernible value %lld (must be >= 1)",
             (long long)hd->lowest);
        return -1;
    }
    *unit_mag = 63 - __builtin_clzll((uint64_t)hd->lowest);
    if (hist_layout(lay, hd->digits, *unit_mag, hd->highest) != 0) {
        fail(err, errlen, "bad header: no layout for lowest %lld, highest %lld, %d digits",
             (long long)hd->lowest, (long long)hd->highest, (int)hd->digits);
        return -1;
    }
    if (hd->payload_len > (uint64_t)lay->counts_len * 9) {
        fail(err, errlen, "bad header: a payload of %lu bytes for %ld counts",
             (unsigned long)hd->payload_len, (long)lay->counts_len);
        return -1;
    }
    return 0;
}

/* The value that stands for index i of a foreign layout: its lowest value
 * when the layout is ours (so it lands in the same bucket), else its
 * midpoint. Values past 2^32 us are past HIST_HIGHEST and clamp. */
static int64_t value_for(const struct layout *lay, int unit_mag, int direct, int32_t i)
{
    int b;
    int64_t v = hist_value_at(lay, i, &b);
    if (b + unit_mag + lay->half_mag >= 32)
        return HIST_HIGHEST;
    v <<= unit_mag;
    return direct ? v : v + ((INT64_C(1) << (b + unit_mag)) >> 1);
}

static int read_counts(struct ds_hist *h, const unsigned char *p, const struct header *hd,
                       const struct layout *lay, int unit_mag, char *err, size_t errlen)
{
    int direct = unit_mag == 0 && hd->digits == h->sigfigs;
    size_t pos = 0, end = hd->payload_len;
    int64_t idx = 0, total = 0;
    while (pos < end) {
        int64_t c;
        if (get_zigzag(p, end, &pos, &c) != 0) {
            fail(err, errlen, "truncated payload: a count runs past byte %zu", end);
            return -1;
        }
        if (c < 0) {  /* -c zero counts; -c > counts_len also catches INT64_MIN */
            uint64_t run = (uint64_t)0 - (uint64_t)c;
            if (run > (uint64_t)(lay->counts_len - idx)) {
                fail(err, errlen, "payload runs past the histogram's %ld counts",
                     (long)lay->counts_len);
                return -1;
            }
            idx += (int64_t)run;
            continue;
        }
        if (idx >= lay->counts_len) {
            fail(err, errlen, "payload runs past the histogram's %ld counts",
                 (long)lay->counts_len);
            return -1;
        }
        if (c > INT64_MAX - total) {
            fail(err, errlen, "the total count overflows 64 bits");
            return -1;
        }
        total += c;
        hist_record_n(h, value_for(lay, unit_mag, direct, (int32_t)idx), c);
        idx++;
    }
    return 0;
}

/* A histogram from the plain form at p (n bytes). `complete`: zlib saw the
 * stream's end and checksum, so n bytes are all there is; then a payload
 * length of exactly n is a known writer's quirk, not a truncation: old
 * HdrHistogram_c wrote header + payload there (its test vector in
 * tests/hist_test.c). */
static struct ds_hist *decode_plain(const unsigned char *p, size_t n, int complete, char *err,
                                    size_t errlen)
{
    if (n < HEADER_LEN) {
        fail(err, errlen, "truncated: %zu bytes, less than the 40-byte header", n);
        return NULL;
    }
    struct header hd;
    struct layout lay;
    int unit_mag;
    if (parse_header(p, &hd, &lay, &unit_mag, err, errlen) != 0)
        return NULL;
    if (complete && hd.payload_len == n)
        hd.payload_len = (uint32_t)(n - HEADER_LEN);
    if (hd.payload_len > n - HEADER_LEN) {
        fail(err, errlen, "truncated: the header announces %lu payload bytes, %zu are present",
             (unsigned long)hd.payload_len, n - HEADER_LEN);
        return NULL;
    }
    struct ds_hist *h = hist_new(hd.digits < HIST_SIGFIGS_MIN ? HIST_SIGFIGS_MIN : hd.digits);
    if (!h) {
        fail(err, errlen, "out of memory");
        return NULL;
    }
    if (read_counts(h, p + HEADER_LEN, &hd, &lay, unit_mag, err, errlen) != 0) {
        hist_free(h);
        return NULL;
    }
    return h;
}

static const char *zmsg(const z_stream *z, int rc)
{
    if (z->msg)
        return z->msg;
    return rc == Z_MEM_ERROR ? "out of memory" : "not a zlib stream";
}

/* Inflates `len` bytes at p: first the header, whose payload length then
 * sizes the rest, so a bad stream never makes us allocate more than the
 * header's layout allows. */
static int inflate_v2(const unsigned char *p, size_t len, struct buf *out, int *complete,
                      char *err, size_t errlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK) {
        fail(err, errlen, "zlib: cannot start inflating");
        return -1;
    }
    unsigned char head[HEADER_LEN];
    z.next_in = (unsigned char *)p;
    z.avail_in = (uInt)len;
    z.next_out = head;
    z.avail_out = HEADER_LEN;
    int rc = inflate(&z, Z_SYNC_FLUSH);
    int ok = (rc == Z_OK || rc == Z_STREAM_END) && z.avail_out == 0;
    if (!ok) {
        if (rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR)
            fail(err, errlen, "truncated: the compressed data ends inside the header");
        else
            fail(err, errlen, "zlib: %s", zmsg(&z, rc));
        inflateEnd(&z);
        return -1;
    }
    size_t want = HEADER_LEN + (size_t)get32(head + 4);
    struct layout lay;
    struct header hd;
    int unit_mag;
    if ((get32(head) & ~0xf0u) != COOKIE_V2) {
        fail(err, errlen, "the compressed data does not hold a V2 histogram (cookie 0x%08lx)",
             (unsigned long)get32(head));
        ok = 0;
    } else if (parse_header(head, &hd, &lay, &unit_mag, err, errlen) != 0) {
        ok = 0;
    } else if (!(out->p = malloc(want))) {
        fail(err, errlen, "out of memory");
        ok = 0;
    }
    if (ok) {
        memcpy(out->p, head, HEADER_LEN);
        z.next_out = out->p + HEADER_LEN;
        z.avail_out = (uInt)(want - HEADER_LEN);
        rc = z.avail_out ? inflate(&z, Z_SYNC_FLUSH) : rc;
        out->len = want - z.avail_out;
        if (rc == Z_OK && z.avail_out == 0) {
            /* All announced bytes are out: the stream should end here (its
             * checksum read) or hold more than announced, which is ignored. */
            unsigned char more;
            z.next_out = &more;
            z.avail_out = 1;
            int rc2 = inflate(&z, Z_SYNC_FLUSH);
            rc = rc2 == Z_STREAM_END || z.avail_out == 0 ? Z_STREAM_END : rc2;
        }
        *complete = rc == Z_STREAM_END;
        if (rc != Z_STREAM_END) {
            if (rc == Z_OK || rc == Z_BUF_ERROR)
                fail(err, errlen, "truncated: the compressed data ends early");
            else
                fail(err, errlen, "zlib: %s", zmsg(&z, rc));
            ok = 0;
        }
    }
    inflateEnd(&z);
    return ok ? 0 : -1;
}

static struct ds_hist *decode_bytes(const unsigned char *p, size_t n, char *err, size_t errlen)
{
    if (n < 8) {
        fail(err, errlen, "truncated: %zu bytes is too short for an HdrHistogram", n);
        return NULL;
    }
    uint32_t cookie = get32(p), base = cookie & ~0xf0u;
    if (base == COOKIE_V2)
        return decode_plain(p, n, 0, err, errlen);
    if (base != COOKIE_V2_COMPRESSED) {
        int old = base == 0x1c849301u || base == 0x1c849302u || base == 0x1c849308u
                  || base == 0x1c849309u;
        fail(err, errlen, old ? "an HdrHistogram V0/V1 encoding: only V2 is supported"
                              : "not an HdrHistogram V2 encoding (cookie 0x%08lx)",
             (unsigned long)cookie);
        return NULL;
    }
    uint32_t zlen = get32(p + 4);
    if (zlen > n - 8) {
        fail(err, errlen, "truncated: %lu compressed bytes announced, %zu present",
             (unsigned long)zlen, n - 8);
        return NULL;
    }
    struct buf plain = {NULL, 0};
    struct ds_hist *h = NULL;
    int complete = 0;
    if (inflate_v2(p + 8, zlen, &plain, &complete, err, errlen) == 0)
        h = decode_plain(plain.p, plain.len, complete, err, errlen);
    free(plain.p);
    return h;
}

struct ds_hist *hist_decode(const char *s, size_t len, char *err, size_t errlen)
{
    if (len > MAX_CHARS) {
        fail(err, errlen, "%zu characters is too long for an encoded histogram", len);
        return NULL;
    }
    struct buf raw;
    struct ds_hist *h = NULL;
    if (unbase64(s, len, &raw, err, errlen) == 0)
        h = decode_bytes(raw.p, raw.len, err, errlen);
    free(raw.p);
    return h;
}
