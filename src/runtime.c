/* The Lua host: builds the state, runs a script under lua_pcall with a
 * traceback, and reports failures the way lua(1) does. */
#include "runtime.h"
#include "lua/state.h"

#include <lauxlib.h>
#include <lualib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The directory of the running binary, or "" if /proc cannot say. */
static const char *exe_dir(void)
{
    static char dir[PATH_MAX];
    if (dir[0])
        return dir;
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (n <= 0)
        return "";
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    return dir;
}

/* A folder or file of an installed copy, from PREFIX/bin/dockscript and
 * its path relative to bin: realpath'd into `out` (no bin/../), or joined
 * as is where it does not exist. */
static const char *installed_path(char *out, size_t size, const char *from_bin,
                                  const char *fallback)
{
    const char *dir = exe_dir();
    if (!*dir)
        return fallback;
    char joined[PATH_MAX + 64];
    snprintf(joined, sizeof joined, "%s/%s", dir, from_bin);
    char *clean = realpath(joined, NULL);
    snprintf(out, size, "%s", clean ? clean : joined);
    free(clean);
    return out;
}

const char *rt_scripts_dir(void)
{
    static char installed[PATH_MAX + 64];
    const char *env = getenv("DOCKSCRIPT_SCRIPTS");
    if (env && *env)
        return env;
    /* A binary in its build tree uses the source tree's scripts, so that
     * editing scripts/ needs no install step. */
    if (strcmp(exe_dir(), DS_BUILD_DIR) == 0)
        return DS_SOURCE_SCRIPTS;
    /* Installed: PREFIX/bin/dockscript finds PREFIX/share/dockscript, under
     * whatever prefix `cmake --install --prefix` chose. */
    return installed_path(installed, sizeof installed, DS_SCRIPTS_FROM_BIN, DS_INSTALL_SCRIPTS);
}

const char *rt_readme_path(void)
{
    static char installed[PATH_MAX + 64];
    if (strcmp(exe_dir(), DS_BUILD_DIR) == 0)
        return DS_SOURCE_README;
    return installed_path(installed, sizeof installed, DS_README_FROM_BIN, DS_INSTALL_README);
}

lua_State *rt_new(void)
{
    char err[256];
    lua_State *L = state_new(rt_scripts_dir(), err, sizeof err);
    if (!L) {
        fprintf(stderr, "dockscript: %s\n", err);
        return NULL;
    }
    /* sys.version: what reports name as their writer */
    lua_getglobal(L, "sys");
    lua_pushstring(L, DS_VERSION);
    lua_setfield(L, -2, "version");
    lua_pop(L, 1);
    return L;
}

void rt_free(lua_State *L)
{
    state_free(L);
}

static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static void report(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "dockscript: %s\n", msg ? msg : "(error object is not a string)");
    fflush(stderr);
    lua_pop(L, 1);
}

/* Whether the first n bytes of path name the folder dir (both resolved). */
static int same_folder(const char *path, size_t n, const char *dir)
{
    char folder[PATH_MAX];
    if (n == 0 || n >= sizeof folder)
        return 0;
    memcpy(folder, path, n);
    folder[n] = '\0';
    char *a = realpath(folder, NULL), *b = realpath(dir, NULL);
    int same = a && b && strcmp(a, b) == 0;
    free(a);
    free(b);
    return same;
}

/* Prepends the script's directory and the bundled modules (scripts/lib) to
 * package.path, so `require "docking"` finds scripts/lib/docking.lua and
 * `require "load.report"` scripts/lib/load/report.lua from anywhere. */
static void set_path(lua_State *L, const char *script)
{
    lua_getglobal(L, "package");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    const char *dir = rt_scripts_dir();
    const char *slash = script ? strrchr(script, '/') : NULL;
    size_t n = slash ? (size_t)(slash - script) : 0;
    /* A bundled command's modules are in lib/: its own folder holds the
     * other commands, and load.lua must not shadow `require "load"`. */
    int bundled = slash && same_folder(script, n, dir);
    if (slash && !bundled) {
        luaL_addlstring(&b, script, n);
        luaL_addstring(&b, "/?.lua;");
    } else if (script && !slash) {
        luaL_addstring(&b, "./?.lua;");
    }
    luaL_addstring(&b, dir);
    luaL_addstring(&b, "/lib/?.lua;");
    luaL_addstring(&b, dir);
    luaL_addstring(&b, "/lib/?/init.lua;");
    lua_getfield(L, -2, "path");
    luaL_addvalue(&b);
    luaL_pushresult(&b);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
}

/* `arg` as lua(1) builds it: arg[0] the script, arg[1..] its arguments. */
static void set_arg(lua_State *L, const char *arg0, int argc, char **argv)
{
    lua_createtable(L, argc, 2);
    lua_pushstring(L, "dockscript");
    lua_rawseti(L, -2, -1);
    lua_pushstring(L, arg0);
    lua_rawseti(L, -2, 0);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "arg");
}

/* Calls the loaded chunk at the top with argv as `...`. */
static int call_chunk(lua_State *L, int argc, char **argv)
{
    int base = lua_gettop(L);
    lua_pushcfunction(L, traceback);
    lua_insert(L, base);
    luaL_checkstack(L, argc, "too many arguments");
    for (int i = 0; i < argc; i++)
        lua_pushstring(L, argv[i]);
    int status = lua_pcall(L, argc, 0, base);
    lua_remove(L, base);
    if (status != LUA_OK) {
        report(L);
        return 1;
    }
    return 0;
}

static int file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* A bare name found neither here nor in the scripts folder: say where it
 * was looked for, and why the folder is that one. */
static int not_found(const char *script)
{
    char cwd[PATH_MAX];
    const char *env = getenv("DOCKSCRIPT_SCRIPTS");
    fprintf(stderr, "dockscript: cannot open %s: not in the current directory (%s) nor in the "
            "scripts folder %s%s\n", script, getcwd(cwd, sizeof cwd) ? cwd : "?",
            rt_scripts_dir(), env && *env ? " (from DOCKSCRIPT_SCRIPTS)" : "");
    return 1;
}

int rt_run_script(lua_State *L, const char *script, int argc, char **argv)
{
    const char *path = script;
    if (strcmp(script, "-") == 0) {
        path = NULL; /* stdin */
    } else if (!file_exists(script) && !strchr(script, '/')) {
        lua_pushfstring(L, "%s/%s", rt_scripts_dir(), script);
        if (!file_exists(lua_tostring(L, -1)))
            return not_found(script);
        path = lua_tostring(L, -1); /* anchored until lua_close */
    }
    set_path(L, path);
    set_arg(L, script, argc, argv);
    if (luaL_loadfile(L, path) != LUA_OK) {
        report(L); /* "cannot open x.lua" or the syntax error, one line */
        return 1;
    }
    return call_chunk(L, argc, argv);
}

int rt_run_chunk(lua_State *L, const char *code, int argc, char **argv)
{
    set_path(L, NULL);
    set_arg(L, "-e", argc, argv);
    if (luaL_loadbuffer(L, code, strlen(code), "=(command line)") != LUA_OK) {
        report(L);
        return 1;
    }
    return call_chunk(L, argc, argv);
}
