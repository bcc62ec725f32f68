/* test_enrich_flow.c - the concurrent record path: records needing no call
 * leave at once while others wait, one request per behaviour however many
 * records wait for it (single flight), requests side by side up to the
 * concurrency, input order kept when asked, --max-pending filling up and
 * emptying, dropped lanes, and the commit floor a Kafka mode derives from
 * the emits.
 *
 * The LLM is a small threaded HTTP server in this process that answers
 * every request with one valid finding after a delay and counts the
 * requests and the most it had in flight at once; the real model is
 * exercised by tests/integration/50_enrich_*.sh. */
#define _GNU_SOURCE /* strcasestr */
#include <check.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "util/msg.h"
#include "kafka/offsets.h"
#include "../../enrich/flow.h"

/* --- the stub LLM --------------------------------------------------------------- */

static const char reply_body[] =
    "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":"
    "\"{\\\"summary\\\":\\\"Stub reply.\\\",\\\"severity\\\":\\\"high\\\",\\\"techniques\\\":"
    "[{\\\"id\\\":\\\"T1059.004\\\",\\\"name\\\":\\\"Unix Shell\\\",\\\"tactic\\\":\\\"execution\\\"}],"
    "\\\"indicators\\\":[\\\"stub\\\"],\\\"next_steps\\\":[\\\"none\\\"],\\\"confidence\\\":0.5}\"}}],"
    "\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":10}}";

static struct {
    int lfd, port, delay_ms;
    pthread_mutex_t mu;
    int served, inflight, max_inflight;
} stub = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Read one request: headers, then Content-Length bytes of body. */
static int read_request(int fd)
{
    char req[1 << 16];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, req + n, sizeof req - 1 - n);
        if (r <= 0)
            return -1;
        n += (size_t)r;
        req[n] = 0;
        char *end = strstr(req, "\r\n\r\n");
        char *cl = strcasestr(req, "content-length:");
        if (end && cl && n >= (size_t)(end + 4 - req) + strtoul(cl + 15, NULL, 10))
            return 0;
        if (n == sizeof req - 1)
            return -1;
    }
}

static void *answer(void *arg)
{
    int fd = (int)(intptr_t)arg;
    if (read_request(fd) == 0) {
        pthread_mutex_lock(&stub.mu);
        stub.served++;
        if (++stub.inflight > stub.max_inflight)
            stub.max_inflight = stub.inflight;
        pthread_mutex_unlock(&stub.mu);
        usleep((useconds_t)stub.delay_ms * 1000);
        pthread_mutex_lock(&stub.mu);
        stub.inflight--;
        pthread_mutex_unlock(&stub.mu);
        char head[256];
        int hl = snprintf(head, sizeof head,
                          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                          strlen(reply_body));
        if (write(fd, head, (size_t)hl) < 0 || write(fd, reply_body, strlen(reply_body)) < 0) {
        }
    }
    close(fd);
    return NULL;
}

static void *serve(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(stub.lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        pthread_t t;
        if (pthread_create(&t, NULL, answer, (void *)(intptr_t)fd) == 0)
            pthread_detach(t);
        else
            close(fd);
    }
}

static void stub_start(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    stub.lfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(stub.lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(stub.lfd, 64), 0);
    ck_assert_int_eq(getsockname(stub.lfd, (struct sockaddr *)&sa, &sl), 0);
    stub.port = ntohs(sa.sin_port);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, serve, NULL), 0);
    pthread_detach(t);
}

static void stub_reset(int delay_ms)
{
    pthread_mutex_lock(&stub.mu);
    stub.served = stub.max_inflight = 0;
    stub.delay_ms = delay_ms;
    pthread_mutex_unlock(&stub.mu);
}

static int stub_served(void)
{
    pthread_mutex_lock(&stub.mu);
    int n = stub.served;
    pthread_mutex_unlock(&stub.mu);
    return n;
}

/* --- the flow under test ------------------------------------------------------------ */

#define MAX_OUT 64

typedef struct sink {
    flow_tag tags[MAX_OUT];
    int status[MAX_OUT];
    size_t n;
    offsets *offs; /* when set: an emit finishes its record there */
} sink;

static int emit(void *ctx, flow_tag tag, Tetragonsidekick__EnrichedEvent *ee)
{
    sink *s = ctx;
    ck_assert_uint_lt(s->n, MAX_OUT);
    s->tags[s->n] = tag;
    s->status[s->n++] = ee ? (int)ee->enrichment->llm_status : -1;
    if (s->offs)
        offsets_done(s->offs, tag.lane, tag.off);
    return 0;
}

static int no_read(void *ctx, flow *f, int wait_ms)
{
    (void)ctx, (void)f, (void)wait_ms;
    return 0;
}

static int no_tick(void *ctx, flow *f)
{
    (void)ctx, (void)f;
    return 0;
}

static const flow_io test_io = {.read = no_read, .emit = emit, .tick = no_tick};

static char url[64];
static engine *eng;

