#ifndef DS_OPTS_H
#define DS_OPTS_H
#include <lua.h>
/* Raises luaL_argerror on a key of the options table at idx that is not in
 * the NULL-terminated list `known`: a typo must not pass silently. Returns
 * which are there: bit i for known[i] (the first 32), so that a caller
 * looks up only those. */
unsigned opts_check_keys(lua_State *L, int idx, const char *const known[]);
#endif
