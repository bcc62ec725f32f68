#!/usr/bin/env python3
"""incident-pb.py - incident JSON lines to protobuf text format, one file each.

The Kafka form of an incident record is binary protobuf (IncidentRecord).
Debian's python has no protobuf module, but protoc can encode text format
(protoc --encode), so this writes each JSON line of the fixtures as the
text format of the same message: DIR/N.txt, and DIR/N.key holding the
incident id (the record's Kafka key).  Only what incident.proto uses is
handled: strings, numbers (64-bit ones arrive as JSON strings), enums by
name, repeated fields, nested messages and RFC 3339 timestamps.

usage: incident-pb.py DIR <incidents.jsonl
"""
import calendar
import json
import os
import sys

TIMES = {"time", "first_time", "last_time"}
NUMBERS = {"event_count", "events_omitted", "version"}
ENUMS = {"status", "severity", "source", "llm_status"}


def timestamp(s):
    day, clock = s.rstrip("Z").split("T")
    whole, _, frac = clock.partition(".")
    secs = calendar.timegm(tuple(map(int, day.split("-"))) + tuple(map(int, whole.split(":"))))
    nanos = int((frac + "000000000")[:9]) if frac else 0
    return "{ seconds: %d nanos: %d }" % (secs, nanos)


def field(key, value):
    if isinstance(value, list):
        return " ".join(field(key, v) for v in value)
    if isinstance(value, dict):
        return "%s { %s }" % (key, message(value))
    if key in TIMES:
        return "%s %s" % (key, timestamp(value))
    if key in NUMBERS or key in ENUMS:
        return "%s: %s" % (key, value)
    return "%s: %s" % (key, json.dumps(value))  # JSON string escapes suit text format


def message(obj):
    return " ".join(field(k, v) for k, v in obj.items())


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for n, line in enumerate(sys.stdin):
        rec = json.loads(line)
        with open(os.path.join(out, "%d.txt" % n), "w") as f:
            f.write(message(rec) + "\n")
        with open(os.path.join(out, "%d.key" % n), "w") as f:
            f.write(rec["incident"]["id"])


main()
