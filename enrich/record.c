/* record.c - an EnrichedEvent as protobuf bytes; see record.h.
 *
 * The layout is protobuf-c's for EnrichedEvent: field 1 (the event), then
 * field 2 (the enrichment), each as tag, varint length and body, a field
 * left out when its message is NULL; the record has no unknown fields of
 * its own (the engine builds it). */
#include <string.h>
#include "record.h"

#define TAG_EVENT 0x0a      /* field 1, length-delimited */
#define TAG_ENRICHMENT 0x12 /* field 2, length-delimited */

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    for (; v >= 0x80; v >>= 7)
        n++;
    return n;
}

static size_t field_len(size_t body)
{
    return 1 + varint_len(body) + body;
}

/* Tag and length of a field whose body follows. */
static int put_head(buf *out, uint8_t tag, size_t body)
{
    return buf_putc(out, (char)tag) < 0 || buf_put_varint(out, body) < 0 ? -1 : 0;
}

/* The body of a field, packed into room already reserved. */
static void put_packed(buf *out, const ProtobufCMessage *m, size_t n)
{
    protobuf_c_message_pack(m, (uint8_t *)out->p + out->len);
    out->len += n;
    out->p[out->len] = '\0';
}

int record_pack(buf *out, const Tetragonsidekick__EnrichedEvent *ee, const void *event_pb,
                size_t event_len, int delimited)
{
    const ProtobufCMessage *ev = ee->event ? &ee->event->base : NULL;
    const ProtobufCMessage *en = ee->enrichment ? &ee->enrichment->base : NULL;
    size_t ev_n = !ev ? 0 : event_pb ? event_len : protobuf_c_message_get_packed_size(ev);
    size_t en_n = en ? protobuf_c_message_get_packed_size(en) : 0;
    size_t total = (ev ? field_len(ev_n) : 0) + (en ? field_len(en_n) : 0);
    if (buf_reserve(out, total + 10) < 0 || (delimited && buf_put_varint(out, total) < 0))
        return -1;
    if (ev) {
        if (put_head(out, TAG_EVENT, ev_n) < 0)
            return -1;
        if (event_pb) {
            memcpy(out->p + out->len, event_pb, ev_n);
            out->len += ev_n;
            out->p[out->len] = '\0';
        } else {
            put_packed(out, ev, ev_n);
        }
    }
    if (en && (put_head(out, TAG_ENRICHMENT, en_n) < 0))
        return -1;
    if (en)
        put_packed(out, en, en_n);
    return 0;
}
