#!/usr/bin/env python3
"""kcat-reframe.py - turn kcat's '%R%s' output into tetra-capture's -I proto input.

kcat can print each message value behind a 4-byte big-endian length
(`kcat -C -f '%R%s'`), which is the only way it has to keep binary values
apart; tetra-capture -I proto reads length-delimited protobuf, where the
length is a varint.  The tests that read a topic back and decode it with
tetra-capture pipe one into the other through this filter, so the framing
is written once and a truncated dump fails loudly instead of being cut short.

usage: kcat ... -f '%R%s' | kcat-reframe.py | tetra-capture -I proto -
"""
import struct
import sys


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def main():
    data = sys.stdin.buffer.read()
    out = sys.stdout.buffer
    i = 0
    while i < len(data):
        if len(data) - i < 4:
            sys.exit("kcat-reframe.py: %d stray bytes at offset %d" % (len(data) - i, i))
        (n,) = struct.unpack(">i", data[i:i + 4])
        i += 4
        if n < 0 or len(data) - i < n:
            sys.exit("kcat-reframe.py: bad length %d at offset %d" % (n, i - 4))
        out.write(varint(n))
        out.write(data[i:i + n])
        i += n


if __name__ == "__main__":
    main()
