/* record.c - input records to canonical JSON objects (see record.h).
 *
 * The codec re-encodes every record, which costs a decode and an encode,
 * but buys one spelling of every event (field names, 64-bit integers as
 * strings, enum names) whichever producer wrote it, and the _id depends on
 * that spelling. */
#define _GNU_SOURCE /* memmem */
#include "record.h"

#include <stdio.h>
#include <string.h>

#include "event.h"
#include "tetragonsidekick/enriched.pb-c.h"

void record_clear(record *r)
{
    json_decref(r->event);
    json_decref(r->enrichment);
    memset(r, 0, sizeof *r);
}

record_type record_type_of(const char *name, size_t len)
{
    if (!name)
        return RECORD_AUTO;
    if (len == strlen(RECORD_TYPE_ENRICHED) && !memcmp(name, RECORD_TYPE_ENRICHED, len))
        return RECORD_ENRICHED;
    if (len == strlen(TETRA_TYPE_EVENT) && !memcmp(name, TETRA_TYPE_EVENT, len))
        return RECORD_EVENT;
    return RECORD_AUTO;
}

/* Encode m canonically into b and parse that text back. */
static json_t *encode(buf *b, const ProtobufCMessage *m)
{
    buf_reset(b);
    if (pj_encode(m, b) < 0)
        return NULL;
    return json_loadb(b->p, b->len, 0, NULL);
}

static int to_json(record_bufs *bufs, const ProtobufCMessage *ev, const ProtobufCMessage *enr,
                   record *r)
{
    r->event = encode(&bufs->event, ev);
    r->event_json = &bufs->event;
    if (!json_is_object(r->event))
        return -1;
    if (!enr)
        return 0;
    r->enrichment = encode(&bufs->enrichment, enr);
    r->enrichment_json = &bufs->enrichment;
    return json_is_object(r->enrichment) ? 0 : -1;
}

static int enriched_json(record_bufs *bufs, const ProtobufCMessage *m, record *r)
{
    const Tetragonsidekick__EnrichedEvent *e = (const Tetragonsidekick__EnrichedEvent *)m;
    return to_json(bufs, &e->event->base, e->enrichment ? &e->enrichment->base : NULL, r);
}

static int plain_json(pj_arena *a, record_bufs *bufs, const char *data, size_t len, record *r,
                      const char **reason, char *msg, size_t msglen)
{
    tetra_event *ev;
    pj_error err;
    if (event_from_json(a, data, len, &ev, reason, &err, NULL) < 0) {
        snprintf(msg, msglen, "%s%s%s at byte %zu", err.path, err.path[0] ? ": " : "", err.msg,
                 err.offset);
        return -1;
    }
    *reason = "no_memory";
    return to_json(bufs, &ev->base, NULL, r);
}

int record_from_json(pj_arena *a, record_bufs *bufs, const char *data, size_t len, record *r,
                     const char **reason, char *msg, size_t msglen)
{
    memset(r, 0, sizeof *r);
    pj_error err;
    /* An enriched record names "event"; without that text anywhere it can
     * only be a plain event, and one decode is saved. */
    if (!memmem(data, len, "\"event\"", 7))
        return plain_json(a, bufs, data, len, r, reason, msg, msglen);
    ProtobufCMessage *m = NULL;
    pj_status s =
        pj_decode(a, &tetragonsidekick__enriched_event__descriptor, data, len, &m, NULL, &err);
    if (s == PJ_OK && ((Tetragonsidekick__EnrichedEvent *)m)->event) {
        *reason = "no_memory";
        return enriched_json(bufs, m, r);
    }
    if (s != PJ_OK && s != PJ_ERR_TYPE && s != PJ_ERR_RANGE) {
        *reason = pj_status_name(s);
        snprintf(msg, msglen, "%s at byte %zu", err.msg, err.offset);
        return -1;
    }
    return plain_json(a, bufs, data, len, r, reason, msg, msglen);
}

int record_from_proto(pj_arena *a, record_bufs *bufs, const void *data, size_t len, record_type t,
                      record *r, const char **reason)
{
    memset(r, 0, sizeof *r);
    if (t == RECORD_EVENT) {
        tetra_event *ev;
        if (event_from_proto(a, data, len, &ev, reason) < 0)
            return -1;
        *reason = "no_memory";
        return to_json(bufs, &ev->base, NULL, r);
    }
    ProtobufCMessage *m = protobuf_c_message_unpack(&tetragonsidekick__enriched_event__descriptor,
                                                    pj_arena_allocator(a), len, data);
    *reason = "invalid_proto";
    if (!m)
        return -1;
    *reason = "not_event";
    if (!((Tetragonsidekick__EnrichedEvent *)m)->event)
        return -1;
    *reason = "no_memory";
    return enriched_json(bufs, m, r);
}
