/* The body of POST /login: a form (name=...) or a JSON object ({"name":
 * ...}), down to the name it gives. */
#ifndef DS_LOGIN_BODY_H
#define DS_LOGIN_BODY_H

#include <stddef.h>

enum ds_login_body {
    DS_BODY_OK,          /* *name set (malloc'd) */
    DS_BODY_NO_NAME,     /* well-formed, but no name, an empty one, or not a string */
    DS_BODY_MALFORMED,   /* not a form / not a JSON object, or a NUL in the name */
    DS_BODY_OOM
};

/* Form fields are split on '&', '+' is a space and %XX escapes are
 * decoded (as a browser sends them); the first name= wins, as in a
 * query. */
enum ds_login_body ds_login_form(const char *p, size_t n, char **name);
/* One JSON object (RFC 8259); "name" must be a string; other members are
 * skipped whatever they hold (64 levels of nesting at most); a repeated
 * "name": the first wins. */
enum ds_login_body ds_login_json(const char *p, size_t n, char **name);

#endif
