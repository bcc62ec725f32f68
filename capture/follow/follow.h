/* follow.h - read a file the way tail -F does, and remember where we were.
 *
 * tetra-capture runs as a sidecar of the Tetragon DaemonSet and reads the
 * export file that Tetragon rotates (tetragon.log renamed with a timestamp,
 * a new tetragon.log created) and may truncate.  A follow reader drains the
 * rotated file to its end before it moves to the new one, restarts at 0 on
 * truncation, and with a state file resumes after a restart at the exact
 * byte where the caller last said it had delivered everything: the state
 * names the file by device and inode, so a file rotated while we were down
 * is found again among its siblings (same directory, name starting with
 * the followed name) as long as it still exists. */
#ifndef TETRA_FOLLOW_H
#define TETRA_FOLLOW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct follow follow;

/* A position in the followed stream: which file and where in it. */
typedef struct follow_pos {
    uint64_t dev, ino;
    uint64_t offset;
} follow_pos;

/* Open path for following.  With state_path (may be NULL) and an existing
 * state file, resume there; otherwise start at the beginning of the file
 * (from_end != 0: at its end, like tail -F -n0).  A missing path is not an
 * error: it is waited for.  Returns NULL with err filled on failure. */
follow *follow_open(const char *path, const char *state_path, int from_end, char *err,
                    size_t errlen);

/* Read up to n new bytes.  Returns the count (> 0), 0 when there is nothing
 * new right now (call follow_wait), or -1 with err filled. */
ssize_t follow_read(follow *f, char *buf, size_t n, char *err, size_t errlen);

/* The position just after the last byte follow_read returned.  One
 * follow_read reads from one file only (it returns at every rotation or
 * truncation), so byte i of a chunk of n bytes lies at
 * {tell.dev, tell.ino, tell.offset - (n - i)}, and a chunk continues the
 * previous one iff its start equals the follow_tell() before the read. */
follow_pos follow_tell(const follow *f);

/* follow_tell() moved back by back bytes, for the end of a record inside
 * the last chunk: valid for back <= the length of that chunk. */
follow_pos follow_tell_back(const follow *f, size_t back);

/* Sleep until there may be new data, at most ms milliseconds.  Returns 0,
 * or -1 when interrupted by a signal (errno EINTR). */
int follow_wait(follow *f, int ms);

/* Persist pos (a position follow_tell returned earlier, after everything
 * before it was delivered) to the state file atomically (temporary file,
 * fsync, rename).  pos must name the current file or one finished since
 * the previous successful save: positions only move forward, and files
 * before the saved one are forgotten.  No-op without a state file or
 * before anything was opened (pos all zero).  Returns 0, or -1 with err filled.  The state format
 * and the resume rules are described atop follow_state.c. */
int follow_save(follow *f, follow_pos pos, char *err, size_t errlen);

/* Bytes read, rotations and truncations seen, for the summary line. */
typedef struct follow_stats {
    uint64_t bytes, rotations, truncations;
} follow_stats;
follow_stats follow_get_stats(const follow *f);

void follow_close(follow *f);

#endif
