/* msg.h - the one place diagnostics are written: stderr, program name first.
 *
 * stdout carries data only, so every warning, error and note of the three
 * programs goes through these functions.  Bad input records can arrive by
 * the million; msg_ratelimit() lets a caller log the first one of each
 * reason and then only a reminder now and then, with how many it skipped. */
#ifndef TETRA_MSG_H
#define TETRA_MSG_H

#include <stdint.h>

/* Verbosity: MSG_QUIET shows errors only, MSG_NORMAL adds warnings,
 * MSG_VERBOSE adds notes. */
enum { MSG_QUIET = 0, MSG_NORMAL = 1, MSG_VERBOSE = 2 };

/* Set the prefix (basename of argv[0] is fine) and the verbosity.  The
 * string is not copied and must outlive all later calls. */
void msg_init(const char *progname, int level);
/* Log line format: MSG_TEXT "prog: warning: ..." (the default) or
 * MSG_JSON, one object per line for log collectors:
 * {"time":"2026-12-03T12:00:00.123Z","level":"warning","program":"tetra-sink","message":"..."}
 * Levels are error, warning, info and note. */
enum { MSG_TEXT = 0, MSG_JSON = 1 };
void msg_set_format(int format);
/* Apply a --log-format value, "text" or "json".  Returns 0, or -1 after
 * saying what it expected. */
int msg_format_option(const char *s);
void msg_set_level(int level);
int msg_level(void);
const char *msg_progname(void);
/* The line after a usage error, one wording for every program:
 * "Try 'PROG --help' for more information." */
void msg_try_help(void);

void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Plain information such as the summary line: shown unless quiet. */
void infof(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Decide whether an occurrence of reason (a static counter name) should be
 * logged now: yes for the first one, then at most once per interval_s
 * seconds.  *suppressed receives how many occurrences were not logged since
 * the last logged one.  In verbose mode every occurrence is logged.
 * Returns 1 to log, 0 to stay quiet. */
int msg_ratelimit(const char *reason, unsigned interval_s, uint64_t *suppressed);

/* Forget the rate-limit history (for tests). */
void msg_ratelimit_reset(void);

#endif
