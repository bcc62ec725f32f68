/* kafka_conf.c - program settings under the user's (see kafka_conf.h). */
#include "kafka_conf.h"

#include <stdio.h>
#include <string.h>

#include "util/conf.h"
#include "util/msg.h"

typedef struct layer {
    kafka_conf_fill_fn fill;
    void *ctx;
    int failed;
    char err[512];
} layer;

/* Runs inside rd_kafka_conf_dup_filter() on the new object, before the
 * user's properties are copied into it.  librdkafka only logs an error
 * returned from here, so a failure is kept in the layer for the caller. */
static rd_kafka_resp_err_t on_dup(rd_kafka_conf_t *new_conf, const rd_kafka_conf_t *old_conf,
                                  size_t filter_cnt, const char **filter, void *opaque)
{
    (void)old_conf;
    (void)filter_cnt;
    (void)filter;
    layer *l = opaque;
    if (l->fill(new_conf, l->ctx, l->err, sizeof l->err) < 0)
        l->failed = 1;
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* The value of key in a dump, or NULL. */
static const char *dumped(const char **d, size_t n, const char *key)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        if (!strcmp(d[i], key))
            return d[i + 1];
    return NULL;
}

/* Merge the user's topic-level values ut into out's default topic
 * configuration (created when out has none; it then has no modified
 * topic settings to be warned about as overwritten). */
static int merge_topic(rd_kafka_conf_t *out, rd_kafka_topic_conf_t *ut, int all, char *err,
                       size_t errlen)
{
    rd_kafka_topic_conf_t *fresh = rd_kafka_topic_conf_new();
    rd_kafka_topic_conf_t *tc = rd_kafka_conf_get_default_topic_conf(out);
    if (!tc && (tc = rd_kafka_topic_conf_new()))
        rd_kafka_conf_set_default_topic_conf(out, tc);
    if (!fresh || !tc) {
        if (fresh)
            rd_kafka_topic_conf_destroy(fresh);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t nu, nf;
    const char **du = rd_kafka_topic_conf_dump(ut, &nu);
    const char **df = rd_kafka_topic_conf_dump(fresh, &nf);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i + 1 < nu; i += 2) {
        const char *def = dumped(df, nf, du[i]);
        if (!all && def && !strcmp(def, du[i + 1]))
            continue; /* librdkafka's default: perhaps never set */
        char why[256];
        if (rd_kafka_topic_conf_set(tc, du[i], du[i + 1], why, sizeof why) != RD_KAFKA_CONF_OK) {
            snprintf(err, errlen, "%s: %s", du[i], why);
            rc = -1;
        }
    }
    rd_kafka_conf_dump_free(du, nu);
    rd_kafka_conf_dump_free(df, nf);
    rd_kafka_topic_conf_destroy(fresh);
    return rc;
}

rd_kafka_conf_t *kafka_conf_layer(const rd_kafka_conf_t *user, kafka_conf_fill_fn fill, void *ctx,
                                  int user_topic_complete, char *err, size_t errlen)
{
    layer l = {fill, ctx, 0, ""};
    /* The interceptor goes on a private copy so user stays as it was and
     * later copies of it run no fill. */
    rd_kafka_conf_t *tmp = rd_kafka_conf_dup(user);
    if (!tmp) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* The user's topic configuration is left out of the copy: it would
     * replace fill's whole (and librdkafka would leak fill's). */
    const char *no_topic[] = {"default_topic_conf"};
    rd_kafka_conf_t *out = NULL;
    if (rd_kafka_conf_interceptor_add_on_conf_dup(tmp, "tetra-defaults", on_dup, &l) ==
        RD_KAFKA_RESP_ERR_NO_ERROR)
        out = rd_kafka_conf_dup_filter(tmp, 1, no_topic);
    int rc = out && !l.failed ? 0 : -1;
    if (rc < 0)
        snprintf(err, errlen, "%s", l.failed ? l.err : "out of memory");
    rd_kafka_topic_conf_t *ut = rd_kafka_conf_get_default_topic_conf(tmp);
    if (rc == 0 && ut)
        rc = merge_topic(out, ut, user_topic_complete, err, errlen);
    rd_kafka_conf_destroy(tmp);
    if (rc == 0)
        return out;
    if (out)
        rd_kafka_conf_destroy(out);
    return NULL;
}

int kafka_conf_env(rd_kafka_conf_t *rk, char *const *envp, char *err, size_t errlen)
{
    conf c = {rk, NULL, NULL, 0};
    return conf_read_env(&c, envp, "TETRA_KAFKA_", err, errlen);
}

int kafka_refused(rd_kafka_resp_err_t err, const char *reason)
{
    /* __SSL is the handshake and TLS setup.  A connection cut is __TRANSPORT
     * and stays a retried, passing error, except when the broker cut it with
     * a TLS alert: with TLS 1.3 a broker that wants a client certificate
     * says so only after our side of the handshake is done. */
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT)
        return reason != NULL && strstr(reason, "SSL routines") != NULL &&
               strstr(reason, "alert") != NULL;
    return err == RD_KAFKA_RESP_ERR__AUTHENTICATION || err == RD_KAFKA_RESP_ERR__SSL ||
           err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED;
}

void kafka_error_seen(int code, const char *reason, const char *who, char *refused,
                      size_t refusedlen)
{
    const char *name = rd_kafka_err2name((rd_kafka_resp_err_t)code);
    uint64_t suppressed;
    if (kafka_refused((rd_kafka_resp_err_t)code, reason) && refused[0] == '\0')
        snprintf(refused, refusedlen, "%s", reason);
    if (code == RD_KAFKA_RESP_ERR__FATAL || !msg_ratelimit(name, 10, &suppressed))
        return;
    warnf("kafka: %s%s%s: %s", who ? who : "", who ? ": " : "", name, reason);
}
