/* The `sys` module: facts of the machine from C (core/sys.h), so that the
 * bundled scripts never shell out for them.
 *   sys.cores()     CPUs this process may use (a container's set counts)
 *   sys.isatty(fd)  true when descriptor fd (0, 1, 2) is a terminal
 *   sys.cwd()       the working directory, or nil and the reason
 *   sys.dir(path)   the names in a folder, sorted (no . and ..), or nil and
 *                   the reason
 *   sys.hostname()  this machine's name
 *   sys.exe()       this dockscript binary's path (to start another process)
 *   sys.cpu()       user, system: CPU seconds this process has used
 *   sys.kill(pid [, "TERM" | "INT" | "KILL"])  true, or nil and the reason
 *   sys.catch_interrupts()  from now on SIGINT/SIGTERM are counted, not fatal
 *                   (a third one still kills); a script then polls
 *   sys.interrupts()  how many arrived since: bench.lua stops at the first
 *                   and prints what it measured. Plain scripts never call it
 *                   and keep Lua's default behaviour. */
#include "lua/lsys.h"
#include "core/interrupt.h"
#include "core/sys.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <string.h>

static int l_cores(lua_State *L)
{
    lua_pushinteger(L, sys_cores());
    return 1;
}

static int l_isatty(lua_State *L)
{
    lua_Integer fd = luaL_checkinteger(L, 1);
    luaL_argcheck(L, fd >= 0 && fd <= INT_MAX, 1, "not a descriptor");
    lua_pushboolean(L, sys_isatty((int)fd));
    return 1;
}

static int l_cwd(lua_State *L)
{
    char buf[PATH_MAX];
    if (!sys_cwd(buf, sizeof buf)) {
        lua_pushnil(L);
        lua_pushstring(L, strerror(errno));
        return 2;
    }
    lua_pushstring(L, buf);
    return 1;
}

static int l_dir(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    DIR *d = opendir(path);
    if (!d) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: %s", path, strerror(errno));
        return 2;
    }
    lua_newtable(L);
    lua_Integer n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            lua_pushstring(L, e->d_name);
            lua_rawseti(L, -2, ++n);
        }
    closedir(d);
    /* sorted, with table.sort: a handful of names */
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "sort");
    lua_remove(L, -2);
    if (lua_isfunction(L, -1)) {
        lua_pushvalue(L, -2);
        lua_call(L, 1, 0);
    } else {
        lua_pop(L, 1);
    }
    return 1;
}

static int l_hostname(lua_State *L)
{
    char buf[256];
    if (gethostname(buf, sizeof buf) != 0)
        return 0;
    buf[sizeof buf - 1] = '\0';
    lua_pushstring(L, buf);
    return 1;
}

static int l_exe(lua_State *L)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) {
        lua_pushnil(L);
        lua_pushstring(L, strerror(errno));
        return 2;
    }
    lua_pushlstring(L, buf, (size_t)n);
    return 1;
}

static int l_cpu(lua_State *L)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    lua_pushnumber(L, (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6);
    lua_pushnumber(L, (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6);
    return 2;
}

static int l_kill(lua_State *L)
{
    static const char *const names[] = {"TERM", "INT", "KILL", NULL};
    static const int sigs[] = {SIGTERM, SIGINT, SIGKILL};
    lua_Integer pid = luaL_checkinteger(L, 1);
    luaL_argcheck(L, pid > 1 && pid <= INT_MAX, 1, "not a process id");
    int which = luaL_checkoption(L, 2, "TERM", names);
    if (kill((pid_t)pid, sigs[which]) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, strerror(errno));
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int l_catch_interrupts(lua_State *L)
{
    if (intr_trap() != 0)
        return luaL_error(L, "sys.catch_interrupts: %s", strerror(errno));
    return 0;
}

static int l_interrupts(lua_State *L)
{
    lua_pushinteger(L, intr_count());
    return 1;
}

int luaopen_sys(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"cores", l_cores},
        {"isatty", l_isatty},
        {"cwd", l_cwd},
        {"dir", l_dir},
        {"exe", l_exe},
        {"hostname", l_hostname},
        {"cpu", l_cpu},
        {"kill", l_kill},
        {"catch_interrupts", l_catch_interrupts},
        {"interrupts", l_interrupts},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
