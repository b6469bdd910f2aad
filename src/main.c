/* dockscript: the command line. */
#include "cmd_serve.h"
#include "core/fdlimit.h"
#include "runtime.h"

#include <curl/curl.h>
#include <malloc.h>
#include <lua.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: dockscript SCRIPT.lua [ARGS...]   run a Lua script (ARGS in `arg`)\n"
    "       dockscript -e 'CODE' [ARGS...]    run a chunk (ARGS in `arg` and `...`)\n"
    "       dockscript - [ARGS...]            run a script read from stdin\n"
    "       dockscript serve [OPTIONS]        run the Docking API server (serve --help)\n"
    "       dockscript --help | --version\n"
    "\n"
    "A SCRIPT that is not a file is looked up in the bundled scripts folder\n"
    "($DOCKSCRIPT_SCRIPTS instead, when it is set):\n"
    "  %s\n"
    "so `dockscript bench.lua` runs the experiment from any directory.\n"
    "Lua modules: http, json (lua-cjson), clock, server.\n"
    "Exit status: 0 success, 1 runtime error, 2 usage error.\n"
    "Documentation: %s\n";

static int print_usage(FILE *f, int code)
{
    fprintf(f, usage, rt_scripts_dir(), rt_readme_path());
    return code;
}

static int print_version(void)
{
    curl_version_info_data *c = curl_version_info(CURLVERSION_NOW);
    printf("dockscript %s (%s, libcurl %s, libmicrohttpd %s)\n", DS_VERSION, LUA_RELEASE,
           c->version, MHD_get_version());
    return 0;
}

static int run_lua(int argc, char **argv)
{
    lua_State *L = rt_new();
    int code = 1;
    if (L) {
        if (strcmp(argv[0], "-e") == 0)
            code = rt_run_chunk(L, argv[1], argc - 2, argv + 2);
        else
            code = rt_run_script(L, argv[0], argc - 1, argv + 1);
    }
    rt_free(L);
    return code;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return print_usage(stderr, 2);
    const char *a = argv[1];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
        return print_usage(stdout, 0);
    if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0)
        return print_version();
    if (strcmp(a, "-e") == 0 && argc < 3) {
        fprintf(stderr, "dockscript: -e needs a chunk of Lua code\n");
        return print_usage(stderr, 2);
    }
    if (a[0] == '-' && a[1] && strcmp(a, "-e") != 0) {
        fprintf(stderr, "dockscript: unknown option '%s'\n", a);
        return print_usage(stderr, 2);
    }
    /* A peer closing a socket must be an error from curl or MHD, not a
     * dead process. */
    signal(SIGPIPE, SIG_IGN);
    fd_raise_limit();
    /* A batch of 10,000 transfers allocates and frees tens of MB at once.
     * glibc gives a worker thread's arena back to the kernel as soon as
     * its top is free and grows it again with mprotect: 27,000 mprotect
     * calls and their page faults for one batch of 10,000 lookups on a
     * worker thread. Keep what was freed (up to 256 MB) and grow in 64 MB
     * steps instead. */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "dockscript: curl_global_init failed\n");
        return 1;
    }
    int code = strcmp(a, "serve") == 0 ? cmd_serve(argc - 1, argv + 1)
                                       : run_lua(argc - 1, argv + 1);
    curl_global_cleanup();
    return code;
}
