/* test_sink_bulk.c - per-item results, retries and fatal refusals of the
 * bulk engine, against a small scripted HTTP server in a child process.
 *
 * OpenSearch cannot be made to answer 429 or 503 for one item on demand,
 * so the answers here are scripted; the real cluster is exercised by
 * tests/integration/40_sink_*.sh.  The server inflates the gzip body and
 * checks the number of documents each request carried, so a wrong batch
 * shows up as a failure, not as a silent pass. */
#include <check.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "check_main.h"
#include "util/msg.h"
#include "../../sink/bulk.h"

typedef struct answer {
    size_t docs; /* documents the request must carry */
    int status;
    const char *body;
    const char *header; /* a header line the request must carry, or NULL */
    int delay_ms;       /* wait this long before answering */
} answer;

static size_t inflate_lines(const char *in, size_t n)
{
    static unsigned char out[1 << 20];
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return 0;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = sizeof out;
    int r = inflate(&z, Z_FINISH);
    size_t len = sizeof out - z.avail_out;
    inflateEnd(&z);
    if (r != Z_STREAM_END)
        return 0;
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += out[i] == '\n';
    return lines;
}

static char last_head[8192];

/* Read one request; return its body length in *blen (body in b) and keep
 * its header lines in last_head. */
static int read_request(int fd, char *b, size_t cap, size_t *blen)
{
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        ssize_t r = read(fd, b + have, cap - have - 1);
        if (r <= 0)
            return -1;
        have += (size_t)r;
        b[have] = 0;
        end = strstr(b, "\r\n\r\n");
    }
    const char *cl = strstr(b, "Content-Length:");
    size_t len = cl ? strtoul(cl + 15, NULL, 10) : 0;
    size_t head = (size_t)(end + 4 - b);
    snprintf(last_head, sizeof last_head, "%.*s", (int)head, b);
    while (have < head + len) {
        ssize_t r = read(fd, b + have, cap - have);
        if (r <= 0)
            return -1;
        have += (size_t)r;
    }
    memmove(b, b + head, len);
    *blen = len;
    return 0;
}

static void serve(int lfd, const answer *script, size_t n)
{
    static char req[1 << 20];
    size_t k = 0;
    while (k < n) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            _exit(1);
        size_t blen;
        while (k < n && read_request(fd, req, sizeof req, &blen) == 0) {
            const answer *a = &script[k++];
            size_t docs = inflate_lines(req, blen) / 2;
            int right = docs == a->docs && (!a->header || strstr(last_head, a->header));
            int st = right ? a->status : 400;
            const char *body = right ? a->body : "{\"error\":\"wrong batch or header\"}";
            if (a->delay_ms)
                usleep((useconds_t)a->delay_ms * 1000);
            char head[256];
            int hl = snprintf(head, sizeof head,
                              "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                              "Content-Length: %zu\r\n\r\n",
                              st, strlen(body));
            if (write(fd, head, (size_t)hl) < 0 || write(fd, body, strlen(body)) < 0)
                break;
        }
        close(fd);
    }
    _exit(0);
}

static pid_t start_server(const answer *script, size_t n, char *url, size_t urlsz)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(lfd, 8), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(url, urlsz, "http://127.0.0.1:%d", ntohs(sa.sin_port));
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        serve(lfd, script, n);
    close(lfd);
    return pid;
}

typedef struct seen {
    int indexed, dup, rejected;
    char reason[512];
    int64_t offs[16];
    int n;
} seen;

static void on_done(void *opaque, const bulk_result *r)
{
    seen *s = opaque;
    if (r->outcome == BULK_INDEXED)
        s->indexed++;
    if (r->outcome == BULK_DUPLICATE)
        s->dup++;
    if (r->outcome == BULK_REJECTED) {
        s->rejected++;
        snprintf(s->reason, sizeof s->reason, "%s", r->reason);
    }
    s->offs[s->n++ & 15] = r->off;
}

static http_conf hc;

static long linger = 10000;

static bulk *engine(const char *url, seen *s, int inflight)
{
    bulk_conf c = {url, &hc, 4, 1 << 20, linger, inflight, 1, 20, 100, 1000, on_done, s, NULL};
    char err[256];
    hc.timeout_ms = 5000;
    bulk *b = bulk_new(&c, err, sizeof err);
    ck_assert_msg(b != NULL, "%s", err);
    return b;
}

static void add4(bulk *b)
{
    for (int i = 0; i < 4; i++) {
        char line[128];
        int n =
            snprintf(line, sizeof line, "{\"create\":{\"_index\":\"i\",\"_id\":\"%d\"}}\n{}\n", i);
        ck_assert_int_eq(bulk_add(b, line, (size_t)n, 0, i), 0);
    }
}

