/* conf.h - the one configuration path: -X key=value, config files, environment.
 *
 * Every way to set something ends in conf_set(): the program's own keys go
 * to the owner callback it registered, every other key to librdkafka's
 * rd_kafka_conf_set() (global and topic properties alike), so a config file
 * line, a -X on the command line and an environment variable behave the
 * same and fail with the same message.  Later settings win, so a program
 * applies the environment first, then files and -X in command-line order.
 *
 * Secrets (sasl.password, ssl.key.password) belong in a file or the
 * environment, never in argv; this module never logs a value. */
#ifndef TETRA_CONF_H
#define TETRA_CONF_H

#include <stddef.h>
#include <stdio.h>
#include <librdkafka/rdkafka.h>

/* A program's own keys.  Return 1 when the key was handled, 0 when it is
 * not the program's (it then goes to librdkafka), -1 with err filled when
 * the value is bad. */
typedef int (*conf_owner_fn)(void *ctx, const char *key, const char *val, char *err, size_t errlen);

typedef struct conf {
    rd_kafka_conf_t *rk; /* librdkafka settings; NULL after conf_take_kafka */
    conf_owner_fn owner;
    void *ctx;
    unsigned kafka_keys; /* how many settings went to librdkafka */
} conf;

/* Start with librdkafka's defaults.  owner may be NULL.  Returns 0, or -1
 * when out of memory. */
int conf_init(conf *c, conf_owner_fn owner, void *ctx);
void conf_free(conf *c);

/* Set one key.  Returns 0, or -1 with err filled ("unknown key", the
 * owner's or librdkafka's message). */
int conf_set(conf *c, const char *key, const char *val, char *err, size_t errlen);

/* Set from "key=value" as given on the command line (-X): white space
 * around key and value is trimmed, and a key that names a secret
 * (conf_key_is_secret) is refused, since argv is public; the message names
 * the environment variable to use instead and never the value.
 * Returns 0, or -1 with err filled. */
int conf_set_kv(conf *c, const char *kv, char *err, size_t errlen);

/* 1 when key names a secret (password, passphrase, client secret, PEM
 * private key, API key), else 0.  Case-insensitive. */
int conf_key_is_secret(const char *key);

/* Read a file of "key=value" lines; blank lines and lines starting with #
 * are skipped.  Returns 0, or -1 with err as "path:line: message" (or
 * "path: strerror" when it cannot be read). */
int conf_read_file(conf *c, const char *path, char *err, size_t errlen);

/* Apply every environment variable of envp whose name starts with prefix:
 * the rest of the name, lower-cased with '_' turned into '.', is the key
 * (TETRA_KAFKA_SASL_PASSWORD -> sasl.password for prefix "TETRA_KAFKA_").
 * Returns 0, or -1 with err as "NAME: message". */
int conf_read_env(conf *c, char *const *envp, const char *prefix, char *err, size_t errlen);

/* Hand the librdkafka configuration to the caller (who now owns it and
 * gives it to rd_kafka_new or destroys it).  NULL if taken before. */
rd_kafka_conf_t *conf_take_kafka(conf *c);

/* Print librdkafka's property table to fp (what -X list shows). */
void conf_list(FILE *fp);

#endif
