#!/usr/bin/env python3
"""llmwatch.py - an HTTP proxy in front of the LLM that says which requests
are in flight.

The Kafka tests with the real LLM must kill tetra-enrich while an LLM call
is in flight, and a kill at a guessed moment proves nothing.  This proxy
forwards every request to the real server and keeps a state file with two
numbers, "STARTED ENDED": requests received from tetra-enrich, and replies
handed back to it.  STARTED > ENDED means a call is in flight right now.
It serves any number of requests at once (tetra-enrich may keep several in
flight) and keeps connections alive like the server it stands for.
usage: llmwatch.py STATE_FILE TARGET_URL   (prints its port on stdout; paths
are forwarded unchanged, so give tetra-enrich TARGET_URL with this port)
"""
import http.client
import http.server
import os
import sys
import threading
import urllib.parse

LOCK = threading.Lock()
COUNTS = [0, 0]


def bump(i, state):
    with LOCK:
        COUNTS[i] += 1
        tmp = state + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d %d\n" % tuple(COUNTS))
        os.replace(tmp, state)


def handler(state, target):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def forward(self, method):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else None
            counted = method == "POST"
            if counted:
                bump(0, state)
            try:
                c = http.client.HTTPConnection(target.hostname, target.port, timeout=3600)
                hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                c.request(method, self.path, body, hdrs)
                r = c.getresponse()
                data = r.read()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
                c.close()
            finally:
                if counted:
                    bump(1, state)

        def do_POST(self):
            self.forward("POST")

        def do_GET(self):
            self.forward("GET")

    return Handler



def main():
    state, url = sys.argv[1], sys.argv[2]
    target = urllib.parse.urlsplit(url)
    with open(state, "w") as f:
        f.write("0 0\n")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(state, target))
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
