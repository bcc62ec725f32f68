/* main.c - tetra-capture: Tetragon JSON in, tetragon.GetEventsResponse out.
 *
 * Reads the options, installs the signal handlers, runs the capture and
 * turns the outcome into the exit status; everything else lives in cli.c
 * (options), run.c (the loop) and record.c (one record). */
#include "capture.h"
#include "util/msg.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

extern char **environ;

static volatile sig_atomic_t stop_flag, abort_flag;

/* First signal: stop reading and flush.  Second: stop waiting for the
 * flush as well. */
static void on_signal(int sig)
{
    (void)sig;
    if (stop_flag)
        abort_flag = 1;
    stop_flag = 1;
}

static int install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* SA_RESTART: a write blocked on a full pipe must not fail with EINTR;
     * the waits that must notice a signal (poll, inotify) are never
     * restarted by the kernel */
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
        return -1;
    return 0;
}

static int close_stdout(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
        errorf("write to stdout failed");
        return EXIT_RUNTIME;
    }
    return status;
}

int main(int argc, char **argv)
{
    capture_opts opts;
    msg_init(argc > 0 ? argv[0] : "tetra-capture", MSG_NORMAL);
    int status = cli_parse(&opts, argc, argv, environ);
    if (status < 0) {
        if (install_signals() < 0) {
            errorf("cannot install signal handlers");
            status = EXIT_RUNTIME;
        } else {
            status = capture_run(&opts, &stop_flag, &abort_flag);
        }
    }
    cli_free(&opts);
    return close_stdout(status);
}
