/* test_sink_template.c - the index template and the ISM retention policy.
 *
 * template_body is checked as JSON (patterns, version, the mappings the
 * documents rely on, a data stream).  template_install and
 * template_retention run against a scripted HTTP server in this process
 * that answers each request by method and path and records what it got:
 * install when missing, keep a current or newer template, update an older
 * one or one for another pattern, report a failing cluster with its
 * status; the ISM policy is skipped without the plugin and updated with
 * its sequence number when it exists.  tests/integration/40_sink_template.sh
 * and 40_sink_ism.sh run the same against OpenSearch. */
#define _GNU_SOURCE /* strcasestr */
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "../../sink/template.h"

/* --- the scripted server ---------------------------------------------------------- */

typedef struct answer {
    const char *method, *path; /* path: a prefix of the request's path */
    int status;
    const char *body;
} answer;

#define MAX_REQ 16

static struct {
    int lfd, port;
    const answer *script;
    size_t nscript;
    pthread_mutex_t mu;
    char method[MAX_REQ][8], path[MAX_REQ][256];
    char *body[MAX_REQ];
    size_t nreq;
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Read a request's head and Content-Length bytes of body into req. */
static ssize_t read_request(int fd, char *req, size_t cap)
{
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, req + n, cap - 1 - n);
        if (r <= 0)
            return -1;
        n += (size_t)r;
        req[n] = '\0';
        char *end = strstr(req, "\r\n\r\n");
        char *cl = strcasestr(req, "content-length:");
        size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0;
        if (end && n >= (size_t)(end + 4 - req) + want)
            return (ssize_t)n;
        if (n == cap - 1)
            return -1;
    }
}

static void serve_one(int fd)
{
    static char req[1 << 17];
    if (read_request(fd, req, sizeof req) < 0)
        return;
    char method[8] = "", path[256] = "";
    if (sscanf(req, "%7s %255s", method, path) != 2)
        return;
    const answer *a = NULL;
    for (size_t i = 0; i < srv.nscript && !a; i++)
        if (strcmp(srv.script[i].method, method) == 0 &&
            strncmp(srv.script[i].path, path, strlen(srv.script[i].path)) == 0)
            a = &srv.script[i];
    pthread_mutex_lock(&srv.mu);
    if (srv.nreq < MAX_REQ) {
        snprintf(srv.method[srv.nreq], sizeof srv.method[0], "%s", method);
        snprintf(srv.path[srv.nreq], sizeof srv.path[0], "%s", path);
        srv.body[srv.nreq++] = strdup(strstr(req, "\r\n\r\n") + 4);
    }
    pthread_mutex_unlock(&srv.mu);
    const char *body = a ? a->body : "{\"error\":\"not scripted\"}";
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      a ? a->status : 500, strlen(body));
    if (write(fd, head, (size_t)hl) < 0 || write(fd, body, strlen(body)) < 0)
        return;
}

static void *serve(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(srv.lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        serve_one(fd);
        close(fd);
    }
}

/* check runs each test in a child: the server starts there. */
static void setup(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    srv.lfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(srv.lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(srv.lfd, 16), 0);
    ck_assert_int_eq(getsockname(srv.lfd, (struct sockaddr *)&sa, &sl), 0);
    srv.port = ntohs(sa.sin_port);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, serve, NULL), 0);
    pthread_detach(t);
}

static void teardown(void)
{
    pthread_mutex_lock(&srv.mu);
    for (size_t i = 0; i < srv.nreq; i++)
        free(srv.body[i]);
    srv.nreq = 0;
    pthread_mutex_unlock(&srv.mu);
}

#define SCRIPT(a) (srv.script = (a), srv.nscript = sizeof(a) / sizeof((a)[0]))

static char url[64];
static http_conf hc = {.timeout_ms = 10000, .connect_timeout_ms = 2000};

static template_conf conf_for(const char *pattern, const char *stream, int days)
{
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", srv.port); /* trailing '/' is cut */
    template_conf c = {url, &hc, "tetragon", pattern, stream, days, 0};
    return c;
}

