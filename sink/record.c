/* record.c - input records to decoded messages (see record.h).
 *
 * JSON goes through the codec's decoder and binary through protobuf-c,
 * both into the caller's arena, so a record costs no malloc once the arena
 * has grown, and the document is written from one representation. */
#define _GNU_SOURCE /* memmem */
#include "record.h"

#include <stdio.h>
#include <string.h>

#include "codec/event.h"
#include "codec/pjson_check.h"

record_type record_type_of(const char *name, size_t len)
{
    if (!name)
        return RECORD_AUTO;
    if (len == strlen(RECORD_TYPE_ENRICHED) && !memcmp(name, RECORD_TYPE_ENRICHED, len))
        return RECORD_ENRICHED;
    if (len == strlen(TETRA_TYPE_EVENT) && !memcmp(name, TETRA_TYPE_EVENT, len))
        return RECORD_EVENT;
    if (len == strlen(RECORD_TYPE_INCIDENT) && !memcmp(name, RECORD_TYPE_INCIDENT, len))
        return RECORD_INCIDENT;
    return RECORD_AUTO;
}

static void from_enriched(const ProtobufCMessage *m, record *r)
{
    const Tetragonsidekick__EnrichedEvent *e = (const Tetragonsidekick__EnrichedEvent *)m;
    r->event = e->event;
    r->enrichment = e->enrichment;
}

static int plain_json(pj_arena *a, const char *data, size_t len, record *r, const char **reason,
                      char *msg, size_t msglen)
{
    tetra_event *ev;
    pj_error err;
    if (event_from_json(a, data, len, &ev, reason, &err, NULL) < 0) {
        snprintf(msg, msglen, "%s%s%s at byte %zu", err.path, err.path[0] ? ": " : "", err.msg,
                 err.offset);
        return -1;
    }
    r->event = ev;
    return 0;
}

int record_from_json(pj_arena *a, const char *data, size_t len, record *r, const char **reason,
                     char *msg, size_t msglen)
{
    memset(r, 0, sizeof *r);
    pj_error err;
    /* An enriched record names "event"; without that text anywhere it can
     * only be a plain event, and one decode is saved. */
    if (!memmem(data, len, "\"event\"", 7))
        return plain_json(a, data, len, r, reason, msg, msglen);
    ProtobufCMessage *m = NULL;
    pj_status s =
        pj_decode(a, &tetragonsidekick__enriched_event__descriptor, data, len, &m, NULL, &err);
    if (s == PJ_OK && ((Tetragonsidekick__EnrichedEvent *)m)->event) {
        from_enriched(m, r);
        return 0;
    }
    if (s != PJ_OK && s != PJ_ERR_TYPE && s != PJ_ERR_RANGE) {
        *reason = pj_status_name(s);
        snprintf(msg, msglen, "%s at byte %zu", err.msg, err.offset);
        return -1;
    }
    return plain_json(a, data, len, r, reason, msg, msglen);
}

int record_from_proto(pj_arena *a, const void *data, size_t len, record_type t, record *r,
                      const char **reason)
{
    memset(r, 0, sizeof *r);
    if (t == RECORD_EVENT) {
        tetra_event *ev;
        if (event_from_proto(a, data, len, &ev, reason, NULL) < 0)
            return -1;
        r->event = ev;
        return 0;
    }
    ProtobufCMessage *m = protobuf_c_message_unpack(&tetragonsidekick__enriched_event__descriptor,
                                                    pj_arena_allocator(a), len, data);
    *reason = "invalid_proto";
    if (!m)
        return -1;
    *reason = "not_event";
    if (!((Tetragonsidekick__EnrichedEvent *)m)->event)
        return -1;
    pj_error err;
    *reason = "bad_value";
    if (pj_check_ranges(m, &err) < 0)
        return -1;
    from_enriched(m, r);
    return 0;
}
