/* prog.c - exit statuses, the two-stage stop and closing stdout (see
 * prog.h). */
#include "prog.h"

#include <stdio.h>
#include <string.h>

#include "msg.h"

volatile sig_atomic_t prog_stop, prog_stop_now;

static void on_stop_signal(int sig)
{
    (void)sig;
    if (prog_stop >= 1)
        prog_stop_now = 1;
    if (prog_stop < 2)
        prog_stop++;
}

static int handle(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    return sigaction(sig, &sa, NULL);
}

int prog_signals(void)
{
    if (handle(SIGINT, on_stop_signal, SA_RESTART) < 0 ||
        handle(SIGTERM, on_stop_signal, SA_RESTART) < 0)
        return -1;
    return 0;
}

int prog_ignore_sigpipe(void)
{
    return handle(SIGPIPE, SIG_IGN, 0);
}

int prog_close_stdout(int status)
{
    /* each is checked: fflush reports the write that failed now, ferror
     * one that failed earlier and was forgotten, fclose the final one */
    int failed = fflush(stdout) != 0;
    failed |= ferror(stdout) != 0;
    failed |= fclose(stdout) != 0;
    if (!failed)
        return status;
    errorf("write to stdout failed");
    return EXIT_RUNTIME;
}
