/* record.h - an EnrichedEvent as protobuf bytes, each part packed once.
 *
 * protobuf-c's pack of a message writes each submessage's length first
 * and so computes the packed size of the event again inside pack, after
 * the caller computed it for the whole record: the event, nine tenths of
 * the bytes, was measured twice and packed once.  Here the record's two
 * fields are written by hand (tag, length, body), so the event is
 * measured once; and when the reader still holds the event's own protobuf
 * bytes and the enrichment left the event as it was, those bytes are
 * written as they came and the event is neither measured nor packed. */
#ifndef TETRA_ENRICH_RECORD_H
#define TETRA_ENRICH_RECORD_H

#include <stddef.h>
#include "util/buf.h"
#include "tetragonsidekick/enriched.pb-c.h"

/* Append ee to out as protobuf, prefixed by its length as a varint when
 * delimited.  event_pb (event_len bytes), when not NULL, is the encoding
 * of ee->event the record came in with, written in its place: any
 * encoding of the same message is as good, and the one protobuf-c makes
 * of a message it decoded is the same bytes for input protobuf-c wrote
 * (tetra-capture's).  The output is what protobuf_c_message_pack gives on
 * ee otherwise.  Returns 0, or -1 when out of memory. */
int record_pack(buf *out, const Tetragonsidekick__EnrichedEvent *ee, const void *event_pb,
                size_t event_len, int delimited);

#endif
