/* event.c - decode and classify Tetragon events (see event.h).
 *
 * The codec says whether text is valid protojson for GetEventsResponse;
 * this file adds what only the event layer knows: an object that decodes
 * but carries no event is "not_event", unless it had a top-level field
 * this schema lacks, in which case it is most likely an event kind from a
 * newer Tetragon ("unknown_kind"), which operators want to see separately. */
#include "event.h"

#include <stdio.h>
#include <string.h>
#include "pjson_check.h"

static const char *classify_empty(const pj_decode_info *info)
{
    return info->first_unknown[0] ? "unknown_kind" : "not_event";
}

int event_from_json(pj_arena *a, const char *json, size_t len, tetra_event **out,
                    const char **reason, pj_error *err, pj_decode_info *info)
{
    pj_decode_info local;
    if (!info)
        info = &local;
    ProtobufCMessage *m = NULL;
    pj_status st =
        pj_decode(a, &tetragon__get_events_response__descriptor, json, len, &m, info, err);
    if (st != PJ_OK) {
        /* valid JSON but not an object (an array, a string): no event */
        *reason = st == PJ_ERR_TYPE && !err->path[0] ? "not_event" : pj_status_name(st);
        return -1;
    }
    tetra_event *ev = (tetra_event *)m;
    if (ev->event_case == TETRAGON__GET_EVENTS_RESPONSE__EVENT__NOT_SET) {
        *reason = classify_empty(info);
        err->status = PJ_ERR_TYPE;
        err->offset = 0;
        snprintf(err->msg, sizeof err->msg, "%s",
                 info->first_unknown[0] ? "no known event kind; unknown top-level field"
                                        : "JSON object carries no Tetragon event");
        snprintf(err->path, sizeof err->path, "%s", info->first_unknown);
        return -1;
    }
    *out = ev;
    return 0;
}

int event_from_proto(pj_arena *a, const void *data, size_t len, tetra_event **out,
                     const char **reason, pj_error *err)
{
    pj_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    ProtobufCMessage *m = protobuf_c_message_unpack(&tetragon__get_events_response__descriptor,
                                                    pj_arena_allocator(a), len, data);
    if (!m) {
        *reason = "invalid_proto";
        snprintf(err->msg, sizeof err->msg, "not a protobuf GetEventsResponse (%zu bytes)", len);
        return -1;
    }
    tetra_event *ev = (tetra_event *)m;
    if (ev->event_case == TETRAGON__GET_EVENTS_RESPONSE__EVENT__NOT_SET) {
        *reason = ev->base.n_unknown_fields ? "unknown_kind" : "not_event";
        snprintf(err->msg, sizeof err->msg, "%s",
                 ev->base.n_unknown_fields ? "an event kind this schema does not know"
                                           : "no event in the record");
        return -1;
    }
    /* binary carries times protojson cannot write: refuse them here, as
     * the JSON decoder does, not when the record is written */
    if (pj_check_ranges(m, err) < 0) {
        *reason = "bad_value";
        return -1;
    }
    *out = ev;
    return 0;
}

const char *event_kind(const tetra_event *ev)
{
    const ProtobufCMessageDescriptor *d = ev->base.descriptor;
    if (ev->event_case == TETRAGON__GET_EVENTS_RESPONSE__EVENT__NOT_SET)
        return NULL;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(d, (unsigned)ev->event_case);
    return f ? f->name : NULL;
}