static engine *engine_at(unsigned concurrency)
{
    char err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", stub.port);
    engine_conf c = {.use_llm = 1,
                     .model = "stub",
                     .max_tokens = 100,
                     .min_severity = SEV_MEDIUM,
                     .cache_max = 100,
                     .breaker_failures = 3,
                     .breaker_cooldown_ms = 1000,
                     .llm = {.url = url,
                             .timeout_ms = 10000,
                             .connect_timeout_ms = 2000,
                             .backoff_ms = 10,
                             .max_wait_ms = 1000,
                             .concurrency = concurrency}};
    engine *e = engine_new(&c, err, sizeof err);
    ck_assert_msg(e != NULL, "%s", err);
    return e;
}

/* Add the scenario event name (its pid replaced, so copies differ) on lane,
 * offset off. */
static void add(flow *f, const char *name, int pid, int32_t lane, int64_t off)
{
    char path[512], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/tests/fixtures/scenarios/%s.json",
             getenv("ROOT") ? getenv("ROOT") : ".", name);
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    ck_assert_int_ne(getdelim(&text, &len, '\0', fp), -1);
    fclose(fp);
    char *p = strstr(text, "\"pid\":4242");
    if (p) {
        char num[8];
        snprintf(num, sizeof num, "%04d", 1000 + pid % 9000); /* no leading zero */
        memcpy(p + 6, num, 4);
    }
    tetra_event *ev;
    const char *reason;
    pj_error perr;
    pj_arena *a = flow_arena(f);
    ck_assert_ptr_nonnull(a);
    int rc = event_from_json(a, text, strlen(text), &ev, &reason, &perr, NULL);
    ck_assert_msg(rc == 0, "%s: %s: %s %s", name, reason, perr.path, perr.msg);
    free(text);
    ck_assert_int_eq(flow_add(f, (flow_tag){.lane = lane, .off = off}, ev), 0);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Step until nothing is held (or 10 s). */
static void settle(flow *f)
{
    uint64_t end = now_ms() + 10000;
    while (flow_held(f) > 0 && now_ms() < end)
        ck_assert_int_eq(flow_step(f, 50), 0);
    ck_assert_uint_eq(flow_held(f), 0);
}

static flow *flow_at(engine *e, size_t max_pending, int ordered, sink *s)
{
    flow_conf fc = {.max_pending = max_pending, .ordered = ordered, .wake_fd = -1};
    flow *f = flow_new(e, &fc, &test_io, s);
    ck_assert_ptr_nonnull(f);
    return f;
}

/* check runs each test in a child process, which has none of the
 * parent's threads: the server starts in the test's own process. */
static void setup(void)
{
    stub_start();
    stub_reset(200);
    eng = engine_at(4);
}

static void teardown(void)
{
    engine_free(eng);
    eng = NULL;
}

#define OK TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_OK
#define SKIPPED TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_SKIPPED_POLICY
#define CACHED TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_CACHED

START_TEST(no_call_leaves_at_once)
{
    sink s = {0};
    flow *f = flow_at(eng, 16, 0, &s);
    add(f, "shadow-read", 1, 0, 0);  /* high: asks the LLM */
    add(f, "normal-start", 2, 0, 1); /* info: rules only */
    ck_assert_uint_eq(s.n, 1);       /* out before any step */
    ck_assert_int_eq(s.tags[0].off, 1);
    ck_assert_int_eq(s.status[0], SKIPPED);
    ck_assert_uint_eq(flow_held(f), 1);
    settle(f);
    ck_assert_uint_eq(s.n, 2);
    ck_assert_int_eq(s.tags[1].off, 0);
    ck_assert_int_eq(s.status[1], OK);
    flow_free(f);
}
END_TEST

START_TEST(single_flight)
{
    sink s = {0};
    flow *f = flow_at(eng, 16, 0, &s);
    for (int i = 0; i < 6; i++)
        add(f, "shadow-read", 100 + i, 0, i);
    settle(f);
    ck_assert_int_eq(stub_served(), 1);
    ck_assert_uint_eq(s.n, 6);
    for (size_t i = 0; i < s.n; i++)
        ck_assert_int_eq(s.status[i], OK);
    add(f, "shadow-read", 200, 0, 6); /* answered: now from the cache */
    ck_assert_uint_eq(s.n, 7);
    ck_assert_int_eq(s.status[6], CACHED);
    ck_assert_int_eq(stub_served(), 1);
    flow_free(f);
}
END_TEST

static const char *const distinct[] = {"shadow-read",     "reverse-shell-nc", "miner",
                                       "network-scanner", "curl-pipe-sh",     "kernel-module",
                                       "nsenter-host",    "ld-preload"};

START_TEST(side_by_side)
{
    sink s = {0};
    flow *f = flow_at(eng, 16, 0, &s);
    uint64_t t0 = now_ms();
    for (int i = 0; i < 8; i++)
        add(f, distinct[i], i, 0, i);
    settle(f);
    uint64_t took = now_ms() - t0;
    ck_assert_int_eq(stub_served(), 8);
    ck_assert_int_eq(stub.max_inflight, 4); /* the concurrency, no more */
    ck_assert_msg(took < 8 * 200, "8 calls of 200 ms took %llu ms: not side by side",
                  (unsigned long long)took);
    flow_free(f);
}
END_TEST

