/* main.c - tetra-capture: Tetragon JSON in, tetragon.GetEventsResponse out.
 *
 * Reads the options, installs the signal handlers, runs the capture and
 * turns the outcome into the exit status; everything else lives in cli.c
 * (options), run.c (the loop) and record.c (one record). */
#include "capture.h"
#include "util/msg.h"
#include "util/prog.h"

#include <stdio.h>

extern char **environ;

int main(int argc, char **argv)
{
    capture_opts opts;
    msg_init(argc > 0 ? argv[0] : "tetra-capture", MSG_NORMAL);
    int status = cli_parse(&opts, argc, argv, environ);
    if (status < 0) {
        if (prog_signals() < 0) {
            errorf("cannot install signal handlers");
            status = EXIT_RUNTIME;
        } else {
            status = capture_run(&opts, &prog_stop, &prog_stop_now);
        }
    }
    cli_free(&opts);
    return prog_close_stdout(status);
}