/* Pump until nothing is pending or the deadline passes. */
static int run(bulk *b, int ms, char *err, size_t n)
{
    int64_t end = bulk_now_ms() + ms;
    while (bulk_pending(b) && bulk_now_ms() < end)
        if (bulk_pump(b, 20, 1, -1, err, n) < 0)
            return -1;
    return 0;
}

/* Warnings go to stderr; these send it to a temporary file for a while
 * and read back what was written, so a test can count them. */
static FILE *capture_begin(int *saved)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    fflush(stderr);
    *saved = dup(2);
    ck_assert_int_ge(dup2(fileno(f), 2), 0);
    return f;
}

static void capture_end(FILE *f, int saved, char *out, size_t n)
{
    fflush(stderr);
    ck_assert_int_ge(dup2(saved, 2), 0);
    close(saved);
    rewind(f);
    size_t k = fread(out, 1, n - 1, f);
    out[k] = 0;
    fclose(f);
    fputs(out, stderr); /* still visible in the test log */
}

static int occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

START_TEST(per_item_outcomes)
{
    const answer script[] = {
        {4, 200,
         "{\"errors\":true,\"items\":[{\"create\":{\"status\":201}},"
         "{\"create\":{\"status\":409,\"error\":{\"type\":\"version_conflict_engine_exception\"}}},"
         "{\"create\":{\"status\":429,\"error\":{\"type\":\"es_rejected_execution_exception\"}}},"
         "{\"create\":{\"status\":400,\"error\":{\"type\":\"mapper_parsing_exception\","
         "\"reason\":\"failed to parse field [source.ip]\"}}}]}",
         NULL, 0},
        {1, 200, "{\"errors\":false,\"items\":[{\"create\":{\"status\":201}}]}", NULL, 0},
    };
    char url[64], err[256];
    pid_t pid = start_server(script, 2, url, sizeof url);
    seen s = {0};
    bulk *b = engine(url, &s, 1);
    add4(b);
    ck_assert_int_eq(run(b, 5000, err, sizeof err), 0);
    ck_assert_uint_eq(bulk_pending(b), 0);
    ck_assert_int_eq(s.indexed, 2);
    ck_assert_int_eq(s.dup, 1);
    ck_assert_int_eq(s.rejected, 1);
    ck_assert_ptr_nonnull(strstr(s.reason, "mapper_parsing_exception: failed to parse field"));
    ck_assert_int_eq(s.offs[3], 2); /* the 429 item finished last, after its retry */
    bulk_free(b);
    waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(whole_request_retried)
{
    const answer script[] = {
        {4, 503, "{\"error\":\"unavailable\",\n\"status\":503}", NULL, 0},
        {4, 429, "{\"error\":\"busy\"}", NULL, 0},
        {4, 200,
         "{\"errors\":false,\"items\":[{\"create\":{\"status\":201}},{\"create\":"
         "{\"status\":201}},{\"create\":{\"status\":201}},{\"create\":{\"status\":201}}]}",
         NULL, 0},
    };
    char url[64], err[256];
    pid_t pid = start_server(script, 3, url, sizeof url);
    seen s = {0};
    bulk *b = engine(url, &s, 2);
    add4(b);
    msg_ratelimit_reset();
    int saved;
    FILE *f = capture_begin(&saved);
    ck_assert_int_eq(run(b, 5000, err, sizeof err), 0);
    char log[4096];
    capture_end(f, saved, log, sizeof log);
    ck_assert_int_eq(s.indexed, 4);
    ck_assert_int_eq(s.rejected + s.dup, 0);
    /* the real status and what the server said, on one line */
    ck_assert_msg(strstr(log, "HTTP 503") &&
                      strstr(log, "{\"error\":\"unavailable\", \"status\":503}"),
                  "%s", log);
    ck_assert_ptr_nonnull(strstr(log, "HTTP 429"));
    bulk_free(b);
    waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(unauthorized_is_fatal)
{
    const answer script[] = {{4, 401, "{\"error\":\"no\"}", NULL, 0}};
    char url[64], err[256];
    pid_t pid = start_server(script, 1, url, sizeof url);
    seen s = {0};
    bulk *b = engine(url, &s, 1);
    add4(b);
    ck_assert_int_eq(run(b, 5000, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "HTTP 401"));
    ck_assert_uint_eq(bulk_pending(b), 4); /* nothing counted as delivered */
    ck_assert_int_eq(s.indexed + s.rejected + s.dup, 0);
    bulk_free(b);
    waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(unreachable_holds_items)
{
    char err[256];
    seen s = {0};
    bulk *b = engine("http://127.0.0.1:1", &s, 1);
    add4(b);
    msg_ratelimit_reset();
    int saved;
    FILE *f = capture_begin(&saved);
    ck_assert_int_eq(run(b, 500, err, sizeof err), 0);
    char log[4096];
    capture_end(f, saved, log, sizeof log);
    ck_assert_uint_eq(bulk_pending(b), 4);
    ck_assert_int_eq(s.indexed + s.rejected + s.dup, 0);
    /* curl's own detail names where it failed to connect */
    ck_assert_msg(strstr(log, "port 1"), "%s", log);
    bulk_free(b);
}
END_TEST

/* A per-document 403 is the cluster refusing our user, not a bad document:
 * those documents stay unfinished (never committed), the engine stops with
 * OpenSearch's reason and a hint, and the rest of the response still counts. */
START_TEST(item_forbidden_is_fatal)
{
    const answer script[] = {
        {4, 200,
         "{\"errors\":true,\"items\":[{\"create\":{\"status\":201}},"
         "{\"create\":{\"status\":403,\"error\":{\"type\":\"security_exception\","
         "\"reason\":\"no permissions for [indices:admin/create] and User [name=sink]\"}}},"
         "{\"create\":{\"status\":403,\"error\":{\"type\":\"security_exception\","
         "\"reason\":\"no permissions for [indices:admin/create] and User [name=sink]\"}}},"
         "{\"create\":{\"status\":400,\"error\":{\"type\":\"mapper_parsing_exception\","
         "\"reason\":\"failed to parse field [source.ip]\"}}}]}",
         NULL, 0},
    };
    char url[64], err[600];
    pid_t pid = start_server(script, 1, url, sizeof url);
    seen s = {0};
    bulk *b = engine(url, &s, 1);
    add4(b);
    ck_assert_int_eq(run(b, 5000, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "403") && strstr(err, "security_exception") &&
                      strstr(err, "no permissions for [indices:admin/create]") &&
                      strstr(err, "permission"),
                  "%s", err);
    ck_assert_int_eq(s.indexed, 1);
    ck_assert_int_eq(s.rejected, 1);
    ck_assert_uint_eq(bulk_pending(b), 2); /* the refused two, held */
    /* and held for good: pumping again sends nothing and stays fatal */
    ck_assert_int_eq(bulk_pump(b, 10, 1, -1, err, sizeof err), -1);
    ck_assert_uint_eq(bulk_pending(b), 2);
    bulk_free(b);
    waitpid(pid, NULL, 0);
}
END_TEST

/* A missing index with auto-create off: per-document 404s. */
START_TEST(item_index_missing_is_fatal)
{
    static const char nf[] = "{\"create\":{\"status\":404,\"error\":{\"type\":"
                             "\"index_not_found_exception\",\"reason\":\"no such index [i]\"}}}";
    char body[1024];
    snprintf(body, sizeof body, "{\"errors\":true,\"items\":[%s,%s,%s,%s]}", nf, nf, nf, nf);
    const answer script[] = {{4, 200, body, NULL, 0}};
    char url[64], err[600];
    pid_t pid = start_server(script, 1, url, sizeof url);
    seen s = {0};
    bulk *b = engine(url, &s, 1);
    add4(b);
    ck_assert_int_eq(run(b, 5000, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "404") &&
                      strstr(err, "index_not_found_exception: no such index [i]") &&
                      strstr(err, "auto_create_index"),
                  "%s", err);
    ck_assert_int_eq(s.indexed + s.rejected + s.dup, 0);
    ck_assert_uint_eq(bulk_pending(b), 4);
    bulk_free(b);
    waitpid(pid, NULL, 0);
}
END_TEST

/* Documents a response asks to retry go out again together, in one
 * request (the server checks each request's size), and say so once. */
START_TEST(item_retries_travel_together)
{
    static const char busy[] =
        "{\"create\":{\"status\":429,\"error\":{\"type\":\"es_rejected_execution_exception\","
        "\"reason\":\"rejected execution of coordinating operation\"}}}";
    static const char ok4[] = "{\"errors\":false,\"items\":[{\"create\":{\"status\":201}},"
                              "{\"create\":{\"status\":201}},{\"create\":{\"status\":201}},"
                              "{\"create\":{\"status\":201}}]}";
    char body[1024];
    snprintf(body, sizeof body, "{\"errors\":true,\"items\":[%s,%s,%s,%s]}", busy, busy, busy,
             busy);
    const answer script[] = {
        {4, 200, body, NULL, 0}, {4, 200, body, NULL, 0}, {4, 200, ok4, NULL, 0}};
    char url[64], err[256];
    pid_t pid = start_server(script, 3, url, sizeof url);
    seen s = {0};
    bulk *b = engine(url, &s, 1);
    add4(b);
    msg_ratelimit_reset();
    int saved;
    FILE *f = capture_begin(&saved);
    int rc = run(b, 5000, err, sizeof err);
    char log[4096];
    capture_end(f, saved, log, sizeof log);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_int_eq(s.indexed, 4);
    ck_assert_int_eq(occurrences(log, "warning:"), 1);
    ck_assert_msg(strstr(log, "429") && strstr(log, "es_rejected_execution_exception") &&
                      strstr(log, "rejected execution of coordinating operation"),
                  "%s", log);
    bulk_free(b);
    waitpid(pid, NULL, 0);
}
END_TEST

/* The secret reaches the server in the header its scheme needs. */
static void auth_case(const char *header, void (*set)(void))
{
    const answer script[] = {
        {4, 200,
         "{\"errors\":false,\"items\":[{\"create\":{\"status\":201}},{\"create\":"
         "{\"status\":201}},{\"create\":{\"status\":201}},{\"create\":{\"status\":201}}]}",
         header, 0},
    };
    char url[64], err[256];
    pid_t pid = start_server(script, 1, url, sizeof url);
    memset(&hc, 0, sizeof hc);
    set();
    ck_assert_int_eq(http_conf_finish(&hc, err, sizeof err), 0);
    seen s = {0};
    bulk *b = engine(url, &s, 1);
    add4(b);
    ck_assert_msg(run(b, 5000, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(s.indexed, 4);
    bulk_free(b);
    http_conf_free(&hc);
    waitpid(pid, NULL, 0);
}
static void set_api_key(void)
{
    hc.api_key = strdup("c2VjcmV0");
}
static void set_basic(void)
{
    hc.user = strdup("user");
    hc.password = strdup("pw");
}
START_TEST(auth_headers)
{
    auth_case("Authorization: ApiKey c2VjcmV0\r\n", set_api_key);
    auth_case("Authorization: Basic dXNlcjpwdw==\r\n", set_basic);
}
END_TEST

/* While every request slot is busy, documents past their linger time must
 * not make the loop spin: waiting for a slow answer costs no CPU. */
START_TEST(no_spin_while_slots_busy)
{
    static const char ok4[] = "{\"errors\":false,\"items\":[{\"create\":{\"status\":201}},"
                              "{\"create\":{\"status\":201}},{\"create\":{\"status\":201}},"
                              "{\"create\":{\"status\":201}}]}";
    const answer script[] = {{4, 200, ok4, NULL, 1500}, {4, 200, ok4, NULL, 0}};
    char url[64], err[256];
    pid_t pid = start_server(script, 2, url, sizeof url);
    seen s = {0};
    linger = 0;
    bulk *b = engine(url, &s, 1);
    linger = 10000;
    add4(b);
    add4(b);
    clock_t c0 = clock();
    ck_assert_int_eq(run(b, 10000, err, sizeof err), 0);
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    ck_assert_int_eq(s.indexed, 8);
    ck_assert_msg(cpu < 0.5, "%.2f s of CPU while waiting 1.5 s for an answer", cpu);
    bulk_free(b);
    waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(backoff_bounds)
{
    uint64_t rnd = 12345;
    for (int a = 1; a < 20; a++) {
        long d = bulk_backoff(100, 5000, a, &rnd);
        long full = 100L << (a - 1 < 10 ? a - 1 : 10);
        if (full > 5000)
            full = 5000;
        ck_assert_int_ge(d, full / 2);
        ck_assert_int_le(d, full);
    }
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, per_item_outcomes);
    tcase_add_test(tc, whole_request_retried);
    tcase_add_test(tc, unauthorized_is_fatal);
    tcase_add_test(tc, unreachable_holds_items);
    tcase_add_test(tc, backoff_bounds);
    tcase_add_test(tc, auth_headers);
    tcase_add_test(tc, no_spin_while_slots_busy);
    tcase_add_test(tc, item_forbidden_is_fatal);
    tcase_add_test(tc, item_index_missing_is_fatal);
    tcase_add_test(tc, item_retries_travel_together);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = check_main("sink_bulk", add_tests);
    curl_global_cleanup();
    return rc;
}
