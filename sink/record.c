/* record.c - input records to canonical JSON objects (see record.h).
 *
 * The codec re-encodes every record, which costs a decode and an encode,
 * but buys one spelling of every event (field names, 64-bit integers as
 * strings, enum names) whichever producer wrote it, and the _id depends on
 * that spelling. */
#include "record.h"

#include <stdio.h>
#include <string.h>

#include "event.h"
#include "tetragonsidekick/enriched.pb-c.h"

void record_clear(record *r) {
    json_decref(r->root);
    memset(r, 0, sizeof *r);
}

record_type record_type_of(const char *name, size_t len) {
    if (!name) return RECORD_AUTO;
    if (len == strlen(RECORD_TYPE_ENRICHED) && !memcmp(name, RECORD_TYPE_ENRICHED, len))
        return RECORD_ENRICHED;
    if (len == strlen(TETRA_TYPE_EVENT) && !memcmp(name, TETRA_TYPE_EVENT, len))
        return RECORD_EVENT;
    return RECORD_AUTO;
}

/* Encode m canonically and parse that back as the record's root. */
static int to_json(buf *scratch, const ProtobufCMessage *m, record *r, int enriched) {
    buf_reset(scratch);
    if (pj_encode(m, scratch) < 0) return -1;
    json_error_t je;
    r->root = json_loadb(scratch->p, scratch->len, 0, &je);
    if (!r->root) return -1;
    if (!enriched) {
        r->event = r->root;
        return 0;
    }
    r->event = json_object_get(r->root, "event");
    r->enrichment = json_object_get(r->root, "enrichment");
    return json_is_object(r->event) ? 0 : -1;
}

int record_from_json(pj_arena *a, buf *scratch, const char *data, size_t len, record *r,
                     const char **reason, char *msg, size_t msglen) {
    memset(r, 0, sizeof *r);
    ProtobufCMessage *m = NULL;
    pj_error err;
    pj_status s = pj_decode(a, &tetragonsidekick__enriched_event__descriptor, data, len, &m, NULL,
                            &err);
    if (s == PJ_OK && ((Tetragonsidekick__EnrichedEvent *)m)->event) {
        *reason = "no_memory";
        return to_json(scratch, m, r, 1);
    }
    if (s != PJ_OK && s != PJ_ERR_TYPE && s != PJ_ERR_RANGE) {
        *reason = pj_status_name(s);
        snprintf(msg, msglen, "%s at byte %zu", err.msg, err.offset);
        return -1;
    }
    tetra_event *ev;
    if (event_from_json(a, data, len, &ev, reason, &err, NULL) < 0) {
        snprintf(msg, msglen, "%s%s%s at byte %zu", err.path, err.path[0] ? ": " : "", err.msg,
                 err.offset);
        return -1;
    }
    *reason = "no_memory";
    return to_json(scratch, &ev->base, r, 0);
}

int record_from_proto(pj_arena *a, buf *scratch, const void *data, size_t len, record_type t,
                      record *r, const char **reason) {
    memset(r, 0, sizeof *r);
    if (t == RECORD_EVENT) {
        tetra_event *ev;
        if (event_from_proto(a, data, len, &ev, reason) < 0) return -1;
        *reason = "no_memory";
        return to_json(scratch, &ev->base, r, 0);
    }
    ProtobufCMessage *m = protobuf_c_message_unpack(&tetragonsidekick__enriched_event__descriptor,
                                                    pj_arena_allocator(a), len, data);
    *reason = "invalid_proto";
    if (!m) return -1;
    *reason = "not_event";
    if (!((Tetragonsidekick__EnrichedEvent *)m)->event) return -1;
    *reason = "no_memory";
    return to_json(scratch, m, r, 1);
}
