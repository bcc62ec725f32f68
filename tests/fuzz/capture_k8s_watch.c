/* capture_k8s_watch.c - fuzz target: the Kubernetes pod watch parser
 * (capture/k8s/k8s_watch.c, k8s_watch_event), one JSON event a line.
 *
 * The API server's answers, or whatever a proxy in front of it returns,
 * decide which pods tetra-capture follows.  Byte 0 picks the shard
 * setting (none, 1 of 2, 2 of 3, ...); the rest is the watch body.  Checks
 * besides the sanitizers: a pod uid has at most one live slot, a pod on
 * its way out is not followed again, and the remembered resourceVersion is
 * a bounded string. */
#include "k8s_fixture.h"

static void check_pods(const k8s *k)
{
    FUZZ_CHECK(memchr(k->rv, '\0', sizeof(k->rv)) != NULL);
    for (size_t i = 0; i < k->npods; i++) {
        const k8s_pod *p = k->pods[i];
        FUZZ_CHECK(p->slot == i);
        if (!p->used)
            continue;
        FUZZ_CHECK(p->in != NULL);
        FUZZ_CHECK(!p->wanted || p->close_at == 0);
        for (size_t j = i + 1; j < k->npods; j++)
            FUZZ_CHECK(!k->pods[j]->used || strcmp(k->pods[j]->uid, p->uid) != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned shard_n = data[0] % 4, shard_i = shard_n ? (data[0] >> 2) % shard_n : 0;
    k8s_fixture f;
    fixture_open(&f, 1 << 20, shard_i, shard_n);
    const char *at = (const char *)data + 1, *end = (const char *)data + size;
    while (at < end) {
        const char *nl = memchr(at, '\n', (size_t)(end - at));
        size_t len = nl != NULL ? (size_t)(nl - at) : (size_t)(end - at);
        FUZZ_CHECK(k8s_watch_event(&f.k, at, len) == 0);
        check_pods(&f.k);
        at += len + 1;
    }
    fixture_close(&f);
    return 0;
}
