/* watch.c - waiting for the followed directory to change.
 *
 * inotify on the directory, not on the file: it covers appends, creations,
 * renames and truncation of every file in it, so a rotation is seen even
 * before the new file is written to.  Events about other files are drained
 * and ignored until the time is up.  When inotify is unavailable (no
 * inotify, directory missing, NFS) follow_wait just sleeps and the caller
 * polls; a watch lost with its directory is set up again on the next
 * wait. */
#include "follow_impl.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "util/clock.h"

void follow_watch_start(follow *f)
{
    if (f->ifd < 0 || f->wd >= 0)
        return;
    f->wd = inotify_add_watch(f->ifd, f->dir,
                              IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                  IN_DELETE_SELF | IN_MOVE_SELF);
}

/* Drain queued events; 1 when one of them concerns the stream. */
static int drain_events(follow *f)
{
    _Alignas(struct inotify_event) char buf[4096];
    int relevant = 0;
    for (;;) {
        ssize_t r = read(f->ifd, buf, sizeof buf);
        if (r <= 0)
            break;
        for (char *p = buf; p < buf + r;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (ev->mask & IN_IGNORED)
                f->wd = -1;
            if (ev->mask & (IN_IGNORED | IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF) ||
                ev->len == 0 || strcmp(ev->name, f->base) == 0 || siblings_is_member(f, ev->name))
                relevant = 1;
            p += sizeof *ev + ev->len;
        }
    }
    return relevant;
}

int follow_wait(follow *f, int ms)
{
    if (ms < 0)
        ms = 0;
    follow_watch_start(f);
    if (f->ifd < 0 || f->wd < 0) {
        if (poll(NULL, 0, ms) < 0 && errno == EINTR)
            return -1;
        return 0;
    }
    uint64_t t0 = mono_ms();
    for (;;) {
        uint64_t spent = mono_ms() - t0;
        long left = spent >= (uint64_t)ms ? 0 : ms - (long)spent;
        struct pollfd p = {.fd = f->ifd, .events = POLLIN};
        int rc = poll(&p, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            return -1;
        if (rc <= 0)
            return 0;
        if (drain_events(f) || f->wd < 0 || left == 0)
            return 0;
    }
}
