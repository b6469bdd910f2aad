/* A small strict JSON (RFC 8259) reader for the --data file: a tree of
 * values, each remembering its line so messages can point at it. */
#ifndef DS_JSON_H
#define DS_JSON_H

#include <stddef.h>

enum ds_json_type {
    DS_JSON_NULL, DS_JSON_BOOL, DS_JSON_NUMBER, DS_JSON_STRING,
    DS_JSON_ARRAY, DS_JSON_OBJECT
};

struct ds_json {
    enum ds_json_type type;
    unsigned line;          /* 1-based line where the value starts */
    char *key;              /* member name when inside an object */
    char *str;              /* STRING: decoded UTF-8; NUMBER: its text */
    size_t len;             /* length of str */
    int boolean;
    struct ds_json *items;  /* ARRAY elements / OBJECT members, in order */
    size_t n;
};

/* Parses text[0..len) into *out; text[len] must be '\0' (the scanner
 * relies on the terminator). On error returns -1 and writes
 * "line L: problem" into err. The tree is freed with ds_json_free. */
int ds_json_parse(const char *text, size_t len, struct ds_json *out,
                  char *err, size_t errlen);
void ds_json_free(struct ds_json *v);
const char *ds_json_type_name(enum ds_json_type t);

/* Length of the valid UTF-8 sequence starting at s (1..4), or 0 if the
 * bytes there are not valid UTF-8 (overlong, surrogate, truncated). */
size_t ds_utf8_len(const unsigned char *s, size_t n);

#endif
