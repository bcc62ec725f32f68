#!/usr/bin/env python3
"""ismproxy.py - OpenSearch with an emulated ISM plugin, for 40_sink_ism.sh.

The index-management plugin (ISM) cannot be obtained on the test machine,
so the sink's retention path (probe, create, update with if_seq_no) would
otherwise never run.  This proxy answers the few ISM endpoints the sink
uses itself and forwards every other request to the real cluster at
TARGET_URL: the request line, the headers except hop-by-hop ones, and the
body byte for byte (gzip-encoded _bulk bodies stay gzip); the answer goes
back the same way.

What is emulated follows the plugin's own REST and transport actions:
- GET  /_plugins/_ism/explain/<index>: 404 index_not_found_exception for
  an index the cluster does not have, else 200 "not managed".
- GET  /_plugins/_ism/policies/<id>: 404 status_exception "Policy not
  found", or 200 with _id, _version, _seq_no, _primary_term and the policy
  (with policy_id, last_updated_time, schema_version added).
- PUT  /_plugins/_ism/policies/<id>: without both if_seq_no and
  if_primary_term it is a create (201, Location header; 409
  version_conflict_engine_exception "document already exists" when the
  policy exists); with them it is an update that must match the stored
  sequence number and primary term (409 otherwise, as OpenSearch's
  optimistic concurrency answers).  The body is checked the way the
  plugin's parser checks it (known fields, a valid default state,
  transitions to existing states, time values, ism_template shape);
  failures are 400 illegal_argument_exception.
Sequence numbers are shared by all policies and start above zero, and the
primary term is not 1, so a client that guesses instead of reading them
is caught.

Every request is logged to LOG as one JSON object per line: method, path,
query, status, whether it was emulated, the request's Content-Encoding,
and for emulated requests the request and response bodies.
usage: ismproxy.py LISTEN_PORT TARGET_URL LOG
The first line printed is the port listened on.
"""
import http.client
import http.server
import json
import re
import sys
import threading
import time
import urllib.parse

PRIMARY_TERM = 3  # as after two primary fail-overs of the config index
CONFIG_INDEX = ".opendistro-ism-config"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
              "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
              "expect"}
TIME_VALUE = re.compile(r"^[0-9]+(nanos|micros|ms|s|m|h|d)$")
BAD_PATTERN_CHARS = set('\\/?"<>| ,#:')

state_lock = threading.Lock()
policies = {}  # id -> {"seq_no", "version", "policy"}
next_seq_no = [7]  # other documents of the config index were written before
log_lock = threading.Lock()


def error_body(etype, reason, status, **extra):
    cause = dict({"type": etype, "reason": reason}, **extra)
    return status, {"error": {"root_cause": [cause], **cause}, "status": status}


def conflict(pid, detail):
    return error_body("version_conflict_engine_exception",
                      "[%s]: version conflict, %s" % (pid, detail), 409,
                      index=CONFIG_INDEX, shard="0", index_uuid="ism-emulated")


def bad_policy(reason):
    return error_body("illegal_argument_exception", reason, 400)


def check_conditions(cond):
    known = {"min_index_age", "min_doc_count", "min_size", "min_rollover_age", "cron"}
    for key, value in cond.items():
        if key not in known:
            return "Invalid field: [%s] found in Conditions." % key
        if key in ("min_index_age", "min_rollover_age") and \
                not (isinstance(value, str) and TIME_VALUE.match(value)):
            return "failed to parse setting [%s] with value [%s] as a time value" % (key, value)
    return None


def check_state(st):
    if not isinstance(st, dict) or not isinstance(st.get("name"), str):
        return "state name is null"
    for key in st:
        if key not in ("name", "actions", "transitions"):
            return "Invalid field: [%s] found in State." % key
    for action in st.get("actions", []):
        if not isinstance(action, dict) or not action:
            return "Invalid action in state=%s" % st["name"]
    for tr in st.get("transitions", []):
        if not isinstance(tr, dict) or not isinstance(tr.get("state_name"), str):
            return "Transition state_name is null"
        problem = check_conditions(tr.get("conditions", {}))
        if problem:
            return problem
    return None


