/* dockscript: the command line. */
#include "cmd_serve.h"
#include "core/fdlimit.h"
#include "runtime.h"

#include <curl/curl.h>
#include <dirent.h>
#include <limits.h>
#include <malloc.h>
#include <lua.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: dockscript SCRIPT.lua [ARGS...]   run a Lua script (ARGS in `arg`)\n"
    "       dockscript -e 'CODE' [ARGS...]    run a chunk (ARGS in `arg` and `...`)\n"
    "       dockscript - [ARGS...]            run a script read from stdin\n"
    "       dockscript serve [OPTIONS]        the Docking API server (serve --help)\n"
    "       dockscript --help | --version\n"
    "\n"
    "Lua modules (each also a global, but runner):\n"
    "  http     http.get, http.request, http.gather, http.map on libcurl\n"
    "  json     lua-cjson (also require \"cjson\")\n"
    "  clock    clock.now(), clock.sleep(s): yields inside a task\n"
    "  server   server.start{...}: the Docking API server in this process\n"
    "  metrics  metrics.histogram(): HdrHistogram-compatible histograms\n"
    "  sys      sys.cores(), sys.isatty(fd), sys.cwd(), sys.dir(path), interrupts\n"
    "  runner   require \"runner\": the load runner's C engine (use require \"load\")\n"
    "\n";

static const char usage_end[] =
    "A SCRIPT that is not a file is looked up in the bundled scripts folder\n"
    "($DOCKSCRIPT_SCRIPTS instead, when it is set):\n"
    "  %s\n"
    "so `dockscript bench.lua` runs the experiment from any directory.\n"
    "Exit status: 0 success, 1 runtime error, 2 usage error (a bundled command\n"
    "may add its own: load.lua 3 for a failed threshold; 130 interrupted).\n"
    "Documentation: %s\n";

/* The first line of a bundled command, its summary: "-- TEXT". */
static void print_command(FILE *f, const char *dir, const char *name)
{
    char path[PATH_MAX], line[160] = "";
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *in = fopen(path, "r");
    if (in) {
        if (!fgets(line, sizeof line, in))
            line[0] = '\0';
        fclose(in);
    }
    line[strcspn(line, "\n")] = '\0';
    const char *text = strncmp(line, "-- ", 3) == 0 ? line + 3 : "";
    fprintf(f, "  %-15s %s\n", name, text);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.lua at the top of the scripts folder: the bundled commands. */
static void print_commands(FILE *f, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".lua") == 0 && (names[n] = strdup(e->d_name)))
            n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    fprintf(f, "Bundled commands (dockscript NAME.lua --help for each):\n");
    for (int i = 0; i < n; i++) {
        print_command(f, dir, names[i]);
        free(names[i]);
    }
    fprintf(f, "\n");
}

static int print_usage(FILE *f, int code)
{
    fputs(usage, f);
    print_commands(f, rt_scripts_dir());
    fprintf(f, usage_end, rt_scripts_dir(), rt_readme_path());
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
