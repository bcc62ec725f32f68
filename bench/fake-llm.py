#!/usr/bin/env python3
"""fake-llm.py - an OpenAI-compatible chat endpoint for benchmarks and tests.

The enrich benchmark measures tetra-enrich's own cost on the cache and LLM
paths (fingerprinting, policy, cache lookups, prompt building, reply
validation) and counts how many calls a corpus needs. A real CPU model
takes seconds to minutes a request here, which would measure the model,
not us; the tests use the real local LLM. This answers every request with
a valid finding, after DELAY seconds (default 0: at once; 2 is about a
remote GPT-class model), many requests side by side, and counts the
requests it served (GET answers {"served": N, "max_inflight": M}).
With FAKE_LLM_KEY set in its environment, a POST must carry
"Authorization: Bearer <that key>" or gets 401; GET then also reports how
many were refused ("unauthorized"), so a test can prove the key was sent.

usage: fake-llm.py PORTFILE [DELAY]   (writes the port it listens on, serves until killed)
"""
import json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = {"summary": "Benchmark reply.", "severity": "high",
         "techniques": [{"id": "T1059.004", "name": "Unix Shell", "tactic": "execution"}],
         "indicators": ["benchmark"], "next_steps": ["none"], "confidence": 0.5}
served = 0
unauthorized = 0
KEY = os.environ.get("FAKE_LLM_KEY")
inflight = 0
max_inflight = 0
DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
lock = threading.Lock()

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        body = json.dumps({"object": "list", "data": [{"id": "bench", "object": "model"}],
                           "served": served, "max_inflight": max_inflight,
                           "unauthorized": unauthorized}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        global served, inflight, max_inflight, unauthorized
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        if KEY is not None and self.headers.get("Authorization") != "Bearer " + KEY:
            with lock:
                unauthorized += 1
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with lock:
            served += 1
            inflight += 1
            max_inflight = max(max_inflight, inflight)
        time.sleep(DELAY)
        with lock:
            inflight -= 1
        text = json.dumps(REPLY)
        body = json.dumps({"id": "bench", "object": "chat.completion", "model": "bench",
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": text}}],
                           "usage": {"prompt_tokens": 500, "completion_tokens": 80,
                                     "total_tokens": 580}}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was killed mid-request (the SIGKILL tests)

ThreadingHTTPServer.request_queue_size = 1024
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1], "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
