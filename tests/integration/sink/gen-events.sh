#!/bin/sh
# gen-events.sh - N distinct Tetragon events for the sink tests, as JSON lines.
#
# usage: gen-events.sh N RUN [plain]
# Event i is a process_exec in namespace ns-(i%4), binary bin-(i%5), on
# 2024-05-0(1+i%3); three of every four carry an enrichment with severity
# 1+(i%5) and technique T10(i%3); with "plain" none does.  Every i%10 == 9
# is a kprobe with a TCP socket argument instead.  RUN goes into exec_id and
# time, so runs never share an _id.  The tests count expected hits with the
# same arithmetic (see expect_* in the tests).
set -u
n=$1 run=$2 mode=${3:-enriched}
awk -v n="$n" -v run="$run" -v mode="$mode" 'BEGIN {
    tech[0] = "T1059.004\",\"name\":\"Unix Shell\",\"tactic\":\"execution"
    tech[1] = "T1105\",\"name\":\"Ingress Tool Transfer\",\"tactic\":\"command-and-control"
    tech[2] = "T1611\",\"name\":\"Escape to Host\",\"tactic\":\"privilege-escalation"
    split("SEVERITY_INFO SEVERITY_LOW SEVERITY_MEDIUM SEVERITY_HIGH SEVERITY_CRITICAL", sev, " ")
    for (i = 0; i < n; i++) {
        t = sprintf("2024-05-0%dT%02d:%02d:%02d.%09dZ", 1 + i % 3, (i / 3600) % 24, (i / 60) % 60, i % 60, run * 1000 + i % 1000)
        proc = sprintf("\"process\":{\"exec_id\":\"%s-%d\",\"pid\":%d,\"uid\":%d,\"cwd\":\"/\",\"binary\":\"/usr/bin/bin-%d\",\"arguments\":\"-x arg%d --flag\",\"pod\":{\"namespace\":\"ns-%d\",\"name\":\"pod-%d\",\"workload\":\"wl-%d\",\"pod_labels\":{\"app\":\"a%d\",\"app.kubernetes.io/name\":\"n%d\"},\"container\":{\"id\":\"containerd://c%d\",\"name\":\"main\",\"image\":{\"name\":\"img:%d\"}}}},\"parent\":{\"binary\":\"/bin/sh\",\"pid\":1}", run, i, 1000 + i, i % 3, i % 5, i, i % 4, i % 50, i % 4, i % 7, i % 7, i % 50, i % 3)
        if (i % 10 == 9)
            ev = sprintf("{\"process_kprobe\":{%s,\"function_name\":\"tcp_connect\",\"policy_name\":\"connect\",\"args\":[{\"sock_arg\":{\"family\":\"AF_INET\",\"protocol\":\"IPPROTO_TCP\",\"saddr\":\"10.0.%d.%d\",\"daddr\":\"192.168.1.%d\",\"sport\":%d,\"dport\":443}}]},\"node_name\":\"node-%d\",\"time\":\"%s\"}", proc, i % 250, i % 200, i % 250, 30000 + i % 30000, i % 3, t)
        else
            ev = sprintf("{\"process_exec\":{%s},\"node_name\":\"node-%d\",\"time\":\"%s\"}", proc, i % 3, t)
        if (mode == "plain" || i % 4 == 3) { print ev; continue }
        printf "{\"event\":%s,\"enrichment\":{\"summary\":\"bin-%d ran in ns-%d\",\"severity\":\"%s\",\"techniques\":[{\"id\":\"%s\"}],\"source\":\"SOURCE_RULES\"}}\n", ev, i % 5, i % 4, sev[1 + i % 5], tech[i % 3]
    }
}'
