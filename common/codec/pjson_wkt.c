/* pjson_wkt.c - Timestamp, Duration, base64 and float text (see pjson_wkt.h).
 *
 * Dates are converted with the days-from-civil arithmetic rather than
 * timegm()/gmtime_r() so the full protobuf range (years 1-9999) works the
 * same on every libc and nothing touches the process's time zone. */
#include "pjson_wkt.h"
#include "util/base64.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS_MIN (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define TS_MAX (253402300799LL) /* 9999-12-31T23:59:59Z */
#define DUR_MAX (315576000000LL)

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Read exactly k digits at s[*i]; -1 if not digits. */
static long digits(const char *s, size_t n, size_t *i, int k)
{
    long v = 0;
    for (int j = 0; j < k; j++, (*i)++) {
        if (*i >= n || s[*i] < '0' || s[*i] > '9')
            return -1;
        v = v * 10 + (s[*i] - '0');
    }
    return v;
}

/* Optional ".ddddddddd" (1-9 digits) -> nanos. */
static int fraction(const char *s, size_t n, size_t *i, int32_t *nanos)
{
    *nanos = 0;
    if (*i >= n || s[*i] != '.')
        return 0;
    (*i)++;
    int k = 0;
    long v = 0;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
        if (++k > 9)
            return -1;
        v = v * 10 + (s[(*i)++] - '0');
    }
    if (k == 0)
        return -1;
    while (k++ < 9)
        v *= 10;
    *nanos = (int32_t)v;
    return 0;
}

static int days_in_month(long y, long m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

static int parse_offset(const char *s, size_t n, size_t *i, int64_t *off)
{
    if (*i >= n)
        return -1;
    char c = s[(*i)++];
    if (c == 'Z' || c == 'z') {
        *off = 0;
        return 0;
    }
    if (c != '+' && c != '-')
        return -1;
    long hh = digits(s, n, i, 2);
    if (hh < 0 || hh > 23 || *i >= n || s[(*i)++] != ':')
        return -1;
    long mm = digits(s, n, i, 2);
    if (mm < 0 || mm > 59)
        return -1;
    *off = (c == '-' ? -1 : 1) * (int64_t)(hh * 3600 + mm * 60);
    return 0;
}

int wkt_parse_timestamp(const char *s, size_t n, int64_t *sec, int32_t *nanos)
{
    size_t i = 0;
    long y = digits(s, n, &i, 4);
    if (y < 1 || i >= n || s[i++] != '-')
        return -1;
    long mo = digits(s, n, &i, 2);
    if (mo < 1 || mo > 12 || i >= n || s[i++] != '-')
        return -1;
    long d = digits(s, n, &i, 2);
    if (d < 1 || d > days_in_month(y, mo) || i >= n || (s[i] != 'T' && s[i] != 't'))
        return -1;
    i++;
    long hh = digits(s, n, &i, 2);
    if (hh < 0 || hh > 23 || i >= n || s[i++] != ':')
        return -1;
    long mi = digits(s, n, &i, 2);
    if (mi < 0 || mi > 59 || i >= n || s[i++] != ':')
        return -1;
    long ss = digits(s, n, &i, 2);
    int64_t off;
    if (ss < 0 || ss > 59 || fraction(s, n, &i, nanos) < 0 || parse_offset(s, n, &i, &off) < 0 ||
        i != n)
        return -1;
    int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + hh * 3600 + mi * 60 + ss;
    t -= off;
    if (t < TS_MIN || t > TS_MAX)
        return -1;
    *sec = t;
    return 0;
}

/* Write v as exactly w decimal digits at o; returns o + w.  Timestamps are
 * in every event, so they are formatted without printf. */
static char *digits_at(char *o, unsigned long v, int w)
{
    for (int i = w - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + w;
}

/* ".ddd", ".dddddd" or ".ddddddddd" at o, or nothing when nanos is 0. */
static char *nanos_at(char *o, int32_t nanos)
{
    if (nanos == 0)
        return o;
    *o++ = '.';
    if (nanos % 1000000 == 0)
        return digits_at(o, (unsigned long)nanos / 1000000, 3);
    if (nanos % 1000 == 0)
        return digits_at(o, (unsigned long)nanos / 1000, 6);
    return digits_at(o, (unsigned long)nanos, 9);
}

static int put_nanos(buf *b, int32_t nanos)
{
    char tmp[12];
    return buf_append(b, tmp, (size_t)(nanos_at(tmp, nanos) - tmp));
}

int wkt_timestamp_ok(int64_t sec, int32_t nanos)
{
    return sec >= TS_MIN && sec <= TS_MAX && nanos >= 0 && nanos <= 999999999;
}

int wkt_duration_ok(int64_t sec, int32_t nanos)
{
    return sec >= -DUR_MAX && sec <= DUR_MAX && nanos > -1000000000 && nanos < 1000000000 &&
           !(sec > 0 && nanos < 0) && !(sec < 0 && nanos > 0);
}

int wkt_put_timestamp(buf *b, int64_t sec, int32_t nanos)
{
    if (!wkt_timestamp_ok(sec, nanos))
        return -1;
    int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    int64_t rem = sec - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    char tmp[40], *o = tmp;
    *o++ = '"';
    o = digits_at(o, (unsigned long)y, 4);
    *o++ = '-';
    o = digits_at(o, m, 2);
    *o++ = '-';
    o = digits_at(o, d, 2);
    *o++ = 'T';
    o = digits_at(o, (unsigned long)(rem / 3600), 2);
    *o++ = ':';
    o = digits_at(o, (unsigned long)(rem / 60 % 60), 2);
    *o++ = ':';
    o = digits_at(o, (unsigned long)(rem % 60), 2);
    o = nanos_at(o, nanos);
    *o++ = 'Z';
    *o++ = '"';
    return buf_append(b, tmp, (size_t)(o - tmp));
}

int wkt_parse_duration(const char *s, size_t n, int64_t *sec, int32_t *nanos)
{
    size_t i = 0;
    int neg = 0;
    if (n > 0 && s[0] == '-') {
        neg = 1;
        i++;
    }
    size_t start = i;
    int64_t v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        v = v * 10 + (s[i++] - '0');
        if (v > DUR_MAX)
            return -1;
    }
    if (i == start || fraction(s, n, &i, nanos) < 0 || i + 1 != n || s[i] != 's')
        return -1;
    *sec = neg ? -v : v;
    if (neg)
        *nanos = -*nanos;
    return 0;
}

int wkt_put_duration(buf *b, int64_t sec, int32_t nanos)
{
    if (!wkt_duration_ok(sec, nanos))
        return -1;
    int neg = sec < 0 || nanos < 0;
    uint64_t us = (uint64_t)(sec < 0 ? -sec : sec);
    if (buf_putc(b, '"') < 0 || (neg && buf_putc(b, '-') < 0) || buf_put_i64(b, (int64_t)us) < 0 ||
        put_nanos(b, nanos < 0 ? -nanos : nanos) < 0)
        return -1;
    return buf_append(b, "s\"", 2);
}

int wkt_put_base64(buf *b, const unsigned char *d, size_t n)
{
    if (buf_reserve(b, B64_ENCODED_LEN(n) + 2) < 0)
        return -1;
    char *o = b->p + b->len;
    *o++ = '"';
    o += b64_encode(o, d, n);
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    b->p[b->len] = '\0';
    return 0;
}

/* Shortest %.*e text of v that reads back equal; returns its precision. */
static int shortest_e(double v, int is_float, char *out, size_t outsz)
{
    int maxp = is_float ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(out, outsz, "%.*e", p - 1, v);
        double back = strtod(out, NULL);
        if (is_float ? (float)back == (float)v : back == v)
            return p;
    }
    return maxp;
}

