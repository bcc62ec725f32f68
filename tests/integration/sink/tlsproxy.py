#!/usr/bin/env python3
"""tlsproxy.py - a TLS front for the plain-HTTP test OpenSearch.

The test cluster speaks plain HTTP, so the sink's TLS options (CA file,
client certificate and key, --insecure) are exercised through this proxy:
it terminates TLS with the given server certificate and forwards the bytes
to TARGET_HOST:TARGET_PORT.  With CLIENT_CA it requires a client
certificate signed by that CA.  One line per connection goes to stdout:
"client CN=<name>" or "client none" after a good handshake, "handshake
failed: <reason>" otherwise, so the test can tell which side refused.
usage: tlsproxy.py LISTEN_PORT TARGET_HOST TARGET_PORT CERT KEY [CLIENT_CA]
The first line printed is the port listened on.
"""
import select
import socket
import ssl
import sys
import threading


def log(line):
    print(line, flush=True)


def subject_cn(cert):
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return "?"


def relay(tls, up):
    """Copy both ways in one thread: an SSL object must not be used from
    two threads at once."""
    while True:
        ready = [tls] if tls.pending() else select.select([tls, up], [], [])[0]
        for s in ready:
            try:
                data = s.recv(65536)
            except ssl.SSLWantReadError:
                continue
            if not data:
                return
            (up if s is tls else tls).sendall(data)


def serve(conn, host, port):
    try:
        conn.do_handshake()
    except (ssl.SSLError, OSError) as e:
        log("handshake failed: %s" % e)
        conn.close()
        return
    cert = conn.getpeercert()
    log("client CN=%s" % subject_cn(cert) if cert else "client none")
    try:
        up = socket.create_connection((host, port))
    except OSError:
        conn.close()
        return
    try:
        relay(conn, up)
    except OSError:
        pass
    finally:
        for s in (conn, up):
            try:
                s.close()
            except OSError:
                pass


def main():
    port, host, tport = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    if len(sys.argv) > 6:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(sys.argv[6])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    log(ls.getsockname()[1])
    while True:
        c, _ = ls.accept()
        tls = ctx.wrap_socket(c, server_side=True, do_handshake_on_connect=False)
        threading.Thread(target=serve, args=(tls, host, tport), daemon=True).start()


if __name__ == "__main__":
    main()
