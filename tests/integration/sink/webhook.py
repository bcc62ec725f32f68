#!/usr/bin/env python3
"""webhook.py - a generic JSON webhook receiver for 40_sink_alerts.sh.

Checks every POST the way a receiver of tetra-sink's alerts should: the
X-Tetra-Signature header must be "sha256=" and the hex HMAC-SHA256 of the
raw body under the key in KEYFILE (its first line), and the body must be
JSON.  Each request is logged to LOG as one JSON object per line: whether
the signature verified, the status answered, and the body.  The first
FAIL requests are answered 503 (after logging), so the sender's retries
are seen; the rest 200.

usage: webhook.py KEYFILE LOG FAIL
The first line printed is the port listened on (127.0.0.1, picked free).
"""
import hashlib
import hmac
import http.server
import json
import sys

KEY = open(sys.argv[1], "rb").read().split(b"\n")[0]
LOG = sys.argv[2]
FAIL = int(sys.argv[3])
seen = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        want = "sha256=" + hmac.new(KEY, body, hashlib.sha256).hexdigest()
        got = self.headers.get("X-Tetra-Signature", "")
        seen += 1
        status = 503 if seen <= FAIL else 200
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        with open(LOG, "a") as f:
            f.write(json.dumps({"verified": hmac.compare_digest(want, got), "signed": bool(got),
                                "status": status, "body": parsed}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
