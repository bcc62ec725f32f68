/* main.c - tetra-enrich: Tetragon events in, enriched events out.
 *
 * Thin on purpose: parse the command line, build the engine, run the loop,
 * print the summary line.  Everything else lives in the modules beside it
 * (engine.c and what it uses, run.c for the I/O). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include "cli.h"
#include "kafka.h"
#include "http/metrics.h"
#include "util/msg.h"
#include "util/prog.h"
#include "run.h"
#include "sequence.h"

static void summary(const engine *e, stats *st)
{
    char line[2048];
    engine_stats(e, st);
    stats_format(st, line, sizeof line);
    infof("%s est_cost=%.6f", line, engine_cost(e));
}

/* /metrics: the engine keeps its counters apart until the summary. */
static void engine_counters(void *ctx, stats *snap)
{
    engine_stats(ctx, snap);
}

static int start_metrics(const enrich_opts *o, engine *e, const stats *st)
{
    char err[512];
    metrics_conf mc = {.addr = o->metrics_addr,
                       .prog = "tetra-enrich",
                       .st = st,
                       .extra = engine_counters,
                       .extra_ctx = e,
                       .need_kafka = o->in_topic != NULL};
    if (!mc.addr || metrics_start(&mc, err, sizeof err) == 0)
        return 0;
    errorf("%s", err);
    return -1;
}

static int declare(stats *st)
{
    stats_init(st);
    return (stats_declare(st, "read") < 0 || stats_declare(st, "written") < 0 ||
            stats_declare(st, "rejected") < 0 || engine_stats_declare(st) < 0)
               ? -1
               : 0;
}

static int run(enrich_opts *o)
{
    char err[512];
    stats st;
    uint64_t loaded = 0;
    if (declare(&st) < 0)
        return EXIT_RUNTIME;
    if (o->cache_topic && kafka_cache_attach(o, &o->ec) < 0)
        return EXIT_RUNTIME;
    engine *e = engine_new(&o->ec, err, sizeof err);
    if (e == NULL) {
        errorf("%s", err);
        kafka_cache_detach();
        return engine_bad_rules() ? EXIT_USAGE : EXIT_RUNTIME;
    }
    int load = o->cache_topic ? kafka_cache_load(o, e, &loaded) : 0;
    if (o->cache_topic && load == 0)
        notef("loaded %llu cached explanations from %s", (unsigned long long)loaded,
              o->cache_topic);
    stats_add(&st, "cache_loaded", loaded);
    int rc = load < 0                       ? EXIT_RUNTIME
             : start_metrics(o, e, &st) < 0 ? EXIT_RUNTIME
             : !o->in_topic                 ? run_stdio(o, e, &st, &prog_stop)
             : o->txn_id                    ? run_kafka_txn(o, e, &st, &prog_stop)
                                            : run_kafka(o, e, &st, &prog_stop);
    metrics_stop(); /* before the summary adds the engine's counters to st */
    kafka_cache_detach();
    summary(e, &st);
    engine_free(e);
    return rc;
}

int main(int argc, char **argv)
{
    enrich_opts o;
    msg_init("tetra-enrich", MSG_NORMAL);
    int rc = cli_parse(argc, argv, &o);
    if (rc < 0 && o.list_rules) {
        engine_list_rules(stdout);
        for (size_t i = 0; seq_builtin[i]; i++) /* --incidents */
            printf("%s\n", seq_builtin[i]);
        rc = EXIT_OK;
    } else if (rc < 0 && prog_signals() < 0) {
        errorf("cannot install signal handlers");
        rc = EXIT_RUNTIME;
    } else if (rc < 0) {
        srand((unsigned)time(NULL) ^ (unsigned)getpid());
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            errorf("curl_global_init failed");
            rc = EXIT_RUNTIME;
        } else {
            rc = run(&o);
            curl_global_cleanup();
        }
    }
    cli_free(&o);
    return prog_close_stdout(rc);
}
