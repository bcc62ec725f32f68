/* msg.c - diagnostics on stderr with the program name as prefix.
 *
 * A line is formatted into one buffer and written with one fputs so lines of
 * concurrent writers (librdkafka's log callback runs on its own thread)
 * do not interleave mid-line. */
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *prog = "tetra";
static int level = MSG_NORMAL;

void msg_init(const char *progname, int lvl)
{
    if (progname != NULL) {
        const char *slash = strrchr(progname, '/');
        prog = slash != NULL ? slash + 1 : progname;
    }
    level = lvl;
}

void msg_set_level(int lvl)
{
    level = lvl;
}

int msg_level(void)
{
    return level;
}

const char *msg_progname(void)
{
    return prog;
}

void msg_try_help(void)
{
    fprintf(stderr, "Try '%s --help' for more information.\n", msg_progname());
}

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
    char line[2048];
    int n = snprintf(line, sizeof(line), "%s: %s", prog, kind);
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    if (m < 0)
        m = 0;
    size_t len = strlen(line);
    line[len] = '\n';
    line[len + 1] = '\0';
    fputs(line, stderr);
}

void errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("error: ", fmt, ap);
    va_end(ap);
}

void warnf(const char *fmt, ...)
{
    if (level < MSG_NORMAL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmsg("warning: ", fmt, ap);
    va_end(ap);
}

void notef(const char *fmt, ...)
{
    if (level < MSG_VERBOSE)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmsg("", fmt, ap);
    va_end(ap);
}

void infof(const char *fmt, ...)
{
    if (level < MSG_NORMAL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmsg("", fmt, ap);
    va_end(ap);
}

/* Reasons are few (a dozen counter names), so a small table searched
 * linearly by pointer-or-content equality is enough. */
#define RL_MAX 64
static struct {
    char reason[48];
    time_t last;
    uint64_t suppressed;
} rl[RL_MAX];
static int rl_n;

static int rl_find(const char *reason)
{
    for (int i = 0; i < rl_n; i++)
        if (strcmp(rl[i].reason, reason) == 0)
            return i;
    if (rl_n == RL_MAX)
        return -1;
    snprintf(rl[rl_n].reason, sizeof(rl[rl_n].reason), "%s", reason);
    rl[rl_n].last = 0;
    rl[rl_n].suppressed = 0;
    return rl_n++;
}

int msg_ratelimit(const char *reason, unsigned interval_s, uint64_t *suppressed)
{
    *suppressed = 0;
    if (level >= MSG_VERBOSE)
        return 1;
    int i = rl_find(reason);
    if (i < 0)
        return 0;
    time_t now = time(NULL);
    if (rl[i].last != 0 && now - rl[i].last < (time_t)interval_s) {
        rl[i].suppressed++;
        return 0;
    }
    *suppressed = rl[i].suppressed;
    rl[i].suppressed = 0;
    rl[i].last = now;
    return 1;
}

void msg_ratelimit_reset(void)
{
    rl_n = 0;
}
