/* facts.h - the flat view of one Tetragon event that rules, fingerprint,
 * redaction and the prompt work on.
 *
 * Rules are written against a handful of named strings ("binary", "args",
 * "parent", "function", ...) rather than the protobuf-c structs, so the
 * rules file format names fields users know from Tetragon's JSON, unit tests
 * can build facts by hand, and only facts.c knows the schema.  Strings are
 * borrowed from the decoded event (or the caller) and never owned here; an
 * absent field is "" (never NULL) so matchers need no NULL checks. */
#ifndef TETRA_ENRICH_FACTS_H
#define TETRA_ENRICH_FACTS_H

#include <stddef.h>

#define FACTS_MAX_KARGS 8

typedef enum fact_field {
    F_KIND,   /* "process_exec", "process_kprobe", ... */
    F_BINARY, /* process.binary */
    F_ARGS,   /* process.arguments */
    F_CWD,
    F_FLAGS,  /* process.flags, e.g. "execve rootcwd clone" */
    F_PARENT, /* parent.binary */
    F_PARENT_ARGS,
    F_NAMESPACE,      /* pod.namespace */
    F_POD,            /* pod.name */
    F_WORKLOAD,       /* pod.workload, or the pod name with its hashes cut */
    F_CONTAINER,      /* pod.container.name */
    F_IMAGE,          /* pod.container.image.name */
    F_FUNCTION,       /* process_kprobe.function_name (also tracepoint event) */
    F_POLICY,         /* process_kprobe.policy_name */
    F_KARGS,          /* kprobe arguments rendered as text, joined by " | " */
    F_CAPS,           /* effective capabilities, space separated */
    F_UID,            /* process.uid as decimal text */
    F_IN_CONTAINER,   /* "yes" or "no" */
    F_EXEC_PROBE,     /* "yes" when Tetragon marked the exec as a probe */
    F_CONTAINER_INIT, /* "yes" when the process is PID 1 of its container */
    F_PRIVILEGED,     /* "yes" when the container's security context is privileged */
    F_ANY,            /* binary, args and kargs joined by spaces, for path rules */
    F_NFIELDS
} fact_field;

typedef struct facts {
    const char *f[F_NFIELDS];
} facts;

/* Set every field to "" so matchers never see NULL. */
void facts_clear(facts *fx);
/* The rules-file name of a field ("binary"), or NULL for an invalid id. */
const char *facts_field_name(fact_field id);
/* The field id of a rules-file name, or -1 when unknown. */
int facts_field_id(const char *name);

#endif
