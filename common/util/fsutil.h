/* fsutil.h - whole reads and writes on file descriptors, and replacing a
 * small file so that a crash leaves the old or the new one, never a mix.
 *
 * The state files of tetra-capture (--follow and --k8s) name a position
 * that was delivered; a torn or lost state file would make a restart skip
 * or repeat events.  fs_replace_file is the one way they are written: the
 * new text goes to PATH.tmp, is fsync'ed, renamed over PATH, and the
 * directory is fsync'ed so the rename itself survives a power cut.  Short
 * reads and writes and EINTR are absorbed here so callers see all or an
 * error.  Nothing here prints. */
#ifndef TETRA_FSUTIL_H
#define TETRA_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* The suffix of the temporary file fs_replace_file writes beside path. */
#define FS_TMP_SUFFIX ".tmp"

/* Write all n bytes of p to fd.  Returns 0, or -1 with errno set. */
int fs_write_all(int fd, const void *p, size_t n);

/* Read n bytes at off into buf, fewer only at end of file.  Returns the
 * count, or -1 with errno set. */
ssize_t fs_pread_full(int fd, void *buf, size_t n, off_t off);

/* fsync the directory that holds path (".", "/" or its parent).  Returns
 * 0, or -1 with errno set. */
int fs_fsync_dir_of(const char *path);

/* Replace path with the len bytes of data atomically: write
 * path FS_TMP_SUFFIX (mode 0644), fsync it, rename it over path, fsync
 * the directory.  what names the file in messages ("state file").
 * Returns 0, or -1 with err filled; the temporary is removed on failure
 * and path then still holds its old content (unless only the directory
 * sync failed: then the new content is in place but maybe not durable). */
int fs_replace_file(const char *path, const void *data, size_t len, const char *what, char *err,
                    size_t errlen);

#endif