static size_t requests(void)
{
    pthread_mutex_lock(&srv.mu);
    size_t n = srv.nreq;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

/* --- the body ---------------------------------------------------------------------- */

static json_t *body_of(const template_conf *c)
{
    buf b = BUF_INIT;
    ck_assert_int_eq(template_body(c, &b), 0);
    json_error_t je;
    json_t *o = json_loadb(b.p, b.len, 0, &je);
    ck_assert_msg(o != NULL, "template body is not JSON: %s", je.text);
    buf_free(&b);
    return o;
}

static json_t *prop(json_t *o, const char *a, const char *b)
{
    json_t *p =
        json_object_get(json_object_get(json_object_get(o, "template"), "mappings"), "properties");
    p = json_object_get(json_object_get(p, a), "properties");
    return json_object_get(json_object_get(p, b), "type");
}

START_TEST(body_is_the_mapping)
{
    template_conf c = conf_for("tetragon-events-%Y.%m.%d", NULL, 0);
    json_t *o = body_of(&c);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "index_patterns"), 0)),
                     "tetragon-events-*");
    ck_assert_int_eq(json_integer_value(json_object_get(o, "version")), TEMPLATE_VERSION);
    ck_assert_ptr_null(json_object_get(o, "data_stream"));
    ck_assert_str_eq(json_string_value(prop(o, "event", "ingested")), "date_nanos");
    ck_assert_str_eq(json_string_value(prop(o, "source", "ip")), "ip");
    ck_assert_str_eq(json_string_value(prop(o, "process", "command_line")), "text");
    ck_assert_str_eq(json_string_value(prop(o, "enrichment", "severity")), "keyword");
    json_decref(o);

    c = conf_for("ignored-%Y", "tetragon-stream", 0);
    o = body_of(&c);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "index_patterns"), 0)),
                     "tetragon-stream");
    ck_assert(json_is_object(json_object_get(o, "data_stream")));
    json_decref(o);
}
END_TEST

/* The incident template: its own mapping, its own version, and a priority
 * above the events template's, so overlapping globs are no conflict. */
START_TEST(incident_body)
{
    template_conf c = conf_for("tetragon-incidents-%Y.%m.%d", NULL, 0);
    c.incidents = 1;
    json_t *o = body_of(&c);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "index_patterns"), 0)),
                     "tetragon-incidents-*");
    ck_assert_int_eq(json_integer_value(json_object_get(o, "version")), INCIDENT_TEMPLATE_VERSION);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "priority")), 210);
    ck_assert_str_eq(json_string_value(prop(o, "incident", "first_time")), "date_nanos");
    ck_assert_str_eq(json_string_value(prop(o, "incident", "exec_ids")), "keyword");
    ck_assert_str_eq(json_string_value(prop(o, "threat", "framework")), "keyword");
    ck_assert_ptr_null(prop(o, "enrichment", "severity")); /* events only */
    json_decref(o);
    c.incidents = 0;
    o = body_of(&c);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "priority")), 200);
    json_decref(o);
}
END_TEST

/* A pattern must have a fixed prefix, or the template would match every
 * index of the cluster. */
START_TEST(pattern_without_prefix_refused)
{
    template_conf c = conf_for("%Y.%m.%d", NULL, 0);
    buf b = BUF_INIT;
    ck_assert_int_eq(template_body(&c, &b), -1);
    buf_free(&b);
    const char *note = NULL;
    char err[256] = "";
    ck_assert_int_eq(template_install(&c, &note, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "%Y.%m.%d"));
    ck_assert_uint_eq(requests(), 0); /* refused before asking the cluster */
}
END_TEST

/* --- install ------------------------------------------------------------------------ */

static const char *install(const template_conf *c, int want_rc, char *err, size_t errlen)
{
    const char *note = "";
    ck_assert_int_eq(template_install(c, &note, err, errlen), want_rc);
    return note;
}

