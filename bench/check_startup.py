"""Benchmark: wall time of ``releasegate check`` against ``python -c "import yaml"`` in the same run.

Prints the median of N runs for each and the ratio, for the example policy and
for a generated policy of about 5,000 lines. Not a test: machines are shared and
noisy, so only the ratio against a reference measured alongside means anything.

    python bench/check_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "checkout" / "releasegate.yml"


def generated_policy(lines: int = 5000) -> str:
    """A valid policy of about ``lines`` lines: many environments, validations and gates."""
    out = ["version: 1", "service: bench", "validations:"]
    body: list[str] = []
    envs: list[str] = []
    i = 0
    while len(out) + len(body) + len(envs) < lines:
        out += [f"  unit-{i}:", f"    junit: reports/{i}/*.xml", "    min_tests: 1"]
        body += [
            f"  g{i}:",
            "    provider: prometheus",
            "    address: http://127.0.0.1:9090",
            "    interval: 1m",
            "    failure_limit: 1",
            "    metrics:",
            f"      - name: errors-{i}",
            "        query: "
            'sum(rate(http_requests_total{service="{service}",track="{variant}",code=~"5.."}[{interval}]))',
            "        judge: sequential",
            f"      - name: latency-{i}",
            '        query: histogram_quantile(0.99, sum by (le) (rate(h_bucket{track="{variant}"}[1m])))',
            "        judge: threshold",
            '        fail_if: "> 0.5"',
            "        for: 3m",
        ]
        envs += [
            f"  - name: env{i}",
            "    requires:",
            f"      validations: [unit-{i}]",
            "      soak: 30m",
            '      criteria: ["tests.failed == 0 and tests.total >= 1"]',
        ]
        if i:
            envs.append(f"      from: env{i - 1}")
        envs += [
            "    strategy:",
            "      canary:",
            "        steps:",
            f"          - {{weight: 10, pause: 5m, gates: [g{i}]}}",
            "          - {weight: 100}",
        ]
        i += 1
    return "\n".join(out + ["environments:"] + envs + ["gates:"] + body) + "\n"


def median_seconds(argv: list[str], runs: int, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, capture_output=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit(f"{' '.join(argv)} failed: {done.stderr.decode().strip()}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exe = shutil.which("releasegate") or str(Path(sys.executable).with_name("releasegate"))
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.yml"
        big.write_text(generated_policy())
        reference = median_seconds([sys.executable, "-c", "import yaml"], args.runs, Path(tmp))
        rows = [("python -c 'import yaml'", reference)]
        for label, policy in (
            ("check examples/checkout", EXAMPLE),
            (f"check generated ({len(big.read_text().splitlines())} lines)", big),
        ):
            rows.append(
                (
                    label,
                    median_seconds([exe, "check", "-q", "-c", str(policy)], args.runs, Path(tmp)),
                )
            )
    print(f"{'command':<40} {'median':>9} {'ratio':>7}")
    for label, seconds in rows:
        print(f"{label:<40} {seconds * 1000:7.1f}ms {seconds / reference:6.2f}x")


if __name__ == "__main__":
    main()
