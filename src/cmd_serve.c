/* placeholder until the server lands */
#include "cmd_serve.h"
#include <stdio.h>
int cmd_serve(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "dockscript serve: not built yet\n"); return 1; }
