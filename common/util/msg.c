/* msg.c - diagnostics on stderr with the program name as prefix.
 *
 * A line is formatted into one buffer and written with one fputs so lines of
 * concurrent writers (librdkafka's log callback runs on its own thread)
 * do not interleave mid-line.  With --log-format json the same line is one
 * JSON object; the message is escaped by the codec's string writer, which
 * also keeps the line valid UTF-8 whatever bytes a record put in it. */
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "codec/pjson.h"

static const char *prog = "tetra";
static int level = MSG_NORMAL;
static int format = MSG_TEXT;

void msg_set_format(int f)
{
    format = f;
}

int msg_format_option(const char *s)
{
    if (strcmp(s, "text") != 0 && strcmp(s, "json") != 0) {
        errorf("--log-format: expected text or json, got '%s'", s);
        return -1;
    }
    format = strcmp(s, "json") == 0 ? MSG_JSON : MSG_TEXT;
    return 0;
}

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

/* One JSON log line; falls back to the text line when out of memory. */
static int json_line(const char *lvl, const char *text)
{
    struct timespec now;
    struct tm tm;
    char stamp[40] = "";
    if (clock_gettime(CLOCK_REALTIME, &now) == 0 && gmtime_r(&now.tv_sec, &tm))
        snprintf(stamp + strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm), 6, ".%03dZ",
                 (int)(now.tv_nsec / 1000000));
    buf b = BUF_INIT;
    int r = buf_printf(&b, "{\"time\":\"%s\",\"level\":\"%s\",\"program\":", stamp, lvl);
    r |= pj_put_string(&b, prog, strlen(prog));
    r |= buf_puts(&b, ",\"message\":");
    r |= pj_put_string(&b, text, strlen(text));
    r |= buf_puts(&b, "}\n");
    if (r == 0)
        fputs(b.p, stderr);
    buf_free(&b);
    return r == 0 ? 0 : -1;
}

static void vmsg(const char *lvl, const char *kind, const char *fmt, va_list ap)
{
    char line[2048];
    int n = snprintf(line, sizeof(line), "%s: %s", prog, kind);
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    if (m < 0)
        m = 0;
    if (format == MSG_JSON) {
        if (json_line(lvl, line + n) == 0)
            return;
    }
    size_t len = strlen(line);
    line[len] = '\n';
    line[len + 1] = '\0';
    fputs(line, stderr);
}

void errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("error", "error: ", fmt, ap);
    va_end(ap);
}

void warnf(const char *fmt, ...)
{
    if (level < MSG_NORMAL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmsg("warning", "warning: ", fmt, ap);
    va_end(ap);
}

void notef(const char *fmt, ...)
{
    if (level < MSG_VERBOSE)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmsg("note", "", fmt, ap);
    va_end(ap);
}

void infof(const char *fmt, ...)
{
    if (level < MSG_NORMAL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmsg("info", "", fmt, ap);
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
