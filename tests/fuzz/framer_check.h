/* framer_check.h - the oracle both framer targets share (framer_json.c,
 * framer_varint.c).
 *
 * Input: byte 0 picks the record limit, byte 1 seeds the chunk sizes, the
 * rest is the stream.  The stream is framed twice, fed whole and fed in
 * small chunks of varying size, and the two runs must hand out the same
 * records: a pipe or a socket cuts a stream anywhere, and where it was cut
 * must not change what was read.  Each record must also say the truth
 * about itself: its bytes are the stream's bytes at its offsets, its kept
 * length never exceeds its size, and records never overlap. */
#ifndef TETRA_FUZZ_FRAMER_CHECK_H
#define TETRA_FUZZ_FRAMER_CHECK_H

#include <string.h>
#include "util/buf.h"
#include "codec/framer.h"
#include "fuzz.h"

/* One run's records, flattened: every field, then the kept bytes. */
static void note_record(buf *log, const framer_record *r)
{
    uint64_t fields[5] = {r->len, r->size, r->line, r->start, r->end};
    FUZZ_CHECK(buf_append(log, fields, sizeof(fields)) == 0);
    FUZZ_CHECK(buf_puts(log, r->reject != NULL ? r->reject : "-") == 0);
    FUZZ_CHECK(buf_append(log, r->data, r->len) == 0);
}

static void check_record(framer_mode mode, const framer_record *r, const uint8_t *in, size_t n,
                         uint64_t *last_end)
{
    FUZZ_CHECK(r->len <= r->size);
    FUZZ_CHECK(r->start <= r->end && r->end <= n);
    FUZZ_CHECK(r->start >= *last_end);
    FUZZ_CHECK(r->size <= r->end - r->start);
    *last_end = r->end;
    if (r->reject != NULL)
        return;
    if (mode == FRAMER_JSON) {
        FUZZ_CHECK(r->size == r->end - r->start);
        FUZZ_CHECK(memcmp(r->data, in + r->start, r->len) == 0);
    } else {
        FUZZ_CHECK(r->len == r->size);
        FUZZ_CHECK(memcmp(r->data, in + (r->end - r->len), r->len) == 0);
    }
}

/* Drain f into log.  Returns 1 when the framer gave up (bad varint). */
static int drain(framer_mode mode, framer *f, buf *log, const uint8_t *in, size_t n,
                 uint64_t *last_end)
{
    framer_record r;
    int rc;
    while ((rc = framer_next(f, &r)) == 1) {
        check_record(mode, &r, in, n, last_end);
        note_record(log, &r);
        FUZZ_CHECK(framer_offset(f) == r.end);
    }
    return rc < 0;
}

/* Frame in[0..n) with chunks of at most chunk_max bytes (0: all at once). */
static void frame_all(framer_mode mode, size_t max, const uint8_t *in, size_t n, unsigned seed,
                      size_t chunk_max, buf *log)
{
    framer *f = framer_new(mode, max, 0);
    FUZZ_CHECK(f != NULL);
    uint64_t last_end = 0;
    int dead = 0;
    size_t at = 0;
    while (at < n && !dead) {
        size_t step = n - at;
        if (chunk_max > 0) {
            seed = seed * 1103515245u + 12345u;
            size_t c = 1 + (seed >> 16) % chunk_max;
            step = c < step ? c : step;
        }
        FUZZ_CHECK(framer_feed(f, in + at, step) == 0);
        at += step;
        dead = drain(mode, f, log, in, n, &last_end);
    }
    if (!dead) {
        framer_finish(f);
        dead = drain(mode, f, log, in, n, &last_end);
    }
    FUZZ_CHECK(buf_puts(log, dead ? "dead" : "end") == 0);
    framer_free(f);
}

static void framer_fuzz(framer_mode mode, const uint8_t *data, size_t size)
{
    /* limits around the head kept for the dead-letter output, and tiny ones */
    static const size_t limits[] = {
        1, 2, 8, 64, 300, FRAMER_HEAD_KEEP - 1, FRAMER_HEAD_KEEP, FRAMER_HEAD_KEEP + 1, 1 << 20};
    if (size < 2)
        return;
    size_t max = limits[data[0] % (sizeof(limits) / sizeof(limits[0]))];
    unsigned seed = data[1];
    buf whole = BUF_INIT, chunked = BUF_INIT;
    frame_all(mode, max, data + 2, size - 2, seed, 0, &whole);
    frame_all(mode, max, data + 2, size - 2, seed, 1 + data[1] % 17, &chunked);
    FUZZ_CHECK(whole.len == chunked.len && memcmp(whole.p, chunked.p, whole.len) == 0);
    buf_free(&whole);
    buf_free(&chunked);
}

#endif
