/* input.h - where tetra-capture's bytes come from: stdin, a file, a
 * followed file, or (by name only) a Kubernetes log stream.
 *
 * The backends sit behind one const table of functions so the record loop
 * does not care which one it reads; only a followed file has positions
 * worth saving, and it says so through input_tell(). */
#ifndef CAPTURE_INPUT_H
#define CAPTURE_INPUT_H

#include <stddef.h>
#include <sys/types.h>
#include "follow/follow.h"

typedef struct input input;

/* A file, or stdin for "-".  NULL with err filled on failure. */
input *input_open_file(const char *path, char *err, size_t errlen);
/* A file followed like tail -F, resuming from state_path when given. */
input *input_open_follow(const char *path, const char *state_path, int from_end, char *err,
                         size_t errlen);

/* A source whose bytes are read elsewhere (a Kubernetes log stream): it
 * only names its records in messages and dead letters.  name is not copied
 * and must outlive the input; reads return 0. */
input *input_open_named(const char *name, char *err, size_t errlen);

/* Read up to n bytes.  Returns > 0; 0 at the end of a plain file or when a
 * followed file has nothing new (see input_wait); -1 with err filled, or
 * with errno EINTR when a signal arrived. */
ssize_t input_read(input *in, char *buf, size_t n, char *err, size_t errlen);

/* Followed file: wait at most ms for new data.  Plain files return at once. */
void input_wait(input *in, int ms);

/* 1 when the input is followed (positions and waiting make sense). */
int input_follows(const input *in);

/* Followed file: the position just after the last byte read. */
follow_pos input_tell(const input *in);

/* Followed file: persist pos.  No-op otherwise.  Returns 0 or -1. */
int input_save(input *in, follow_pos pos, char *err, size_t errlen);

/* Followed file: rotations and truncations seen so far (0 otherwise). */
follow_stats input_stats(const input *in);

/* Name for messages: the path, or "-" for stdin. */
const char *input_name(const input *in);

void input_close(input *in);

#endif
