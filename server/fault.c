#include "fault.h"

#define ROW(id, nm, act, help) {#nm, DS_ACT_##act},
static const struct {
    const char *name;
    enum ds_fault_act act;
} kinds[DS_SERVER_FAULTS] = {DS_SERVER_FAULT_KINDS(ROW)};
#undef ROW

const char *ds_server_fault_name(unsigned i)
{
    return i < DS_SERVER_FAULTS ? kinds[i].name : "";
}

enum ds_fault_act ds_fault_act(int f)
{
    return f >= 0 && f < DS_SERVER_FAULTS ? kinds[f].act : DS_ACT_NONE;
}
