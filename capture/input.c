/* input.c - plain file/stdin, followed-file and named (k8s) input backends. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct input_ops {
    ssize_t (*read)(input *in, char *buf, size_t n, char *err, size_t errlen);
    void (*close)(input *in);
} input_ops;

struct input {
    const input_ops *ops;
    const char *name;
    int fd;
    follow *fl;
};

/* Signals are installed with SA_RESTART (so a write to a full pipe is not
 * cut short), which would also restart a read blocked on an idle pipe; poll
 * is never restarted, so waiting there lets a signal stop the loop. */
static ssize_t plain_read(input *in, char *buf, size_t n, char *err, size_t errlen)
{
    struct pollfd pfd = {in->fd, POLLIN, 0};
    if (poll(&pfd, 1, -1) < 0) {
        if (errno != EINTR)
            snprintf(err, errlen, "%s: %s", in->name, strerror(errno));
        return -1;
    }
    ssize_t r = read(in->fd, buf, n);
    if (r < 0 && errno != EINTR)
        snprintf(err, errlen, "%s: %s", in->name, strerror(errno));
    return r;
}

static void plain_close(input *in)
{
    if (in->fd > 0)
        close(in->fd);
}

static ssize_t follow_rd(input *in, char *buf, size_t n, char *err, size_t errlen)
{
    return follow_read(in->fl, buf, n, err, errlen);
}

static void follow_cl(input *in)
{
    follow_close(in->fl);
}

static ssize_t named_read(input *in, char *buf, size_t n, char *err, size_t errlen)
{
    (void)in, (void)buf, (void)n, (void)err, (void)errlen;
    return 0;
}

static void named_close(input *in)
{
    (void)in;
}

static const input_ops plain_ops = {plain_read, plain_close};
static const input_ops named_ops = {named_read, named_close};
static const input_ops follow_ops = {follow_rd, follow_cl};

input *input_open_file(const char *path, char *err, size_t errlen)
{
    input *in = calloc(1, sizeof(*in));
    if (in == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    in->ops = &plain_ops;
    in->name = path;
    in->fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (in->fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        free(in);
        return NULL;
    }
    return in;
}

input *input_open_named(const char *name, char *err, size_t errlen)
{
    input *in = calloc(1, sizeof(*in));
    if (in == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    in->ops = &named_ops;
    in->name = name;
    in->fd = -1;
    return in;
}

input *input_open_follow(const char *path, const char *state_path, int from_end, char *err,
                         size_t errlen)
{
    input *in = calloc(1, sizeof(*in));
    if (in == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    in->ops = &follow_ops;
    in->name = path;
    in->fd = -1;
    in->fl = follow_open(path, state_path, from_end, err, errlen);
    if (in->fl == NULL) {
        free(in);
        return NULL;
    }
    return in;
}

ssize_t input_read(input *in, char *buf, size_t n, char *err, size_t errlen)
{
    return in->ops->read(in, buf, n, err, errlen);
}

void input_wait(input *in, int ms)
{
    if (in->fl != NULL)
        (void)follow_wait(in->fl, ms); /* EINTR: the caller checks its stop flag */
}

int input_follows(const input *in)
{
    return in->fl != NULL;
}

follow_pos input_tell(const input *in)
{
    follow_pos none = {0, 0, 0};
    return in->fl != NULL ? follow_tell(in->fl) : none;
}

int input_save(input *in, follow_pos pos, char *err, size_t errlen)
{
    return in->fl != NULL ? follow_save(in->fl, pos, err, errlen) : 0;
}

follow_stats input_stats(const input *in)
{
    follow_stats none = {0, 0, 0};
    return in->fl != NULL ? follow_get_stats(in->fl) : none;
}

const char *input_name(const input *in)
{
    return in->name;
}

void input_close(input *in)
{
    if (in == NULL)
        return;
    in->ops->close(in);
    free(in);
}
