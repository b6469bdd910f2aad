#ifndef DS_LRANDOM_H
#define DS_LRANDOM_H
#include <lua.h>
/* Replaces math.random and math.randomseed in L by versions that draw from
 * the running task's own generator when it has one (group_seed), and from
 * Lua's otherwise: a replayable load run (load.lua --seed). */
void lrandom_install(lua_State *L);
#endif
