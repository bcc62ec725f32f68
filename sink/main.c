/* main.c - tetra-sink: Tetragon events from stdin or Kafka into OpenSearch.
 *
 * Thin on purpose: parse the options, then hand over to sink_run(). */
#include <stdio.h>

#include "cli.h"
#include "util/msg.h"
#include "util/prog.h"
#include "run.h"

int main(int argc, char **argv)
{
    msg_init("tetra-sink", MSG_NORMAL);
    sink_opts o;
    int status = cli_parse(&o, argc, argv);
    if (status < 0)
        status = sink_run(&o);
    cli_free(&o);
    return prog_close_stdout(status);
}
