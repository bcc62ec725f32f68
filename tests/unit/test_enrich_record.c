/* test_enrich_record.c - record_pack writes what protobuf_c_message_pack
 * writes for an EnrichedEvent, with and without a length prefix, when it
 * packs the event and when it copies the event's input bytes; and a record
 * whose event was changed after decoding is not taken for the old bytes. */
#define _GNU_SOURCE /* memmem */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "../../enrich/record.h"

/* A small exec event and its enrichment, in static storage. */
static Google__Protobuf__UInt32Value pid;
static Tetragon__Process proc;
static Tetragon__ProcessExec exec_ev;
static Tetragon__GetEventsResponse ev;
static Tetragonsidekick__Enrichment en;
static char *rules[] = {"shell-in-container"};
static Tetragonsidekick__EnrichedEvent ee;

static void make(void)
{
    tetragon__process__init(&proc);
    proc.binary = "/bin/sh";
    proc.arguments = "-c id";
    google__protobuf__uint32_value__init(&pid);
    pid.value = 4242;
    proc.pid = &pid;
    tetragon__process_exec__init(&exec_ev);
    exec_ev.process = &proc;
    tetragon__get_events_response__init(&ev);
    ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC;
    ev.process_exec = &exec_ev;
    ev.node_name = "node-1";
    tetragonsidekick__enrichment__init(&en);
    en.summary = "A shell ran in a container.";
    en.severity = TETRAGONSIDEKICK__SEVERITY__SEVERITY_HIGH;
    en.confidence = 0.75;
    en.fingerprint = "0123456789abcdef";
    en.rules = rules;
    en.n_rules = 1;
    tetragonsidekick__enriched_event__init(&ee);
    ee.event = &ev;
    ee.enrichment = &en;
}

/* protobuf-c's own bytes for m, malloc'ed, length in *n. */
static uint8_t *reference(const ProtobufCMessage *m, size_t *n)
{
    *n = protobuf_c_message_get_packed_size(m);
    uint8_t *p = malloc(*n ? *n : 1);
    ck_assert_ptr_nonnull(p);
    protobuf_c_message_pack(m, p);
    return p;
}

/* record_pack without event bytes gives protobuf-c's bytes for ee. */
static void packs_as_reference(void)
{
    size_t n;
    uint8_t *want = reference(&ee.base, &n);
    buf out = BUF_INIT;
    ck_assert_int_eq(record_pack(&out, &ee, NULL, 0, 0), 0);
    ck_assert_uint_eq(out.len, n);
    ck_assert_mem_eq(out.p, want, n);
    free(want);
    buf_free(&out);
}

START_TEST(packs_like_protobuf_c)
{
    make();
    packs_as_reference();
}
END_TEST

START_TEST(event_bytes_stand_in_for_the_event)
{
    make();
    size_t n, evn;
    uint8_t *want = reference(&ee.base, &n);
    uint8_t *evb = reference(&ev.base, &evn);
    buf out = BUF_INIT;
    ck_assert_int_eq(record_pack(&out, &ee, evb, evn, 1), 0);
    ck_assert_uint_eq((unsigned char)out.p[0], n); /* the prefix: n < 128 here */
    ck_assert_uint_eq(out.len, n + 1);
    ck_assert_mem_eq(out.p + 1, want, n);
    free(want);
    free(evb);
    buf_free(&out);
}
END_TEST

/* The bytes given are written as they are: the caller must not pass them
 * once the event changed (flow.c clears them), and record_pack must not
 * silently pack the event instead. */
START_TEST(event_bytes_are_written_as_given)
{
    make();
    size_t evn;
    uint8_t *evb = reference(&ev.base, &evn);
    proc.arguments = "-c <redacted:option>";
    size_t n;
    uint8_t *changed = reference(&ee.base, &n);
    buf with_old = BUF_INIT, packed = BUF_INIT;
    ck_assert_int_eq(record_pack(&with_old, &ee, evb, evn, 0), 0);
    ck_assert_int_eq(record_pack(&packed, &ee, NULL, 0, 0), 0);
    ck_assert_uint_eq(packed.len, n);
    ck_assert_mem_eq(packed.p, changed, n);
    ck_assert(with_old.len != packed.len || memcmp(with_old.p, packed.p, packed.len) != 0);
    ck_assert_ptr_nonnull(memmem(with_old.p, with_old.len, "-c id", 5));
    free(evb);
    free(changed);
    buf_free(&with_old);
    buf_free(&packed);
}
END_TEST

START_TEST(missing_parts_are_left_out)
{
    make();
    ee.event = NULL;
    packs_as_reference();
    make();
    ee.enrichment = NULL;
    packs_as_reference();
}
END_TEST

static void add(TCase *tc)
{
    tcase_add_test(tc, packs_like_protobuf_c);
    tcase_add_test(tc, event_bytes_stand_in_for_the_event);
    tcase_add_test(tc, event_bytes_are_written_as_given);
    tcase_add_test(tc, missing_parts_are_left_out);
}

int main(void)
{
    return check_main("enrich_record", add);
}
