/* capture.h - the state of one tetra-capture run, shared by its parts.
 *
 * run.c moves bytes from inputs through the framer, record.c turns each
 * record into an event or a rejection, and both report into this one
 * struct, so the summary line and the saved position agree. */
#ifndef CAPTURE_CAPTURE_H
#define CAPTURE_CAPTURE_H

#include <signal.h>
#include <stdint.h>
#include "checkpoint.h"
#include "cli.h"
#include "kafka/dlq.h"
#include "codec/event.h"
#include "codec/framer.h"
#include "input.h"
#include "output.h"
#include "util/stats.h"

typedef struct capture {
    const capture_opts *opts;
    output *out;
    dlq *dlq;
    stats st;
    pj_arena *arena;
    input *in;       /* the input being read */
    follow_pos file; /* followed file: which file the framer is reading */
    ckpt_q ckpts;    /* followed file with --state: positions awaiting delivery */
    follow_pos saved;
    int have_saved;
    uint64_t last_sync_ms;
    volatile sig_atomic_t *stop;  /* stop reading (first signal) */
    volatile sig_atomic_t *abort; /* stop waiting for delivery (second signal) */
} capture;

/* Handle one framed record of the current input.  Returns 0, or -1 when
 * the program must stop (output or dead-letter failure, already logged). */
int record_handle(capture *c, const framer_record *r);

/* Run the whole capture described by opts.  Returns the exit status. */
int capture_run(capture_opts *opts, volatile sig_atomic_t *stop, volatile sig_atomic_t *abort);

#endif