START_TEST(installs_when_missing)
{
    static const answer script[] = {
        {"GET", "/_index_template/tetragon", 404, "{\"error\":\"missing\"}"},
        {"PUT", "/_index_template/tetragon", 200, "{\"acknowledged\":true}"},
    };
    SCRIPT(script);
    template_conf c = conf_for("tetragon-events-%Y.%m.%d", NULL, 0);
    char err[256];
    ck_assert_str_eq(install(&c, 0, err, sizeof err), "installed");
    ck_assert_uint_eq(requests(), 2);
    ck_assert_str_eq(srv.method[1], "PUT");
    ck_assert_str_eq(srv.path[1], "/_index_template/tetragon"); /* no "//" */
    json_t *sent = json_loads(srv.body[1], 0, NULL);
    ck_assert_ptr_nonnull(sent);
    ck_assert_int_eq(json_integer_value(json_object_get(sent, "version")), TEMPLATE_VERSION);
    json_decref(sent);
}
END_TEST

#define HAVE(v, pat)                                                                               \
    "{\"index_templates\":[{\"name\":\"tetragon\",\"index_template\":{\"index_patterns\":[\"" pat  \
    "\"],\"version\":" #v "}}]}"

START_TEST(current_and_newer_are_kept)
{
    static const answer current[] = {
        {"GET", "/_index_template/tetragon", 200, HAVE(4, "tetragon-events-*")}};
    SCRIPT(current);
    template_conf c = conf_for("tetragon-events-%Y.%m.%d", NULL, 0);
    char err[256];
    ck_assert_int_eq(TEMPLATE_VERSION, 4); /* HAVE(4, ...) is the current version */
    ck_assert_str_eq(install(&c, 0, err, sizeof err), "current");
    ck_assert_uint_eq(requests(), 1); /* no PUT */

    static const answer newer[] = {
        {"GET", "/_index_template/tetragon", 200, HAVE(99, "tetragon-events-*")}};
    SCRIPT(newer);
    ck_assert_str_eq(install(&c, 0, err, sizeof err), "newer version kept");
    ck_assert_uint_eq(requests(), 2);
}
END_TEST

/* An older version, or the same version for another --index pattern, is
 * replaced: new indices would get dynamic mappings otherwise. */
START_TEST(older_or_other_pattern_updated)
{
    static const answer older[] = {
        {"GET", "/_index_template/tetragon", 200, HAVE(1, "tetragon-events-*")},
        {"PUT", "/_index_template/tetragon", 200, "{\"acknowledged\":true}"},
    };
    SCRIPT(older);
    template_conf c = conf_for("tetragon-events-%Y.%m.%d", NULL, 0);
    char err[256];
    ck_assert_str_eq(install(&c, 0, err, sizeof err), "updated");
    ck_assert_uint_eq(requests(), 2);

    static const answer other[] = {
        {"GET", "/_index_template/tetragon", 200, HAVE(2, "other-*")},
        {"PUT", "/_index_template/tetragon", 200, "{\"acknowledged\":true}"},
    };
    SCRIPT(other);
    ck_assert_str_eq(install(&c, 0, err, sizeof err), "updated");
    ck_assert_uint_eq(requests(), 4);
    ck_assert_ptr_nonnull(strstr(srv.body[3], "\"tetragon-events-*\""));
}
END_TEST

START_TEST(cluster_errors_reported)
{
    static const answer get_fails[] = {
        {"GET", "/_index_template/tetragon", 503, "{\"error\":\"cluster_block_exception\"}"}};
    SCRIPT(get_fails);
    template_conf c = conf_for("tetragon-events-%Y.%m.%d", NULL, 0);
    char err[256];
    install(&c, -1, err, sizeof err);
    ck_assert_ptr_nonnull(strstr(err, "HTTP 503"));
    ck_assert_ptr_nonnull(strstr(err, "cluster_block_exception"));

    static const answer put_fails[] = {
        {"GET", "/_index_template/tetragon", 404, "{}"},
        {"PUT", "/_index_template/tetragon", 400, "{\"error\":\"mapper_parsing_exception\"}"},
    };
    SCRIPT(put_fails);
    install(&c, -1, err, sizeof err);
    ck_assert_ptr_nonnull(strstr(err, "HTTP 400"));
    ck_assert_ptr_nonnull(strstr(err, "mapper_parsing_exception"));

    /* nobody listening: a transport error, not a crash */
    snprintf(url, sizeof url, "http://127.0.0.1:1");
    c.url = url;
    install(&c, -1, err, sizeof err);
    ck_assert_str_ne(err, "");
}
END_TEST

