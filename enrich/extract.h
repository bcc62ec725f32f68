/* extract.h - fill the flat facts view from a decoded Tetragon event. */
#ifndef TETRA_ENRICH_EXTRACT_H
#define TETRA_ENRICH_EXTRACT_H

#include "util/buf.h"
#include "codec/event.h"
#include "facts.h"

/* Storage for the facts that are built rather than borrowed (joined kprobe
 * arguments, capability lists, numbers as text).  Reused across records. */
typedef struct facts_store {
    buf kargs, caps, any;
    char uid[16];
    char workload[128];
} facts_store;

/* clang-format 14 would split this braced initializer */
/* clang-format off */
#define FACTS_STORE_INIT {BUF_INIT, BUF_INIT, BUF_INIT, "", ""}
/* clang-format on */

/* Fill fx from ev.  Strings point into ev and st, valid until either
 * changes.  Returns 0, or -1 when out of memory. */
int facts_from_event(const tetra_event *ev, facts *fx, facts_store *st);
void facts_store_free(facts_store *st);

/* Copy the workload name guessed from a pod name into out: the trailing
 * ReplicaSet hash and pod suffix ("web-7d4b9c8f6d-x2x9q" -> "web") or a
 * StatefulSet ordinal ("db-0" -> "db") are cut. */
void workload_from_pod(const char *pod, char *out, size_t cap);

#endif