def check_template(tpl):
    pats = tpl.get("index_patterns") if isinstance(tpl, dict) else None
    if not isinstance(pats, list) or not pats:
        return "ism_template needs a non-empty index_patterns list"
    if not isinstance(tpl.get("priority", 0), int) or tpl.get("priority", 0) < 0:
        return "ism_template priority must be a non-negative integer"
    for p in pats:
        if not isinstance(p, str) or not p or p[0] in "_-+" or p != p.lower() \
                or BAD_PATTERN_CHARS & set(p):
            return "index_pattern [%s] must not contain the following characters %s" % (
                p, sorted(BAD_PATTERN_CHARS))
    return None


def check_policy(body):
    """The body's problem as the plugin would word it, or None."""
    if not isinstance(body, dict) or set(body) != {"policy"} or \
            not isinstance(body["policy"], dict):
        return "Failed to parse the policy: expected one object named policy"
    pol = body["policy"]
    known = {"policy_id", "description", "last_updated_time", "schema_version",
             "error_notification", "default_state", "states", "ism_template", "user"}
    for key in pol:
        if key not in known:
            return "Invalid field: [%s] found in Policy." % key
    for key in ("description", "default_state"):
        if not isinstance(pol.get(key), str):
            return "%s is null" % key
    states = pol.get("states", [])
    for st in states:
        problem = check_state(st)
        if problem:
            return problem
    names = [st["name"] for st in states]
    for st in states:
        for tr in st.get("transitions", []):
            if tr["state_name"] not in names:
                return ("Policy contains a transition in state=%s pointing to a nonexistent "
                        "state=%s" % (st["name"], tr["state_name"]))
    if len(set(names)) != len(names):
        return "Policy cannot have duplicate state names"
    if not states:
        return "Policy must contain at least one State"
    if pol["default_state"] not in names:
        return "Policy must have a valid default state"
    tpls = pol.get("ism_template")
    for tpl in tpls if isinstance(tpls, list) else [tpls] if tpls is not None else []:
        problem = check_template(tpl)
        if problem:
            return problem
    return None


def stored_policy(pid, pol):
    now = int(time.time() * 1000)
    out = dict(pol, policy_id=pid, last_updated_time=now, schema_version=21,
               error_notification=pol.get("error_notification"))
    tpls = out.get("ism_template")
    if isinstance(tpls, dict):
        tpls = [tpls]
    if tpls is not None:
        out["ism_template"] = [dict(t, last_updated_time=now) for t in tpls]
    return out


def get_policy(pid):
    with state_lock:
        p = policies.get(pid)
        if p is None:
            return error_body("status_exception", "Policy not found", 404)
        return 200, {"_id": pid, "_version": p["version"], "_seq_no": p["seq_no"],
                     "_primary_term": PRIMARY_TERM, "policy": p["policy"]}


