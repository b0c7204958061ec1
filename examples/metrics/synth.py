"""Synthetic request metrics for a canary rollout of ``checkout``, as OpenMetrics text.

Pure and deterministic (seeded): used by the tests and to regenerate the sample files
beside it. Load a file into Prometheus with
``promtool tsdb create-blocks-from openmetrics FILE DATA_DIR`` before starting it.

    python examples/metrics/synth.py --start 1767225600 --canary bad > checkout-bad.om.txt
"""

from __future__ import annotations

import argparse
import random
import sys

SCRAPE = 15  # seconds between samples
HISTORY = 1800  # seconds of stable-only traffic before the deploy
CANARY = 1800  # seconds of canary traffic after it
PROFILES = {
    # error ratio, p99 latency (seconds)
    "healthy": (0.01, 0.21),
    "bad": (0.08, 0.60),
}
STABLE = (0.01, 0.20)


def _counter(
    rng: random.Random, per_second: float, start: float, end: float
) -> list[tuple[float, float]]:
    total, out, t = 0.0, [], start
    while t < end:
        out.append((t, total))
        total += max(0.0, rng.gauss(per_second * SCRAPE, (per_second * SCRAPE) ** 0.5))
        t += SCRAPE
    return out


def _gauge(rng: random.Random, level: float, start: float, end: float) -> list[tuple[float, float]]:
    out, t = [], start
    while t < end:
        out.append((t, round(max(0.001, rng.gauss(level, level * 0.03)), 4)))
        t += SCRAPE
    return out


def series(
    start: float, canary: str = "healthy", service: str = "checkout", seed: int = 7
) -> list[tuple[str, str, dict[str, str], list[tuple[float, float]]]]:
    """Return ``(name, type, labels, samples)`` for the whole scenario.

    The stable track serves 20 requests per second from ``start``; the deploy is at
    ``start + 1800`` and the canary serves 5 per second from then until ``start + 3600``.

    :param start: unix seconds of the first sample (history begins here).
    :param canary: ``healthy`` (1% errors, p99 0.21 s) or ``bad`` (8% errors, p99 0.6 s).
    """
    rng = random.Random(seed)
    deploy, end = start + HISTORY, start + HISTORY + CANARY
    out = []
    for track, (errors, p99), begin, rate in (
        ("stable", STABLE, start, 20.0),
        ("canary", PROFILES[canary], deploy, 5.0),
    ):
        for code, share in (("200", 1 - errors), ("500", errors)):
            labels = {"service": service, "track": track, "code": code}
            out.append(
                ("http_requests_total", "counter", labels, _counter(rng, rate * share, begin, end))
            )
        labels = {"service": service, "track": track}
        out.append(
            ("http_request_latency_p99_seconds", "gauge", labels, _gauge(rng, p99, begin, end))
        )
    return out


def openmetrics(start: float, canary: str = "healthy", service: str = "checkout") -> str:
    """The scenario of :func:`series` as an OpenMetrics file ``promtool`` accepts."""
    lines: list[str] = []
    typed: set[str] = set()
    rows = series(start, canary, service)
    for name, kind, _, _ in rows:
        family = name[: -len("_total")] if kind == "counter" else name
        if family in typed:
            continue
        typed.add(family)
        lines.append(f"# TYPE {family} {kind}")
        for other, _, labels, samples in rows:
            if other != name:
                continue
            head = name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
            lines.extend(f"{head} {value} {int(t)}" for t, value in samples)
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--start", type=float, required=True, help="unix seconds of the first sample"
    )
    parser.add_argument("--canary", choices=sorted(PROFILES), default="healthy")
    parser.add_argument("--service", default="checkout")
    args = parser.parse_args(argv)
    sys.stdout.write(openmetrics(args.start, args.canary, args.service))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
