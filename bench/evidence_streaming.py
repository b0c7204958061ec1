"""Benchmark: reading coverage and JUnit reports by streaming against parsing them whole.

Generates a Cobertura report of about 31 MB (coverage.py's shape: totals on the
root, then every line of every class), a JaCoCo report and a JUnit report of
similar size, then reads each with releasegate's reader (expat, streaming, no
tree) and with ``ElementTree.fromstring`` on the whole file (what the readers
did before), in the same process. Prints the median time and the peak traced
memory of each and the ratio whole/streaming. Not a test: machines are shared
and noisy, so only the ratio means anything.

    python bench/evidence_streaming.py [--runs 3] [--megabytes 31]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

from releasegate.evidence import CoverageReader, JUnitReader


def cobertura(size: int) -> str:
    """A Cobertura report of about ``size`` bytes with totals on the root, as coverage.py writes."""
    line = '          <line number="{n}" hits="{h}"/>\n'
    per_class = 200
    class_bytes = per_class * len(line.format(n=100, h=1)) + 200
    classes = max(1, size // class_bytes)
    total = classes * per_class
    out = [
        f'<?xml version="1.0" ?>\n<coverage version="7.4" timestamp="1" lines-valid="{total}" '
        f'lines-covered="{total * 3 // 4}" line-rate="0.75" branches-covered="0" branches-valid="0" '
        f'branch-rate="0" complexity="0">\n  <packages>\n    <package name="app" line-rate="0.75">\n'
        f"      <classes>\n"
    ]
    for c in range(classes):
        out.append(
            f'      <class name="m{c}.py" filename="app/m{c}.py" line-rate="0.75">\n        <lines>\n'
        )
        out += [line.format(n=n, h=int(n % 4 != 0)) for n in range(1, per_class + 1)]
        out.append("        </lines>\n      </class>\n")
    out.append("      </classes>\n    </package>\n  </packages>\n</coverage>\n")
    return "".join(out)


def jacoco(size: int) -> str:
    """A JaCoCo report of about ``size`` bytes: per-line data first, the totals at the end."""
    line = '      <line nr="{n}" mi="0" ci="3" mb="0" cb="0"/>\n'
    per_file = 200
    files = max(1, size // (per_file * len(line.format(n=100)) + 300))
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd">\n<report name="app">\n'
        '  <package name="app">\n'
    ]
    for f in range(files):
        out.append(f'    <sourcefile name="F{f}.java">\n')
        out += [line.format(n=n) for n in range(1, per_file + 1)]
        out.append(
            f'      <counter type="LINE" missed="0" covered="{per_file}"/>\n    </sourcefile>\n'
        )
    total = files * per_file
    out.append(
        f'  </package>\n  <counter type="LINE" missed="{total // 5}" covered="{total}"/>\n</report>\n'
    )
    return "".join(out)


def junit(size: int) -> str:
    """A JUnit report of about ``size`` bytes, one suite per 100 cases, one failure in ten."""
    case = '    <testcase classname="app.test_m{s}" name="test_{n}" time="0.001"{body}\n'
    suites = max(1, size // (100 * len(case.format(s=100, n=100, body="/>")) + 200))
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n']
    for s in range(suites):
        out.append(f'  <testsuite name="m{s}" tests="100" failures="10" errors="0" skipped="0">\n')
        out += [
            case.format(
                s=s,
                n=n,
                body='><failure message="boom">assert 1 == 2</failure></testcase>'
                if n % 10 == 0
                else "/>",
            )
            for n in range(100)
        ]
        out.append("  </testsuite>\n")
    out.append("</testsuites>\n")
    return "".join(out)


def measure(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median seconds over ``runs`` and the peak traced memory of one run, in MiB."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    action()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--megabytes", type=float, default=31.0)
    args = parser.parse_args()
    size = int(args.megabytes * 1_000_000)
    cases = (
        ("Cobertura", cobertura, CoverageReader),
        ("JaCoCo", jacoco, CoverageReader),
        ("JUnit", junit, JUnitReader),
    )
    with tempfile.TemporaryDirectory() as folder:
        print(
            f"{'report':10} {'MB':>6} {'streaming s':>12} {'MiB':>8} {'whole s':>9} {'MiB':>8} "
            f"{'time ratio':>11} {'memory ratio':>13}"
        )
        for name, make, reader in cases:
            path = Path(folder) / f"{name.lower()}.xml"
            path.write_text(make(size))
            stream_s, stream_mib = measure(lambda r=reader, p=path: r().read([p]), args.runs)
            whole_s, whole_mib = measure(
                lambda p=path: ElementTree.fromstring(p.read_bytes()), args.runs
            )
            megabytes = path.stat().st_size / 1e6
            print(
                f"{name:10} {megabytes:6.1f} {stream_s:12.3f} {stream_mib:8.1f} {whole_s:9.3f} "
                f"{whole_mib:8.1f} {whole_s / stream_s:10.1f}x {whole_mib / max(stream_mib, 0.01):12.1f}x"
            )


if __name__ == "__main__":
    main()
