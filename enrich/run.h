/* run.h - tetra-enrich's main loop over stdin and stdout. */
#ifndef TETRA_ENRICH_RUN_H
#define TETRA_ENRICH_RUN_H

#include <signal.h>
#include "cli.h"
#include "util/stats.h"

/* Read records from stdin until EOF or *stop, enrich, write to stdout.
 * Counts into st.  Returns 0, or 1 on a runtime failure (already
 * reported). */
int run_stdio(const enrich_opts *o, engine *e, stats *st, volatile sig_atomic_t *stop);

#endif