/* --- retention ----------------------------------------------------------------------- */

START_TEST(retention_skipped_without_ism)
{
    static const answer script[] = {
        {"GET", "/_plugins/_ism/", 400, "{\"error\":\"no handler found for uri\"}"}};
    SCRIPT(script);
    template_conf c = conf_for("tetragon-events-%Y.%m.%d", NULL, 30);
    char err[256];
    ck_assert_int_eq(template_retention(&c, err, sizeof err), 0);
    ck_assert_uint_eq(requests(), 1);
}
END_TEST

START_TEST(retention_created_then_updated_with_seq_no)
{
    static const answer create[] = {
        {"GET", "/_plugins/_ism/explain/", 200, "{}"},
        {"GET", "/_plugins/_ism/policies/tetragon-retention", 404, "{}"},
        {"PUT", "/_plugins/_ism/policies/tetragon-retention", 201, "{\"_id\":\"x\"}"},
    };
    SCRIPT(create);
    template_conf c = conf_for("tetragon-events-%Y.%m.%d", NULL, 30);
    char err[256];
    ck_assert_int_eq(template_retention(&c, err, sizeof err), 1);
    ck_assert_uint_eq(requests(), 3);
    ck_assert_str_eq(srv.path[2], "/_plugins/_ism/policies/tetragon-retention");
    json_t *p = json_loads(srv.body[2], 0, NULL);
    ck_assert_ptr_nonnull(p);
    json_t *hot = json_array_get(json_object_get(json_object_get(p, "policy"), "states"), 0);
    json_t *cond =
        json_object_get(json_array_get(json_object_get(hot, "transitions"), 0), "conditions");
    ck_assert_str_eq(json_string_value(json_object_get(cond, "min_index_age")), "30d");
    json_decref(p);

    static const answer update[] = {
        {"GET", "/_plugins/_ism/explain/", 404, "{\"error\":{\"type\":\"index_not_found\"}}"},
        {"GET", "/_plugins/_ism/policies/tetragon-retention", 200,
         "{\"_seq_no\":12,\"_primary_term\":3}"},
        {"PUT", "/_plugins/_ism/policies/tetragon-retention", 200, "{}"},
    };
    SCRIPT(update);
    ck_assert_int_eq(template_retention(&c, err, sizeof err), 1);
    ck_assert_uint_eq(requests(), 6);
    ck_assert_str_eq(srv.path[5],
                     "/_plugins/_ism/policies/tetragon-retention?if_seq_no=12&if_primary_term=3");

    static const answer refused[] = {
        {"GET", "/_plugins/_ism/explain/", 200, "{}"},
        {"GET", "/_plugins/_ism/policies/tetragon-retention", 404, "{}"},
        {"PUT", "/_plugins/_ism/policies/tetragon-retention", 409, "{\"error\":\"conflict\"}"},
    };
    SCRIPT(refused);
    ck_assert_int_eq(template_retention(&c, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "HTTP 409"));
}
END_TEST

/* A pattern without a prefix is refused here too, and says why. */
START_TEST(retention_pattern_without_prefix)
{
    static const answer script[] = {{"GET", "/_plugins/_ism/explain/", 200, "{}"}};
    SCRIPT(script);
    template_conf c = conf_for("%Y", NULL, 30);
    char err[256] = "";
    ck_assert_int_eq(template_retention(&c, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no fixed prefix"));
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, body_is_the_mapping);
    tcase_add_test(tc, incident_body);
    tcase_add_test(tc, pattern_without_prefix_refused);
    tcase_add_test(tc, installs_when_missing);
    tcase_add_test(tc, current_and_newer_are_kept);
    tcase_add_test(tc, older_or_other_pattern_updated);
    tcase_add_test(tc, cluster_errors_reported);
    tcase_add_test(tc, retention_skipped_without_ism);
    tcase_add_test(tc, retention_created_then_updated_with_seq_no);
    tcase_add_test(tc, retention_pattern_without_prefix);
}

int main(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return EXIT_FAILURE;
    int rc = check_main("sink_template", add_tests);
    curl_global_cleanup();
    return rc;
}
