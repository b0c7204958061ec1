"""Turn a gatebench scenario into releasegate's replay CSV and a gate policy (I/O-free helpers).

Format conversion only: which scenario metric feeds which gate metric, and the
policy text of the gate. No judging happens here.
"""

from __future__ import annotations

import csv
import io
from typing import Any

GATE = "gatebench"

#: scenario metric -> (gate metric, denominator used as the count, direction)
METRICS = {
    "error_rate": ("error-rate", "requests", "increase"),
    "latency_p99_ms": ("latency-p99", "requests", "increase"),
    "conversion_rate": ("conversion", "sessions", "decrease"),
}


def replay_csv(scenario: dict[str, Any]) -> str:
    """The scenario's intervals as a replay CSV (``time,metric,variant,value,count``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time", "metric", "variant", "value", "count"])
    for interval in scenario["intervals"]:
        for source, (name, denominator, _) in METRICS.items():
            values = (interval.get("metrics") or {}).get(source) or {}
            counts = interval.get(denominator) or {}
            for variant in ("canary", "baseline"):
                value = values.get(variant)
                count = counts.get(variant)
                writer.writerow(
                    [
                        interval["timestamp"],
                        name,
                        variant,
                        "" if value is None else repr(float(value)),
                        "" if count is None else repr(float(count)),
                    ]
                )
    return out.getvalue()


def gate_policy(
    scenario: dict[str, Any], judge: str = "sequential", extra: str = "", alpha: float | None = None
) -> str:
    """A ``releasegate.yml`` with one gate over the scenario's metrics, every option default
    except the interval (and ``alpha`` on every metric when given, for a trade-off curve);
    rates carry a ``count_query`` so the judge reads them as counts."""
    lines = [
        "version: 1",
        "gates:",
        f"  {GATE}:",
        "    provider: file",
        f"    interval: {int(scenario['interval_seconds'])}s",
        *(f"    {line}" for line in extra.splitlines() if line.strip()),
        "    metrics:",
    ]
    for source, (name, denominator, direction) in METRICS.items():
        lines += [
            f"      - name: {name}",
            f'        query: {source}{{track="{{variant}}"}}',
            f"        judge: {judge}",
            f"        direction: {direction}",
        ]
        if alpha is not None:
            lines.append(f"        alpha: {alpha!r}")
        if source == "latency_p99_ms":
            lines.append("        quantile: 0.99")  # the scenario's p99 is a nearest-rank p99
        else:
            lines.append(f'        count_query: {denominator}{{track="{{variant}}"}}')
    return "\n".join(lines) + "\n"
