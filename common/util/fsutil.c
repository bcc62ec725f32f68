/* fsutil.c - whole reads and writes, and atomic file replacement (see
 * fsutil.h). */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fs_write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

ssize_t fs_pread_full(int fd, void *buf, size_t n, off_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

int fs_fsync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (!dir)
        return errno = ENOMEM, -1;
    memcpy(dir, slash ? path : ".", n);
    dir[n] = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* Write and sync the temporary; on failure it is removed and errno kept. */
static int write_tmp(const char *tmp, const void *data, size_t len)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int rc = fs_write_all(fd, data, len) == 0 && fsync(fd) == 0 ? 0 : -1;
    int e = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc != 0)
        unlink(tmp);
    errno = e;
    return rc;
}

int fs_replace_file(const char *path, const void *data, size_t len, const char *what, char *err,
                    size_t errlen)
{
    size_t tl = strlen(path) + sizeof FS_TMP_SUFFIX;
    char *tmp = malloc(tl);
    if (!tmp) {
        snprintf(err, errlen, "out of memory writing %s %s", what, path);
        return -1;
    }
    snprintf(tmp, tl, "%s" FS_TMP_SUFFIX, path);
    int rc = -1;
    if (write_tmp(tmp, data, len) != 0)
        snprintf(err, errlen, "cannot write %s %s: %s", what, tmp, strerror(errno));
    else if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot rename %s %s to %s: %s", what, tmp, path, strerror(errno));
        unlink(tmp);
    } else if (fs_fsync_dir_of(path) != 0)
        snprintf(err, errlen, "cannot sync the directory of %s %s: %s", what, path,
                 strerror(errno));
    else
        rc = 0;
    free(tmp);
    return rc;
}
