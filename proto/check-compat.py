#!/usr/bin/env python3
"""check-compat.py - prove proto/tetragon/*.proto is wire-compatible with
Tetragon's own api/v1/tetragon/*.proto.

usage: proto/check-compat.py [DIR]

DIR holds Tetragon's original protos laid out as DIR/tetragon/*.proto
(default: $TETRAGON_PROTO_DIR).  Without it the check prints a note and exits
77 (skip), so it can sit in a test run on machines that lack the originals.

Why it is shaped so: both schema sets are compiled by protoc into
FileDescriptorSets and decoded to text with protoc itself, so the script needs
nothing but protoc and the Python standard library (no protobuf package).
It then compares, type by type, what decides the wire format and the JSON
names: field names, numbers, types, type names, labels, oneof membership,
map entries, enum values, reserved ranges, and the proto file each type lives
in.  Every type reachable from tetragon.GetEventsResponse in the originals
must exist here and be identical; every type here must exist in the
originals and be identical; types left out are listed.
Exit 0 compatible, 1 mismatch, 2 usage or tool error, 77 skipped.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
WKT_DIR = "/usr/include"
ROOT_TYPE = ".tetragon.GetEventsResponse"


def die(code, msg):
    sys.stderr.write("check-compat: %s\n" % msg)
    sys.exit(code)


def descriptor_text(include_dir):
    """Compile every tetragon/*.proto under include_dir; return text format."""
    tdir = os.path.join(include_dir, "tetragon")
    files = sorted("tetragon/" + f for f in os.listdir(tdir) if f.endswith(".proto"))
    if not files:
        die(2, "no .proto files in %s" % tdir)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "set.pb")
        cmd = ["protoc", "-I" + include_dir, "-I" + WKT_DIR,
               "--include_imports", "--descriptor_set_out=" + out] + files
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            die(2, "protoc failed on %s:\n%s" % (include_dir, r.stderr))
        with open(out, "rb") as fh:
            raw = fh.read()
    r = subprocess.run(["protoc", "-I" + WKT_DIR,
                        "--decode=google.protobuf.FileDescriptorSet",
                        "google/protobuf/descriptor.proto"],
                       input=raw, capture_output=True)
    if r.returncode != 0:
        die(2, "protoc --decode failed: %s" % r.stderr.decode())
    return r.stdout.decode()


def parse_text(text):
    """Parse protobuf text format into nested lists of (key, value) pairs."""
    root = []
    stack = [root]
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line == "}":
            stack.pop()
        elif line.endswith("{"):
            node = []
            stack[-1].append((line[:-1].strip(), node))
            stack.append(node)
        else:
            key, _, val = line.partition(":")
            val = val.strip()
            if val.startswith('"'):
                val = bytes(val[1:-1], "utf-8").decode("unicode_escape")
            stack[-1].append((key.strip(), val))
    return root


def get(node, key, default=None):
    for k, v in node:
        if k == key:
            return v
    return default


def getall(node, key):
    return [v for k, v in node if k == key]


def ranges(node, key):
    return sorted((int(get(r, "start")), int(get(r, "end"))) for r in getall(node, key))


def collect(tree):
    """Map full type name -> canonical description of that type."""
    types = {}
    for f in getall(tree, "file"):
        fname, pkg = get(f, "name"), get(f, "package", "")
        for m in getall(f, "message_type"):
            add_message(types, fname, "." + pkg, m)
        for e in getall(f, "enum_type"):
            add_enum(types, fname, "." + pkg, e)
    return types


def add_enum(types, fname, scope, e):
    full = scope + "." + get(e, "name")
    vals = tuple((get(v, "name"), int(get(v, "number"))) for v in getall(e, "value"))
    types[full] = ("enum", fname, vals, tuple(ranges(e, "reserved_range")))


def add_message(types, fname, scope, m):
    full = scope + "." + get(m, "name")
    oneofs = [get(o, "name") for o in getall(m, "oneof_decl")]
    fields = []
    for fd in getall(m, "field"):
        idx = get(fd, "oneof_index")
        fields.append((int(get(fd, "number")), get(fd, "name"), get(fd, "label"),
                       get(fd, "type"), get(fd, "type_name", ""),
                       oneofs[int(idx)] if idx is not None else "",
                       get(fd, "proto3_optional", "false")))
    opts = get(m, "options", [])
    types[full] = ("message", fname, tuple(sorted(fields)),
                   tuple(ranges(m, "reserved_range")),
                   get(opts, "map_entry", "false"))
    for n in getall(m, "nested_type"):
        add_message(types, fname, full, n)
    for e in getall(m, "enum_type"):
        add_enum(types, fname, full, e)


def reachable(types, root):
    seen, todo = set(), [root]
    while todo:
        t = todo.pop()
        if t in seen or t not in types:
            continue
        seen.add(t)
        if types[t][0] == "message":
            todo.extend(f[4] for f in types[t][2] if f[4])
    return seen


def tetragon_only(types):
    return {k: v for k, v in types.items() if k.startswith(".tetragon.")}


def describe_diff(name, a, b):
    if a[0] != b[0] or a[1] != b[1]:
        return ["%s: kind/file %s %s vs original %s %s" % (name, a[0], a[1], b[0], b[1])]
    out = []
    if a[0] == "enum":
        if a[2] != b[2]:
            out.append("%s: values differ:\n  ours %s\n  orig %s" % (name, a[2], b[2]))
    else:
        ours, orig = {f[0]: f for f in a[2]}, {f[0]: f for f in b[2]}
        for num in sorted(set(ours) | set(orig)):
            if ours.get(num) != orig.get(num):
                out.append("%s field %d: ours %s, original %s" %
                           (name, num, ours.get(num), orig.get(num)))
        if a[4] != b[4]:
            out.append("%s: map_entry differs" % name)
    if a[3] != b[3]:
        out.append("%s: reserved ranges %s vs original %s" % (name, a[3], b[3]))
    return out


def main():
    if len(sys.argv) > 2:
        die(2, "usage: check-compat.py [DIR-with-tetragon/*.proto]")
    orig_dir = sys.argv[1] if len(sys.argv) == 2 else os.environ.get("TETRAGON_PROTO_DIR", "")
    if not orig_dir or not os.path.isdir(os.path.join(orig_dir, "tetragon")):
        print("check-compat: no original Tetragon protos given, skipped")
        sys.exit(77)
    ours = collect(parse_text(descriptor_text(HERE)))
    orig = collect(parse_text(descriptor_text(orig_dir)))
    problems = []
    needed = reachable(orig, ROOT_TYPE)
    if ROOT_TYPE not in orig:
        die(2, "originals lack %s" % ROOT_TYPE)
    for t in sorted(needed):
        if t not in ours:
            problems.append("missing: %s (reachable from GetEventsResponse)" % t)
    for t in sorted(tetragon_only(ours)):
        if t not in orig:
            problems.append("extra type not in the originals: %s" % t)
        else:
            problems.extend(describe_diff(t, ours[t], orig[t]))
    left_out = sorted(set(tetragon_only(orig)) - set(ours))
    checked = len(tetragon_only(ours))
    fields = sum(len(v[2]) for v in tetragon_only(ours).values())
    print("check-compat: %d types (%d fields/values) compared, %d reachable from "
          "GetEventsResponse" % (checked, fields, len(needed)))
    if left_out:
        print("check-compat: left out (not part of any event): " +
              ", ".join(t[len(".tetragon."):] for t in left_out))
    for p in problems:
        print("MISMATCH " + p)
    if problems:
        print("check-compat: %d mismatches" % len(problems))
        sys.exit(1)
    print("check-compat: compatible")


if __name__ == "__main__":
    main()
