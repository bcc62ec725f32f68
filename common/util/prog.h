/* prog.h - what every program's main does at its edges, written once:
 * exit statuses, the two-stage stop on SIGINT/SIGTERM, closing stdout.
 *
 * The stop has two stages so an operator can always get out: the first
 * signal asks the program to stop reading, finish or flush what it holds
 * and exit cleanly; a second one asks it to stop now, abandoning what is
 * still in flight (Kafka input then re-reads it after a restart, since
 * nothing unfinished was committed).  The handlers only set the two flags
 * below; the loops poll them. */
#ifndef TETRA_PROG_H
#define TETRA_PROG_H

#include <signal.h>

/* Exit statuses, documented in each program's man page (EXIT STATUS). */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* How many stop signals arrived, saturating at 2: 0 run, 1 drain and
 * stop, 2 stop now.  Truthy from the first signal, so it can be passed
 * where a plain stop flag is expected. */
extern volatile sig_atomic_t prog_stop;
/* 1 from the second signal on, for the code that takes an abort flag
 * (a flush that would otherwise wait for its deadline). */
extern volatile sig_atomic_t prog_stop_now;

/* Install the two-stage handler for SIGINT and SIGTERM with sigaction.
 * SA_RESTART is set: a write blocked on a full pipe must not fail with
 * EINTR, and the waits that must notice a signal (poll, inotify, curl's
 * multi wait) come back on their own time limits.  Returns 0, or -1. */
int prog_signals(void);

/* Ignore SIGPIPE, for programs whose sockets (libcurl, librdkafka) would
 * otherwise kill them; a broken stdout then shows as a write error.
 * Returns 0, or -1. */
int prog_ignore_sigpipe(void);

/* Flush and close stdout, checking fflush, ferror and fclose: data lost
 * on the way out must not end in exit status 0.  Returns status, or
 * EXIT_RUNTIME after saying so when stdout failed. */
int prog_close_stdout(int status);

#endif
