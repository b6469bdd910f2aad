#ifndef DS_LSCENARIO_H
#define DS_LSCENARIO_H
#include "load/runner.h"
/* Runs a scenario file's iterations in a worker thread's own Lua state. */
extern const struct ds_driver lscenario_driver;
#endif
