"""Eventlet contender of the spawn suite: N green threads that each yield once and return a
value, all waited for. Memory: tracemalloc's traced size when the last thread reached its
yield point, divided by N."""
import gc
import json
import sys
import time
import tracemalloc

import eventlet

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
state = {"reached": 0, "peak": 0}


def task(i):
    state["reached"] += 1
    if state["reached"] == N and state["trace"]:
        gc.collect()
        state["peak"] = tracemalloc.get_traced_memory()[0]
    eventlet.sleep(0)
    return i


# Time without tracemalloc (it slows allocation down several times)...
state["trace"] = False
gc.collect()
t0 = time.perf_counter()
threads = [eventlet.spawn(task, i) for i in range(N)]
total = sum(t.wait() for t in threads)
ms = (time.perf_counter() - t0) * 1000
assert total == N * (N - 1) // 2
# ...then memory in a second, traced run.
del threads
state["reached"] = 0
state["trace"] = True
gc.collect()
tracemalloc.start()
base = tracemalloc.get_traced_memory()[0]
threads = [eventlet.spawn(task, i) for i in range(N)]
total = sum(t.wait() for t in threads)
tracemalloc.stop()
print("RESULT " + json.dumps({"ms": round(ms, 1), "bytesPerTask": round((state["peak"] - base) / N)}))
