/* kube_resume.h - resuming a Kubernetes log stream without gap or duplicate.
 *
 * With timestamps=true every log line starts with the time the container
 * runtime stamped on it ("2026-11-26T23:44:58.123456789Z " then the line).
 * A reader remembers the newest timestamp it passed on and how many lines
 * carried exactly that timestamp.  On reconnect it asks for sinceTime = that
 * time, but the API server forwards sinceTime at whole seconds and the
 * kubelet keeps lines >= it, so lines come again: every line older than the
 * remembered time is dropped, and of the lines at exactly that time the
 * first `count` are dropped too (they are the ones already passed on; the
 * runtime writes them in order).  A line without a timestamp cannot be
 * placed and is passed on as it is.  Nothing here prints or allocates. */
#ifndef TETRA_KUBE_RESUME_H
#define TETRA_KUBE_RESUME_H

#include <stddef.h>
#include <stdint.h>

/* Where a stream stands: the newest timestamp passed on (nanoseconds since
 * the epoch) and how many lines with that timestamp were passed on; count
 * 0 means nothing yet.  seen counts the lines at ts met on the current
 * connection. */
typedef struct kube_resume {
    int64_t ts;
    uint64_t count;
    uint64_t seen;
} kube_resume;

/* Parse an RFC 3339 time (UTC "Z" or a +hh:mm offset, fraction of up to 9
 * digits) at the start of s (n bytes) into *ns.  Returns the bytes it used,
 * or 0 when s does not start with such a time. */
size_t kube_time_parse(const char *s, size_t n, int64_t *ns);

/* Split a timestamped log line (without its newline) into its time and the
 * text after the one space that follows it.  Returns 0, or -1 when the line
 * has no leading timestamp (*text and *textlen are then the whole line). */
int kube_log_split(const char *line, size_t n, int64_t *ts, const char **text, size_t *textlen);

/* A new connection starts: lines at the remembered time are counted anew. */
void kube_resume_reconnect(kube_resume *r);

/* Should the line stamped ts be passed on?  Returns 1 (and moves the
 * position past it) or 0 (already passed on before: drop it). */
int kube_resume_accept(kube_resume *r, int64_t ts);

/* The sinceTime query value for resuming at r: its time floored to the
 * second, "YYYY-MM-DDTHH:MM:SSZ".  Empty string when count is 0 (start at
 * the beginning).  Returns 0, or -1 when out is too small. */
int kube_resume_since(const kube_resume *r, char *out, size_t n);

/* Format ns as RFC 3339 with nine fraction digits. Returns 0 or -1. */
int kube_time_format(int64_t ns, char *out, size_t n);

#endif
