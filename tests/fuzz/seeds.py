#!/usr/bin/env python3
"""seeds.py - write the generated seed corpora of the fuzz targets.

usage: seeds.py OUTDIR SAMPLES_DIR

Seeds give libFuzzer real inputs to mutate instead of starting from
nothing: Tetragon's own JSON (the shared samples, one event a file) and
the events under tests/fixtures, framed as each target reads them (the
target's control bytes first, then the stream).  They are generated into
build/ at every make fuzz; the small hand-written seeds (watch events,
kubeconfigs, LLM replies, bulk answers, rules) are committed under
tests/fuzz/seeds/.  A missing samples folder is an error, not a silent
smaller corpus.
"""
import glob
import json
import os
import re
import sys

MAX_EVENTS = 400  # enough variety; more only slows the first pass


def events(samples):
    """Every JSON line of the samples and fixtures, de-duplicated."""
    files = sorted(glob.glob(os.path.join(samples, "*.json")))
    if not files:
        sys.exit(f"seeds.py: no samples in {samples} (set SAMPLES_DIR)")
    files += sorted(glob.glob("tests/fixtures/kinds/*.json"))
    files += sorted(glob.glob("tests/fixtures/scenarios/*.json"))
    seen, out = set(), []
    for f in files:
        with open(f, "rb") as fh:
            text = fh.read()
        try:  # one pretty-printed object: its compact form
            lines = [json.dumps(json.loads(text), separators=(",", ":")).encode()]
        except ValueError:
            lines = [ln.strip() for ln in text.splitlines()]
        for line in lines:
            if line.startswith(b"{") and line not in seen and parses(line):
                seen.add(line)
                out.append(line)
    return out[:MAX_EVENTS]


def parses(line):
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def varint(n):
    b = bytearray()
    while True:
        if n < 0x80:
            b.append(n)
            return bytes(b)
        b.append((n & 0x7F) | 0x80)
        n >>= 7


def write(outdir, target, name, data):
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as fh:
        fh.write(data)


def dictionary(path):
    """A libFuzzer dictionary of the schema's field names and enum names
    (as the decoder meets them, quoted), so mutations speak Tetragon."""
    words = set()
    field = re.compile(r"^\s*(?:repeated\s+|optional\s+)?(?:map<[^>]+>|[\w.]+)\s+(\w+)\s*=\s*\d+")
    enum = re.compile(r"^\s*([A-Z][A-Z0-9_]+)\s*=\s*-?\d+\s*;")
    for proto in sorted(glob.glob("proto/tetragon/*.proto")):
        with open(proto) as fh:
            for line in fh:
                m = field.match(line) or enum.match(line)
                if m:
                    words.add(m.group(1))
    with open(path, "w") as fh:
        for i, w in enumerate(sorted(words)):
            fh.write(f'w{i}="\\"{w}\\""\n')
    return len(words)


def main():
    outdir, samples = sys.argv[1], sys.argv[2]
    evs = events(samples)
    os.makedirs(outdir, exist_ok=True)
    dictionary(os.path.join(outdir, "tetragon.dict"))
    stamp = b"2026-11-26T23:44:58.%09dZ "
    for i, ev in enumerate(evs):
        write(outdir, "pjson", f"ev{i:03d}", ev)
    # streams of a few events each, in the shapes a framer meets
    for i in range(0, len(evs), 4):
        group = evs[i:i + 4]
        k = i // 4
        write(outdir, "framer_json", f"lines{k:03d}", bytes([8, k]) + b"\n".join(group) + b"\n")
        write(outdir, "framer_varint", f"frames{k:03d}",
              bytes([8, k]) + b"".join(varint(len(e)) + e for e in group))
        log = b"".join((stamp % (i + j)) + e + b"\n" for j, e in enumerate(group))
        write(outdir, "capture_k8s_logs", f"log{k:03d}", bytes([3, k]) + log)
    # pasted, pretty-printed objects: the framer's other JSON shape
    for i, ev in enumerate(evs[:16]):
        pretty = json.dumps(json.loads(ev), indent=2).encode()
        write(outdir, "framer_json", f"pretty{i:03d}", bytes([8, i]) + pretty + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
