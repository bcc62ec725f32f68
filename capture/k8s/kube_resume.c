/* kube_resume.c - log line timestamps and the dedup rule (see kube_resume.h).
 *
 * Times are parsed by hand rather than with strptime/timegm so that the
 * nanoseconds survive and nothing depends on the locale or TZ. */
#include "kube_resume.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, size_t at, size_t len, int *out)
{
    int v = 0;
    if (at + len > n)
        return -1;
    for (size_t i = at; i < at + len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int sep(const char *s, size_t n, size_t at, char c)
{
    return at < n && s[at] == c;
}

/* "+hh:mm" / "-hh:mm" / "Z" at s[i]: seconds east of UTC into *off. */
static size_t zone(const char *s, size_t n, size_t i, int64_t *off)
{
    int hh, mm;
    if (sep(s, n, i, 'Z') || sep(s, n, i, 'z')) {
        *off = 0;
        return i + 1;
    }
    if (!(sep(s, n, i, '+') || sep(s, n, i, '-')) || digits(s, n, i + 1, 2, &hh) < 0 ||
        !sep(s, n, i + 3, ':') || digits(s, n, i + 4, 2, &mm) < 0)
        return 0;
    *off = (int64_t)(hh * 3600 + mm * 60) * (s[i] == '-' ? -1 : 1);
    return i + 6;
}

size_t kube_time_parse(const char *s, size_t n, int64_t *ns)
{
    int y, mo, d, h, mi, se;
    if (digits(s, n, 0, 4, &y) < 0 || !sep(s, n, 4, '-') || digits(s, n, 5, 2, &mo) < 0 ||
        !sep(s, n, 7, '-') || digits(s, n, 8, 2, &d) < 0 ||
        !(sep(s, n, 10, 'T') || sep(s, n, 10, 't')) || digits(s, n, 11, 2, &h) < 0 ||
        !sep(s, n, 13, ':') || digits(s, n, 14, 2, &mi) < 0 || !sep(s, n, 16, ':') ||
        digits(s, n, 17, 2, &se) < 0)
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return 0;
    size_t i = 19;
    int64_t frac = 0;
    if (sep(s, n, i, '.')) {
        int nd = 0;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++)
            if (nd < 9)
                frac = frac * 10 + (s[i] - '0');
        if (nd == 0)
            return 0;
        for (; nd < 9; nd++)
            frac *= 10;
    }
    int64_t off;
    size_t end = zone(s, n, i, &off);
    if (end == 0)
        return 0;
    int64_t secs =
        days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - off;
    /* nanoseconds in an int64_t reach the years 1677 to 2262; a time
     * outside is no runtime's stamp (and would overflow) */
    if (secs < -(INT64_MAX / 1000000000) || secs >= INT64_MAX / 1000000000)
        return 0;
    *ns = secs * 1000000000 + frac;
    return end;
}

int kube_log_split(const char *line, size_t n, int64_t *ts, const char **text, size_t *textlen)
{
    size_t used = kube_time_parse(line, n, ts);
    if (used == 0 || (used < n && line[used] != ' ')) {
        *text = line;
        *textlen = n;
        return -1;
    }
    if (used < n)
        used++;
    *text = line + used;
    *textlen = n - used;
    return 0;
}

void kube_resume_reconnect(kube_resume *r)
{
    r->seen = 0;
}

int kube_resume_accept(kube_resume *r, int64_t ts)
{
    if (r->count == 0 || ts > r->ts) {
        r->ts = ts;
        r->count = 1;
        r->seen = 1;
        return 1;
    }
    if (ts < r->ts)
        return 0;
    r->seen++;
    if (r->seen <= r->count)
        return 0;
    r->count = r->seen;
    return 1;
}

static int format_secs(int64_t secs, char *out, size_t n, const char *tail)
{
    struct tm tm;
    time_t t = (time_t)secs;
    char base[32];
    if (gmtime_r(&t, &tm) == NULL || strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        return -1;
    int w = snprintf(out, n, "%s%s", base, tail);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

int kube_resume_since(const kube_resume *r, char *out, size_t n)
{
    if (n == 0)
        return -1;
    if (r->count == 0) {
        out[0] = '\0';
        return 0;
    }
    return format_secs(floor_div(r->ts, 1000000000), out, n, "Z");
}

int kube_time_format(int64_t ns, char *out, size_t n)
{
    int64_t secs = floor_div(ns, 1000000000);
    char tail[16];
    snprintf(tail, sizeof(tail), ".%09lldZ", (long long)(ns - secs * 1000000000));
    return format_secs(secs, out, n, tail);
}
