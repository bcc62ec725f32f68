/* mockbroker.c - tetra-mockbroker: a Kafka cluster in one process, for the
 * zero-setup demo and for fault injection in tests.
 *
 * It wraps librdkafka's mock cluster (rdkafka_mock.h): in-memory brokers
 * that speak enough of the Kafka protocol for producers, consumers, consumer
 * groups and kcat.  The program prints the bootstrap address as the one line
 * of its stdout, so a script can read it with `read`, and runs until SIGINT
 * or SIGTERM.  Nothing is kept on disk: every start is an empty cluster.
 *
 * usage: tetra-mockbroker [-n BROKERS] [-t TOPIC[:PARTITIONS]]... */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "util/msg.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };
enum { MAX_BROKERS = 16, MAX_PARTITIONS = 10000, MAX_TOPICS = 64 };

struct topic_spec {
    char name[256];
    int partitions;
};

struct config {
    int brokers;
    int ntopics;
    struct topic_spec topics[MAX_TOPICS];
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: tetra-mockbroker [-n BROKERS] [-t TOPIC[:PARTITIONS]]...\n"
            "\n"
            "Run an in-memory Kafka cluster (librdkafka's mock cluster) on\n"
            "127.0.0.1, print its bootstrap address as one line on stdout, and\n"
            "serve until SIGINT or SIGTERM.  Topics not created with -t are\n"
            "created on first use.\n"
            "\n"
            "  -n, --brokers N                number of brokers, 1-%d (default 1)\n"
            "  -t, --topic NAME[:PARTITIONS]  create a topic (default 1 partition);\n"
            "                                 may be given up to %d times\n"
            "  -h, --help                     show this help and exit\n"
            "\n"
            "Exit status: 0 stopped by a signal, 1 runtime failure, 2 usage.\n",
            MAX_BROKERS, MAX_TOPICS);
}

/* parse_int: whole-string decimal in [lo, hi]; 0 on success, -1 otherwise. */
static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* parse_topic: "name" or "name:partitions" into *t; -1 with a message on
 * a bad spec. */
static int parse_topic(const char *arg, struct topic_spec *t)
{
    const char *colon = strrchr(arg, ':');
    size_t len = colon ? (size_t)(colon - arg) : strlen(arg);

    if (len == 0 || len >= sizeof(t->name)) {
        errorf("bad topic name in '%s'", arg);
        return -1;
    }
    memcpy(t->name, arg, len);
    t->name[len] = '\0';
    t->partitions = 1;
    if (colon && parse_int(colon + 1, 1, MAX_PARTITIONS, &t->partitions) != 0) {
        errorf("bad partition count in '%s' (1-%d)", arg, MAX_PARTITIONS);
        return -1;
    }
    return 0;
}

/* parse_args: fill *cfg; returns -1 to exit with usage error, 1 after
 * --help, 0 to run. */
static int parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, 'n'},
        {"topic", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    cfg->brokers = 1;
    cfg->ntopics = 0;
    while ((c = getopt_long(argc, argv, "n:t:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (parse_int(optarg, 1, MAX_BROKERS, &cfg->brokers) != 0) {
                errorf("bad broker count '%s' (1-%d)", optarg, MAX_BROKERS);
                return -1;
            }
            break;
        case 't':
            if (cfg->ntopics == MAX_TOPICS) {
                errorf("at most %d topics", MAX_TOPICS);
                return -1;
            }
            if (parse_topic(optarg, &cfg->topics[cfg->ntopics]) != 0)
                return -1;
            cfg->ntopics++;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            return -1;
        }
    }
    if (optind != argc) {
        errorf("unexpected argument '%s'", argv[optind]);
        return -1;
    }
    return 0;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 4)
        warnf("librdkafka: %s: %s", fac, buf);
    else
        notef("librdkafka: %s: %s", fac, buf);
}

/* new_handle: the client handle that owns the mock cluster's threads. */
static rd_kafka_t *new_handle(void)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;

    rd_kafka_conf_set_log_cb(conf, log_cb);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        errorf("cannot create a librdkafka handle: %s", errstr);
    }
    return rk;
}

static int create_topics(rd_kafka_mock_cluster_t *mc, const struct config *cfg)
{
    int rf = cfg->brokers < 3 ? cfg->brokers : 3;

    for (int i = 0; i < cfg->ntopics; i++) {
        const struct topic_spec *t = &cfg->topics[i];
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, t->name, t->partitions, rf);

        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            errorf("cannot create topic %s: %s", t->name, rd_kafka_err2str(err));
            return -1;
        }
    }
    return 0;
}

/* install_signals: INT and TERM set stop_signal; both stay blocked (saved
 * mask in *old) until wait_for_signal() so none can slip past. */
static int install_signals(sigset_t *old)
{
    struct sigaction sa;
    sigset_t block;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &block, old) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
        sigaction(SIGTERM, &sa, NULL) != 0) {
        errorf("cannot install signal handlers: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void wait_for_signal(const sigset_t *old)
{
    sigset_t wait_mask = *old;

    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    while (!stop_signal)
        sigsuspend(&wait_mask);
}

/* announce: the bootstrap address, the only line on stdout. */
static int announce(const rd_kafka_mock_cluster_t *mc)
{
    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mc);

    if (!bootstraps || printf("%s\n", bootstraps) < 0 || fflush(stdout) != 0) {
        errorf("cannot write the bootstrap address to stdout");
        return -1;
    }
    return 0;
}

static int serve(const struct config *cfg, const sigset_t *old)
{
    rd_kafka_t *rk = new_handle();
    rd_kafka_mock_cluster_t *mc;
    int rc = EXIT_RUNTIME;

    if (!rk)
        return EXIT_RUNTIME;
    mc = rd_kafka_mock_cluster_new(rk, cfg->brokers);
    if (!mc) {
        errorf("cannot create a mock cluster of %d brokers", cfg->brokers);
        rd_kafka_destroy(rk);
        return EXIT_RUNTIME;
    }
    if (create_topics(mc, cfg) == 0 && announce(mc) == 0) {
        notef("serving %d broker(s); stop with SIGINT or SIGTERM", cfg->brokers);
        wait_for_signal(old);
        notef("stopping on signal %d", (int)stop_signal);
        rc = EXIT_OK;
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return rc;
}

int main(int argc, char **argv)
{
    struct config cfg;
    sigset_t old;
    int rc;

    msg_init("tetra-mockbroker", MSG_NORMAL);
    rc = parse_args(argc, argv, &cfg);
    if (rc != 0) {
        if (rc < 0)
            msg_try_help();
        return rc < 0 ? EXIT_USAGE : (fclose(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME);
    }
    if (install_signals(&old) != 0)
        return EXIT_RUNTIME;
    rc = serve(&cfg, &old);
    if (fclose(stdout) != 0 && rc == EXIT_OK)
        rc = EXIT_RUNTIME;
    return rc;
}
