/* runner.run's `live` function, fed the run's deltas (llive.c). */
#ifndef DS_LLIVE_H
#define DS_LLIVE_H

#include <lua.h>

#include "load/runner.h"

/* Calls fn (a stack index; 0: none) with ({fragment, ...}, elapsed,
 * final, in flight): what the workers recorded since the last call, as raw result
 * fragments; on the main thread, once a second while the run goes and
 * once after (final, elapsed then the run's duration). An error in fn
 * sets *broken and stops the calls, not the run. */
void llive_call(lua_State *L, int fn, struct ds_run *run, double elapsed, int final,
                int *broken);

#endif
