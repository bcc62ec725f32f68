#!/bin/sh
# faults.sh - recovery times and peak memory on a replicated cluster, for
# the bench report.
#
# The measurement is tests/integration/80_cluster_faults.sh (three Kafka
# nodes, two tetra-enrich and two tetra-sink replicas, a broker, a replica
# of each and OpenSearch killed or restarted in turn, then the LLM server);
# here it runs with its default size and its printed figures become a
# report section.  Needs OpenSearch (and the LLM for the last part) from
# make services-up; the Kafka cluster is started and stopped by the test.
set -u
[ -z "${OPENSEARCH_URL:-}" ] && [ -f "$ROOT/build/services.env" ] && . "$ROOT/build/services.env"
if [ -z "${OPENSEARCH_URL:-}" ]; then
    printf '\n## faults on a replicated cluster\n\nnot run: OPENSEARCH_URL is not set (make services-up).\n\n'
    exit 0
fi
export OPENSEARCH_URL LLM_URL LLM_MODEL
modes="alo txn"
[ -n "${LLM_URL:-}" ] && modes="alo txn llm"
out=$(FAULT_MODES=$modes sh "$ROOT/tests/integration/80_cluster_faults.sh" 2>&1)
rc=$?
printf '\n## faults on a replicated cluster\n\n'
echo "3 KRaft nodes (RF 3, min.insync.replicas 2), 2 tetra-enrich + 2 tetra-sink replicas;"
echo "modes: $modes (alo: at-least-once, txn: transactional, llm: the LLM server killed mid-call)."
echo "Recovery: from the restart until OpenSearch holds everything fed until then."
echo
echo '```'
echo "$out" | grep -E '^  |^peak memory|^[0-9]+ events' || true
echo '```'
[ $rc = 0 ] || printf '\nthe run FAILED (exit %s): %s\n' "$rc" "$(echo "$out" | tail -n 3)"
echo "$out" | sed -n 's/^  \([a-z]*\): .*recovered in \([0-9]*\) s$/\1 \2/p' | awk '{ m[$1] = $2 > m[$1] ? $2 : m[$1] }
    END { for (k in m) print "faults_" k "_max_recovery_s " m[k] }' >>"${FIGURES:-/dev/null}"
echo
