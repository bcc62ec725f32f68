#!/usr/bin/env python3
"""fake-llm.py - an instant OpenAI-compatible chat endpoint, for benchmarks only.

The enrich benchmark measures tetra-enrich's own cost on the cache and LLM
paths (fingerprinting, policy, cache lookups, prompt building, reply
validation) and counts how many calls a corpus needs. A real CPU model
takes seconds to minutes a request here, which would measure the model,
not us; the tests use the real local LLM. This answers every request at
once with a valid finding and counts the requests it served.

usage: fake-llm.py PORTFILE   (writes the port it listens on, serves until killed)
"""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = {"summary": "Benchmark reply.", "severity": "high",
         "techniques": [{"id": "T1059.004", "name": "Unix Shell", "tactic": "execution"}],
         "indicators": ["benchmark"], "next_steps": ["none"], "confidence": 0.5}
served = 0
lock = threading.Lock()

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        body = json.dumps({"object": "list", "data": [{"id": "bench", "object": "model"}],
                           "served": served}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        global served
        n = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(n) or b"{}")
        with lock:
            served += 1
        text = json.dumps(REPLY)
        # a batched request asks for {"results":[...]}: answer each item
        prompt = json.dumps(req.get("messages", []))
        if '"results"' in prompt:
            k = max(1, prompt.count('\\"id\\"') // 2)
            text = json.dumps({"results": [dict(REPLY, id=i) for i in range(k)]})
        body = json.dumps({"id": "bench", "object": "chat.completion", "model": "bench",
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": text}}],
                           "usage": {"prompt_tokens": 500, "completion_tokens": 80,
                                     "total_tokens": 580}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1], "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
