"""Eventlet's echo server for the echo suite: the seed page's server pattern (listen, an
accept loop, GreenPool.spawn_n(handle, sock)) with a handler that recv(4096)s and sendall()s
on an eventlet.green socket. Prints PORT n; on SIGTERM prints RSS <peak MB> and exits."""
import os
import resource
import signal
import sys

import eventlet


def on_term(*_):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    sys.stdout.write("RSS %d\n" % peak)
    sys.stdout.flush()
    os._exit(0)


signal.signal(signal.SIGTERM, on_term)


def handle(sock):
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                break
            sock.sendall(data)
    finally:
        sock.close()


server = eventlet.listen(("127.0.0.1", 0), backlog=4096)
sys.stdout.write("PORT %d\n" % server.getsockname()[1])
sys.stdout.flush()
pool = eventlet.GreenPool(20000)
while True:
    new_sock, address = server.accept()
    pool.spawn_n(handle, new_sock)
