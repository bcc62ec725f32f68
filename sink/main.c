/* main.c - tetra-sink: Tetragon events from stdin or Kafka into OpenSearch.
 *
 * Thin on purpose: parse the options, then hand over to sink_run(). */
#include <stdio.h>

#include "cli.h"
#include "util/msg.h"
#include "run.h"

int main(int argc, char **argv)
{
    msg_init("tetra-sink", MSG_NORMAL);
    sink_opts o;
    int r = cli_parse(&o, argc, argv);
    if (r != 0) {
        cli_free(&o);
        if (r == 2)
            msg_try_help();
        return r == 2 ? EXIT_USAGE : EXIT_OK;
    }
    int status = sink_run(&o);
    cli_free(&o);
    if (fclose(stdout) != 0 && status == EXIT_OK)
        status = EXIT_RUNTIME;
    return status;
}
