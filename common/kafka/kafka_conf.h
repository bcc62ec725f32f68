/* kafka_conf.h - a program's Kafka settings under the user's.
 *
 * A program has librdkafka settings of its own (a consumer's group, start
 * point and manual commits; a producer's idempotence and compression) and
 * the user has TETRA_KAFKA_* variables, -c files and -X, which must win.
 * The user's settings are gathered into one rd_kafka_conf_t while options
 * are parsed, before it is known which clients will be built from them, and
 * a configuration cannot be asked which of its values were set: a value
 * equal to librdkafka's default looks unset, so putting the program's
 * values in afterwards "where the user set nothing" cannot work.
 *
 * Global properties: rd_kafka_conf_dup() does know what was set; it copies
 * only those properties, after calling on_conf_dup interceptors on the new
 * object.  kafka_conf_layer() puts the program's values in from such an
 * interceptor, so the user's set properties land over them: exact.
 *
 * Topic-level properties (auto.offset.reset, acks, message.timeout.ms) live
 * in a separate default topic configuration that the copy takes whole, so
 * there is no such trick for them.  They are merged one by one: a value of
 * the user's that differs from librdkafka's default wins; where the user's
 * holds librdkafka's default, the program's value (if it set one) stays,
 * because the user may not have set it at all.  So a topic-level property
 * the user set to librdkafka's own default value (auto.offset.reset=latest)
 * loses against a program value, unless the caller knows the user's
 * settings were made over the program's defaults (user_topic_complete). */
#ifndef TETRA_KAFKA_CONF_H
#define TETRA_KAFKA_CONF_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>

/* Put the program's settings (global and topic-level) into conf.
 * Returns 0, or -1 with err filled. */
typedef int (*kafka_conf_fill_fn)(rd_kafka_conf_t *conf, void *ctx, char *err, size_t errlen);

/* A new configuration: fill's settings, then the user's over them as the
 * file comment says; with user_topic_complete != 0 the user's topic-level
 * values are all taken as set.  user is not changed; the caller owns the
 * result (for rd_kafka_new or rd_kafka_conf_destroy).  Returns NULL with
 * err filled when fill failed, a value could not be merged, or memory ran
 * out. */
rd_kafka_conf_t *kafka_conf_layer(const rd_kafka_conf_t *user, kafka_conf_fill_fn fill, void *ctx,
                                  int user_topic_complete, char *err, size_t errlen);

/* Apply every TETRA_KAFKA_<PROPERTY> variable of envp to rk
 * (TETRA_KAFKA_SASL_PASSWORD is sasl.password), through conf_read_env.
 * For use inside a fill function, so -X and -c still win over the
 * environment.  Returns 0, or -1 with err as "NAME: message". */
int kafka_conf_env(rd_kafka_conf_t *rk, char *const *envp, char *err, size_t errlen);

/* 1 when err (with librdkafka's reason, may be NULL) says the broker refused us for a reason only a
 * configuration change fixes: SASL authentication failed (wrong user or password) or the TLS
 * handshake failed (a CA we do not trust, a client certificate the broker does not accept).
 * librdkafka retries these forever, so a client that waited for them to pass would hang; the
 * callers stop instead. */
int kafka_refused(rd_kafka_resp_err_t err, const char *reason);

/* The shared part of the clients' error callbacks.  The first refusal (kafka_refused) is copied
 * to refused (refusedlen bytes, empty until then) for the caller to stop on; every other error
 * is warned about as "kafka: WHO: NAME: reason" (who may be NULL), each NAME at most every 10
 * seconds, and a fatal one not at all (the caller reports it where it stops). */
void kafka_error_seen(int code, const char *reason, const char *who, char *refused,
                      size_t refusedlen);

#endif
