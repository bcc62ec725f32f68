/* waitlist.h - incident updates waiting for their index result before they
 * may alert.
 *
 * An incident update alerts only once OpenSearch took it: an update
 * refused as older than the stored one (409 under external versioning) is
 * a replay or a late retry, and must page nobody.  So from the read until
 * the bulk engine's answer the update is kept here, packed as protobuf,
 * under the (partition, offset) its bulk item carries, which is unique
 * among the items in flight (a Kafka offset, or a byte offset of stdin). */
#ifndef TETRA_SINK_WAITLIST_H
#define TETRA_SINK_WAITLIST_H

#include <stddef.h>
#include <stdint.h>
#include "incident.h"

typedef struct waitlist waitlist;

/* NULL when out of memory. */
waitlist *waitlist_new(void);
/* Frees what is still held.  p may be NULL. */
void waitlist_free(waitlist *p);

/* Keep a copy of inc for the item at (part, off).  Returns 0 or -1 (out
 * of memory). */
int waitlist_put(waitlist *p, int32_t part, int64_t off, const incident *inc);

/* Take the update kept for (part, off): a new message the caller frees
 * with waitlist_release(), or NULL when none was kept (or memory ran out). */
incident *waitlist_take(waitlist *p, int32_t part, int64_t off);
void waitlist_release(incident *inc);

/* Updates held. */
size_t waitlist_count(const waitlist *p);

#endif
