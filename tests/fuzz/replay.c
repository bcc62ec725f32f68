/* replay.c - run a fuzz target's inputs without libFuzzer, for make test.
 *
 * Linked with one target as build/{san,obj}/tests/test_fuzz_NAME, which
 * tests/run.sh runs with the unit tests.  Without arguments it feeds every
 * file under tests/fuzz/seeds/NAME and tests/fuzz/regressions/NAME (NAME
 * from its own file name), with arguments those files or folders.  A crash,
 * a sanitizer report or a leak fails the run through the sanitizers
 * themselves; finding no input at all fails too, so a renamed folder
 * cannot turn the replay into a silent pass. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0, got;
    unsigned char *data = malloc(cap);
    while (data != NULL && (got = fread(data + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            unsigned char *more = realloc(data, cap *= 2);
            if (more == NULL)
                free(data);
            data = more;
        }
    }
    int bad = data == NULL || ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "replay: %s: cannot read it\n", path);
        free(data);
        return -1;
    }
    /* an exact-size copy, so ASan sees a read past the input's end */
    unsigned char *exact = malloc(len ? len : 1);
    if (exact == NULL) {
        free(data);
        return -1;
    }
    memcpy(exact, data, len);
    free(data);
    (void)LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 1;
}

/* Feed path, a file or every regular file of a folder (in name order).
 * Returns the number of inputs fed, or -1. */
static int replay_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return replay_file(path);
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort), fed = 0;
    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char file[4096];
        struct stat fst;
        snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name);
        if (names[i]->d_name[0] != '.' && stat(file, &fst) == 0 && S_ISREG(fst.st_mode)) {
            if (replay_file(file) < 0)
                fed = -1;
            else if (fed >= 0)
                fed++;
        }
        free(names[i]);
    }
    free(names);
    return fed;
}

int main(int argc, char **argv)
{
    const char *self = strrchr(argv[0], '/');
    self = self != NULL ? self + 1 : argv[0];
    const char *name = strncmp(self, "test_fuzz_", 10) == 0 ? self + 10 : self;
    char seeds[512], regressions[512];
    snprintf(seeds, sizeof(seeds), "tests/fuzz/seeds/%s", name);
    snprintf(regressions, sizeof(regressions), "tests/fuzz/regressions/%s", name);
    char *defaults[] = {seeds, regressions};
    char **paths = argc > 1 ? argv + 1 : defaults;
    int npaths = argc > 1 ? argc - 1 : 2, total = 0;
    for (int i = 0; i < npaths; i++) {
        struct stat st;
        if (argc == 1 && stat(paths[i], &st) < 0 && errno == ENOENT)
            continue; /* a target may have no regressions yet */
        int fed = replay_path(paths[i]);
        if (fed < 0)
            return 1;
        printf("%s: %d inputs from %s\n", name, fed, paths[i]);
        total += fed;
    }
    if (total == 0) {
        fprintf(stderr, "replay: %s: no inputs found (run from the source tree's top)\n", name);
        return 1;
    }
    printf("%s: %d inputs replayed, no finding\n", name, total);
    return 0;
}
