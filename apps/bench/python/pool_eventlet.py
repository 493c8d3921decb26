"""Eventlet contender of the pool suite: N tiny tasks through GreenPool(C).spawn_n, then
waitall(). Prints tasks/s and peak RSS."""
import json
import resource
import sys
import time

import eventlet

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
C = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
done = [0]


def task():
    done[0] += 1


pool = eventlet.GreenPool(C)
t0 = time.perf_counter()
for _ in range(N):
    pool.spawn_n(task)
pool.waitall()
ms = (time.perf_counter() - t0) * 1000
assert done[0] == N, done[0]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print("RESULT " + json.dumps({"peakRssMb": peak, "ms": round(ms), "tasksPerSec": round(N / ms * 1000)}))