START_TEST(ordered_keeps_input_order)
{
    sink s = {0};
    flow *f = flow_at(eng, 16, 1, &s);
    add(f, "normal-start", 1, 0, 0);
    add(f, "shadow-read", 2, 0, 1);
    add(f, "normal-start", 3, 0, 2);
    ck_assert_uint_eq(s.n, 1); /* record 2 waits behind record 1 */
    settle(f);
    ck_assert_uint_eq(s.n, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(s.tags[i].off, i);
    flow_free(f);
}
END_TEST

/* Ordered per lane (transactions): a record waiting for the LLM holds
 * back the records behind it in its own partition only; a dropped lane's
 * held records never leave and do not hold anything back. */
START_TEST(ordered_per_lane)
{
    sink s = {0};
    flow *f = flow_at(eng, 16, 1, &s);
    add(f, "shadow-read", 1, 0, 0); /* lane 0 waits for the LLM */
    add(f, "normal-start", 2, 0, 1);
    add(f, "normal-start", 3, 1, 0); /* lane 1 is not held back */
    add(f, "normal-start", 4, 1, 1);
    ck_assert_uint_eq(s.n, 2);
    ck_assert_int_eq(s.tags[0].lane, 1);
    ck_assert_int_eq(s.tags[1].lane, 1);
    ck_assert_int_eq(s.tags[1].off, 1);
    add(f, "miner", 5, 2, 0); /* lane 2 waits, then is dropped */
    add(f, "normal-start", 6, 2, 1);
    flow_drop(f, 2);
    settle(f);
    ck_assert_uint_eq(s.n, 4);
    ck_assert_int_eq(s.tags[2].lane, 0);
    ck_assert_int_eq(s.tags[2].off, 0);
    ck_assert_int_eq(s.tags[3].off, 1);
    add(f, "normal-start", 7, 2, 0); /* the lane works again after the drop */
    ck_assert_uint_eq(s.n, 5);
    ck_assert_uint_eq(flow_held(f), 0);
    flow_free(f);
}
END_TEST

START_TEST(max_pending_fills_and_empties)
{
    sink s = {0};
    flow *f = flow_at(eng, 2, 0, &s);
    add(f, "shadow-read", 1, 0, 0);
    ck_assert(!flow_full(f));
    add(f, "miner", 2, 0, 1);
    ck_assert(flow_full(f));
    ck_assert_ptr_null(flow_arena(f));
    settle(f);
    ck_assert(!flow_full(f));
    add(f, "normal-start", 3, 0, 2);
    ck_assert_uint_eq(s.n, 3);
    flow_free(f);
}
END_TEST

START_TEST(dropped_lane_not_emitted_but_cached)
{
    sink s = {0};
    flow *f = flow_at(eng, 16, 0, &s);
    add(f, "shadow-read", 1, 1, 10);
    add(f, "miner", 2, 2, 20);
    flow_drop(f, 1);
    ck_assert_uint_eq(flow_held(f), 1);
    settle(f);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_int_eq(s.tags[0].lane, 2);
    while (stub_served() < 2)
        ck_assert_int_eq(flow_step(f, 50), 0);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(flow_step(f, 20), 0);
    add(f, "shadow-read", 3, 2, 21); /* the dropped record's answer is in the cache */
    ck_assert_uint_eq(s.n, 2);
    ck_assert_int_eq(s.status[1], CACHED);
    flow_free(f);
}
END_TEST

/* At-least-once Kafka: a partition commits up to its oldest unfinished
 * record, whatever finished after it. */
START_TEST(commit_floor)
{
    sink s = {.offs = offsets_new()};
    int32_t parts[4];
    int64_t offs[4];
    flow *f = flow_at(eng, 16, 0, &s);
    const char *names[] = {"normal-start", "shadow-read", "normal-start", "normal-start"};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(offsets_read(s.offs, 0, i), 0);
        add(f, names[i], i, 0, i);
    }
    ck_assert_uint_eq(s.n, 3);
    ck_assert_uint_eq(offsets_pending_commits(s.offs, parts, offs, 4), 1);
    ck_assert_int_eq(offs[0], 1); /* offset 1 waits for the LLM */
    offsets_committed(s.offs, 0, 1);
    settle(f);
    ck_assert_uint_eq(offsets_pending_commits(s.offs, parts, offs, 4), 1);
    ck_assert_int_eq(offs[0], 4);
    flow_free(f);
    offsets_free(s.offs);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, no_call_leaves_at_once);
    tcase_add_test(tc, single_flight);
    tcase_add_test(tc, side_by_side);
    tcase_add_test(tc, ordered_keeps_input_order);
    tcase_add_test(tc, ordered_per_lane);
    tcase_add_test(tc, max_pending_fills_and_empties);
    tcase_add_test(tc, dropped_lane_not_emitted_but_cached);
    tcase_add_test(tc, commit_floor);
}

int main(void)
{
    msg_init("test_enrich_flow", MSG_QUIET);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = check_main("enrich_flow", add_tests);
    curl_global_cleanup();
    return rc;
}
