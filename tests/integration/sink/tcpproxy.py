#!/usr/bin/env python3
"""tcpproxy.py - forward 127.0.0.1:LISTEN_PORT to TARGET_HOST:TARGET_PORT.

The sink outage test puts this between tetra-sink and OpenSearch and kills
it to make the cluster unreachable for a while (refused connections, resets
mid-request), without stopping the shared OpenSearch other tests use.
usage: tcpproxy.py LISTEN_PORT TARGET_HOST TARGET_PORT
"""
import socket
import sys
import threading


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    port, host, tport = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    print(ls.getsockname()[1], flush=True)
    while True:
        c, _ = ls.accept()
        try:
            u = socket.create_connection((host, tport))
        except OSError:
            c.close()
            continue
        for a, b in ((c, u), (u, c)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()


if __name__ == "__main__":
    main()
