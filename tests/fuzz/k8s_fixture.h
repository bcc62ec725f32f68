/* k8s_fixture.h - a tetra-capture --k8s run without a cluster, for the two
 * Kubernetes fuzz targets (capture_k8s_watch.c, capture_k8s_logs.c).
 *
 * The k8s struct and its capture are set up as k8s.c does, minus the API
 * client and the curl multi: the parsers under test are called directly
 * with the bytes a transfer would have delivered.  Events go as canonical
 * JSON into a memory stream the targets can compare. */
#ifndef TETRA_FUZZ_K8S_FIXTURE_H
#define TETRA_FUZZ_K8S_FIXTURE_H

#include <string.h>
#include "fuzz.h"
#include "util/msg.h"
#include "../../capture/k8s/k8s.h"

typedef struct k8s_fixture {
    capture_opts opts;
    capture c;
    k8s k;
    volatile sig_atomic_t stop;
    char *out_text;
    size_t out_len;
    FILE *out_fp;
} k8s_fixture;

/* Set up f for records of at most max_record bytes, following shard
 * shard_i of shard_n (0: all pods). */
static inline void fixture_open(k8s_fixture *f, unsigned long long max_record, unsigned shard_i,
                                unsigned shard_n)
{
    char err[256];
    msg_init("fuzz-k8s", MSG_QUIET);
    memset(f, 0, sizeof(*f));
    f->opts.format = OUTPUT_JSON;
    f->opts.input = FRAMER_JSON;
    f->opts.max_record = max_record;
    f->opts.shard_i = shard_i;
    f->opts.shard_n = shard_n;
    f->opts.state = "/nonexistent/fuzz.state"; /* queue positions; never saved here */
    f->out_fp = open_memstream(&f->out_text, &f->out_len);
    FUZZ_CHECK(f->out_fp != NULL);
    output_conf oc = {OUTPUT_JSON, f->out_fp, NULL, NULL, NULL};
    f->c.opts = &f->opts;
    f->c.out = output_open(&oc, err, sizeof(err));
    FUZZ_CHECK(f->c.out != NULL);
    stats_init(&f->c.st);
    f->c.arena = pj_arena_new();
    FUZZ_CHECK(f->c.arena != NULL);
    f->c.stop = f->c.abort = &f->stop;
    f->k.c = &f->c;
    f->k.ns = "kube-system";
    f->k.selector = "app.kubernetes.io/name=tetragon";
    f->k.container = "export-stdout";
}

/* Flush the output into out_text/out_len. */
static inline void fixture_flush(k8s_fixture *f)
{
    char err[256];
    int failed;
    FUZZ_CHECK(output_flush(f->c.out, NULL, &failed, err, sizeof(err)) == 0 && !failed);
    FUZZ_CHECK(fflush(f->out_fp) == 0);
}

static inline void fixture_close(k8s_fixture *f)
{
    k8s_close(&f->k);
    ckpt_free(&f->c.ckpts);
    output_free(f->c.out);
    pj_arena_free(f->c.arena);
    FUZZ_CHECK(fclose(f->out_fp) == 0);
    free(f->out_text);
}

#endif
