/* kube_state.h - the saved positions of Kubernetes log streams.
 *
 * tetra-capture --k8s --state FILE keeps, per pod (by UID, which a pod
 * re-created under the same name does not share) and container, the
 * position of the last line whose event was delivered: its timestamp and
 * how many lines at that timestamp were delivered (see kube_resume.h).
 * The file is text, one stream a line after a version line:
 *   tetra-capture-k8s-state 1
 *   <uid> <container> <ts-ns> <count> <namespace>/<pod>
 * and is replaced atomically (util/fsutil.h: temporary file, fsync, rename,
 * fsync of the directory), so a crash leaves the old or the new file,
 * never a mix.  Nothing here prints. */
#ifndef TETRA_KUBE_STATE_H
#define TETRA_KUBE_STATE_H

#include <stddef.h>
#include <stdint.h>

#define KUBE_UID_MAX 64
#define KUBE_NAME_MAX 320

typedef struct kube_pos {
    char uid[KUBE_UID_MAX];
    char container[KUBE_NAME_MAX];
    char name[KUBE_NAME_MAX]; /* namespace/pod, for people reading the file */
    int64_t ts;
    uint64_t count;
} kube_pos;

/* Read path.  A missing file is an empty state (0 entries).  Returns 0 with
 * *v (caller frees; NULL when empty) and *n, or -1 with err filled (bad
 * format names the line). */
int kube_state_load(const char *path, kube_pos **v, size_t *n, char *err, size_t errlen);

/* Replace path with the n entries of v.  Returns 0, or -1 with err filled. */
int kube_state_save(const char *path, const kube_pos *v, size_t n, char *err, size_t errlen);

#endif
