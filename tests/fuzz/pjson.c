/* pjson.c - fuzz target: the protojson decoder, through event_from_json().
 *
 * Every line Tetragon's export writes, and every line a workload can steer
 * into it (process arguments, paths), reaches this decoder first.  Besides
 * crashes and sanitizer reports the target checks what the pipeline relies
 * on: an event that decodes encodes back to canonical protojson, that text
 * decodes again to the same canonical text (a fixed point), and the binary
 * protobuf capture writes to Kafka decodes downstream to the same text
 * too.  A difference means one of the three programs would see another
 * event than the one before it. */
#include "fuzz.h"

#include <string.h>
#include "util/buf.h"
#include "codec/event.h"
#include "util/msg.h"

typedef struct state {
    pj_arena *arena;
    buf first, again;
    unsigned char *packed;
    size_t packed_cap;
} state;

/* Decode len bytes of JSON and append the canonical text to out.
 * Returns 0, or -1 when the text is rejected. */
static int canonical(state *s, const char *json, size_t len, buf *out)
{
    tetra_event *ev = NULL;
    const char *reason = NULL;
    pj_error err;
    memset(&err, 0, sizeof(err));
    if (event_from_json(s->arena, json, len, &ev, &reason, &err, NULL) < 0) {
        FUZZ_CHECK(reason != NULL);
        return -1;
    }
    FUZZ_CHECK(event_kind(ev) != NULL);
    FUZZ_CHECK(pj_encode(&ev->base, out) == 0);
    return 0;
}

/* The binary round trip: pack ev, unpack it as enrich does, encode. */
static void binary_matches(state *s, const char *json, size_t len)
{
    tetra_event *ev = NULL, *back = NULL;
    const char *reason = NULL;
    pj_error err;
    FUZZ_CHECK(event_from_json(s->arena, json, len, &ev, &reason, &err, NULL) == 0);
    size_t n = protobuf_c_message_get_packed_size(&ev->base);
    if (n > s->packed_cap) {
        free(s->packed);
        FUZZ_CHECK((s->packed = malloc(n)) != NULL);
        s->packed_cap = n;
    }
    FUZZ_CHECK(protobuf_c_message_pack(&ev->base, s->packed) == n);
    FUZZ_CHECK(event_from_proto(s->arena, s->packed, n, &back, &reason, &err) == 0);
    buf_reset(&s->again);
    FUZZ_CHECK(pj_encode(&back->base, &s->again) == 0);
    FUZZ_CHECK(s->again.len == s->first.len && memcmp(s->again.p, s->first.p, s->first.len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state s;
    if (s.arena == NULL) {
        msg_init("fuzz-pjson", MSG_QUIET);
        FUZZ_CHECK((s.arena = pj_arena_new()) != NULL);
    }
    buf_reset(&s.first);
    if (canonical(&s, (const char *)data, size, &s.first) == 0) {
        buf_reset(&s.again);
        FUZZ_CHECK(canonical(&s, s.first.p, s.first.len, &s.again) == 0);
        FUZZ_CHECK(s.again.len == s.first.len && memcmp(s.again.p, s.first.p, s.first.len) == 0);
        binary_matches(&s, (const char *)data, size);
    }
    pj_arena_reset(s.arena);
    return 0;
}
