/* redact_event.h - run the redactor over the text fields of an event that
 * can carry secrets, in place, before the record leaves tetra-enrich.
 *
 * Covered: every Process in the event (process, parent, ancestors, any
 * nested one): its arguments and its environment variables; and every
 * argument of a traced call (kprobe, tracepoint, uprobe, lsm, usdt: the
 * KprobeArgument messages and whatever they contain): its strings, and
 * its bytes when they are UTF-8 text without NUL. */
#ifndef TETRA_ENRICH_REDACT_EVENT_H
#define TETRA_ENRICH_REDACT_EVENT_H

#include <protobuf-c/protobuf-c.h>

#include "codec/pjson.h"
#include "redact.h"

/* Redact m's tree in place; replaced strings are allocated in a.  The
 * arguments of the nskip Processes in skip are left alone (the caller has
 * redacted them already).  *count grows by the replacements.  Returns 0,
 * or -1 when out of memory (m may then be partly redacted). */
int redact_event_tree(redactor *r, pj_arena *a, ProtobufCMessage *m, const void *const *skip,
                      size_t nskip, unsigned *count);

#endif
