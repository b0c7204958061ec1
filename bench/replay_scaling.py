"""Benchmark: ``releasegate replay`` of 60, 600, 6,000 and 60,000 intervals against a reference
loop of one arithmetic step per interval, measured in the same process.

Each size runs in its own process (so each peak memory is its own): it writes a replay CSV of
that many one-minute intervals of a healthy canary (error rate and conversion with their
counts, a p99 with its request count: the gatebench gate of ``bench/gates/scenario.py``), runs
``releasegate replay --format jsonl`` in-process through the CLI's ``main`` with its lines going
to a counting sink, then times the reference loop. It prints the replay's wall and CPU time,
its CPU cost per interval, that cost over the reference's (the ratio is what to compare
between sizes; CPU time, because the machine is shared and wall time moves with its load)
and the process's peak resident memory. Replay is linear when the ratio stays flat from 600
to 60,000 intervals.

Not a test (the suite never asserts on wall-clock time):

    python bench/replay_scaling.py [--sizes 60,600,6000,60000]
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLICY = """version: 1
gates:
  bench:
    provider: file
    interval: 60s
    metrics:
      - name: error-rate
        query: errors
        count_query: requests
        judge: sequential
        direction: increase
      - name: latency-p99
        query: p99
        quantile: 0.99
        judge: sequential
        direction: increase
      - name: conversion
        query: conversions
        count_query: sessions
        judge: sequential
        direction: decrease
"""


def write_csv(path: Path, intervals: int, seed: int = 7) -> None:
    """``intervals`` one-minute intervals of a healthy canary (5 % of about 6,000 requests)."""
    rng = random.Random(seed)
    start = 1_700_000_000
    with path.open("w") as out:
        out.write("time,metric,variant,value,count\n")
        for i in range(intervals):
            t = start + 60 * (i + 1)
            load = 1.0 + 0.5 * math.sin(2 * math.pi * i / 1440.0)
            for variant, share in (("canary", 0.05), ("baseline", 0.95)):
                n = max(1, round(6000 * load * share * math.exp(rng.gauss(0.0, 0.05))))
                errors = sum(rng.random() < 0.01 for _ in range(min(n, 400))) * n / min(n, 400)
                sessions = max(1, round(0.2 * n))
                conversions = sum(rng.random() < 0.05 for _ in range(sessions))
                p99 = 200.0 * math.exp(rng.gauss(0.0, 0.1))
                out.write(f"{t},error-rate,{variant},{round(errors) / n!r},{float(n)!r}\n")
                out.write(f"{t},latency-p99,{variant},{p99!r},{float(n)!r}\n")
                out.write(
                    f"{t},conversion,{variant},{conversions / sessions!r},{float(sessions)!r}\n"
                )


class Sink:
    """A stdout that counts lines and keeps none."""

    def __init__(self) -> None:
        self.lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        return len(text)

    def flush(self) -> None:
        pass


def reference(intervals: int) -> float:
    """CPU seconds for one arithmetic step per interval, at least a million steps timed (the
    loop repeated) so the clock's resolution does not matter."""
    repeat = max(1, 1_000_000 // intervals)
    start = time.process_time()
    for _ in range(repeat):
        x = 0.0
        for i in range(intervals):
            x = 0.5 * x + i
    return (time.process_time() - start) / repeat


def one(intervals: int) -> None:
    """Run one size in this process and print its row."""
    from releasegate.cli import main

    with tempfile.TemporaryDirectory(prefix="replay-bench-") as tmp:
        policy, metrics, warm = (
            Path(tmp, "releasegate.yml"),
            Path(tmp, "metrics.csv"),
            Path(tmp, "warm.csv"),
        )
        policy.write_text(POLICY)
        write_csv(metrics, intervals)
        write_csv(warm, 10, seed=8)
        env = {"RELEASEGATE_DISABLE_PLUGIN_AUTOLOAD": "1"}
        # A first replay of 10 intervals loads the modules, so the sizes compare the intervals'
        # cost, not the interpreter's start (replay's own fixed cost, the policy and the CSV,
        # stays in).
        main(
            ["replay", "-c", str(policy), "--gate", "bench", "--metrics", str(warm)],
            env,
            stdout=Sink(),
        )
        sink = Sink()
        start, cpu = time.perf_counter(), time.process_time()
        code = main(
            [
                "replay",
                "-c",
                str(policy),
                "--gate",
                "bench",
                "--metrics",
                str(metrics),
                "--format",
                "jsonl",
            ],
            env,
            stdout=sink,
        )
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if code not in (0, 1, 3) or sink.lines != intervals:
        raise SystemExit(f"replay of {intervals} intervals: exit {code}, {sink.lines} lines")
    ref = reference(intervals)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(
        f"{intervals:>7d} intervals  wall {seconds:7.2f} s  cpu {cpu:7.2f} s  {1e3 * cpu / intervals:6.3f} ms "
        f"cpu/interval  "
        f"x{cpu / ref:7.0f} the reference step  peak {peak_mb:6.1f} MB",
        flush=True,
    )


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="60,600,6000,60000")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.one)
        return 0
    for size in (int(s) for s in args.sizes.split(",")):
        subprocess.run([sys.executable, __file__, "--one", str(size)], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
