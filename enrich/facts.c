/* facts.c - field names of the flat event view shared by the rules file,
 * the fingerprint and the prompt.  The extraction from a decoded Tetragon
 * event lives in extract.c so this file (and the rules unit tests) need no
 * generated schema code. */
#include <string.h>
#include "facts.h"

static const char *const field_names[F_NFIELDS] = {
    [F_KIND] = "kind",
    [F_BINARY] = "binary",
    [F_ARGS] = "args",
    [F_CWD] = "cwd",
    [F_FLAGS] = "flags",
    [F_PARENT] = "parent",
    [F_PARENT_ARGS] = "parent_args",
    [F_NAMESPACE] = "namespace",
    [F_POD] = "pod",
    [F_WORKLOAD] = "workload",
    [F_CONTAINER] = "container",
    [F_IMAGE] = "image",
    [F_FUNCTION] = "function",
    [F_POLICY] = "policy",
    [F_KARGS] = "kargs",
    [F_CAPS] = "caps",
    [F_UID] = "uid",
    [F_IN_CONTAINER] = "in_container",
    [F_EXEC_PROBE] = "exec_probe",
    [F_CONTAINER_INIT] = "container_init",
    [F_ANY] = "any",
    [F_PRIVILEGED] = "privileged",
};

void facts_clear(facts *fx)
{
    for (int i = 0; i < F_NFIELDS; i++)
        fx->f[i] = "";
}

const char *facts_field_name(fact_field id)
{
    if ((int)id < 0 || id >= F_NFIELDS)
        return NULL;
    return field_names[id];
}

int facts_field_id(const char *name)
{
    for (int i = 0; i < F_NFIELDS; i++)
        if (strcmp(field_names[i], name) == 0)
            return i;
    return -1;
}
