"""Eventlet contender of the imap suite: GreenPool(C).imap(fn, generator of N numbers),
consumed in order. Prints items/s and peak RSS."""
import json
import resource
import sys
import time

import eventlet

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
C = int(sys.argv[2]) if len(sys.argv) > 2 else 1000


def numbers():
    for i in range(N):
        yield i


def double(x):
    return x * 2


pool = eventlet.GreenPool(C)
t0 = time.perf_counter()
total = 0
count = 0
for v in pool.imap(double, numbers()):
    total += v
    count += 1
ms = (time.perf_counter() - t0) * 1000
assert count == N and total == N * (N - 1), (count, total)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print("RESULT " + json.dumps({"peakRssMb": peak, "ms": round(ms), "itemsPerSec": round(N / ms * 1000)}))
