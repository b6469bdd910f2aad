/* The Lua state dockscript runs scripts in: standard libraries, the http,
 * json, clock and server modules, `arg`, and protected calls. */
#ifndef DS_RUNTIME_H
#define DS_RUNTIME_H

#include <lua.h>

/* NULL and a message on stderr if the state cannot be made. */
lua_State *rt_new(void);
void rt_free(lua_State *L);

/* Runs SCRIPT (looked up in the bundled scripts folder when it is not a
 * file) with args as `arg` and `...`. Returns the exit code. */
int rt_run_script(lua_State *L, const char *script, int argc, char **argv);
/* Runs a chunk given on the command line. */
int rt_run_chunk(lua_State *L, const char *code, int argc, char **argv);

/* Where bundled scripts live for this binary ($DOCKSCRIPT_SCRIPTS first). */
const char *rt_scripts_dir(void);
/* The README: the source tree's for a build-tree binary, else the installed
 * PREFIX/share/doc/dockscript/README.md. */
const char *rt_readme_path(void);

#endif