def put_policy(pid, query, raw):
    try:
        body = json.loads(raw)
    except ValueError as e:
        return error_body("x_content_parse_exception", "Failed to parse the body: %s" % e, 400)
    problem = check_policy(body)
    if problem:
        return bad_policy(problem)
    seq = query.get("if_seq_no")
    term = query.get("if_primary_term")
    with state_lock:
        cur = policies.get(pid)
        if seq is None or term is None:  # the plugin makes this a create
            if cur is not None:
                return conflict(pid, "document already exists (current version [%d])"
                                % cur["version"])
        else:
            seq, term = int(seq), int(term)
            if cur is None:
                return conflict(pid, "required seqNo [%d], primary term [%d]. but no document "
                                "was found" % (seq, term))
            if cur["seq_no"] != seq or term != PRIMARY_TERM:
                return conflict(pid, "required seqNo [%d], primary term [%d]. current document "
                                "has seqNo [%d] and primary term [%d]"
                                % (seq, term, cur["seq_no"], PRIMARY_TERM))
        version = cur["version"] + 1 if cur else 1
        stored = stored_policy(pid, body["policy"])
        policies[pid] = {"seq_no": next_seq_no[0], "version": version, "policy": stored}
        next_seq_no[0] += 1
        return (200 if cur else 201), {
            "_id": pid, "_version": version, "_primary_term": PRIMARY_TERM,
            "_seq_no": policies[pid]["seq_no"], "policy": {"policy": stored}}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the sink's curl expects

    def log_message(self, fmt, *args):  # the LOG file is the record
        pass

    def record(self, status, emulated, req=None, resp=None):
        url = urllib.parse.urlsplit(self.path)
        line = {"method": self.command, "path": url.path, "query": url.query,
                "status": status, "emulated": emulated,
                "content_encoding": self.headers.get("Content-Encoding")}
        if emulated:
            line["request"], line["response"] = req, resp
        with log_lock:
            self.server.log.write(json.dumps(line) + "\n")
            self.server.log.flush()

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return None
        return self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))

    def reply(self, status, obj, extra=()):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def emulate(self, raw):
        """(status, body, headers) for an ISM request, or None to forward."""
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        m = re.fullmatch(r"/_plugins/_ism/(explain|policies)/([^/]+)", url.path)
        if not m:
            return None
        what, name = m.group(1), urllib.parse.unquote(m.group(2))
        if what == "explain" and self.command == "GET":
            if self.upstream("HEAD", "/" + urllib.parse.quote(name), b"",
                             {"Host": self.server.target.netloc})[0] == 404:
                return error_body("index_not_found_exception", "no such index [%s]" % name,
                                  404, index=name, **{"resource.id": name,
                                                      "resource.type": "index_or_alias",
                                                      "index_uuid": "_na_"}) + ((),)
            return 200, {name: {"index.plugins.index_state_management.policy_id": None,
                                "index.opendistro.index_state_management.policy_id": None,
                                "enabled": None},
                         "total_managed_indices": 0}, ()
        if what == "policies" and self.command == "GET":
            return get_policy(name) + ((),)
        if what == "policies" and self.command == "PUT":
            st, body = put_policy(name, query, raw)
            return st, body, (("Location", "/_plugins/_ism/policies/" + name),) \
                if st == 201 else ()
        return error_body("illegal_argument_exception", "not emulated: %s %s"
                          % (self.command, url.path), 400) + ((),)

    def upstream(self, method, path, body, headers):
        conn = http.client.HTTPConnection(self.server.target.hostname,
                                          self.server.target.port or 80, timeout=120)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.endheaders(body if body else None)
            r = conn.getresponse()
            return r.status, r.getheaders(), r.read()
        finally:
            conn.close()

    def forward(self, raw):
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Host"] = self.server.target.netloc
        if raw or "Content-Length" in self.headers:
            headers["Content-Length"] = str(len(raw))
        try:
            st, rh, data = self.upstream(self.command, self.path, raw, headers)
        except OSError as e:
            self.reply(502, {"error": "ismproxy: the cluster did not answer: %s" % e})
            return 502
        self.send_response(st)
        for k, v in rh:
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                self.send_header(k, v)
        if self.command == "HEAD":
            cl = dict((k.lower(), v) for k, v in rh).get("content-length")
            if cl is not None:
                self.send_header("Content-Length", cl)
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        return st

    def handle_any(self):
        raw = self.read_body()
        if raw is None:
            self.reply(411, {"error": "this test proxy forwards only Content-Length bodies"})
            self.record(411, False)
            return
        try:
            em = self.emulate(raw)
        except OSError as e:  # the explain probe asks the cluster too
            em = 502, {"error": "ismproxy: the cluster did not answer: %s" % e}, ()
        if em is None:
            self.record(self.forward(raw), False)
            return
        st, body, extra = em
        self.reply(st, body, extra)
        try:
            req = json.loads(raw) if raw else None
        except ValueError:
            req = raw.decode("utf-8", "replace")
        self.record(st, True, req, body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def main():
    port, target, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    srv.target = urllib.parse.urlsplit(target)
    srv.log = open(log, "a", encoding="utf-8")
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
