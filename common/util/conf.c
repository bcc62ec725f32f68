/* conf.c - one conf_set() behind -X, config files and the environment. */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

int conf_init(conf *c, conf_owner_fn owner, void *ctx)
{
    c->rk = rd_kafka_conf_new();
    c->owner = owner;
    c->ctx = ctx;
    c->kafka_keys = 0;
    return c->rk != NULL ? 0 : -1;
}

void conf_free(conf *c)
{
    if (c->rk != NULL)
        rd_kafka_conf_destroy(c->rk);
    c->rk = NULL;
}

rd_kafka_conf_t *conf_take_kafka(conf *c)
{
    rd_kafka_conf_t *rk = c->rk;
    c->rk = NULL;
    return rk;
}

int conf_set(conf *c, const char *key, const char *val, char *err, size_t errlen)
{
    if (*key == '\0') {
        snprintf(err, errlen, "empty key");
        return -1;
    }
    if (c->owner != NULL) {
        int r = c->owner(c->ctx, key, val, err, errlen);
        if (r != 0)
            return r > 0 ? 0 : -1;
    }
    if (c->rk == NULL) {
        snprintf(err, errlen, "%s: Kafka settings can no longer change", key);
        return -1;
    }
    char kerr[512];
    if (rd_kafka_conf_set(c->rk, key, val, kerr, sizeof(kerr)) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "%s", kerr);
        return -1;
    }
    c->kafka_keys++;
    return 0;
}

/* Trim white space at both ends of s in place; returns the new start. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Split a writable "key=value" line; returns -1 when there is no '='. */
static int split_kv(char *line, char **key, char **val)
{
    char *eq = strchr(line, '=');
    if (eq == NULL)
        return -1;
    *eq = '\0';
    *key = trim(line);
    *val = trim(eq + 1);
    return 0;
}

/* Keys whose values are secrets: librdkafka's passwords, passphrases,
 * client secrets and PEM private keys (not the paths to key files), and any program key named
 * alike.  A substring test on purpose, so a property librdkafka adds later under the same naming is
 * refused too. */
int conf_key_is_secret(const char *key)
{
    static const char *const marks[] = {"password", "secret", "passphrase", "key.pem", "api.key"};
    char low[256];
    size_t n = strlen(key);
    if (n >= sizeof(low))
        n = sizeof(low) - 1;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)key[i]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (strstr(low, marks[i]) != NULL)
            return 1;
    return 0;
}

/* "sasl.password" -> "TETRA_KAFKA_SASL_PASSWORD", for the hint */
static void env_name(const char *key, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "TETRA_KAFKA_");
    size_t i = n > 0 ? (size_t)n : 0;
    for (; *key != '\0' && i + 1 < outlen; key++)
        out[i++] = *key == '.' ? '_' : (char)toupper((unsigned char)*key);
    out[i] = '\0';
}

int conf_set_kv(conf *c, const char *kv, char *err, size_t errlen)
{
    char tmp[4096];
    if (strlen(kv) >= sizeof(tmp)) {
        snprintf(err, errlen, "setting too long");
        return -1;
    }
    memcpy(tmp, kv, strlen(kv) + 1);
    char *key, *val;
    if (split_kv(tmp, &key, &val) < 0) {
        snprintf(err, errlen, "expected key=value, got \"%.64s\"", kv);
        return -1;
    }
    if (conf_key_is_secret(key)) {
        char var[300];
        env_name(key, var, sizeof(var));
        snprintf(err, errlen,
                 "%s: a secret on the command line is readable by every user of this machine "
                 "(ps, /proc/PID/cmdline); set it in the environment as %s or in a configuration "
                 "file instead",
                 key, var);
        return -1;
    }
    return conf_set(c, key, val, err, errlen);
}

/* One config-file line: comments and blanks are skipped. */
static int file_line(conf *c, char *line, char *err, size_t errlen)
{
    char *s = trim(line);
    if (*s == '\0' || *s == '#')
        return 0;
    char *key, *val;
    if (split_kv(s, &key, &val) < 0) {
        snprintf(err, errlen, "expected key=value");
        return -1;
    }
    return conf_set(c, key, val, err, errlen);
}

int conf_read_file(conf *c, const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096], why[512];
    unsigned lineno = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(fp)) {
            snprintf(err, errlen, "%s:%u: line too long", path, lineno);
            rc = -1;
        } else if (file_line(c, line, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
            rc = -1;
        }
    }
    if (rc == 0 && ferror(fp)) {
        snprintf(err, errlen, "%s: read error", path);
        rc = -1;
    }
    fclose(fp);
    return rc;
}

/* TETRA_KAFKA_SASL_PASSWORD -> sasl.password */
static int env_key(const char *name, size_t plen, const char *eq, char *key, size_t keylen)
{
    size_t n = (size_t)(eq - name) - plen;
    if (n == 0 || n >= keylen)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char ch = name[plen + i];
        key[i] = ch == '_' ? '.' : (char)tolower((unsigned char)ch);
    }
    key[n] = '\0';
    return 0;
}

int conf_read_env(conf *c, char *const *envp, const char *prefix, char *err, size_t errlen)
{
    size_t plen = strlen(prefix);
    for (; envp != NULL && *envp != NULL; envp++) {
        const char *e = *envp, *eq = strchr(e, '=');
        char key[256], why[512];
        if (eq == NULL || strncmp(e, prefix, plen) != 0)
            continue;
        if (env_key(e, plen, eq, key, sizeof(key)) < 0) {
            snprintf(err, errlen, "%.*s: not a setting name", (int)(eq - e), e);
            return -1;
        }
        if (conf_set(c, key, eq + 1, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "%.*s: %s", (int)(eq - e), e, why);
            return -1;
        }
    }
    return 0;
}

void conf_list(FILE *fp)
{
    rd_kafka_conf_properties_show(fp);
}
