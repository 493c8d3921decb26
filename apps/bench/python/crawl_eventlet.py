"""Eventlet contender of the crawl suite: GreenPool.imap over N URLs of one local origin with C
green threads, reading every body.

usage: crawl_eventlet.py <httpclient|urllib> <port> <n> <concurrency>
  httpclient  green http.client, keep-alive: C HTTPConnections shared through a queue, so each
              green thread at work holds one (the fastest Eventlet way to crawl one origin)
  urllib      green urllib.request.urlopen, one connection per URL (the seed page's way)

Prints one line: RESULT {"urlsPerSec": ..., "ms": ..., "peakRssMb": ...}
"""
import json
import resource
import sys
import time

import eventlet
from eventlet.green.http import client as http_client
from eventlet.green.urllib import request as urllib_request

mode = sys.argv[1] if len(sys.argv) > 1 else "httpclient"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
n = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
concurrency = int(sys.argv[4]) if len(sys.argv) > 4 else 100
paths = ["/page/%d" % i for i in range(n)]

if mode == "httpclient":
    connections = eventlet.queue.LightQueue()
    for _ in range(concurrency):
        connections.put(http_client.HTTPConnection("127.0.0.1", port))

    def fetch(path):
        conn = connections.get()
        try:
            conn.request("GET", path)
            return len(conn.getresponse().read())
        finally:
            connections.put(conn)

elif mode == "urllib":
    base = "http://127.0.0.1:%d" % port

    def fetch(path):
        with urllib_request.urlopen(base + path) as response:
            return len(response.read())

else:
    raise SystemExit("unknown mode %r" % mode)

pool = eventlet.GreenPool(concurrency)
t0 = time.perf_counter()
total = sum(pool.imap(fetch, paths))
ms = (time.perf_counter() - t0) * 1000
if total != n * 1024:
    raise SystemExit("read %d bytes, expected %d" % (total, n * 1024))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps({"urlsPerSec": n / ms * 1000, "ms": ms, "peakRssMb": round(peak)}))
