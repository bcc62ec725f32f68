/* run.h - the sink's main loop: read, build documents, deliver, commit.
 *
 * One thread drives everything: input (stdin through the framer, or the
 * Kafka consumer), the bulk engine's curl multi handle, and offset commits.
 * Reading pauses while the bulk engine is full, so a slow cluster slows the
 * reader instead of growing memory. */
#ifndef TETRA_SINK_RUN_H
#define TETRA_SINK_RUN_H

#include "cli.h"
#include "util/prog.h"

/* Run with parsed options until end of input or SIGTERM/SIGINT.  Returns
 * an exit status; prints its own diagnostics and the summary line. */
int sink_run(sink_opts *o);

#endif
