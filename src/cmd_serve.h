#ifndef DS_CMD_SERVE_H
#define DS_CMD_SERVE_H
/* `dockscript serve [OPTIONS]`: argv[0] is "serve". Returns the exit code. */
int cmd_serve(int argc, char **argv);
#endif