/* Render the digits of a %e text in plain positional form, as Go's 'f'. */
static int put_positional(buf *b, const char *e)
{
    char dig[32];
    int nd = 0, neg = e[0] == '-';
    const char *p = e + neg;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && nd < 31)
            dig[nd++] = *p;
    int exp = (int)strtol(p + 1, NULL, 10);
    if (neg && buf_putc(b, '-') < 0)
        return -1;
    int point = exp + 1; /* digits before the decimal point */
    if (point <= 0) {
        if (buf_append(b, "0.", 2) < 0)
            return -1;
        for (int i = 0; i < -point; i++)
            if (buf_putc(b, '0') < 0)
                return -1;
        return buf_append(b, dig, (size_t)nd);
    }
    for (int i = 0; i < point; i++)
        if (buf_putc(b, i < nd ? dig[i] : '0') < 0)
            return -1;
    if (nd > point &&
        (buf_putc(b, '.') < 0 || buf_append(b, dig + point, (size_t)(nd - point)) < 0))
        return -1;
    return 0;
}

/* A double with at most six decimals and fifteen significant digits
 * (confidences, ratios: nearly every double an event carries) without
 * printf: its decimal r / 10^6 reads back equal, and no shorter decimal
 * can (two decimals of at most 15 digits never round to one double), so
 * it is the text shortest_e would find.  0 when v is not such a number. */
static int put_short_decimal(buf *b, double v)
{
    double a = fabs(v), scaled = a * 1e6;
    if (a < 1e-6 || scaled >= 1e15)
        return 0;
    long long r = llround(scaled);
    if ((double)r / 1e6 != a)
        return 0;
    long long ip = r / 1000000, frac = r % 1000000;
    if ((v < 0 && buf_putc(b, '-') < 0) || buf_put_i64(b, ip) < 0)
        return -1;
    if (frac == 0)
        return 1;
    char d[8];
    int n = 6;
    for (int i = 5; i >= 0; i--, frac /= 10)
        d[i] = (char)('0' + frac % 10);
    while (d[n - 1] == '0')
        n--;
    return buf_putc(b, '.') < 0 || buf_append(b, d, (size_t)n) < 0 ? -1 : 1;
}

int wkt_put_double(buf *b, double v, int is_float)
{
    if (isnan(v))
        return buf_puts(b, "\"NaN\"");
    if (isinf(v))
        return buf_puts(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    if (v == 0)
        return buf_puts(b, signbit(v) ? "-0" : "0");
    int quick = is_float ? 0 : put_short_decimal(b, v);
    if (quick != 0)
        return quick < 0 ? -1 : 0;
    char e[48];
    shortest_e(v, is_float, e, sizeof e);
    double a = fabs(v);
    if (a < 1e-6 || a >= 1e21) {
        /* exponent form like Go: 1e+21, 1e-07 -> 1e-7 */
        char *x = strchr(e, 'e');
        size_t m = (size_t)(x - e);
        char mant[40];
        memcpy(mant, e, m);
        mant[m] = '\0';
        long ex = strtol(x + 1, NULL, 10);
        if (ex < 0)
            return buf_printf(b, "%se-%ld", mant, -ex);
        return buf_printf(b, "%se+%02ld", mant, ex);
    }
    return put_positional(b, e);
}
