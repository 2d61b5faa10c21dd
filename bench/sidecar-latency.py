#!/usr/bin/env python3
"""Commit-to-file latency and memory of cairn-sidecar against a running cluster.

Writes a key under the watched prefix through the HTTP gateway (the PUT returns once the write
is committed), then polls the sidecar's output file until the new value is there. Prints p50/p99
over N changes, and the sidecar's resident memory at rest and under that load.

Usage: bench/sidecar-latency.py HTTP_BASE OUT_DIR SIDECAR_PID [N]
  e.g. bench/sidecar-latency.py http://127.0.0.1:8048 /tmp/out 12345 1000
"""
import statistics
import sys
import threading
import time
import urllib.request


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def main():
    base, out, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    rest = rss_kb(pid)
    peak = [rest]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kb(pid))
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    lat = []
    for i in range(n):
        value = f"v{i}-{time.time_ns()}"
        req = urllib.request.Request(f"{base}/v1/kv/config/bench/key", data=value.encode(), method="PUT")
        urllib.request.urlopen(req, timeout=10).read()
        committed = time.perf_counter()
        deadline = committed + 10
        while True:
            try:
                with open(f"{out}/key") as f:
                    if f.read() == value:
                        break
            except FileNotFoundError:
                pass
            if time.perf_counter() > deadline:
                print(f"change {i} never became visible", file=sys.stderr)
                sys.exit(1)
            time.sleep(0.0002)
        lat.append((time.perf_counter() - committed) * 1000)
    stop.set()
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(len(lat) * q))]
    print(f"commit-to-file latency over {n} changes: p50 {p(0.50):.1f} ms, p99 {p(0.99):.1f} ms, "
          f"mean {statistics.mean(lat):.1f} ms, max {lat[-1]:.1f} ms")
    print(f"sidecar RSS: {rest / 1024:.1f} MiB at rest, {peak[0] / 1024:.1f} MiB peak under load")


if __name__ == "__main__":
    main()
